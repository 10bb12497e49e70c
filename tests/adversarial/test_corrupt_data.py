"""A corpus of corrupt IDX files made here: every one gives a DataError naming the file, never another exception."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from neurofab.core import DataError
from neurofab.data import load_mnist
from neurofab.data.mnist import read_idx

LABELS_MAGIC, IMAGES_MAGIC = 0x0801, 0x0803


def idx(dims: tuple[int, ...], data: bytes, magic: int | None = None) -> bytes:
    magic = 0x0800 + len(dims) if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + data


GOOD = idx((3, 2, 2), bytes(range(12)))


def corpus() -> dict[str, bytes]:
    out = {f"truncated at byte {k}": GOOD[:k] for k in range(len(GOOD))}
    out["wrong magic"] = b"\x00\x00\x09\x03" + GOOD[4:]
    out["int32 dtype"] = b"\x00\x00\x0c\x03" + GOOD[4:]
    out["little-endian header"] = struct.pack("<I", 0x0803) + struct.pack("<3I", 3, 2, 2) + bytes(12)
    out["absurd size"] = idx((2**32 - 1, 2**32 - 1, 2**32 - 1), b"")
    out["zero dimensions but data"] = idx((), b"\x01")
    out["trailing bytes"] = GOOD + b"\x00"
    return out


@pytest.mark.parametrize("name", sorted(corpus()))
def test_corrupt_raw_files(tmp_path, name):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(corpus()[name])
    with pytest.raises(DataError, match="t10k-images"):
        read_idx(path, IMAGES_MAGIC)


def test_flipped_bytes_in_the_deflate_stream(tmp_path):
    packed = bytearray(gzip.compress(idx((50,), bytes(range(50)))))
    rng = np.random.default_rng(0)
    refused = 0
    for trial in range(40):
        data = bytearray(packed)
        k = int(rng.integers(10, len(data) - 8))
        data[k] ^= 1 << int(rng.integers(0, 8))
        path = tmp_path / f"t10k-labels-idx1-ubyte-{trial}.gz"
        path.write_bytes(bytes(data))
        try:
            out = read_idx(path, LABELS_MAGIC)
        except DataError as err:
            assert path.name in str(err)
            refused += 1
        else:  # a flip the checksum cannot see must still give the header's shape
            assert out.shape == (50,)
    assert refused >= 30


def test_images_and_labels_that_disagree(tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx((2, 28, 28), bytes(2 * 784)))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx((3,), bytes(3)))
    with pytest.raises(DataError):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx((2,), bytes([3, 11])))
    with pytest.raises(DataError):
        load_mnist(tmp_path)
