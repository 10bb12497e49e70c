"""Surrogate-gradient BPTT training beside snnTorch: ``--workload mlp`` (default) or ``--workload conv``.

``mlp``: training throughput of a LIF MLP 784-256-10, T = 25, batch 128, Adam, spike-count
cross-entropy, random MNIST-shaped rate-coded input, 10 batches per epoch; one warm-up epoch, then the best of
``REPEATS`` timed epochs (on shared cores the fastest epoch is the one least disturbed by other processes).
neurofab's ``SpikingSequential`` (event-driven input product, compiled LIF scans) beside snnTorch 1.0 ``Leaky``
(β = 0.95) on the same workload and protocol; our neurons in snnTorch's order (``leaky(0.95,
snntorch_compat=True)``; ``--neuron ours`` for our own).

Options (the defaults are the reference workload): ``--threads N`` (torch threads on both sides, default 2);
``--clock cpu`` times each epoch by the process's CPU time instead of the wall clock — with ``--threads 1`` a
figure that other jobs on a shared machine disturb far less (it is not the wall-clock throughput).

The peer runs under its own interpreter: ``SNNTORCH_PYTHON`` (default ``/tmp/anchors-snn/bin/python``); when it
is absent the peer is skipped. Last line: ``ratio vs snntorch: X`` (our samples/s over snnTorch's).

``conv``: the snnTorch convolutional tutorial's workflow on the bundled digits (8×8, 1,347 train / 450 test images,
stratified split): Conv2d(1, 12, 3) → MaxPool 2 → Leaky (learnable β) → Conv2d(12, 32, 3) → MaxPool 2 →
Synaptic (α 0.5, learnable β) → Linear(128, 10) → Leaky (learnable β); initial β 0.5 (rate) or 0.9 (latency);
T = 25, batch 128, Adam (lr 1e-2 rate, 2e-3 latency; torch's fused implementation, ``fused=True``, on both
sides), the tutorial's spike-count MSE loss (target counts 0.8 T
for the correct class, 0.2 T for the others), fast-sigmoid surrogate (slope 25) on both sides, ``--epochs``
epochs (default 6) and ``--seeds`` seeds per code (default 2); rate coding (a spike per step with probability =
pixel) and latency coding (one spike at step round((1 − x)(T − 1)); the first convolution's initial weights × 8).
Both sides get the same encoded spikes, batches and initial weights (written to a temporary file that the peer
reads) and run the same neuron: ours are made with ``snntorch_compat=True`` (snnTorch's order of operations: the
reset subtracted after the decay, the synaptic current in the same step); ``--neuron ours`` runs our own order
instead (the reset before the decay, the current one step later). Printed per coding and
seed: test accuracy, the best training samples/s over the epochs after the first (``--clock``) and the relative
difference of the two sides' first-batch gradients of the first convolution's weights (float32 rounding where the
neurons agree; it then grows over the epochs, as every rounding difference does in training); then the mean
accuracy of each side, their difference, and last the speed ratio (our best samples/s over snnTorch's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from neurofab.data import digits
from neurofab.spiking.encoders import latency, poisson_rate
from neurofab.spiking.layers import LIF, SpikingSequential, count_cross_entropy, count_mse, leaky, synaptic
from neurofab.spiking.neuron_layers import Synaptic

T, BATCH, N_BATCHES, REPEATS, THREADS = 25, 128, 10, 5, 2

PEER = f"""
import statistics, time, torch, snntorch as snn
from torch import nn
torch.manual_seed(0); torch.set_num_threads(THREADS)
T, B = {T}, {BATCH}
class Net(nn.Module):
    def __init__(s):
        super().__init__(); s.fc1 = nn.Linear(784, 256); s.l1 = snn.Leaky(beta=0.95)
        s.fc2 = nn.Linear(256, 10); s.l2 = snn.Leaky(beta=0.95)
    def forward(s, x):
        m1 = s.l1.init_leaky(); m2 = s.l2.init_leaky(); out = 0
        for t in range(T):
            s1, m1 = s.l1(s.fc1(x[t]), m1); s2, m2 = s.l2(s.fc2(s1), m2); out = out + s2
        return out
net = Net(); opt = torch.optim.Adam(net.parameters(), 1e-3); lf = nn.CrossEntropyLoss()
x = (torch.rand(T, B * {N_BATCHES}, 784) < 0.2).float(); y = torch.randint(0, 10, (B * {N_BATCHES},))
def epoch():
    for i in range(0, B * {N_BATCHES}, B):
        opt.zero_grad(); l = lf(net(x[:, i:i+B]), y[i:i+B]); l.backward(); opt.step()
