"""The live check of committed results: is a short rerun (the *slice*) still what this code produces?

Chapter 8 reads long runs from committed results and retrains a slice of them at every build (the first epoch
of a few arms, one seed). The slice answers one question: "is this the code that made the results?", and must
answer it on any machine.

- On the machine that made the results, TensorFlow on the CPU repeats a run bit for bit: the slice equals the
  committed records exactly (case ``"identical"``).
- On another CPU family, or with another thread count or library build, TensorFlow sums in another order;
  rounding differences of 1e-7 grow over the slice's steps until the run lands somewhere else: for arms whose
  first steps are small, less far than another seed's run; plain Adam's first epoch moves about as far (the
  calibration measures how far). Exact comparisons then fail a healthy machine, so each rule allows a margin
  (case ``"within"``):

  - **its own seed** (:func:`judge_own_seed`, chapter 8's rule): each live loss must lie within
    :data:`TOLERANCE` of the committed loss of its own seed. It suits results trained with op determinism, where
    the slice is the same run as its seed up to rounding, and arms whose first epoch rounding moves little;
  - **the seeds' band** (:func:`judge`, the rule of the other chapters' slices): each live value must
    lie inside the committed seeds' range widened by :data:`WIDEN` standard deviations of the seeds on each
    side, which also admits a slice that lands on another seed's value.
- A real change of the code that makes the numbers (another learning rate, another network, other optimizer
  arithmetic) moves the slice beyond that margin (case ``"outside"``), and the build fails.

How often chapter 8's rule raises a false alarm, and which real changes it detects, is measured by
``python -m radam.cifar10.live_slice --calibrate`` (:mod:`radam.cifar10.live_slice`), committed in
``book/results/live-check`` and stated on chapter 8's page. This module needs NumPy only.
"""

import dataclasses
import json
import os

import numpy as np

SLICE_METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")
"""The values of an epoch's record that the check compares."""

WIDEN = 3.0
"""The band's half-width beyond the committed seeds' range, in standard deviations of those seeds (ddof=1)."""

TOLERANCE = 0.003
"""How far a live loss (cross-entropy, in nats) may lie from its own seed's committed loss, by chapter 8's rule.
Fixed (commit ab56423) after a pilot on the committing machine and before the committed calibration's records
were read: in the pilot, twelve rounding-level changes had moved RAdam's first-epoch training loss by at most
0.0003 and five real changes by at least 0.010; in a first, abandoned start of the calibration one thread had
moved its validation loss by 0.0009. With op determinism the calibration repeats those numbers; it moved
RAdam's validation loss by up to 0.0020."""
OWN_SEED_METRICS = ("train_loss", "val_loss")
"""The values chapter 8's rule judges, the losses, since rounding moves them continuously. An accuracy moves in
steps of one image (1/1,000 of the validation images), a larger step than the rule's margin."""

SUBSET_ROWS = (1102, 1017, 1017, 1329, 1017)
"""The rows of each training batch (data_batch_1..5) that the reference run used, rows 0..N-1 of each original
batch of 10,000 (the shared CIFAR-10 subset). With the full data set at hand, :func:`select_subset` takes the
same images, so the slice runs without a separate copy of the subset."""
SUBSET_TEST_ROWS = 1017
"""The rows of the test batch the reference run used, rows 0..1016."""
FULL_BATCH_ROWS = 10_000
"""Images in each original CIFAR-10 batch file."""


@dataclasses.dataclass(frozen=True)
class Check:
    """One live value against the committed seeds of its arm at its epoch."""

    arm: str
    seed: int
    epoch: int
    metric: str
    live: float
    committed: tuple  # the committed value of every seed of the arm at this epoch
    same_seed: float  # the committed value of the live run's own seed
    low: float
    high: float

    @property
    def inside(self):
        return bool(self.low <= self.live <= self.high)

    @property
    def identical(self):
        return self.live == self.same_seed


