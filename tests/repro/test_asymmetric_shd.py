import pytest

from neurofab.repro.asymmetric_shd import run


@pytest.mark.slow
def test_asymmetric_shd_quick_passes():
    assert run(quick=True).passed
