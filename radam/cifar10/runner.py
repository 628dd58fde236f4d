"""The resumable CIFAR-10 runner: every arm of a seed starts from the same weights and sees the same batches;
a checkpoint per run after every epoch lets a rerun resume where it stopped.

The settings of a call are one frozen ``radam.cifar10.settings.RunSettings``, checked in full before anything
is written or trained; the folder's files are :mod:`radam.cifar10.store`'s, the batches
:mod:`radam.cifar10.pipeline`'s and the progress line :mod:`radam.cifar10.progress`'s.
"""

import json
import math
import os
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from radam.cifar10 import pipeline, provenance, schema, store
from radam.cifar10.arms import Arm
from radam.cifar10.model import build_model, initial_weights
from radam.cifar10.progress import ProgressBar
from radam.cifar10.results import Results
from radam.cifar10.settings import RunSettings, prepare_data


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


def _assign(variables, values, what):
    if len(variables) != len(values):
        raise ValueError(f"{what}: {len(values)} saved values for {len(variables)} variables")
    for variable, value in zip(variables, values):
        variable.assign(value)


def _without_place(data):
    """A data description without where the files were found: runs are the same on the same arrays."""
    return {k: v for k, v in data.items() if k not in ("folder", "found_via")}


class _Experiment:
    """The arrays, settings and files shared by all runs (arm x seed) of one run_experiment call."""

    def __init__(self, settings, data, on_epoch_end):
        self.settings, self.on_epoch_end = settings, on_epoch_end
        self.started, self.clock = provenance.now(), time.monotonic()
        (x_train, y_train), validation, (x_test, y_test), self.source = prepare_data(data, settings)
        if settings.deterministic:
            tf.config.experimental.enable_op_determinism()
        self.strategy = tf.distribute.MirroredStrategy() if settings.distribute else tf.distribute.get_strategy()
        self.n_train = len(x_train)
        self.steps_per_epoch = math.ceil(self.n_train / settings.batch_size)
        # Everything a checkpoint must share with this call to be resumed by it (the data by content, not place).
        self.signature = {
            "batch_size": settings.batch_size,
            "data": _without_place(self.source),
            "mixed_precision": settings.mixed_precision,
            "validation_images": settings.validation_images,
            "augment": settings.augment,
        }
        self.x_train = x_train
        with tf.device("/cpu:0"):
            self.x_all, self.y_all = tf.constant(x_train), tf.constant(y_train)
            self.test_set = self.evaluation_set(x_test, y_test)
            self.validation_set = self.evaluation_set(*validation) if settings.validation_images else None
        self.arms = list(settings.arms)
        if settings.scale_schedules:
            self.arms = [arm.scaled(self.steps_per_epoch) for arm in self.arms]
        self.invocation = provenance.provenance(
            settings.command or provenance.command_line(sys.argv), self.started, self.started, 0.0
        )

    def evaluation_set(self, x, y):
        return pipeline.batches(tf.constant(x), tf.constant(y), np.arange(len(x)), self.settings.batch_size)

    def checkpoint_path(self, arm, seed):
        return os.path.join(self.settings.out_dir, store.CHECKPOINTS, store.checkpoint_name(arm.name, seed))

    def results_settings(self):
        settings = self.settings
        return dict(
            self.signature,
            data=self.source,
            epochs=settings.epochs,
            seeds=list(settings.seeds),
            steps_per_epoch=self.steps_per_epoch,
            distribute=settings.distribute,
            deterministic=settings.deterministic,
            versions={"keras": keras.__version__, "tensorflow": tf.__version__},
        )

    def saved_results(self):
        """The folder's Results (less this call's runs with restart), checked against this call; None if none.

        Reads only: every refusal (other data or batch size, an arm defined differently, runs longer than
        ``epochs``) comes before the runner writes anything.
        """
        out_dir = self.settings.out_dir
        if out_dir is None or not os.path.exists(os.path.join(out_dir, "results.json")):
            return None
        saved = Results.load(out_dir)
        if self.settings.restart:
            saved.drop(self.arms, self.settings.seeds)
        mine = {(arm.name, seed) for arm in self.arms for seed in self.settings.seeds}
        longer = sorted({(r["arm"], r["seed"]) for r in saved.records if (r["arm"], r["seed"]) in mine
                         and r["epoch"] > self.settings.epochs})
        if longer:
            runs = ", ".join(f"{arm} seed {seed}" for arm, seed in longer)
            raise ValueError(
                f"the results folder {out_dir} holds more than {self.settings.epochs} epochs of {runs} "
                f"({saved.settings['epochs']} planned there): run with --epochs {saved.settings['epochs']} "
                "to resume it, or use another folder"
            )
        Results(self.arms, self.results_settings()).keep_saved(saved)  # raises, naming a conflict
        return saved

    def run_all(self):
        """Train every run of the call, in the folder (when out_dir is given) or in memory; the Results."""
        out_dir, seeds = self.settings.out_dir, self.settings.seeds
        saved = self.saved_results()
        if out_dir is not None:
            folders = {out_dir: ("results.json", "results.csv"),
                       os.path.join(out_dir, store.CHECKPOINTS): {store.checkpoint_name(a.name, s)
                                                                 for a in self.arms for s in seeds}}
            for folder, targets in folders.items():
                store.remove_partial_files(folder, targets)
            if self.settings.restart:  # this call's runs start afresh; the folder's other arms and seeds stay
                for path in filter(os.path.exists, [self.checkpoint_path(a, s) for a in self.arms for s in seeds]):
                    os.remove(path)
        # Results written to a folder carry the fingerprint that tells later code whether they are stale; runs
        # kept in memory only (a notebook's live slice) are judged by the code that holds them and skip it.
        if out_dir is not None:
            fingerprint = provenance.fingerprint(
                self.arms, self.source, self.settings.batch_size, seeds, self.settings.augment
            )
        else:
            fingerprint = {"initial_weights": {}}
        results = Results(self.arms, self.results_settings(), provenance=[self.invocation], fingerprint=fingerprint)
        saved_records, saved_runs = {}, {}
        if saved is not None:
            results.keep_saved(saved)
            for record in saved.records:
                saved_records.setdefault((record["arm"], record["seed"]), []).append(record)
            saved_runs = {(run["arm"], run["seed"]): run for run in saved.runs}
        for seed in seeds:
            initial = initial_weights(seed, self.settings.mixed_precision, self.strategy)
            results.fingerprint["initial_weights"][str(seed)] = provenance.digest(initial)
            for arm in self.arms:
                key = (arm.name, seed)
                self.run(arm, seed, initial, results, saved_records.get(key, []), saved_runs.get(key))
        self.clock_in()
        if out_dir is not None:
            results.save(out_dir)
        return results

    def clock_in(self):
        """Record in this invocation's provenance the time it finished so far."""
        self.invocation.update(finished=provenance.now(), wall_time_s=round(time.monotonic() - self.clock, 1))

    def compiled_model(self, arm):
        with self.strategy.scope():
            model = build_model(self.settings.mixed_precision)
            optimizer = arm.make_optimizer()
            if self.settings.mixed_precision:
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.optimizer.build(model.trainable_variables)
        return model

    def resume(self, arm, seed, model, run, path):
        """(records, run_info) of the run's checkpoint, its values assigned to ``model``; a checkpoint of other
        settings raises a ValueError naming what differs."""
        meta, model_values, optimizer_values = store.load_checkpoint(path)
        saved_run = dict(meta["run"], arm=Arm(**meta["run"]["arm"]).config())  # fields added since: defaults
        saved_run["experiment"] = dict(saved_run["experiment"], data=_without_place(saved_run["experiment"]["data"]))
        changed = _differences(saved_run, json.loads(json.dumps(run)))
        if changed:
            raise ValueError(
                f"{path} holds a run with other settings ({'; '.join(changed)}); "
                "use another out_dir, or restart=True (--restart) to discard it"
            )
        if len(meta["records"]) > self.settings.epochs:
            raise ValueError(
                f"{path} holds {len(meta['records'])} epochs of {arm.name} seed {seed}, more than the "
                f"{self.settings.epochs} asked for: run with --epochs {len(meta['records'])} or more"
            )
        _assign(model.variables, model_values, path)
        _assign(model.optimizer.variables, optimizer_values, path)
        return meta["records"], meta["run_info"]

    def run(self, arm, seed, initial, results, done, saved_run):
        """Train one arm from ``initial`` (or from its checkpoint) up to ``epochs``, adding to ``results``;
        ``done`` and ``saved_run`` are what the folder's results hold of it."""
        epochs, out_dir = self.settings.epochs, self.settings.out_dir
        model = self.compiled_model(arm)
        _assign(model.variables, initial, f"{arm.name} seed {seed}")
        run = {"arm": arm.config(), "seed": seed, "experiment": self.signature}
        run_info = {
            "arm": arm.name, "seed": seed, "initial_weights": provenance.digest([v.numpy() for v in model.variables]),
            "cpu": provenance.cpu(),  # a folder's runs may come from several machines (sessions)
        }
        path = self.checkpoint_path(arm, seed) if out_dir is not None else None
        records = []
        if path and os.path.exists(path):
            records, run_info = self.resume(arm, seed, model, run, path)
        elif len(done) >= epochs:  # complete in the folder's results (e.g. committed without checkpoints)
            records, run_info = done, saved_run or run_info
        key = (arm.name, seed)
        results.runs = [r for r in results.runs if (r["arm"], r["seed"]) != key] + [run_info]
        results.records = [r for r in results.records if (r["arm"], r["seed"]) != key] + list(records)
        if len(records) >= epochs:
            return
        bar = None
        if self.settings.progress:
            bar = ProgressBar(f"{arm.name} seed {seed}", epochs, self.steps_per_epoch, sys.stdout)
            if records:
                bar.end_epoch(records[-1])
        for epoch in range(len(records) + 1, epochs + 1):
            record = self.train_epoch(model, arm, seed, epoch, bar)
            records.append(record)
            results.records.append(record)
            if path:
                optimizer_values = [v.numpy() for v in model.optimizer.variables]
                meta = {"run": run, "run_info": run_info, "records": records}
                store.save_checkpoint(path, [v.numpy() for v in model.variables], optimizer_values, meta)
                self.clock_in()
                results.save(out_dir)
            if bar:
                bar.end_epoch(record)
            if self.on_epoch_end:
                self.on_epoch_end(record)
        if bar:
            bar.close()

    def train_epoch(self, model, arm, seed, epoch, bar):
        """One epoch in the order NumPy's generator seeded by (seed, epoch) draws, then validation; its record."""
        order = pipeline.epoch_order(seed, epoch, self.n_train)
        start = time.perf_counter()
        x = self.x_all
        if self.settings.augment:
            with tf.device("/cpu:0"):
                x = tf.constant(pipeline.augment(self.x_train, seed, epoch))
        batches = pipeline.batches(x, self.y_all, order, self.settings.batch_size)
        history = model.fit(batches, epochs=1, shuffle=False, verbose=0, callbacks=[bar] if bar else [])
        train_time = time.perf_counter() - start
        start = time.perf_counter()
        test = model.evaluate(self.test_set, verbose=0, return_dict=True)
        validation = test
        if self.validation_set is not None:
            validation = model.evaluate(self.validation_set, verbose=0, return_dict=True)
        eval_time = time.perf_counter() - start
        step = epoch * self.steps_per_epoch
        return schema.mark_diverged({
            "arm": arm.name,
            "seed": seed,
            "epoch": epoch,
            "step": step,
            "train_loss": float(history.history["loss"][0]),
            "train_accuracy": float(history.history["accuracy"][0]),
            "val_loss": float(validation["loss"]),
            "val_accuracy": float(validation["accuracy"]),
            "test_loss": float(test["loss"]),
            "test_accuracy": float(test["accuracy"]),
            "learning_rate": float(arm.lr_at(step)),
            "train_time_s": train_time,
            "eval_time_s": eval_time,
            "images_per_second": self.n_train / train_time,
        })


