"""Matplotlib figures for the book, all in one style: a title, labelled axes and a legend on every plot.

Each function draws into ``ax`` when given one (so widgets can redraw in place) and otherwise makes a
new figure; it returns the figure. Optimizers keep the same colour on every page (:data:`COLORS`).
"""

import matplotlib.pyplot as plt
import numpy as np

COLORS = {
    "SGD": "#000000",
    "momentum": "#CC79A7",
    "AdaGrad": "#E69F00",
    "RMSProp": "#56B4E9",
    "Adam": "#0072B2",
    "Adam + warmup": "#009E73",
    "RAdam": "#D55E00",
}
"""A fixed colour per optimizer label, from the colour-blind-safe palette of Okabe and Ito (black, reddish
purple, orange, sky blue, blue, bluish green, vermillion). Adam (blue), Adam + warmup (green) and RAdam
(vermillion) stay apart under red-green colour blindness too (``tests/test_plotting_runs.py`` checks)."""

CONTENT_WIDTH = 7.5
"""Inches of the book's content column; figures this wide show at full size, their ticks readable."""


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


_METRIC_LABELS = {
    "val_accuracy": "validation accuracy",
    "val_loss": "validation loss",
    "train_accuracy": "training accuracy (dropout on)",
    "train_loss": "training loss (dropout on)",
}


def cifar10_curves(results, metric="val_accuracy", band="minmax", ax=None, title=None):
    """One CIFAR-10 metric against epoch per arm: the mean over seeds, and a band over seeds.

    ``results`` is a :class:`radam.cifar10.Results`; ``band`` is "minmax" (lowest to highest seed) or "std"
    (mean +/- the standard deviation over seeds, ddof=1 as in ``radam.cifar10.summary_table``).
    """
    if band not in ("minmax", "std"):
        raise ValueError(f"band must be 'minmax' or 'std', got {band!r}")
    fig, ax = _axes(ax)
    for i, (arm, (epochs, values)) in enumerate(results.curves(metric).items()):
        color = color_for(arm, i)
        mean = values.mean(axis=0)
        if band == "minmax":
            low, high = values.min(axis=0), values.max(axis=0)
        else:
            std = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros_like(mean)
            low, high = mean - std, mean + std
        seeds = f"{len(values)} seed" + ("s" if len(values) > 1 else "")
        ax.plot(epochs, mean, color=color, linewidth=1.5, label=f"{arm} ({seeds})")
        ax.fill_between(epochs, low, high, color=color, alpha=0.2, linewidth=0)
    spread = "min-max" if band == "minmax" else "+/- std"
    label = _METRIC_LABELS.get(metric, metric)
    finish(ax, title or f"CIFAR-10 {label}: mean over seeds, {spread} band", "epoch", label)
    return fig


def cifar10_learning_rates(results, ax=None, title="Learning rate of each arm", log=True):
    """Each arm's scheduled lr_t against (fractional) epoch, step by step; an arm whose rate equals an earlier
    arm's is drawn dashed and says so in the legend (otherwise one line would hide the other)."""
    fig, ax = _axes(ax)
    drawn = {}
    for i, (arm, (epoch, lr)) in enumerate(results.learning_rate_curves().items()):
        same = next((other for other, rate in drawn.items() if np.array_equal(rate, lr)), None)
        label = arm if same is None else f"{arm} (same as {same})"
        ax.plot(epoch, lr, "--" if same else "-", color=color_for(arm, i), linewidth=1.5, label=label)
        drawn[arm] = lr
    if log:
        ax.set_yscale("log")
    finish(ax, title, "epoch", "learning rate $lr_t$")
    return fig


