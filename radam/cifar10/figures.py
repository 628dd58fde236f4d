"""Figures of CIFAR-10 results: one colour per optimizer, the same as in every chapter (radam.plotting.COLORS).

An arm takes its optimizer's colour: Adam's for ``adam`` and ``adam-blog``, the warmup's for ``adam-warmup``,
RAdam's for ``radam`` and ``radam-blog``, SGD with momentum's for ``sgd``; arms with the blog's schedule are
dashed, so an optimizer keeps its colour whatever its schedule.
"""

import matplotlib.pyplot as plt
import numpy as np

from radam import plotting
from radam.cifar10.data import CLASS_NAMES

_LABELS = {"adam": "Adam", "adam-warmup": "Adam + warmup", "radam": "RAdam", "sgd": "momentum"}


def arm_style(arm):
    """Colour and line style of an arm (an Arm): its optimizer's colour, dashed with the blog's schedule."""
    if arm.optimizer == "adam":
        label = "Adam + warmup" if arm.warmup_steps else "Adam"
    else:
        label = _LABELS[arm.optimizer]
    return {"color": plotting.color_for(label), "linestyle": "--" if arm.total_steps else "-"}


def curves(results, metric="val_accuracy", ax=None, title=None):
    """``metric`` against epoch per arm: the mean over the seeds whose run is complete (as the verdicts count
    them; runs still training are left out) and a band from the lowest to the highest seed."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    arms = {arm.name: arm for arm in results.arms}
    for name, (epochs, values) in results.curves(metric, complete_only=True).items():
        style = arm_style(arms[name])
        ax.plot(epochs, values.mean(axis=0), linewidth=1.6, label=f"{name} ({len(values)} seed{'s' if len(values) != 1 else ''})", **style)
        ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), color=style["color"], alpha=0.15, linewidth=0)
    label = metric.replace("val_", "validation ").replace("train_", "training ").replace("_", " ")
    plotting.finish(ax, title or f"{label.capitalize()} (mean over seeds; band: lowest to highest seed)", "epoch", label)
    return ax.figure


def sweep(sweep_final, sweep_best, arms, ax=None, title=None):
    """Final (solid) and best (dotted) validation accuracy against the base learning rate, one line per arm
    with the seed range as a band, on a log axis. ``sweep_*`` as :func:`radam.cifar10.analysis.learning_rate_sweep`
    returns them; ``arms`` maps base names to Arms (for the colours). A grey line marks chance, one class in
    ten: a run that stopped learning ends there."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 5.2), layout="constrained")
    for base, rates in sweep_final.items():
        if not rates:
            continue
        style = arm_style(arms[base])
        lr = np.array(list(rates))
        values = [np.array(list(seeds.values())) for seeds in rates.values()]
        seeds = min(len(v) for v in values)
        ax.plot(lr, [v.mean() for v in values], marker="o", color=style["color"], label=f"{base} ({seeds}+ seeds)")
        ax.fill_between(lr, [v.min() for v in values], [v.max() for v in values], color=style["color"], alpha=0.15)
        best = [np.mean(list(s.values())) for s in sweep_best[base].values()]
        ax.plot(list(sweep_best[base]), best, linestyle=":", marker=".", color=style["color"], label=f"{base}: best epoch")
    ax.axhline(1 / len(CLASS_NAMES), color="0.55", linewidth=0.8, linestyle="--",
               label=f"chance (1 in {len(CLASS_NAMES)})")
    ax.set_xscale("log")
    plotting.finish(ax, title or "Validation accuracy at the last (solid) and best (dotted) epoch",
                    "base learning rate lr", "validation accuracy")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4)  # an arm a column
    return ax.figure