def run_experiment(arms, epochs, seeds=(0,), *, data=None, on_epoch_end=None, **options):
    """Train the blog's CNN with each arm (an Arm or a name in NAMED_ARMS) for each seed; returns Results.

    For a seed, every arm starts from the same weights (built once after ``keras.utils.set_random_seed(seed)``,
    dropout seed states included) and sees the same batches (epoch e shuffles with NumPy's generator seeded by
    (seed, e)). Each epoch records training loss and accuracy (dropout on), validation loss and accuracy (on
    the held-out training images with ``validation_images``, else on the test set), test loss and accuracy,
    lr_t at the epoch's last step, times and images/s. Images are scaled to [0, 1] floats in the tf.data
    pipeline; the model sees nothing else.

    Args:
        data: ``((x_train, y_train), (x_test, y_test))`` as load_cifar10 returns it; by default loaded from
            ``data_dir``.
        on_epoch_end: called with each new record once it has been saved.
        options: the other fields of ``RunSettings``, below.

    The options:

    - data_dir: the folder of the batch files (see :func:`radam.cifar10.load_cifar10`);
    - train_limit, test_limit: use only the first that many training / test images;
    - batch_size (default 64);
    - validation_images: hold out that many training images (``radam.cifar10.pipeline.split``, the same
      for every seed) to validate on; 0 (the default) validates on the test set;
    - augment: mirror and shift each training image anew every epoch (``radam.cifar10.pipeline.augment``,
      the same for every arm of a seed);
    - out_dir: after every epoch, a checkpoint per run (out_dir/checkpoints) and results.json /
      results.csv are written atomically; calling again with the same out_dir resumes each run after its
      last completed epoch and gives the same numbers as an uninterrupted run;
    - restart: discard this call's saved runs (arms x seeds) first; the folder's other runs stay;
    - progress: a progress line per run (default True);
    - mixed_precision: float16 compute with loss scaling (for GPUs);
    - distribute: tf.distribute.MirroredStrategy over all GPUs (batch_size is the global batch);
    - deterministic: tf.config.experimental.enable_op_determinism;
    - scale_schedules: run each arm as ``arm.scaled(steps_per_epoch)``: the blog's schedule lasts as many
      epochs as on the full data;
    - command: the command line recorded in the provenance (default: this process's arguments).

    The settings are checked, the data read and the folder's results checked against this call before anything
    is written: a refusal (a ValueError) leaves the folder as it was. With ``out_dir``, the folder is locked while
    the call runs (a second runner on it raises FolderInUse), the temporary files that a killed write of this
    runner left are removed (no other file), and runs of other arms or seeds already saved in the folder are
    kept in its results. A folder's runs longer than ``epochs`` are refused, never cut. The results carry the
    provenance of every invocation (command, commit, versions, machine, times) and the fingerprint of what
    determines the numbers.
    """
    settings = RunSettings(arms, epochs, seeds, **options)
    if settings.out_dir is not None:
        store.check_unlocked(settings.out_dir)  # before the data are read
    experiment = _Experiment(settings, data, on_epoch_end)
    if settings.out_dir is None:
        return experiment.run_all()
    experiment.saved_results()  # every refusal before the folder is touched
    os.makedirs(os.path.join(settings.out_dir, store.CHECKPOINTS), exist_ok=True)
    with store.lock(settings.out_dir):
        return experiment.run_all()  # reads the folder again, under the lock
