"""Time radam.keras.RAdam against keras.optimizers.Adam, alternately in one run, and print medians and ratios.

Two measurements (targets: RAdam/Adam <= 1.05 for the CNN step, <= 1.15 for apply_gradients alone):

- cnn: one training step (forward, backward, update; ``model.train_on_batch``) of the blog's CIFAR-10 CNN,
  batch 64 of 32x32x3 inputs;
- apply: ``optimizer.apply`` alone (a ``tf.function``) on 10M float32 parameters in four variables.

Each repetition times ``--steps`` calls with Adam, then with RAdam (the order alternates between
repetitions); ``--warmup`` calls per optimizer come first and are not timed. Usage::

    python benchmarks/keras_step.py [--repeats 15] [--steps 5] [--warmup 3] [--only cnn|apply] [--jit-compile auto]
"""

import argparse
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from radam.cifar10 import build_model
from radam.keras import RAdam


def cnn_steps(optimizer, jit_compile, batch_size=64):
    """A function running n training steps of the blog's CNN with ``optimizer`` on one fixed random batch."""
    model = build_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", jit_compile=jit_compile)
    rng = np.random.default_rng(0)
    x = rng.random((batch_size, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, batch_size)

    def run(n):
        for _ in range(n):
            model.train_on_batch(x, y)

    return run


def apply_steps(optimizer, shapes=((2500, 2000), (2000, 2000), (1000, 999), (1000,))):
    """A function running n ``optimizer.apply`` calls on about 10M parameters with fixed random gradients."""
    rng = np.random.default_rng(0)
    variables = [keras.Variable(rng.normal(size=s).astype(np.float32)) for s in shapes]
    grads = [tf.constant(rng.normal(size=s).astype(np.float32)) for s in shapes]
    apply = tf.function(lambda: optimizer.apply(grads, variables))

    def run(n):
        for _ in range(n):
            apply()
        variables[0].numpy()  # wait for the last update

    return run


def compare(name, make_run, repeats, steps, warmup):
    """Median seconds per step for Adam and RAdam, timed alternately; prints them and the ratio."""
    runs = {"Adam": make_run(keras.optimizers.Adam()), "RAdam": make_run(RAdam())}
    for run in runs.values():
        run(warmup)
    times = {label: [] for label in runs}
    for repeat in range(repeats):
        for label in list(runs)[:: 1 if repeat % 2 == 0 else -1]:
            start = time.perf_counter()
            runs[label](steps)
            times[label].append((time.perf_counter() - start) / steps)
    adam, radam = (statistics.median(times[label]) for label in ("Adam", "RAdam"))
    print(f"{name:6s} Adam {adam * 1e3:8.3f} ms  RAdam {radam * 1e3:8.3f} ms  RAdam/Adam {radam / adam:.3f}")
    return radam / adam


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repetitions per optimizer (default 15)")
    parser.add_argument("--steps", type=int, default=5, help="steps per repetition (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per optimizer first (default 3)")
    parser.add_argument("--only", choices=("cnn", "apply"), help="run one of the two measurements")
    parser.add_argument("--jit-compile", default="auto", choices=("auto", "true", "false"), help="for the CNN step")
    args = parser.parse_args(argv)
    for name, value in (("repeats", args.repeats), ("steps", args.steps), ("warmup", args.warmup)):
        if value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    jit_compile = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, tensorflow {tf.__version__}")
    print(f"CNN {build_model().count_params():,} parameters; {args.repeats} x {args.steps} steps; median s/step")
    if args.only in (None, "cnn"):
        compare("cnn", lambda opt: cnn_steps(opt, jit_compile), args.repeats, args.steps, args.warmup)
    if args.only in (None, "apply"):
        compare("apply", apply_steps, args.repeats, args.steps, args.warmup)


if __name__ == "__main__":
    main()
