"""NIR export/import of feed-forward SNNs: round trips, the dt convention, hand-built graphs, refusals."""

from __future__ import annotations

import math

import nir
import numpy as np
import pytest
import torch
from torch import nn

from neurofab.core import ConfigError, DataError, DataNotFoundError, InputTypeError, ShapeError, UnknownNameError
from neurofab.spiking.conversion import convert
from neurofab.spiking.layers import IF, LI, LIF, SpikingSequential, leaky, repeat_over_time, synaptic
from neurofab.spiking.neurons import IFConfig, LIFConfig
from neurofab.spiking.nir_io import from_nir, graph_summary, read_nir, to_nir, write_nir


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Small tensors: one thread avoids spin-waiting on the shared cores (results do not depend on it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _cnn() -> SpikingSequential:
    torch.manual_seed(0)
    return SpikingSequential(
        nn.Conv2d(1, 4, 3, padding=1, stride=1), LIF(LIFConfig(synapse="delta", t_ref=0.0)), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(64, 10), IF(), nn.Linear(10, 3, bias=False), LI())


def _mlp() -> SpikingSequential:
    torch.manual_seed(1)
    return SpikingSequential(nn.Linear(12, 20), LIF(leaky(0.8, reset="zero")), nn.Linear(20, 4), LI(leaky(0.9)))


def test_round_trip_cnn_through_a_file(tmp_path):
    net = _cnn()
    path = write_nir(net, tmp_path / "cnn.nir", (1, 8, 8))
    graph = read_nir(path)
    assert list(graph_summary(graph).values()) == ["Input", "Conv2d", "LIF", "AvgPool2d", "Flatten", "Affine", "IF",
                                                   "Linear", "LI", "Output"]
    back = from_nir(path)
    x = torch.rand(6, 2, 1, 8, 8) * 3
    assert torch.equal(back(x), net(x))
    assert back[5].neuron == net[5].neuron  # reset by subtraction kept in the node metadata


@pytest.mark.parametrize("dt", [1e-3, 2.5e-4])
def test_round_trip_without_metadata_for_nir_expressible_neurons(dt):
    """Zero-reset delta-synapse neurons are fully described by the NIR fields; dt comes back through r."""
    net = SpikingSequential(nn.Linear(12, 20), LIF(leaky(0.8, dt=dt, reset="zero"), dt=dt), nn.Linear(20, 4),
                            IF(IFConfig(v_th=0.5, v_reset=-0.2, synapse="delta"), dt=dt), nn.Linear(4, 2),
                            LI(leaky(0.9, dt=dt), dt=dt))
    graph = to_nir(net, (12,))
    for node in graph.nodes.values():
        node.metadata = {}
    back = from_nir(graph, dt=dt)
    x = torch.rand(15, 3, 12) * 2
    torch.testing.assert_close(back(x), net(x), rtol=1e-5, atol=1e-5)
    assert back[1].neuron.tau_m == pytest.approx(net[1].neuron.tau_m)


def test_subtractive_reset_is_lost_without_metadata_and_refused_when_strict():
    net = SpikingSequential(nn.Linear(3, 2), IF())
    graph = to_nir(net, (3,))
    graph.nodes["1_if"].metadata = {}
    assert from_nir(graph, dt=1e-3)[1].neuron.reset_mode == "zero"
    with pytest.raises(ConfigError, match="subtraction"):
        to_nir(net, (3,), strict=True)
    with pytest.raises(ConfigError, match="refractory"):
        to_nir(SpikingSequential(nn.Linear(3, 2), LIF(LIFConfig(synapse="delta"))), (3,), strict=True)


def test_exported_parameters_follow_the_euler_step_convention():
    dt = 1e-3
    net = _mlp()
    graph = to_nir(net, (12,))
    lif = graph.nodes["1_lif"]
    # the Euler step 1 − dt/τ of the exported τ is the layer's decay β = 0.8 (to round-off), as snnTorch writes it
    assert np.allclose(1.0 - dt / lif.tau, 0.8, rtol=0, atol=1e-15) and lif.tau.shape == (20,)
    # (dt/τ)·r = v_th − v_reset = 1 V: a unit input moves v by one threshold gap
    assert np.allclose(dt / lif.tau * lif.r, 1.0)
    assert np.allclose(lif.v_threshold, 1.0) and np.allclose(lif.v_reset, 0.0) and np.allclose(lif.v_leak, 0.0)
    assert graph.metadata["neurofab_dt"] == dt == graph.metadata["dt"]
    assert np.array_equal(graph.nodes["0_linear"].weight, net[0].weight.detach().numpy())


def test_import_of_a_hand_built_graph_steps_as_by_hand():
    # snnTorch's published convention: tau = dt/(1 − β), r = tau/dt, v_leak = 0; here tau = 10 ms, dt = 1 ms
    dt, tau = 1e-3, 10e-3
    graph = nir.NIRGraph.from_list(
        nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.zeros(2, dtype=np.float32)),
        nir.LIF(tau=np.full(2, tau), r=np.full(2, tau / dt), v_leak=np.zeros(2), v_threshold=np.ones(2),
                v_reset=np.zeros(2)))
    net = from_nir(graph, dt=dt)
    beta, gain = 1.0 - dt / tau, 1.0  # the Euler step: r·dt/τ = 1
    x = torch.tensor([[0.4, 0.9]]).expand(6, 1, 2).contiguous()
    v, expected = np.zeros(2), []
    for _ in range(6):
        v = beta * v + gain * np.array([0.4, 0.9])
        s = (v >= 1.0).astype(np.float32)
        v = np.where(s > 0, 0.0, v)
        expected.append(s)
    assert np.array_equal(net(x)[:, 0].detach().numpy(), np.array(expected))
    assert sum(map(sum, expected)) > 0


