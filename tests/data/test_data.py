"""Data: the digits split, the IDX reader on the real test set and on broken files, synthetic generators."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from neurofab.core import ConfigError, DataError, DataNotFoundError
from neurofab.data import char_sequences, digits, load_mnist, mnist_split, read_idx, teacher_student, waves


def test_digits_split_is_deterministic_stratified_and_disjoint():
    a, b = digits(seed=1), digits(seed=1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert len(a.x_train) + len(a.x_test) == 1797
    assert a.x_train.shape[1] == 64 and 0 <= a.x_train.min() and a.x_train.max() <= 1
    # every class keeps its share within one image
    full = torch.cat([a.y_train, a.y_test]).bincount()
    assert torch.all((a.y_test.bincount() - full * 0.25).abs() <= 1)
    rows_train = {tuple(r.tolist()) for r in a.x_train}
    overlap = sum(tuple(r.tolist()) in rows_train for r in a.x_test)
    assert overlap < 5  # the bundled set has a handful of duplicate images, nothing more
    assert not torch.equal(digits(seed=2).y_train, a.y_train)
    assert digits(flatten=False).x_train.shape[1:] == (1, 8, 8)
    with pytest.raises(ConfigError):
        digits(test_fraction=1.0)


def test_real_mnist_test_set(mnist_dir):
    x, y = load_mnist(mnist_dir)
    assert x.shape == (10_000, 28, 28) and y.shape == (10_000,)
    assert x.dtype == torch.float32 and 0 <= x.min() and x.max() == 1
    assert y.bincount().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    s = mnist_split(mnist_dir, n_train=8000)
    assert s.x_train.shape == (8000, 784) and s.x_test.shape == (2000, 784)


def test_mnist_from_environment_variable(mnist_dir, monkeypatch):
    monkeypatch.setenv("NEUROFAB_DATA", str(mnist_dir))
    assert load_mnist()[0].shape[0] == 10_000


def _idx(dims: tuple[int, ...], payload: bytes, magic_low: int | None = None) -> bytes:
    magic = 0x0800 | (len(dims) if magic_low is None else magic_low)
    return struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + payload


def test_idx_round_trip_raw_and_gzip(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw = _idx((2, 3, 4), data.tobytes())
    (tmp_path / "a.idx").write_bytes(raw)
    with gzip.open(tmp_path / "a.idx.gz", "wb") as fh:
        fh.write(raw)
    assert np.array_equal(read_idx(tmp_path / "a.idx"), data)
    assert np.array_equal(read_idx(tmp_path / "a.idx.gz"), data)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x00", "too short for an IDX header"),
        (struct.pack(">I", 0x0D03) + b"\x00" * 12, "not an unsigned-byte IDX file"),
        (_idx((2, 3, 4), bytes(23)), "header promises 24 data bytes.*has 23 \\(truncated\\)"),
        (_idx((2, 3, 4), bytes(25)), "trailing bytes"),
        (struct.pack(">I", 0x0803) + b"\x00" * 4, "truncated header"),
    ],
)
def test_corrupt_idx_names_file_and_problem(tmp_path, content, message):
    path = tmp_path / "broken-idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_truncated_gzip_and_mismatched_pair(tmp_path):
    images = _idx((3, 2, 2), bytes(12))
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(images)
    good = (tmp_path / "t10k-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx((2,), bytes(2)))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(images)
    with pytest.raises(DataError, match="3 images but .* 2 labels"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(_idx((3, 2, 2), bytes(12)))
    with pytest.raises(DataError, match="magic number 2051 where 2049"):
        load_mnist(tmp_path)


def test_missing_folder_and_files(tmp_path, monkeypatch):
    monkeypatch.delenv("NEUROFAB_DATA", raising=False)
    with pytest.raises(DataNotFoundError, match="NEUROFAB_DATA"):
        load_mnist()
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(DataNotFoundError, match="t10k-images-idx3-ubyte"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_mnist(tmp_path)


def test_teacher_student_is_realizable_and_seeded():
    task = teacher_student(n_in=8, n_out=3, n_train=200, n_test=50, seed=3)
    w = task.teacher_weights[0]
    assert torch.allclose(task.x_test @ w.T, task.y_test)
    # the least-squares student recovers the linear teacher exactly from noiseless data
    sol = torch.linalg.lstsq(task.x_train, task.y_train).solution.T
    assert torch.allclose(sol, w, atol=1e-4)
    again = teacher_student(n_in=8, n_out=3, n_train=200, n_test=50, seed=3)
    assert torch.equal(again.x_train, task.x_train)
    deep = teacher_student(n_hidden=5, seed=1)
    assert len(deep.teacher_weights) == 2
    with pytest.raises(ConfigError, match="n_in"):
        teacher_student(n_in=0)
    with pytest.raises(ConfigError, match="noise"):
        teacher_student(noise=-1)


def test_waves_and_sequences():
    s, f = waves("square", n_samples=4, length=50, seed=0)
    assert s.shape == (4, 50) and set(s.unique().tolist()) <= {-1.0, 0.0, 1.0} and ((1 <= f) & (f <= 5)).all()
    seq = char_sequences(n_sequences=8, length=20, vocab=5, seed=0)
    assert seq.shape == (8, 20) and seq.min() >= 0 and seq.max() < 5
    with pytest.raises(ConfigError):
        waves("triangle")
