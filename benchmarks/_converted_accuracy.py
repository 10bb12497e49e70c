"""Whole-model conversion beside aihwkit (the ``--suite converted`` part of ``analog_accuracy.py``).

A LeNet (two Conv2d + BatchNorm2d + ReLU + max-pool stages, two Linear) and a row-by-row LSTM classifier
(LSTM over the image rows, Linear head on the last hidden state) are built digitally from one seed, converted
whole to analog training tiles (every Conv2d, Linear and the LSTM's W_ih/W_hh; BatchNorm digital), trained with
analog SGD and with Adam (the pulsed update is the tile's at its parameter group's learning rate, as with
aihwkit's AnalogAdam: by default the tiles' groups run at the network's SGD rate and Adam drives the digital
parameters, biases and BatchNorm, at its own), then converted to PCM inference tiles (aihwkit's PCM model at
g_max 25 µS, 1/f read noise drawn at drift, the programmed weight re-split into a pair before it drifts as
aihwkit does, global drift compensation) and read 1 s, 1 h, 1 day and 1 month after programming, averaged over
independent programmings. Learning rates per network, optimizer and group decay linearly to a tenth over the
epochs in both simulators. aihwkit 1.1 runs the
same network from the same initial weights on the same data in the same order (its interpreter from
``AIHWKIT_PYTHON``); devices: ConstantStep with aihwkit's defaults, IO: aihwkit's default ``IOParameters``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import torch
from _peer import AIHWKIT, run_peer
from torch import nn

TIMES = (1.0, 3600.0, 86400.0, 30 * 86400.0)
TIME_NAMES = ("1 s", "1 h", "1 day", "1 month")

#: the digital networks, defined once and run by both simulators
MODELS = textwrap.dedent(
    """
    def lenet(size):
        k = 3 if size <= 8 else 5
        pad = 1 if size <= 8 else 0
        s1 = (size + 2 * pad - k + 1) // 2
        s2 = (s1 + 2 * pad - k + 1) // 2
        return nn.Sequential(
            nn.Conv2d(1, 8, k, padding=pad), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, k, padding=pad), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * s2 * s2, 32), nn.ReLU(), nn.Linear(32, 10))

    class RowLSTM(nn.Module):
        def __init__(self, size, hidden=32, lstm=None, head=None):
            super().__init__()
            self.lstm = nn.LSTM(size, hidden) if lstm is None else lstm
            self.head = nn.Linear(hidden, 10) if head is None else head

        def forward(self, x):
            out = self.lstm(x.squeeze(1).transpose(0, 1))[0]  # rows are time steps: (H, N, W)
            return self.head(out[-1])

    def build(arch, size):
        return lenet(size) if arch == "lenet" else RowLSTM(size)
    """
)

HEAD = "import copy, json, sys\nimport numpy as np\nimport torch\nfrom torch import nn\n"
PEER = HEAD + MODELS + textwrap.dedent(
    """
    from aihwkit.nn import AnalogConv2d, AnalogLinear
    from aihwkit.nn.conversion import convert_to_analog
    from aihwkit.nn.modules.rnn.cells import AnalogLSTMCell
    from aihwkit.nn.modules.rnn.rnn import AnalogRNN
    from aihwkit.optim import AnalogAdam, AnalogSGD
    from aihwkit.simulator.configs import InferenceRPUConfig, SingleRPUConfig
    from aihwkit.simulator.configs.devices import ConstantStepDevice
    from aihwkit.inference import GlobalDriftCompensation, PCMLikeNoiseModel
    from aihwkit.optim.context import AnalogContext
    path, arch, optimizer = sys.argv[1], sys.argv[2], sys.argv[3]
    seed, lr, batch, repeats = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    times, analog_lr = json.loads(sys.argv[8]), float(sys.argv[9])
    torch.set_num_threads(1)
    data = np.load(path)
    xtr, ytr, xte, yte = (torch.from_numpy(data[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
    perms = torch.from_numpy(data["perms"])
    digital = build(arch, xtr.shape[-1])
    digital.load_state_dict({k[5:]: torch.from_numpy(data[k]) for k in data.files if k.startswith("init:")})

    class AnalogRowLSTM(RowLSTM):
        def forward(self, x):
            out = self.lstm(x.squeeze(1).transpose(0, 1))[0]
            return self.head(out[-1])

    def analog(cfg, source):
        if arch == "lenet":
            return convert_to_analog(copy.deepcopy(source), cfg)
        h = source.lstm.hidden_size
        lstm = AnalogRNN(AnalogLSTMCell, source.lstm.input_size, h, bias=True, rpu_config=cfg)
        cell = lstm.rnn.layers[0].cell
        cell.weight_ih.set_weights(source.lstm.weight_ih_l0.detach(), source.lstm.bias_ih_l0.detach())
        cell.weight_hh.set_weights(source.lstm.weight_hh_l0.detach(), source.lstm.bias_hh_l0.detach())
        head = AnalogLinear(h, 10, bias=True, rpu_config=cfg)
        head.set_weights(source.head.weight.detach(), source.head.bias.detach())
        return AnalogRowLSTM(xtr.shape[-1], h, lstm, head)

    def tiles(model):
        return [m for m in model.modules() if isinstance(m, (AnalogLinear, AnalogConv2d))]

    torch.manual_seed(seed)
    model = analog(SingleRPUConfig(device=ConstantStepDevice()), digital)
    opt = (AnalogSGD if optimizer == "sgd" else AnalogAdam)(model.parameters(), lr=lr)
    opt.regroup_param_groups(model)  # one group per analog tile, at the optimizer's lr
    for group in opt.param_groups:  # the tiles' groups at their own rate: the pulsed update's
        if any(isinstance(p, AnalogContext) for p in group["params"]):
            group["lr"] = analog_lr
    start = [group["lr"] for group in opt.param_groups]
    for epoch, perm in enumerate(perms):
        for group, lr0 in zip(opt.param_groups, start):
            group["lr"] = lr0 * (1 - 0.9 * epoch / max(len(perms) - 1, 1))
        model.train()
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        trained = (model(xte).argmax(1) == yte).float().mean().item()
    cfg = InferenceRPUConfig()
    cfg.noise_model = PCMLikeNoiseModel(g_max=25.0)
    cfg.drift_compensation = GlobalDriftCompensation()
    inf = analog(cfg, digital)
    for a, b in zip(tiles(model), tiles(inf)):
        b.set_weights(*a.get_weights())
    for a, b in zip(model.modules(), inf.modules()):
        if isinstance(a, nn.BatchNorm2d):
            b.load_state_dict(a.state_dict())
    inf.eval()
    acc = [[0.0] * len(times) for _ in range(repeats)]
    with torch.no_grad():
        for r in range(repeats):
            torch.manual_seed(1000 * seed + r)
            for m in tiles(inf):
                m.program_analog_weights()
            for j, t in enumerate(times):
                for m in tiles(inf):
                    m.drift_analog_weights(t)
                acc[r][j] = (inf(xte).argmax(1) == yte).float().mean().item()
    print(json.dumps({"trained": trained, "inference": acc}))
    if len(sys.argv) > 10:  # the trained network as a digital state dict, for the drift check
        dig = copy.deepcopy(digital)
        mats = [m for m in dig.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        with torch.no_grad():
            for d, a in zip(mats, tiles(model)):
                w, b = a.get_weights()
                d.weight.copy_(w.reshape(d.weight.shape))
                d.bias.copy_(b)
            for d, a in zip([m for m in dig.modules() if isinstance(m, nn.BatchNorm2d)],
                            [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]):
                d.load_state_dict(a.state_dict())
        np.savez(sys.argv[10], **{"state:" + k: v.numpy() for k, v in dig.state_dict().items()})
    """
)

#: inference only, on given trained LeNet weights: accuracy, and per tile the compensation α, the drift gain
#: <W(t), W₀>/<W₀, W₀> of the read weights before compensation and the error |α W(t) − W₀| / |W₀|
PEER_DRIFT = HEAD + MODELS + textwrap.dedent(
    """
    from aihwkit.nn.conversion import convert_to_analog
    from aihwkit.simulator.configs import InferenceRPUConfig
    from aihwkit.inference import GlobalDriftCompensation, PCMLikeNoiseModel
    path, repeats, times, seed = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(1)
    data = np.load(path)
    xte, yte = torch.from_numpy(data["x_test"]), torch.from_numpy(data["y_test"])
    digital = build("lenet", xte.shape[-1])
    digital.load_state_dict({k[6:]: torch.from_numpy(data[k]) for k in data.files if k.startswith("state:")})
    cfg = InferenceRPUConfig()
    cfg.noise_model = PCMLikeNoiseModel(g_max=25.0)
    cfg.drift_compensation = GlobalDriftCompensation()
    inf = convert_to_analog(copy.deepcopy(digital), cfg)
    inf.eval()
    tiles = list(inf.analog_tiles())
    ref = [t.tile.get_weights().clone() for t in tiles]
    out = []
    torch.manual_seed(seed)
    with torch.no_grad():
        for r in range(repeats):
            inf.program_analog_weights()
            rec = []
            for t in times:
                inf.drift_analog_weights(t)
                acc = (inf(xte).argmax(1) == yte).float().mean().item()
                layers = []
                for tile, w0 in zip(tiles, ref):
                    wt, a, n0 = tile.tile.get_weights(), float(tile.alpha.reshape(-1)[0]), float((w0 * w0).sum())
                    layers.append([a, float((wt * w0).sum()) / n0, float(((a * wt - w0) ** 2).sum() / n0) ** 0.5])
                rec.append([acc, layers])
            out.append(rec)
    print(json.dumps(out))
    """
)

namespace: dict = {"nn": nn}
exec(MODELS, namespace)  # the same definitions the peer runs


def neurofab_run(data: dict, arch: str, optimizer: str, seed: int, lr: float, analog_lr: float, batch: int,
                 repeats: int, trained_only: bool = False) -> dict:
    """Train, then PCM inference over ``repeats`` programmings (``trained_only``: return the trained network,
    converted to digital, as {"digital": model})."""
    from neurofab.analog import (
        AnalogSGD,
        InferenceConfig,
        accuracy,
        analog_param_groups,
        convert_to_analog,
        convert_to_digital,
        convert_to_inference,
        monte_carlo,
    )
    from neurofab.crossbar import TileConfig
    from neurofab.crossbar.inference_tile import InferenceTileConfig
    from neurofab.crossbar.noise_models import PCMNoiseModel
    from neurofab.devices import ConstantStep

    xtr, ytr, xte, yte = (torch.from_numpy(data[k]) for k in ("x_train", "y_train", "x_test", "y_test"))
    digital = namespace["build"](arch, xtr.shape[-1])
    digital.load_state_dict({k[5:]: torch.from_numpy(v) for k, v in data.items() if k.startswith("init:")})
    model = convert_to_analog(digital, TileConfig(device=ConstantStep()), seed=seed)
    groups = analog_param_groups(model, lr=lr, analog_lr=analog_lr)
    opt = AnalogSGD(groups) if optimizer == "sgd" else torch.optim.Adam(groups)
    perms = torch.from_numpy(data["perms"])
    start = [group["lr"] for group in opt.param_groups]
    for epoch, perm in enumerate(perms):
        for group, lr0 in zip(opt.param_groups, start):
            group["lr"] = lr0 * (1 - 0.9 * epoch / max(len(perms) - 1, 1))  # linear decay to a tenth
        model.train()
        for i in range(0, len(perm), batch):
            idx = perm[i : i + batch]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
    trained = accuracy(model, xte, yte)
    if trained_only:
        return {"digital": convert_to_digital(model)}
    pcm = PCMNoiseModel(read_noise="at_drift", drift_of="net")  # aihwkit: noise frozen at drift, the weight drifts
    cfg = InferenceConfig(tile=InferenceTileConfig(noise_model=pcm))
    inf = convert_to_inference(convert_to_digital(model), cfg, seed=seed)
    mc = monte_carlo(inf, lambda m: accuracy(m, xte, yte), TIMES, repeats, seed=seed)
    return {"trained": trained, "inference": mc.values.tolist(), "report": str(model.conversion_report)}


def peer_run(path: Path, arch: str, optimizer: str, seed: int, lr: float, analog_lr: float, batch: int,
             repeats: int, save: Path | None = None) -> dict | None:
    extra = () if save is None else (save,)
    out = run_peer(*AIHWKIT, PEER, path, arch, optimizer, seed, lr, batch, repeats, json.dumps(TIMES), analog_lr,
                   *extra, timeout=7200)
    return None if out is None else json.loads(out.strip().splitlines()[-1])


def _data(split, arch: str, seed: int, epochs: int) -> dict:
    torch.manual_seed(seed)
    digital = namespace["build"](arch, split.x_train.shape[-1])
    gen = torch.Generator().manual_seed(seed)
    perms = torch.stack([torch.randperm(len(split.x_train), generator=gen) for _ in range(epochs)])
    data = {"x_train": split.x_train.numpy(), "y_train": split.y_train.numpy(), "x_test": split.x_test.numpy(),
            "y_test": split.y_test.numpy(), "perms": perms.numpy()}
    data.update({f"init:{k}": v.detach().numpy() for k, v in digital.state_dict().items()})
    return data


def _pct(values: list[float]) -> str:
    mean = 100 * statistics.fmean(values)
    se = 100 * statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return f"{mean:6.2f} ± {se:4.2f}"


def run(split, archs: list[str], lrs: dict[str, float], seeds: list[int], epochs: int, batch: int,
        repeats: int, adam_tiles: str = "sgd-rate") -> None:
    """``adam_tiles``: the tiles' pulsed-update rate under Adam: the network's analog-SGD rate in its own
    parameter group ("sgd-rate"), or Adam's rate for every parameter ("adam-rate", one group as with a plain
    AnalogAdam)."""
    print(f"converted whole: {', '.join(archs)}; learning rates {lrs} (linear decay to a tenth over the epochs); "
          f"tiles under Adam at the {'network’s SGD' if adam_tiles == 'sgd-rate' else 'Adam'} rate; "
          f"{epochs} epochs, batch {batch}, "
          f"seeds {seeds}; PCM inference, {repeats} programmings per seed; accuracy in %, mean ± s.e. over seeds")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for arch in archs:
            for opt_name in ("sgd", "adam"):
                lr = lrs[f"{arch}/{opt_name}"]
                analog_lr = lrs[f"{arch}/sgd"] if adam_tiles == "sgd-rate" else lr
                ours, peer, t_ours, t_peer = [], [], 0.0, 0.0
                for seed in seeds:
                    data = _data(split, arch, seed, epochs)
                    path = Path(tmp) / f"{arch}_{seed}.npz"
                    np.savez(path, **data)
                    t = time.perf_counter()
                    ours.append(neurofab_run(data, arch, opt_name, seed, lr, analog_lr, batch, repeats))
                    t_ours += time.perf_counter() - t
                    t = time.perf_counter()
                    got = peer_run(path, arch, opt_name, seed, lr, analog_lr, batch, repeats)
                    t_peer += time.perf_counter() - t
                    if got is not None:
                        peer.append(got)
                    print(f"  {arch}/{opt_name} seed {seed}: neurofab trained {100 * ours[-1]['trained']:.2f} %"
                          + (f", aihwkit {100 * got['trained']:.2f} %" if got else ", aihwkit skipped"), flush=True)
                print(f"  {arch}: {ours[0]['report']}; wall time neurofab {t_ours:.0f} s"
                      + (f", aihwkit {t_peer:.0f} s (process start and import included)" if peer else ""))
                rows.append((arch, opt_name, ours, peer))
    print(f"{'network':8} {'opt':5} {'when':8} {'neurofab':>14} {'aihwkit':>14} {'paired diff':>14}")
    for arch, opt_name, ours, peer in rows:
        cols = [("trained", [r["trained"] for r in ours], [r["trained"] for r in peer])]
        for j, name in enumerate(TIME_NAMES):
            cols.append((name, [statistics.fmean(row[j] for row in r["inference"]) for r in ours],
                         [statistics.fmean(row[j] for row in r["inference"]) for r in peer]))
        for name, a, b in cols:
            line = f"{arch:8} {opt_name:5} {name:8} {_pct(a):>14}"
            if len(b) == len(a):
                diffs = [x - y for x, y in zip(a, b, strict=True)]
                line += f" {_pct(b):>14} {'+' if statistics.fmean(diffs) >= 0 else ''}{_pct(diffs):>13}"
            print(line)


def _ours_drift(digital: nn.Module, xte, yte, repeats: int, seed: int, drift_of: str) -> list:
    """The quantities of ``PEER_DRIFT``, read from neurofab's inference tiles."""
    from neurofab.analog import InferenceConfig, accuracy, convert_to_inference, drift_to, inference_layers, program
    from neurofab.core import child_seeds
    from neurofab.crossbar.inference_tile import InferenceTileConfig
    from neurofab.crossbar.noise_models import PCMNoiseModel

    pcm = PCMNoiseModel(read_noise="at_drift", drift_of=drift_of)
    inf = convert_to_inference(digital, InferenceConfig(tile=InferenceTileConfig(noise_model=pcm)), seed=seed)
    layers = inference_layers(inf)
    ref = [layer.weight.detach().reshape(layer.tile.out_size, -1).clone() for layer in layers]
    out = []
    for s in child_seeds(seed, repeats):
        prog_seed, *drift_seeds = child_seeds(s, len(TIMES) + 1)
        program(inf, prog_seed)
        rec = []
        for t, ds in zip(TIMES, drift_seeds):
            drift_to(inf, t, ds)
            quantities = []
            for layer, w0 in zip(layers, ref):
                a = float(layer.tile._arrays[0].alpha)
                eff, n0 = layer.tile.effective_weights(), float((w0 * w0).sum())
                quantities.append([a, float((eff / a * w0).sum()) / n0, float(((eff - w0) ** 2).sum() / n0) ** 0.5])
            rec.append([accuracy(inf, xte, yte), quantities])
        out.append(rec)
    return out


def drift_check(split, lr: float, seeds: list[int], epochs: int, batch: int, repeats: int, trained_by: str,
                drift_of: str) -> None:
    """Inference only: LeNet weights trained with analog SGD (by neurofab or by aihwkit) read by both simulators'
    PCM inference, ``repeats`` programmings per seed; per tile the compensation α, the drift gain of the read
    weights before compensation and the error of the compensated weights, each as neurofab − aihwkit."""
    print(f"drift check: LeNet trained by {trained_by} (analog SGD, lr {lr}), seeds {seeds}, {repeats} programmings "
          f"per seed, neurofab drift_of={drift_of!r}; neurofab − aihwkit, mean ± s.e.")
    res = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            data = _data(split, "lenet", seed, epochs)
            xte, yte = torch.from_numpy(data["x_test"]), torch.from_numpy(data["y_test"])
            if trained_by == "neurofab":
                digital = neurofab_run(data, "lenet", "sgd", seed, lr, lr, batch, 1, trained_only=True)["digital"]
            else:
                np.savez(Path(tmp) / "data.npz", **data)
                got = peer_run(Path(tmp) / "data.npz", "lenet", "sgd", seed, lr, lr, batch, 1, Path(tmp) / "w.npz")
                if got is None:
                    print("aihwkit skipped (no interpreter; set AIHWKIT_PYTHON)")
                    return
                state = np.load(Path(tmp) / "w.npz")
                digital = namespace["build"]("lenet", xte.shape[-1])
                digital.load_state_dict({k[6:]: torch.from_numpy(state[k]) for k in state.files})
            digital.eval()
            path = Path(tmp) / "weights.npz"
            np.savez(path, x_test=data["x_test"], y_test=data["y_test"],
                     **{f"state:{k}": v.detach().numpy() for k, v in digital.state_dict().items()})
            out = run_peer(*AIHWKIT, PEER_DRIFT, path, repeats, json.dumps(TIMES), seed, timeout=7200)
            if out is None:
                print("aihwkit skipped (no interpreter; set AIHWKIT_PYTHON)")
                return
            peer = json.loads(out.strip().splitlines()[-1])
            res.append((_ours_drift(digital, xte, yte, repeats, seed, drift_of), peer))
    ours = np.array([[[[r[0], *np.ravel(r[1])] for r in rep] for rep in o] for o, _ in res])  # seed, rep, t, q
    peer = np.array([[[[r[0], *np.ravel(r[1])] for r in rep] for rep in p] for _, p in res])
    n_layers = (ours.shape[-1] - 1) // 3
    for j, name in enumerate(TIME_NAMES):
        diff = 100 * (ours[:, :, j, 0].mean(1) - peer[:, :, j, 0].mean(1))
        se = diff.std(ddof=1) / len(diff) ** 0.5 if len(diff) > 1 else 0.0
        print(f"{name:8} accuracy neurofab {100 * ours[:, :, j, 0].mean():6.2f} %, "
              f"aihwkit {100 * peer[:, :, j, 0].mean():6.2f} %, paired {diff.mean():+.2f} ± {se:.2f} points")
        for layer in range(n_layers):
            cells = []
            for q, label in enumerate(("alpha", "drift gain", "error")):
                o, p = ours[:, :, j, 1 + 3 * layer + q], peer[:, :, j, 1 + 3 * layer + q]
                se = np.sqrt((o.var(axis=1, ddof=1).mean() + p.var(axis=1, ddof=1).mean()) / o.shape[1] / len(o))
                cells.append(f"{label} {o.mean():.4f} / {p.mean():.4f} ({o.mean() - p.mean():+.4f} ± {se:.4f})")
            print(f"    tile {layer}: " + ";  ".join(cells))
