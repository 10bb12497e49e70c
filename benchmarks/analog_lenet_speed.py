"""LeNet speed beside aihwkit: analog training and PCM inference of one converted network, same run.

The LeNet of ``benchmarks/_converted_accuracy.py`` at 28×28 (Conv2d 1→8 5×5 → BatchNorm → ReLU → pool → Conv2d
8→16 5×5 → BatchNorm → ReLU → pool → Linear 256→32 → Linear 32→10), converted whole (4 layers on tiles):

- training: ConstantStep devices, analog SGD, batch 32, per-pulse stochastic updates (aihwkit's semantics) and the
  expected-value update, on the compiled CPU kernels and on the torch code every other device runs (forced on
  CPU);
- inference: PCM (g_max 25 µS, read noise frozen at drift, global drift compensation) after 1 day, batch 256.

The same network and workload run in IBM aihwkit 1.1 (its interpreter from ``AIHWKIT_PYTHON``, default
``/tmp/anchors-aihw/bin/python``) with the same number of torch threads; the digital network's figures are the
ceiling. Samples/s, best of ``--rounds``; the last line is ``ratio vs aihwkit: X`` (training, per-pulse).

    PYTHONPATH=$PWD python benchmarks/analog_lenet_speed.py [--threads 1] [--batches 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import textwrap
import time

import torch
from _converted_accuracy import MODELS, namespace
from _peer import AIHWKIT, run_peer
from torch import nn

SIZE = 28
TRAIN_BATCH, INFER_BATCH = 32, 256

PEER = "import json, sys, time\nimport torch\nfrom torch import nn\n" + MODELS + textwrap.dedent(
    """
    from aihwkit.nn.conversion import convert_to_analog
    from aihwkit.nn import AnalogConv2d, AnalogLinear
    from aihwkit.optim import AnalogSGD
    from aihwkit.simulator.configs import InferenceRPUConfig, SingleRPUConfig
    from aihwkit.simulator.configs.devices import ConstantStepDevice
    from aihwkit.inference import GlobalDriftCompensation, PCMLikeNoiseModel
    threads, n_batches, rounds, size = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    digital = lenet(size)
    x = torch.rand(32 * n_batches, 1, size, size)
    y = torch.randint(0, 10, (32 * n_batches,))
    model = convert_to_analog(digital, SingleRPUConfig(device=ConstantStepDevice()))
    opt = AnalogSGD(model.parameters(), lr=0.05)
    opt.regroup_param_groups(model)
    model.train()

    def epoch():
        for i in range(0, len(x), 32):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32]).backward()
            opt.step()

    epoch()
    train = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        epoch()
        train = max(train, len(x) / (time.perf_counter() - t))
    cfg = InferenceRPUConfig()
    cfg.noise_model = PCMLikeNoiseModel(g_max=25.0)
    cfg.drift_compensation = GlobalDriftCompensation()
    inf = convert_to_analog(lenet(size), cfg)
    inf.eval()
    xi = torch.rand(256 * 8, 1, size, size)
    with torch.no_grad():
        inf.program_analog_weights()
        inf.drift_analog_weights(86400.0)
        for i in range(0, len(xi), 256):
            inf(xi[i:i + 256])
        infer = 0.0
        for _ in range(rounds):
            t = time.perf_counter()
            for i in range(0, len(xi), 256):
                inf(xi[i:i + 256])
            infer = max(infer, len(xi) / (time.perf_counter() - t))
    print(json.dumps({"train": train, "infer": infer}))
    """
)


def _train_rate(model: nn.Module, analog: bool, n_batches: int, rounds: int) -> float:
    from neurofab.analog import AnalogSGD

    opt = AnalogSGD(model.parameters(), lr=0.05) if analog else torch.optim.SGD(model.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(TRAIN_BATCH * n_batches, 1, SIZE, SIZE, generator=gen)
    y = torch.randint(0, 10, (TRAIN_BATCH * n_batches,), generator=gen)
    model.train()

    def epoch() -> None:
        for i in range(0, len(x), TRAIN_BATCH):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i : i + TRAIN_BATCH]), y[i : i + TRAIN_BATCH]).backward()
            opt.step()

    epoch()  # warm-up: compilation on a cold cache, allocations
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        epoch()
        best = max(best, len(x) / (time.perf_counter() - t))
    return best


def _infer_rate(model: nn.Module, rounds: int, n_batches: int = 8) -> float:
    x = torch.rand(INFER_BATCH * n_batches, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(1))
    model.eval()
    with torch.no_grad():
        for i in range(0, len(x), INFER_BATCH):
            model(x[i : i + INFER_BATCH])
        best = 0.0
        for _ in range(rounds):
            t = time.perf_counter()
            for i in range(0, len(x), INFER_BATCH):
                model(x[i : i + INFER_BATCH])
            best = max(best, len(x) / (time.perf_counter() - t))
    return best


def _pcm_lenet(digital: nn.Module) -> nn.Module:
    from neurofab.analog import InferenceConfig, convert_to_inference, drift_to, program
    from neurofab.crossbar.inference_tile import InferenceTileConfig
    from neurofab.crossbar.noise_models import PCMNoiseModel

    cfg = InferenceConfig(tile=InferenceTileConfig(noise_model=PCMNoiseModel(read_noise="at_drift")))
    model = convert_to_inference(digital, cfg, seed=0)
    program(model, seed=0)
    drift_to(model, 86400.0, seed=0)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both simulators")
    parser.add_argument("--batches", type=int, default=30, help="training batches of 32 per timed epoch")
    parser.add_argument("--rounds", type=int, default=3, help="timed repeats (best kept)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from neurofab.analog import convert_to_analog
    from neurofab.core.backend import torch_only_mode
    from neurofab.crossbar import TileConfig, UpdateConfig
    from neurofab.devices import ConstantStep

    torch.manual_seed(0)
    lenet = namespace["lenet"]
    print(f"LeNet {SIZE}×{SIZE}, 4 analog layers, {args.threads} thread(s); samples/s, best of {args.rounds} "
          "(shared machine: compare ratios from one run)")
    ours: dict[str, float] = {}
    cfg = TileConfig(device=ConstantStep())
    ours["train"] = _train_rate(convert_to_analog(lenet(SIZE), cfg, seed=0), True, args.batches, args.rounds)
    with torch_only_mode():
        ours["train torch"] = _train_rate(convert_to_analog(lenet(SIZE), cfg, seed=0), True, args.batches,
                                          args.rounds)
    exp_cfg = TileConfig(device=ConstantStep(), update=UpdateConfig(mode="expected"))
    ours["train expected"] = _train_rate(convert_to_analog(lenet(SIZE), exp_cfg, seed=0), True, args.batches,
                                         args.rounds)
    with torch_only_mode():
        ours["train expected torch"] = _train_rate(convert_to_analog(lenet(SIZE), exp_cfg, seed=0), True,
                                                   args.batches, args.rounds)
    ours["train expected digital"] = ours["train digital"] =  _train_rate(lenet(SIZE), False, args.batches, args.rounds)
    ours["infer"] = _infer_rate(_pcm_lenet(lenet(SIZE)), args.rounds)
    with torch_only_mode():
        ours["infer torch"] = _infer_rate(_pcm_lenet(lenet(SIZE)), args.rounds)
    ours["infer digital"] = _infer_rate(lenet(SIZE), args.rounds)
    out = run_peer(*AIHWKIT, PEER, args.threads, args.batches, args.rounds, SIZE, timeout=3600)
    peer = None if out is None else json.loads(out.strip().splitlines()[-1])
    print("| workload | neurofab | neurofab, torch fallback | aihwkit 1.1 | digital | ours / aihwkit | "
          "digital / ours |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = (("train", "training, analog SGD, batch 32, per-pulse update"),
            ("train expected", "training, expected-value update"), ("infer", "PCM inference at 1 day, batch 256"))
    for key, name in rows:
        p = peer[key.split()[0]] if peer and key != "train expected" else float("nan")
        print(f"| {name} | {ours[key]:,.0f} | {ours[key + ' torch']:,.0f} | {p:,.0f} | {ours[key + ' digital']:,.0f} "
              f"| {ours[key] / p:.2f} | {ours[key + ' digital'] / ours[key]:.2f} |")
    if peer:
        print(f"inference ratio vs aihwkit: {ours['infer'] / peer['infer']:.2f}")
        print(f"ratio vs aihwkit: {ours['train'] / peer['train']:.2f}")
    else:
        print("ratio vs aihwkit: skipped (peer absent)")


if __name__ == "__main__":
    main()
