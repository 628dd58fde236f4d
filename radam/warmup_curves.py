"""Chapter 5's learning-rate / warmup dashboard, trained once and committed, and the slice that re-checks it.

The dashboard (:func:`radam.widgets.chapters_5_7.warmup_dashboard`) shows chapter 5's network trained with Adam
at every learning rate of ``LEARNING_RATES`` and every linear-warmup length of ``WARMUPS``, seeds 0-2,
300 steps: 108 runs, half a minute on two CPU cores, the longest cell of a chapter that runs at every build.
``python -m radam.warmup_curves --out book/results/warmup-evidence`` trains them once (:func:`run`) and writes
their curves, the dead fraction and the accuracy on all images every :data:`EVERY` steps, to :data:`FILE`, in
the format of :mod:`radam.warmup_results` (strict JSON: the settings with a digest of the data, one record per
run, the provenance of the command).

Chapter 5 reads them (:func:`book_curves`), draws the dashboard from them, and retrains a **slice**
(:func:`live_check`): seed ``radam.warmup_results.SLICE_SEED`` of the runs in :data:`SLICE` (no warmup and
the untuned 200-step warmup at lr = 0.03), judged by the rule of :func:`radam.warmup_results.live_check`: every
point of both curves equal to the committed one on the machine that made the file; elsewhere the points the
chapter reads within the committed seeds' range widened by :data:`radam.cifar10.live_check.WIDEN` standard
deviations.
"""

import argparse
import dataclasses
import itertools
import math
import os
import sys
import time

from radam import mlp, schedules, warmup_evidence, warmup_results
from radam.cifar10.live_check import band
from radam.cifar10.provenance import now
from radam.numpy import Adam

FILE = "warmup-dashboard.json"
"""The file the dashboard's runs are in (in the folder of :data:`radam.warmup_results.FILE`)."""
LEARNING_RATES = (0.003, 0.01, 0.015, 0.02, 0.03, 0.1)
"""The dashboard's learning rates."""
WARMUPS = (0, 10, 20, 50, 100, 200)
"""The dashboard's linear-warmup lengths in steps (0 for none)."""
SEEDS = (0, 1, 2)
"""The seeds of every cell of the grid."""
STEPS = 300
"""The steps of every run."""
EVERY = 20
"""The steps between the points of a curve."""
BATCH_SIZE = 64
"""The batch size of every run."""
SLICE = ((0.03, 0), (0.03, 200))
"""(learning rate, warmup steps) of the runs that :func:`live_check` retrains."""
NUMBER_SOURCES = ("radam/mlp.py", "radam/warmup_curves.py", "radam/warmup_evidence.py", "radam/numpy.py",
                  "radam/schedules.py", "radam/theory.py", "radam/_validate.py")
"""The package files whose code determines the curves (the provenance's ``uncommitted_changes`` looks at these)."""


@dataclasses.dataclass(frozen=True)
class Curves:
    """A dashboard run: Adam (beta_2 = 0.99, chapter 5's) at ``learning_rate`` with a linear warmup over
    ``warmup_steps`` (0: none), batches of :data:`BATCH_SIZE`; the dead fraction and the accuracy on all
    images at ``steps`` (0, every :data:`EVERY` steps, and the last)."""

    learning_rate: float
    warmup_steps: int
    seed: int
    steps: tuple
    dead: tuple
    accuracy: tuple


def recorded_steps(steps):
    """The steps at which a run of ``steps`` steps records its curves: 0, every :data:`EVERY`, and the last."""
    return sorted({*range(0, steps + 1, EVERY), steps})


def run(data, learning_rate, warmup_steps, seed, steps=STEPS):
    """Train chapter 5's network once for the dashboard: its :class:`Curves`."""
    optimizer = Adam(schedules.linear_warmup(learning_rate, warmup_steps), beta_2=warmup_evidence.BETA_2)
    trained = mlp.train(optimizer, data, seed=seed, steps=steps, batch_size=BATCH_SIZE,
                        record_at=recorded_steps(steps))
    return Curves(float(learning_rate), int(warmup_steps), int(seed), tuple(map(int, trained.steps)),
                  tuple(map(float, trained.dead)), tuple(map(float, trained.accuracy)))


def compute(data, learning_rates=LEARNING_RATES, warmups=WARMUPS, seeds=SEEDS, steps=STEPS):
    """Train the dashboard's grid: (settings, one :class:`Curves` per learning rate, warmup length and seed)."""
    settings = {"learning_rates": list(learning_rates), "warmups": list(warmups), "seeds": list(seeds),
                "steps": steps, "every": EVERY, "batch_size": BATCH_SIZE, "beta_2": warmup_evidence.BETA_2,
                "data": warmup_results.data_settings(data)}
    return settings, [run(data, lr, w, seed, steps) for lr in learning_rates for w in warmups for seed in seeds]


def save(folder, settings, runs, provenance):
    """Write :data:`FILE` in ``folder`` (created if missing), as :func:`radam.warmup_results.save` does."""
    return warmup_results.save(folder, settings, runs, provenance, FILE)


