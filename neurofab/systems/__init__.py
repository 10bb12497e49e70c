"""L4 — the concrete chips and pipelines of the seed papers, composed from the layers below."""
