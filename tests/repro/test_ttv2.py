import pytest

from neurofab.repro.ttv2 import run


@pytest.mark.slow
def test_ttv2_quick_passes():
    assert run(quick=True).passed
