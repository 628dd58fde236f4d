"""Time radam.keras.RAdam against keras.optimizers.Adam on each Keras backend, alternately in one run, and print
medians and ratios.

Each backend runs in its own process (Keras fixes its backend at import), one after the other, with the Python given
by ``--python BACKEND=PATH`` or else this one. Two measurements per backend (targets: RAdam/Adam <= 1.05 for the
CNN step, <= 1.15 for the update alone):

- cnn: one training step (forward, backward, update; ``model.train_on_batch``) of the blog's CIFAR-10 CNN,
  batch 64 of 32x32x3 inputs (where ``radam.cifar10`` imports: it needs TensorFlow);
- apply: the update alone on 10M float32 parameters in four variables: ``optimizer.apply`` in a ``tf.function``
  (TensorFlow), ``optimizer.stateless_apply`` under ``jax.jit`` (JAX), eager ``optimizer.apply`` (PyTorch).

Each repetition times ``--steps`` calls with Adam, then with RAdam (the order alternates between
repetitions); ``--warmup`` calls per optimizer come first and are not timed. Usage::

    python benchmarks/keras_step.py [--backends tensorflow jax torch] [--python torch=/path/to/python]
        [--repeats 15] [--steps 5] [--warmup 3] [--only cnn|apply] [--jit-compile auto]
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time

import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")


def cnn_steps(optimizer, jit_compile, batch_size=64):
    """A function running n training steps of the blog's CNN with ``optimizer`` on one fixed random batch."""
    from radam.cifar10 import build_model

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
    """A function running n updates of about 10M parameters with fixed random gradients, compiled as the backend
    compiles a training step (tf.function, jax.jit; PyTorch runs eagerly, as fit does by default)."""
    import keras

    rng = np.random.default_rng(0)
    variables = [keras.Variable(rng.normal(size=s).astype(np.float32)) for s in shapes]
    grads = [keras.ops.convert_to_tensor(rng.normal(size=s).astype(np.float32)) for s in shapes]
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        optimizer.build(variables)
        update = jax.jit(optimizer.stateless_apply)
        state = {"optimizer": [v.value for v in optimizer.variables], "trainable": [v.value for v in variables]}

        def run(n):
            for _ in range(n):
                state["trainable"], state["optimizer"] = update(state["optimizer"], grads, state["trainable"])
            jax.block_until_ready(state["trainable"])

        return run
    if backend == "tensorflow":
        import tensorflow as tf

        apply = tf.function(lambda: optimizer.apply(grads, variables))
    else:
        def apply():
            optimizer.apply(grads, variables)

    def run(n):
        for _ in range(n):
            apply()
        keras.ops.convert_to_numpy(variables[0])  # wait for the last update

    return run


def compare(name, make_run, repeats, steps, warmup):
    """Median seconds per step for Adam and RAdam, timed alternately; prints them and the ratio."""
    import keras

    from radam.keras import RAdam

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
    backend = keras.backend.backend()
    print(f"{backend:10s} {name:6s} Adam {adam * 1e3:8.3f} ms  RAdam {radam * 1e3:8.3f} ms  "
          f"RAdam/Adam {radam / adam:.3f}", flush=True)
    return radam / adam


def measure(args):
    """The measurements on the backend this process runs (KERAS_BACKEND)."""
    import keras

    jit_compile = {"auto": "auto", "true": True, "false": False}[args.jit_compile]
    backend = keras.backend.backend()
    print(f"== keras {keras.__version__}, backend {backend} {importlib.import_module(backend).__version__}", flush=True)
    if args.only in (None, "cnn"):
        if importlib.util.find_spec("tensorflow") is None:
            print(f"{backend:10s} cnn    not measured: radam.cifar10 (the blog's CNN) imports TensorFlow")
        else:
            compare("cnn", lambda opt: cnn_steps(opt, jit_compile), args.repeats, args.steps, args.warmup)
    if args.only in (None, "apply"):
        compare("apply", apply_steps, args.repeats, args.steps, args.warmup)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, help="default: those this Python has")
    parser.add_argument("--python", action="append", default=[], metavar="BACKEND=PATH",
                        help="the Python that has BACKEND installed (default: this one)")
    parser.add_argument("--repeats", type=int, default=15, help="timed repetitions per optimizer (default 15)")
    parser.add_argument("--steps", type=int, default=5, help="steps per repetition (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per optimizer first (default 3)")
    parser.add_argument("--only", choices=("cnn", "apply"), help="run one of the two measurements")
    parser.add_argument("--jit-compile", default="auto", choices=("auto", "true", "false"), help="for the CNN step")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one backend, in this process
    args = parser.parse_args(argv)
    for name, value in (("repeats", args.repeats), ("steps", args.steps), ("warmup", args.warmup)):
        if value < 1:
            parser.error(f"--{name} must be >= 1, got {value}")
    if args.worker:
        return measure(args)
    pythons = {}
    for item in args.python:
        backend, _, path = item.partition("=")
        if backend not in BACKENDS or not path:
            parser.error(f"--python must be BACKEND=PATH with BACKEND one of {', '.join(BACKENDS)}, got {item!r}")
        pythons[backend] = path
    backends = args.backends or [b for b in BACKENDS if b in pythons or importlib.util.find_spec(b) is not None]
    print(f"{args.repeats} x {args.steps} steps per optimizer; median s/step")
    forwarded = ["--repeats", str(args.repeats), "--steps", str(args.steps), "--warmup", str(args.warmup),
                 "--jit-compile", args.jit_compile] + (["--only", args.only] if args.only else [])
    failed = []
    for backend in backends:
        command = [pythons.get(backend, sys.executable), __file__, "--worker"] + forwarded
        result = subprocess.run(command, env=dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2"))
        if result.returncode:
            failed.append(backend)
    if failed:
        sys.exit(f"failed on {', '.join(failed)}")


if __name__ == "__main__":
    main()
