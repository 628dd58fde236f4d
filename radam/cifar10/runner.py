"""The resumable CIFAR-10 runner: every arm of a seed starts from the same weights and sees the same batches;
a checkpoint per run after every epoch lets a rerun resume where it stopped."""

import dataclasses
import hashlib
import io
import json
import math
import os
import sys
import time
import zipfile

try:
    import fcntl
except ImportError:  # Windows: no folder lock
    fcntl = None

import keras
import numpy as np
import tensorflow as tf

from radam.cifar10.arms import Arm, get_arm
from radam.cifar10.data import load_cifar10
from radam.cifar10.model import build_model
from radam.cifar10 import provenance
from radam.cifar10.results import Results, _atomic_write, remove_partial_files

MAX_SEED = 2**32 - 1
"""The largest seed: keras.utils.set_random_seed and NumPy's generators take seeds below 2**32."""


class FolderInUse(ValueError):
    """Another runner holds the results folder's lock."""


def _digest(arrays):
    sha = hashlib.sha256()
    for array in arrays:
        sha.update(np.ascontiguousarray(array).tobytes())
    return sha.hexdigest()[:16]


def _save_checkpoint(path, model, meta):
    """Model variables (weights and dropout seed states), optimizer variables and the run's records, atomically."""
    arrays = {f"model_{i}": v.numpy() for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{i}": v.numpy() for i, v in enumerate(model.optimizer.variables)})
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    _atomic_write(path, buffer.getvalue())


def _load_checkpoint(path):
    """(meta, model values, optimizer values) of a checkpoint; a damaged file raises a ValueError naming it."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            model = [saved[f"model_{i}"] for i in range(sum(k.startswith("model_") for k in saved.files))]
            optimizer = [saved[f"optimizer_{i}"] for i in range(sum(k.startswith("optimizer_") for k in saved.files))]
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError) as e:
        raise ValueError(
            f"checkpoint {path} is damaged ({type(e).__name__}: {' '.join(str(e).split())}); rerun with --restart "
            f"(restart=True) to discard the saved runs, or delete {path} to retrain that run"
        ) from None
    return meta, model, optimizer


def _lock(out_dir):
    """Hold out_dir/.lock for this process (released when the process ends), or raise FolderInUse."""
    handle = open(os.path.join(out_dir, ".lock"), "a+")
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise FolderInUse(
                f"results folder {out_dir} is in use by another runner ({holder}); wait for it to finish, "
                "or use another --out"
            ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, since {provenance.now()}")
    handle.flush()
    return handle


def initial_weights(seed, mixed_precision=False, strategy=None):
    """All variables of the blog's CNN built after ``keras.utils.set_random_seed(seed)``: the weights and the
    dropout seed states every arm of that seed starts from."""
    keras.utils.set_random_seed(seed)
    with (strategy or tf.distribute.get_strategy()).scope():
        return [v.numpy() for v in build_model(mixed_precision).variables]


def epoch_order(seed, epoch, n_train):
    """The order in which epoch ``epoch`` (1-based) of seed ``seed`` visits the training images: a permutation
    drawn by NumPy's generator seeded with (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n_train)


def _assign(variables, values, what):
    if len(variables) != len(values):
        raise ValueError(f"{what}: {len(values)} saved values for {len(variables)} variables")
    for variable, value in zip(variables, values):
        variable.assign(value)


def _batches(x, y, order, batch_size):
    """tf.data: the rows ``order`` in batches, images scaled to [0, 1] float32, prefetched."""
    return (
        tf.data.Dataset.from_tensor_slices(order)
        .batch(batch_size)
        .map(
            lambda rows: (tf.cast(tf.gather(x, rows), tf.float32) / 255.0, tf.gather(y, rows)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .prefetch(tf.data.AUTOTUNE)
    )


class _ProgressBar(keras.callbacks.Callback):
    """One plain-text line per run, redrawn in place with a carriage return (terminals and notebooks alike)."""

    async_safe = True

    def __init__(self, label, epochs, steps_per_epoch, stream, interval=0.5):
        super().__init__()
        self.label, self.epochs, self.steps_per_epoch = label, epochs, steps_per_epoch
        self.stream, self.interval = stream, interval
        self.epoch, self.status, self.shown, self.length = 0, "", 0.0, 0

    def draw(self, done, force=False):
        now = time.monotonic()
        if not force and now - self.shown < self.interval:
            return
        self.shown = now
        width = 20
        filled = round(width * done / self.epochs)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label} [{bar}] {done:.1f}/{self.epochs} epochs {self.status}"
        self.stream.write("\r" + line.ljust(self.length))
        self.stream.flush()
        self.length = len(line)

    def on_train_batch_end(self, batch, logs=None):
        self.draw(self.epoch + (batch + 1) / self.steps_per_epoch)

    def end_epoch(self, record):
        self.epoch = record["epoch"]
        self.status = (
            f"| epoch {self.epoch}: loss {record['train_loss']:.3f} acc {record['train_accuracy']:.3f} "
            f"val_acc {record['val_accuracy']:.3f} lr {record['learning_rate']:.2e} "
            f"{record['images_per_second']:.0f} img/s"
        )
        self.draw(self.epoch, force=True)

    def close(self):
        self.draw(self.epoch, force=True)
        self.stream.write("\n")
        self.stream.flush()


def _check_positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def _prepare_data(data, data_dir, train_limit, test_limit):
    """The arrays to train and validate on, and a description of them (with a digest, to recognise them)."""
    if data is None:
        data, info = load_cifar10(data_dir, with_info=True)
        source = dataclasses.asdict(info)
        source["folder"] = os.path.basename(source["folder"])  # a name, not a path of this machine
    else:
        source = {"folder": None, "found_via": "arrays given", "n_train": len(data[0][0]), "n_test": len(data[1][0])}
    (x_train, y_train), (x_test, y_test) = data
    for name, x in (("x_train", x_train), ("x_test", x_test)):
        if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.shape[1:] != (32, 32, 3) or not len(x):
            found = f"{x.dtype} array of shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"{name} must be uint8 images of shape (N, 32, 32, 3) with N >= 1, got {found}")
    x_train, y_train = x_train[:train_limit], np.asarray(y_train).reshape(-1)[:train_limit]
    x_test, y_test = x_test[:test_limit], np.asarray(y_test).reshape(-1)[:test_limit]
    source.update(used_train=len(x_train), used_test=len(x_test), digest=_digest([x_train, y_train, x_test, y_test]))
    return (x_train, y_train), (x_test, y_test), source


def _differences(saved, current, prefix=""):
    """'key: saved there, current here' for each leaf where two nested dicts differ."""
    out = []
    for key in sorted(set(saved) | set(current), key=str):
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} there, {b!r} here")
    return out


class _Experiment:
    """The arrays, settings and files shared by all runs (arm x seed) of one run_experiment call."""

    def __init__(self, data, batch_size, mixed_precision, strategy, out_dir, progress, on_epoch_end):
        (self.x_train, y_train), (x_test, y_test), self.source = data
        self.batch_size, self.mixed_precision, self.strategy = batch_size, mixed_precision, strategy
        self.out_dir, self.progress, self.on_epoch_end = out_dir, progress, on_epoch_end
        self.steps_per_epoch = math.ceil(len(self.x_train) / batch_size)
        # Everything a checkpoint must share with this call to be resumed by it (the data by content, not place).
        identity = {k: v for k, v in self.source.items() if k not in ("folder", "found_via")}
        self.signature = {"batch_size": batch_size, "data": identity, "mixed_precision": mixed_precision}
        with tf.device("/cpu:0"):
            self.x_all, self.y_all = tf.constant(self.x_train), tf.constant(y_train)
            self.test_set = _batches(tf.constant(x_test), tf.constant(y_test), np.arange(len(x_test)), batch_size)

    def checkpoint_path(self, arm, seed):
        return os.path.join(self.out_dir, "checkpoints", f"{arm.name}-seed{seed}.npz") if self.out_dir else None

    def compiled_model(self, arm):
        with self.strategy.scope():
            model = build_model(self.mixed_precision)
            optimizer = arm.make_optimizer()
            if self.mixed_precision:
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.optimizer.build(model.trainable_variables)
        return model

    def initial_weights(self, seed):
        """All variables of the model built after set_random_seed(seed): weights and dropout seed states."""
        return initial_weights(seed, self.mixed_precision, self.strategy)

    def run(self, arm, seed, initial, epochs, results):
        """Train one arm from ``initial`` (or from its checkpoint) up to ``epochs``, adding to ``results``."""
        model = self.compiled_model(arm)
        _assign(model.variables, initial, f"{arm.name} seed {seed}")
        run = {"arm": arm.config(), "seed": seed, "experiment": self.signature}
        run_info = {"arm": arm.name, "seed": seed, "initial_weights": _digest([v.numpy() for v in model.variables])}
        records = []
        path = self.checkpoint_path(arm, seed)
        done = self.saved_records.get((arm.name, seed), [])
        if len(done) >= epochs and not (path and os.path.exists(path)):
            # complete in the folder's results (e.g. committed without checkpoints): nothing to train
            results.runs = [r for r in results.runs if (r["arm"], r["seed"]) != (arm.name, seed)]
            results.runs.append(self.saved_runs.get((arm.name, seed), run_info))
            results.records = [r for r in results.records if (r["arm"], r["seed"]) != (arm.name, seed)]
            results.records.extend(done[:epochs])
            return
        if path and os.path.exists(path):
            meta, model_values, optimizer_values = _load_checkpoint(path)
            saved_run = dict(meta["run"], arm=Arm(**meta["run"]["arm"]).config())  # fields added since: defaults
            saved_data = saved_run["experiment"]["data"]
            saved_run["experiment"] = dict(
                saved_run["experiment"], data={k: v for k, v in saved_data.items() if k not in ("folder", "found_via")}
            )
            changed = _differences(saved_run, json.loads(json.dumps(run)))
            if changed:
                raise ValueError(
                    f"{path} holds a run with other settings ({'; '.join(changed)}); "
                    "use another out_dir, or restart=True (--restart) to discard it"
                )
            records, run_info = meta["records"], meta["run_info"]
            _assign(model.variables, model_values, path)
            _assign(model.optimizer.variables, optimizer_values, path)
        results.runs = [r for r in results.runs if (r["arm"], r["seed"]) != (arm.name, seed)] + [run_info]
        results.records = [r for r in results.records if (r["arm"], r["seed"]) != (arm.name, seed)]
        results.records.extend(records[:epochs])
        bar = None
        if self.progress:
            bar = _ProgressBar(f"{arm.name} seed {seed}", epochs, self.steps_per_epoch, sys.stdout)
        if bar and records:
            bar.end_epoch(records[min(epochs, len(records)) - 1])
        for epoch in range(len(records) + 1, epochs + 1):
            record = self.train_epoch(model, arm, seed, epoch, bar)
            records.append(record)
            results.records.append(record)
            if path:
                _save_checkpoint(path, model, {"run": run, "run_info": run_info, "records": records})
                self.before_save()
                results.save(self.out_dir)
            if bar:
                bar.end_epoch(record)
            if self.on_epoch_end:
                self.on_epoch_end(record)
        if bar:
            bar.close()

    def train_epoch(self, model, arm, seed, epoch, bar):
        """One epoch in the order NumPy's generator seeded by (seed, epoch) draws, then validation; its record."""
        order = epoch_order(seed, epoch, len(self.x_train))
        batches = _batches(self.x_all, self.y_all, order, self.batch_size)
        start = time.perf_counter()
        history = model.fit(batches, epochs=1, shuffle=False, verbose=0, callbacks=[bar] if bar else [])
        train_time = time.perf_counter() - start
        start = time.perf_counter()
        validation = model.evaluate(self.test_set, verbose=0, return_dict=True)
        eval_time = time.perf_counter() - start
        step = epoch * self.steps_per_epoch
        return {
            "arm": arm.name,
            "seed": seed,
            "epoch": epoch,
            "step": step,
            "train_loss": float(history.history["loss"][0]),
            "train_accuracy": float(history.history["accuracy"][0]),
            "val_loss": float(validation["loss"]),
            "val_accuracy": float(validation["accuracy"]),
            "learning_rate": float(arm.lr_at(step)),
            "train_time_s": train_time,
            "eval_time_s": eval_time,
            "images_per_second": len(self.x_train) / train_time,
        }


def run_experiment(
    arms,
    epochs,
    seeds=(0,),
    *,
    data=None,
    data_dir=None,
    train_limit=None,
    test_limit=None,
    batch_size=64,
    out_dir=None,
    restart=False,
    progress=True,
    mixed_precision=False,
    distribute=False,
    deterministic=False,
    on_epoch_end=None,
    scale_schedules=False,
    command=None,
):
    """Train the blog's CNN with each arm (an Arm or a name in NAMED_ARMS) for each seed; returns Results.

    For a seed, every arm starts from the same weights (built once after ``keras.utils.set_random_seed(seed)``,
    dropout seed states included) and sees the same batches (epoch e shuffles with NumPy's generator seeded by
    (seed, e)). Each epoch records training loss and accuracy (dropout on), validation loss and accuracy on the
    test set, lr_t at the epoch's last step, times and images/s. Images are scaled to [0, 1] floats in the
    tf.data pipeline; the model sees nothing else.

    Args:
        data: ``((x_train, y_train), (x_test, y_test))`` as load_cifar10 returns it; by default loaded from data_dir.
        train_limit, test_limit: use only the first that many training / test images.
        out_dir: after every epoch, a checkpoint per run (out_dir/checkpoints) and results.json / results.csv are
            written atomically; calling again with the same out_dir resumes each run after its last completed
            epoch and gives the same numbers as an uninterrupted run. ``restart=True`` discards this call's
            saved runs (arms x seeds) first; the folder's other runs stay.
        mixed_precision: float16 compute with loss scaling (for GPUs).
        distribute: tf.distribute.MirroredStrategy over all GPUs (batch_size is the global batch).
        deterministic: tf.config.experimental.enable_op_determinism.
        on_epoch_end: called with each new record once it has been saved.
        scale_schedules: run each arm as ``arm.scaled(steps_per_epoch)``: the blog's schedule lasts as many
            epochs as on the full data.
        command: the command line recorded in the provenance (default: this process's arguments).

    With ``out_dir``, the folder is locked while the call runs (a second runner on it raises FolderInUse),
    temporary files of an earlier killed run are removed, and runs of other arms or seeds already saved in
    the folder are kept in its results. The results carry the provenance of every invocation (command,
    commit, versions, machine, times) and the fingerprint of what determines the numbers.
    """
    started, clock = provenance.now(), time.monotonic()
    arms = [arm if isinstance(arm, Arm) else get_arm(arm) for arm in arms]
    names = [arm.name for arm in arms]
    if not arms or len(set(names)) != len(names):
        raise ValueError(f"arms must be a non-empty list of distinct arms, got {names}")
    epochs = _check_positive_int("epochs", epochs)
    seeds = list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= MAX_SEED for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of whole numbers in [0, 2**32), got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds!r}")
    seeds = [int(s) for s in seeds]
    batch_size = _check_positive_int("batch_size", batch_size)
    train_limit = _check_positive_int("train_limit", train_limit, allow_none=True)
    test_limit = _check_positive_int("test_limit", test_limit, allow_none=True)
    lock = None
    if out_dir is not None:
        os.makedirs(os.path.join(out_dir, "checkpoints"), exist_ok=True)
        lock = _lock(out_dir)
    try:
        return _run_locked(
            arms, epochs, seeds, data, data_dir, train_limit, test_limit, batch_size, out_dir, restart, progress,
            mixed_precision, distribute, deterministic, on_epoch_end, scale_schedules, command, started, clock,
        )
    finally:
        if lock is not None:
            lock.close()


