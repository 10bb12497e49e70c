"""scikit-learn's bundled 8×8 handwritten digits (1,797 images): the embedded default data set, no download."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from neurofab.core import ConfigError


@dataclass(frozen=True)
class Split:
    """A train/test split as float32 images in [0, 1] and int64 labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    name: str = ""

    @property
    def n_features(self) -> int:
        return int(self.x_train[0].numel())

    @property
    def n_classes(self) -> int:
        return int(torch.cat([self.y_train, self.y_test]).max()) + 1


def stratified_split(x: torch.Tensor, y: torch.Tensor, test_fraction: float, seed: int, name: str = "") -> Split:
    """Deterministic stratified split: the same ``seed`` gives the same split; each class keeps its proportion."""
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction = {test_fraction!r}: must be in (0, 1)")
    gen = torch.Generator().manual_seed(seed)
    train_idx, test_idx = [], []
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        n_test = round(len(idx) * test_fraction)
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    tr = torch.cat(train_idx)
    te = torch.cat(test_idx)
    tr = tr[torch.randperm(len(tr), generator=gen)]
    te = te[torch.randperm(len(te), generator=gen)]
    return Split(x[tr], y[tr], x[te], y[te], name)


def digits(test_fraction: float = 0.25, seed: int = 0, flatten: bool = True) -> Split:
    """The digits set as tensors: images scaled to [0, 1] (pixel/16), flattened to 64 features unless ``flatten``
    is False (then shape N×1×8×8); stratified split with ``test_fraction`` held out."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.data, dtype=torch.float32) / 16.0
    y = torch.tensor(bunch.target, dtype=torch.int64)
    if not flatten:
        x = x.reshape(-1, 1, 8, 8)
    return stratified_split(x, y, test_fraction, seed, name="digits")
