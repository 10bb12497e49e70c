"""Tile-level parity with IBM aihwkit: the same device draws, pulsed updates and periphery, in distribution.

Three experiments, each run by neurofab and — in the same run, on the same inputs — by aihwkit 1.1 (its
interpreter from ``AIHWKIT_PYTHON``, default ``/tmp/anchors-aihw/bin/python``):

1. device-to-device draws of a 256×256 SoftBounds array (bounds ±1, aihwkit defaults otherwise): mean and std
   of the bounds and of the up/down step sizes;
2. pulsed updates: a 32×64 tile, weights programmed to the same w₀, then 30 batches of 64 (x, δ) with the
   default stochastic compressed trains (BL ≤ 31, update and BL management), repeated with fresh random seeds.
   Without d2d and c2c every device of both simulators has the same distribution of final weights: the
   per-device z-scores of the mean difference have an rms near 1 when the two agree (≫ 1 when they differ).
   With d2d and c2c on, the array-level statistics (shrinkage towards the symmetry point, spread) are compared;
3. the periphery: forward and transpose MVMs of a 256×392 matrix whose outputs saturate the ADC (bound
   management active), default IO, 50 repeats: rms z-score of the per-output means and the mean noise std.

    PYTHONPATH=$PWD python benchmarks/analog_parity.py [--reps 40]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import torch
from _peer import AIHWKIT, run_peer

AIHWKIT_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, torch
    from aihwkit.simulator.tiles import AnalogTile
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.configs.devices import ConstantStepDevice, SoftBoundsDevice
    data, out, reps = np.load(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(1)
    NO_VAR = dict(dw_min_dtod=0.0, w_max_dtod=0.0, w_min_dtod=0.0, up_down_dtod=0.0, dw_min_std=0.0)
    def device(kind, variation):
        kw = dict(w_max=1.0, w_min=-1.0, **({} if variation else NO_VAR))
        return SoftBoundsDevice(**kw) if kind == "soft_bounds" else ConstantStepDevice(**kw)
    def weights(t):
        w = t.get_weights()
        return (w[0] if isinstance(w, tuple) else w).detach().numpy()
    res = {}
    torch.manual_seed(0)
    hp = AnalogTile(256, 256, SingleRPUConfig(device=device("soft_bounds", True))).get_hidden_parameters()
    for ours, theirs in (("w_max", "max_bound"), ("w_min", "min_bound"), ("dw_up", "dwmin_up"),
                         ("dw_down", "dwmin_down")):
        res["d2d_" + ours] = hp[theirs].numpy().ravel()
    xs, ds, w0 = (torch.from_numpy(data[k]) for k in ("xs", "ds", "w0"))
    for kind in ("constant_step", "soft_bounds"):
        for variation in (False, True):
            for lr in (0.05, 0.5):
                finals = []
                for r in range(reps):
                    torch.manual_seed(1000 + r)
                    t = AnalogTile(w0.shape[0], w0.shape[1], SingleRPUConfig(device=device(kind, variation)))
                    t.set_learning_rate(lr)
                    t.set_weights(w0)
                    for x, d in zip(xs, ds):
                        t.update(x, d)
                    finals.append(weights(t))
                res[f"upd_{kind}_{variation}_{lr}"] = np.stack(finals)
    W, x, d = (torch.from_numpy(data[k]) for k in ("W", "x", "d"))
    t = AnalogTile(W.shape[0], W.shape[1], SingleRPUConfig(device=ConstantStepDevice(w_max=2, w_min=-2,
                                                                                  w_max_dtod=0, w_min_dtod=0)))
    t.set_weights(W)
    with torch.no_grad():
        res["io_forward"] = torch.stack([t.forward(x) for _ in range(50)]).numpy()
        res["io_backward"] = torch.stack([t.backward(d) for _ in range(50)]).numpy()
    np.savez(out, **res)
    """
)

NO_VAR = {"dw_min_dtod": 0.0, "w_max_dtod": 0.0, "w_min_dtod": 0.0, "up_down_dtod": 0.0, "dw_min_std": 0.0}


def inputs(path: Path) -> dict[str, np.ndarray]:
    gen = torch.Generator().manual_seed(0)
    data = {
        "xs": torch.rand(30, 64, 64, generator=gen),
        "ds": torch.randn(30, 64, 32, generator=gen) * 0.02,
        "w0": (torch.rand(32, 64, generator=gen) * 2 - 1) * 0.5,
        "W": (torch.rand(256, 392, generator=gen) * 2 - 1) + 0.05,
        "x": torch.rand(64, 392, generator=gen) * (torch.rand(64, 392, generator=gen) < 0.6),
        "d": torch.randn(64, 256, generator=gen) * 0.01 + 0.02 * (torch.arange(256) < 40),
    }
    data = {k: v.numpy() for k, v in data.items()}
    np.savez(path, **data)
    return data


