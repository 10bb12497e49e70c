"""Reproduction of Dazzi et al. 2021, 'Accelerating inference of CNNs using in-memory computing'.

Table 1 (activation layouts), Table 2 (ResNet-32 kernel matrices), the 43-core mapping, kernel replication
(Eq. 2, Figure 6), and the pipelined dataflow of section 3.1: latency, throughput, link bandwidth (Eq. 7), the
per-layer activation curves of Figure 10 and the speed-up mode — every 'ours' computed by the models of
``neurofab.systems`` from the layer shapes, the 256×256 core and the 100 ns timestep.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from neurofab.repro.registry import reproduction
from neurofab.repro.report import Absolute, Exact, Info, Relative, Report, Rounded
from neurofab.systems.imc_mapping import (
    ConvLayerSpec,
    CoreArray,
    aspect_ratio,
    aspect_ratio_method1,
    map_layer,
    map_network,
    replicated_rows,
)
from neurofab.systems.imc_memory import LAYOUTS, input_memory_words, layout_metrics
from neurofab.systems.imc_pipeline import (
    PipelineConfig,
    PipelineResult,
    channel_groups,
    link_bandwidth_eq7,
    resnet32,
    simulate,
    speedup_replicas,
)

PAPER = "Dazzi et al. 2021, Accelerating inference of CNNs using in-memory computing (Front. Comput. Neurosci.)"

# Table 1 as printed: (N, H, WL) -> layout -> (memory [kB], % empty, read cycles, write cycles)
TABLE1 = {
    (3, 32, 128): {"IWAP": (0.288, 0.0, "[1, 2]", "[1, 2]"), "KLIP": (0.505, 43.0, "1", "1"),
                   "PLIP": (1.523, 82.1, "3", "1")},
    (56, 8, 160): {"IWAP": (1.344, 0.0, "[9, 10]", "[3, 4]"), "KLIP": (1.427, 5.9, "9", "[3, 4]"),
                   "PLIP": (1.436, 6.4, "9", "3")},
    (56, 8, 128): {"IWAP": (1.344, 0.0, "11", "4"), "KLIP": (1.4, 4.0, "11", "4"),
                   "PLIP": (1.528, 12.0, "12", "4")},
}

# Table 2 as printed: label, layers it stands for, H_in, C_in, C_out, kernel, stride, printed rows × columns, pixel
# bits. Layers 23/31 print stride 2 with 8×8 → 8×8; stride 1 is what their sizes need (used here).
TABLE2 = [
    ("1", 1, 32, 3, 16, 3, 1, 27, 16, 24),
    ("2/11", 10, 32, 16, 16, 3, 1, 144, 16, 128),
    ("RS1", 1, 32, 16, 28, 1, 2, 16, 28, 128),
    ("12", 1, 32, 28, 28, 3, 2, 252, 28, 224),
    ("13/21", 9, 16, 28, 28, 3, 1, 252, 28, 224),
    ("RS2", 1, 16, 28, 56, 1, 2, 28, 56, 224),
    ("22", 1, 16, 56, 56, 3, 2, 504, 56, 448),
    ("23/31", 9, 8, 56, 56, 3, 1, 504, 56, 448),
    ("FC", 1, 8, 56, 10, 1, 1, 56, 10, 448),
]


def _cycles_text(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(values) == 1 else f"[{values[0]}, {values[-1]}]"


def _table2_layer(label: str, h: int, cin: int, cout: int, kernel: int, stride: int) -> ConvLayerSpec:
    if label == "FC":
        return ConvLayerSpec(name=label, in_height=h, in_width=h, in_channels=cin, out_channels=cout, kernel=1,
                             global_pool=True)
    return ConvLayerSpec(name=label, in_height=h, in_width=h, in_channels=cin, out_channels=cout, kernel=kernel,
                         stride=stride, padding=(kernel - 1) // 2)


def _slope(result: PipelineResult, name: str, t0: int, t1: int) -> float:
    """Least-squares slope of a layer's activation curve over timesteps [t0, t1] [pixels/timestep]."""
    c = result.layer_curve(name).to(torch.float64)[t0 : t1 + 1]
    t = torch.arange(t0, t1 + 1, dtype=torch.float64)
    tc = t - t.mean()
    return float((tc * (c - c.mean())).sum() / (tc * tc).sum())


