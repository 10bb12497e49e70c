"""Thread counts: the scoped torch count and numba kept at torch's."""

from __future__ import annotations

import numba
import torch

from neurofab.core import kernel_threads, one_thread


def test_one_thread_restores_the_count():
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_kernel_threads_follow_torch_and_leave_its_count_alone():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert kernel_threads() == 1
        assert torch.get_num_threads() == 1  # starting numba's pool must not change torch's setting
        assert numba.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
