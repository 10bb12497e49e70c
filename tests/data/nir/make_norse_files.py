"""Writes the Norse NIR files of tests/spiking/test_nir_norse.py (run by hand; never imported by the tests).

    PYTHONPATH=<a folder holding norse 1.1.0 and nirtorch 2.6, installed with pip --no-deps> \
        python tests/data/nir/make_norse_files.py

Builds a Norse network (Linear 5→8, ``LIFBoxCell`` τ_mem = 10 ms, Linear 8→3, ``LIFBoxCell`` τ_mem = 20 ms,
Norse's forward-Euler step at dt = 1 ms, reset to 0), runs it on 8× the fixed input of the snnTorch files
(``make_files.py``; output weights 120× theirs), writes its NIR file with Norse's own node converter
(``norse.torch.utils.export_nir._extract_norse_module``, nodes chained by hand as for snnTorch) and saves the input
and the spikes of both layers to ``norse_spikes.npz``.
Versions used: Norse 1.1.0, nirtorch 2.6, nir 1.0.8, torch 2.13 (CPU).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_files import N_HID, N_IN, N_OUT, _input, _linears  # noqa: E402

DT = 1e-3


def main() -> None:
    import nir
    from norse.torch import LIFBoxCell, LIFBoxParameters
    from norse.torch.utils.export_nir import _extract_norse_module

    x = _input() * 8.0  # Norse's input gain is dt/τ (0.1, 0.05 here): a stronger input than snnTorch's
    l1, l2 = _linears()
    with torch.no_grad():
        l2.weight.mul_(30.0)
    c1 = LIFBoxCell(LIFBoxParameters(tau_mem_inv=torch.tensor(100.0)), dt=DT)
    c2 = LIFBoxCell(LIFBoxParameters(tau_mem_inv=torch.tensor(50.0)), dt=DT)
    s1 = s2 = None
    hid, out = [], []
    with torch.no_grad():
        for t in range(x.shape[0]):
            z1, s1 = c1(l1(x[t]), s1)
            z2, s2 = c2(l2(z1), s2)
            hid.append(z1)
            out.append(z2)
    layers = [l1, c1, l2, c2]
    nodes = [nir.Input(input_type={"input": np.array([N_IN])})]
    nodes += [_extract_norse_module(m, dt=DT) for m in layers]
    for node, width in ((nodes[2], N_HID), (nodes[4], N_OUT)):  # broadcast scalar parameters to the layer
        for k, v in vars(node).items():
            if isinstance(v, np.ndarray | np.generic | torch.Tensor) and np.size(np.asarray(v)) == 1:
                setattr(node, k, np.full(width, float(np.asarray(v)), dtype=np.float32))
    nodes.append(nir.Output(output_type={"output": np.array([N_OUT])}))
    nir.write(str(HERE / "norse_lifbox.nir"), nir.NIRGraph.from_list(*nodes, type_check=False))
    saved = {"input": x.numpy(), "lifbox_hidden": torch.stack(hid).numpy(), "lifbox_out": torch.stack(out).numpy()}
    np.savez_compressed(HERE / "norse_spikes.npz", **saved)
    for k, v in saved.items():
        print(k, v.shape, float(v.sum()))


if __name__ == "__main__":
    main()