def _span(result: PipelineResult, name: str) -> tuple[int, int]:
    """First timestep a layer computes and the timestep it finishes the first image."""
    c = result.layer_curve(name).to(torch.int64)
    total = result.graph.network.layer(name).out_pixels
    return int((c > 0).nonzero().min()), int((c >= total).nonzero().min())


def _curves_figure(normal: PipelineResult, fast: PipelineResult) -> Figure:
    colours = {1: "tab:red", 2: "tab:blue", 3: "tab:green"}
    groups = channel_groups(normal.graph.network)
    fig = Figure(figsize=(12, 4.5))
    axes = fig.subplots(1, 2, sharey=True)
    for ax, res, title in ((axes[0], normal, "(A) one pixel per core per timestep"),
                           (axes[1], fast, "(B) speed-up: 4 / 2 / 1 pixels per timestep")):
        t = torch.arange(res.timesteps)
        for la in res.graph.network.layers:
            colour = "black" if la.global_pool else colours[groups[la.name]]
            ax.plot(t, res.layer_curve(la.name), color=colour, lw=0.8, alpha=0.85)
        ax.set_xlabel("timestep (100 ns)")
        ax.set_title(f"{title}: latency {res.latency_steps} timesteps")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("activations (pixels) computed by the layer")
    handles = [Line2D([], [], color=c, label=lab) for c, lab in
               ((colours[1], "layers 1–11 (16 ch)"), (colours[2], "RS1, 12–21 (28 ch)"),
                (colours[3], "RS2, 22–31 (56 ch)"), ("black", "FC"))]
    axes[1].legend(handles=handles, loc="lower right", fontsize=8)
    fig.suptitle("ResNet-32 pipelined on IMC cores: activations per layer vs timestep (cf. Figure 10)")
    fig.tight_layout()
    return fig


@reproduction("imc-cnn", paper=PAPER,
              summary="IMC CNN pipeline: Table 1 layouts, Table 2 mapping, ResNet-32 latency/throughput/speed-up")
