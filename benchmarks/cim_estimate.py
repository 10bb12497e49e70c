"""Time to estimate a CIM chip for VGG-8 at 22 nm with RRAM (Lu et al. 2021, Table 7 set-up); goal: under 1 s.

The peer, DNN+NeuroSim V1.3, is a C++ program run beside our estimate, on its default design and the same traces,
by benchmarks/neurosim_peer.py (NEUROSIM_BIN / NEUROSIM_DIR); this script times our estimator alone.

    PYTHONPATH=. python benchmarks/cim_estimate.py [repeats]
"""

from __future__ import annotations

import statistics
import sys
import time

from neurofab.cost.cim import estimate, table7_config
from neurofab.cost.mapping import vgg8_cifar10

DESIGNS = ("7nm-sram", "22nm-sram", "rram_he2020", "rram_wu2018", "pcm_kim2019", "fefet_ni2018")


def main(repeats: int = 20) -> None:
    layers = vgg8_cifar10()
    cfg = table7_config("rram_wu2018")
    t0 = time.perf_counter()
    est = estimate(cfg, layers)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        estimate(cfg, layers)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for dev in DESIGNS:
        estimate(table7_config(dev), layers)
    all_six = time.perf_counter() - t0
    volt = cfg.replace(sensing="voltage", adc="flash", rows_parallel=16)
    t0 = time.perf_counter()
    for _ in range(repeats):
        estimate(volt, layers)
    t_volt = (time.perf_counter() - t0) / repeats
    s = est.summary()
    print("workload: VGG-8 (CIFAR-10 layer table), 22 nm RRAM 100 kΩ 4-bit cells, 128×128 sub-arrays, 5-bit ADC")
    print(f"result: {s['area_mm2']:.2f} mm², clock {s['clock_ns']:.2f} ns, latency {s['latency_ms']:.3f} ms, "
          f"{s['dynamic_energy_uJ']:.1f} µJ, {s['tops_per_w']:.1f} TOPS/W")
    print(f"neurofab first call: {first * 1e3:.2f} ms")
    print(f"neurofab estimate (median of {repeats}): {statistics.median(times) * 1e3:.2f} ms "
          f"(min {min(times) * 1e3:.2f} ms) — goal < 1000 ms")
    print(f"neurofab all six Table-7 designs: {all_six * 1e3:.1f} ms")
    print(f"neurofab voltage-mode design (divider, reference columns, 16 rows on): {t_volt * 1e3:.2f} ms")
    print("NeuroSim V1.3 side by side (and the speed ratio): benchmarks/neurosim_peer.py")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
