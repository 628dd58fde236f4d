"""What a CIFAR-10 experiment produced: per-epoch records, saved atomically as results.json and results.csv, and
the summary table over seeds."""

import csv
import dataclasses
import io
import json
import math
import os
import re

import numpy as np

import radam
from radam.cifar10 import schema
from radam.cifar10.arms import Arm, book_order
from radam.cifar10.store import atomic_write


RECORD_FIELDS = (
    "arm",
    "seed",
    "epoch",
    "step",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "test_loss",
    "test_accuracy",
    "learning_rate",
    "train_time_s",
    "eval_time_s",
    "images_per_second",
    "diverged",
)
"""The columns of results.csv: one record per arm, seed and epoch. val_ is the validation split (the test set
in runs without one), test_ the test set; learning_rate is lr_t at the epoch's last step; images_per_second
counts training images over train_time_s; diverged says that a loss or accuracy was not finite (it is null
then; see ``radam.cifar10.schema``)."""


@dataclasses.dataclass
class Results:
    """What run_experiment produced: per-epoch records, the arms, the settings and each run's initial weights,
    with the provenance of every invocation that trained into the folder and the fingerprint of what determines
    the numbers (see :mod:`radam.cifar10.provenance`)."""

    arms: list
    settings: dict
    records: list = dataclasses.field(default_factory=list)
    runs: list = dataclasses.field(default_factory=list)
    provenance: list = dataclasses.field(default_factory=list)
    fingerprint: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        self.arms = book_order(self.arms)  # tables, figures and files list arms alike, whatever order they ran in

    @property
    def arm_names(self):
        return [arm.name for arm in self.arms]

    def curves(self, metric="val_accuracy", complete_only=False):
        """{arm: (epochs, values)} with values of shape (seeds, epochs), over the epochs every seed has.

        With ``complete_only`` only the seeds whose run reached the results' ``epochs`` count (a run still
        training would otherwise cut every seed's curve short); an arm without a complete seed is left out.
        """
        out = {}
        for name in self.arm_names:
            by_seed = {}
            for record in self.records:
                if record["arm"] == name:
                    value = record[metric]
                    by_seed.setdefault(record["seed"], {})[record["epoch"]] = math.nan if value is None else value
            if complete_only:
                by_seed = {seed: epochs for seed, epochs in by_seed.items() if len(epochs) >= self.settings["epochs"]}
            if not by_seed:
                continue
            n = min(len(epochs) for epochs in by_seed.values())
            epochs = np.arange(1, n + 1)
            out[name] = epochs, np.array([[values[e] for e in epochs] for values in by_seed.values()])
        return out

    def learning_rate_curves(self, points_per_epoch=50):
        """{arm: (epoch, lr_t)}: each arm's scheduled rate at about points_per_epoch steps per epoch."""
        steps = self.settings["steps_per_epoch"] * self.settings["epochs"]
        t = np.unique(np.linspace(1, steps, self.settings["epochs"] * points_per_epoch).round())
        return {arm.name: (t / self.settings["steps_per_epoch"], arm.lr_at(t)) for arm in self.arms}

    def to_json(self):
        return {
            "schema_version": schema.SCHEMA_VERSION,
            "settings": self.settings,
            "arms": [arm.config() for arm in self.arms],
            "provenance": self.provenance,
            "fingerprint": self.fingerprint,
            "runs": self.runs,
            "records": self.records,
        }

    def drop(self, arms, seeds):
        """Forget the runs of ``arms`` (Arms) x ``seeds``; an arm left without runs is forgotten too."""
        gone = {(arm.name, seed) for arm in arms for seed in seeds}
        self.records = [r for r in self.records if (r["arm"], r["seed"]) not in gone]
        self.runs = [r for r in self.runs if (r["arm"], r["seed"]) not in gone]
        kept = {r["arm"] for r in self.runs} | {r["arm"] for r in self.records}
        self.arms = [arm for arm in self.arms if arm.name in kept]
        if "arms" in self.fingerprint:
            self.fingerprint["arms"] = {k: v for k, v in self.fingerprint["arms"].items() if k in kept}

    def keep_saved(self, saved):
        """Add to these results what ``saved`` (an earlier folder's Results) holds of other arms or seeds.

        Raises ValueError naming the conflict when the two were trained on other data, batch size or number
        format, or define an arm of the same name differently: one folder holds one experiment.
        """
        for key in ("batch_size", "mixed_precision", "steps_per_epoch", "validation_images", "augment"):
            if saved.settings.get(key) != self.settings.get(key):
                raise ValueError(
                    f"the results folder holds runs with {key} {saved.settings.get(key)!r}, this call has "
                    f"{self.settings.get(key)!r}: use another folder"
                )
        if saved.settings["data"].get("digest") != self.settings["data"].get("digest"):
            raise ValueError("the results folder holds runs on other data (another digest): use another folder")
        mine = {arm.name: arm for arm in self.arms}
        for arm in saved.arms:
            if arm.name in mine and mine[arm.name] != arm:
                raise ValueError(
                    f"the results folder defines arm {arm.name!r} differently ({arm.config()} there, "
                    f"{mine[arm.name].config()} here): rename the arm, or discard the saved runs with --restart"
                )
        covered = {(run["arm"], run["seed"]) for run in self.runs}
        self.arms = book_order(self.arms + [arm for arm in saved.arms if arm.name not in mine])
        self.runs = [run for run in saved.runs if (run["arm"], run["seed"]) not in covered] + self.runs
        self.records = [r for r in saved.records if (r["arm"], r["seed"]) not in covered] + self.records
        self.records.sort(key=lambda r: (r["seed"], self.arm_names.index(r["arm"]), r["epoch"]))
        self.settings["seeds"] = sorted(set(saved.settings["seeds"]) | set(self.settings["seeds"]))
        self.settings["epochs"] = max(saved.settings["epochs"], self.settings["epochs"])
        self.provenance = saved.provenance + self.provenance
        fingerprint = dict(saved.fingerprint)
        for key, value in self.fingerprint.items():
            fingerprint[key] = {**fingerprint.get(key, {}), **value} if isinstance(value, dict) else value
        self.fingerprint = fingerprint

    def save(self, out_dir):
        """Write out_dir/results.json and out_dir/results.csv, each atomically."""
        text = json.dumps(self.to_json(), indent=1, allow_nan=False)  # strict JSON: diverged values are null
        atomic_write(os.path.join(out_dir, "results.json"), text.encode())
        table = io.StringIO()
        writer = csv.DictWriter(table, RECORD_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.records)
        atomic_write(os.path.join(out_dir, "results.csv"), table.getvalue().encode())

    @classmethod
    def load(cls, path):
        """Results from a results.json file (or the folder holding it), checked in full against the schema
        (``radam.cifar10.schema``): a file that breaks it raises ResultsError naming file, record and field."""
        saved = schema.read(path)
        return cls(
            [Arm(**config) for config in saved["arms"]],
            saved["settings"],
            saved["records"],
            saved["runs"],
            saved["provenance"],
            saved["fingerprint"],
        )


