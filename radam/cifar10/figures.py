"""Figures of CIFAR-10 results: one colour per optimizer, the same as in every chapter (radam.plotting.COLORS).

An arm takes its optimizer's colour: Adam's for ``adam`` and ``adam-blog``, the warmup's for ``adam-warmup``,
RAdam's for ``radam`` and ``radam-blog``, SGD with momentum's for ``sgd``; arms with the blog's schedule are
dashed, so an optimizer keeps its colour whatever its schedule.
"""

import matplotlib.pyplot as plt
import numpy as np

from radam import plotting
from radam.cifar10.data import CLASS_NAMES
from radam.cifar10.stats import CONFIDENCE

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


def sweep(endpoints, arms, ax=None, title=None, ylabel="validation endpoint"):
    """The endpoint against the base learning rate, one line per arm (the mean over seeds) with the seed range as
    a band, on a log axis. ``endpoints`` as :func:`radam.cifar10.analysis.endpoint_sweep` returns them; ``arms``
    maps base names to Arms (for the colours). A grey line marks chance, one class in ten: a run that stopped
    learning ends there."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 5.2), layout="constrained")
    for base, rates in endpoints.items():
        if not rates:
            continue
        style = arm_style(arms[base])
        lr = np.array(list(rates))
        values = [np.array(list(seeds.values())) for seeds in rates.values()]
        seeds = min(len(v) for v in values)
        ax.plot(lr, [v.mean() for v in values], marker="o", color=style["color"], label=f"{base} ({seeds}+ seeds)")
        ax.fill_between(lr, [v.min() for v in values], [v.max() for v in values], color=style["color"], alpha=0.15)
    ax.axhline(1 / len(CLASS_NAMES), color="0.55", linewidth=0.8, linestyle="--",
               label=f"chance (1 in {len(CLASS_NAMES)})")
    ax.set_xscale("log")
    plotting.finish(ax, title or "The endpoint at each learning rate (mean over seeds; band: lowest to highest seed)",
                    "base learning rate lr", ylabel)
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4)  # an arm a column
    return ax.figure


def verdicts(answers, arms, ax=None, title=None, xlabel="paired difference in the endpoint (a minus b)"):
    """A row per paired difference (a :class:`radam.cifar10.stats.PairedDifference`, top to bottom in the order
    given): each seed's difference as a dot, the mean and its confidence interval as a bar, in the colour of arm
    ``a`` (``arms`` maps arm names to Arms); a line at zero. A bar that crosses the line is no verdict."""
    answers = list(answers)
    if ax is None:
        _, ax = plt.subplots(figsize=(plotting.CONTENT_WIDTH, 0.55 * len(answers) + 1.9), layout="constrained")
    rows = np.arange(len(answers))[::-1]
    for row, d in zip(rows, answers):
        color = arm_style(arms[d.a])["color"]
        ax.plot(d.differences, np.full(d.n, row + 0.18), linestyle="none", marker="o", markersize=4, alpha=0.55,
                color=color)
        low, high = d.interval
        ax.errorbar(d.mean, row, xerr=[[d.mean - low], [high - d.mean]], fmt="s", color=color, capsize=4,
                    markersize=6, linewidth=2)
    ax.axvline(0.0, color="0.4", linewidth=0.9)
    ax.set_yticks(rows, [f"{d.a} - {d.b}" for d in answers])
    ax.set_ylim(-0.7, len(answers) - 0.3)
    confidence = answers[0].confidence if answers else CONFIDENCE
    ax.plot([], [], linestyle="none", marker="o", color="0.3", alpha=0.55, label="one seed")
    ax.errorbar([], [], xerr=[], fmt="s", color="0.3", capsize=4, label=f"mean, {confidence:.0%} interval")
    plotting.finish(ax, title or "Paired differences over seeds", xlabel, "")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return ax.figure


def paired_by_rate(lines, ax=None, title=None, ylabel="paired difference in the endpoint"):
    """The mean paired difference against the learning rate, with its confidence interval as an error bar, a
    line per comparison: ``lines`` holds (label, Arm, {rate: PairedDifference}, linestyle), the colour being
    that Arm's. The lines' points are set apart by a few percent in rate so that their bars do not overlap."""
    if ax is None:
        _, ax = plt.subplots(figsize=(plotting.CONTENT_WIDTH, 4.6), layout="constrained")
    for k, (label, arm, answers, linestyle) in enumerate(lines):
        rates = np.array(sorted(answers))
        if not len(rates):
            continue
        shown = rates * 1.07 ** (k - (len(lines) - 1) / 2)
        means = np.array([answers[r].mean for r in rates])
        low, high = np.array([answers[r].interval for r in rates]).T
        ax.errorbar(shown, means, yerr=[means - low, high - means], color=arm_style(arm)["color"],
                    linestyle=linestyle, marker="o", markersize=4, capsize=3, label=label)
    ax.axhline(0.0, color="0.4", linewidth=0.9)
    ax.set_xscale("log")
    plotting.finish(ax, title or "Paired differences at each learning rate", "base learning rate lr", ylabel)
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return ax.figure
