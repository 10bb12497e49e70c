"""L2 — arrays of devices with their periphery: mapping, DAC/ADC, noise, bounds, IR drop, MVM, pulsed update."""