def load(folder):
    """The committed runs in ``folder`` (:class:`radam.warmup_results.Committed` of :class:`Curves`); ValueError
    naming the file and what is wrong with it."""
    return warmup_results.read(folder, FILE, _curves)


def _fraction(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and 0 <= value <= 1


def _curves(records, settings):
    if (settings["every"], settings["batch_size"]) != (EVERY, BATCH_SIZE):
        raise ValueError(f"settings must have every {EVERY} and batch_size {BATCH_SIZE}, got "
                         f"{settings['every']!r} and {settings['batch_size']!r}")
    steps = recorded_steps(settings["steps"])
    runs = []
    for i, record in enumerate(records):
        if set(record) != {field.name for field in dataclasses.fields(Curves)}:
            raise ValueError(f"records[{i}] must have the fields of Curves, got {sorted(record)}")
        if record["steps"] != steps:
            raise ValueError(f"records[{i}].steps must be {steps} (the settings' steps), got {record['steps']!r}")
        for field in ("dead", "accuracy"):
            if not isinstance(record[field], list) or len(record[field]) != len(steps) or not all(
                    map(_fraction, record[field])):
                raise ValueError(f"records[{i}].{field} must be a list of {len(steps)} numbers in [0, 1]")
        runs.append(Curves(**{**record, **{key: tuple(record[key]) for key in ("steps", "dead", "accuracy")}}))
    expected = sorted(itertools.product(settings["learning_rates"], settings["warmups"], settings["seeds"]))
    if sorted((r.learning_rate, r.warmup_steps, r.seed) for r in runs) != expected:
        raise ValueError("records must hold one run per learning rate, warmup and seed of the settings")
    return runs


def book_curves(data, folder=warmup_results.BOOK_FOLDER):
    """The dashboard's committed runs in ``folder``; where the folder is missing (a chapter opened alone, as in
    Colab), the grid trained here and now (about half a minute)."""
    if os.path.isdir(folder):
        return load(folder)
    return warmup_results.computed_here(f"{folder} is not here: training the dashboard's runs now (about half a "
                                        "minute) ...", lambda: compute(data), "book_curves", NUMBER_SOURCES)


def live_check(committed, data, runs=SLICE):
    """Retrain seed ``radam.warmup_results.SLICE_SEED`` of ``runs`` ((learning rate, warmup steps) pairs) on
    ``data`` and compare its curves with the committed runs: a :class:`radam.warmup_results.LiveCheck`.

    On the machine that made the file every point is compared (and must be equal). Elsewhere only the points the
    chapter reads are: the dead fraction at step :data:`EVERY` and both curves' last point. In between, the
    accuracy of a run dips and recovers at moments that the rounding moves, as it moves them from seed to seed:
    with the initial weights perturbed by one part in a million, some point of the two runs left the three seeds'
    band in 3 of 12 tries (the accuracy at step 240 up to 0.14 below the committed one), the points judged here in
    none."""
    settings, seed = committed.settings, warmup_results.SLICE_SEED
    warmup_results.check_data(settings, data)
    here = warmup_results.made_here(committed.provenance)
    comparisons = []
    for lr, warmup in runs:
        seeds = [r for r in committed.results if (r.learning_rate, r.warmup_steps) == (lr, warmup)]
        same = [r for r in seeds if r.seed == seed]
        if not same:
            raise ValueError(f"runs must be (learning rate, warmup steps) of the results, got {(lr, warmup)!r}")
        live = run(data, lr, warmup, seed, settings["steps"])
        last = len(live.steps) - 1
        for field, i in itertools.product(("dead", "accuracy"), range(len(live.steps))):
            if not (here or i == last or (field, i) == ("dead", 1)):
                continue
            low, high = band([getattr(r, field)[i] for r in seeds])
            comparisons.append(warmup_results.Comparison(
                f"lr = {lr:g}, warmup {warmup}", BATCH_SIZE, f"{field} at step {live.steps[i]}",
                getattr(live, field)[i], getattr(same[0], field)[i], low, high))
    return warmup_results.LiveCheck(tuple(comparisons), here)


def main(argv=None):
    """``python -m radam.warmup_curves --out DIR``: train the dashboard's runs and write DIR/warmup-dashboard.json."""
    parser = argparse.ArgumentParser(prog="python -m radam.warmup_curves", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the results folder (book/results/warmup-evidence)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS), help="seeds (default: 0 1 2)")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"steps per run (default: {STEPS})")
    args = parser.parse_args(argv)
    if args.steps < 1 or len(args.seeds) < 2 or warmup_results.SLICE_SEED not in args.seeds:
        parser.error(f"--steps must be >= 1 and --seeds must hold {warmup_results.SLICE_SEED} and one more (the "
                     f"live slice's runs and spread), got --steps {args.steps} --seeds {args.seeds}")
    command = warmup_results.command_line("python -m radam.warmup_curves", argv)
    started, clock = now(), time.perf_counter()
    settings, runs = compute(mlp.synthetic_images(seed=0), seeds=args.seeds, steps=args.steps)
    path = save(args.out, settings, runs, warmup_results.provenance(command, started, now(),
                                                                    time.perf_counter() - clock, NUMBER_SOURCES))
    print(f"wrote {len(runs)} runs to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
