"""Time one step of each radam.numpy optimizer, its extra memory per step, and the import of radam.numpy.

Targets: RAdam / Adam <= 1.3 per step; no per-step allocation that grows with the parameter count (the
only buffers are the slots and one scratch array, allocated on the first step); ``import radam.numpy``
<= 0.3 s in a fresh interpreter, without importing TensorFlow or Keras.

- Step time: float32 parameters split into four arrays (50/30/15/5 %). Every optimizer first takes
  ``--warmup`` untimed steps (RAdam past its SGD phase, so its rectified branch is the one timed); then
  each repetition times ``--steps`` steps of every optimizer in turn, the order rotating between
  repetitions. Medians over ``--repeats`` repetitions; RAdam / Adam is the median of the ratios of the
  two within each repetition.
- Overhead: microseconds per step on the book's 2-D problems (one array of two float64), where the
  Python work per step and per array dominates; same alternation and medians.
- Memory: ``tracemalloc`` peak during one step, after the warm-up (NumPy reports its array buffers to it).
- Import: wall time around ``import radam.numpy`` (NumPy included) in ``--imports`` fresh interpreters.

Usage::

    python benchmarks/numpy_step.py [--sizes 1000000 10000000] [--repeats 5] [--steps 3] [--warmup 6] [--imports 5]
"""

import argparse
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from radam import numpy as rnp

OPTIMIZERS = {
    "SGD": lambda: rnp.SGD(learning_rate=1e-3),
    "SGD momentum": lambda: rnp.SGD(learning_rate=1e-3, momentum=0.9),
    "AdaGrad": lambda: rnp.AdaGrad(learning_rate=1e-3),
    "RMSProp": lambda: rnp.RMSProp(learning_rate=1e-3),
    "Adam": lambda: rnp.Adam(learning_rate=1e-3),
    "RAdam": lambda: rnp.RAdam(learning_rate=1e-3),
}
SPLIT = (0.5, 0.3, 0.15, 0.05)

IMPORT_PROBE = """
import sys, time
start = time.perf_counter()
import radam.numpy
elapsed = time.perf_counter() - start
heavy = sorted(name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras"))
print(elapsed, ",".join(heavy))
"""


def arrays(size, rng):
    """Float32 parameters and gradients of ``size`` elements in total, in len(SPLIT) arrays."""
    counts = [int(size * share) for share in SPLIT]
    counts[0] += size - sum(counts)
    params = [rng.standard_normal(n, dtype=np.float32) for n in counts]
    grads = [rng.standard_normal(n, dtype=np.float32) for n in counts]
    return params, grads


def time_steps(size, repeats, steps, warmup):
    """Median seconds per step of every optimizer, and the median over repetitions of RAdam / Adam.

    ``size`` 0 means the book's 2-D problems: one array of two float64.
    """
    rng = np.random.default_rng(0)
    if size:
        grads = arrays(size, rng)[1]
        runs = {name: (make(), arrays(size, rng)[0]) for name, make in OPTIMIZERS.items()}
    else:
        grads = [np.array([0.3, -0.2])]
        runs = {name: (make(), [np.array([1.0, 2.0])]) for name, make in OPTIMIZERS.items()}
    for optimizer, params in runs.values():
        for _ in range(warmup):
            optimizer.step(params, grads)
    names = list(runs)
    times = {name: [] for name in names}
    for repeat in range(repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            optimizer, params = runs[name]
            start = time.perf_counter()
            for _ in range(steps):
                optimizer.step(params, grads)
            times[name].append((time.perf_counter() - start) / steps)
    ratios = [radam / adam for radam, adam in zip(times["RAdam"], times["Adam"])]
    return {name: statistics.median(values) for name, values in times.items()}, statistics.median(ratios)


def step_memory(size):
    """Bytes traced on the first step (slots and scratch) and the peak traced during a later step."""
    rng = np.random.default_rng(1)
    figures = {}
    for name, make in OPTIMIZERS.items():
        optimizer = make()
        params, grads = arrays(size, rng)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        optimizer.step(params, grads)
        first = tracemalloc.get_traced_memory()[0] - before
        for _ in range(6):  # RAdam past its SGD phase
            optimizer.step(params, grads)
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        optimizer.step(params, grads)
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
        figures[name] = (first, peak)
    return figures


def import_time(runs):
    """Median wall time of ``import radam.numpy`` in fresh interpreters, and the TF/Keras modules it loaded."""
    seconds, heavy = [], set()
    for _ in range(runs):
        output = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True, check=True)
        elapsed, modules = output.stdout.split(" ", 1)
        seconds.append(float(elapsed))
        heavy.update(filter(None, modules.strip().split(",")))
    return statistics.median(seconds), sorted(heavy)


def verdict(ok):
    return "ok" if ok else "MISSED"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000], help="parameters in total")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions (median)")
    parser.add_argument("--steps", type=int, default=3, help="steps per optimizer in each repetition")
    parser.add_argument("--warmup", type=int, default=6, help="untimed steps per optimizer first")
    parser.add_argument("--imports", type=int, default=5, help="fresh interpreters timing the import")
    args = parser.parse_args()
    for name, value in vars(args).items():
        if (min(value) if isinstance(value, list) else value) < 1:
            parser.error(f"--{name} must be >= 1, got {value}")

    print(f"NumPy {np.__version__}, float32 parameters in {len(SPLIT)} arrays; "
          f"median of {args.repeats} repetitions x {args.steps} steps, optimizers alternating")
    memory = {}
    for size in args.sizes:
        medians, ratio = time_steps(size, args.repeats, args.steps, args.warmup)
        memory[size] = step_memory(size)
        print(f"\n{size:,} parameters ({4 * size / 2**20:.0f} MiB)")
        print(f"  {'optimizer':<14}{'ms/step':>10}{'first step MiB':>16}{'later step peak KiB':>21}")
        for name, seconds in medians.items():
            first, peak = memory[size][name]
            print(f"  {name:<14}{1e3 * seconds:>10.2f}{first / 2**20:>16.1f}{peak / 2**10:>21.1f}")
        print(f"  RAdam / Adam: {ratio:.3f} (target <= 1.3: {verdict(ratio <= 1.3)})")

    medians, ratio = time_steps(0, args.repeats, 100 * args.steps, args.warmup)
    print("\n2-D problem (one array of two float64), microseconds per step:")
    print("  " + ", ".join(f"{name} {1e6 * seconds:.1f}" for name, seconds in medians.items()))
    print(f"  RAdam / Adam: {ratio:.2f}")

    smallest, largest = min(args.sizes), max(args.sizes)
    growth = max(memory[largest][name][1] - memory[smallest][name][1] for name in OPTIMIZERS)
    if largest > smallest:
        print(f"\nLater-step peak growth from {smallest:,} to {largest:,} parameters: at most {growth} bytes "
              f"(target: none that grows with the parameter count: {verdict(growth < 4096)})")

    seconds, heavy = import_time(args.imports)
    print(f"\nimport radam.numpy (NumPy included), median of {args.imports} fresh interpreters: {seconds:.3f} s "
          f"(target <= 0.3 s: {verdict(seconds <= 0.3)}); TensorFlow/Keras modules loaded: {heavy or 'none'} "
          f"({verdict(not heavy)})")


if __name__ == "__main__":
    main()
