"""Parameter sweeps: a function or a reproduction over a grid of parameters × seeds, resumable, local or on Ray.

A sweep is written down as TOML::

    target = "neurofab.cost.optoelectronic:max_mean_rate"   # "module:function", or "repro:NAME"
    seeds = [0, 1, 2]
    out = "sweep.jsonl"
    [grid]                      # every combination is one point (× every seed)
    n_neurons = [1e9, 1e10]
    efficiency = [1e-4, 1e-3]
    [fixed]                     # passed to every point unchanged
    power_w = 1e7

Each finished point is appended to ``out`` as one JSON line ``{"key", "index", "params", "seed", "result",
"elapsed_s"}`` and flushed, so an interrupted sweep run again computes only the points not yet in the file.
A function receives the parameters as keyword arguments (and ``seed=`` if it takes one); it may return a number,
a dict of numbers, a pydantic model or a :class:`~neurofab.repro.Report`.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from neurofab.core import Config, ConfigError, DataError, UnknownNameError, atomic_write_text
from neurofab.repro import Report
from neurofab.repro import get as get_reproduction

Executor = Literal["serial", "process", "ray"]


class SweepSpec(Config):
    """A sweep: the target, the grid, the fixed arguments, the seeds and where results go."""

    target: str = Field(description='"package.module:function" or "repro:NAME"')
    grid: dict[str, list[Any]] = Field(default_factory=dict, description="parameter -> values (Cartesian product)")
    fixed: dict[str, Any] = Field(default_factory=dict, description="arguments passed to every point")
    seeds: list[Annotated[int, Field(ge=0, lt=2**63)]] = Field(
        default_factory=lambda: [0], min_length=1, description="Monte Carlo seeds (0 ≤ seed < 2⁶³)")
    quick: bool = Field(True, description="quick mode, for reproduction targets")
    out: str = Field("sweep.jsonl", description="JSON-lines results file (relative to the spec's folder)")
    workers: int = Field(2, ge=1, le=1024, description="parallel workers (processes or Ray tasks)")

    @field_validator("target")
    @classmethod
    def _target_form(cls, v: str) -> str:
        if not (v.startswith("repro:") or (":" in v and all(v.split(":", 1)))):
            raise ValueError('target must be "package.module:function" or "repro:NAME"')
        return v

    @field_validator("grid")
    @classmethod
    def _grid_lists(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, values in v.items():
            if not values:
                raise ValueError(f"grid parameter {name!r} has no values")
        return v

    def points(self) -> Iterator[tuple[int, dict[str, Any], int]]:
        """(index, params, seed) for every point, in grid order then seed order."""
        names = list(self.grid)
        combos = itertools.product(*(self.grid[n] for n in names)) if names else [()]
        index = 0
        for combo in combos:
            params = {**self.fixed, **dict(zip(names, combo))}
            for seed in self.seeds:
                yield index, params, seed
                index += 1


def point_key(params: dict[str, Any], seed: int) -> str:
    """A stable key for a point: the hash of its canonical JSON."""
    blob = json.dumps({"params": params, "seed": seed}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def resolve_target(target: str) -> Callable[..., Any]:
    """The callable a target string names."""
    if target.startswith("repro:"):
        repro = get_reproduction(target.removeprefix("repro:"))
        return repro.run
    module_name, attr = target.split(":", 1)
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise UnknownNameError(f"sweep target {target!r}: cannot import {module_name!r} ({err})") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UnknownNameError(f"sweep target {target!r}: {module_name} has no function {attr!r}")
    return fn


def _as_result(value: Any) -> Any:
    """Make a target's return value JSON-ready."""
    if isinstance(value, Report):
        return {"passed": value.passed, "rows": {r.quantity: _as_result(r.to_dict()["ours"]) for r in value.rows}}
    if isinstance(value, Config):
        return value.to_dict()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _as_result(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_result(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf": JSON has no such numbers, a results line must stay JSON
    return value


def run_point(target: str, params: dict[str, Any], seed: int, quick: bool) -> dict[str, Any]:
    """Run one point (in whatever process it lands in) and return its result record."""
    fn = resolve_target(target)
    kwargs = dict(params)
    sig = inspect.signature(fn).parameters
    if target.startswith("repro:"):
        kwargs.update(quick=quick, seed=seed)
    elif "seed" in sig:
        kwargs["seed"] = seed
    t0 = time.perf_counter()
    try:
        result = _as_result(fn(**kwargs))
        error = None
    except Exception as err:  # a failed point is recorded and retried on resume
        result, error = None, f"{type(err).__name__}: {err}"
    return {"result": result, "error": error, "elapsed_s": time.perf_counter() - t0}


def load_results(path: Path) -> dict[str, dict[str, Any]]:
    """Finished records by key; a torn last line (an interrupted write) is cut off the file."""
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not a UTF-8 results file ({err.reason} at byte {err.start}); "
                        "name another --out or remove it") from None
    good_lines, records = [], {}
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        if not line.endswith("\n"):
            break  # torn final write
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if n == len(text.splitlines()):
                break
            raise DataError(f"{path}: line {n} is not valid JSON; remove it to resume") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("key"), str) or "error" not in rec:
            raise DataError(f"{path}: line {n} is not a sweep result record (a JSON object with key and error); "
                            "remove it to resume")
        if rec["error"] is None:  # a failed point is retried: its old line is dropped, not piled up
            good_lines.append(line)
            records[rec["key"]] = rec
    if sum(len(x) for x in good_lines) != len(text):
        atomic_write_text(path, "".join(good_lines))
    return records


