"""The "Try it" dashboards of chapters 1-4.

Each dashboard is a figure of two panels (a path over the contours, and a curve against the step) with one or
two sliders. Like the playground's (:mod:`radam.widgets`), it is drawn in layers (:class:`radam.frames.Layer`):
an opaque background (contours, axes, labels) that no slider changes, and one transparent layer per slider
value (the path, the curve and a legend quoting the run's numbers). With ipywidgets 8 the layers are drawn in
advance over the slider's options (a :class:`radam.frames.FrameDashboard`), so the static HTML book still
responds; with older ipywidgets (Colab's 7.7) the figure is live and kernel-driven
(:class:`radam.widgets.LayeredDashboard`), with continuous sliders where the chapter had them. ``static``
forces one or the other (True: frames, False: live), as in :mod:`radam.widgets`.

The runs behind the pictures are cached functions of the slider values (``gradient_descent_run`` etc.), so a
chapter can quote a number of exactly the run that a slider position shows.
"""

from functools import lru_cache

import numpy as np
from matplotlib.lines import Line2D

from radam import frames, plotting, problems
from radam.numpy import SGD, AdaGrad, Adam, RMSProp
from radam.widgets.core import choice_slider, log_slider
from radam.widgets.layered import layered_dashboard

FIGSIZE = (7.5, 3.5)
"""Two panels across the book's content column (750 pixels at ``DPI``)."""

DPI = 100
COLORS = 64
PATH_COLOR = "#1f77b4"
SECOND_COLOR = "#ff7f0e"


def _numbers(values, fmt="g"):
    return tuple((format(value, fmt), value) for value in values)


def _legend(ax, lines, loc="upper right"):
    """A legend of (label, colour, style) entries, all drawn by the calling layer."""
    handles = [Line2D([], [], color=color, linestyle=style, linewidth=1.5, label=label)
               for label, color, style in lines]
    ax.legend(handles=handles, fontsize="small", loc=loc)


def _path(ax, problem, run):
    shown = plotting.until_out_of_view(problem, run)
    ax.plot(shown.xs[:, 0], shown.xs[:, 1], "-o", color=PATH_COLOR, markersize=2, linewidth=1.2)


def _path_background(ax, problem, title):
    plotting.contours(problem, ax=ax, resolution=120)
    plotting.finish(ax, title, "$x_1$", "$x_2$", legend=False)


def _loss_background(ax, steps, ylim, title="Loss against step"):
    ax.set(yscale="log", xlim=(0, steps), ylim=ylim)
    plotting.finish(ax, title, "step $t$", "loss $f(x)$", legend=False)


def _loss(ax, run):
    ax.plot(np.arange(len(run.losses)), run.losses, color=PATH_COLOR, linewidth=1.5)


# Chapter 1: the learning rate of gradient descent on the quadratic. -----------------------------------------------

GRADIENT_DESCENT_STEPS = 50
GRADIENT_DESCENT_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.25, 0.3, 0.4, 0.45, 0.47, 0.5, 0.51, 0.6, 1.0)
"""The slider's learning rates: a log scale up to 0.1, then fine steps around the thresholds 0.25 and 0.5."""


@lru_cache(maxsize=512)
def gradient_descent_run(lr):
    """50 steps of gradient descent at ``lr`` on ``problems.quadratic()`` (chapter 1's slider)."""
    return problems.run(SGD(learning_rate=lr), problems.quadratic(), steps=GRADIENT_DESCENT_STEPS)


def _gradient_descent_background(axes):
    left, right = axes
    _path_background(left, problems.quadratic(), f"Path of {GRADIENT_DESCENT_STEPS} steps")
    _loss_background(right, GRADIENT_DESCENT_STEPS, (1e-12, 1e6))


def _gradient_descent_layer(axes, lr):
    left, right = axes
    run = gradient_descent_run(lr)
    _path(left, problems.quadratic(), run)
    _loss(right, run)
    end = "diverged" if run.diverged else f"loss {run.losses[-1]:.3g} at step {run.steps}"
    _legend(right, [(f"lr = {lr:.3g}: {end}", PATH_COLOR, "-")])


def gradient_descent_lr(static=None):
    """Chapter 1: the learning rate -> the path and the loss of 50 steps of gradient descent on the quadratic."""
    choices = {"lr": frames.Choice("learning rate lr", _numbers(GRADIENT_DESCENT_RATES),
                                   index=GRADIENT_DESCENT_RATES.index(0.1))}
    live = {"lr": log_slider("learning rate lr", 0.1, 1e-3, 1.0)}
    layers = [frames.Layer(_gradient_descent_background), frames.Layer(_gradient_descent_layer, ("lr",))]
    return layered_dashboard(static, live, choices, layers, FIGSIZE, colors=COLORS, dpi=DPI)


# Chapter 2: AdaGrad's learning rate on the Rosenbrock function. ---------------------------------------------------

ADAGRAD_STEPS = 2000
ADAGRAD_RATES = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


@lru_cache(maxsize=512)
def adagrad_run(lr):
    """2000 steps of AdaGrad at ``lr`` on ``problems.rosenbrock()`` (chapter 2's slider)."""
    return problems.run(AdaGrad(learning_rate=lr), problems.rosenbrock(), steps=ADAGRAD_STEPS)


def _adagrad_background(axes):
    left, right = axes
    _path_background(left, problems.rosenbrock(), f"AdaGrad, {ADAGRAD_STEPS} steps")
    _loss_background(right, ADAGRAD_STEPS, (1e-8, 1e3))


def _adagrad_layer(axes, lr):
    left, right = axes
    run = adagrad_run(lr)
    _path(left, problems.rosenbrock(), run)
    _loss(right, run)
    x1, x2 = run.xs[-1]
    _legend(right, [(f"lr = {lr:.3g}: loss {run.losses[-1]:.2g},\nends at ({x1:.2f}, {x2:.2f})", PATH_COLOR, "-")])