def test_converted_network_round_trips():
    torch.manual_seed(0)
    ann = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(27, 4))
    x = torch.rand(5, 1, 8, 8)
    seq = convert(ann, x).to_spiking_sequential()
    back = from_nir(to_nir(seq, (1, 8, 8)))
    xs = repeat_over_time(x, 30)
    torch.testing.assert_close(back(xs), seq(xs))


def test_refusals():
    with pytest.raises(InputTypeError, match="SpikingSequential"):
        to_nir(nn.Sequential(nn.Linear(2, 2)), (2,))  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="ReLU"):
        to_nir(SpikingSequential(nn.Linear(2, 2), nn.ReLU(), LIF()), (2,))
    with pytest.raises(ConfigError, match="no NIR node"):  # a current-synapse readout (CubaLI) is not in NIR 1.0
        to_nir(SpikingSequential(nn.Linear(2, 2), LI(LIFConfig(t_ref=0.0, synapse="current"))), (2,))
    with pytest.raises(ShapeError, match="does not fit"):
        to_nir(_mlp(), (13,))
    with pytest.raises(ShapeError, match="positive integers"):
        to_nir(_mlp(), (0,))
    with pytest.raises(ConfigError, match="pass dt"):
        to_nir(SpikingSequential(nn.Linear(2, 2), LIF(dt=1e-3), nn.Linear(2, 2), LIF(leaky(0.9, 2e-3), dt=2e-3)),
               (2,))
    graph = to_nir(_mlp(), (12,))
    graph.metadata = {}
    with pytest.raises(ConfigError, match="pass dt"):
        from_nir(graph)
    hetero = nir.NIRGraph.from_list(
        nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.zeros(2, dtype=np.float32)),
        nir.LIF(tau=np.array([0.01, 0.02]), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2)))
    with pytest.raises(ConfigError, match="common gain"):  # per-neuron τ with r = 1: per-neuron input gains
        from_nir(hetero, dt=1e-3)
    hetero_leak = nir.NIRGraph.from_list(
        nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.zeros(2, dtype=np.float32)),
        nir.LIF(tau=np.full(2, 0.01), r=np.full(2, 10.0), v_leak=np.array([0.0, 0.1]), v_threshold=np.ones(2)))
    with pytest.raises(ConfigError, match="differs between neurons"):
        from_nir(hetero_leak, dt=1e-3)
    unknown = nir.NIRGraph.from_list(nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.zeros(2)),
                                     nir.Threshold(threshold=np.ones(2)))
    with pytest.raises(UnknownNameError, match="Threshold"):
        from_nir(unknown, dt=1e-3)
    a = nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.zeros(2, dtype=np.float32))
    branching = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([2])}), "a": a, "b": a,
               "output": nir.Output(output_type={"output": np.array([2])})},
        edges=[("input", "a"), ("input", "b"), ("a", "output"), ("b", "output")], type_check=False)
    with pytest.raises(ConfigError, match="feed-forward"):
        from_nir(branching, dt=1e-3)
    no_carrier = nir.NIRGraph.from_list(nir.LIF(tau=np.full(2, 0.01), r=np.full(2, 7.0), v_leak=np.zeros(2),
                                                v_threshold=np.ones(2)))
    with pytest.raises(ConfigError, match="carry"):
        from_nir(no_carrier, dt=1e-3)


def test_file_errors(tmp_path):
    with pytest.raises(DataNotFoundError):
        read_nir(tmp_path / "missing.nir")
    bad = tmp_path / "bad.nir"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(DataError, match="not a readable NIR file"):
        read_nir(bad)
    with pytest.raises(InputTypeError):
        from_nir(42)  # type: ignore[arg-type]
    net = SpikingSequential(nn.Linear(3, 2), LIF())
    write_nir(net, tmp_path / "ok.nir", (3,))
    assert not list(tmp_path.glob("*.tmp"))


