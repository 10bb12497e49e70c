"""Physical ranges with units in the error, unit strings at the edges, and Network.run's progress bar."""

from __future__ import annotations

import pytest
import torch

from neurofab.core import ConfigError, progress, progress_wanted
from neurofab.spiking import AdExConfig, IFConfig, IzhikevichConfig, LIFConfig, Network, cuba_network


@pytest.mark.parametrize(("cls", "field", "value"), [
    (LIFConfig, "tau_m", 20), (LIFConfig, "tau_syn_exc", 5.0), (LIFConfig, "t_ref", 2.0), (IFConfig, "t_ref", 1.5),
    (LIFConfig, "c_m", 250.0), (AdExConfig, "tau_w", 144.0), (IzhikevichConfig, "max_substep", 0.1),
])
def test_value_outside_physical_range_names_field_and_unit(cls, field, value):
    unit = "F" if field == "c_m" else "s"
    with pytest.raises(ConfigError, match=rf"{cls.__name__}\.{field} = {value!r}: must be <= .* \[{unit}\]"):
        cls(**{field: value})


def test_edges_of_the_ranges_are_accepted():
    LIFConfig(tau_m=1.0, tau_syn_exc=1.0, tau_syn_inh=1.0, t_ref=1.0, c_m=1.0)
    AdExConfig(tau_w=10.0)
    assert LIFConfig(tau_m="20 ms", c_m="250 pF").tau_m == pytest.approx(0.02)


def test_unit_string_of_wrong_dimension_rejected():
    with pytest.raises(ConfigError, match="LIFConfig.tau_m = '20 mV': .* in V, the field is in s"):
        LIFConfig(tau_m="20 mV")
    with pytest.raises(ConfigError, match="Network dt = '1 mV'.*in V, the field is in s"):
        Network(dt="1 mV")


def test_network_dt_range_and_units():
    with pytest.raises(ConfigError, match=r"Network dt = 0.1 \[s\]: must be <= 0.01 \[s\]"):
        Network(dt=0.1)
    assert Network(dt="0.1 ms").dt == pytest.approx(1e-4)
    assert Network(dt=10e-3).dt == 10e-3
    with pytest.raises(ConfigError, match="whole number of steps"):
        Network(dt=1e-4).run(0.00015)
    net = Network(dt=1e-4)
    net.population(2, LIFConfig())
    net.run("5 ms")
    assert net.step_count == 50


def test_progress_bar_does_not_change_the_run():
    counts = []
    for show in (False, True):
        net, pop = cuba_network(400, seed=2)
        mon = net.spike_monitor(pop)
        vm = net.state_monitor(pop, "v", indices=torch.arange(5), every=7)
        net.run(0.05, progress=show)
        counts.append((net.spike_counts(pop), mon.steps.clone(), mon.indices.clone(), vm.values.clone()))
    for a, b in zip(*counts):
        assert torch.equal(a, b)
    assert counts[0][0].sum() > 0


def test_progress_switch(monkeypatch):
    monkeypatch.setenv("NEUROFAB_PROGRESS", "0")
    assert not progress_wanted()
    assert progress_wanted(True)
    monkeypatch.setenv("NEUROFAB_PROGRESS", "1")
    assert progress_wanted()
    monkeypatch.delenv("NEUROFAB_PROGRESS")
    assert not progress_wanted()  # pytest's stderr is not a terminal
    seen = []
    with progress(3, "outer", enabled=True) as outer:  # a nested bar joins the live display
        with progress(2, "inner", enabled=True) as inner:
            inner(2)
            seen.append("inner")
        outer(3)
    assert seen == ["inner"]
