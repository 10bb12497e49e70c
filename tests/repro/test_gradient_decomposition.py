import pytest

from neurofab.repro.gradient_decomposition import run


@pytest.mark.slow
def test_gradient_decomposition_quick_passes():
    assert run(quick=True).passed
