"""Time one step of each radam.numpy optimizer against the memory floor, the previous RAdam and PyTorch.

Targets, each a ratio measured in the same run (one thread for every library):

- RAdam's step at least 1.4x faster than the previous implementation (kept below as ``PreviousRAdam``: the
  whole-array, in-place chain of NumPy calls through one scratch buffer that radam.numpy used before it
  streamed blocks through ``update``);
- RAdam's step at most 8x ``np.copyto`` of the parameters (the floor: one read and one write of them);
- RAdam / Adam <= 1.1 per step on large arrays, and <= 1.5 on the book's 2-D problems (one array of two
  float64, hundreds of thousands of steps: the per-step Python work dominates there);
- no per-step allocation that grows with the parameter count; ``import radam.numpy`` <= 0.3 s in a fresh
  interpreter, without TensorFlow or Keras.

How: float32 parameters split into four arrays (50/30/15/5 %). Every optimizer first takes ``--warmup``
untimed steps (RAdam past its SGD phase, so its rectified branch is the one timed); then each repetition
times ``--steps`` steps of every contender in turn, the order rotating between repetitions. Medians over
``--repeats`` repetitions; a ratio is the median of the ratios within each repetition. Where PyTorch is
importable, ``torch.optim.RAdam(foreach=True)`` and ``torch.optim.Adam(fused=True)`` run on the same values
(``torch.set_num_threads(1)``). Memory: ``tracemalloc`` peak during one later step.

Usage::

    python benchmarks/numpy_step.py [--sizes 1000000 10000000] [--repeats 5] [--steps 3] [--warmup 6] [--imports 5]
"""

import argparse
import math
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np
from threadpoolctl import threadpool_limits

from radam import numpy as rnp
from radam import theory

SPLIT = (0.5, 0.3, 0.15, 0.05)

IMPORT_PROBE = """
import sys, time
start = time.perf_counter()
import radam.numpy
elapsed = time.perf_counter() - start
heavy = sorted(name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras"))
print(elapsed, ",".join(heavy))
"""


class PreviousRAdam:
    """radam.numpy.RAdam's step before the rewrite (same rule, default hyperparameters), for comparison:
    whole-array in-place NumPy calls through one scratch buffer, rho_t and r_t from radam.theory every step."""

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, sma_threshold=5.0):
        self.learning_rate, self.beta_1, self.beta_2 = learning_rate, beta_1, beta_2
        self.epsilon, self.sma_threshold = epsilon, sma_threshold
        self.iterations, self._slots, self._scratch = 0, None, {}

    def step(self, params, grads):
        params, grads = _previous_pair_up(params, grads)
        t = self.iterations + 1
        adaptive = theory.is_adaptive(t, self.beta_2, self.sma_threshold)
        self._r_t = theory.rectification(t, self.beta_2) if adaptive else None
        if self._slots is None:
            self._slots = [{"m": np.zeros_like(p), "v": np.zeros_like(p)} for p in params]
        for param, grad, slots in zip(params, grads, self._slots):
            self.update(param, np.asarray(grad, dtype=param.dtype), slots, self._scratch_like(param), t)
        self.iterations = t

    def _scratch_like(self, param):
        buffer = self._scratch.get(param.dtype)
        if buffer is None or buffer.size < param.size:
            buffer = self._scratch[param.dtype] = np.empty(param.size, dtype=param.dtype)
        return buffer[: param.size].reshape(param.shape)

    def update(self, theta, g, slots, scratch, t):
        lr, m, v = self.learning_rate, slots["m"], slots["v"]
        m *= self.beta_1
        np.multiply(g, 1.0 - self.beta_1, out=scratch)
        m += scratch
        v *= self.beta_2
        np.multiply(g, g, out=scratch)
        scratch *= 1.0 - self.beta_2
        v += scratch
        bias_correction_1 = 1.0 - self.beta_1**t
        if self._r_t is not None:
            np.sqrt(v, out=scratch)
            scratch += self.epsilon
            np.divide(m, scratch, out=scratch)
            scratch *= lr * self._r_t * math.sqrt(1.0 - self.beta_2**t) / bias_correction_1
            theta -= scratch
        else:
            np.multiply(m, lr / bias_correction_1, out=scratch)
            theta -= scratch


def _previous_pair_up(params, grads):
    """The previous step's checks of its arguments (part of its per-step cost)."""
    if isinstance(params, np.ndarray):
        params, grads = [params], [grads]
    params, grads = list(params), list(grads)
    if not params or len(grads) != len(params):
        raise ValueError("params and grads must hold the same number of arrays")
    for i, (p, g) in enumerate(zip(params, grads)):
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating) or np.shape(g) != p.shape:
            raise ValueError(f"params[{i}] or grads[{i}] is not a float array of the right shape")
    return params, grads


class CopyFloor:
    """np.copyto of every parameter array into a buffer of its own: one read and one write of the parameters."""

    def __init__(self):
        self.targets = None

    def step(self, params, grads):
        if self.targets is None:
            self.targets = [np.empty_like(p) for p in params]
        for target, param in zip(self.targets, params):
            np.copyto(target, param)


class Torch:
    """A torch.optim optimizer stepping tensors that share memory with NumPy arrays."""

    def __init__(self, make):
        self.make, self.optimizer = make, None

    def step(self, params, grads):
        import torch

        if self.optimizer is None:
            self.tensors = [torch.from_numpy(p) for p in params]
            for tensor, g in zip(self.tensors, grads):
                tensor.grad = torch.from_numpy(g)
            self.optimizer = self.make(self.tensors)
        self.optimizer.step()


