"""The ``neurofab`` command: list and run reproductions, run sweeps, describe the installation.

Exit codes: 0 when no claim deviates undeclared (declared deviations are reported, not failed); 1 when one
does, when a declared deviation now reproduces, when a consistency check fails, when a run fails or when a sweep
point fails; 2 on a usage error (unknown name, conflicting options, bad spec, an --out that cannot be written).
"""

from __future__ import annotations

import os
import platform
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import neurofab
from neurofab import repro
from neurofab.core import NeurofabError, progress

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])
console = Console()
if not console.is_terminal:  # logs and pipes: wide enough for a report table on one line per row
    console.width = 150


def _usage_error(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/bold red] {message}")
    return typer.Exit(code=2)


def _unwritable(folder: Path) -> str | None:
    """Why report files cannot be written under ``folder`` (None when they can): checked before any run."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except FileExistsError:
        return "is a file, not a folder"
    except OSError as err:
        return err.strerror or str(err)
    return None


@app.command("list")
def list_cmd() -> None:
    """Name every reproduction with its paper and what it shows."""
    table = Table(title="reproductions")
    for col in ("name", "paper", "shows"):
        table.add_column(col, overflow="fold")
    for r in repro.all_reproductions():
        table.add_row(r.name, r.paper, r.summary)
    console.print(table)


def _show(report, name: str, out: Path, counts: list, failed: list[str]) -> None:
    """Print a finished reproduction's table, write its files and note its verdict."""
    report.print(console)
    folder = report.write(out / name)
    console.print(f"wrote {folder}/report.json, report.md" + (", figures" if report.figures else ""))
    counts.append(report.counts())
    if not report.passed:
        failed.append(name)


@app.command()
def reproduce(
    name: Annotated[str | None, typer.Argument(help="reproduction to run (see `neurofab list`)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="run every reproduction")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="the short version (about a minute each)")] = False,
    out: Annotated[Path, typer.Option("--out", help="folder for report.json, report.md and figures")] = Path(
        "results"),
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="seed for every random draw")] = 0,
) -> None:
    """Run one reproduction (or --all): print paper value beside ours and write the report files."""
    if all_ == (name is not None):
        raise _usage_error("give a reproduction NAME or --all, not both and not neither")
    try:
        targets = repro.all_reproductions() if all_ else [repro.get(name)]
    except NeurofabError as err:
        raise _usage_error(str(err)) from None
    problem = _unwritable(out)
    if problem:  # say so before the run, not after it
        raise _usage_error(f"--out {out}: {problem}")
    failed = []
    counts = []
    with progress(len(targets), "reproductions", enabled=None if len(targets) > 1 else False, unit="done") as done:
        for r in targets:
            with progress(None, f"reproducing {r.name}"):
                try:
                    report = r.run(quick=quick, seed=seed)
                except NeurofabError as err:
                    console.print(f"[bold red]{r.name} could not run:[/bold red] {err}")
                    failed.append(r.name)
                    done(1)
                    continue
            done(1)
            _show(report, r.name, out, counts, failed)
    if len(targets) > 1 and counts:
        console.print(f"[bold]all reproductions:[/bold] {repro.summary_line(counts)}", highlight=False)
    if failed:
        console.print(f"[bold red]not holding:[/bold red] {', '.join(failed)}")
        raise typer.Exit(code=1)


@app.command()
def sweep(
    spec_file: Annotated[Path, typer.Argument(help="sweep specification (TOML)")],
    executor: Annotated[str, typer.Option(help="serial, process or ray")] = "process",
    address: Annotated[str | None, typer.Option(help="address of a running Ray cluster")] = None,
    out: Annotated[Path | None, typer.Option(help="results file (JSON lines); default: the spec's `out`")] = None,
) -> None:
    """Run a function or reproduction over a grid of parameters × seeds; resumes an interrupted sweep."""
    from neurofab.sweep import SweepSpec, run_sweep

    if executor not in ("serial", "process", "ray"):
        raise _usage_error(f"--executor {executor!r}: must be serial, process or ray")
    try:
        spec = SweepSpec.load(spec_file)
        target = out if out is not None else spec_file.parent / spec.out
        records = run_sweep(spec, executor=executor, out=target, address=address)  # type: ignore[arg-type]
    except NeurofabError as err:
        raise _usage_error(str(err)) from None
    total = len(list(spec.points()))
    console.print(f"{len(records)} of {total} points finished → {target}")
    if len(records) < total:
        console.print(f"[bold red]{total - len(records)} point(s) failed[/bold red] (their errors are in {target}; "
                      "run the sweep again to retry them)")
        raise typer.Exit(code=1)


@app.command()
def info() -> None:
    """Versions, threads and devices of this installation."""
    import numba
    import numpy
    import torch

    table = Table(show_header=False)
    rows = [
        ("neurofab", neurofab.__version__),
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("numpy", numpy.__version__),
        ("numba", numba.__version__),
        ("torch threads", str(torch.get_num_threads())),
        ("cpu cores", str(os.cpu_count())),
        ("cuda", (torch.cuda.is_available() and torch.cuda.get_device_name(0)) or "not available"),
        ("data (NEUROFAB_DATA)", os.environ.get("NEUROFAB_DATA", "(not set)")),
    ]
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
