"""What a CIFAR-10 experiment produced: per-epoch records, saved atomically as results.json and results.csv, and
the summary table over seeds."""

import csv
import dataclasses
import io
import json
import math
import os
import time

import numpy as np

from radam.cifar10.arms import Arm


RECORD_FIELDS = (
    "arm",
    "seed",
    "epoch",
    "step",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "learning_rate",
    "train_time_s",
    "eval_time_s",
    "images_per_second",
)
"""The columns of results.csv: one record per arm, seed and epoch. learning_rate is lr_t at the epoch's last
step; images_per_second counts training images over train_time_s."""


@dataclasses.dataclass
class Results:
    """What run_experiment produced: per-epoch records, the arms, the settings and each run's initial weights."""

    arms: list
    settings: dict
    records: list = dataclasses.field(default_factory=list)
    runs: list = dataclasses.field(default_factory=list)

    @property
    def arm_names(self):
        return [arm.name for arm in self.arms]

    def curves(self, metric="val_accuracy"):
        """{arm: (epochs, values)} with values of shape (seeds, epochs), over the epochs every seed has."""
        out = {}
        for name in self.arm_names:
            by_seed = {}
            for record in self.records:
                if record["arm"] == name:
                    by_seed.setdefault(record["seed"], {})[record["epoch"]] = record[metric]
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
            "settings": self.settings,
            "arms": [arm.config() for arm in self.arms],
            "runs": self.runs,
            "records": self.records,
        }

    def save(self, out_dir):
        """Write out_dir/results.json and out_dir/results.csv, each atomically."""
        _atomic_write(os.path.join(out_dir, "results.json"), json.dumps(self.to_json(), indent=1).encode())
        table = io.StringIO()
        writer = csv.DictWriter(table, RECORD_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.records)
        _atomic_write(os.path.join(out_dir, "results.csv"), table.getvalue().encode())

    @classmethod
    def load(cls, path):
        """Results from a results.json file (or the folder holding it)."""
        if os.path.isdir(path):
            path = os.path.join(path, "results.json")
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        return cls([Arm(**config) for config in saved["arms"]], saved["settings"], saved["records"], saved["runs"])


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


def _atomic_write(path, data):
    """Write bytes to a new file next to ``path``, then os.replace it over ``path``: readers see old or new, whole."""
    partial = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.{time.time_ns()}.tmp")
    try:
        with open(partial, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
