"""Writes the cross-tool NIR files of tests/spiking/test_nir_snntorch.py (run by hand; never imported by the tests).

Two steps, each in its own environment:

    PYTHONPATH=$PWD python tests/data/nir/make_files.py neurofab           # with neurofab installed
    NIR_SITE=<site-packages holding nir, h5py> <snntorch python> tests/data/nir/make_files.py snntorch

Step 1 writes ``neurofab_mlp.nir`` (a neurofab network exported for a reader stepping at dt = 1e-4 s, snnTorch's
fixed step). Step 2 builds snnTorch networks (Leaky with reset by subtraction, Synaptic), runs them on a fixed
input, writes their NIR files with snnTorch's own node converter (``snntorch.export_nir._extract_snntorch_module``;
chained by hand: its graph tracer needs ``nirtorch``, which
is not installed there), reads ``neurofab_mlp.nir`` back with snnTorch's own node
importer (``snntorch.import_nir._nir_to_snntorch_module``) and saves every network's input and spikes to
``snntorch_spikes.npz``. Versions used: snnTorch 1.0.0, torch 2.13 (CPU), nir 1.0.8.
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
T, BATCH, N_IN, N_HID, N_OUT = 60, 4, 5, 8, 3


def _input() -> torch.Tensor:
    g = torch.Generator().manual_seed(7)
    return torch.rand(T, BATCH, N_IN, generator=g) * 1.5


def _linears() -> tuple[torch.nn.Linear, torch.nn.Linear]:
    torch.manual_seed(3)
    l1, l2 = torch.nn.Linear(N_IN, N_HID), torch.nn.Linear(N_HID, N_OUT)
    with torch.no_grad():
        l2.weight.mul_(4.0)  # enough drive for the output layer to spike
    return l1, l2


def make_neurofab() -> None:
    from torch import nn

    from neurofab.spiking.layers import LIF, SpikingSequential, leaky
    from neurofab.spiking.nir_io import write_nir

    l1, l2 = _linears()
    net = SpikingSequential(l1, LIF(leaky(0.9, 1e-3, reset="zero")), l2, LIF(leaky(0.8, 1e-3, reset="zero")))
    assert isinstance(net[0], nn.Linear)
    write_nir(net, HERE / "neurofab_mlp.nir", (N_IN,), dt=1e-4)


def _run(layers: list[torch.nn.Module], x: torch.Tensor) -> list[np.ndarray]:
    """Step an snnTorch chain over time; the spikes of every spiking layer, each (T, batch, n)."""
    import snntorch as snn

    for m in layers:
        if isinstance(m, snn.SpikingNeuron):
            m.reset_mem()
    out: list[list[torch.Tensor]] = [[] for m in layers if isinstance(m, snn.SpikingNeuron)]
    with torch.no_grad():
        for t in range(x.shape[0]):
            h, k = x[t], 0
            for m in layers:
                if isinstance(m, snn.SpikingNeuron):
                    h = m(h)[0]
                    out[k].append(h)
                    k += 1
                else:
                    h = m(h)
    return [torch.stack(s).numpy() for s in out]


def make_snntorch() -> None:
    sys.path.append(os.environ["NIR_SITE"])
    sys.modules.setdefault("nirtorch", types.ModuleType("nirtorch"))  # not installed; the node converters skip it
    import nir
    import snntorch as snn
    from snntorch.export_nir import _extract_snntorch_module
    from snntorch.import_nir import _nir_to_snntorch_module

    x = _input()
    l1, l2 = _linears()
    nets = {
        "leaky": [l1, snn.Leaky(beta=0.9, reset_mechanism="subtract", reset_delay=False), l2,
                  snn.Leaky(beta=0.8, reset_mechanism="subtract", reset_delay=False)],
        "synaptic": [l1, snn.Synaptic(alpha=0.7, beta=0.9, reset_mechanism="subtract", reset_delay=False), l2,
                     snn.Synaptic(alpha=0.6, beta=0.8, reset_mechanism="subtract", reset_delay=False)],
        # per-neuron β and threshold in the hidden layer (snnTorch's learnable-parameter shapes)
        "leaky_per_neuron": [l1, snn.Leaky(beta=torch.linspace(0.7, 0.95, N_HID),
                                           threshold=torch.linspace(0.8, 1.2, N_HID), reset_mechanism="subtract",
                                           reset_delay=False), l2,
                             snn.Leaky(beta=0.8, reset_mechanism="subtract", reset_delay=False)],
        # snnTorch's default Leaky: the reset is applied one step late (documented difference)
        "leaky_delayed_reset": [l1, snn.Leaky(beta=0.9), l2, snn.Leaky(beta=0.8)],
    }
    saved = {"input": x.numpy()}
    for name, layers in nets.items():
        spikes = _run(layers, x)
        saved[f"{name}_hidden"], saved[f"{name}_out"] = spikes
        nodes = [nir.Input(input_type={"input": np.array([N_IN])})]
        nodes += [_extract_snntorch_module(m) for m in layers]
        widths = {id(layers[1]): N_HID, id(layers[3]): N_OUT}
        for m, node in zip(layers, nodes[1:]):  # scalar neuron parameters are broadcast to the layer's neurons
            if id(m) in widths:  # (NIR type-checks each node's shape against its neighbours when reading)
                for k, v in vars(node).items():
                    if isinstance(v, np.ndarray | np.generic) and np.size(v) == 1:
                        setattr(node, k, np.full(widths[id(m)], np.asarray(v).item(), dtype=np.asarray(v).dtype))
        nodes.append(nir.Output(output_type={"output": np.array([N_OUT])}))
        nir.write(str(HERE / f"snntorch_{name}.nir"), nir.NIRGraph.from_list(*nodes, type_check=False))
    graph = nir.read(str(HERE / "neurofab_mlp.nir"))
    order = ["input", *[k for k in graph.nodes if k not in ("input", "output")], "output"]
    layers = [m for k in order if (m := _nir_to_snntorch_module(graph.nodes[k], hack_w_scale=True)) is not None]
    saved["neurofab_mlp_hidden"], saved["neurofab_mlp_out"] = _run(layers, x)
    np.savez_compressed(HERE / "snntorch_spikes.npz", **saved)
    for k, v in saved.items():
        print(k, v.shape, float(v.sum()))


if __name__ == "__main__":
    {"neurofab": make_neurofab, "snntorch": make_snntorch}[sys.argv[1]]()