OPTIMIZERS = {
    "SGD": lambda: rnp.SGD(learning_rate=1e-3),
    "SGD momentum": lambda: rnp.SGD(learning_rate=1e-3, momentum=0.9),
    "AdaGrad": lambda: rnp.AdaGrad(learning_rate=1e-3),
    "RMSProp": lambda: rnp.RMSProp(learning_rate=1e-3),
    "Adam": lambda: rnp.Adam(learning_rate=1e-3),
    "RAdam": lambda: rnp.RAdam(learning_rate=1e-3),
}


def contenders(large):
    """Every timed step: radam.numpy's optimizers, the previous RAdam, the copy floor and PyTorch's where importable."""
    makers = {**OPTIMIZERS, "previous RAdam": PreviousRAdam}
    if large:
        makers["np.copyto floor"] = CopyFloor
    try:
        import torch
    except ImportError:
        return makers
    torch.set_num_threads(1)
    makers["torch RAdam foreach"] = lambda: Torch(lambda ps: torch.optim.RAdam(ps, lr=1e-3, eps=1e-7, foreach=True))
    makers["torch Adam fused"] = lambda: Torch(lambda ps: torch.optim.Adam(ps, lr=1e-3, eps=1e-7, fused=True))
    return makers


def torch_status():
    try:
        import torch
    except ImportError as error:
        return f"PyTorch: not importable here ({error}); its rows are left out"
    return f"PyTorch {torch.__version__}: torch.optim.RAdam(foreach=True) and Adam(fused=True), 1 thread"


def arrays(size, rng):
    """Float32 parameters and gradients of ``size`` elements in total, in len(SPLIT) arrays."""
    counts = [int(size * share) for share in SPLIT]
    counts[0] += size - sum(counts)
    params = [rng.standard_normal(n, dtype=np.float32) for n in counts]
    grads = [rng.standard_normal(n, dtype=np.float32) for n in counts]
    return params, grads


def time_steps(size, repeats, steps, warmup):
    """Seconds per step of every contender in each repetition: {name: [seconds, ...]}.

    ``size`` 0 means the book's 2-D problems: one array of two float64.
    """
    rng = np.random.default_rng(0)
    makers = contenders(large=size > 0)
    if size:
        grads = arrays(size, rng)[1]
        runs = {name: (make(), arrays(size, rng)[0]) for name, make in makers.items()}
    else:
        grads = [np.array([0.3, -0.2])]
        runs = {name: (make(), [np.array([1.0, 2.0])]) for name, make in makers.items()}
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
    return times


def ratio(times, numerator, denominator):
    """Median over the repetitions of numerator's time / denominator's time."""
    return statistics.median(a / b for a, b in zip(times[numerator], times[denominator]))


def step_memory(size):
    """Bytes traced on the first step (the slots) and the peak traced during a later step."""
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
    parser.add_argument("--steps", type=int, default=3, help="steps per contender in each repetition")
    parser.add_argument("--warmup", type=int, default=6, help="untimed steps per contender first")
    parser.add_argument("--imports", type=int, default=5, help="fresh interpreters timing the import")
    args = parser.parse_args()
    for name, value in vars(args).items():
        if (min(value) if isinstance(value, list) else value) < 1:
            parser.error(f"--{name} must be >= 1, got {value}")

    print(f"NumPy {np.__version__}, one thread; float32 parameters in {len(SPLIT)} arrays; median of "
          f"{args.repeats} repetitions x {args.steps} steps, contenders alternating; blocks of {rnp.BLOCK_BYTES // 1024} KiB")
    print(torch_status())
    memory = {}
    with threadpool_limits(limits=1):
        for size in args.sizes:
            times = time_steps(size, args.repeats, args.steps, args.warmup)
            memory[size] = step_memory(size)
            print(f"\n{size:,} parameters ({4 * size / 2**20:.0f} MiB)")
            print(f"  {'step':<22}{'ms/step':>9}{'x copy floor':>14}{'first step MiB':>16}{'later step peak KiB':>21}")
            for name, seconds in times.items():
                first, peak = memory[size].get(name, (math.nan, math.nan))
                print(f"  {name:<22}{1e3 * statistics.median(seconds):>9.2f}"
                      f"{ratio(times, name, 'np.copyto floor'):>14.2f}{first / 2**20:>16.1f}{peak / 2**10:>21.1f}")
            speedup = ratio(times, "previous RAdam", "RAdam")
            floor = ratio(times, "RAdam", "np.copyto floor")
            over_adam = ratio(times, "RAdam", "Adam")
            print(f"  RAdam vs the previous RAdam: {speedup:.2f}x faster (target >= 1.4: {verdict(speedup >= 1.4)})")
            print(f"  RAdam / copy floor: {floor:.2f} (target <= 8: {verdict(floor <= 8)})")
            print(f"  RAdam / Adam: {over_adam:.3f} (target <= 1.1: {verdict(over_adam <= 1.1)})")
            if "torch RAdam foreach" in times:
                print(f"  RAdam / torch RAdam foreach: {ratio(times, 'RAdam', 'torch RAdam foreach'):.2f}; "
                      f"Adam / torch Adam fused: {ratio(times, 'Adam', 'torch Adam fused'):.2f}")

        times = time_steps(0, args.repeats, 100 * args.steps, args.warmup)
    print("\n2-D problem (one array of two float64), microseconds per step:")
    print("  " + ", ".join(f"{name} {1e6 * statistics.median(seconds):.1f}" for name, seconds in times.items()))
    over_adam = ratio(times, "RAdam", "Adam")
    print(f"  RAdam / Adam: {over_adam:.2f} (target <= 1.5: {verdict(over_adam <= 1.5)}); "
          f"previous RAdam / RAdam: {ratio(times, 'previous RAdam', 'RAdam'):.2f}")

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