def run(quick: bool = True, seed: int = 0) -> Report:
    """Everything here is deterministic; ``seed`` is unused. ``quick=False`` also cross-checks the batch runs with
    the timestep-by-timestep engine."""
    report = Report("imc-cnn", "IMC CNN inference: weight/activation mapping and pipelined dataflow", PAPER)
    array = CoreArray(rows=256, columns=256)

    # ----- Table 1: activation layouts ------------------------------------------------------------------------
    for (n, h, wl), printed in TABLE1.items():
        for layout in LAYOUTS:
            m = layout_metrics(layout, n, h, kernel=3, word_bits=wl)
            mem, empty, reads, writes = printed[layout]
            tag = f"Table 1 N={n} H={h} WL={wl} {layout}"
            report.add(f"{tag} read cycles", reads, _cycles_text(m.read_cycle_values), Exact())
            report.add(f"{tag} write cycles", writes, _cycles_text(m.write_cycle_values), Exact())
            note = ""
            if layout == "IWAP" and m.empty_fraction > 0:
                note = "ours counts whole words (⌈10,752/160⌉ = 68); the paper counts the bits"
            elif layout != "IWAP":
                note = "paper's memory is ≈1 % below whole words of F·p or p bits"
            report.add(f"{tag} memory", mem, m.memory_kb, Relative(0.02), "kB", note)
            note = ""
            if layout != "IWAP":
                note = ("the paper's % empty equals 1 − IWAP/its memory" +
                        (" except here: its 1.523 kB gives 81.1 %, it prints 82.1 %" if (n, layout) == (3, "PLIP")
                         else ""))
            elif m.empty_fraction > 0:
                note = "the unfilled tail of the last of 68 words; the paper counts bits (≤ 1 word in 68 = 1.5 pp)"
            report.add(f"{tag} empty", empty, round(100 * m.empty_fraction, 2), Absolute(1.5), "%", note)

    # ----- Table 2 and the mapping ------------------------------------------------------------------------------
    net = resnet32()
    printed_cores = 0
    for label, count, h, cin, cout, kernel, stride, rows, cols, pixel in TABLE2:
        la = _table2_layer(label, h, cin, cout, kernel, stride)
        m = map_layer(la, array)
        printed_cores += count * m.cores
        note = ""
        if label in ("12", "22"):
            real = net.layer(label)
            note = (f"⚠ C_in = {cin} as printed; the layer reads the previous stage's {real.in_channels} channels "
                    f"({real.kernel_rows} rows, {real.pixel_bits(8)}-bit pixels)")
        if label == "23/31":
            note = "printed stride 2; stride 1 keeps 8×8 → 8×8 as printed"
        report.add(f"Table 2 layer {label} rows", rows, la.kernel_rows, Exact(), note=note)
        report.add(f"Table 2 layer {label} columns", cols, la.out_channels, Exact())
        report.add(f"Table 2 layer {label} pixel size", pixel, la.pixel_bits(8), Exact(), "bit")
    mapping = map_network(net, array)
    report.add("IMC cores, Table 2 as printed", 43, printed_cores, Info(),
               note="⚠ counting Table 2 as printed gives 44: layers 22–31 all need 504 rows → 2 cores each")
    report.add("IMC cores, ResNet-32 with consistent channels", 43, mapping.cores, Exact(),
               note="layer 22 reads 28 channels (252 rows, one core); only layers 23–31 split → 43, as the text says")
    report.ordering("cores fit the 8×6 array", "43 ≤ 48", mapping.cores, "<=", 48)
    report.add("network device utilization (Eq. 4)", None, round(mapping.utilization, 4), Info(),
               note="kernel weights / devices of the 43 crossbars")
    mem_first = input_memory_words("IWAP", 3, 32, 3) * 128 / 8 / 1000
    mem_rest = max(input_memory_words("PLIP", la.in_channels, la.in_height, la.kernel) * 128 / 8 / 1000
                   for la in net.layers[1:] if not la.global_pool)
    report.add("Input Memory, layer 1 (IWAP)", 0.28, mem_first, Relative(0.05), "kB",
               note="H·F pixels (section 3.1.2); the paper truncates 0.288")
    report.add("Input Memory, other layers (PLIP, largest)", 1.5, mem_rest, Relative(0.05), "kB",
               note="1.536 kB for every 3×3 layer; the paper truncates")
    report.ordering("Input Memory fits the 8 KB SRAM", "≤ 8 KB", mem_rest * 1000, "<=", 512 * 128 / 8)

    # ----- kernel replication (section 2.2, Figure 6) ----------------------------------------------------------
    l16 = ConvLayerSpec(name="c16", in_height=32, in_width=32, in_channels=16, out_channels=16, padding=1)
    report.add("Figure 6B: rows of 20 replicas, Method 1", 1056, replicated_rows(l16, 20, 1), Exact())
    report.add("Figure 6B: rows of 20 replicas, Method 2 ΔW = 5", 672, replicated_rows(l16, 20, 5), Exact())
    report.add("Eq. 2: A(1) = F²", 9, aspect_ratio_method1(3, 16, 16, 1), Exact())
    report.add("minimum aspect ratio with ΔW = 1 (A at n = 10⁴)", 3, aspect_ratio(l16, 10_000, 1), Rounded(sig=3))
    report.add("aspect ratio, 20 replicas, ΔW = 5", "≈2", round(aspect_ratio(l16, 20, 5), 3), Info(),
               note="Method 2 'tends to decrease very little at around A = 2'")

    # ----- pipeline: normal mode --------------------------------------------------------------------------------
    cfg = PipelineConfig()
    single = simulate(mapping, cfg, batch=1)
    batch = simulate(mapping, cfg, batch=100)
    stepped = simulate(mapping, cfg, batch=1, engine="step")
    report.add("step engine = scan engine, per-timestep curves (1 image)", True,
               bool(torch.equal(stepped.counts, single.counts)), Exact())
    report.add("latency", 1628, single.latency_steps, Relative(0.05), "timesteps",
               note="one timestep per link hop (Figure 2) and per partial-sum merge of layers 23–31")
    report.add("latency at 100 ns", 162.8, single.latency * 1e6, Relative(0.05), "µs",
               note="⚠ the text prints 161.8 µs for 1,628 timesteps")
    report.add("throughput, batch of 100", 9650, batch.throughput, Relative(0.05), "images/s",
               note=f"steady state one image per {batch.steady_interval_steps:.0f} timesteps")
    zero_hop = simulate(mapping, cfg.replace(hop_timesteps=0), batch=1)
    report.add("latency if a pixel is usable in the timestep it is computed", 1628, zero_hop.latency_steps, Info(),
               note="the paper's 1,628 lies between the two readings of 'delivered within one timestep'")
    _, end12 = _span(single, "12")
    report.add("slope of layer 12 (stride 2)", 0.25, _slope(single, "12", *_span(single, "12")), Relative(0.05),
               "pixels/timestep", note="least-squares slope of its curve while active")
    mid = [str(i) for i in range(13, 22)]
    slopes = [_slope(single, n, _span(single, n)[0], end12) for n in mid]
    report.add("slope of layers 13–21 while layer 12 runs", 0.25, sum(slopes) / len(slopes), Relative(0.05),
               "pixels/timestep", note="mean of the least-squares slopes")
    after = [_slope(single, n, end12 + 1, _span(single, n)[1]) for n in mid]
    report.add("slope of layers 13–21 after layer 12 completes", 1.0, sum(after) / len(after), Relative(0.05),
               "pixels/timestep")
    s22 = [_slope(single, n, _span(single, n)[0], end12) for n in ("22", "23")]
    report.add("slope of layers 22–23 while layer 12 runs", 1 / 16, sum(s22) / len(s22), Relative(0.05),
               "pixels/timestep", note="later stage-3 layers start too close to layer 12's end to measure")
    report.add("link bandwidth, Eq. 7", 4.48, link_bandwidth_eq7(net, cfg) / 1e9, Exact(), "Gb/s",
               note="8 bit × 56 channels / 100 ns (the text rounds to 4.5)")
    report.add("most bits any link carried in a timestep (simulated)", 4.48, batch.link_bandwidth() / 1e9, Exact(),
               "Gb/s", note="layers 22–31 and RS2, one 448-bit pixel per timestep")
    report.ordering("every Input Memory ring of H·F pixels suffices (simulated)", "H·F pixels stored",
                    float((batch.max_buffered - batch.ring_capacity()).max()), "<=", 0.0,
                    note=f"most held: {int(batch.max_buffered.max())} pixels (2H + 3 for H = 32)")

    # ----- pipeline: speed-up mode (section 3.1.4) ---------------------------------------------------------------
    paper_rep = speedup_replicas(net, (4, 2, 1))
    tallest = max(replicated_rows(la, paper_rep[la.name]) for la in net.layers if paper_rep[la.name] > 1)
    premise = map_network(net, CoreArray(rows=tallest, columns=256), paper_rep)
    fast_cfg = cfg.replace(input_pixels_per_step=paper_rep["1"])
    fast1 = simulate(premise, fast_cfg, batch=1)
    fast = simulate(premise, fast_cfg, batch=100)
    note = (f"replicated kernels assumed to fit their cores (section 3.1.4), modelled as {tallest}-row crossbars: "
            f"the same {premise.cores} cores as Figure 9")
    report.add("speed-up latency", 526, fast1.latency_steps, Relative(0.05), "timesteps", note=note)
    report.add("speed-up throughput, batch of 100", 38600, fast.throughput, Relative(0.05), "images/s")
    report.add("speed-up factor", 3.1, single.latency_steps / fast1.latency_steps, Relative(0.05))
    fs, fe = _span(fast1, "1")
    report.add("speed-up: slope of layer 1", 4, _slope(fast1, "1", fs, fe), Relative(0.05), "pixels/timestep")
    report.add("speed-up: most bits any link carried in a timestep", 4.48, fast.link_bandwidth() / 1e9, Info(),
               "Gb/s", note="⚠ 4 pixels × 16 ch × 8 bit = 512 bit per timestep: 5.12 Gb/s; the paper's 'same "
                            "bandwidth' holds for 16/32/64 channels, not the pruned 16/28/56")
    real = map_network(net, array, paper_rep)
    real1 = simulate(real, fast_cfg, batch=1)
    report.add("speed-up on 256×256 crossbars: cores", None, real.cores, Info(),
               note="Method 1 replicas need 288 rows (×4, 16 ch) and 336 rows (×2, 28 ch): 19 layers split")
    report.add("speed-up on 256×256 crossbars: latency", 526, real1.latency_steps, Info(), "timesteps",
               note="each split adds a partial-sum timestep")
    report.add("speed-up, zero-timestep hops: latency", 526,
               simulate(premise, fast_cfg.replace(hop_timesteps=0), batch=1).latency_steps, Info(), "timesteps")
    matched_rep = speedup_replicas(net, None, cfg)
    matched = simulate(map_network(net, CoreArray(rows=tallest, columns=256), matched_rep),
                       cfg.replace(input_pixels_per_step=matched_rep["1"], link_bits_per_step=448), batch=100)
    report.add("speed-up within 4.48 Gb/s links (3 / 2 / 1 pixels): throughput", 38600, matched.throughput, Info(),
               "images/s", note=f"⌊448 / (C_out·8)⌋ pixels per timestep; latency {matched.latency_steps} timesteps")

    if not quick:  # the timestep-by-timestep engine on the batch runs (tens of seconds)
        report.add("step engine = scan engine, batch of 100", True,
                   bool(torch.equal(simulate(mapping, cfg, 100, engine="step").counts, batch.counts)), Exact())
        report.add("step engine = scan engine, speed-up batch of 100", True,
                   bool(torch.equal(simulate(premise, fast_cfg, 100, engine="step").counts, fast.counts)), Exact())

    # ----- ledger ----------------------------------------------------------------------------------------------
    per_image = batch.ledger.scaled(1 / batch.batch)
    for kind, label in (("mvm", "crossbar activations"), ("sram_read", "Input Memory words read"),
                        ("sram_write", "Input Memory words written"), ("link_bit", "bits over links")):
        report.add(f"{label} per image", None, round(per_image.count(kind), 1), Info(), note="event ledger")
    report.extra["ledger_per_image"] = per_image.to_dict()
    report.extra["ledger_per_image_speedup"] = fast.ledger.scaled(1 / fast.batch).to_dict()
    report.extra["curves_normal"] = {la.name: single.layer_curve(la.name).tolist() for la in net.layers}
    report.extra["curves_speedup"] = {la.name: fast1.layer_curve(la.name).tolist() for la in net.layers}
    report.extra["layer_spans_normal"] = {la.name: _span(single, la.name) for la in net.layers}
    report.add_figure("activation_curves", _curves_figure(single, fast1))
    report.notes.append("Deterministic: no data set; the network is described by its layer shapes only.")
    report.notes.append("Latency counts timesteps from the first input pixel to the classifier's output, inclusive; "
                        "throughput is batch / (timesteps to classify the whole batch × 100 ns).")
    return report
