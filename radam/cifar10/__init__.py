"""The blog's CIFAR-10 experiment: data loading, the 3-block CNN, optimizer arms, a resumable runner and a CLI.

The blog post ("Rectified ADAM Optimizer", Venkat Rajgopal, 2019) trained the CNN of :func:`build_model` with
Adam(1e-3) and with keras-radam's ``RAdam(total_steps=5000, warmup_proportion=0.1, min_lr=1e-5)``, batch 64,
the test set as validation. That RAdam reaches min_lr at step 5,000, so the arms here separate the optimizer
from the schedule (``adam``, ``adam-blog``, ``adam-warmup``, ``radam``, ``radam-blog``)::

    python -m radam.cifar10 --arms adam radam-blog radam adam-warmup --epochs 30 --seeds 0 1 2 --out DIR

Every arm of a seed starts from the same weights and sees the same batches; results are written after every
epoch (``DIR/results.json`` and ``DIR/results.csv``) and a rerun of the same command resumes where it stopped.

One idea per module: ``data`` (finding the batch files) and ``unpickle`` (reading them safely), ``model`` (the
CNN and each seed's initial weights), ``arms`` (optimizer arms), ``results`` (records, results files, summary
table), ``schema`` (what a results.json must hold, checked on reading), ``store`` (a results folder on disk:
lock, atomic writes, checkpoints), ``pipeline`` (the validation split, augmentation, batch order and tf.data
batches), ``progress`` (the progress line), ``settings`` (a call's settings and arrays), ``runner`` (the
resumable training loop), ``provenance`` (what made a results folder, and the fingerprint of what determines
its numbers), ``analysis`` (comparisons, sweeps), ``stats`` (paired intervals over seeds), ``design`` (where
warmups end), ``questions`` (chapter 8's comparisons), ``figures``, ``full_run`` (chapter 8's full experiment,
safe to start in Colab) and ``__main__`` (the command line, also ``radam.cifar10.main``). The names below are
imported at first use: all but ``model``, ``progress``, ``runner``, ``full_run``, ``live_slice`` and
``__main__`` need NumPy (and Matplotlib) only; the modules that train import Keras.
"""

import importlib

_HOMES = {
    "Arm": "arms",
    "NAMED_ARMS": "arms",
    "get_arm": "arms",
    "parse_arm": "arms",
    "CIFAR10FileError": "data",
    "CIFAR10_SHA256": "data",
    "CIFAR10_URL": "data",
    "CLASS_NAMES": "data",
    "DOWNLOAD_TIMEOUT_S": "data",
    "DataInfo": "data",
    "TEST_FILE": "data",
    "TRAIN_FILES": "data",
    "load_cifar10": "data",
    "build_model": "model",
    "RECORD_FIELDS": "results",
    "Results": "results",
    "ResultsError": "schema",
    "format_summary": "results",
    "load_book_results": "results",
    "summary_table": "results",
    "FolderInUse": "store",
    "RunSettings": "settings",
    "run_experiment": "runner",
    "main": "__main__",
}
"""Where each public name lives: imported at first use, so that reading results needs NumPy only."""
_MODULES = (
    "analysis", "arms", "data", "design", "figures", "full_run", "live_check", "live_slice", "model", "pipeline",
    "progress", "provenance", "questions", "results", "runner", "schema", "settings", "stats", "store", "unpickle",
)

__all__ = sorted(_HOMES)


def __getattr__(name):
    # Lazily: ``radam.cifar10.results`` and ``analysis`` import without TensorFlow, and ``python -m radam.cifar10``
    # does not find its __main__ already imported (runpy warns about that).
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOMES) | set(_MODULES))