def ours(data: dict[str, np.ndarray], reps: int) -> dict[str, np.ndarray]:
    from neurofab.crossbar import AnalogTile, TileConfig
    from neurofab.devices import ConstantStep, SoftBounds

    def device(kind: str, variation: bool):
        kw = {"w_max": 1.0, "w_min": -1.0, **({} if variation else NO_VAR)}
        return SoftBounds(**kw) if kind == "soft_bounds" else ConstantStep(**kw)

    res = {}
    arr = device("soft_bounds", True).build((256, 256), seed=0)
    for name in ("w_max", "w_min", "dw_up", "dw_down"):
        res["d2d_" + name] = getattr(arr, name).double().numpy().ravel()
    xs, ds, w0 = (torch.from_numpy(data[k]) for k in ("xs", "ds", "w0"))
    for kind in ("constant_step", "soft_bounds"):
        for variation in (False, True):
            for lr in (0.05, 0.5):
                finals = []
                for r in range(reps):
                    tile = AnalogTile(*w0.shape, TileConfig(device=device(kind, variation)), seed=1000 + r)
                    tile.set_weights(w0)
                    for x, d in zip(xs, ds, strict=True):
                        tile.update(x, d, lr)
                    finals.append(tile.get_weights().numpy())
                res[f"upd_{kind}_{variation}_{lr}"] = np.stack(finals)
    W, x, d = (torch.from_numpy(data[k]) for k in ("W", "x", "d"))
    tile = AnalogTile(*W.shape, TileConfig(device=ConstantStep(w_max=2, w_min=-2, w_max_dtod=0, w_min_dtod=0)))
    tile.set_weights(W)
    res["io_forward"] = torch.stack([tile.forward(x) for _ in range(50)]).numpy()
    res["io_backward"] = torch.stack([tile.backward(d) for _ in range(50)]).numpy()
    return res


def rms_z(a: np.ndarray, b: np.ndarray) -> float:
    """rms over elements of (mean_a − mean_b) / its standard error (repeats along axis 0)."""
    se = np.sqrt((a.var(0, ddof=1) + b.var(0, ddof=1)) / a.shape[0])
    z = (a.mean(0) - b.mean(0)) / np.maximum(se, 1e-12)
    return float(np.sqrt((z**2).mean()))


def report(data: dict[str, np.ndarray], a: dict[str, np.ndarray], o: dict[str, np.ndarray]) -> None:
    print("1. d2d draws, SoftBounds ±1 (256×256): mean / std, aihwkit | neurofab")
    for name in ("w_max", "w_min", "dw_up", "dw_down"):
        va, vo = a["d2d_" + name], o["d2d_" + name]
        print(f"   {name:8s} {va.mean():+.5f} / {va.std():.5f} | {vo.mean():+.5f} / {vo.std():.5f}")
    print("2. pulsed updates, 32×64 tile, 30 batches of 64 from the same w₀")
    w0 = data["w0"]
    for key in sorted(k for k in a if k.startswith("upd_")):
        kind, variation, lr = key[len("upd_"):].rsplit("_", 2)
        va, vo = a[key], o[key]
        shrink_a = np.polyfit(w0.ravel(), (va.mean(0) - w0).ravel(), 1)[0]
        shrink_o = np.polyfit(w0.ravel(), (vo.mean(0) - w0).ravel(), 1)[0]
        label = f"{kind}, {'d2d+c2c' if variation == 'True' else 'no variation'}, lr {lr}"
        z = f"rms z {rms_z(va, vo):.2f}" if variation == "False" else "(devices differ: array statistics)"
        print(f"   {label:40s} mean |Δw| {np.abs(va - w0).mean():.4f} | {np.abs(vo - w0).mean():.4f}   "
              f"slope of Δw on w₀ {shrink_a:+.4f} | {shrink_o:+.4f}   spread {va.std(0).mean():.4f} | "
              f"{vo.std(0).mean():.4f}   {z}")
    print("3. periphery, 256×392, default IO, saturating outputs, 50 repeats")
    ref_f = data["x"] @ data["W"].T
    ref_b = data["d"] @ data["W"]
    for name, ref in (("forward", ref_f), ("backward", ref_b)):
        va, vo = a["io_" + name], o["io_" + name]
        err_a = np.sqrt(((va.mean(0) - ref) ** 2).mean())
        err_o = np.sqrt(((vo.mean(0) - ref) ** 2).mean())
        print(f"   {name:8s} rms bias vs exact {err_a:.4g} | {err_o:.4g}   noise std {va.std(0).mean():.4g} | "
              f"{vo.std(0).mean():.4g}   rms z {rms_z(va, vo):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=40, help="repeats of each update experiment")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        data = inputs(Path(tmp) / "inputs.npz")
        out = Path(tmp) / "aihwkit.npz"
        peer = run_peer(*AIHWKIT, AIHWKIT_SCRIPT,
                        Path(tmp) / "inputs.npz", out, args.reps)
        mine = ours(data, args.reps)
        if peer is None:
            return
        theirs = dict(np.load(out))
    report(data, theirs, mine)


if __name__ == "__main__":
    sys.exit(main())
