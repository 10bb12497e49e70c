"""MNIST from IDX files in a folder the user names (argument, or the ``NEUROFAB_DATA`` environment variable).

Reads ``{prefix}-images-idx3-ubyte[.gz]`` and ``{prefix}-labels-idx1-ubyte[.gz]`` (prefix ``t10k`` for the test set,
``train`` for the training set). Every header is checked: magic number, dimensions, and that the payload holds
exactly the bytes the header promises; a bad file raises :class:`DataError` naming the file and the problem.
Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from neurofab.core import DataError, DataNotFoundError
from neurofab.data.digits import Split, stratified_split

IMAGES_MAGIC = 2051  # 0x00000803: unsigned byte, 3 dimensions
LABELS_MAGIC = 2049  # 0x00000801: unsigned byte, 1 dimension


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``root`` if given, else ``$NEUROFAB_DATA``; a missing folder raises DataNotFoundError."""
    chosen = root if root is not None else os.environ.get("NEUROFAB_DATA")
    if chosen is None:
        raise DataNotFoundError("no MNIST folder given: pass root=... or set NEUROFAB_DATA to the IDX files' folder")
    path = Path(chosen)
    if (path / "mnist").is_dir() and not any(path.glob("*idx*")):
        path = path / "mnist"
    if not path.is_dir():
        raise DataNotFoundError(f"MNIST folder {path} does not exist")
    return path


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataNotFoundError(f"{folder}: neither {stem} nor {stem}.gz is there")


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise DataError(f"{path}: cannot be read as {'gzip' if path.suffix == '.gz' else 'raw'} IDX ({err})") from None


def read_idx(path: str | os.PathLike[str], expected_magic: int | None = None) -> np.ndarray:
    """One IDX file (unsigned-byte data) as a numpy array of the shape its header gives."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 8:
        raise DataError(f"{path}: {len(raw)} bytes is too short for an IDX header")
    magic = struct.unpack(">I", raw[:4])[0]
    if magic >> 8 != 0x08:
        raise DataError(f"{path}: magic number {magic:#010x} is not an unsigned-byte IDX file (expected 0x0000080N)")
    if expected_magic is not None and magic != expected_magic:
        raise DataError(f"{path}: magic number {magic} where {expected_magic} was expected")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated header ({len(raw)} bytes, {header} needed for {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    need = math.prod(dims)  # exact Python integers: a huge header must not wrap around
    have = len(raw) - header
    if have != need:
        raise DataError(f"{path}: header promises {need} data bytes for shape {dims}, file has {have}"
                        + (" (truncated)" if have < need else " (trailing bytes)"))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist(root: str | os.PathLike[str] | None = None, kind: str = "test") -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N×28×28 float32 in [0, 1]) and labels (N int64) of the ``test`` (t10k) or ``train`` files."""
    prefix = {"test": "t10k", "train": "train"}.get(kind)
    if prefix is None:
        raise DataError(f"kind = {kind!r}: must be 'test' or 'train'")
    folder = data_root(root)
    img_path = _find(folder, f"{prefix}-images-idx3-ubyte")
    lab_path = _find(folder, f"{prefix}-labels-idx1-ubyte")
    images = read_idx(img_path, IMAGES_MAGIC)
    labels = read_idx(lab_path, LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{img_path} has {images.shape[0]} images but {lab_path} has {labels.shape[0]} labels")
    if labels.size and labels.max() > 9:
        raise DataError(f"{lab_path}: label {int(labels.max())} is not a digit")
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def mnist_split(root: str | os.PathLike[str] | None = None, n_train: int = 8000, seed: int = 0,
                flatten: bool = True) -> Split:
    """The 10,000-image test set split into ``n_train`` training and the rest test images (stratified)."""
    x, y = load_mnist(root, "test")
    if not 0 < n_train < len(x):
        raise DataError(f"n_train = {n_train}: must be between 1 and {len(x) - 1}")
    x = x.reshape(len(x), -1) if flatten else x.unsqueeze(1)
    split = stratified_split(x, y, 1 - n_train / len(x), seed, name="mnist-test-split")
    return split