def cifar10_overview(results, band="minmax", title=None):
    """Four panels: validation accuracy, validation loss, training loss and the learning rates."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained")
    for ax, metric in zip(axes.flat, ("val_accuracy", "val_loss", "train_loss")):
        cifar10_curves(results, metric, band=band, ax=ax, title=_METRIC_LABELS[metric].capitalize())
    cifar10_learning_rates(results, ax=axes[1, 1])
    if title:
        fig.suptitle(title)
    return fig


class SourceCode:
    """Python source shown as a highlighted code block (Markdown in notebooks and in the built book)."""

    def __init__(self, text, origin=""):
        self.text = text
        self.origin = origin

    def _repr_markdown_(self):
        import re

        longest = max(map(len, re.findall("`+", self.text)), default=0)
        fence = "`" * max(3, longest + 1)
        header = f"# {self.origin}\n" if self.origin else ""
        return f"{fence}python\n{header}{self.text.rstrip()}\n{fence}"

    def __repr__(self):
        return self.text


def show_source(obj):
    """Display the source of a function, class or method of the package, with the file and lines it comes from.

    The book shows the optimizers this way, so the code on the page is always the code that runs.
    """
    import inspect
    import textwrap

    from IPython.display import display

    lines, first = inspect.getsourcelines(obj)
    module = inspect.getmodule(obj).__name__
    origin = f"{module.replace('.', '/')}.py, lines {first}-{first + len(lines) - 1}"
    display(SourceCode(textwrap.dedent("".join(lines)), origin))


def until_out_of_view(problem, run):
    """``run`` cut one point after its path first leaves ``problem.bounds``, so a diverging path shows its
    first jumps and does not scribble over the picture (its loss curve is best drawn from the whole run)."""
    from radam.problems import Trajectory

    (x1_min, x1_max), (x2_min, x2_max) = problem.bounds
    x1, x2 = run.xs[:, 0], run.xs[:, 1]
    outside = np.flatnonzero((x1 < x1_min) | (x1 > x1_max) | (x2 < x2_min) | (x2 > x2_max))
    if len(outside) == 0:
        return run
    end = outside[0] + 1
    return Trajectory(run.xs[:end], run.losses[:end], run.diverged, run.message)


def seed_curves(runs, metric, ax=None, title=None, ylabel=None, logx=False, logy=False):
    """One metric of several training runs against step, a thin line per seed and one colour per label.

    ``runs`` maps a label to a list of runs (one per seed) such as :class:`radam.mlp.TrainingRun`; ``metric``
    names an attribute: recorded at ``run.steps`` (loss, accuracy, dead) or one value per step (batch_loss,
    step_size), drawn at t = 1 .. n.
    """
    fig, ax = _axes(ax)
    for i, (label, seeds) in enumerate(runs.items()):
        color = color_for(label, i)
        for k, run in enumerate(seeds):
            values = np.asarray(getattr(run, metric))
            steps = run.steps if len(values) == len(run.steps) else np.arange(1, len(values) + 1)
            ax.plot(steps, values, color=color, linewidth=1.0, alpha=0.8,
                    label=f"{label} ({len(seeds)} seed{'s' if len(seeds) > 1 else ''})" if k == 0 else None)
    if logx:
        ax.set_xscale("symlog", linthresh=1)
    if logy:
        ax.set_yscale("log")
    finish(ax, title or f"{metric} against step", "step $t$", ylabel or metric)
    return fig


def psi_variance(beta_2=0.999, steps=2000, ax=None, samples=20_000, seed=0, show_rectified=False, title=None):
    """Var[psi_t] against t on log-log axes for gradients g ~ N(0, 1): the Monte-Carlo estimate
    (:func:`radam.theory.adaptive_lr_variance`) and the paper's approximation, NaN (not drawn) where rho_t <= 4.
    With ``show_rectified``, also the variance of RAdam's r_t psi_t, estimate and approximation.
    """
    from radam import theory

    fig, ax = _axes(ax)
    t = np.arange(1, steps + 1)
    estimate = theory.adaptive_lr_variance(steps, beta_2, samples=samples, seed=seed)
    ax.plot(t, estimate, color=color_for("Adam"), linewidth=1.5, label=r"Var[$\psi_t$], Monte Carlo")
    ax.plot(t, theory.adaptive_lr_variance_approx(t, beta_2), "--", color="black", linewidth=1.2,
            label=r"Var[$\psi_t$] $\approx \rho_t / (2(\rho_t-2)(\rho_t-4))$")
    if show_rectified:
        rectified = estimate * theory.rectification(t, beta_2) ** 2
        ax.plot(t, rectified, color=color_for("RAdam"), linewidth=1.5, label=r"Var[$r_t\,\psi_t$], Monte Carlo")
        ax.plot(t, theory.adaptive_lr_variance_approx(t, beta_2, rectified=True), ":", color="black",
                linewidth=1.5, label=r"Var[$r_t\,\psi_t$], approximation")
    last_intractable = np.flatnonzero(theory.rho_t(t, beta_2) <= 4.0)
    if len(last_intractable):
        ax.axvspan(0.8, t[last_intractable[-1]] + 0.5, color="grey", alpha=0.15, label=r"$\rho_t \leq 4$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    finish(ax, title or rf"Variance of the adaptive learning rate, $\beta_2$ = {beta_2:g}", "step $t$",
           "variance (gradients with $\\sigma = 1$)")
    return fig


def table(header, rows, align=None):
    """A small HTML table of already formatted values. ``align`` has one letter per column, ``l`` (left) or
    ``r`` (right); by default the first column is left-aligned and the others, numbers, right-aligned.

    It shows the same in Jupyter, Colab and the built book (which renders Markdown tables in outputs as text);
    a table wider than the page scrolls sideways instead of being cut off.
    """
    from html import escape

    from IPython.display import HTML

    align = align or "l" + "r" * (len(header) - 1)
    if len(align) != len(header) or set(align) - {"l", "r"}:
        raise ValueError(f"align must be one letter, l or r, per column ({len(header)}), got {align!r}")
    sides = ["left" if letter == "l" else "right" for letter in align]

    def cells(values, tag):
        return "".join(
            f'<{tag} style="text-align: {side}">{escape(str(v))}</{tag}>' for side, v in zip(sides, values)
        )

    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    table = f'<table class="table"><thead><tr>{cells(header, "th")}</tr></thead><tbody>{body}</tbody></table>'
    return HTML(f'<div style="overflow-x: auto; max-width: 100%">{table}</div>')  # wide tables scroll
