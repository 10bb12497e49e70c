"""NIR exchange (Neuromorphic Intermediate Representation, ``nir`` 1.0): export and import feed-forward SNNs.

A :class:`~neurofab.spiking.layers.SpikingSequential` maps node by node:

======================================  =========================================================================
neurofab                                NIR node
======================================  =========================================================================
``nn.Linear`` (with / without bias)     ``Affine(weight, bias)`` / ``Linear(weight)``
``nn.Conv2d``                           ``Conv2d(input_shape, weight, stride, padding, dilation, groups, bias)``
``nn.AvgPool2d``                        ``AvgPool2d(kernel_size, stride, padding)``
``nn.Flatten``                          ``Flatten`` (NIR shapes have no batch axis: ``start_dim`` is one less)
``LIF`` (delta synapses)                ``LIF(tau, r, v_leak=v_rest, v_threshold, v_reset)``
``LIF`` (exponential-current synapses)  ``CubaLIF(tau_syn, tau_mem, r, v_leak, v_threshold, v_reset, w_in)``
``IF`` (IFConfig, delta synapses)       ``IF(r, v_threshold, v_reset)``
``LI`` with a LIFConfig / IFConfig      ``LI(tau, r, v_leak)`` / ``I(r)``
======================================  =========================================================================

NIR is continuous-time: τ dv/dt = (v_leak − v) + R·I (LIF, LI), dv/dt = R·I (IF, I), τ_syn dI/dt = −I + w_in·S
(CubaLIF). A simulator steps it at a ``dt`` of its choice; like snnTorch's NIR reader we read a node
as its **forward-Euler step** at ``dt``:

    β = 1 − dt/τ,   v_t = β v_{t−1} + (1 − β)(v_leak + r·I_t)      (LIF, LI)      α = 1 − dt/τ_syn (CubaLIF)

so the decay of one step and τ map exactly both ways: export writes τ = dt/(1 − β) for our layer's per-step decay
β (= e^{−dt/τ_m} of its config), import runs a layer whose per-step decay is 1 − dt/τ. One unit of our normalized
input moves v by v_th − v_reset, hence the exported r = (v_th − v_reset)/(1 − β) (LIF, LI; snnTorch's r = τ/dt
when v_th − v_reset = 1), r = (v_th − v_reset)/dt (IF, I), and for CubaLIF w_in = 1/(1 − α) and r as LIF; on
import the input gain (1 − β)·r/(v_th − v_reset) (times (1 − α)·w_in for CubaLIF; dt·r/… for IF, I) is folded
into the weights of the preceding Affine/Linear/Conv2d node.

``dt`` is a choice of the simulator, not part of NIR 1.0: export writes it to the graph's metadata (``dt`` and
``neurofab_dt``) and takes it as an argument — the step of the tool that will read the file; the per-step dynamics
are the same at any ``dt``, only the τ's in the file scale with it (snnTorch's importer always steps at
dt = 10⁻⁴ s and reads no metadata: export for it with ``dt=1e-4``). Import takes ``dt`` as an argument (default:
the graph's metadata; a file without it needs one — snnTorch writes its files at dt = 10⁻⁴ s).

What NIR 1.0 nodes cannot say — a reset by subtraction, a refractory period, a bias current — is kept in each
neuron node's metadata (``neurofab_neuron``, the neuron config as JSON) so our own graphs round-trip exactly; other
tools read those nodes as reset-to-v_reset neurons without refractoriness. ``strict=True`` refuses to export such
neurons instead. A foreign file carries no reset mode (snnTorch writes its reset-by-subtraction neurons as plain
LIF nodes): ``from_nir(..., reset="subtract")`` reads them as such. Per-neuron (learned) β and thresholds are
exported as per-neuron τ and v_threshold; on import, per-neuron τ or thresholds of
a spiking node become the layer's per-neuron β/θ parameters (``learn_beta``/``learn_threshold``).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import nir
import numpy as np
import torch
from torch import nn

from neurofab.core import ConfigError, DataError, DataNotFoundError, InputTypeError, ShapeError, UnknownNameError
from neurofab.spiking.layers import IF, LI, LIF, SnnTorchLIFConfig, SpikingNeurons, SpikingSequential, SteppedLIFConfig
from neurofab.spiking.neurons import IFConfig, LIFConfig

_META_NEURON = "neurofab_neuron"
_META_DT = "neurofab_dt"


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32)


def _full(shape: tuple[int, ...], value: float) -> np.ndarray:
    """Neuron parameters in float64, so that τ = dt/(1 − β) gives β back to round-off."""
    return np.full(shape, value, dtype=np.float64)


def _neuron_meta(cfg: LIFConfig | IFConfig) -> dict[str, Any]:
    return {_META_NEURON: json.dumps({"type": type(cfg).__name__, **cfg.to_dict()})}


def _neuron_node(layer: nn.Module, shape: tuple[int, ...], dt: float, strict: bool) -> nir.NIRNode:
    cfg = layer.neuron
    if cfg.synapse == "conductance" or (cfg.synapse == "current" and not isinstance(layer, LIF)):
        raise ConfigError(f"NIR export: {type(layer).__name__} with {cfg.synapse!r} synapses has no NIR node; "
                          "delta synapses (all layers) and current synapses (LIF → CubaLIF) are exported")
    if strict:
        lossy = []
        if isinstance(layer, SpikingNeurons) and cfg.reset_mode == "subtract":
            lossy.append("reset by subtraction")
        if cfg.t_ref > 0:
            lossy.append(f"refractory period {cfg.t_ref:g} s")
        if isinstance(cfg, SnnTorchLIFConfig):
            lossy.append("snnTorch's order of operations (reset after the decay)")
        if cfg.i_bias != 0:
            lossy.append(f"bias current {cfg.i_bias:g} A")
        if lossy:
            raise ConfigError(f"NIR export (strict): {type(layer).__name__} has {', '.join(lossy)}, which NIR 1.0 "
                              "neuron nodes cannot express")
    scale = cfg.v_th - cfg.v_reset
    beta, v_th, cfg = _layer_values(layer, shape)
    meta = _neuron_meta(cfg)
    if isinstance(cfg, LIFConfig):
        if np.any(beta >= 1.0):
            raise ConfigError(f"NIR export: {type(layer).__name__} has a decay β = 1 (no leak), which a LIF node "
                              "cannot express")
        tau, r = dt / (1.0 - beta), scale / (1.0 - beta)
        if isinstance(layer, LI):
            return nir.LI(tau=tau, r=r, v_leak=_full(shape, cfg.v_rest), metadata=meta)
        if cfg.synapse == "current":
            alpha = layer.consts.syn_decay
            return nir.CubaLIF(tau_syn=_full(shape, dt / (1.0 - alpha)), tau_mem=tau, r=r,
                               v_leak=_full(shape, cfg.v_rest), v_threshold=v_th, v_reset=_full(shape, cfg.v_reset),
                               w_in=_full(shape, 1.0 / (1.0 - alpha)), metadata=meta)
        return nir.LIF(tau=tau, r=r, v_leak=_full(shape, cfg.v_rest), v_threshold=v_th,
                       v_reset=_full(shape, cfg.v_reset), metadata=meta)
    r = scale / dt
    if isinstance(layer, LI):
        return nir.I(r=_full(shape, r), metadata=meta)
    return nir.IF(r=_full(shape, r), v_threshold=v_th, v_reset=_full(shape, cfg.v_reset), metadata=meta)


def _layer_values(layer: nn.Module, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, LIFConfig | IFConfig]:
    """Per-neuron decay β and threshold [V] of a layer (its learned ones where it has them), and the config that
    describes it (the learned values written in when they are one per layer)."""
    cfg, consts = layer.neuron, layer.consts
    beta = _full(shape, consts.decay)
    v_th = _full(shape, cfg.v_th)
    learned_beta, learned_th = getattr(layer, "beta", None), getattr(layer, "threshold", None)
    if learned_beta is not None:
        beta = np.broadcast_to(learned_beta.detach().clamp(0.0, 1.0).double().cpu().numpy(), shape).copy()
    if learned_th is not None:
        theta = learned_th.detach().clamp_min(1e-6).double().cpu().numpy()
        v_th = np.broadcast_to(cfg.v_reset + theta * (cfg.v_th - cfg.v_reset), shape).copy()
    if learned_beta is not None and learned_beta.numel() == 1 and 0.0 < float(beta.flat[0]) < 1.0:
        cfg = cfg.replace(tau_m=-layer.dt / math.log(float(beta.flat[0])))
    if learned_th is not None and learned_th.numel() == 1:
        cfg = cfg.replace(v_th=float(v_th.flat[0]))
    return beta, v_th, cfg


def _pair(v: Any) -> tuple[int, int]:
    """(a, b) from an int, a pair, or a numpy array of one or two entries."""
    flat = np.asarray(v).reshape(-1)
    if flat.size not in (1, 2):
        raise ShapeError(f"expected one or two integers, got {v!r}")
    return (int(flat[0]), int(flat[-1]))


def to_nir(net: SpikingSequential, input_shape: tuple[int, ...], dt: float | None = None,
           strict: bool = False) -> nir.NIRGraph:
    """The NIR graph of ``net`` for inputs of shape ``input_shape`` per sample (no time or batch axis).

    ``dt`` [s] is the step of the simulator that will read the graph (see the module docstring); it defaults to
    the neuron layers' own (they must agree). The per-step dynamics do not depend on it.
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
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata={_META_DT: float(dt), "dt": float(dt)})
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


