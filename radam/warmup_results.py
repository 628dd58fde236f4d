"""Chapter 5's warmup experiment, run once and committed, and the live slice that re-checks it at every build.

:func:`radam.warmup_evidence.noise_and_magnitude` trains chapter 5's network 45 times for 300 steps, 15 of them
on all 2,048 images at every step: minutes on two CPU cores, too long for a page that runs at every build.
``python -m radam.warmup_results --out book/results/warmup-evidence`` runs it once and writes :data:`FILE`:
the settings (with a digest of the data), one record per run, and the provenance of the command (the command,
the git commit and whether the files that determine the numbers had uncommitted changes, the versions of radam,
NumPy and Python, the machine: CPU, NumPy and its BLAS, and the start, end and wall time).

Chapters 5 and 6 read it (:func:`book_results`) and retrain a **slice** of it (:func:`live_check`): seed 0 of
every arm, all the steps at the first batch size and the first :data:`SLICE_STEPS` steps at the others (the dead
fraction at step 10 and the first update; the full-batch runs are the expensive ones). The slice answers "is this
the code that made the results?" on any machine:

- on the machine that made them (the same CPU, NumPy and BLAS) training repeats bit for bit, and every live
  value must equal its committed one;
- another CPU or BLAS sums in another order and the rounding differences grow over the steps, so there each live
  value must lie within the committed seeds' range for its arm and batch size, widened by
  :data:`radam.cifar10.live_check.WIDEN` standard deviations of those seeds on each side (the seeds' band of
  :func:`radam.cifar10.live_check.judge`).

The file's format, its provenance and this rule are shared with chapter 5's committed dashboard runs
(:mod:`radam.warmup_curves`): :func:`read`, :func:`provenance`, :func:`check_data`, :func:`made_here` and
:func:`command_line` serve both.
"""

import argparse
import dataclasses
import hashlib
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time

import numpy as np

import radam
from radam import mlp, warmup_evidence
from radam.cifar10.live_check import band
from radam.cifar10.provenance import cpu, now

FILE = "warmup-evidence.json"
"""The file a results folder holds, not ``results.json`` (that name is the CIFAR-10 runner's)."""
SCHEMA_VERSION = 1
SLICE_SEED = 0
"""The seed of the runs the slice retrains."""
SLICE_STEPS = 10
"""The slice's steps at every batch size but the first (enough for the dead fraction at step 10)."""
FIELDS = ("dead_at_10", "accuracy", "first_update")
"""The measured fields of a :class:`radam.warmup_evidence.Result`."""
NUMBER_SOURCES = ("radam/mlp.py", "radam/warmup_evidence.py", "radam/numpy.py", "radam/schedules.py",
                  "radam/theory.py", "radam/_validate.py")
"""The package files whose code determines the numbers (``uncommitted_changes`` looks at these)."""
BOOK_FOLDER = os.path.join("results", "warmup-evidence")
"""The committed folder, relative to the book's folder (where a chapter runs)."""


def data_digest(data):
    """A 16-hex-digit SHA-256 of a :class:`radam.mlp.Dataset`: its inputs, labels and number of classes."""
    sha = hashlib.sha256()
    for array in (data.X, data.y, np.int64(data.classes)):
        sha.update(np.ascontiguousarray(array).tobytes())
    return sha.hexdigest()[:16]


def machine():
    """What decides the floats of a run: the CPU (name and widest vector extension), NumPy and its BLAS."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas['name']} {blas['version']}"
    except (TypeError, KeyError):  # NumPy before 1.26 prints its configuration only: the wheel's own BLAS
        blas = f"as built with NumPy {np.__version__}"
    return {"cpu": cpu(), "numpy": np.__version__, "blas": blas}


def _git(*args):
    folder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        done = subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def provenance(command, started, finished, wall_time_s, sources=NUMBER_SOURCES):
    """One invocation: command, commit, uncommitted changes of ``sources``, versions, machine, times."""
    status = _git("status", "--porcelain", "--", *sources)
    return {
        "command": command,
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": None if status is None else bool(status),
        "versions": {"radam": radam.__version__, "numpy": np.__version__, "python": platform.python_version()},
        "machine": machine(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "started": started,
        "finished": finished,
        "wall_time_s": round(wall_time_s, 1),
    }


@dataclasses.dataclass(frozen=True)
class Committed:
    """A results file: its settings, the runs (:class:`radam.warmup_evidence.Result`, or the dashboard's
    :class:`radam.warmup_curves.Curves`) and their provenance."""

    settings: dict
    results: list
    provenance: dict


def compute(data, batch_sizes=(64, 256, None), seeds=(0, 1, 2), steps=300):
    """Train the experiment's grid (every arm at every batch size and seed): (settings, results)."""
    settings = {"batch_sizes": list(batch_sizes), "arms": list(warmup_evidence.ARMS), "seeds": list(seeds),
                "steps": steps, "learning_rate": warmup_evidence.LR, "beta_2": warmup_evidence.BETA_2,
                "data": data_settings(data)}
    return settings, warmup_evidence.noise_and_magnitude(data, batch_sizes, seeds=seeds, steps=steps)


