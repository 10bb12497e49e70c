"""Reproduction of the performance figures of Kim et al. 2022, 'MONETA: a processing-in-memory-based hardware platform
for the hybrid convolutional spiking neural network with online learning' (Tables 2–3, sections 4.4–4.5).

Throughput, per-layer image rates, weight memory and learning throughput are computed by
``neurofab.systems.moneta_performance`` from the chip description (8 cores × 9 arrays of 128×128 8T-SRAM, 8-bit
weights, 1 GHz, 17-cycle updates) and the ConvSNN of Table 1; efficiency and density divide them by the post-layout
power and area the paper states.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from neurofab.repro.registry import reproduction
from neurofab.repro.report import Exact, Info, Relative, Report, Rounded
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


@reproduction("moneta-performance", paper=PAPER,
              summary="MONETA PIM chip: TOPS, per-layer fps, weight memory, learning throughput, TOPS/W, TOPS/mm²")
def run(quick: bool = True, seed: int = 0) -> Report:
    """Arithmetic only: ``quick`` and ``seed`` change nothing."""
    report = Report("moneta-performance", "MONETA throughput, image rates, weight memory and efficiency", PAPER)
    chip = MonetaChipConfig()
    homo = MonetaSystem(moneta_convsnn(), chip)
    hybrid = MonetaSystem(moneta_convsnn(hybrid=True), chip)
    r = CONV4_OUTPUT_SPIKE_RATE

    report.add("weights per wordline", 16, chip.weights_per_wordline, Exact(), note="128 cells / 8-bit weights")
    report.add("inference throughput", 2.304, homo.throughput("inference") / 1e12, Exact(), "TOPS",
               note="2 × 16 weights × 9 arrays × 8 cores × 1 GHz")
    report.add("learning throughput (CONV4)", 2.2, homo.throughput("learning", r) / 1e12, Rounded(sig=2), "TOPS",
               note=f"2.304 / (1 + 17 × {r})")
    report.add("hybrid inference throughput", 4.608, hybrid.throughput("inference") / 1e12, Exact(), "TOPS",
               note=f"{hybrid.chips} chips")
    report.add("hybrid learning throughput", 4.4, hybrid.throughput("learning", r) / 1e12, Rounded(sig=2), "TOPS",
               note="both chips run the same image in lockstep, at the learning rate")

    printed_fps = {"CONV1": (13_020, 4), "CONV2": (2_440, 3), "CONV3": (9_770, 3), "CONV4": (19_530, 4)}
    for name, (fps, digits) in printed_fps.items():
        la = homo.network.layer(name)
        report.add(f"{name} image rate", fps, homo.frames_per_second(name), Rounded(sig=digits), "images/s",
                   note=f"1 GHz / (100 × {la.out_rows}·{la.out_columns} × {la.in_depth})")
    report.notes.append("Strides are not printed; stride 2 in every layer (32 → 16 → 8 → 4 → 2) is what the printed "
                        "image rates and the classifier input (FC 1×1×512) both require.")
    report.add("classifier inputs, homogeneous", 512, homo.network.output_features, Exact(), note="Table 1 FC F_D")
    report.add("classifier inputs, hybrid", 1024, hybrid.network.output_features, Exact(), note="Table 1 FC F_D")

    report.add("required parameters (PIM-friendly STDP)", 1152, homo.network.required_parameter_bits / KBIT,
               Exact(), "Kb", note="CONV4: 3·3·128·128 × 8 bit; 1 Kb = 1,024 bit")
    report.add("required parameters (hybrid)", 2304, hybrid.network.required_parameter_bits / KBIT, Exact(), "Kb")
    report.add("chip synaptic memory", 1152, chip.capacity_bits / KBIT, Exact(), "Kb",
               note="8 cores × 9 arrays × 128 × 128 bit: CONV4 fills one chip")
    report.add("chips for the hybrid network", 2, hybrid.chips, Exact())
    first3 = sum(la.parameter_bits for la in homo.network.layers[:3])
    report.ordering("CONV1–3 fit the chip together", "sufficient to map CONV1, 2, 3", first3, "<=",
                    chip.capacity_bits, unit="bit")

    # ----- Table 3 -------------------------------------------------------------------------------------------
    report.add("chip area, sum of blocks", 11.155, chip.block_area * 1e6, Info(), "mm²",
               note="8 × 1.394 + 0.025 = 11.177 mm²; Table 3's 11.155 (the layout) is used below")
    report.add("hybrid area", 22.23, hybrid.area * 1e6, Relative(0.005), "mm²",
               note="⚠ 2 × 11.155 = 22.31; Table 3 prints 22.23, but its own hybrid TOPS/mm² need 22.31 "
                    "(22.23 would give 0.198 in learning)")
    report.add("hybrid inference power", 246.56, hybrid.power("inference") * 1e3, Exact(), "mW",
               note="2 chips × 123.28 mW")
    report.add("hybrid learning power, 2 chips learning", 607.04, hybrid.power("learning") * 1e3, Exact(), "mW",
               note="section 4.5's figure; ⚠ Table 3 prints 423.83 mW for the same mode (used for TOPS/W below)")
    # (column, throughput [op/s], power [W], area [m²], printed TOPS/W and its significant digits, TOPS/mm²)
    cols = [
        ("homogeneous inference", homo.throughput("inference"), homo.power("inference"), homo.area, 18.69, 4, 0.207),
        ("homogeneous learning", homo.throughput("learning", r), homo.power("learning"), homo.area, 7.25, 3, 0.197),
        ("hybrid inference", hybrid.throughput("inference"), hybrid.power("inference"), hybrid.area, 18.69, 4,
         0.207),
        ("hybrid learning", hybrid.throughput("learning", r), HYBRID_LEARNING_POWER_TABLE3, hybrid.area, 10.41, 4,
         0.197),
    ]
    for label, ops, power, area, paper_w, digits, paper_mm2 in cols:
        efficiency = tops_per_watt(ops, power)
        if label == "hybrid learning":
            mixed = chip.power("inference") + chip.power("learning")
            report.add(f"TOPS/W, {label}", paper_w, efficiency, Relative(0.005), "TOPS/W",
                       note=f"⚠ {ops / 1e12:.4g} TOPS / {power * 1e3:.2f} mW (Table 3) = {efficiency:.2f}; no printed "
                            f"power gives 10.41 (1 inference + 1 learning chip, {mixed * 1e3:.2f} mW: "
                            f"{tops_per_watt(ops, mixed):.2f}; {hybrid.power('learning') * 1e3:.2f} mW: "
                            f"{tops_per_watt(ops, hybrid.power('learning')):.2f})")
        else:
            report.add(f"TOPS/W, {label}", paper_w, efficiency, Rounded(sig=digits), "TOPS/W",
                       note=f"{ops / 1e12:.4g} TOPS / {power * 1e3:.2f} mW")
        report.add(f"TOPS/mm², {label}", paper_mm2, tops_per_mm2(ops, area), Rounded(sig=3), "TOPS/mm²",
                   note=f"over {area * 1e6:.3f} mm²")

    rates = [0.0, 0.001, r, 0.01, 0.02, 0.05]
    report.extra["learning_throughput_tops_vs_output_spike_rate"] = {
        str(x): chip.learning_throughput(x) / 1e12 for x in rates}
    report.extra["learning_fps_at_conv4_rate"] = {
        la.name: homo.frames_per_second(la.name, r) for la in homo.network.layers}
    report.extra["cycles_per_image"] = {la.name: la.cycles_per_image(chip) for la in homo.network.layers}
    report.add_figure("learning_throughput", _throughput_figure(chip))
    report.notes.append("Powers and areas are the paper's post-layout figures (inputs); the rest is computed.")
    return report
