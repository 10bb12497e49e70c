"""User-defined neuron models: a small equation language that generates a compiled step and a torch step.

A new neuron model is a subclass of :class:`NeuronModel` (a :class:`~neurofab.core.Config`: its parameters are
validated pydantic fields with SI units in their descriptions) with four class attributes written as strings::

    class QIF(NeuronModel):
        '''Quadratic integrate-and-fire: τ dV/dt = (V − v_r)(V − v_c)/Δ + R I.'''
        state = ("v = v_r",)                                   # state variables and initial values
        equations = ("dv/dt = ((v - v_r) * (v - v_c) / delta + r * I) / tau",)
        threshold = "v >= v_peak"
        reset = ("v = v_r",)
        tau: float = Field(10e-3, gt=0, le=1.0, description="membrane time constant [s]")
        ...

* ``state``: the state variables in order, each ``"name = initial value"`` (a number or a parameter's name; a
  dict name → value works too). The
  first one is the membrane potential: it receives the synaptic input unless ``input`` names another variable,
  and it is what :meth:`Network.state` calls ``"v"``.
* ``equations``: one line per state variable that changes over a step, either an ODE ``"dx/dt = f"``
  (forward Euler in ``substeps`` sub-steps of dt/substeps) or an explicit update ``"x = g"`` (applied once per
  step; use it for an exact propagator such as ``"x = x * exp(-dt / tau)"``). Every right-hand side is evaluated
  from the state at the start of the (sub-)step. A variable without a line stays constant.
* ``threshold``: a comparison ``"a >= b"`` (or ``>``) between expressions; the neuron fires when it holds after
  the update and the input. The torch step feeds ``a − b`` to the surrogate spike function.
* ``reset``: assignments ``"x = g"`` applied in order when the neuron fires.
* ``input`` (optional, default the first state variable): the variable that the synaptic input of a step jumps
  (delta synapses: a presynaptic spike of weight w adds w to it, in that variable's unit); or two variables
  ``("g_e", "g_i")``: a network's ``receptor="exc"`` projections jump the first, ``"inh"`` the second (each by
  its weight as given, e.g. a conductance [S] ≥ 0), as a Brian2 ``on_pre`` per synapse type would.
* ``substeps`` (optional, default 1): Euler sub-steps per time step for the ODE lines.
* ``refractory`` (optional): an absolute refractory period [s], a number or an expression of the parameters
  (``"t_ref"``). For round(t_ref/dt) steps after a spike the membrane (the first state variable) is clamped at
  its value after the reset and the threshold is not tested, as the built-in neurons do (NEST's ``iaf`` models):
  input arriving for the membrane is lost, input for another ``input`` variable (a synaptic current) arrives as
  usual, and the other variables keep integrating. The count of steps left is carried as one more state
  variable, ``_refractory`` (last in the state tuple, initially 0).

Expressions use + − * / **, parentheses, numbers, the state variables, the float/int parameters of the model,
``I`` (the external current held over the step, e.g. a Network's ``dc`` source [A]), ``dt`` (the time step [s])
and the functions ``exp``, ``log``, ``sqrt``, ``tanh``, ``abs``. Nothing else parses. A model class whose
strings are missing, malformed or refer to unknown names raises :class:`~neurofab.core.ConfigError` when the
class is defined, naming the class and the offending string.

From the strings the model generates (once per class) a numba C-callable population step, which the network
simulator's compiled loop calls through a function pointer (:func:`compiled_step`), and a torch step
(:func:`torch_step`) that the layer :class:`ModelNeurons` runs under autograd with a surrogate spike function.
Both execute the same arithmetic in the same order, so a network population and a layer agree to round-off.
Order within one step: the ODE/update lines, then the arriving input, then threshold and reset (as the
built-in delta-synapse neurons). Custom models have no exponential synapses of their own (write a synaptic
variable as a state variable if needed).
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import torch

from neurofab.core import Config, ConfigError, InputTypeError, NumericalError, ShapeError, record, recording
from neurofab.spiking.layers import _TimeLayer
from neurofab.spiking.surrogate import Surrogate
from neurofab.spiking.surrogate import surrogate as make_surrogate

__all__ = ["FUNCTIONS", "ModelNeurons", "NeuronModel", "ParsedModel", "compiled_step", "parsed", "torch_step"]

#: functions an expression may call
FUNCTIONS = ("exp", "log", "sqrt", "tanh", "abs")
_RESERVED = {"I", "dt", "carray", *FUNCTIONS}
_REFRACTORY = "_refractory"  #: the hidden state variable of a model with a refractory period: steps left
_ODE = re.compile(r"^\s*d\s*([A-Za-z][A-Za-z0-9_]*)\s*/\s*dt\s*=(.*)$")
_ASSIGN = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(?!=)(.*)$")
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Call, ast.Add,
                  ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


class ParsedModel(NamedTuple):
    """A model's strings, checked and split: what the code generators read."""

    names: tuple[str, ...]  #: state variables in order
    initial: tuple[float | str, ...]  #: initial value of each (a number or a parameter name)
    params: tuple[str, ...]  #: numeric parameter fields, in declaration order
    odes: tuple[tuple[str, str], ...]  #: (variable, right-hand side) of the ODE lines
    updates: tuple[tuple[str, str], ...]  #: (variable, right-hand side) of the explicit update lines
    lhs: str  #: threshold: fires when lhs (>= or >) rhs
    op: str  #: ">=" or ">"
    rhs: str
    reset: tuple[tuple[str, str], ...]  #: (variable, value) applied in order on a spike
    input: str  #: the variable the synaptic input jumps (excitatory receptor when input_inh is set)
    substeps: int
    refractory: str | None = None  #: refractory period [s] as an expression of the parameters (None: none)
    input_inh: str | None = None  #: the variable the inhibitory receptor jumps (None: the same as ``input``)


