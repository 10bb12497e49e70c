"""Plots (matplotlib, non-interactive backend): rasters, traces, accuracy over time, energy breakdowns."""
