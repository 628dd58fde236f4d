"""The blog's CIFAR-10 experiment: data loading, the 3-block CNN, optimizer arms, a resumable runner and a CLI.

The blog post ("Rectified ADAM Optimizer", Venkat Rajgopal, 2019) trained the CNN of :func:`build_model` with
Adam(1e-3) and with keras-radam's ``RAdam(total_steps=5000, warmup_proportion=0.1, min_lr=1e-5)``, batch 64,
the test set as validation. That RAdam reaches min_lr at step 5,000, so the arms here separate the optimizer
from the schedule (``adam``, ``adam-blog``, ``adam-warmup``, ``radam``, ``radam-blog``)::

    python -m radam.cifar10 --arms adam radam-blog radam adam-warmup --epochs 30 --seeds 0 1 2 --out DIR

Every arm of a seed starts from the same weights and sees the same batches; results are written after every
epoch (``DIR/results.json`` and ``DIR/results.csv``) and a rerun of the same command resumes where it stopped.

One idea per module: ``data`` (finding and safely reading the batch files), ``model`` (the CNN), ``arms``
(optimizer arms), ``results`` (records, results files, summary table), ``runner`` (the resumable training
loop), ``provenance`` (what made a results folder, and the fingerprint of what determines its numbers),
``analysis`` (comparisons against the seed spread), ``figures``, ``full_run`` (chapter 8's full experiment,
safe to start in Colab) and ``__main__`` (the command line, also ``radam.cifar10.main``).
"""

from radam.cifar10.arms import NAMED_ARMS, Arm, get_arm, parse_arm
from radam.cifar10.data import (
    CIFAR10_SHA256,
    CIFAR10_URL,
    CLASS_NAMES,
    DOWNLOAD_TIMEOUT_S,
    TEST_FILE,
    TRAIN_FILES,
    CIFAR10FileError,
    DataInfo,
    load_cifar10,
)
from radam.cifar10.model import build_model
from radam.cifar10.results import RECORD_FIELDS, Results, format_summary, load_book_results, summary_table
from radam.cifar10.runner import _digest, run_experiment
from radam.keras import RAdam, WarmupThenLinearDecay

__all__ = [
    "Arm",
    "CIFAR10FileError",
    "CIFAR10_SHA256",
    "CIFAR10_URL",
    "CLASS_NAMES",
    "DOWNLOAD_TIMEOUT_S",
    "DataInfo",
    "NAMED_ARMS",
    "RECORD_FIELDS",
    "Results",
    "TEST_FILE",
    "TRAIN_FILES",
    "build_model",
    "format_summary",
    "get_arm",
    "load_book_results",
    "load_cifar10",
    "main",
    "parse_arm",
    "run_experiment",
    "summary_table",
]


def __getattr__(name):
    # main lives in __main__.py; importing it lazily keeps ``python -m radam.cifar10`` from finding the module
    # already imported (runpy warns about that) while ``from radam.cifar10 import main`` still works.
    if name == "main":
        from radam.cifar10.__main__ import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
