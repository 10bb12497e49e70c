"""Reproduction of the device models of Liu, Yu, Chai 2020, 'Low-power computing with neuromorphic engineering'
(seed 003): the RRAM gap model (Eqs. 1–2) driven by voltage, its pinched I–V loop and switching times, the three
potentiation pulse schemes of Fig. 3 ordered by nonlinearity, and the review's quoted device and system figures.

The RRAM model's unprinted parameters come from the Stanford RRAM model (docs/devices.md); the pulse schemes run on
a VTEAM device (Wang et al. Table 1 parameters) standing in for the review's TaOx/TiO2 RRAM, whose model the review
does not give. The review's network models (LIF, STDP, the binarized CNN) are not reproduced here.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from neurofab.devices import VTEAM, RRAMGap, SineSweep, simulate
from neurofab.devices.pulse_response import nonlinearity, potentiation_schemes
from neurofab.devices.review_figures import review_figures
from neurofab.repro.claims import Claim, Claims, Qualitative
from neurofab.repro.registry import reproduction
from neurofab.repro.report import Info, Report, Within

PAPER = "Liu, Yu, Chai 2020, Low-power computing with neuromorphic engineering (Adv. Intell. Syst.)"
FREQS = (1e4, 1e6, 1e8)  # Hz, sine amplitude 1.2 V
SWEEP_V = 1.2

CLAIMS = Claims([
    Claim("iv_pinched", "RRAM I–V loop passes through the origin (|I| at V = 0)", 0.0, "seed 003 l. 79, Eq. 1",
          Qualitative(why="sinh(0) = 0: the loop is pinched"), tolerance=Within(None, 1e-15), unit="A"),
    Claim("lobes_shrink_low", "lobe area at 10 kHz > at 1 MHz", "depends on the duration of the stimuli",
          "seed 003 l. 81", Qualitative(), order=">"),
    Claim("lobes_shrink_high", "lobe area at 1 MHz > at 100 MHz", "depends on the duration of the stimuli",
          "seed 003 l. 81", Qualitative(), order=">"),
    Claim("set_faster", "SET time at 1.0 V > at 1.4 V", "switching depends on stimulus magnitude", "seed 003 l. 81",
          Qualitative(), order=">"),
    Claim("reset_faster", "RESET time at −1.0 V > at −1.4 V", "switching depends on stimulus magnitude",
          "seed 003 l. 81", Qualitative(), order=">"),
    Claim("ns_below_1v", "full SET time at 0.99 V", "≈ ns at < 1 V", "seed 003 l. 60",
          Qualitative(why="'≈ ns' read as below 10 ns"), tolerance=Within(None, 1e-8), unit="s",
          deviation="with the Stanford model's parameters (γ = 16, a₀ = 0.25 nm, L = 12 nm, E_a = 0.6 eV) a full "
                    "SET (1.7 → 0.2 nm) takes 11 µs at 0.99 V and 15 ns only at 1.5 V; the review prints none of "
                    "these parameters"),
    Claim("scheme_a_vs_c", "nonlinearity: identical pulses > state-adapted widths", "A: largest nonlinearity",
          "seed 003 l. 147, Fig. 3", Qualitative(), order=">"),
    Claim("scheme_a_vs_b", "nonlinearity: identical pulses > negative + positive pulses", "A: largest nonlinearity",
          "seed 003 l. 147, Fig. 3", Qualitative(), order=">",
          deviation="in a window model (VTEAM, Xu window) a compensating pulse removes a step proportional to the "
                    "distance from the other bound, so the pair still approaches a fixed point exponentially and "
                    "covers the range in fewer effective steps: measured nonlinearity 0.53 (−0.12/+0.05 V pairs) vs "
                    "0.27 for identical −0.1 V pulses; the review's overshoot relaxation is not in the model"),
])


def _loop(model: RRAMGap, frequency: float) -> tuple[torch.Tensor, torch.Tensor, float, float]:
    wf = SineSweep(amplitude=SWEEP_V, frequency=frequency, cycles=1)
    t = torch.linspace(0, wf.duration, 801, dtype=torch.float64)
    tr = simulate(model, torch.tensor([1.0e-9], dtype=torch.float64), wf, t_eval=t, rtol=1e-7, atol=1e-9)
    v, i = tr.v, tr.i[:, 0]
    dv, mid = v.diff(), 0.5 * (i[1:] + i[:-1])
    area = float((mid[:400] * dv[:400]).sum().abs() + (mid[400:] * dv[400:]).sum().abs())
    at_zero = float(i[[0, 400, 800]].abs().max())
    return v, i, area, at_zero


def _figure(loops, volts, t_set, t_reset, schemes) -> Figure:
    fig = Figure(figsize=(13, 4))
    a, b, c = fig.subplots(1, 3)
    for f, (v, i, _, _) in loops.items():
        a.plot(v, i * 1e3, label=f"{f:.0e} Hz")
    a.set_xlabel("V [V]")
    a.set_ylabel("I [mA]")
    a.set_title("RRAM gap model: pinched I–V loops")
    a.legend(fontsize=8)
    b.semilogy(volts, t_set, "o-", label="SET")
    b.semilogy(volts, t_reset, "s-", label="RESET (−V)")
    b.set_xlabel("|V| [V]")
    b.set_ylabel("full switching time [s]")
    b.set_title("switching time vs voltage")
    b.legend(fontsize=8)
    for name, g in schemes.items():
        if name != "adapted_widths":
            c.plot((g - g[0]) / (g[-1] - g[0]), label=f"{name} ({nonlinearity(g):.2f})")
    c.set_xlabel("potentiation event")
    c.set_ylabel("normalised conductance")
    c.set_title("pulse schemes (nonlinearity)")
    c.legend(fontsize=8)
    fig.tight_layout()
    return fig


@reproduction("review-devices", paper=PAPER,
              summary="RRAM gap model: pinched I–V loop vs frequency, SET/RESET times; pulse schemes by nonlinearity; "
                      "the review's device and system figures with sources")
def run(quick: bool = True, seed: int = 0) -> Report:
    """Deterministic physics: ``quick`` and ``seed`` change nothing."""
    report = Report("review-devices", "Voltage-driven RRAM, pulse schemes and the review's device figures", PAPER,
                    claims=CLAIMS)
    rram = RRAMGap()
    loops = {f: _loop(rram, f) for f in FREQS}
    report.judge("iv_pinched", max(x[3] for x in loops.values()), note=f"sine {SWEEP_V} V, three frequencies")
    report.judge("lobes_shrink_low", lhs=loops[1e4][2], rhs=loops[1e6][2], note="lobe areas ∮|I dV| [W]")
    report.judge("lobes_shrink_high", lhs=loops[1e6][2], rhs=loops[1e8][2])
    volts = [0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5]
    t_set = [rram.switching_time(v) for v in volts]
    t_reset = [rram.switching_time(-v) for v in volts]
    report.judge("set_faster", lhs=t_set[1], rhs=t_set[5], note="full gap excursion 1.7 → 0.2 nm")
    report.judge("reset_faster", lhs=t_reset[1], rhs=t_reset[5], note="full gap excursion 0.2 → 1.7 nm")
    report.judge("ns_below_1v", rram.switching_time(0.99))
    schemes = potentiation_schemes(VTEAM())
    nl = {k: nonlinearity(v) for k, v in schemes.items() if k != "adapted_widths"}
    report.judge("scheme_a_vs_c", lhs=nl["identical"], rhs=nl["adapted"], note="60 events, VTEAM Table 1 device")
    report.judge("scheme_a_vs_b", lhs=nl["identical"], rhs=nl["compensated"])
    for v, ts, tr in zip(volts, t_set, t_reset):
        report.add(f"SET / RESET time at ±{v:.1f} V", "—", f"{ts:.3g} / {tr:.3g}", Info(), "s")
    for fig_ in review_figures():
        report.add(f"{fig_.subject}: {fig_.quantity}", fig_.printed, fig_.value, Info(), fig_.unit, note=fig_.source)
    report.extra["lobe_area_W"] = {f"{f:g}": loops[f][2] for f in FREQS}
    report.extra["switching_time_s"] = {f"{v:g}": [ts, tr] for v, ts, tr in zip(volts, t_set, t_reset)}
    report.extra["nonlinearity"] = nl
    report.add_figure("review_devices", _figure(loops, volts, t_set, t_reset, schemes))
    report.notes.append("The review's network models (LIF Eqs. 4–8, STDP Eq. 9, the binarized CNN of Eq. 12) are "
                        "not part of this reproduction.")
    report.notes.append(f"SET at 1.5 V: {rram.switching_time(1.5):.3g} s; the RRAM model's parameters beyond I₀, g₀, "
                        "V₀ are the Stanford model's (docs/devices.md).")
    return report