def band(values, widen=WIDEN):
    """(low, high): the range of ``values`` widened by ``widen`` standard deviations (ddof=1) on each side.

    Raises ValueError for fewer than two values (no spread to judge by) or a non-finite value.
    """
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        raise ValueError(f"values must hold at least two seeds to give a spread, got {values.size}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"values must be finite, got {values.tolist()}")
    if not (np.isfinite(widen) and widen >= 0):
        raise ValueError(f"widen must be a finite number >= 0, got {widen!r}")
    spread = widen * values.std(ddof=1)
    return float(values.min() - spread), float(values.max() + spread)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`judge`: the case, every check, and the CPUs of the live and committed runs."""

    case: str
    checks: tuple
    live_cpu: str
    committed_cpus: tuple
    rule: str  # the margin each value is judged by, in words

    @property
    def outside(self):
        """The checks whose live value lies outside its band."""
        return [check for check in self.checks if not check.inside]

    @property
    def reach(self):
        """How far the farthest live value lies from the middle of its band, in half-widths of that band (below 1
        inside every band, above 1 outside one)."""
        return max(_reach(check) for check in self.checks)

    def sentence(self):
        """What the check saw, in one or two sentences for the page."""
        cpus = f"this machine: {self.live_cpu}; committed results: {', '.join(self.committed_cpus) or 'unknown'}"
        if self.case == "identical":
            return (
                f"The slice is bit-identical to the committed records ({cpus}): this machine repeats them "
                "exactly."
            )
        if self.case == "within":
            worst = max(self.checks, key=_reach)
            return (
                f"The slice is not bit-identical to the committed records, as expected when the floating-point "
                f"sums differ ({cpus}), and every value lies within {self.rule}; the closest to an edge is "
                f"{worst.arm}'s "
                f"{worst.metric}, {worst.live:.4f} in [{worst.low:.4f}, {worst.high:.4f}]."
            )
        listed = "; ".join(
            f"{c.arm} {c.metric} {c.live:.4f} outside [{c.low:.4f}, {c.high:.4f}] (seeds: "
            f"{', '.join(f'{v:.4f}' for v in c.committed)})"
            for c in self.outside
        )
        return (
            f"The slice lies outside {self.rule} ({cpus}): {listed}. The code no longer "
            "produces the committed results; regenerate them (book/results/README.md) or find the change."
        )

    def rows(self):
        """Table rows: arm, metric, live value, the seed's committed value, the band, inside or not."""
        return [
            [
                c.arm,
                c.metric,
                f"{c.live:.4f}",
                f"{c.same_seed:.4f}",
                f"{c.low:.4f} to {c.high:.4f}",
                "identical" if c.identical else ("yes" if c.inside else "**no**"),
            ]
            for c in self.checks
        ]


def _reach(check):
    """How far a live value lies from the middle of its band: 0 in the middle, 1 on an edge, > 1 outside."""
    middle, half = (check.low + check.high) / 2, (check.high - check.low) / 2
    if half == 0:  # every seed gave the same value: on it, or outside
        return 0.0 if check.live == middle else float("inf")
    return abs(check.live - middle) / half


def judge(reference, records, live_cpu, widen=WIDEN, metrics=SLICE_METRICS):
    """Judge live ``records`` (a short rerun's epoch records) against ``reference`` (the committed Results) by the
    seeds' band: "within" when every value lies in :func:`band` of the committed seeds' values.

    Every live record must have a committed record of the same arm, seed and epoch, and its arm at least two
    committed seeds at that epoch. The case is "identical" when every live value equals its seed's committed
    value exactly, "outside" when one lies outside its margin. ``live_cpu`` describes the machine that trained the
    records (:func:`radam.cifar10.provenance.cpu`).
    """
    rule = f"the committed seeds' spread (their range widened by {widen:g} standard deviations)"
    return _judged(reference, records, live_cpu, metrics, rule, lambda values, own: band(values, widen))


def judge_own_seed(reference, records, live_cpu, tolerance=TOLERANCE, metrics=OWN_SEED_METRICS):
    """Judge live ``records`` as :func:`judge` does, by chapter 8's rule: "within" when every value lies within
    ``tolerance`` of its own seed's committed value. Raises ValueError for a ``tolerance`` that is not a finite
    number >= 0."""
    if not (isinstance(tolerance, (int, float)) and np.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance!r}")
    rule = f"{tolerance:g} of its seed's committed value"
    return _judged(reference, records, live_cpu, metrics, rule, lambda values, own: (own - tolerance, own + tolerance))


def _judged(reference, records, live_cpu, metrics, rule, margin):
    if not records:
        raise ValueError("records must hold at least one live record to judge, got none")
    committed = {}
    for record in reference.records:
        committed.setdefault((record["arm"], record["epoch"]), {})[record["seed"]] = record
    checks = []
    for record in records:
        by_seed = committed.get((record["arm"], record["epoch"]), {})
        if record["seed"] not in by_seed:
            raise ValueError(
                f"the committed results hold no record of arm {record['arm']!r}, seed {record['seed']}, epoch "
                f"{record['epoch']} to compare the live slice with"
            )
        for metric in metrics:
            values = tuple(float(r[metric]) for _, r in sorted(by_seed.items()))
            own = float(by_seed[record["seed"]][metric])
            low, high = margin(values, own)
            checks.append(
                Check(record["arm"], record["seed"], record["epoch"], metric, float(record[metric]), values, own,
                      low, high)
            )
    if all(c.identical for c in checks):
        case = "identical"
    elif all(c.inside for c in checks):
        case = "within"
    else:
        case = "outside"
    cpus = tuple(dict.fromkeys(p.get("cpu") or "unknown" for p in reference.provenance))
    return Verdict(case, tuple(checks), live_cpu, cpus, rule)


def calibration(reference, measured, arms, tolerance=TOLERANCE):
    """Chapter 8's rule (:func:`judge_own_seed`) applied to a calibration (``live-check.json`` as a dict, from
    ``python -m radam.cifar10.live_slice --calibrate``), to the records of ``arms`` only (the slice's; the
    calibration trains others beside them): [(variant, kind, description, verdict)] for every slice in it."""
    return [
        (s["variant"], s["kind"], s["description"],
         judge_own_seed(reference, [r for r in s["records"] if r["arm"] in arms], measured["machine"], tolerance))
        for s in measured["slices"]
    ]


def select_subset(data):
    """The reference run's images out of CIFAR-10 data: the subset's own files pass through unchanged; the full
    data set (five batches of 10,000 training images, 10,000 test images) gives rows 0..N_k-1 of each batch
    (:data:`SUBSET_ROWS`) and of the test batch. Other data pass through unchanged (their digest will differ)."""
    (x_train, y_train), (x_test, y_test) = data
    if len(x_train) != len(SUBSET_ROWS) * FULL_BATCH_ROWS or len(x_test) != FULL_BATCH_ROWS:
        return data
    rows = np.concatenate([k * FULL_BATCH_ROWS + np.arange(n) for k, n in enumerate(SUBSET_ROWS)])
    return (x_train[rows], y_train[rows]), (x_test[:SUBSET_TEST_ROWS], y_test[:SUBSET_TEST_ROWS])


CALIBRATION = os.path.join("live-check", "live-check.json")
"""Where the book keeps the measured calibration of the rule, under its results folder."""


def load_calibration(folder="results"):
    """The book's committed calibration (``folder/live-check/live-check.json``) as a dict; where ``folder`` does not
    exist (a chapter opened alone, as in Colab), downloaded from the book's published results."""
    path = os.path.join(folder, CALIBRATION)
    if os.path.isdir(folder):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    import urllib.request

    from radam.cifar10.results import BOOK_RESULTS_URL

    url = f"{BOOK_RESULTS_URL}/{CALIBRATION.replace(os.sep, '/')}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return json.loads(response.read())
    except OSError as e:
        raise FileNotFoundError(f"the live check's calibration is neither in {path} nor reachable at {url} ({e})") from None
