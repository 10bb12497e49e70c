"""The device and system figures quoted by the Liu/Yu/Chai review (seed 003), each with its source line.

Only numbers the review prints are listed (review-devices note: "cite them, do not invent others"); where the review
contradicts itself both readings are kept and marked ⚠. Values are in SI units (J, s, V, W, m², …), with the
printed text alongside.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DeviceFigure", "review_figures"]


@dataclass(frozen=True)
class DeviceFigure:
    """One quoted figure: what it is about, the quantity, its value in SI units (lo, hi for a range or a bound),
    the unit, the text as printed and the seed line."""

    subject: str
    quantity: str
    lo: float | None
    hi: float | None
    unit: str
    printed: str
    source: str

    @property
    def value(self) -> float:
        """A single representative value: the point value, else the bound that is given."""
        if self.lo is not None and self.hi is not None:
            return self.lo if self.lo == self.hi else (self.lo * self.hi) ** 0.5
        return self.lo if self.lo is not None else float(self.hi)  # type: ignore[arg-type]


def _f(subject, quantity, lo, hi, unit, printed, line) -> DeviceFigure:
    return DeviceFigure(subject, quantity, lo, hi, unit, printed, f"seed 003 l. {line}")


_FIGURES = (
    _f("biological synapse", "energy per synaptic event", 1e-15, 100e-15, "J", "1–100 fJ per synaptic event", 52),
    _f("RRAM synapse", "energy per synaptic event", None, 1e-12, "J", "< pJ", 52),
    _f("emerging NVM", "write/read time", 1e-9, 1e-9, "s", "≈ ns", 60),
    _f("emerging NVM", "operating voltage", None, 1.0, "V", "< 1 V", 60),
    _f("emerging NVM", "energy per synaptic event", None, 1e-12, "J", "< pJ per synaptic event", 60),
    _f("RRAM", "operating voltage", None, 1.0, "V", "<1 V", 64),
    _f("NVM (not STT-MRAM)", "retention", 10 * 365.25 * 86400, None, "s", "over 10 years", 66),
    _f("PCM", "conductance modulation per event", 0.01, 0.01, "1", "1% per event", 104),
    _f("PCM", "resistance change over 100 steps", 10.0, 10.0, "1", "an order of magnitude … through 100 steps", 104),
    _f("PCM", "RESET energy", 50e-12, 50e-12, "J", "≈ 50 pJ", 108),
    _f("PCM", "SET energy", 0.675e-12, 0.675e-12, "J", "0.675 pJ", 108),
    _f("ideal synaptic device", "resistance levels", 100, None, "1", "over 100 states", 135),
    _f("SRAM/DRAM", "refresh interval", 64e-3, 64e-3, "s", "64 ms", 137),
    _f("NOR FLASH", "endurance", 1e5, 1e5, "cycles", "10^5 times", 253),
    _f("RRAM", "endurance", None, 1e12, "cycles", "up to 10^12", 253),
    _f("6T SRAM", "cell area", 0.152e-12, 0.152e-12, "m²", "0.152 µm²", 313),
    _f("SRAM", "bitcell density", 150, 150, "F²", "≈ 150 F²", 315),
    _f("Loihi", "energy per synaptic event", 23.6e-12, 23.6e-12, "J", "23.6 pJ", 54),
    _f("TrueNorth", "energy per synaptic event", 26e-12, 26e-12, "J", "26 pJ", 54),
    _f("Loihi", "energy per synaptic event (⚠ §4.1)", 24e-12, 24e-12, "J", "24 pJ", 155),
    _f("TrueNorth", "energy per synaptic event (⚠ §4.1)", 45e-12, 45e-12, "J", "45 pJ", 155),
    _f("TrueNorth", "neurons", 1e6, 1e6, "1", "1 million neurons", 317),
    _f("TrueNorth", "synapses", 256e6, 256e6, "1", "256 million synapses", 317),
    _f("TrueNorth", "energy efficiency", 400e9, 400e9, "SOPS/W", "400 GSOPS/W", 317),
    _f("TrueNorth", "power per core (⚠ printed in mV)", 65e-3, 65e-3, "W", "65 mV per core", 317),
    _f("Neurogrid", "neurons", 65e3, 65e3, "1", "over 65 000 neurons", 328),
    _f("Neurogrid", "synapses", 500e6, 500e6, "1", "500 million synapses", 328),
    _f("Neurogrid", "power", 3.1, 3.1, "W", "3.1 watt", 328),
    _f("Neurogrid", "energy per synaptic event", 941e-12, 941e-12, "J", "941 pJ", 328),
    _f("BCNN on digital RRAM", "peak throughput", 792e9, 792e9, "OPS", "792 GOPS", 280),
    _f("BCNN on digital RRAM", "power", 4.5e-3, 4.5e-3, "W", "4.5 mW", 280),
    _f("4-bit RRAM ResNet-50", "accuracy", 0.881, 0.881, "1", "88.1% (2.5% below full precision)", 287),
    _f("4-bit RRAM ResNet-50", "resistance states", 16, 16, "1", "16 resistance states", 305),
    _f("4-bit RRAM ResNet-50", "area", 0.83e-6, 0.83e-6, "m²", "0.83 mm²", 305),
    _f("4-bit RRAM ResNet-50", "power", 8.5e-3, 8.5e-3, "W", "8.5 mW", 305),
    _f("4-bit RRAM ResNet-50", "energy efficiency", 75.2e12, 75.2e12, "OPS/J", "75.2 TOPs/J", 305),
)


def review_figures(subject: str | None = None) -> list[DeviceFigure]:
    """All figures, or those whose subject contains ``subject`` (case-insensitive)."""
    if subject is None:
        return list(_FIGURES)
    s = subject.lower()
    return [f for f in _FIGURES if s in f.subject.lower()]
