"""L3 — local learning rules: STDP family, BCPNN, equilibrium propagation, compound stochastic synapses."""

from neurofab.learning.ep import (
    ConvergentNet,
    EPConfig,
    EPGradient,
    Phases,
    bptt_gradient,
    bptt_truncated,
    ep_estimate,
    ep_truncated,
    grad_cosine,
    grad_rel_error,
    run_phases,
)
from neurofab.learning.ep_conv import ConvergentConvNet, ConvNetConfig, max_pool, max_unpool
from neurofab.learning.ep_train import (
    EPTrainConfig,
    EPTrainer,
    FeedForwardMLP,
    accuracy,
    cosine_lr,
    tile_network,
    train_ep_tiles,
    train_feedforward,
)

__all__ = [
    "ConvNetConfig",
    "ConvergentConvNet",
    "ConvergentNet",
    "EPConfig",
    "EPGradient",
    "EPTrainConfig",
    "EPTrainer",
    "FeedForwardMLP",
    "Phases",
    "accuracy",
    "bptt_gradient",
    "bptt_truncated",
    "cosine_lr",
    "ep_estimate",
    "ep_truncated",
    "grad_cosine",
    "grad_rel_error",
    "max_pool",
    "max_unpool",
    "run_phases",
    "tile_network",
    "train_ep_tiles",
    "train_feedforward",
]