def adagrad_lr(static=None):
    """Chapter 2: AdaGrad's learning rate -> its path and loss over 2000 steps on the Rosenbrock function."""
    choices = {"lr": frames.Choice("learning rate lr", _numbers(ADAGRAD_RATES), index=ADAGRAD_RATES.index(0.3))}
    live = {"lr": log_slider("learning rate lr", 0.3, 0.1, 10.0)}
    layers = [frames.Layer(_adagrad_background), frames.Layer(_adagrad_layer, ("lr",))]
    return layered_dashboard(static, live, choices, layers, FIGSIZE, colors=COLORS, dpi=DPI)


# Chapter 3: RMSProp's decay rate rho on the quadratic. ------------------------------------------------------------

RMSPROP_STEPS = 100
RMSPROP_LR = 0.1
RMSPROP_RHOS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999)


@lru_cache(maxsize=64)
def rmsprop_run(rho):
    """100 steps of RMSProp (lr = 0.1) with decay rate ``rho`` on ``problems.quadratic()`` (chapter 3's slider)."""
    return problems.run(RMSProp(learning_rate=RMSPROP_LR, rho=rho), problems.quadratic(), steps=RMSPROP_STEPS)


def _rmsprop_background(axes):
    left, right = axes
    _path_background(left, problems.quadratic(), f"RMSProp, {RMSPROP_STEPS} steps")
    right.set(xscale="log", yscale="log", xlim=(1, RMSPROP_STEPS), ylim=(1e-6, 100))
    plotting.finish(right, "Step length in each coordinate / lr", "step $t$", "|Δx| / lr", legend=False)


def _rmsprop_layer(axes, rho):
    left, right = axes
    run = rmsprop_run(rho)
    _path(left, problems.quadratic(), run)
    t = np.arange(1, run.steps + 1)
    steps = np.abs(np.diff(run.xs, axis=0)) / RMSPROP_LR
    right.plot(t, steps[:, 0], color=PATH_COLOR, linewidth=1.2)
    right.plot(t, steps[:, 1], color=SECOND_COLOR, linewidth=1.2)
    right.plot(t, 1 / np.sqrt(1 - rho**t), color="black", linestyle="--", linewidth=1)
    _legend(right, [("$x_1$", PATH_COLOR, "-"), ("$x_2$", SECOND_COLOR, "-"),
                    (f"1/sqrt(1 - rho^t), rho = {rho:g}", "black", "--")], loc="lower left")
    left.text(0.03, 0.04, f"rho = {rho:g}: loss {run.losses[-1]:.2g} at the end", transform=left.transAxes,
              fontsize="small", bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.8"))


def rmsprop_rho(static=None):
    """Chapter 3: RMSProp's rho -> its path on the quadratic and the length of each step, divided by lr."""
    choices = {"rho": frames.Choice("decay rate rho", _numbers(RMSPROP_RHOS), index=RMSPROP_RHOS.index(0.9))}
    live = {"rho": choice_slider("decay rate rho", RMSPROP_RHOS, 0.9)}
    layers = [frames.Layer(_rmsprop_background), frames.Layer(_rmsprop_layer, ("rho",))]
    return layered_dashboard(static, live, choices, layers, FIGSIZE, colors=COLORS, dpi=DPI)


# Chapter 4: Adam's beta_1 and beta_2 on the Rosenbrock function. --------------------------------------------------

ADAM_STEPS = 2000
ADAM_LR = 0.05
ADAM_BETA_1S = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
ADAM_BETA_2S = (0.9, 0.99, 0.999, 0.9999)


@lru_cache(maxsize=512)
def adam_run(beta_1, beta_2):
    """2000 steps of Adam (lr = 0.05) on ``problems.rosenbrock()`` (chapter 4's sliders)."""
    optimizer = Adam(learning_rate=ADAM_LR, beta_1=beta_1, beta_2=beta_2)
    return problems.run(optimizer, problems.rosenbrock(), steps=ADAM_STEPS)


def _adam_background(axes):
    left, right = axes
    _path_background(left, problems.rosenbrock(), f"Adam (lr = {ADAM_LR}), {ADAM_STEPS} steps")
    _loss_background(right, ADAM_STEPS, (1e-14, 1e3))


def _adam_layer(axes, beta_1, beta_2):
    left, right = axes
    run = adam_run(beta_1, beta_2)
    _path(left, problems.rosenbrock(), run)
    _loss(right, run)
    x1, x2 = run.xs[-1]
    label = (f"beta_1 = {beta_1:g}, beta_2 = {beta_2:g}:\n"
             f"loss {run.losses[-1]:.1e}, ends at ({x1:.3f}, {x2:.3f})")
    _legend(right, [(label, PATH_COLOR, "-")])


def adam_betas(static=None):
    """Chapter 4: Adam's beta_1 and beta_2 -> its path and loss over 2000 steps on the Rosenbrock function."""
    choices = {
        "beta_1": frames.Choice("beta_1", _numbers(ADAM_BETA_1S), index=ADAM_BETA_1S.index(0.9)),
        "beta_2": frames.Choice("beta_2", _numbers(ADAM_BETA_2S), index=ADAM_BETA_2S.index(0.999)),
    }
    live = {
        "beta_1": choice_slider("beta_1", ADAM_BETA_1S, 0.9),
        "beta_2": choice_slider("beta_2", ADAM_BETA_2S, 0.999),
    }
    layers = [frames.Layer(_adam_background), frames.Layer(_adam_layer, ("beta_1", "beta_2"))]
    return layered_dashboard(static, live, choices, layers, FIGSIZE, colors=COLORS, dpi=DPI)
