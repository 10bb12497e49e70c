"""Reproduction of the performance figures of Kim et al. 2022, 'MONETA: a processing-in-memory-based hardware platform
for the hybrid convolutional spiking neural network with online learning' (Tables 2–3, sections 4.4–4.5).

Throughput, per-layer image rates, weight memory and learning throughput are computed by
``neurofab.systems.moneta_performance`` from the chip description (8 cores × 9 arrays of 128×128 8T-SRAM, 8-bit
weights, 1 GHz, 17-cycle updates) and the ConvSNN of Table 1; efficiency and density divide them by the post-layout
power and area the paper states. All of it is the paper's own arithmetic on its own premises, so the rows are
consistency checks; the two printed values that arithmetic does not give are judged claims, declared. Context rows
drive the learning throughput and efficiency with measured activity (r_out, update and re-run cycles) from a small
PIM-friendly STDP run of ``moneta-learning``'s ConvSNN. Table 2's accuracies are reproduced by ``moneta-learning``.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from neurofab.repro.claims import Arithmetic, Claim, Claims
from neurofab.repro.registry import reproduction
from neurofab.repro.report import Exact, Info, Report, Rounded
from neurofab.systems.moneta_performance import (
    MonetaChipConfig,
    MonetaSystem,
    moneta_convsnn,
    tops_per_mm2,
    tops_per_watt,
)

PAPER = "Kim et al. 2022, MONETA: PIM hybrid convolutional SNN with online learning (Front. Neurosci.)"

#: CONV4's output spike rate, at which the paper quotes learning throughput and power (section 4.4–4.5).
CONV4_OUTPUT_SPIKE_RATE = 0.0028
#: Table 3's power of the hybrid network in learning mode [W] — the one power not derivable from the per-chip ones
#: (the text gives 2 × 303.52 = 607.04 mW for the same two chips).
HYBRID_LEARNING_POWER_TABLE3 = 0.42383

KBIT = 1024  # Table 2 counts 3·3·128·128·8 bit as 1,152 Kb


def _throughput_figure(chip: MonetaChipConfig) -> Figure:
    rates = torch.linspace(0.0, 0.05, 201)
    tops = torch.tensor([chip.learning_throughput(float(r)) / 1e12 for r in rates])
    fig = Figure(figsize=(6.5, 4))
    ax = fig.subplots()
    ax.plot(rates, tops, color="tab:orange", label="learning: peak / (1 + 17·r_out)")
    ax.axhline(chip.peak_throughput / 1e12, color="tab:blue", ls="--", label="inference (peak)")
    r = CONV4_OUTPUT_SPIKE_RATE
    ax.plot([r], [chip.learning_throughput(r) / 1e12], "ko")
    ax.annotate(f"CONV4, r_out = {r}: {chip.learning_throughput(r) / 1e12:.2f} TOPS", (r, chip.learning_throughput(r)
                / 1e12), textcoords="offset points", xytext=(10, -15), fontsize=8)
    ax.set_xlabel("output spike rate r_out (spikes per neuron per time step)")
    ax.set_ylabel("throughput of one chip [TOPS]")
    ax.set_title("MONETA throughput vs output spike rate")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


#: The paper's performance figures. Every one but two is the paper's own arithmetic on its own premises (chip
#: organization, Table 1 shapes, the post-layout powers and areas it states): listed as consistency checks, counted
#: apart from claims. The two where that arithmetic does not give the printed value are judged claims, declared.
_S = "seed 001"
CLAIMS = Claims([
    Claim("tops_inf", "inference throughput", 2.304, f"{_S} l. 5849, 5834", Arithmetic(), tolerance=Exact(),
          unit="TOPS", consistency=True),
    Claim("tops_learn", "learning throughput (CONV4, r_out = 0.0028)", 2.2, f"{_S} l. 5849, 5834", Arithmetic(),
          tolerance=Rounded(sig=2), unit="TOPS", consistency=True),
    Claim("tops_hyb_inf", "hybrid inference throughput", 4.608, f"{_S} l. 5837", Arithmetic(), tolerance=Exact(),
          unit="TOPS", consistency=True),
    Claim("tops_hyb_learn", "hybrid learning throughput", 4.4, f"{_S} l. 5837", Arithmetic(),
          tolerance=Rounded(sig=2), unit="TOPS", consistency=True),
    *[Claim(f"fps_{n}", f"{n} image rate", fps, f"{_S} l. 5851", Arithmetic(), tolerance=Rounded(sig=sig),
            unit="images/s", consistency=True)
      for n, fps, sig in (("CONV1", 13_020, 4), ("CONV2", 2_440, 3), ("CONV3", 9_770, 3), ("CONV4", 19_530, 4))],
    Claim("kb", "required parameters (PIM-friendly STDP)", 1152, f"{_S} l. 5834", Arithmetic(), tolerance=Exact(),
          unit="Kb", consistency=True),
    Claim("kb_hyb", "required parameters (hybrid)", 2304, f"{_S} l. 5837", Arithmetic(), tolerance=Exact(),
          unit="Kb", consistency=True),
    Claim("chips_hyb", "chips for the hybrid network", 2, f"{_S} l. 5855", Arithmetic(), tolerance=Exact(),
          consistency=True),
    Claim("p_hyb_inf", "hybrid inference power", 246.56, f"{_S} l. 5855, 5876", Arithmetic(), tolerance=Exact(),
          unit="mW", consistency=True),
    Claim("p_hyb_learn", "hybrid learning power, 2 chips learning (section 4.5)", 607.04, f"{_S} l. 5855",
          Arithmetic(), tolerance=Exact(), unit="mW", consistency=True),
    Claim("tpw_inf", "TOPS/W, homogeneous inference", 18.69, f"{_S} l. 5603, 5877", Arithmetic(),
          tolerance=Rounded(sig=4), unit="TOPS/W", consistency=True),
    Claim("tpw_learn", "TOPS/W, homogeneous learning", 7.25, f"{_S} l. 5603, 5877", Arithmetic(),
          tolerance=Rounded(sig=3), unit="TOPS/W", consistency=True),
    Claim("tpw_hyb_inf", "TOPS/W, hybrid inference", 18.69, f"{_S} l. 5877", Arithmetic(),
          tolerance=Rounded(sig=4), unit="TOPS/W", consistency=True),
    Claim("tpw_hyb_learn", "TOPS/W, hybrid learning", 10.41, f"{_S} l. 5611, 5877", Arithmetic(),
          tolerance=Rounded(sig=4), unit="TOPS/W",
          deviation="the paper's arithmetic does not give 10.41: its premise (l. 5611: one chip infers, one learns) "
                    "is 4.40 TOPS / (123.28 + 303.52) mW = 10.31 TOPS/W (−1.0 %); Table 3's own 423.83 mW gives "
                    "10.38 (−0.3 %); no printed power gives 10.41", deviation_kind="paper"),
    Claim("tpmm_inf", "TOPS/mm², homogeneous inference", 0.207, f"{_S} l. 5875", Arithmetic(),
          tolerance=Rounded(sig=3), unit="TOPS/mm²", consistency=True),
    Claim("tpmm_learn", "TOPS/mm², homogeneous learning", 0.197, f"{_S} l. 5875", Arithmetic(),
          tolerance=Rounded(sig=3), unit="TOPS/mm²", consistency=True),
    Claim("area_hyb", "hybrid chip area (two chips)", 22.23, f"{_S} l. 5874", Arithmetic(),
          tolerance=Rounded(sig=4), unit="mm²",
          deviation="2 × 11.155 mm² = 22.31 mm², printed 22.23 (−0.36 %); the paper's own hybrid TOPS/mm² "
                    "(0.207 / 0.197, l. 5875) need 22.31 (22.23 would give 0.198 in learning)", deviation_kind="paper"),
    Claim("tpmm_hyb_inf", "TOPS/mm², hybrid inference (over 2 × 11.155 mm²)", 0.207, f"{_S} l. 5875", Arithmetic(),
          tolerance=Rounded(sig=3), unit="TOPS/mm²", consistency=True),
    Claim("tpmm_hyb_learn", "TOPS/mm², hybrid learning (over 2 × 11.155 mm²)", 0.197, f"{_S} l. 5875",
          Arithmetic(), tolerance=Rounded(sig=3), unit="TOPS/mm²", consistency=True),
])


def _measured_learning_rows(report: Report, chip: MonetaChipConfig, seed: int) -> None:
    """Learning throughput and efficiency driven by measured activity: PIM-friendly STDP (schedule (b) with the
    filter-update table) of the moneta-learning quick ConvSNN on 64 digits; r_out from its inference pass, the
    update stalls and the table's re-run pass from the cycles its ledger counted."""
    from neurofab.data import digits
    from neurofab.repro.moneta_learning import quick_config
    from neurofab.systems.moneta_learning import ConvSNN

    cfg = quick_config()
    net = ConvSNN(cfg, seed=seed)
    stats = net.learn_layer(digits(flatten=False, seed=seed).x_train[:64], 0, "pim", generator=seed, batch=64)
    depth, size = cfg.in_channels, cfg.shapes()[1][1]
    inference_cycles = stats.images * cfg.encoder.steps * size * size * depth
    r = stats.output_rate
    measured = chip.peak_throughput * inference_cycles / stats.cycles
    where = "digits ConvSNN CONV1 (16 filters, 4×4 positions), PIM-friendly STDP, 64 images"
    report.add("output spike rate r_out, measured", CONV4_OUTPUT_SPIKE_RATE, r, Info(),
               note=f"{where}; the paper's is CONV4 on CIFAR-10")
    report.add("learning throughput at the measured r_out", 2.2, chip.learning_throughput(r) / 1e12, Info(),
               "TOPS", note="2.304 / (1 + 17 r_out)")
    report.add("learning throughput from the counted cycles", 2.2, measured / 1e12, Info(), "TOPS",
               note=f"peak × inference cycles / all cycles ({stats.cycles / stats.images:,.0f} per image: inference, "
                    f"{stats.updates / stats.images:.0f} updates × 17 and the table's re-run pass)")
    report.add("TOPS/W, learning, at the measured r_out", 7.25,
               tops_per_watt(chip.learning_throughput(r), chip.power("learning")), Info(), "TOPS/W",
               note="over the paper's 303.52 mW (power at CONV4's activity)")
    report.add("TOPS/W, learning, from the counted cycles", 7.25, tops_per_watt(measured, chip.power("learning")),
               Info(), "TOPS/W")
    report.extra["measured_learning"] = {"r_out": r, "cycles_per_image": stats.cycles / stats.images,
                                         "updates_per_image": stats.updates / stats.images,
                                         "ifm_fetches_per_image": stats.ifm_fetches / stats.images}