BOOK_RESULTS_URL = f"https://raw.githubusercontent.com/radam-book/radam-book/v{radam.__version__}/book/results"
"""Where the book's committed results are published: its repository at the tag of this release, the one that
the chapters' set-up cell installs (a test keeps it in sync with _config.yml)."""


def load_book_results(name, folder="results"):
    """The book's committed results ``name`` (e.g. "reference"): from ``folder/name`` in a checkout of the book
    (its build); where ``folder`` does not exist (a notebook opened alone, as in Colab), downloaded from
    ``BOOK_RESULTS_URL``. Raises FileNotFoundError when they are not there, ValueError for a name that is not
    a plain folder name (``../x``)."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) or ".." in name:
        raise ValueError(f"name must be the name of a folder of the book's results (e.g. 'reference'), got {name!r}")
    local = os.path.join(folder, name)
    if os.path.exists(os.path.join(local, "results.json")):
        return Results.load(local)
    if os.path.isdir(folder):  # a checkout of the book: results it lacks have not been computed
        raise FileNotFoundError(f"the book's results {name!r} are not in {local} (not computed yet)")
    import tempfile
    import urllib.request

    target = tempfile.mkdtemp(prefix=f"radam-{name}-")
    url = f"{BOOK_RESULTS_URL}/{name}/results.json"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as e:
        raise FileNotFoundError(f"the book's results {name!r} are neither in {local} nor reachable at {url} ({e})") from None
    with open(os.path.join(target, "results.json"), "wb") as f:
        f.write(data)
    return Results.load(target)


def copy_results(source, target):
    """Copy a results folder's results.json and results.csv (not its checkpoints) into ``target``, atomically."""
    os.makedirs(target, exist_ok=True)
    for name in ("results.json", "results.csv"):
        with open(os.path.join(source, name), "rb") as f:
            atomic_write(os.path.join(target, name), f.read())


def summary_table(results):
    """Per arm: final and best validation accuracy, mean and standard deviation (ddof=1) over seeds.

    A list of dicts with arm, seeds, epochs, final_mean, final_std, best_mean, best_std (std is nan for one seed).
    """
    rows = []
    for name, (epochs, accuracy) in results.curves("val_accuracy").items():
        final, best = accuracy[:, -1], accuracy.max(axis=1)
        spread = (lambda x: float(np.std(x, ddof=1))) if len(accuracy) > 1 else (lambda x: math.nan)
        rows.append(
            {
                "arm": name,
                "seeds": len(accuracy),
                "epochs": int(epochs[-1]),
                "final_mean": float(final.mean()),
                "final_std": spread(final),
                "best_mean": float(best.mean()),
                "best_std": spread(best),
            }
        )
    return rows


def format_summary(rows):
    """The summary table as aligned text."""
    def mean_std(mean, std):
        return f"{mean:.4f} +/- " + ("n/a" if math.isnan(std) else f"{std:.4f}")

    lines = [f"{'arm':<14} {'seeds':>5} {'epochs':>6}   {'final val acc':>17}   {'best val acc':>17}"]
    for row in rows:
        final = mean_std(row["final_mean"], row["final_std"])
        best = mean_std(row["best_mean"], row["best_std"])
        lines.append(f"{row['arm']:<14} {row['seeds']:>5} {row['epochs']:>6}   {final:>17}   {best:>17}")
    return "\n".join(lines)
