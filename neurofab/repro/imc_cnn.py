"""Reproduction of Dazzi et al. 2021, 'Accelerating inference of CNNs using in-memory computing'.

Table 1 (activation layouts), the 43-core mapping, and the pipelined dataflow of section 3.1: latency, throughput,
link bandwidth, the per-layer activation curves of Figure 10 and the speed-up mode — every 'ours' computed by the
models of ``neurofab.systems`` from the layer shapes, the 256×256 core and the 100 ns timestep. The speed-up is
judged on the paper's hardware (256×256 crossbars, links sized by Eq. 7); our variant with taller crossbars and wider
links follows as context. Table 2, Eq. 2 and Eq. 7 redo the paper's arithmetic: consistency checks. The energy
evaluation of section 3.2 (10.5 / 16.3 TOPS/W, 1.008 TOPS) comes from the PWM-input crossbar model of
``neurofab.cost.pwm_crossbar``: cells at the paper's 2.5 µS and 0.2 V, the Kull et al. 2017 ADC at its published power
and rate, column regulators, PWM and digital processor from first principles, the core's printed memory, controller
and link power; the array's area (TOPS/mm²) is not stated and stays declared.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from neurofab.cost.pwm_crossbar import KULL2017_AREA, PwmCrossbarConfig, mvm_energy
from neurofab.repro.claims import (
    Arithmetic,
    Claim,
    Claims,
    ModelUncertainty,
    PrintedPrecision,
    Qualitative,
    RunSpread,
)
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


_S = "seed 001"
_ENERGY_REL = 0.5
_ENERGY_RULE = ModelUncertainty(
    why="the paper states G = 2.5 µS, 0.2 V, 8-bit signed PWM inputs and the Kull et al. ADC but not the column "
        "regulators' bias, the PWM step or the inputs' mean |x|: a class-A regulator biased at the column's full-scale "
        "current (ours) is the upper end of a linear stage, half of it is as defensible (a factor 2 on the largest "
        "part); the MVM window is the 100-ns timestep (l. 2790) or the 130 ns its 1.008 TOPS implies (×1.3 on the "
        "time-proportional parts); mean |x| between 0 and full scale moves the cells and the PWM counters by ±15 %; "
        "the digital energies are raw (upper bounds). together ±50 % on the efficiency",
    rel=_ENERGY_REL)
#: Inputs: mean |x| in PWM steps. No trained ResNet-32 runs here; the run assumes codes spread evenly over the
#: 8-bit signed magnitude range (mean |x| = 2^7 / 2) and shows both ends.
MEAN_ABS_CODE = 64.0
#: The rest of the core at its printed power: Input Memory + Dataflow Controller (Table 3: 10.544 mW) and the
#: links (0.775 mW), seed 001 l. 2812 and l. 2819.
CORE_POWER = 10.544e-3 + 0.775e-3

CLAIMS = Claims([
    Claim("t1_cycles", "Table 1 read and write cycles equal to the printed (of 18 cells)", 18, f"{_S} l. 2620",
          Arithmetic(), tolerance=Exact()),
    Claim("t1_memory", "Table 1 memory equal to the printed kB at 3 d.p. (of 9 cells)", 9, f"{_S} l. 2620",
          Arithmetic(), tolerance=Exact(),
          deviation="8 of 9 equal, counting the memory the data spans (first bit to the end of the last pixel, "
                    "l. 2584, 2592, 2600); KLIP at WL = 160 is 7 rows of 9 words of 160 bit + 1,344 bit = 11,424 "
                    "bit = 1.428 kB, printed 1.427 (one byte less): the table's own 5.9 % empty needs 1.428 "
                    "(1 − 1.344 / 1.427 = 5.8 %)", deviation_kind="paper"),
    Claim("t1_empty", "Table 1 % empty equal to the printed at its digits (of 9 cells)", 9, f"{_S} l. 2620",
          Arithmetic(), tolerance=Exact(),
          deviation="8 of 9 equal (1 − IWAP / spanned memory); PLIP at N = 3: ours 81.1, printed 82.1, while the "
                    "table's own 1.523 kB (which we reproduce) gives 1 − 0.288 / 1.523 = 81.1 %: the printed 82.1 "
                    "does not follow from its own memory", deviation_kind="paper"),
    Claim("cores", "IMC cores for ResNet-32", 43, f"{_S} l. 2772", Arithmetic(), tolerance=Exact()),
    Claim("mem_l1", "Input Memory, layer 1 (IWAP)", 0.28, f"{_S} l. 2779", PrintedPrecision(decimals=2),
          tolerance=Rounded(decimals=2), unit="kB",
          deviation="H·F pixels of 24 bit = 0.288 kB (Table 1 prints 0.288 too): the text truncates to 0.28",
          deviation_kind="paper"),
    Claim("mem_rest", "Input Memory, other layers (PLIP, largest)", 1.5, f"{_S} l. 2779",
          PrintedPrecision(decimals=1), tolerance=Rounded(decimals=1), unit="kB"),
    Claim("latency", "latency, one image", 1628, f"{_S} l. 2790", PrintedPrecision(sig=4), tolerance=Rounded(sig=4),
          unit="timesteps",
          deviation="ours 1,661 (+33, +2.0 %) with a pixel used the timestep after it is computed, as the text "
                    "states (l. 2504: 'timestep t0 concludes with the delivery'; Algorithm 1 stores arrivals, then "
                    "computes); the residual route does not matter (1 or 2 link hops: 1,661), merging partial sums in "
                    "the timestep they are computed removes 9 (1,652); the other 24 follow from no timing the paper "
                    "states (pixels usable in the timestep they are computed, against l. 2504, give 1,621)"),
    Claim("throughput", "throughput, batch of 100", 9650, f"{_S} l. 2790", PrintedPrecision(sig=3),
          tolerance=Rounded(sig=3), unit="images/s",
          deviation="ours: 1,661 + 99 × 1,024 timesteps (one image per 1,024 first-layer pixels) = 9,705 /s "
                    "(+0.6 %); the paper's 9,650 /s is 590 timesteps more per batch, which it does not break down"),
    Claim("slope_12", "slope of layer 12 (stride 2)", 0.25, f"{_S} l. 2788",
          RunSpread(2, "staircase resolution: one pixel over the fitted window"), tolerance=Absolute(0.0),
          unit="pixels/timestep"),
    Claim("slope_13_21", "slope of layers 13–21 while layer 12 runs", 0.25, f"{_S} l. 2788",
          RunSpread(2, "staircase resolution: one pixel over the fitted window"), tolerance=Absolute(0.0),
          unit="pixels/timestep"),
    Claim("slope_13_21_after", "slope of layers 13–21 after layer 12 completes", 1.0, f"{_S} l. 2788",
          RunSpread(2, "staircase resolution: one pixel over the fitted window"), tolerance=Absolute(0.0),
          unit="pixels/timestep"),
    Claim("slope_22", "slope of layers 22–23 while layer 12 runs", 1 / 16, f"{_S} l. 2788",
          RunSpread(2, "staircase resolution: one pixel over the fitted window"), tolerance=Absolute(0.0),
          unit="pixels/timestep"),
    Claim("link_max", "most bits any link carried in a timestep (simulated)", 4.5, f"{_S} l. 2802",
          PrintedPrecision(sig=2), tolerance=Rounded(sig=2), unit="Gb/s"),
    Claim("ring", "every Input Memory ring of H·F pixels suffices (simulated)", "H·F pixels stored",
          f"{_S} l. 2779", Qualitative(), order="<=", unit="pixels"),
    Claim("su_latency", "speed-up latency on the paper's hardware (256×256 crossbars, 4.48 Gb/s links)", 526,
          f"{_S} l. 2802", PrintedPrecision(sig=3), tolerance=Rounded(sig=3), unit="timesteps",
          deviation="ours 669 (+27 %): on 256×256 crossbars the replicas need up to 336 rows and split (a "
                    "partial-sum timestep each), and 4.48 Gb/s links carry 3 pixels of 16 channels, not 4: the "
                    "paper's 'same bandwidth' holds for 16/32/64 channels, not its pruned 16/28/56 (4 × 16 × 8 bit = "
                    "5.12 Gb/s); see the rows that follow for each premise alone"),
    Claim("su_throughput", "speed-up throughput, batch of 100, on the paper's hardware", 38600, f"{_S} l. 2802",
          PrintedPrecision(sig=3), tolerance=Rounded(sig=3), unit="images/s",
          deviation="ours 29,018 /s (−25 %): the first layer delivers 3 pixels per timestep within 4.48 Gb/s links, "
                    "not 4, and throughput follows the first layer; with 5.12 Gb/s links and 336-row crossbars it is "
                    "38,626 /s"),
    Claim("su_factor", "speed-up factor (latency ratio) on the paper's hardware", 3.1, f"{_S} l. 2802",
          PrintedPrecision(sig=2), tolerance=Rounded(sig=2),
          deviation="ours 1,661 / 669 = 2.5: follows the two latencies above"),
    Claim("tpw_256", "energy efficiency, 256×256 crossbars (14 nm)", 10.5, f"{_S} l. 2832", _ENERGY_RULE,
          tolerance=Relative(_ENERGY_REL), unit="TOPS/W"),
    Claim("tpw_512", "energy efficiency, 512×512 crossbars (14 nm)", 16.3, f"{_S} l. 2832", _ENERGY_RULE,
          tolerance=Relative(_ENERGY_REL), unit="TOPS/W"),
    Claim("tops", "operations per second of the PCM array", 1.008, f"{_S} l. 2832", PrintedPrecision(sig=4),
          tolerance=Rounded(sig=4), unit="TOPS",
          deviation="ours 2 × 256² operations per 100-ns timestep = 1.311 TOPS (+30 %): the paper's 1.008 TOPS is "
                    "one MVM per 130 ns, 30 % longer than the timestep its dataflow and latency assume (l. 2790); "
                    "it does not state the PWM step that would set it", deviation_kind="paper"),
    Claim("tops_mm2", "performance density of the PCM array", 1.59, f"{_S} l. 2832", PrintedPrecision(sig=3),
          tolerance=Rounded(sig=3), unit="TOPS/mm²",
          deviation="not computed: needs the PCM array's area (cells, regulators, PWM), which the paper does not "
                    "state; its 256 ADCs alone (Kull et al. 2017: 0.0016 mm² each) take 0.41 mm², so ≤ 2.46 TOPS/mm² "
                    "at its own 1.008 TOPS (row below)", deviation_kind="inputs"),
    Claim("t4_total", "Table 4 total power of the Dataflow Controller and Input Memory", 10.54, f"{_S} l. 2830",
          Arithmetic(), tolerance=Rounded(decimals=2), unit="mW", consistency=True),
])


def _nan() -> float:
    return float("nan")


def _energy_rows(report: Report, mvms_per_image: float) -> None:
    """Section 3.2: the PWM-input crossbar model (neurofab.cost.pwm_crossbar) at 256×256 and 512×512."""
    cfg = PwmCrossbarConfig(core_power=CORE_POWER)
    e256 = mvm_energy(cfg, MEAN_ABS_CODE)
    e512 = mvm_energy(cfg.replace(rows=512, columns=512), MEAN_ABS_CODE)
    split = " / ".join(f"{k} {100 * e256.share(k):.0f} %" for k in e256.parts)
    report.judge("tpw_256", e256.tops_per_watt,
                 note=f"{e256.total * 1e9:.2f} nJ per MVM of 2 × 256² ops: {split}; mean |x| = {MEAN_ABS_CODE:g}")
    split = " / ".join(f"{k} {100 * e512.share(k):.0f} %" for k in e512.parts)
    report.judge("tpw_512", e512.tops_per_watt,
                 note=f"{e512.total * 1e9:.2f} nJ per MVM of 2 × 512² ops: {split}")
    report.add("energy-efficiency gain 512×512 / 256×256", round(16.3 / 10.5, 3),
               e512.tops_per_watt / e256.tops_per_watt, Info(),
               note="cells and regulators grow with rows × columns (×4), ADCs, PWM rows and the digital processor "
                    "×2, the core's memory and links ×1; the paper's 1.55 needs ≥ 29 % of the 256×256 energy to "
                    "scale ×4 and the rest ×2")
    for label, m in (("inputs all zero", 0.0), (f"inputs all at full scale ({cfg.max_code})", float(cfg.max_code))):
        report.add(f"energy efficiency 256×256, {label}", 10.5, mvm_energy(cfg, m).tops_per_watt, Info(), "TOPS/W")
    slow = cfg.replace(mvm_period=130e-9)
    report.add("energy efficiency 256×256, one MVM per 130 ns (the period 1.008 TOPS implies)", 10.5,
               mvm_energy(slow, MEAN_ABS_CODE).tops_per_watt, Info(), "TOPS/W")
    report.add("energy efficiency 256×256, regulators biased at half the column's full-scale current", 10.5,
               mvm_energy(cfg.replace(regulator_bias=0.5), MEAN_ABS_CODE).tops_per_watt, Info(), "TOPS/W")
    report.add("energy efficiency 256×256, without the core's memory, controller and links", 10.5,
               mvm_energy(cfg.replace(core_power=0.0), MEAN_ABS_CODE).tops_per_watt, Info(), "TOPS/W")
    report.add("ADC energy per conversion (Kull et al. 2017: 6.92 mW at 1.5 GS/s)", None,
               cfg.adc_power / cfg.adc_rate * 1e12, Info(), "pJ")
    report.judge("tops", cfg.ops_per_second / 1e12, note="2 × 256 × 256 operations per 100-ns timestep")
    report.judge("tops_mm2", _nan())
    adc_area = cfg.columns * KULL2017_AREA * 1e6
    report.add("ADC area of one array, 256 × 0.0016 mm²; bound on TOPS/mm² at the paper's 1.008 TOPS", 1.59,
               f"{adc_area:.3f} mm²; ≤ {1.008 / adc_area:.2f}", Info())
    report.add("crossbar energy per image (ledger MVMs × the 256×256 MVM energy)", None,
               mvms_per_image * e256.total * 1e6, Info(), "µJ",
               note=f"{mvms_per_image:.0f} MVMs per image from the pipeline's event ledger")
    report.extra["mvm_energy_256"] = e256.parts
    report.extra["mvm_energy_512"] = e512.parts


@reproduction("imc-cnn", paper=PAPER,
              summary="IMC CNN pipeline: Table 1 layouts, Table 2 mapping, ResNet-32 latency/throughput/speed-up")
def run(quick: bool = True, seed: int = 0) -> Report:
    """Everything here is deterministic; ``seed`` is unused. ``quick=False`` also cross-checks the batch runs with
    the timestep-by-timestep engine."""
    report = Report("imc-cnn", "IMC CNN inference: weight/activation mapping and pipelined dataflow", PAPER,
                    quick=quick, seed=seed, claims=CLAIMS)
    array = CoreArray(rows=256, columns=256)

    # ----- Table 1: activation layouts ------------------------------------------------------------------------
    cycles_equal = memory_equal = empty_equal = 0
    # Other memory counts tried (kB of 1,000 or 1,024 bytes; whole words or the spanned bits): cells equal
    tried = {("whole words", 1000): 0, ("whole words", 1024): 0, ("spanned bits", 1024): 0}
    for (n, h, wl), printed in TABLE1.items():
        for layout in LAYOUTS:
            m = layout_metrics(layout, n, h, kernel=3, word_bits=wl)
            mem, empty, reads, writes = printed[layout]
            cycles_equal += (_cycles_text(m.read_cycle_values) == reads) \
                + (_cycles_text(m.write_cycle_values) == writes)
            memory_equal += round(m.extent_kb, 3) == mem
            digits = 1 if empty != int(empty) else 0
            empty_equal += round(100 * m.extent_empty_fraction, digits) == empty
            for count, kb in tried:
                bits = m.memory_bits if count == "whole words" else m.extent_bits
                tried[count, kb] += round(bits / 8 / kb, 3) == mem
            report.add(f"Table 1 N={n} H={h} WL={wl} {layout}: memory / % empty / reads / writes",
                       f"{mem} / {empty} / {reads} / {writes}",
                       f"{m.extent_kb:.3f} / {100 * m.extent_empty_fraction:.2f} / "
                       f"{_cycles_text(m.read_cycle_values)} / {_cycles_text(m.write_cycle_values)}", Info(),
                       note=f"in whole words: {m.memory_kb:.3f} kB, {100 * m.empty_fraction:.2f} % empty")
    report.add("Table 1 memory cells equal under other counts (whole words; 1 kB = 1,024 B)", None,
               "; ".join(f"{c}, {kb} B/kB: {v} of 9" for (c, kb), v in tried.items()), Info(),
               note="the judged count (spanned bits, 1 kB = 1,000 B) gives 8 of 9")
    for (n, h, wl), layout in (((56, 8, 160), "KLIP"), ((3, 32, 128), "PLIP")):
        iwap, mem, empty = TABLE1[n, h, wl]["IWAP"][0], *TABLE1[n, h, wl][layout][:2]
        report.add(f"Table 1 N={n} WL={wl} {layout}: % empty from its own printed memory (1 − IWAP / memory)",
                   empty, round(100 * (1 - iwap / mem), 2), Info(),
                   note=f"1 − {iwap} / {mem}: the table's two columns disagree in this cell")
    report.judge("t1_cycles", cycles_equal)
    report.judge("t1_memory", memory_equal)
    report.judge("t1_empty", empty_equal)

    # ----- Table 2 and the mapping ------------------------------------------------------------------------------
    net = resnet32()
    printed_cores = 0
    for label, count, h, cin, cout, kernel, stride, rows, _cols, pixel in TABLE2:
        la = _table2_layer(label, h, cin, cout, kernel, stride)
        printed_cores += count * map_layer(la, array).cores
        note = "printed stride 2; stride 1 keeps 8×8 → 8×8 as printed" if label == "23/31" else ""
        report.consistency(f"Table 2 layer {label} rows F²·C_in", rows, la.kernel_rows, Exact(), f"{_S} l. 2757",
                           note=note)
        report.consistency(f"Table 2 layer {label} pixel size 8·C_in", pixel, la.pixel_bits(8), Exact(),
                           f"{_S} l. 2757", "bit")
    mapping = map_network(net, array)
    report.add("IMC cores, Table 2 as printed", 43, printed_cores, Info(),
               note="⚠ counting Table 2 as printed gives 44: layers 22–31 all need 504 rows → 2 cores each")
    report.judge("cores", mapping.cores,
                 note="layer 22 reads 28 channels (252 rows, one core); only layers 23–31 split → 43; fits the 8×6 "
                      "array")
    report.add("network device utilization (Eq. 4)", None, round(mapping.utilization, 4), Info(),
               note="kernel weights / devices of the 43 crossbars")
    mem_first = input_memory_words("IWAP", 3, 32, 3) * 128 / 8 / 1000
    mem_rest = max(input_memory_words("PLIP", la.in_channels, la.in_height, la.kernel) * 128 / 8 / 1000
                   for la in net.layers[1:] if not la.global_pool)
    report.judge("mem_l1", mem_first, note="H·F pixels (section 3.1.2)")
    report.judge("mem_rest", mem_rest, note=f"1.536 kB for every 3×3 layer; the 8 KB SRAM holds it "
                                            f"({mem_rest * 1000 <= 512 * 128 / 8})")

    # ----- kernel replication (section 2.2, Figure 6): the paper's formulas on its own inputs ---------------------
    l16 = ConvLayerSpec(name="c16", in_height=32, in_width=32, in_channels=16, out_channels=16, padding=1)
    report.consistency("Figure 6B: rows of 20 replicas, Method 1", 1056, replicated_rows(l16, 20, 1), Exact(),
                       f"{_S} l. 2540")
    report.consistency("Figure 6B: rows of 20 replicas, Method 2 ΔW = 5", 672, replicated_rows(l16, 20, 5), Exact(),
                       f"{_S} l. 2540")
    report.consistency("Eq. 2: A(1) = F²", 9, aspect_ratio_method1(3, 16, 16, 1), Exact(), f"{_S} l. 2540")
    report.consistency("minimum aspect ratio with ΔW = 1 (A at n = 10⁴)", 3, aspect_ratio(l16, 10_000, 1),
                       Rounded(sig=3), f"{_S} l. 2540")
    report.add("aspect ratio, 20 replicas, ΔW = 5", "≈2", round(aspect_ratio(l16, 20, 5), 3), Info(),
               note="Method 2 'tends to decrease very little at around A = 2'")

    # ----- pipeline: normal mode --------------------------------------------------------------------------------
    cfg = PipelineConfig()
    single = simulate(mapping, cfg, batch=1)
    batch = simulate(mapping, cfg, batch=100)
    stepped = simulate(mapping, cfg, batch=1, engine="step")
    report.add("step engine = scan engine, per-timestep curves (1 image)", True,
               bool(torch.equal(stepped.counts, single.counts)), Info())
    zero_hop = simulate(mapping, cfg.replace(hop_timesteps=0), batch=1)
    report.judge("latency", single.latency_steps,
                 note=f"one timestep per link hop and per partial-sum merge; zero-timestep hops: "
                      f"{zero_hop.latency_steps}")
    one_link = net.replace(layers=tuple(la.replace(residual_hops=1) for la in net.layers))
    report.add("latency, identity shortcuts over one link hop (not two)", 1628,
               simulate(map_network(one_link, array), cfg, batch=1).latency_steps, Info(), "timesteps",
               note="the residual route does not set the latency")
    report.add("latency at 100 ns", 161.8, single.latency * 1e6, Info(), "µs",
               note="⚠ the text prints 161.8 µs for its 1,628 timesteps (= 162.8 µs)")
    report.judge("throughput", batch.throughput,
                 note=f"steady state one image per {batch.steady_interval_steps:.0f} timesteps")
    s12 = _span(single, "12")
    end12 = s12[1]
    report.judge("slope_12", _slope(single, "12", *s12), spread=1 / (s12[1] - s12[0]),
                 note="least-squares slope of its curve while active")
    mid = [str(i) for i in range(13, 22)]
    windows = [(_span(single, n)[0], end12) for n in mid]
    report.judge("slope_13_21", sum(_slope(single, n, *w) for n, w in zip(mid, windows)) / len(mid),
                 spread=sum(1 / (t1 - t0) for t0, t1 in windows) / len(windows),
                 note="mean of the least-squares slopes")
    windows = [(end12 + 1, _span(single, n)[1]) for n in mid]
    report.judge("slope_13_21_after", sum(_slope(single, n, *w) for n, w in zip(mid, windows)) / len(mid),
                 spread=sum(1 / (t1 - t0) for t0, t1 in windows) / len(windows))
    windows = [(_span(single, n)[0], end12) for n in ("22", "23")]
    report.judge("slope_22", sum(_slope(single, n, *w) for n, w in zip(("22", "23"), windows)) / 2,
                 spread=sum(1 / (t1 - t0) for t0, t1 in windows) / len(windows),
                 note="later stage-3 layers start too close to layer 12's end to measure")
    report.consistency("link bandwidth, Eq. 7 (8 bit × 56 channels / 100 ns)", 4.5, link_bandwidth_eq7(net, cfg) / 1e9,
                       Rounded(sig=2), f"{_S} l. 2802", "Gb/s")
    report.judge("link_max", batch.link_bandwidth() / 1e9, note="layers 22–31 and RS2, one 448-bit pixel per timestep")
    report.judge("ring", lhs=float((batch.max_buffered - batch.ring_capacity()).max()), rhs=0.0,
                 note=f"most pixels held beyond a core's ring of H·F; most held anywhere: "
                      f"{int(batch.max_buffered.max())} pixels (2H + 3 for H = 32)")

    # ----- pipeline: speed-up mode (section 3.1.4) on the paper's hardware ----------------------------------------
    link_bits = round(link_bandwidth_eq7(net, cfg) * cfg.timestep)  # 448 bit per timestep: 4.48 Gb/s
    hw_rep = speedup_replicas(net, None, cfg)  # as many pixels per timestep as 448-bit links carry: 3 / 2 / 1
    hw_cfg = cfg.replace(input_pixels_per_step=hw_rep["1"], link_bits_per_step=link_bits)
    hw_map = map_network(net, array, hw_rep)
    hw1 = simulate(hw_map, hw_cfg, batch=1)
    hw = simulate(hw_map, hw_cfg, batch=100)
    report.judge("su_latency", hw1.latency_steps,
                 note=f"{hw_rep['1']} / {hw_rep.get('12', 1)} / 1 pixels per timestep, {hw_map.cores} cores")
    report.judge("su_throughput", hw.throughput)
    report.judge("su_factor", single.latency_steps / hw1.latency_steps)

    paper_rep = speedup_replicas(net, (4, 2, 1))
    tallest = max(replicated_rows(la, paper_rep[la.name]) for la in net.layers if paper_rep[la.name] > 1)
    premise = map_network(net, CoreArray(rows=tallest, columns=256), paper_rep)
    fast_cfg = cfg.replace(input_pixels_per_step=paper_rep["1"])
    fast1 = simulate(premise, fast_cfg, batch=1)
    fast = simulate(premise, fast_cfg, batch=100)
    note = (f"our variant: 4 / 2 / 1 pixels, replicated kernels on {tallest}-row crossbars (the same "
            f"{premise.cores} cores as Figure 9), links as wide as needed")
    report.add("speed-up latency, our variant", 526, fast1.latency_steps, Info(), "timesteps", note)
    report.add("speed-up throughput, our variant", 38600, fast.throughput, Info(), "images/s")
    report.add("speed-up factor, our variant", 3.1, single.latency_steps / fast1.latency_steps, Info())
    fs, fe = _span(fast1, "1")
    report.add("speed-up, our variant: slope of layer 1", 4, _slope(fast1, "1", fs, fe), Info(), "pixels/timestep")
    report.add("speed-up, our variant: most bits any link carried in a timestep", 4.48, fast.link_bandwidth() / 1e9,
               Info(), "Gb/s", note="4 pixels × 16 ch × 8 bit = 512 bit per timestep")
    real = map_network(net, array, paper_rep)
    report.add("speed-up 4 / 2 / 1 on 256×256 crossbars, links as wide as needed: cores / latency", "— / 526",
               f"{real.cores} / {simulate(real, fast_cfg, batch=1).latency_steps}", Info(),
               note="Method 1 replicas need 288 rows (×4, 16 ch) and 336 rows (×2, 28 ch): 19 layers split")

    if not quick:  # the timestep-by-timestep engine on the batch runs (tens of seconds)
        report.add("step engine = scan engine, batch of 100", True,
                   bool(torch.equal(simulate(mapping, cfg, 100, engine="step").counts, batch.counts)), Info())
        report.add("step engine = scan engine, speed-up batch of 100", True,
                   bool(torch.equal(simulate(premise, fast_cfg, 100, engine="step").counts, fast.counts)), Info())

    # ----- energy (section 3.2, Tables 3–4) -----------------------------------------------------------------------
    report.judge("t4_total", 4.455 + 2.604 + 2.225 + 1.261, note="sequential + SRAM + combinational + clock")
    per_image = batch.ledger.scaled(1 / batch.batch)
    _energy_rows(report, per_image.count("mvm"))

    # ----- ledger ----------------------------------------------------------------------------------------------
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