@reproduction("moneta-performance", paper=PAPER,
              summary="MONETA PIM chip: TOPS, per-layer fps, weight memory, learning throughput, TOPS/W, TOPS/mm²")
def run(quick: bool = True, seed: int = 0) -> Report:
    """The paper's arithmetic, plus context rows driven by a small measured learning run (``seed`` seeds it)."""
    report = Report("moneta-performance", "MONETA throughput, image rates, weight memory and efficiency", PAPER,
                    quick=quick, seed=seed, claims=CLAIMS)
    chip = MonetaChipConfig()
    homo = MonetaSystem(moneta_convsnn(), chip)
    hybrid = MonetaSystem(moneta_convsnn(hybrid=True), chip)
    r = CONV4_OUTPUT_SPIKE_RATE

    report.add("weights per wordline", 16, chip.weights_per_wordline, Info(), note="128 cells / 8-bit weights")
    report.judge("tops_inf", homo.throughput("inference") / 1e12,
                 note="2 × 16 weights × 9 arrays × 8 cores × 1 GHz")
    report.judge("tops_learn", homo.throughput("learning", r) / 1e12, note=f"2.304 / (1 + 17 × {r})")
    report.judge("tops_hyb_inf", hybrid.throughput("inference") / 1e12, note=f"{hybrid.chips} chips")
    report.judge("tops_hyb_learn", hybrid.throughput("learning", r) / 1e12,
                 note="both chips run the same image in lockstep, at the learning rate")
    for name in ("CONV1", "CONV2", "CONV3", "CONV4"):
        la = homo.network.layer(name)
        report.judge(f"fps_{name}", homo.frames_per_second(name),
                     note=f"1 GHz / (100 × {la.out_rows}·{la.out_columns} × {la.in_depth})")
    report.notes.append("Strides are not printed; stride 2 in every layer (32 → 16 → 8 → 4 → 2) is what the printed "
                        "image rates and the classifier input (FC 1×1×512) both require.")
    report.add("classifier inputs, homogeneous (Table 1 FC F_D 512)", 512, homo.network.output_features, Info())
    report.add("classifier inputs, hybrid (Table 1 FC F_D 1,024)", 1024, hybrid.network.output_features, Info())
    report.judge("kb", homo.network.required_parameter_bits / KBIT, note="CONV4: 3·3·128·128 × 8 bit; 1 Kb = 1,024 bit")
    report.judge("kb_hyb", hybrid.network.required_parameter_bits / KBIT)
    report.add("chip synaptic memory", 1152, chip.capacity_bits / KBIT, Info(), "Kb",
               note="8 cores × 9 arrays × 128 × 128 bit: CONV4 fills one chip")
    report.judge("chips_hyb", hybrid.chips)
    first3 = sum(la.parameter_bits for la in homo.network.layers[:3])
    report.add("CONV1–3 weights / chip capacity", "sufficient to map CONV1, 2, 3", first3 / chip.capacity_bits,
               Info(), note="l. 5845: CONV1–3 fit one chip together")

    # ----- Table 3 -------------------------------------------------------------------------------------------
    report.add("chip area, sum of blocks", 11.155, chip.block_area * 1e6, Info(), "mm²",
               note="8 × 1.394 + 0.025 = 11.177 mm²; Table 3's 11.155 (the layout) is used below")
    report.judge("area_hyb", hybrid.area * 1e6)
    report.judge("p_hyb_inf", hybrid.power("inference") * 1e3, note="2 chips × 123.28 mW")
    report.judge("p_hyb_learn", hybrid.power("learning") * 1e3,
                 note="section 4.5's figure; Table 3 prints 423.83 mW for the hybrid learning column")
    cols = [
        ("inf", homo.throughput("inference"), homo.power("inference"), homo.area),
        ("learn", homo.throughput("learning", r), homo.power("learning"), homo.area),
        ("hyb_inf", hybrid.throughput("inference"), hybrid.power("inference"), hybrid.area),
    ]
    for key, ops, power, area in cols:
        report.judge(f"tpw_{key}", tops_per_watt(ops, power), note=f"{ops / 1e12:.4g} TOPS / {power * 1e3:.2f} mW")
        report.judge(f"tpmm_{key}", tops_per_mm2(ops, area), note=f"over {area * 1e6:.3f} mm²")
    ops = hybrid.throughput("learning", r)
    mixed = chip.power("inference") + chip.power("learning")
    report.judge("tpw_hyb_learn", tops_per_watt(ops, mixed),
                 note=f"{ops / 1e12:.4g} TOPS / ({chip.power('inference') * 1e3:.2f} + "
                      f"{chip.power('learning') * 1e3:.2f}) mW: one chip infers, one learns (l. 5611)")
    report.add("TOPS/W, hybrid learning, over Table 3's 423.83 mW", 10.41,
               tops_per_watt(ops, HYBRID_LEARNING_POWER_TABLE3), Info(), "TOPS/W")
    report.add("TOPS/W, hybrid learning, over section 4.5's 607.04 mW", 10.41,
               tops_per_watt(ops, hybrid.power("learning")), Info(), "TOPS/W")
    report.judge("tpmm_hyb_learn", tops_per_mm2(ops, hybrid.area), note=f"over {hybrid.area * 1e6:.3f} mm²")
    _measured_learning_rows(report, chip, seed)

    rates = [0.0, 0.001, r, 0.01, 0.02, 0.05]
    report.extra["learning_throughput_tops_vs_output_spike_rate"] = {
        str(x): chip.learning_throughput(x) / 1e12 for x in rates}
    report.extra["learning_fps_at_conv4_rate"] = {
        la.name: homo.frames_per_second(la.name, r) for la in homo.network.layers}
    report.extra["cycles_per_image"] = {la.name: la.cycles_per_image(chip) for la in homo.network.layers}
    report.add_figure("learning_throughput", _throughput_figure(chip))
    report.notes.append("Powers and areas are the paper's post-layout figures (inputs); every row redoes the paper's "
                        "own arithmetic, so the rows are consistency checks; Table 2's accuracies are not run here.")
    return report