def _varying(node: nir.NIRNode, field: str) -> np.ndarray | None:
    """The per-neuron values of ``field`` when they differ between neurons, else None."""
    values = np.asarray(getattr(node, field), dtype=np.float64)
    return None if values.size == 0 or np.allclose(values, values.flat[0], rtol=1e-6, atol=0.0) else values


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
    types = {"LIFConfig": LIFConfig, "IFConfig": IFConfig, "SteppedLIFConfig": SteppedLIFConfig,
             "SnnTorchLIFConfig": SnnTorchLIFConfig}
    if kind not in types:
        raise UnknownNameError(f"NIR import: unknown neuron type {kind!r} in the {_META_NEURON} metadata")
    return types[kind](**data)


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


def from_nir(graph: nir.NIRGraph | str | Path, dt: float | None = None,
             reset: Literal["zero", "subtract"] | None = None) -> SpikingSequential:
    """A :class:`SpikingSequential` from a NIR graph (or a NIR file), run with time step ``dt`` [s] (default: the
    graph's ``neurofab_dt`` or ``dt`` metadata). ``reset`` sets the reset of every spiking neuron node (default:
    the node's ``neurofab_neuron`` metadata, else reset to v_reset as NIR defines it)."""
    if reset not in (None, "zero", "subtract"):
        raise ConfigError(f"reset = {reset!r}: must be None, 'zero' or 'subtract'")
    if isinstance(graph, str | Path):
        graph = read_nir(graph)
    if not isinstance(graph, nir.NIRGraph):
        raise InputTypeError(f"from_nir takes a nir.NIRGraph or a file path, got {type(graph).__name__}")
    if dt is None:
        meta = graph.metadata or {}
        dt = meta.get(_META_DT, meta.get("dt"))
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
        elif isinstance(node, nir.LIF | nir.CubaLIF | nir.IF | nir.LI | nir.I):
            modules.append(_import_neuron(node, name, dt, modules, reset))
        else:
            raise UnknownNameError(f"NIR import: node {name!r} of type {type(node).__name__} is not supported; "
                                   "supported: Affine, Linear, Conv2d, AvgPool2d, Flatten, LIF, CubaLIF, IF, LI, I")
    return SpikingSequential(*modules)