def _expr(text: str, known: set[str], who: str) -> str:
    """Check one right-hand side: arithmetic on known names and the allowed functions only."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ConfigError(f"{who}: {text.strip()!r} is not an expression") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ConfigError(f"{who}: {text.strip()!r} uses {type(node).__name__}; expressions may use + - * / **, "
                              f"numbers, names and {', '.join(FUNCTIONS)}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or len(node.args) != 1 \
                    or node.keywords:
                raise ConfigError(f"{who}: {text.strip()!r}: only one-argument calls of {', '.join(FUNCTIONS)}")
        elif isinstance(node, ast.Name) and node.id not in known and node.id not in FUNCTIONS:
            raise ConfigError(f"{who}: {text.strip()!r} refers to {node.id!r}, which is neither a state variable, a "
                              "numeric parameter, I nor dt")
        elif isinstance(node, ast.Constant) and (isinstance(node.value, bool) or
                                                 not isinstance(node.value, int | float)):
            raise ConfigError(f"{who}: {text.strip()!r}: constants must be numbers")
    return ast.unparse(tree)


def _lines(value: object, who: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, tuple | list) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{who}: must be a string or a tuple of strings, got {value!r}")
    return tuple(value)


def _parse(cls: type[NeuronModel]) -> ParsedModel:
    name = cls.__name__
    missing = [a for a in ("state", "equations", "threshold", "reset") if getattr(cls, a, None) is None]
    if missing:
        raise ConfigError(f"{name}: a neuron model needs {', '.join(missing)} (its step function is generated from "
                          "state, equations, threshold and reset; see neurofab.spiking.models)")
    state = cls.state
    if not isinstance(state, dict):
        pairs = {}
        for line in _lines(state, f"{name}.state"):
            m = _ASSIGN.match(line)
            if not m:
                raise ConfigError(f"{name}.state: {line!r} must read 'name = initial value'")
            text = m.group(2).strip()
            try:
                pairs[m.group(1)] = float(text)
            except ValueError:
                pairs[m.group(1)] = text
        state = pairs
    if not state:
        raise ConfigError(f"{name}.state: give at least one state variable ('v = 0')")
    params = tuple(f for f, info in cls.model_fields.items()
                   if info.annotation in (float, int))
    for var, init in state.items():
        if (not isinstance(var, str) or not var.isidentifier() or keyword.iskeyword(var) or var.startswith("_")
                or var in _RESERVED):
            raise ConfigError(f"{name}.state: {var!r} cannot name a state variable")
        if var in cls.model_fields:
            raise ConfigError(f"{name}.state: {var!r} is also a parameter")
        if isinstance(init, bool) or not ((isinstance(init, int | float) and math.isfinite(init)) or init in params):
            raise ConfigError(f"{name}.state[{var!r}] = {init!r}: must be a finite number or a numeric parameter name")
    for p in params:
        if p.startswith("_") or p in _RESERVED:
            raise ConfigError(f"{name}: parameter {p!r} clashes with a reserved name ({', '.join(sorted(_RESERVED))})")
    names = tuple(state)
    known = {*names, *params, "I", "dt"}
    odes, updates, seen = [], [], set()
    for line in _lines(cls.equations, f"{name}.equations"):
        m = _ODE.match(line) or _ASSIGN.match(line)
        if not m:
            raise ConfigError(f"{name}.equations: {line!r} is neither 'dx/dt = ...' nor 'x = ...'")
        var = m.group(1)
        if var not in names:
            raise ConfigError(f"{name}.equations: {line!r} changes {var!r}, which is not in state {names}")
        if var in seen:
            raise ConfigError(f"{name}.equations: {var!r} has two lines")
        seen.add(var)
        (odes if m.re is _ODE else updates).append((var, _expr(m.group(2), known, f"{name}.equations")))
    if not seen:
        raise ConfigError(f"{name}.equations: no equation given")
    th = cls.threshold
    if not isinstance(th, str):
        raise ConfigError(f"{name}.threshold: must be a string like 'v >= v_th', got {th!r}")
    parts = re.split(r"(>=|>)", th)
    if len(parts) != 3:
        raise ConfigError(f"{name}.threshold: {th!r} must be one comparison 'a >= b' or 'a > b'")
    lhs, op, rhs = (_expr(parts[0], known, f"{name}.threshold"), parts[1], _expr(parts[2], known,
                                                                                  f"{name}.threshold"))
    reset = []
    for line in _lines(cls.reset, f"{name}.reset"):
        m = _ASSIGN.match(line)
        if not m or m.group(1) not in names:
            raise ConfigError(f"{name}.reset: {line!r} must assign a state variable ('v = v_reset')")
        reset.append((m.group(1), _expr(m.group(2), known, f"{name}.reset")))
    inp = getattr(cls, "input", None) or names[0]
    inp_inh = None
    if isinstance(inp, tuple | list):
        if len(inp) != 2 or not all(isinstance(x, str) for x in inp) or inp[0] == inp[1]:
            raise ConfigError(f"{name}.input = {inp!r}: one state variable, or two different ones "
                              "(excitatory, inhibitory)")
        inp, inp_inh = inp
    for x in (inp, inp_inh):
        if x is not None and x not in names:
            raise ConfigError(f"{name}.input = {x!r}: must be a state variable {names}")
    substeps = getattr(cls, "substeps", 1)
    if isinstance(substeps, bool) or not isinstance(substeps, int) or not 1 <= substeps <= 10_000:
        raise ConfigError(f"{name}.substeps = {substeps!r}: must be an integer in [1, 10000]")
    refractory = getattr(cls, "refractory", None)
    initial = tuple(state.values())
    if refractory is not None:
        if isinstance(refractory, bool) or not isinstance(refractory, str | int | float):
            raise ConfigError(f"{name}.refractory = {refractory!r}: must be seconds, a number or an expression of "
                              "the parameters")
        if not isinstance(refractory, str) and not (math.isfinite(refractory) and 0 <= refractory <= 1.0):
            raise ConfigError(f"{name}.refractory = {refractory!r} s: must be in [0, 1] [s]")
        refractory = _expr(str(refractory), set(params), f"{name}.refractory")
        names, initial = (*names, _REFRACTORY), (*initial, 0.0)
    return ParsedModel(names, initial, params, tuple(odes), tuple(updates), lhs, op, rhs,
                       tuple(reset), inp, substeps, refractory, inp_inh)


class NeuronModel(Config):
    """Base of user-defined neuron models (see the module docstring for the class attributes to set).

    Instances are frozen, validated configs like every neuron config; they run in
    :class:`~neurofab.spiking.network.Network` populations and in :class:`ModelNeurons` layers.
    """

    state: ClassVar[tuple[str, ...] | str | dict[str, float | str] | None] = None
    equations: ClassVar[tuple[str, ...] | str | None] = None
    threshold: ClassVar[str | None] = None
    reset: ClassVar[tuple[str, ...] | str | None] = None
    input: ClassVar[str | tuple[str, str] | None] = None
    substeps: ClassVar[int] = 1
    refractory: ClassVar[str | float | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._parsed = _parse(cls)

    def parameter_values(self) -> tuple[float, ...]:
        """The numeric parameters in declaration order (SI units), as the compiled step reads them."""
        return tuple(float(getattr(self, p)) for p in parsed(self).params)

    def initial_values(self) -> tuple[float, ...]:
        """Initial value of each state variable."""
        return tuple(float(getattr(self, x)) if isinstance(x, str) else float(x) for x in parsed(self).initial)


def parsed(model: NeuronModel | type[NeuronModel]) -> ParsedModel:
    """The checked equations of a model (class or instance)."""
    cls = model if isinstance(model, type) else type(model)
    if not (isinstance(cls, type) and issubclass(cls, NeuronModel)) or "_parsed" not in cls.__dict__:
        raise InputTypeError(f"expected a NeuronModel subclass with equations, got {cls.__name__}")
    return cls.__dict__["_parsed"]


# ----- code generation -----------------------------------------------------------------------------------------
def _sub_lines(pm: ParsedModel, indent: str, h: str) -> list[str]:
    """One Euler sub-step of the ODE lines (every right-hand side from the state at the start)."""
    out = [f"{indent}_d_{v} = {rhs}" for v, rhs in pm.odes]
    out += [f"{indent}{v} = {v} + {h} * _d_{v}" for v, _ in pm.odes]
    return out


def _step_body(pm: ParsedModel, indent: str) -> list[str]:
    # explicit updates are evaluated from the state at the start of the step, before the ODE lines move it
    lines = [f"{indent}_u_{v} = {rhs}" for v, rhs in pm.updates]
    if pm.odes:
        if pm.substeps == 1:
            lines += _sub_lines(pm, indent, "dt")
        else:
            lines.append(f"{indent}for _k in range({pm.substeps}):")
            lines += _sub_lines(pm, indent + "    ", "_h")
    lines += [f"{indent}{v} = _u_{v}" for v, _ in pm.updates]
    return lines


def _numba_source(pm: ParsedModel) -> str:
    n_p = max(len(pm.params), 1)
    src = ["def _nf_step(_xp, _n_vars, _n, _pp, _vp, _ep, _ip, _iextp, _ext, dt, _fp):",
           "    _X = carray(_xp, (_n_vars, _n))",
           f"    _P = carray(_pp, ({n_p},))",
           "    _V = carray(_vp, (_n,))",
           "    _E = carray(_ep, (_n,))",
           "    _In = carray(_ip, (_n,))",
           "    _Iext = carray(_iextp, (_n,))",
           "    _F = carray(_fp, (_n,))"]
    src += [f"    {p} = _P[{k}]" for k, p in enumerate(pm.params)]
    src.append(f"    _h = dt / {pm.substeps}")
    src.append("    for _i in range(_n):")
    src += [f"        {v} = _X[{k}, _i]" for k, v in enumerate(pm.names)]
    src.append("        I = _ext * _Iext[_i]")
    if pm.refractory is not None:
        src.append(f"        _held = {pm.names[0]}")
    src += _step_body(pm, "        ")
    # (variable, arriving amount) of each receptor
    arrivals = ([(pm.input, "_E[_i] + _In[_i]")] if pm.input_inh is None
                else [(pm.input, "_E[_i]"), (pm.input_inh, "_In[_i]")])
    src += [f"        _a{k} = {amount}" for k, (_, amount) in enumerate(arrivals)]
    src += ["        _E[_i] = 0.0", "        _In[_i] = 0.0"]
    if pm.refractory is None:
        src += [f"        {var} = {var} + _a{k}" for k, (var, _) in enumerate(arrivals)]
        src += [f"        _f = ({pm.lhs}) {pm.op} ({pm.rhs})", "        if _f:"]
        src += [f"            {v} = {rhs}" for v, rhs in pm.reset]
    else:
        r, v0 = _REFRACTORY, pm.names[0]
        # input to another variable (a synaptic current or conductance) arrives during refractoriness too
        src += [f"        {var} = {var} + _a{k}" for k, (var, _) in enumerate(arrivals) if var != v0]
        src += [f"        if {r} > 0.5:", f"            {v0} = _held", f"            {r} = {r} - 1.0",
                "            _f = False", "        else:"]
        src += [f"            {var} = {var} + _a{k}" for k, (var, _) in enumerate(arrivals) if var == v0]
        src += [f"            _f = ({pm.lhs}) {pm.op} ({pm.rhs})", "            if _f:"]
        src += [f"                {v} = {rhs}" for v, rhs in pm.reset]
        src.append(f"                {r} = float(int(({pm.refractory}) / dt + 0.5))")
    src.append("        _F[_i] = _f")
    src += [f"        _X[{k}, _i] = {v}" for k, v in enumerate(pm.names)]
    src.append(f"        _V[_i] = {pm.names[0]}")
    return "\n".join(src) + "\n"


def _torch_source(pm: ParsedModel) -> str:
    src = ["def _nf_torch_step(_state, _p, _x, I, dt, _spike_fn, _detach, _xi=0.0):"]
    src.append(f"    {', '.join(pm.names)}, = _state")
    src += [f"    {p} = _p[{k}]" for k, p in enumerate(pm.params)]
    src.append(f"    _h = dt / {pm.substeps}")
    arrivals = [(pm.input, "_x")] + ([] if pm.input_inh is None else [(pm.input_inh, "_xi")])
    if pm.refractory is None:
        src += _step_body(pm, "    ")
        src += [f"    {var} = {var} + {x}" for var, x in arrivals]
        src.append(f"    _s = _spike_fn(({pm.lhs}) - ({pm.rhs}))")
    else:
        r, v0 = _REFRACTORY, pm.names[0]
        src.append(f"    _held = {v0}")
        src += _step_body(pm, "    ")
        src.append(f"    _busy = {r} > 0.5")
        src += [f"    {var} = {var} + {x}" for var, x in arrivals if var != v0]
        own = " + ".join(x for var, x in arrivals if var == v0)
        src.append(f"    {v0} = _torch.where(_busy, _held, {v0}{' + ' + own if own else ''})")
        src.append(f"    _s = _spike_fn(({pm.lhs}) - ({pm.rhs})) * (~_busy).to(_x.dtype)")
        src.append(f"    {r} = _torch.where(_busy, {r} - 1.0, {r})")
    src.append("    _r = _s.detach() if _detach else _s")
    src += [f"    {v} = {v} + _r * (({rhs}) - {v})" for v, rhs in pm.reset]
    if pm.refractory is not None:
        src.append(f"    {_REFRACTORY} = {_REFRACTORY} + _r.detach() * "
                   f"(float(int(({pm.refractory}) / dt + 0.5)) - {_REFRACTORY})")
    src.append(f"    return ({', '.join(pm.names)},), _s")
    return "\n".join(src) + "\n"


def _as_tensor_fn(fn: Callable, scalar: Callable) -> Callable:
    return lambda x: fn(x) if isinstance(x, torch.Tensor) else scalar(x)


_TORCH_FUNCTIONS = {
    "exp": _as_tensor_fn(torch.exp, math.exp), "log": _as_tensor_fn(torch.log, math.log),
    "sqrt": _as_tensor_fn(torch.sqrt, math.sqrt), "tanh": _as_tensor_fn(torch.tanh, math.tanh), "abs": abs,
}
_COMPILED: dict[type, Any] = {}
_TORCH: dict[type, Callable] = {}


def compiled_step(model: NeuronModel | type[NeuronModel]) -> Any:
    """The model's population step as a numba ``cfunc`` (signature :data:`neurofab.spiking.kernels.CUSTOM_SIG`),
    compiled on first use in a process and kept for the class: advances neurons [0, n) of a population whose state
    is a (n_vars, n) C-ordered float64 block, reads and clears the arriving input, writes the first variable to
    the simulator's membrane array and flags the neurons that fire."""
    cls = model if isinstance(model, type) else type(model)
    pm = parsed(cls)
    if cls not in _COMPILED:
        from numba import carray, cfunc

        from neurofab.spiking.kernels import CUSTOM_SIG

        scope: dict[str, Any] = {"carray": carray, "exp": math.exp, "log": math.log, "sqrt": math.sqrt,
                                 "tanh": math.tanh}
        exec(compile(_numba_source(pm), f"<{cls.__name__} compiled step>", "exec"), scope)
        _COMPILED[cls] = cfunc(CUSTOM_SIG)(scope["_nf_step"])
    return _COMPILED[cls]


