"""What made a results folder: provenance (command, code, versions, machine, time) and a fingerprint.

A long run is computed once and committed; these two records let a reader, and a test, tell whether the
numbers still come from this code:

- :func:`provenance` describes one invocation of the runner: the command, the git commit of the package's
  checkout (and whether it had uncommitted changes), the versions of radam, TensorFlow, Keras, NumPy and
  Python, the CPU, the start, end and wall time.
- :func:`fingerprint` describes what determines the numbers, not the source text that computes them: the
  model's layers, the data (a digest of the arrays), the batch order of the first epochs of each seed, the
  initial weights of each seed, and per arm its definition and a probe of its optimizer's arithmetic (a few
  steps on a fixed variable, at early and late steps of the schedule). A refactor that keeps behaviour keeps
  the fingerprint; a change of an arm, the model, the data order or the update rule changes it.
  :func:`stale_parts` compares two fingerprints and names what differs.

Reading provenance needs only NumPy; computing a fingerprint imports Keras where it builds the model or an
optimizer.
"""

import datetime
import hashlib
import json
import os
import platform
import shlex
import subprocess

import numpy as np

from radam.cifar10.arms import NAMED_ARMS, Arm, sweep_name

PROBE_STEPS = (1, 2, 3, 4, 5, 6, 7, 50, 51, 500, 501, 2000, 2001, 2800, 2801, 6000)
"""The steps t at which :func:`update_probe` applies a gradient: the SGD fallback, the first rectified steps,
inside and after every warmup and schedule of the named arms."""
NUMBER_SOURCES = ("radam/cifar10", "radam/keras.py", "radam/theory.py", "radam/schedules.py", "radam/_validate.py")
"""The package files whose code determines a run's numbers: ``uncommitted_changes`` says whether any of them
differed from the recorded commit."""
PROBE_RTOL = 1e-4
"""How far a probe may move before it counts as a changed update rule: float32 rounding differs between CPUs
by about 1e-7 relative; a changed rate, beta, schedule or rectification moves the probe by far more."""


def digest(arrays):
    """A 16-hex-digit SHA-256 of the bytes of ``arrays`` (NumPy arrays or array-likes), in order."""
    sha = hashlib.sha256()
    for array in arrays:
        sha.update(np.ascontiguousarray(array).tobytes())
    return sha.hexdigest()[:16]


