"""L3 — torch layers on analog tiles, analog optimizers, inference over time, hardware-aware training."""
