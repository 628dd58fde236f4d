"""Chapter 8's ``FULL_RUN``: the six arms on all of CIFAR-10, made safe to start in Colab.

The full experiment follows the reference run's design on all the data: 5,000 of the 50,000 training images
held out for validation, the rest augmented, and 6 arms x 5 seeds x 30 epochs of 45,000 images: hours on a
GPU, more than a day on a 2-core CPU. So :func:`check_device` refuses to start it without a GPU unless asked to (with an estimate of
the CPU time), :func:`folders` keeps the runs and the CIFAR-10 archive on Google Drive when asked, and
:class:`Progress` prints, after every epoch, how much is done and how long the rest will take.
"""

import math
import os

from radam.cifar10 import schema

FULL_ARMS = ("adam", "adam-warmup", "radam", "radam-blog", "adam-blog", "sgd")
FULL_SEEDS = (0, 1, 2, 3, 4)
FULL_EPOCHS = 30
TRAIN_IMAGES = 50_000
VALIDATION_IMAGES = 5_000
"""How many training images the full run holds out to validate on, as the reference run holds out 1,000 of
its 5,482. The verdicts and every choice are made on them; the test images give the final numbers."""
BATCH_SIZE = 64
"""The blog's batch size, as in the reference run."""


def steps_per_epoch():
    """Optimizer steps per epoch of the full run: its trained images (all but the validation images) in
    batches of :data:`BATCH_SIZE`."""
    return math.ceil((TRAIN_IMAGES - VALIDATION_IMAGES) / BATCH_SIZE)


def epochs_in_all(arms=FULL_ARMS, seeds=FULL_SEEDS, epochs=FULL_EPOCHS):
    """How many epochs the experiment trains: arms x seeds x epochs."""
    return len(arms) * len(seeds) * epochs


def check_device(gpus, allow_cpu, images_per_second):
    """Raise RuntimeError, with an estimate, when there is no GPU and ``allow_cpu`` is false.

    ``images_per_second`` is a CPU's training rate (chapter 8 takes the reference run's); the estimate is
    the full experiment's trained images divided by it.
    """
    if not isinstance(allow_cpu, bool):
        raise ValueError(f"allow_cpu must be True or False, got {allow_cpu!r}")
    if gpus or allow_cpu:
        return
    if not images_per_second > 0:
        raise ValueError(f"images_per_second must be positive, got {images_per_second!r}")
    trained = TRAIN_IMAGES - VALIDATION_IMAGES
    hours = epochs_in_all() * trained / images_per_second / 3600
    raise RuntimeError(
        f"FULL_RUN found no GPU. On this CPU the full experiment ({len(FULL_ARMS)} arms x {len(FULL_SEEDS)} "
        f"seeds x {FULL_EPOCHS} epochs x {trained:,} images, at about {images_per_second:.0f} images/s) "
        f"would take about {hours:.0f} hours. Choose a GPU runtime (Runtime > Change runtime type > T4 GPU) "
        "and run the page again, or set ALLOW_CPU = True to train on the CPU anyway."
    )


def folders(save_to_drive, drive_root="/content/drive/MyDrive/radam-book", home=None):
    """(results folder, Keras cache folder or None) for the full run.

    With ``save_to_drive`` (after mounting Drive) both live under ``drive_root``: the runs resume there after
    a disconnection, and Keras keeps the CIFAR-10 archive there (``KERAS_HOME``) instead of downloading its
    163 MB again. Otherwise the runs go to ~/radam-book and Keras keeps its default cache (None).
    """
    if save_to_drive:
        return os.path.join(drive_root, "cifar10-full"), os.path.join(drive_root, "keras")
    return os.path.join(home or os.path.expanduser("~"), "radam-book", "cifar10-full"), None


def _epochs_saved(out_dir):
    """How many epochs out_dir's results hold (0 where it has none yet); a damaged folder raises ResultsError."""
    try:
        return len(schema.read(out_dir)["records"])
    except FileNotFoundError:
        return 0


class Progress:
    """An ``on_epoch_end`` callback that prints one line per epoch: how many of the experiment's epochs are
    done and, from the epochs timed so far, how long the rest will take. Epochs already saved in ``out_dir``
    (a resumed run) count as done."""

    def __init__(self, total_epochs, out_dir=None, write=print):
        if isinstance(total_epochs, bool) or not isinstance(total_epochs, int) or total_epochs < 1:
            raise ValueError(f"total_epochs must be a whole number >= 1, got {total_epochs!r}")
        self.total, self.done = total_epochs, _epochs_saved(out_dir) if out_dir else 0
        self.seconds, self.write = [], write

    def __call__(self, record):
        self.done += 1
        self.seconds.append(record["train_time_s"] + record["eval_time_s"])
        left = max(self.total - self.done, 0) * sum(self.seconds) / len(self.seconds) / 3600
        line = f"{record['arm']} seed {record['seed']} epoch {record['epoch']}: "
        if self.done > self.total:  # the folder holds more than this experiment plans (other runs too)
            line += f"{self.done} epochs in the folder, more than the {self.total} of the experiment"
        else:
            line += (
                f"{self.done}/{self.total} epochs of the experiment done ({self.done / self.total:.0%}), "
                f"about {left:.1f} hours left"
            )
        if len(self.seconds) == 1:
            line += f" (the first epoch here took {self.seconds[0]:.0f} s; the runs resume after an interruption)"
        self.write(line)
