"""BIF text import and export (the Bayesian Interchange Format read and written by pgmpy, bnlearn, GeNIe).

Read: ``network``, ``variable … { type discrete [ k ] { s1, …, sk }; }`` and ``probability ( X | P1, P2 ) { … }``
blocks, with either ``table p1, …;`` (root nodes) or one ``(state of P1, state of P2) p1, …;`` line per parent
configuration. ``property`` lines and comments (``//``, ``/* */``) are skipped. Write: the same, one row per
parent configuration. Files are written atomically.

Bundled networks (``neurofab/bayes/networks/*.bif``, :func:`load_network`) are typed in from their published CPTs;
each file's header comment names the source.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from neurofab.bayes.network import BayesNet, Node, rows
from neurofab.core import DataError, DataNotFoundError, atomic_write_text

NETWORK_DIR = Path(__file__).with_name("networks")

_VAR = re.compile(r"variable\s+([^\s{]+)\s*\{(.*?)\}\s*(?=variable|probability|$)", re.S)
_TYPE = re.compile(r"type\s+discrete\s*\[\s*(\d+)\s*\]\s*\{([^}]*)\}", re.S)
_PROB = re.compile(r"probability\s*\(\s*([^)|]+?)\s*(?:\|\s*([^)]*))?\)\s*\{([^}]*)\}", re.S)
_NAME = re.compile(r"network\s+([^\s{]+)\s*\{")


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _numbers(text: str, where: str) -> list[float]:
    try:
        return [float(x) for x in re.split(r"[\s,]+", text.strip().rstrip(";").strip()) if x]
    except ValueError:
        raise DataError(f"BIF {where}: expected numbers, got {text.strip()!r}") from None


def parse_bif(text: str) -> BayesNet:
    """A :class:`BayesNet` from BIF text (module docstring); errors name the variable."""
    text = _strip_comments(text)
    m = _NAME.search(text)
    name = m.group(1) if m else "network"
    states: dict[str, tuple[str, ...]] = {}
    for vm in _VAR.finditer(text):
        var, body = vm.group(1), vm.group(2) + "}"
        tm = _TYPE.search(body)
        if tm is None:
            raise DataError(f"BIF variable {var!r}: expected 'type discrete [ k ] {{ states }}'")
        sts = tuple(s.strip() for s in tm.group(2).split(",") if s.strip())
        if len(sts) != int(tm.group(1)):
            raise DataError(f"BIF variable {var!r}: declares {tm.group(1)} states but lists {len(sts)}")
        states[var] = sts
    nodes: list[Node] = []
    seen: set[str] = set()
    for pm in _PROB.finditer(text):
        var = pm.group(1).strip()
        parents = tuple(p.strip() for p in (pm.group(2) or "").split(",") if p.strip())
        if var not in states:
            raise DataError(f"BIF probability block for undeclared variable {var!r}")
        if var in seen:
            raise DataError(f"BIF variable {var!r}: two probability blocks")
        seen.add(var)
        for p in parents:
            if p not in states:
                raise DataError(f"BIF variable {var!r}: parent {p!r} is not declared")
        shape = [len(states[p]) for p in parents] + [len(states[var])]
        cpt = torch.full(shape, float("nan"), dtype=torch.float64)
        body = pm.group(3)
        for line in [s.strip() for s in body.split(";") if s.strip()]:
            if line.startswith("table"):
                vals = _numbers(line[5:], f"variable {var!r} table")
                if parents:
                    raise DataError(f"BIF variable {var!r}: 'table' with parents is not read; write one "
                                    "'(parent states) p…;' line per configuration")
                if len(vals) != shape[-1]:
                    raise DataError(f"BIF variable {var!r}: table has {len(vals)} entries, expected {shape[-1]}")
                cpt[:] = torch.tensor(vals, dtype=torch.float64)
            elif line.startswith("("):
                close = line.index(")")
                conf = [s.strip() for s in line[1:close].split(",") if s.strip()]
                if len(conf) != len(parents):
                    raise DataError(f"BIF variable {var!r}: row {line[:close + 1]} names {len(conf)} parent "
                                    f"states, expected {len(parents)}")
                try:
                    idx = tuple(states[p].index(s) for p, s in zip(parents, conf))
                except ValueError:
                    raise DataError(f"BIF variable {var!r}: row {line[:close + 1]} names an unknown state") from None
                vals = _numbers(line[close + 1:], f"variable {var!r} row {line[:close + 1]}")
                if len(vals) != shape[-1]:
                    raise DataError(f"BIF variable {var!r}: row {line[:close + 1]} has {len(vals)} entries, "
                                    f"expected {shape[-1]}")
                cpt[idx] = torch.tensor(vals, dtype=torch.float64)
            elif line.startswith("property"):
                continue
            else:
                raise DataError(f"BIF variable {var!r}: cannot read {line!r}")
        if torch.isnan(cpt).any():
            missing = torch.nonzero(torch.isnan(cpt))[0].tolist()[:-1]
            conf = ", ".join(f"{p}={states[p][i]}" for p, i in zip(parents, missing))
            raise DataError(f"BIF variable {var!r}: no probabilities given for row ({conf})")
        nodes.append(Node(var, states[var], parents, cpt))
    lacking = sorted(set(states) - seen)
    if lacking:
        raise DataError(f"BIF: variables without a probability block: {lacking}")
    return BayesNet(nodes, name=name)


def read_bif(path: str | Path) -> BayesNet:
    p = Path(path)
    if not p.is_file():
        raise DataNotFoundError(f"no BIF file at {p}")
    return parse_bif(p.read_text())


def format_bif(net: BayesNet, header: str = "") -> str:
    """BIF text of ``net`` (probabilities printed with 17 significant digits, so a round trip is exact)."""
    out = [f"// {line}" for line in header.splitlines()]
    out += [f"network {net.name} {{", "}"]
    for nd in net.nodes:
        out += [f"variable {nd.name} {{", f"  type discrete [ {nd.card} ] {{ {', '.join(nd.states)} }};", "}"]
    for nd in net.nodes:
        head = nd.name + (f" | {', '.join(nd.parents)}" if nd.parents else "")
        out.append(f"probability ( {head} ) {{")
        if not nd.parents:
            out.append("  table " + ", ".join(f"{v:.17g}" for v in nd.cpt.tolist()) + ";")
        else:
            pnodes = [net.node(p) for p in nd.parents]
            for r in rows(nd):
                conf = ", ".join(p.states[i] for p, i in zip(pnodes, r))
                out.append(f"  ({conf}) " + ", ".join(f"{v:.17g}" for v in nd.cpt[r].tolist()) + ";")
        out.append("}")
    return "\n".join(out) + "\n"


def write_bif(net: BayesNet, path: str | Path, header: str = "") -> Path:
    return atomic_write_text(Path(path), format_bif(net, header))


def network_names() -> list[str]:
    """Names of the bundled networks."""
    return sorted(p.stem for p in NETWORK_DIR.glob("*.bif"))


def load_network(name: str) -> BayesNet:
    """A bundled network by name (``"sprinkler"``, ``"asia"``; :func:`network_names`)."""
    p = NETWORK_DIR / f"{name}.bif"
    if not p.is_file():
        raise DataNotFoundError(f"no bundled network {name!r}; bundled: {network_names()}")
    return read_bif(p)
