"""L2 — energy, latency and area: technology tables, circuit modules, CIM chip estimates, per-event energies."""