epoch()
rates = []
for _ in range({REPEATS}):
    t = CLOCK(); epoch(); rates.append(B * {N_BATCHES} / (CLOCK() - t))
print(f"snntorch train samples/s: {{max(rates):.1f}} (median {{statistics.median(rates):.1f}})")
"""


def ours(threads: int, clock, compat: bool = True) -> tuple[float, float]:
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    neuron = leaky(0.95, snntorch_compat=compat)
    net = SpikingSequential(nn.Linear(784, 256), LIF(neuron), nn.Linear(256, 10), LIF(neuron))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = (torch.rand(T, BATCH * N_BATCHES, 784) < 0.2).float()
    y = torch.randint(0, 10, (BATCH * N_BATCHES,))

    def epoch() -> None:
        for i in range(0, BATCH * N_BATCHES, BATCH):
            opt.zero_grad()
            loss = count_cross_entropy(net(x[:, i:i + BATCH]), y[i:i + BATCH])
            loss.backward()
            opt.step()

    epoch()
    rates = []
    for _ in range(REPEATS):
        t0 = clock()
        epoch()
        rates.append(BATCH * N_BATCHES / (clock() - t0))
    return max(rates), statistics.median(rates)


def peer(threads: int, clock_name: str) -> float | None:
    python = os.environ.get("SNNTORCH_PYTHON", "/tmp/anchors-snn/bin/python")
    if not Path(python).exists():
        print(f"snntorch: skipped ({python} not found; set SNNTORCH_PYTHON)")
        return None
    try:
        head = f"THREADS = {threads}; import time; CLOCK = time.{clock_name}\n"
        out = subprocess.run([python, "-c", head + PEER], capture_output=True, text=True, timeout=1800,
                             check=True).stdout
    except (subprocess.SubprocessError, OSError) as err:
        print(f"snntorch: skipped ({type(err).__name__}: {str(err).strip()[:200]})")
        return None
    for line in out.splitlines():
        if line.startswith("snntorch train samples/s:"):
            return float(line.split(":")[1].split()[0])
    print(f"snntorch: skipped (no figure in its output: {out.strip()[:200]!r})")
    return None


# ----- the convolutional workload ---------------------------------------------------------------------------------
CONV_T, CONV_BATCH = 25, 128
CONV_LR = {"rate": 1e-2, "latency": 2e-3}  #: Adam learning rate per code
#: torch's fused Adam (one compiled update per parameter instead of a dozen small tensor operations) on both sides
CONV_FUSED_ADAM = True

CONV_PEER = """
import sys, time, torch, snntorch as snn
from snntorch import surrogate
from torch import nn
import torch.nn.functional as F
path, threads, clock = sys.argv[1], int(sys.argv[2]), getattr(time, sys.argv[3])
torch.set_num_threads(threads)
d = torch.load(path)
sg = surrogate.fast_sigmoid(slope=25)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 12, 3, padding=1)
        self.lif1 = snn.Leaky(beta=d["beta"], learn_beta=True, spike_grad=sg)
        self.conv2 = nn.Conv2d(12, 32, 3, padding=1)
        self.lif2 = snn.Synaptic(alpha=0.5, beta=d["beta"], learn_beta=True, spike_grad=sg)
        self.fc = nn.Linear(128, 10)
        self.lif3 = snn.Leaky(beta=d["beta"], learn_beta=True, spike_grad=sg)

    def forward(self, x):
        mem1 = self.lif1.init_leaky()
        syn2, mem2 = self.lif2.init_synaptic()
        mem3 = self.lif3.init_leaky()
        out = []
        for step in range(x.shape[0]):
            spk1, mem1 = self.lif1(F.max_pool2d(self.conv1(x[step]), 2), mem1)
            spk2, syn2, mem2 = self.lif2(F.max_pool2d(self.conv2(spk1), 2), syn2, mem2)
            spk3, mem3 = self.lif3(self.fc(spk2.flatten(1)), mem3)
            out.append(spk3)
        return torch.stack(out)

net = Net()
net.load_state_dict(d["init"], strict=False)
opt = torch.optim.Adam(net.parameters(), lr=d["lr"], fused=d["fused"])
rates = []
for epoch in range(d["epochs"]):
    t0 = clock()
    for idx in d["batches"][epoch]:
        opt.zero_grad()
        counts = net(d["x_train"][:, idx]).sum(0)
        want = torch.full_like(counts, 0.2 * d["T"])
        want.scatter_(1, d["y_train"][idx][:, None], 0.8 * d["T"])
        loss = F.mse_loss(counts, want)
        loss.backward()
        if epoch == 0 and idx is d["batches"][0][0]:
            torch.save(net.conv1.weight.grad.clone(), path + ".grad0")
        opt.step()
    rates.append(d["y_train"].numel() / (clock() - t0))