def _euler_decay(dt: float, tau: float, node_name: str, field: str) -> float:
    """β = 1 − dt/τ, the decay of one forward-Euler step (must lie in (0, 1): τ > dt)."""
    if not tau > dt:
        raise ConfigError(f"NIR import: node {node_name!r} has {field} = {tau!r} s, not above dt = {dt!r} s; its "
                          "Euler step 1 − dt/τ would not be a decay in (0, 1) (pass the dt the file was made for)")
    return 1.0 - dt / tau


def _same_steps(cfg: LIFConfig | IFConfig, fields: dict[str, Any], dt: float) -> bool:
    """Whether ``cfg`` run at ``dt`` has the per-step decays that the NIR fields give (to round-off)."""
    if not isinstance(cfg, LIFConfig) or not math.isclose(getattr(cfg, "dt", dt), dt, rel_tol=1e-12):
        return False
    pairs = [(cfg.tau_m, fields["tau_m"])]
    if "tau_syn_exc" in fields:
        pairs.append((cfg.tau_syn_exc, fields["tau_syn_exc"]))
    return all(math.isclose(math.exp(-dt / a), math.exp(-dt / b), rel_tol=1e-9) for a, b in pairs)


def _import_neuron(node: nir.NIRNode, name: str, dt: float, modules: list[nn.Module],
                   reset: str | None) -> nn.Module:
    meta_cfg = _neuron_from_meta(node)
    per_beta = per_theta = None  # per-neuron decays and thresholds (spiking nodes): held as layer parameters
    if isinstance(node, nir.LIF | nir.CubaLIF):
        tau_field = "tau_mem" if isinstance(node, nir.CubaLIF) else "tau"
        taus = _varying(node, tau_field)
        if taus is not None:
            per_beta = np.array([_euler_decay(dt, t, name, tau_field) for t in taus.flat]).reshape(taus.shape)
            if not np.allclose((1.0 - per_beta) * np.asarray(node.r, dtype=np.float64), (1.0 - per_beta.flat[0])
                               * float(np.asarray(node.r).flat[0]), rtol=1e-6):
                raise ConfigError(f"NIR import: node {name!r} has per-neuron τ with per-neuron input gains "
                                  "(dt/τ)·r; only a common gain can be folded into the weights")
            node = _with_first(node, (tau_field, "r"))
        per_theta = _varying(node, "v_threshold")
        if per_theta is not None:
            node = _with_first(node, ("v_threshold",))
    if isinstance(node, nir.IF) and _varying(node, "v_threshold") is not None:
        per_theta = _varying(node, "v_threshold")
        node = _with_first(node, ("v_threshold",))
    if isinstance(node, nir.LIF | nir.LI | nir.CubaLIF):
        tau_field = "tau_mem" if isinstance(node, nir.CubaLIF) else "tau"
        beta = _euler_decay(dt, _uniform(node, tau_field), name, tau_field)
        v_leak = _uniform(node, "v_leak")
        fields: dict[str, Any] = {"tau_m": -dt / math.log(beta), "v_rest": v_leak, "t_ref": 0.0, "synapse": "delta"}
        gain = 1.0 - beta
        if isinstance(node, nir.CubaLIF):
            alpha = _euler_decay(dt, _uniform(node, "tau_syn"), name, "tau_syn")
            fields.update(tau_syn_exc=-dt / math.log(alpha), synapse="current")
            gain *= (1.0 - alpha) * _uniform(node, "w_in")
        if isinstance(node, nir.LI):
            fields.update(v_reset=v_leak, v_th=v_leak + 1.0)  # a leaky integrator: normalized by 1 V around v_leak
        else:
            fields.update(v_th=_uniform(node, "v_threshold"), v_reset=_uniform(node, "v_reset"), reset_mode="zero")
        if meta_cfg is None:
            cfg: LIFConfig | IFConfig = LIFConfig(**fields)
        elif _same_steps(meta_cfg, fields, dt):  # our own file read at the dt it was written for: exact
            cfg = meta_cfg
        else:  # the NIR fields give the per-step decays at this dt; the metadata the rest
            keep = ("tau_m", "tau_syn_exc", "v_rest") + (() if isinstance(node, nir.LI) else ("v_th", "v_reset"))
            fields = {k: v for k, v in fields.items() if k in keep}
            if isinstance(meta_cfg, SteppedLIFConfig):
                fields["dt"] = dt
            cfg = meta_cfg.replace(**fields)
    else:
        cfg = meta_cfg
        if cfg is None:
            if isinstance(node, nir.IF):
                cfg = IFConfig(v_th=_uniform(node, "v_threshold"), v_reset=_uniform(node, "v_reset"),
                               reset_mode="zero", synapse="delta")
            else:
                cfg = IFConfig(v_th=1.0, v_reset=0.0, synapse="delta")
        gain = dt
    if reset is not None and not isinstance(node, nir.LI | nir.I):
        cfg = cfg.replace(reset_mode=reset)
    _fold_gain(modules, gain * _uniform(node, "r") / (cfg.v_th - cfg.v_reset), name)
    layer_dt = None if getattr(cfg, "dt", None) is not None else dt
    if isinstance(node, nir.LI | nir.I):
        return LI(cfg, dt=layer_dt)
    shape = None
    if per_beta is not None or per_theta is not None:
        shape = tuple((per_beta if per_beta is not None else per_theta).shape)
    if isinstance(cfg, LIFConfig):
        layer: SpikingNeurons = LIF(cfg, dt=layer_dt, learn_beta=per_beta is not None,
                                    learn_threshold=per_theta is not None, param_shape=shape)
    else:
        layer = IF(cfg, dt=layer_dt, learn_threshold=per_theta is not None, param_shape=shape)
    with torch.no_grad():
        if per_beta is not None:
            layer.beta.copy_(torch.as_tensor(per_beta))
        if per_theta is not None:
            layer.threshold.copy_(torch.as_tensor((per_theta - cfg.v_reset) / (cfg.v_th - cfg.v_reset)))
    return layer


def _with_first(node: nir.NIRNode, fields: tuple[str, ...]) -> nir.NIRNode:
    """A copy of ``node`` whose ``fields`` hold their first neuron's value for every neuron."""
    node = copy.copy(node)
    for f in fields:
        values = np.asarray(getattr(node, f), dtype=np.float64)
        setattr(node, f, np.full(values.shape, values.flat[0]))
    return node


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