def data_settings(data):
    """What a results file records of its data: its size and :func:`data_digest`."""
    return {"samples": len(data.y), "pixels": data.X.shape[1], "classes": data.classes, "digest": data_digest(data)}


def save(folder, settings, results, provenance, file=FILE):
    """Write ``file`` in ``folder`` (created if missing) in strict JSON, replacing it in one step; the results are
    dataclasses (:class:`radam.warmup_evidence.Result`, :class:`radam.warmup_curves.Curves`)."""
    os.makedirs(folder, exist_ok=True)
    payload = {"schema_version": SCHEMA_VERSION, "settings": settings,
               "records": [dataclasses.asdict(r) for r in results], "provenance": provenance}
    path = os.path.join(folder, file)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(path + ".tmp", path)
    return path


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number strict JSON allows")


def load(folder):
    """The :class:`Committed` results in ``folder``; ValueError naming the file and what is wrong with it."""
    return read(folder, FILE, _results)


def read(folder, file, records):
    """``file`` in ``folder`` as :class:`Committed`, its runs made by ``records(records, settings)`` (which raises
    ValueError on a bad record); ValueError naming the file where it is not strict JSON of this schema."""
    path = os.path.join(folder, file)
    try:
        with open(path, encoding="utf-8") as f:
            payload = json.load(f, parse_constant=_refuse_constant)
        if payload.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"schema_version must be {SCHEMA_VERSION}, got {payload.get('schema_version')!r}")
        settings = payload["settings"]
        return Committed(settings, records(payload["records"], settings), payload["provenance"])
    except KeyError as error:
        raise ValueError(f"{path}: missing {error}") from None
    except (ValueError, TypeError) as error:
        raise ValueError(f"{path}: {error}") from None


def _results(records, settings):
    results = [_record(i, record, settings) for i, record in enumerate(records)]
    expected = sorted((str(a), str(b), s) for a in settings["arms"] for b in settings["batch_sizes"]
                      for s in settings["seeds"])
    if sorted((r.arm, str(r.batch_size), r.seed) for r in results) != expected:
        raise ValueError("records must hold one run per arm, batch size and seed of the settings")
    return results


def _record(i, record, settings):
    if set(record) != {field.name for field in dataclasses.fields(warmup_evidence.Result)}:
        raise ValueError(f"records[{i}] must have the fields of warmup_evidence.Result, got {sorted(record)}")
    for field in FIELDS:
        value = record[field]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise ValueError(f"records[{i}].{field} must be a finite number >= 0, got {value!r}")
    if record["dead_at_10"] > 1 or record["accuracy"] > 1:
        raise ValueError(f"records[{i}]: dead_at_10 and accuracy must lie in [0, 1]")
    if record["learning_rate"] != settings["learning_rate"]:
        raise ValueError(f"records[{i}].learning_rate must be the settings' {settings['learning_rate']}")
    return warmup_evidence.Result(**record)


def book_results(data, folder=BOOK_FOLDER):
    """The book's committed results in ``folder``; where the folder is missing (a chapter opened alone, as in
    Colab), the grid computed here and now, which takes minutes."""
    if os.path.isdir(folder):
        return load(folder)
    return computed_here(f"{folder} is not here: training the 45 runs now (a few minutes) ...", lambda: compute(data),
                         "book_results")


def computed_here(message, make, caller, sources=NUMBER_SOURCES):
    """Where a committed folder is missing: print ``message``, call ``make()`` for (settings, results) and
    return them as :class:`Committed` with the provenance "computed by ``caller``"."""
    print(message)
    started, clock = now(), time.perf_counter()
    settings, results = make()
    return Committed(settings, results, provenance(f"computed by {caller}", started, now(),
                                                   time.perf_counter() - clock, sources))


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One live value against the committed values of all seeds of its arm (or run) and batch size."""

    arm: str
    batch_size: object
    field: str
    live: float
    same_seed: float  # the committed value of the slice's seed
    low: float
    high: float

    @property
    def inside(self):
        return bool(self.low <= self.live <= self.high)

    @property
    def identical(self):
        return self.live == self.same_seed


@dataclasses.dataclass(frozen=True)
class LiveCheck:
    """The slice's comparisons; ``same_machine``: the results were made on this machine (exact values due)."""

    comparisons: tuple
    same_machine: bool

    @property
    def passed(self):
        return all(c.identical if self.same_machine else c.inside for c in self.comparisons)

    def summary(self):
        """What was compared, the verdict, and every value that failed it."""
        n, identical = len(self.comparisons), sum(c.identical for c in self.comparisons)
        inside = sum(c.inside for c in self.comparisons)
        if self.same_machine:
            text = (f"live slice on the machine that made the results: {identical} of {n} values identical "
                    "(all must be)")
        else:
            text = (f"live slice on another machine: {inside} of {n} values within the committed seeds' spread "
                    f"(all must be); {identical} identical")
        bad = [c for c in self.comparisons if not (c.identical if self.same_machine else c.inside)]
        return text + "".join(f"\n  {c.arm}, {warmup_evidence.batch_label(c.batch_size)}, {c.field}: "
                              f"live {c.live!r}, committed {c.same_seed!r}, band [{c.low:.4g}, {c.high:.4g}]"
                              for c in bad)


