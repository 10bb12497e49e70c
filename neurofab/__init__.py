"""neurofab: synaptic devices, analog crossbars, spiking chips and their energy, latency and area, in one stack."""

__version__ = "0.1.0"
