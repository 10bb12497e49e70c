"""Data sets: the bundled digits (default), MNIST from local IDX files, synthetic tasks, voxel maps
(``neurofab.data.voxel_maps``). Nothing downloads."""

from neurofab.data.digits import Split, digits, stratified_split
from neurofab.data.mnist import data_root, load_mnist, mnist_split, read_idx
from neurofab.data.synthetic import Regression, char_sequences, teacher_student, waves

__all__ = [
    "Regression",
    "Split",
    "char_sequences",
    "data_root",
    "digits",
    "load_mnist",
    "mnist_split",
    "read_idx",
    "stratified_split",
    "teacher_student",
    "waves",
]