def torch_step(model: NeuronModel | type[NeuronModel]) -> Callable:
    """The model's step on tensors: ``(state, params, x, i_ext, dt, spike_fn, detach_reset) → (state, spikes)``,
    ``state`` a tuple of tensors in the order of ``model.state``, ``params`` the values of
    :meth:`NeuronModel.parameter_values`, ``x`` the input jump of the input variable."""
    cls = model if isinstance(model, type) else type(model)
    pm = parsed(cls)
    if cls not in _TORCH:
        scope: dict[str, Any] = {**_TORCH_FUNCTIONS, "_torch": torch}
        exec(compile(_torch_source(pm), f"<{cls.__name__} torch step>", "exec"), scope)
        _TORCH[cls] = scope["_nf_torch_step"]
    return _TORCH[cls]


# ----- a layer -------------------------------------------------------------------------------------------------
def _heaviside(x: torch.Tensor) -> torch.Tensor:
    return (x >= 0).to(x.dtype)


class ModelNeurons(_TimeLayer):
    """A population of a user-defined :class:`NeuronModel` run over time, for torch models and training (also
    inside :class:`~neurofab.spiking.layers.SpikingSequential`, which hands it the whole sequence).

    Input (T, batch, ...): the jump of the model's input variable at each step (its unit); output: spikes of the
    same shape. ``surrogate``: the spike function of the threshold's two sides, ``f(a − b)`` in the threshold
    variable's unit (a surrogate's name or :class:`~neurofab.spiking.surrogate.Surrogate` — mind its slope is per
    unit of ``a − b``, e.g. per volt — or any callable; default the Heaviside step, no gradient through it).
    ``i_ext`` [A]: the external current ``I`` held on the neurons (one value or a tensor that broadcasts to one
    step of input). Runs in the dtype of the input.
    """

    def __init__(self, model: NeuronModel, dt: float,
                 surrogate: str | Surrogate | Callable[[torch.Tensor], torch.Tensor] | None = None,
                 detach_reset: bool = True, i_ext: float | torch.Tensor = 0.0) -> None:
        super().__init__()
        parsed(model)
        if isinstance(dt, bool) or not isinstance(dt, int | float) or not (math.isfinite(dt) and 0 < dt <= 10e-3):
            raise ConfigError(f"ModelNeurons dt = {dt!r}: must be in (0, 0.01] [s]")
        own = getattr(model, "dt", None)
        if own is not None and not math.isclose(own, dt, rel_tol=1e-12, abs_tol=0.0):
            raise ConfigError(f"ModelNeurons: dt = {dt!r} s conflicts with the model's dt = {own!r} s; give dt once")
        self.model = model
        self.dt = float(dt)
        self.spike_fn = (make_surrogate(surrogate) if isinstance(surrogate, str | Surrogate)
                         else surrogate or _heaviside)
        self.detach_reset = bool(detach_reset)
        self.i_ext = i_ext if isinstance(i_ext, torch.Tensor) else float(i_ext)
        self._step = torch_step(model)
        self._params = model.parameter_values()

    def extra_repr(self) -> str:
        return f"{type(self.model).__name__}, dt={self.dt:g} s"

    def initial_state(self, like: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Every variable at its initial value, of the shape, dtype and device of ``like`` (one step of input)."""
        return tuple(torch.full_like(like, x0) for x0 in self.model.initial_values())

    def run(self, x: torch.Tensor, state: tuple[torch.Tensor, ...] | None = None,
            x_inh: torch.Tensor | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Spikes (T, batch, ...) and the final state (a tuple in the order of the model's ``state``).
        ``x_inh``: the jumps of the inhibitory input variable, same shape as ``x``, for a model with two."""
        if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() < 2:
            raise InputTypeError("ModelNeurons: input must be a floating tensor (T, batch, ...)")
        if x_inh is not None:
            if parsed(self.model).input_inh is None:
                raise ConfigError(f"ModelNeurons: {type(self.model).__name__} has one input variable; x_inh "
                                  "needs input = (excitatory, inhibitory)")
            if not isinstance(x_inh, torch.Tensor) or x_inh.shape != x.shape:
                raise ShapeError(f"ModelNeurons: x_inh must be a tensor of the input's shape {tuple(x.shape)}")
        st = self.initial_state(x[0]) if state is None else tuple(state)
        if len(st) != len(parsed(self.model).names) or any(s.shape != x[0].shape for s in st):
            raise ShapeError(f"ModelNeurons: state must be {len(parsed(self.model).names)} tensors of shape "
                             f"{tuple(x[0].shape)}")
        out = []
        for t in range(x.shape[0]):
            st, s = self._step(st, self._params, x[t], self.i_ext, self.dt, self.spike_fn, self.detach_reset,
                               0.0 if x_inh is None else x_inh[t])
            out.append(s)
        spikes = torch.stack(out)
        if recording():
            record("spike", spikes.detach().sum())
            record("neuron_update", spikes[0].numel() * spikes.shape[0])
        return spikes, st

    def forward(self, x: torch.Tensor, check: bool = True) -> torch.Tensor:
        if check and not torch.isfinite(x).all():
            raise NumericalError("ModelNeurons: the input holds NaN or infinite values")
        return self.run(x)[0]
