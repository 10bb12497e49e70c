"""Foundation shared by every layer: configs, errors, seeding, the event ledger, registries, atomic I/O."""

from neurofab.core.config import Config, check_finite
from neurofab.core.errors import (
    ConfigError,
    DataError,
    DataNotFoundError,
    InputTypeError,
    NeurofabError,
    NumericalError,
    ReproductionError,
    ShapeError,
    UnknownNameError,
)
from neurofab.core.io import atomic_write, atomic_write_bytes, atomic_write_json, atomic_write_text
from neurofab.core.ledger import EVENT_KINDS, Ledger, record, recording, register_kind
from neurofab.core.progress import progress, progress_wanted
from neurofab.core.registry import Registry
from neurofab.core.seeding import Seed, child_seeds, make_generator, seed_everything, seed_from
from neurofab.core.threads import kernel_threads, one_thread
from neurofab.core.units import to_si

__all__ = [
    "EVENT_KINDS",
    "Config",
    "ConfigError",
    "DataError",
    "DataNotFoundError",
    "InputTypeError",
    "Ledger",
    "NeurofabError",
    "NumericalError",
    "Registry",
    "ReproductionError",
    "Seed",
    "ShapeError",
    "UnknownNameError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_finite",
    "child_seeds",
    "kernel_threads",
    "make_generator",
    "one_thread",
    "progress",
    "progress_wanted",
    "record",
    "recording",
    "register_kind",
    "seed_everything",
    "seed_from",
    "to_si",
]