with torch.no_grad():
    acc = (net(d["x_test"]).sum(0).argmax(1) == d["y_test"]).float().mean().item()
print(f"peer accuracy: {acc:.6f}")
print(f"peer samples/s: {max(rates[1:] or rates):.1f}")
"""

#: our layer names → the peer's (the same initial weights on both sides)
CONV_NAMES = {"0": "conv1", "3": "conv2", "7": "fc"}


#: initial membrane decay β per code (latency: one spike per pixel, so the membrane must remember longer)
CONV_BETA = {"rate": 0.5, "latency": 0.9}
#: scale of the first convolution's initial weights per code (a latency-coded pixel spikes once, a rate-coded one
#: ≈ 25 x times: without it the latency-coded input is too weak to move the first layer, and training settles on
#: the biases alone)
CONV_GAIN = {"rate": 1.0, "latency": 8.0}


def conv_net(beta: float, compat: bool = True) -> SpikingSequential:
    """The tutorial's network in neurofab (``compat``: snnTorch's order of operations in every neuron)."""
    return SpikingSequential(
        nn.Conv2d(1, 12, 3, padding=1), nn.MaxPool2d(2), LIF(leaky(beta, snntorch_compat=compat), learn_beta=True),
        nn.Conv2d(12, 32, 3, padding=1), nn.MaxPool2d(2),
        Synaptic(synaptic(0.5, beta, snntorch_compat=compat), learn_beta=True),
        nn.Flatten(), nn.Linear(128, 10), LIF(leaky(beta, snntorch_compat=compat), learn_beta=True))


def conv_data(coding: str, seed: int, epochs: int) -> dict:
    """Encoded digits, batch orders and initial weights of one run (what both sides train on)."""
    split = digits(flatten=False, seed=0)
    if coding == "rate":
        g = torch.Generator().manual_seed(seed)
        x_train = poisson_rate(split.x_train / 1e-3, CONV_T, 1e-3, g)
        x_test = poisson_rate(split.x_test / 1e-3, CONV_T, 1e-3, g)
    else:
        x_train, x_test = latency(split.x_train, CONV_T), latency(split.x_test, CONV_T)
    g = torch.Generator().manual_seed(1000 + seed)
    n = split.y_train.numel()
    batches = [list(torch.randperm(n, generator=g).split(CONV_BATCH)) for _ in range(epochs)]
    torch.manual_seed(seed)
    init = {f"{CONV_NAMES[k.split('.')[0]]}.{k.split('.')[1]}": v.clone()
            for k, v in conv_net(CONV_BETA[coding]).state_dict().items() if k.split(".")[0] in CONV_NAMES}
    init["conv1.weight"] *= CONV_GAIN[coding]
    return {"x_train": x_train, "y_train": split.y_train, "x_test": x_test, "y_test": split.y_test,
            "batches": batches, "init": init, "epochs": epochs, "lr": CONV_LR[coding], "T": CONV_T,
            "beta": CONV_BETA[coding], "fused": CONV_FUSED_ADAM}


def conv_ours(data: dict, seed: int, clock=time.perf_counter, compat: bool = True) -> tuple[float, float, torch.Tensor]:
    """Test accuracy, the best training samples/s of our network on ``data`` and the first batch's gradient of the
    first convolution's weights."""
    torch.manual_seed(seed)
    net = conv_net(data["beta"], compat)
    back = {v: k for k, v in CONV_NAMES.items()}
    net.load_state_dict({f"{back[k.split('.')[0]]}.{k.split('.')[1]}": v for k, v in data["init"].items()},
                        strict=False)
    opt = torch.optim.Adam(net.parameters(), lr=data["lr"], fused=data["fused"])
    rates = []
    for epoch in range(data["epochs"]):
        t0 = clock()
        for idx in data["batches"][epoch]:
            opt.zero_grad()
            count_mse(net(data["x_train"][:, idx]), data["y_train"][idx]).backward()
            if not rates and idx is data["batches"][0][0]:
                grad0 = net[0].weight.grad.clone()
            opt.step()
        rates.append(data["y_train"].numel() / (clock() - t0))
    with torch.no_grad():
        acc = (net(data["x_test"]).sum(0).argmax(1) == data["y_test"]).float().mean().item()
    return acc, max(rates[1:] or rates), grad0