def _sha(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _git(*args):
    folder = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        out = subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


_VECTOR_EXTENSIONS = (("amx_tile", "AMX"), ("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"), ("sse4_2", "SSE4.2"))
"""CPU flags from the widest vector extension down, with the names :func:`cpu` gives them."""


def cpu(cpuinfo="/proc/cpuinfo"):
    """This CPU's model name and its widest vector extension, e.g. "AMD EPYC, AVX-512": two CPUs of one name can
    still differ in the kernels oneDNN picks for them, so the name alone does not tell their sums apart."""
    name, flags = None, set()
    try:
        with open(cpuinfo, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and name is None:
                    name = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    name = name or platform.processor() or platform.machine()
    widest = next((label for flag, label in _VECTOR_EXTENSIONS if flag in flags), None)
    return f"{name}, {widest}" if widest else name


def provenance(command, started, finished, wall_time_s, sources=NUMBER_SOURCES):
    """One invocation of the runner: command, commit, versions, machine and times (ISO 8601 UTC).

    ``uncommitted_changes`` says whether any of ``sources`` (paths relative to the checkout: the files whose code
    determines the numbers, by default the CIFAR-10 experiment's ``NUMBER_SOURCES``) differed from the commit.
    """
    import keras
    import tensorflow as tf

    from radam import __version__ as radam_version

    if isinstance(sources, str) or not sources:
        raise ValueError(f"sources must be a non-empty sequence of paths, got {sources!r}")
    status = _git("status", "--porcelain", "--", *sources)
    return {
        "command": command,
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": None if status is None else bool(status),
        "versions": {
            "radam": radam_version,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "cpu": cpu(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "started": started,
        "finished": finished,
        "wall_time_s": round(wall_time_s, 1),
    }


def _settings(config):
    """A layer configuration without the entries that are None: Keras versions add options (such as an
    initializer's ``input_axes``) whose default None leaves the layer as it was."""
    if isinstance(config, dict):
        return {key: _settings(value) for key, value in config.items() if value is not None}
    if isinstance(config, (list, tuple)):
        return [_settings(value) for value in config]
    return config


def model_description():
    """The blog CNN's layers, each as its class and the settings of its configuration (without its
    counter-numbered name), so that the same network reads the same under every supported Keras."""
    from radam.cifar10.model import build_model

    model = build_model()
    layers = [
        (type(layer).__name__, _settings({k: v for k, v in layer.get_config().items() if k != "name"}))
        for layer in model.layers
    ]
    return {"layers": _sha(layers), "parameters": model.count_params()}


def update_probe(arm):
    """The arm's optimizer applied to a fixed 8-vector at ``PROBE_STEPS``: the values after each step.

    Before each step the optimizer's step counter is set to t - 1, so its schedule and rectification act as
    at step t; the gradients are fixed (a sine of the step and the coordinate).
    """
    import keras

    optimizer = arm.make_optimizer()
    variable = keras.Variable(np.linspace(-1.0, 1.0, 8, dtype="float32"))
    optimizer.build([variable])
    values = []
    for t in PROBE_STEPS:
        optimizer.iterations.assign(t - 1)
        gradient = np.sin(np.arange(1, 9, dtype="float32") * 0.7 + t).astype("float32")
        optimizer.apply([keras.ops.convert_to_tensor(gradient)], [variable])
        values.append([float(f"{x:.7g}") for x in np.asarray(variable.numpy(), dtype=float)])
    return values


def now():
    """The current UTC time, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def command_line(argv, program="python -m radam.cifar10"):
    """``program ARGS`` for this process's arguments (``argv[1:]``), with --out's folder shown as DIR.

    The folder is a path of the machine that ran it; a reader regenerates into a folder of their own.
    """
    args = list(argv[1:])
    for i, arg in enumerate(args):
        if arg == "--out" and i + 1 < len(args):
            args[i + 1] = "DIR"
        elif arg.startswith("--out="):
            args[i] = "--out=DIR"
    return " ".join([program, *map(shlex.quote, args)])


def batch_order_digest(seed, n_train, epochs=3):
    """A digest of the order of the first ``epochs`` epochs of seed ``seed`` (the runner's shuffling rule)."""
    from radam.cifar10 import pipeline

    return digest([pipeline.epoch_order(seed, epoch, n_train) for epoch in range(1, epochs + 1)])


def fingerprint(arms, source, batch_size, seeds, augment=False):
    """What determines a run's numbers: model, data, batch size and order, the validation split and the
    augmentation where a run has them, and per arm its definition and :func:`update_probe`. The runner adds
    each seed's initial weights (``initial_weights``) as it starts it."""
    out = {
        "model": model_description(),
        "data": source["digest"],
        "batch_size": batch_size,
        "batch_order": {str(seed): batch_order_digest(seed, source["used_train"]) for seed in seeds},
        "initial_weights": {},
        "arms": {arm.name: {"definition": arm.config(), "update_probe": update_probe(arm)} for arm in arms},
    }
    if source.get("used_validation"):
        out["validation_split"] = validation_split_digest(source["used_train"], source["used_validation"])
    if augment:
        out["augmentation"] = {str(seed): augmentation_digest(seed) for seed in seeds}
    return out


def validation_split_digest(n_train, n_validation):
    """A digest of which of ``n_train + n_validation`` training images the split holds out for validation."""
    from radam.cifar10 import pipeline

    return digest(list(pipeline.split(n_train + n_validation, n_validation)))


def augmentation_digest(seed, epochs=2):
    """A digest of the augmentation of seed ``seed``'s first ``epochs`` epochs, applied to a fixed probe of
    eight images."""
    from radam.cifar10 import pipeline

    probe = (np.arange(8 * 32 * 32 * 3) % 251).astype(np.uint8).reshape(8, 32, 32, 3)
    return digest([pipeline.augment(probe, seed, epoch) for epoch in range(1, epochs + 1)])


def initial_weights_digest(seed):
    """A digest of the initial weights (and dropout seed states) the runner gives every arm of ``seed``."""
    from radam.cifar10.model import initial_weights

    return digest(initial_weights(seed))


def current_arm(arm, steps_per_epoch):
    """How the current code defines ``arm`` (an Arm read from a results folder).

    An arm named after a named arm, or after a sweep of one (``NAME-lrLR``), is that named arm as
    ``radam.cifar10.arms.NAMED_ARMS`` defines it now, at the sweep's rate, with the blog's schedule scaled to
    ``steps_per_epoch`` where the stored arm's is (``--scale-schedules``); any other arm (a custom one) is its
    stored definition, which the current Arm must still accept.
    """
    base, rate = sweep_name(arm.name)
    if base not in NAMED_ARMS:
        return Arm(**arm.config())
    named = NAMED_ARMS[base] if rate is None else NAMED_ARMS[base].at_learning_rate(rate)
    scaled = named.scaled(steps_per_epoch)
    return scaled if arm.total_steps == scaled.total_steps != named.total_steps else named


def arms_of(results):
    """{name: Arm} as the current code defines the arms of ``results`` (see :func:`current_arm`), from the
    arms the results store."""
    return {arm.name: current_arm(arm, results.settings["steps_per_epoch"]) for arm in results.arms}


def stale_parts(results, data_digest=None):
    """What of ``results`` the current code would no longer reproduce: a list of sentences (empty if none).

    Compares the stored fingerprint with one computed now: the model, the batch size and order, each seed's
    initial weights, each arm's definition (as the current code defines it, :func:`current_arm`) and update
    probe (to ``PROBE_RTOL``), and the data when ``data_digest`` (of the arrays the results used) is given.
    """
    saved = results.fingerprint
    if not saved:
        return ["the results hold no fingerprint (made before fingerprints were recorded)"]
    problems = []
    if model_description() != saved["model"]:
        problems.append(f"the model changed ({saved['model']} then, {model_description()} now)")
    if data_digest is not None and data_digest != saved["data"]:
        problems.append(f"the data differ (digest {saved['data']} then, {data_digest} now)")
    n_train = results.settings["data"]["used_train"]
    for seed, order in saved["batch_order"].items():
        if batch_order_digest(int(seed), n_train) != order:
            problems.append(f"the batch order of seed {seed} changed")
    if "validation_split" in saved:
        n_validation = results.settings["data"]["used_validation"]
        if validation_split_digest(n_train, n_validation) != saved["validation_split"]:
            problems.append("the validation split changed")
    for seed, augmentation in saved.get("augmentation", {}).items():
        if augmentation_digest(int(seed)) != augmentation:
            problems.append(f"the augmentation of seed {seed} changed")
    for seed, weights in saved["initial_weights"].items():
        if initial_weights_digest(int(seed)) != weights:
            problems.append(f"the initial weights of seed {seed} changed")
    current = arms_of(results)
    for name, stored in saved["arms"].items():
        arm = current.get(name)
        if arm is None:
            problems.append(f"arm {name!r}: the results' arms do not list it")
            continue
        if Arm(**stored["definition"]) != arm:
            problems.append(
                f"arm {name!r} is defined differently now ({stored['definition']} then, {arm.config()} now)"
            )
            continue
        probe = np.array(update_probe(arm))
        if not np.allclose(probe, stored["update_probe"], rtol=PROBE_RTOL, atol=1e-7):
            worst = float(np.max(np.abs(probe - np.array(stored["update_probe"]))))
            problems.append(f"arm {name!r}: its optimizer's update rule changed (probe moved by up to {worst:.3g})")
    return problems


def regenerate_commands(results, folder):
    """The commands that recreate ``results`` into ``folder``, one per distinct recorded command."""
    commands = []
    for invocation in results.provenance:
        command = invocation["command"].replace("--out DIR", f"--out {folder}").replace("--out=DIR", f"--out={folder}")
        if command not in commands:
            commands.append(command)
    return commands
