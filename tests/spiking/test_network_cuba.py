"""The CUBA network's activity against the figures Brian2 and NEST gave for the same model.

Recorded constants (docs/spiking.md): CUBA-4000, 2 s of simulated time, seeds 1–20, mean over seeds, statistics
computed by neurofab.spiking.spike_stats from each simulator's spikes; produced by the peer runs of
``PYTHONPATH=. python benchmarks/snn_cuba.py --stats --seeds 20 --stats-duration 2.0``
(Brian2 2.9.0, cython target; NEST 3.10.0 iaf_psc_exp, 1 thread; both from /tmp/anchors-snn).
"""

import pytest
import torch

from neurofab.core import ConfigError, Ledger
from neurofab.spiking.network import cuba_network
from neurofab.spiking.spike_stats import mean_cv

PEERS = {
    "brian2": {"rate": 5.548, "cv": 0.6041},
    "nest": {"rate": 5.619, "cv": 0.6047},
}


def test_cuba_rate_and_cv_match_brian2_and_nest():
    n, duration = 4000, 2.0
    rates, cvs = [], []
    for seed in (1, 2):
        net, pop = cuba_network(n, seed=seed)
        mon = net.spike_monitor(pop)
        with Ledger() as led:
            net.run(duration)
        rates.append(mon.num_spikes / n / duration)
        cvs.append(mean_cv(mon.times, mon.indices, n))
        assert led.count("spike") == mon.num_spikes
        in_degree = torch.bincount(torch.cat([p.indices()[1] for p in net.projections]), minlength=n)
        assert in_degree.double().mean().item() == pytest.approx(80.0, rel=0.02)
    rate, cv = sum(rates) / 2, sum(cvs) / 2
    for peer, figures in PEERS.items():
        assert rate == pytest.approx(figures["rate"], rel=0.10), (peer, rate)
        assert cv == pytest.approx(figures["cv"], rel=0.10), (peer, cv)


def test_cuba_network_checks_size():
    with pytest.raises(ConfigError):
        cuba_network(2)