def conv_peer(data: dict, threads: int,
              clock_name: str = "perf_counter") -> tuple[float, float, torch.Tensor] | None:
    python = os.environ.get("SNNTORCH_PYTHON", "/tmp/anchors-snn/bin/python")
    if not Path(python).exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "workload.pt"
        torch.save(data, path)
        try:
            out = subprocess.run([python, "-c", CONV_PEER, str(path), str(threads), clock_name], capture_output=True,
                                 text=True, timeout=3600, check=True).stdout
        except (subprocess.SubprocessError, OSError) as err:
            print(f"snntorch: skipped ({type(err).__name__}: {str(err).strip()[:300]})")
            return None
        grad0 = torch.load(str(path) + ".grad0")
    values = dict(line.split(": ") for line in out.splitlines() if line.startswith("peer "))
    return float(values["peer accuracy"]), float(values["peer samples/s"].split()[0]), grad0


def conv_main(threads: int, epochs: int, seeds: int, codings: list[str], clock_name: str, compat: bool = True,
              peer_too: bool = True) -> int:
    torch.set_num_threads(threads)
    clock = getattr(time, clock_name)
    print(f"workload: conv SNN (Leaky, Synaptic, learnable β) on digits 8×8, T = {CONV_T}, batch {CONV_BATCH}, "
          f"{'fused ' if CONV_FUSED_ADAM else ''}Adam lr {CONV_LR}, {epochs} epochs, seeds 0..{seeds - 1}, "
          f"{threads} threads, "
          f"{'wall' if clock_name == 'perf_counter' else 'cpu'} clock, "
          f"neurons in {'snnTorch' if compat else 'our'} order")
    acc_ours: list[float] = []
    acc_peer: list[float] = []
    best_ours = best_peer = 0.0
    for coding in codings:
        for seed in range(seeds):
            data = conv_data(coding, seed, epochs)
            acc, rate, grad0 = conv_ours(data, seed, clock, compat)
            acc_ours.append(acc)
            best_ours = max(best_ours, rate)
            line = f"{coding} seed {seed}: neurofab accuracy {100 * acc:.2f} %, {rate:.0f} samples/s"
            peer = conv_peer(data, threads, clock_name) if peer_too else None
            if peer is not None:
                acc_peer.append(peer[0])
                best_peer = max(best_peer, peer[1])
                line += f"; snntorch accuracy {100 * peer[0]:.2f} %, {peer[1]:.0f} samples/s"
                rel = float((grad0 - peer[2]).norm() / peer[2].norm())
                line += f"; first batch ∂L/∂W(conv1) relative difference {rel:.1e}"
            print(line, flush=True)
    mean_ours = 100 * statistics.mean(acc_ours)
    print(f"neurofab mean accuracy: {mean_ours:.2f} %")
    if not acc_peer:
        print("ratio vs snntorch: skipped (peer absent)")
        return 0
    mean_peer = 100 * statistics.mean(acc_peer)
    print(f"snntorch mean accuracy: {mean_peer:.2f} %")
    print(f"accuracy difference (neurofab − snntorch): {mean_ours - mean_peer:+.2f} points")
    print(f"neurofab train samples/s: {best_ours:.1f}")
    print(f"snntorch train samples/s: {best_peer:.1f}")
    print(f"ratio vs snntorch: {best_ours / best_peer:.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=("mlp", "conv"), default="mlp", help="which network (default mlp)")
    parser.add_argument("--threads", type=int, default=THREADS, help="torch threads on both sides")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time epochs by the wall clock (default) or by the process's CPU time")
    parser.add_argument("--epochs", type=int, default=6, help="training epochs (conv)")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per coding (conv)")
    parser.add_argument("--coding", choices=("rate", "latency", "both"), default="both", help="input code (conv)")
    parser.add_argument("--neuron", choices=("snntorch", "ours"), default="snntorch",
                        help="order of operations of our neurons: snnTorch's (default) or ours")
    parser.add_argument("--no-peer", action="store_true", help="skip snnTorch (conv)")
    args = parser.parse_args()
    clock_name = "perf_counter" if args.clock == "wall" else "process_time"
    if args.workload == "conv":
        codings = ["rate", "latency"] if args.coding == "both" else [args.coding]
        return conv_main(args.threads, args.epochs, args.seeds, codings, clock_name, args.neuron == "snntorch",
                         not args.no_peer)
    print(f"workload: LIF MLP 784-256-10, T = {T}, batch {BATCH}, BPTT + Adam, {args.threads} threads, "
          f"best of {REPEATS} epochs of {N_BATCHES} batches, {args.clock} clock, neurons in {args.neuron} order")
    ours_rate, ours_median = ours(args.threads, getattr(time, clock_name), args.neuron == "snntorch")
    print(f"neurofab train samples/s: {ours_rate:.1f} (median {ours_median:.1f})")
    peer_rate = peer(args.threads, clock_name)
    if peer_rate is None:
        print("ratio vs snntorch: skipped")
        return 0
    print(f"snntorch train samples/s: {peer_rate:.1f}")
    print(f"ratio vs snntorch: {ours_rate / peer_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
