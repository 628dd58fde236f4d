"""Matplotlib figures for the book, all in one style: a title, labelled axes and a legend on every plot.

Each function draws into ``ax`` when given one (so widgets can redraw in place) and otherwise makes a
new figure; it returns the figure. Optimizers keep the same colour on every page (:data:`COLORS`).
"""

import matplotlib.pyplot as plt
import numpy as np

COLORS = {
    "SGD": "#7f7f7f",
    "momentum": "#8c564b",
    "AdaGrad": "#2ca02c",
    "RMSProp": "#9467bd",
    "Adam": "#1f77b4",
    "Adam + warmup": "#17becf",
    "RAdam": "#d62728",
}
"""A fixed colour per optimizer label."""


def color_for(label, index=0):
    """The colour of an optimizer label: its COLORS entry, else the ``index``-th colour of the default cycle."""
    return COLORS.get(label, plt.rcParams["axes.prop_cycle"].by_key()["color"][index % 10])


def _axes(ax, figsize=(6.4, 4.2)):
    if ax is not None:
        return ax.figure, ax
    return plt.subplots(figsize=figsize, layout="constrained")


def finish(ax, title, xlabel, ylabel, legend=True):
    """Title, axis labels, a light grid and (when anything is labelled) a legend."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return ax


def contours(problem, ax=None, resolution=200, levels=20):
    """Filled contours of ``problem.loss`` over ``problem.bounds``, with its minimum marked."""
    fig, ax = _axes(ax)
    (x1_min, x1_max), (x2_min, x2_max) = problem.bounds
    x1, x2 = np.meshgrid(np.linspace(x1_min, x1_max, resolution), np.linspace(x2_min, x2_max, resolution))
    f = problem.loss(np.stack([x1, x2], axis=-1))
    if problem.log_contours:
        levels = np.geomspace(max(f.min(), 1e-3), f.max(), levels)
        norm = plt.matplotlib.colors.LogNorm()
    else:
        norm = None
    ax.contourf(x1, x2, f, levels=levels, cmap="Greys", alpha=0.35, norm=norm)
    ax.contour(x1, x2, f, levels=levels, colors="grey", linewidths=0.4, norm=norm)
    ax.plot(*problem.minimum, marker="*", color="black", markersize=12, linestyle="none", label="minimum")
    ax.set_xlim(x1_min, x1_max)
    ax.set_ylim(x2_min, x2_max)
    return fig


def trajectories(problem, runs, ax=None, title=None):
    """Paths of several runs over the contours of ``problem``; ``runs`` maps a label to a Trajectory."""
    fig, ax = _axes(ax)
    contours(problem, ax=ax)
    for i, (label, run) in enumerate(runs.items()):
        color = color_for(label, i)
        suffix = " (diverged)" if run.diverged else ""
        ax.plot(run.xs[:, 0], run.xs[:, 1], "-o", color=color, markersize=2.5, linewidth=1.2, label=label + suffix)
    finish(ax, title or f"Paths on the {problem.name}", "$x_1$", "$x_2$")
    return fig


def loss_curves(runs, ax=None, title="Loss against step", log=True):
    """Loss against step for several runs (a Trajectory per label, or an array of losses)."""
    fig, ax = _axes(ax)
    for i, (label, run) in enumerate(runs.items()):
        losses = getattr(run, "losses", run)
        ax.plot(np.arange(len(losses)), losses, color=color_for(label, i), linewidth=1.5, label=label)
    if log:
        ax.set_yscale("log")
    finish(ax, title, "step $t$", "loss $f(x)$")
    return fig


def compare(problem, runs, title=None):
    """Side by side: paths over the contours, and the loss curves of the same runs."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    trajectories(problem, runs, ax=left)
    loss_curves(runs, ax=right)
    if title:
        fig.suptitle(title)
    return fig


def learning_rates(schedules, steps, ax=None, title="Learning rate against step", log=False):
    """lr_t against t = 1 .. steps; ``schedules`` maps a label to a schedule(t) or a number."""
    fig, ax = _axes(ax)
    t = np.arange(1, steps + 1)
    for i, (label, schedule) in enumerate(schedules.items()):
        lr = schedule(t) if callable(schedule) else np.full(len(t), float(schedule))
        ax.plot(t, lr, color=color_for(label, i), linewidth=1.5, label=label)
    if log:
        ax.set_yscale("log")
    finish(ax, title, "step $t$", "learning rate $lr_t$")
    return fig