def live_check(committed, data, arms=None):
    """Retrain the slice of ``committed`` (seed ``SLICE_SEED`` of ``arms``, default all) on ``data`` and
    compare it with the committed runs: a :class:`LiveCheck`."""
    settings = committed.settings
    check_data(settings, data)
    arms = settings["arms"] if arms is None else list(arms)
    unknown = [arm for arm in arms if arm not in settings["arms"]]
    if unknown:
        raise ValueError(f"arms must be among the results' arms {settings['arms']}, got {unknown}")
    comparisons = []
    for i, batch_size in enumerate(settings["batch_sizes"]):
        steps = settings["steps"] if i == 0 else min(SLICE_STEPS, settings["steps"])
        fields = FIELDS if steps == settings["steps"] else ("dead_at_10", "first_update")
        for arm in arms:
            live = warmup_evidence.run(arm, data, batch_size, SLICE_SEED, steps=steps)
            runs = warmup_evidence.select(committed.results, arm=arm, batch_size=batch_size)
            same = warmup_evidence.select(runs, seed=SLICE_SEED)[0]
            for field in fields:
                low, high = band([getattr(r, field) for r in runs])
                comparisons.append(Comparison(arm, batch_size, field, getattr(live, field),
                                              getattr(same, field), low, high))
    return LiveCheck(tuple(comparisons), made_here(committed.provenance))


def check_data(settings, data):
    """ValueError unless ``data`` is the data that ``settings`` (of a results file) record, by digest."""
    if data_digest(data) != settings["data"]["digest"]:
        raise ValueError(f"data must be the data of the results (digest {settings['data']['digest']}), "
                         f"got digest {data_digest(data)}")


def made_here(provenance):
    """Whether the results of ``provenance`` were made on this machine (same CPU, NumPy and BLAS, all known)."""
    here = machine()
    return None not in here.values() and provenance.get("machine", {}) == here


def _batch_size(text):
    if text == "full":
        return None
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"a batch size must be a whole number >= 1 or 'full', got {text!r}")
    return value


def main(argv=None):
    """``python -m radam.warmup_results --out DIR``: train the grid and write DIR/warmup-evidence.json."""
    parser = argparse.ArgumentParser(prog="python -m radam.warmup_results", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the results folder (book/results/warmup-evidence)")
    parser.add_argument("--batch-sizes", nargs="+", type=_batch_size, default=[64, 256, None],
                        help="batch sizes, 'full' for the whole data set (default: 64 256 full)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="seeds (default: 0 1 2)")
    parser.add_argument("--steps", type=int, default=300, help="steps per run (default: 300)")
    args = parser.parse_args(argv)
    if args.steps < SLICE_STEPS or len(args.seeds) < 2 or SLICE_SEED not in args.seeds:
        parser.error(f"--steps must be >= {SLICE_STEPS} and --seeds must hold {SLICE_SEED} and one more "
                     f"(the live slice's runs and spread), got --steps {args.steps} --seeds {args.seeds}")
    command = command_line("python -m radam.warmup_results", argv)
    started, clock = now(), time.perf_counter()
    settings, results = compute(mlp.synthetic_images(seed=0), args.batch_sizes, args.seeds, args.steps)
    path = save(args.out, settings, results, provenance(command, started, now(), time.perf_counter() - clock))
    print(f"wrote {len(results)} runs to {path}")
    return 0


def command_line(program, argv=None):
    """``program`` and its arguments (``sys.argv[1:]`` for None) as provenance records them: the folder after
    ``--out`` replaced by DIR, so that the command does not depend on where it was run."""
    argv = sys.argv[1:] if argv is None else list(argv)
    shown = ["DIR" if i and argv[i - 1] == "--out" else "--out=DIR" if arg.startswith("--out=") else arg
             for i, arg in enumerate(argv)]
    return " ".join([program, *map(shlex.quote, shown)])


if __name__ == "__main__":
    sys.exit(main())