def _run_locked(
    arms, epochs, seeds, data, data_dir, train_limit, test_limit, batch_size, out_dir, restart, progress,
    mixed_precision, distribute, deterministic, on_epoch_end, scale_schedules, command, started, clock,
):
    prepared = _prepare_data(data, data_dir, train_limit, test_limit)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = tf.distribute.MirroredStrategy() if distribute else tf.distribute.get_strategy()
    experiment = _Experiment(prepared, batch_size, bool(mixed_precision), strategy, out_dir, progress, on_epoch_end)
    if scale_schedules:
        arms = [arm.scaled(experiment.steps_per_epoch) for arm in arms]
    saved = None
    if out_dir is not None:
        for folder in (out_dir, os.path.join(out_dir, "checkpoints")):
            remove_partial_files(folder)
        if restart:  # this call's runs start afresh; the folder's other arms and seeds stay
            for path in filter(os.path.exists, [experiment.checkpoint_path(a, s) for a in arms for s in seeds]):
                os.remove(path)
        if os.path.exists(os.path.join(out_dir, "results.json")):
            saved = Results.load(out_dir)
            if restart:
                saved.drop(arms, seeds)
    settings = dict(
        experiment.signature,
        data=experiment.source,
        epochs=epochs,
        seeds=seeds,
        steps_per_epoch=experiment.steps_per_epoch,
        distribute=bool(distribute),
        deterministic=bool(deterministic),
        versions={"keras": keras.__version__, "tensorflow": tf.__version__},
    )
    if command is None:
        command = provenance.command_line(sys.argv)
    invocation = provenance.provenance(command, started, started, 0.0)
    # Results written to a folder carry the fingerprint that tells later code whether they are stale; runs
    # kept in memory only (a notebook's live slice) are judged by the code that holds them and skip it.
    if out_dir is not None:
        fingerprint = provenance.fingerprint(arms, experiment.source, batch_size, seeds)
    else:
        fingerprint = {"initial_weights": {}}
    results = Results(arms, settings, provenance=[invocation], fingerprint=fingerprint)
    if saved is not None:
        results.keep_saved(saved)  # raises, naming the conflict, before anything is trained

    def on_save():
        invocation.update(finished=provenance.now(), wall_time_s=round(time.monotonic() - clock, 1))

    experiment.before_save = on_save
    experiment.saved_records, experiment.saved_runs = {}, {}
    if saved is not None:
        for record in saved.records:
            experiment.saved_records.setdefault((record["arm"], record["seed"]), []).append(record)
        experiment.saved_runs = {(run["arm"], run["seed"]): run for run in saved.runs}
    for seed in seeds:
        initial = experiment.initial_weights(seed)
        results.fingerprint["initial_weights"][str(seed)] = _digest(initial)
        for arm in arms:
            experiment.run(arm, seed, initial, epochs, results)
    on_save()
    if out_dir is not None:
        results.save(out_dir)
    return results
