"""The exception hierarchy: every error neurofab raises on purpose is a `NeurofabError`.

Each class also subclasses the built-in a caller would expect (ValueError for bad values, TypeError for
wrong types, OSError for files), so ``except ValueError`` keeps working for code that does not know neurofab.
"""

from __future__ import annotations


class NeurofabError(Exception):
    """Base of every deliberate neurofab error."""


class ConfigError(NeurofabError, ValueError):
    """A configuration value is missing, of the wrong type, or outside its allowed range."""


class DataError(NeurofabError, ValueError):
    """A data file or array is malformed: wrong magic number, truncated, inconsistent lengths."""


class DataNotFoundError(NeurofabError, FileNotFoundError):
    """A data set was asked for from a place where it is not."""


class ShapeError(NeurofabError, ValueError):
    """Tensors whose shapes do not fit the operation."""


class InputTypeError(NeurofabError, TypeError):
    """An argument of the wrong type."""


class UnknownNameError(NeurofabError, KeyError):
    """A name looked up in a registry that does not hold it."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NumericalError(NeurofabError, ValueError):
    """NaN or infinite values where finite numbers are required."""


class ReproductionError(NeurofabError, RuntimeError):
    """A reproduction could not run to its end (not: a row that fails its tolerance)."""
