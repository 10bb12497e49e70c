"""Analog inference throughput: MLP 784-256-256-10 on PCM, programmed, drifted to 1 day, global drift compensation.

Prints, for batches of 1,000 random inputs (as the peer's anchor script does):

- neurofab samples/s with aihwkit's semantics (1/f read noise drawn once at drift, ``read_noise="at_drift"``)
  and with read noise drawn for every MVM vector (``per_mvm``, our default);
- the same network's plain digital forward pass (the ceiling) and our ratio to it;
- the time to program the three layers and drift them to 1 day;
- both read-noise modes again on the torch code that runs on any device (``NEUROFAB_TORCH_ONLY``, forced on
  CPU), beside the compiled kernels: what the fallback costs;
- in the same run, IBM aihwkit 1.1 on the same workload (``AIHWKIT_PYTHON``, default
  ``/tmp/anchors-aihw/bin/python``; the workload of /work/shared/anchors/aihwkit_infer.py).

Both simulators use the same number of torch threads; by default it measures 2 threads (the anchor's setting)
and then 1, each as the best of alternating rounds of ours and the peer (the machine is shared and noisy).
``ratio vs aihwkit: X`` is our samples/s with aihwkit's semantics over the peer's at the first thread count; the
last line is ``ratio vs digital: X``: the digital forward's samples/s over ours with aihwkit's semantics
(``at_drift``) at the first thread count — how many times slower than the plain network the analog one reads
(1 is the ceiling).

    PYTHONPATH=$PWD python benchmarks/analog_inference.py [--threads 2 1] [--batches 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import textwrap
import time

import torch
from torch import nn

AIHWKIT_SCRIPT = textwrap.dedent(
    """
    import sys, time, torch
    from torch import nn
    from aihwkit.nn import AnalogLinear, AnalogSequential
    from aihwkit.simulator.configs import InferenceRPUConfig
    from aihwkit.inference import PCMLikeNoiseModel, GlobalDriftCompensation
    torch.manual_seed(0)
    torch.set_num_threads(int(sys.argv[1]))
    n_batches = int(sys.argv[2])
    cfg = InferenceRPUConfig()
    cfg.noise_model = PCMLikeNoiseModel(g_max=25.0)
    cfg.drift_compensation = GlobalDriftCompensation()
    model = AnalogSequential(AnalogLinear(784, 256, rpu_config=cfg), nn.ReLU(),
                             AnalogLinear(256, 256, rpu_config=cfg), nn.ReLU(),
                             AnalogLinear(256, 10, rpu_config=cfg))
    model.eval()
    t = time.perf_counter(); model.drift_analog_weights(86400.0); prog = time.perf_counter() - t
    xb = torch.rand(1000 * n_batches, 784)
    with torch.no_grad():
        model(xb[:100])
        best = 0.0
        for _ in range(2):
            t = time.perf_counter()
            for i in range(0, len(xb), 1000):
                model(xb[i:i + 1000])
            best = max(best, len(xb) / (time.perf_counter() - t))
    print(prog)
    print(best)
    """
)


def digital_network(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def samples_per_second(model: nn.Module, x: torch.Tensor, repeats: int = 3) -> float:
    best = 0.0
    with torch.no_grad():
        model(x[:1000])
        for _ in range(repeats):
            t = time.perf_counter()
            for i in range(0, len(x), 1000):
                model(x[i : i + 1000])
            best = max(best, len(x) / (time.perf_counter() - t))
    return best


def aihwkit_figures(threads: int, n_batches: int) -> tuple[float, float] | None:
    python = os.environ.get("AIHWKIT_PYTHON", "/tmp/anchors-aihw/bin/python")
    if not os.path.exists(python):
        print(f"aihwkit: skipped (no interpreter at {python}; set AIHWKIT_PYTHON)")
        return None
    try:
        out = subprocess.run(
            [python, "-c", AIHWKIT_SCRIPT, str(threads), str(n_batches)],
            capture_output=True, text=True, timeout=1800, check=True,
        )
    except (subprocess.SubprocessError, OSError) as err:
        print(f"aihwkit: skipped ({type(err).__name__}: {err})")
        return None
    lines = out.stdout.strip().splitlines()
    return float(lines[-2]), float(lines[-1])


def neurofab_figures(digital: nn.Module, x: torch.Tensor, mode: str, torch_only: bool = False) -> tuple[float, float]:
    """(samples/s, program+drift seconds) for one read-noise mode (best of a few passes); ``torch_only``: the
    torch code that runs on any device, forced on CPU, instead of the compiled kernels."""
    from neurofab.core.backend import torch_only_mode

    with torch_only_mode(torch_only):
        return _neurofab_figures(digital, x, mode)


def _neurofab_figures(digital: nn.Module, x: torch.Tensor, mode: str) -> tuple[float, float]:
    from neurofab.analog.inference import InferenceConfig, convert_to_inference, drift_to, program
    from neurofab.crossbar.inference_tile import InferenceTileConfig
    from neurofab.crossbar.noise_models import PCMNoiseModel

    cfg = InferenceConfig(tile=InferenceTileConfig(noise_model=PCMNoiseModel(read_noise=mode)))
    model = convert_to_inference(digital, cfg, seed=0).eval()
    best_prog = float("inf")
    for rep in range(3):
        t = time.perf_counter()
        program(model, seed=rep)
        drift_to(model, 86400.0, seed=rep)
        best_prog = min(best_prog, time.perf_counter() - t)
    return samples_per_second(model, x), best_prog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1], help="torch thread counts to measure")
    parser.add_argument("--batches", type=int, default=20, help="batches of 1,000 per timed pass")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (ours, peer) per thread count")
    args = parser.parse_args()
    print("MLP 784-256-256-10, PCM (g_max 25 µS), 1 day + global drift compensation, batch 1,000, random inputs; "
          f"best of {args.rounds} alternating rounds (the machine is shared)")
    x = torch.rand(1000 * args.batches, 784, generator=torch.Generator().manual_seed(0))
    digital = digital_network().eval()
    last_ratio = digital_ratio = None
    for threads in args.threads:
        torch.set_num_threads(threads)
        best: dict[str, float] = {}
        peer: tuple[float, float] | None = None
        for _ in range(args.rounds):
            best["digital"] = max(best.get("digital", 0.0), samples_per_second(digital, x))
            for mode in ("at_drift", "per_mvm"):
                sps, prog = neurofab_figures(digital, x, mode)
                best[mode] = max(best.get(mode, 0.0), sps)
                best[mode + " prog"] = min(best.get(mode + " prog", float("inf")), prog)
                sps, _ = neurofab_figures(digital, x, mode, torch_only=True)
                best[mode + " torch"] = max(best.get(mode + " torch", 0.0), sps)
            got = aihwkit_figures(threads, args.batches)
            if got is not None:
                peer = got if peer is None else (min(peer[0], got[0]), max(peer[1], got[1]))
        print(f"--- {threads} thread(s)")
        print(f"digital (torch, same network) samples/s: {best['digital']:,.0f}")
        for mode in ("at_drift", "per_mvm"):
            print(f"neurofab ({mode} read noise) samples/s: {best[mode]:,.0f}   "
                  f"digital / neurofab: {best['digital'] / best[mode]:.2f}x   "
                  f"program+drift(1 day) s: {best[mode + ' prog']:.3f}")
        for mode in ("at_drift", "per_mvm"):
            print(f"neurofab ({mode} read noise, torch fallback as on a GPU, run on CPU) samples/s: "
                  f"{best[mode + ' torch']:,.0f}   compiled / fallback: {best[mode] / best[mode + ' torch']:.2f}x")
        if digital_ratio is None:
            digital_ratio = (threads, best["digital"] / best["at_drift"], best["digital"] / best["per_mvm"])
        if peer is None:
            continue
        print(f"aihwkit samples/s: {peer[1]:,.0f}   program+drift(1 day) s: {peer[0]:.3f}")
        print(f"per_mvm read noise vs aihwkit: {best['per_mvm'] / peer[1]:.2f}")
        print(f"aihwkit semantics (at_drift) vs aihwkit, {threads} thread(s): {best['at_drift'] / peer[1]:.2f}")
        if last_ratio is None:
            last_ratio = best["at_drift"] / peer[1]
    if last_ratio is None:
        print("ratio vs aihwkit: skipped (peer not available)")
    else:
        print(f"ratio vs aihwkit: {last_ratio:.2f}")
    threads, at_drift, per_mvm = digital_ratio
    print(f"per_mvm read noise, digital / neurofab, {threads} thread(s): {per_mvm:.2f}")
    print(f"ratio vs digital: {at_drift:.2f}")


if __name__ == "__main__":
    main()