def _append(fh, record: dict[str, Any]) -> None:
    fh.write(json.dumps(record, sort_keys=True, default=str, allow_nan=False) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def run_sweep(
    spec: SweepSpec,
    executor: Executor = "process",
    out: str | Path | None = None,
    address: str | None = None,
    show_progress: bool = True,
) -> list[dict[str, Any]]:
    """Run every point not yet in the results file; return all records in grid order.

    ``executor``: ``serial`` (this process), ``process`` (a local pool of ``spec.workers`` processes) or
    ``ray`` (tasks on the Ray cluster at ``address``, or a local one started and stopped here).
    """
    if executor not in ("serial", "process", "ray"):
        raise ConfigError(f"executor = {executor!r}: must be 'serial', 'process' or 'ray'")
    resolve_target(spec.target)  # fail early on a bad target, before any worker starts
    path = Path(out if out is not None else spec.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = load_results(path)
    todo = [(i, p, s) for i, p, s in spec.points() if point_key(p, s) not in done]
    total = len(list(spec.points()))

    progress = Progress(TextColumn("sweep {task.fields[target]}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), disable=not show_progress)
    with progress, path.open("a", encoding="utf-8") as fh:
        task = progress.add_task("sweep", total=total, completed=total - len(todo), target=spec.target)

        def finish(index: int, params: dict[str, Any], seed: int, rec: dict[str, Any]) -> None:
            record = {"key": point_key(params, seed), "index": index, "params": _as_result(params), "seed": seed,
                      **rec}
            _append(fh, record)
            if rec["error"] is None:
                done[record["key"]] = record
            progress.advance(task)

        if executor == "serial" or not todo:
            for i, p, s in todo:
                finish(i, p, s, run_point(spec.target, p, s, spec.quick))
        elif executor == "process":
            _run_pool(spec, todo, finish)
        else:
            _run_ray(spec, todo, finish, address)

    ordered = [done[point_key(p, s)] for _, p, s in spec.points() if point_key(p, s) in done]
    return sorted(ordered, key=lambda r: r["index"])


def _run_pool(spec: SweepSpec, todo, finish) -> None:
    with ProcessPoolExecutor(max_workers=spec.workers, mp_context=get_context("spawn")) as pool:
        pending: dict[Future, tuple] = {pool.submit(run_point, spec.target, p, s, spec.quick): (i, p, s)
                                        for i, p, s in todo}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                finish(*pending.pop(fut), fut.result())


def _run_ray(spec: SweepSpec, todo, finish, address: str | None) -> None:
    try:
        import ray
    except ImportError:
        raise ConfigError("executor 'ray' needs the ray extra: pip install 'neurofab[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR"}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=spec.workers, **kwargs)
    try:
        remote = ray.remote(run_point)
        pending = {remote.remote(spec.target, p, s, spec.quick): (i, p, s) for i, p, s in todo}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                finish(*pending.pop(ref), ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()


def results_table(records: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    """A canonical, executor-independent view of a sweep's results: (params JSON, seed, result JSON) rows."""
    return [(json.dumps(r["params"], sort_keys=True, default=str), r["seed"],
             json.dumps(r["result"], sort_keys=True, default=str)) for r in sorted(records, key=lambda r: r["index"])]
