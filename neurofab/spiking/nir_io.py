"""NIR exchange (Neuromorphic Intermediate Representation, ``nir`` 1.0): export and import feed-forward SNNs.

A :class:`~neurofab.spiking.layers.SpikingSequential` maps node by node:

=====================================  ==========================================================================
neurofab                               NIR node
=====================================  ==========================================================================
``nn.Linear`` (with / without bias)    ``Affine(weight, bias)`` / ``Linear(weight)``
``nn.Conv2d``                          ``Conv2d(input_shape, weight, stride, padding, dilation, groups, bias)``
``nn.AvgPool2d``                       ``AvgPool2d(kernel_size, stride, padding)``
``nn.Flatten``                         ``Flatten`` (NIR shapes have no batch axis: ``start_dim`` is one less)
``LIF`` (LIFConfig, delta synapses)    ``LIF(tau=τ_m, r, v_leak=v_rest, v_threshold=v_th, v_reset)``
``IF`` (IFConfig, delta synapses)      ``IF(r, v_threshold, v_reset)``
``LI`` with a LIFConfig / IFConfig     ``LI(tau, r, v_leak)`` / ``I(r)``
=====================================  ==========================================================================

NIR is continuous-time: τ dv/dt = (v_leak − v) + R·I (LIF, LI), dv/dt = R·I (IF, I). The value I of the node before
a neuron (the weighted spikes of one time step) is read as a current held over one step ``dt``; integrated exactly,
it moves v by (1 − e^{−dt/τ})·R·I (LIF, LI) or dt·R·I (IF, I). One unit of our normalized input moves v by
v_th − v_reset, hence the exported

    r = (v_th − v_reset) / (1 − e^{−dt/τ_m})      (LIF, LI)        r = (v_th − v_reset) / dt      (IF, I)

and on import the factor ``(1 − e^{−dt/τ})·r/(v_th − v_reset)`` (or ``dt·r/(…)``) is folded into the weights of the
preceding Affine/Linear/Conv2d node. ``dt`` is a choice of the simulator, not part of NIR: export writes it to the
graph's metadata (``neurofab_dt``), import takes it as an argument (default: that metadata entry).

What NIR 1.0 nodes cannot say — a reset by subtraction, a refractory period, a bias current — is kept in each
neuron node's metadata (``neurofab_neuron``, the neuron config as JSON) so our own graphs round-trip exactly; other
tools read those nodes as reset-to-v_reset neurons without refractoriness. ``strict=True`` refuses to export such
neurons instead. Exponential-current synapses are not exported (NIR's CubaLIF uses another input convention).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nir
import numpy as np
import torch
from torch import nn

from neurofab.core import ConfigError, DataError, DataNotFoundError, InputTypeError, ShapeError, UnknownNameError
from neurofab.spiking.layers import IF, LI, LIF, SpikingNeurons, SpikingSequential
from neurofab.spiking.neurons import IFConfig, LIFConfig

_META_NEURON = "neurofab_neuron"
_META_DT = "neurofab_dt"


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def _full(shape: tuple[int, ...], value: float) -> np.ndarray:
    return np.full(shape, value, dtype=np.float32)


def _neuron_meta(cfg: LIFConfig | IFConfig) -> dict[str, Any]:
    return {_META_NEURON: json.dumps({"type": type(cfg).__name__, **cfg.to_dict()})}


def _neuron_node(layer: nn.Module, shape: tuple[int, ...], dt: float, strict: bool) -> nir.NIRNode:
    cfg = layer.neuron
    if cfg.synapse != "delta":
        raise ConfigError(f"NIR export: {type(layer).__name__} has {cfg.synapse!r} synapses; only delta synapses "
                          "are exported (set synapse='delta')")
    if strict:
        lossy = []
        if isinstance(layer, SpikingNeurons) and cfg.reset_mode == "subtract":
            lossy.append("reset by subtraction")
        if cfg.t_ref > 0:
            lossy.append(f"refractory period {cfg.t_ref:g} s")
        if cfg.i_bias != 0:
            lossy.append(f"bias current {cfg.i_bias:g} A")
        if lossy:
            raise ConfigError(f"NIR export (strict): {type(layer).__name__} has {', '.join(lossy)}, which NIR 1.0 "
                              "neuron nodes cannot express")
    scale = cfg.v_th - cfg.v_reset
    meta = _neuron_meta(cfg)
    if isinstance(cfg, LIFConfig):
        r = scale / -math.expm1(-dt / cfg.tau_m)
        if isinstance(layer, LI):
            return nir.LI(tau=_full(shape, cfg.tau_m), r=_full(shape, r), v_leak=_full(shape, cfg.v_rest),
                          metadata=meta)
        return nir.LIF(tau=_full(shape, cfg.tau_m), r=_full(shape, r), v_leak=_full(shape, cfg.v_rest),
                       v_threshold=_full(shape, cfg.v_th), v_reset=_full(shape, cfg.v_reset), metadata=meta)
    r = scale / dt
    if isinstance(layer, LI):
        return nir.I(r=_full(shape, r), metadata=meta)
    return nir.IF(r=_full(shape, r), v_threshold=_full(shape, cfg.v_th), v_reset=_full(shape, cfg.v_reset),
                  metadata=meta)


def _pair(v: Any) -> tuple[int, int]:
    """(a, b) from an int, a pair, or a numpy array of one or two entries."""
    flat = np.asarray(v).reshape(-1)
    if flat.size not in (1, 2):
        raise ShapeError(f"expected one or two integers, got {v!r}")
    return (int(flat[0]), int(flat[-1]))


def to_nir(net: SpikingSequential, input_shape: tuple[int, ...], dt: float | None = None,
           strict: bool = False) -> nir.NIRGraph:
    """The NIR graph of ``net`` for inputs of shape ``input_shape`` per sample (no time or batch axis).

    ``dt`` [s] defaults to the neuron layers' own (they must agree).
    """
    if not isinstance(net, SpikingSequential):
        raise InputTypeError(f"to_nir takes a SpikingSequential, got {type(net).__name__}")
    if not isinstance(input_shape, tuple | list) or not all(isinstance(n, int) and n > 0 for n in input_shape):
        raise ShapeError(f"input_shape must be a tuple of positive integers (per sample), got {input_shape!r}")
    dts = {m.dt for m in net if isinstance(m, SpikingNeurons | LI)}
    if dt is None:
        if len(dts) != 1:
            raise ConfigError(f"to_nir: the neuron layers use time steps {sorted(dts)}; pass dt explicitly")
        dt = dts.pop()
    if not (isinstance(dt, int | float) and math.isfinite(dt) and dt > 0):
        raise ConfigError(f"dt = {dt!r}: must be a positive number of seconds")
    shape = tuple(int(n) for n in input_shape)
    nodes: dict[str, nir.NIRNode] = {"input": nir.Input(input_type={"input": np.array(shape)})}
    names = ["input"]
    h = torch.zeros((1, *shape))
    for i, m in enumerate(net):
        name = f"{i}_{type(m).__name__.lower()}"
        if isinstance(m, SpikingNeurons | LI):
            node = _neuron_node(m, shape, dt, strict)
        else:
            try:
                with torch.no_grad():
                    out = m(h)
            except RuntimeError as err:
                raise ShapeError(f"to_nir: input of shape {shape} does not fit layer {i} ({m}): {err}") from None
            if isinstance(m, nn.Linear):
                node = (nir.Affine(weight=_np(m.weight), bias=_np(m.bias)) if m.bias is not None
                        else nir.Linear(weight=_np(m.weight)))
            elif isinstance(m, nn.Conv2d):
                padding = m.padding if isinstance(m.padding, str) else _pair(m.padding)
                bias = _np(m.bias) if m.bias is not None else np.zeros(m.out_channels, dtype=np.float32)
                node = nir.Conv2d(input_shape=shape[1:], weight=_np(m.weight), stride=_pair(m.stride),
                                  padding=padding, dilation=_pair(m.dilation), groups=m.groups, bias=bias)
            elif isinstance(m, nn.AvgPool2d):
                if m.ceil_mode or not m.count_include_pad or m.divisor_override is not None:
                    raise ConfigError("NIR export: AvgPool2d with ceil_mode, count_include_pad=False or a divisor "
                                      "override has no NIR equivalent")
                stride = m.stride if m.stride is not None else m.kernel_size
                node = nir.AvgPool2d(kernel_size=np.array(_pair(m.kernel_size)), stride=np.array(_pair(stride)),
                                     padding=np.array(_pair(m.padding)))
            elif isinstance(m, nn.Flatten):
                if m.start_dim < 1:
                    raise ConfigError("NIR export: Flatten must keep the batch axis (start_dim >= 1)")
                end = m.end_dim - 1 if m.end_dim >= 0 else m.end_dim
                node = nir.Flatten(input_type={"input": np.array(shape)}, start_dim=m.start_dim - 1, end_dim=end)
            else:
                raise InputTypeError(f"NIR export: no NIR node for {type(m).__name__} (layer {i}); supported: "
                                     "Linear, Conv2d, AvgPool2d, Flatten, LIF, IF, LI")
            h = out
            shape = tuple(out.shape[1:])
        nodes[name] = node
        names.append(name)
    nodes["output"] = nir.Output(output_type={"output": np.array(shape)})
    names.append("output")
    edges = list(itertools.pairwise(names))
    try:
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata={_META_DT: float(dt)})
    except (ValueError, AssertionError) as err:
        raise ShapeError(f"to_nir: the NIR graph does not type-check: {err}") from None


# ----- import -----------------------------------------------------------------------------------------------------
def _uniform(node: nir.NIRNode, field: str) -> float:
    values = np.asarray(getattr(node, field), dtype=np.float64)
    if values.size == 0:
        raise DataError(f"NIR {type(node).__name__}.{field} is empty")
    if not np.allclose(values, values.flat[0], rtol=1e-6, atol=0.0):
        raise ConfigError(f"NIR {type(node).__name__}.{field} differs between neurons; neurofab layers take one "
                          "parameter set per layer")
    return float(values.flat[0])


def _chain(graph: nir.NIRGraph) -> list[str]:
    """The node names of a feed-forward chain, input to output."""
    outgoing: dict[str, list[str]] = {}
    incoming: dict[str, int] = {}
    for a, b in graph.edges:
        outgoing.setdefault(a, []).append(b)
        incoming[b] = incoming.get(b, 0) + 1
    inputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]
    if len(inputs) != 1:
        raise ConfigError(f"NIR import: the graph must have one Input node, found {len(inputs)}")
    order = [inputs[0]]
    while outgoing.get(order[-1]):
        nxt = outgoing[order[-1]]
        if len(nxt) != 1 or incoming.get(nxt[0], 0) != 1 or nxt[0] in order:
            raise ConfigError("NIR import: only feed-forward chains are supported (no branches, merges or recurrence)")
        order.append(nxt[0])
    if len(order) != len(graph.nodes):
        raise ConfigError("NIR import: the graph has nodes outside the chain from its Input node")
    return order


def _neuron_from_meta(node: nir.NIRNode) -> LIFConfig | IFConfig | None:
    raw = (node.metadata or {}).get(_META_NEURON)
    if raw is None:
        return None
    data = json.loads(raw if isinstance(raw, str) else bytes(raw).decode())
    kind = data.pop("type")
    return {"LIFConfig": LIFConfig, "IFConfig": IFConfig}[kind](**data)


def _fold_gain(modules: list[nn.Module], gain: float, node_name: str) -> None:
    """Multiply the last weighted module's weight and bias by ``gain`` (a neuron's input scale)."""
    if math.isclose(gain, 1.0, rel_tol=1e-6):
        return
    for m in reversed(modules):
        if isinstance(m, SpikingNeurons | LI):
            break
        if isinstance(m, nn.Linear | nn.Conv2d):
            with torch.no_grad():
                m.weight.mul_(gain)
                if m.bias is not None:
                    m.bias.mul_(gain)
            return
    raise ConfigError(f"NIR import: neuron node {node_name!r} has an input gain of {gain:g} but no Affine, Linear "
                      "or Conv2d node before it to carry it")


def from_nir(graph: nir.NIRGraph | str | Path, dt: float | None = None) -> SpikingSequential:
    """A :class:`SpikingSequential` from a NIR graph (or a NIR file), run with time step ``dt`` [s] (default: the
    graph's ``neurofab_dt`` metadata)."""
    if isinstance(graph, str | Path):
        graph = read_nir(graph)
    if not isinstance(graph, nir.NIRGraph):
        raise InputTypeError(f"from_nir takes a nir.NIRGraph or a file path, got {type(graph).__name__}")
    if dt is None:
        dt = (graph.metadata or {}).get(_META_DT)
        if dt is None:
            raise ConfigError("from_nir: NIR graphs are continuous-time; pass dt (the simulation time step, seconds)")
        dt = float(dt)
    if not (isinstance(dt, int | float) and math.isfinite(dt) and dt > 0):
        raise ConfigError(f"dt = {dt!r}: must be a positive number of seconds")
    modules: list[nn.Module] = []
    for name in _chain(graph):
        node = graph.nodes[name]
        if isinstance(node, nir.Input | nir.Output):
            continue
        if isinstance(node, nir.Affine | nir.Linear):
            w = torch.as_tensor(np.asarray(node.weight, dtype=np.float32))
            if w.dim() != 2:
                raise ShapeError(f"NIR {type(node).__name__} {name!r}: weight must be 2-D, got {tuple(w.shape)}")
            lin = nn.Linear(w.shape[1], w.shape[0], bias=isinstance(node, nir.Affine))
            with torch.no_grad():
                lin.weight.copy_(w)
                if lin.bias is not None:
                    lin.bias.copy_(torch.as_tensor(np.asarray(node.bias, dtype=np.float32)).reshape(-1))
            modules.append(lin)
        elif isinstance(node, nir.Conv2d):
            w = torch.as_tensor(np.asarray(node.weight, dtype=np.float32))
            padding = node.padding if isinstance(node.padding, str) else _pair(node.padding)
            conv = nn.Conv2d(w.shape[1] * int(node.groups), w.shape[0], tuple(w.shape[2:]),
                             stride=_pair(node.stride), padding=padding, dilation=_pair(node.dilation),
                             groups=int(node.groups))
            with torch.no_grad():
                conv.weight.copy_(w)
                conv.bias.copy_(torch.as_tensor(np.asarray(node.bias, dtype=np.float32)).reshape(-1))
            modules.append(conv)
        elif isinstance(node, nir.AvgPool2d):
            modules.append(nn.AvgPool2d(_pair(node.kernel_size), _pair(node.stride), _pair(node.padding)))
        elif isinstance(node, nir.Flatten):
            end = int(node.end_dim) + 1 if int(node.end_dim) >= 0 else int(node.end_dim)
            modules.append(nn.Flatten(int(node.start_dim) + 1, end))
        elif isinstance(node, nir.LIF | nir.IF | nir.LI | nir.I):
            modules.append(_import_neuron(node, name, dt, modules))
        else:
            raise UnknownNameError(f"NIR import: node {name!r} of type {type(node).__name__} is not supported; "
                                   "supported: Affine, Linear, Conv2d, AvgPool2d, Flatten, LIF, IF, LI, I")
    return SpikingSequential(*modules)


def _import_neuron(node: nir.NIRNode, name: str, dt: float, modules: list[nn.Module]) -> nn.Module:
    cfg = _neuron_from_meta(node)
    if isinstance(node, nir.LIF | nir.LI):
        tau, v_leak = _uniform(node, "tau"), _uniform(node, "v_leak")
        if cfg is None:
            if isinstance(node, nir.LIF):
                cfg = LIFConfig(tau_m=tau, v_rest=v_leak, v_th=_uniform(node, "v_threshold"),
                                v_reset=_uniform(node, "v_reset"), t_ref=0.0, reset_mode="zero", synapse="delta")
            else:  # a leaky integrator: normalize by 1 V around the leak potential
                cfg = LIFConfig(tau_m=tau, v_rest=v_leak, v_reset=v_leak, v_th=v_leak + 1.0, t_ref=0.0,
                                synapse="delta")
        step_gain = -math.expm1(-dt / tau)
    else:
        if cfg is None:
            if isinstance(node, nir.IF):
                cfg = IFConfig(v_th=_uniform(node, "v_threshold"), v_reset=_uniform(node, "v_reset"),
                               reset_mode="zero", synapse="delta")
            else:
                cfg = IFConfig(v_th=1.0, v_reset=0.0, synapse="delta")
        step_gain = dt
    _fold_gain(modules, step_gain * _uniform(node, "r") / (cfg.v_th - cfg.v_reset), name)
    if isinstance(node, nir.LI | nir.I):
        return LI(cfg, dt=dt)
    return LIF(cfg, dt=dt) if isinstance(cfg, LIFConfig) else IF(cfg, dt=dt)


# ----- files ------------------------------------------------------------------------------------------------------
def write_nir(net: SpikingSequential, path: str | Path, input_shape: tuple[int, ...], dt: float | None = None,
              strict: bool = False) -> Path:
    """Export ``net`` to a NIR (HDF5) file."""
    path = Path(path)
    graph = to_nir(net, input_shape, dt, strict)
    tmp = path.with_name(path.name + ".tmp")
    nir.write(str(tmp), graph)
    tmp.replace(path)
    return path


def read_nir(path: str | Path) -> nir.NIRGraph:
    """Read a NIR (HDF5) file."""
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"NIR file {path} does not exist")
    try:
        return nir.read(str(path))
    except (OSError, KeyError, ValueError, AssertionError) as err:
        raise DataError(f"{path}: not a readable NIR file ({type(err).__name__}: {err})") from None


def graph_summary(graph: nir.NIRGraph) -> Mapping[str, str]:
    """Node name → NIR node type, in chain order (for messages and reports)."""
    return {name: type(graph.nodes[name]).__name__ for name in _chain(graph)}
