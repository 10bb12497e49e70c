"""L3 — physical reservoirs (spin-torque oscillator) and chip-in-the-loop training."""