def test_cuba_lif_round_trips_and_follows_the_euler_convention():
    dt = 1e-3
    torch.manual_seed(2)
    net = SpikingSequential(nn.Linear(6, 5), LIF(synaptic(0.7, 0.9, dt)), nn.Linear(5, 3),
                            LIF(LIFConfig(synapse="current", t_ref=0.0, tau_syn_exc=4e-3, reset_mode="subtract"),
                                dt=dt))
    graph = to_nir(net, (6,))
    node = graph.nodes["1_lif"]
    assert isinstance(node, nir.CubaLIF)
    assert np.allclose(1.0 - dt / node.tau_syn, 0.7, atol=1e-15) and np.allclose(1.0 - dt / node.tau_mem, 0.9)
    assert np.allclose((dt / node.tau_syn) * node.w_in, 1.0) and np.allclose((dt / node.tau_mem) * node.r, 1.0)
    x = torch.rand(30, 2, 6) * 2
    with torch.no_grad():
        expected = net(x)
        assert torch.equal(from_nir(graph)(x), expected) and expected.sum() > 10  # with our metadata: exact
        bare = from_nir(_strip_neuron_metadata(graph), reset="subtract")  # as another tool's file would read
        assert bare[3].neuron.v_rest == pytest.approx(-70e-3)
        assert bare[3].consts.syn_decay == pytest.approx(math.exp(-0.25))
        assert torch.equal(bare(x), expected)


def _strip_neuron_metadata(graph: nir.NIRGraph) -> nir.NIRGraph:
    for node in graph.nodes.values():
        node.metadata = {}
    return graph


def test_foreign_lif_reads_beta_as_the_euler_step_and_the_reset_as_asked():
    """snnTorch's convention (τ = dt/(1 − β), r = τ/dt): β comes back exactly, reset by subtraction on request."""
    dt, beta = 1e-4, 0.9
    graph = nir.NIRGraph.from_list(
        nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.zeros(2, dtype=np.float32)),
        nir.LIF(tau=np.full(2, dt / (1 - beta)), r=np.full(2, 1 / (1 - beta)), v_leak=np.zeros(2),
                v_threshold=np.ones(2), v_reset=np.zeros(2)))
    net = from_nir(graph, dt=dt, reset="subtract")
    assert net[1].consts.decay == pytest.approx(beta, abs=1e-15) and net[1].neuron.reset_mode == "subtract"
    assert torch.equal(net[0].weight.detach(), torch.eye(2))  # r·dt/τ = 1: no gain folded
    with pytest.raises(ConfigError, match="reset"):
        from_nir(graph, dt=dt, reset="hard")
    with pytest.raises(ConfigError, match="not above dt"):
        from_nir(graph, dt=2e-3)  # τ = 1 ms is not a decay at dt = 2 ms


def test_learned_beta_and_threshold_are_exported():
    dt = 1e-3
    layer = LIF(leaky(0.9, dt), learn_beta=True, learn_threshold=True)
    per = LIF(leaky(0.9, dt), learn_beta=True, param_shape=(3,))
    with torch.no_grad():
        layer.beta.fill_(0.75)
        layer.threshold.fill_(1.5)
        per.beta.copy_(torch.tensor([0.6, 0.7, 0.8]))
    net = SpikingSequential(nn.Linear(4, 3), layer, nn.Linear(3, 3), per)
    graph = to_nir(net, (4,))
    assert np.allclose(1.0 - dt / graph.nodes["1_lif"].tau, 0.75) and np.allclose(graph.nodes["1_lif"].v_threshold, 1.5)
    assert np.allclose(1.0 - dt / graph.nodes["3_lif"].tau, [0.6, 0.7, 0.8])
    back = from_nir(to_nir(net[:2], (4,)))
    assert back[1].consts.decay == pytest.approx(0.75) and back[1].neuron.v_th == pytest.approx(1.5)
    # per-neuron values come back as per-neuron parameters: the same spikes
    full = from_nir(graph)
    assert full[3].beta.shape == (3,) and torch.allclose(full[3].beta.detach(), per.beta.detach())
    x = torch.rand(40, 2, 4) * 2
    with torch.no_grad():
        assert torch.equal(full(x), net(x)) and net(x).sum() > 5
    threshold_only = LIF(leaky(0.9, dt), learn_threshold=True, param_shape=(3,))
    with torch.no_grad():
        threshold_only.threshold.copy_(torch.tensor([0.5, 1.0, 2.0]))
    back = from_nir(to_nir(SpikingSequential(nn.Linear(4, 3), threshold_only), (4,)))
    assert torch.allclose(back[1].threshold.detach(), torch.tensor([0.5, 1.0, 2.0])) and back[1].beta is None
    hetero_gain = to_nir(SpikingSequential(nn.Linear(4, 3), per), (4,))
    hetero_gain.nodes["1_lif"].r = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ConfigError, match="common gain"):
        from_nir(hetero_gain)
