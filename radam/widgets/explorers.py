"""The playground's explorers (chapter 9): rectification, the optimizer race, the variance of the adaptive lr.

Each is drawn in layers: a :class:`radam.frames.FrameDashboard` where ipywidgets has ``Stack`` (the static HTML
book), a live :class:`~radam.widgets.layered.LayeredDashboard` elsewhere (Colab's ipywidgets 7.7); see
:func:`radam.widgets.layered.layered_dashboard`.
"""

from functools import lru_cache

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D

from radam import frames, plotting, problems, schedules, theory
from radam.numpy import SGD, AdaGrad, Adam, RAdam, RMSProp
from radam.widgets.core import log_slider, note, slider
from radam.widgets.layered import layered_dashboard, use_frames


def _beta_2_choice(betas, index):
    """Options over 1 - beta_2 (the keyword ``one_minus_beta_2``), labelled by beta_2: even steps on a log scale."""
    return frames.Choice("beta_2", tuple((f"{b:g}", round(1.0 - b, 12)) for b in betas), index=index)


# 1. Rectification explorer: beta_2 and sma_threshold -> rho_t, r_t, the first adaptive step, a matching warmup.


def _log_steps(beta_2, periods=5.0):
    """Whole steps from 1 to periods / (1 - beta_2), evenly spaced on a log scale."""
    return np.unique(np.geomspace(1, max(periods / (1.0 - beta_2), 20), 300).round()).astype(int)


def _rectification_background(axes, one_minus_beta_2):
    left, right = axes
    beta_2 = 1.0 - one_minus_beta_2
    t, rho_max = _log_steps(beta_2), theory.rho_inf(beta_2)
    left.plot(t, theory.rho_t(t, beta_2), color="black", linewidth=1.8, label="$\\rho_t$")
    left.axhline(rho_max, color="black", linestyle="--", linewidth=1, label=f"$\\rho_\\infty$ = {rho_max:.4g}")
    left.plot([], [], color=plotting.COLORS["RAdam"], linestyle=":", label="sma_threshold")
    left.set(xscale="log", yscale="log", ylim=(0.8, 3 * rho_max))
    plotting.finish(left, f"$\\rho_t$ rises to $\\rho_\\infty$ (beta_2 = {beta_2:.4g})", "step $t$", "$\\rho_t$")
    left.legend(fontsize="small", loc="upper left")
    untuned = schedules.untuned_warmup_steps(beta_2)
    right.plot(t, theory.rectification(t, beta_2), color="0.6", linewidth=1, label="$r_t$ (where $\\rho_t > 4$)")
    right.plot([], [], color=plotting.COLORS["RAdam"], linewidth=2, label="RAdam: 0, then $r_t$")
    right.plot([], [], color=plotting.COLORS["Adam + warmup"], linestyle=":", linewidth=2, label="best linear warmup")
    right.plot(t, np.minimum(1.0, t / untuned), color=plotting.COLORS["Adam + warmup"], linestyle="--", linewidth=1,
               label=f"untuned warmup, {untuned:.4g} steps")
    right.set(xscale="log", ylim=(-0.03, 1.08))
    plotting.finish(right, "What multiplies lr", "step $t$", "$r_t$  or  $lr_t / lr$")
    right.legend(fontsize="small", loc="upper left")


def _rectification_threshold(axes, one_minus_beta_2, sma_threshold):
    left, right = axes
    beta_2 = 1.0 - one_minus_beta_2
    left.axhline(sma_threshold, color=plotting.COLORS["RAdam"], linestyle=":", linewidth=1.5)
    if sma_threshold >= theory.rho_inf(beta_2):
        note(left, "$\\rho_t$ never reaches sma_threshold:\nRAdam never takes an adaptive step")
        return
    first = theory.first_adaptive_step(beta_2, sma_threshold)
    left.axvline(first, color=plotting.COLORS["RAdam"], linewidth=1)
    note(left, f"sma_threshold = {sma_threshold:g}\nfirst adaptive step: t = {first}")
    t = _log_steps(beta_2)
    warmup = theory.matching_linear_warmup(beta_2, sma_threshold)
    right.plot(t, theory.radam_multiplier(t, beta_2, sma_threshold), color=plotting.COLORS["RAdam"], linewidth=2)
    right.plot(t, np.minimum(1.0, t / warmup), color=plotting.COLORS["Adam + warmup"], linestyle=":", linewidth=2)
    note(right, f"best linear warmup: {warmup} steps\n= {warmup * (1 - beta_2):.2f} / (1 - beta_2)")


def rectification_explorer(static=None):
    """beta_2 (a log scale in 1 - beta_2) and sma_threshold -> rho_t, r_t, the first adaptive step, matching warmups."""
    live = {
        "one_minus_beta_2": log_slider("1 - beta_2", 1e-3, 1e-4, 1e-1),
        "sma_threshold": slider("sma_threshold", 5.0, 4.0, 15.0, 0.5),
    }
    fixed = {
        "one_minus_beta_2": _beta_2_choice((0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9999), index=6),
        "sma_threshold": frames.Choice("sma_threshold", tuple((f"{s:g}", s) for s in (4.0, 5.0, 6.0, 8.0, 12.0)), 1),
    }
    layers = [
        frames.Layer(_rectification_background, ("one_minus_beta_2",)),
        frames.Layer(_rectification_threshold, ("one_minus_beta_2", "sma_threshold")),
    ]
    return layered_dashboard(static, live, fixed, layers, figsize=(10, 3.9))


# 2. Optimizer race on the 2-D functions.

RACE_STEPS = 200
"""Steps of every run in the race."""

RACE_FUNCTIONS = {
    "quadratic": (problems.quadratic, 1e-8),
    "rotated quadratic": (problems.rotated_quadratic, 1e-8),
    "Rosenbrock": (problems.rosenbrock, 1e-3),
    "noisy quadratic": (lambda: problems.noisy(problems.quadratic(), 1.0), 1e-4),
}
"""The race's test functions: name -> (problem factory, lower end of the loss axis)."""

RACE_OPTIMIZERS = {
    "SGD": ("learning_rate",),
    "momentum": ("learning_rate", "beta_1"),
    "AdaGrad": ("learning_rate",),
    "RMSProp": ("learning_rate", "one_minus_beta_2"),
    "Adam": ("learning_rate", "beta_1", "one_minus_beta_2"),
    "Adam + warmup": ("learning_rate", "beta_1", "one_minus_beta_2", "warmup_steps"),
    "RAdam": ("learning_rate", "beta_1", "one_minus_beta_2"),
}
"""The racers: label -> the controls each one reads (momentum is beta_1, RMSProp's rho is beta_2)."""

RACE_GROUPS = (
    ("Adam, warmup, RAdam", ("Adam", "Adam + warmup", "RAdam")),
    ("all seven", tuple(RACE_OPTIMIZERS)),
    ("SGD, momentum", ("SGD", "momentum")),
    ("AdaGrad, RMSProp, Adam", ("AdaGrad", "RMSProp", "Adam")),
)
"""Which optimizers race: the choices of the ``optimizers`` control."""


def race_optimizer(label, learning_rate, beta_1=0.9, one_minus_beta_2=1e-3, warmup_steps=0):
    """The optimizer behind a race label, with the race's hyperparameters."""
    beta_2 = 1.0 - one_minus_beta_2
    if label == "SGD":
        return SGD(learning_rate)
    if label == "momentum":
        return SGD(learning_rate, momentum=beta_1)
    if label == "AdaGrad":
        return AdaGrad(learning_rate)
    if label == "RMSProp":
        return RMSProp(learning_rate, rho=beta_2)
    if label == "Adam":
        return Adam(learning_rate, beta_1, beta_2)
    if label == "Adam + warmup":
        return Adam(schedules.linear_warmup(learning_rate, warmup_steps), beta_1, beta_2)
    if label == "RAdam":
        return RAdam(learning_rate, beta_1, beta_2)
    raise ValueError(f"label must be one of {list(RACE_OPTIMIZERS)}, got {label!r}")


@lru_cache(maxsize=None)
def _race_problem(function):
    if function not in RACE_FUNCTIONS:
        raise ValueError(f"function must be one of {list(RACE_FUNCTIONS)}, got {function!r}")
    return RACE_FUNCTIONS[function][0]()


@lru_cache(maxsize=2048)
def _race_run(label, function, params):
    return problems.run(race_optimizer(label, **dict(params)), _race_problem(function), steps=RACE_STEPS, seed=0)


def _race_background(axes, function):
    left, right = axes
    problem = _race_problem(function)
    plotting.contours(problem, ax=left, resolution=120)
    plotting.finish(left, f"Paths on the {function}", "$x_1$", "$x_2$", legend=False)
    right.set(yscale="log", xlim=(0, RACE_STEPS), ylim=(RACE_FUNCTIONS[function][1], 30 * problem.loss(np.array(problem.x0))))
    plotting.finish(right, "Loss against step", "step $t$", "loss $f(x)$", legend=False)


def _race_layer(label):
    def draw(axes, function, **params):
        left, right = axes
        run = _race_run(label, function, tuple(sorted(params.items())))
        color = plotting.color_for(label)
        left.plot(run.xs[:, 0], run.xs[:, 1], "-o", color=color, markersize=2, linewidth=1.2)
        right.plot(np.arange(len(run.losses)), run.losses, color=color, linewidth=1.5)
        if run.diverged:  # the loss became infinite at the next step: mark where the curve stops
            right.plot(run.steps, min(run.losses[-1], right.get_ylim()[1]), marker="X", markersize=8, color=color,
                       clip_on=False)

    return draw


def _race_legend(axes, optimizers):
    handles = [Line2D([], [], color=plotting.color_for(label), linewidth=1.5, label=label) for label in optimizers]
    handles.append(Line2D([], [], color="0.3", marker="X", linestyle="none", label="diverged"))
    axes[1].legend(handles=handles, fontsize="small", loc="upper right")


def optimizer_race(static=None):
    """Function, lr, beta_1, beta_2, warmup steps and which optimizers -> their paths over the contours and losses."""
    live = {
        "function": widgets.Dropdown(options=list(RACE_FUNCTIONS), description="function"),
        "learning_rate": log_slider("lr", 0.1, 1e-3, 1.0),
        "beta_1": slider("beta_1", 0.9, 0.0, 0.99, 0.01),
        "one_minus_beta_2": log_slider("1 - beta_2", 1e-3, 1e-4, 1e-1),
        "warmup_steps": slider("warmup steps", 50, 0, RACE_STEPS, 5),
        "optimizers": widgets.ToggleButtons(options=RACE_GROUPS, description="optimizers"),
    }
    fixed = {
        "function": frames.Choice("function", tuple((f, f) for f in ("quadratic", "Rosenbrock", "noisy quadratic")),
                                  kind="dropdown"),
        "learning_rate": frames.Choice("lr", tuple((f"{lr:g}", lr) for lr in (0.01, 0.03, 0.1, 0.3)), 2),
        "beta_1": frames.Choice("beta_1", (("0.5", 0.5), ("0.9", 0.9)), 1),
        "one_minus_beta_2": _beta_2_choice((0.9, 0.99, 0.999), index=2),
        "warmup_steps": frames.Choice("warmup steps", (("10", 10), ("50", 50), ("150", 150)), 1),
        "optimizers": frames.Choice("optimizers", RACE_GROUPS, kind="buttons"),
    }
    layers = [frames.Layer(_race_background, ("function",)), frames.Layer(_race_legend, ("optimizers",))] + [
        frames.Layer(_race_layer(label), ("function",) + reads, shown_by=("optimizers", lambda group, label=label: label in group))
        for label, reads in RACE_OPTIMIZERS.items()
    ]
    return layered_dashboard(static, live, fixed, layers, figsize=(9, 3.8), colors=32)


# 3. Variance explorer: the variance of the adaptive learning rate for Adam, Adam with warmup and RAdam.

VARIANCE_SAMPLES = 4000
"""Monte-Carlo runs behind each variance curve."""


def _variance_steps(beta_2):
    return min(int(np.ceil(3.0 / (1.0 - beta_2))), 3000)


@lru_cache(maxsize=None)
def _psi_variance(one_minus_beta_2):
    """Var[psi_t] by Monte Carlo for t = 1 .. 3 / (1 - beta_2) (at most 3000), computed once per beta_2."""
    beta_2 = 1.0 - one_minus_beta_2
    return theory.adaptive_lr_variance(_variance_steps(beta_2), beta_2, samples=VARIANCE_SAMPLES, seed=0)


def _variance_curves(one_minus_beta_2):
    key = float(f"{one_minus_beta_2:.6g}")  # the live log slider's values, computed in the browser, round alike
    variance = _psi_variance(key)
    return np.arange(1, len(variance) + 1), 1.0 - key, variance


def _variance_background(axes, one_minus_beta_2):
    left, right = axes
    t, beta_2, variance = _variance_curves(one_minus_beta_2)
    rectified = variance * theory.radam_multiplier(t, beta_2) ** 2
    floor = theory.adaptive_lr_variance_approx(t[-1], beta_2, rectified=True)
    left.plot(t, variance, color=plotting.COLORS["Adam"], linewidth=1.5, label="Adam: Var[$\\psi_t$]")
    left.plot([], [], color=plotting.COLORS["Adam + warmup"], linewidth=2, label="Adam + warmup: Var[$(lr_t/lr) \\psi_t$]")
    left.plot(t, np.where(rectified > 0, rectified, np.nan), color=plotting.COLORS["RAdam"], linewidth=1.5,
              label="RAdam: Var[$r_t \\psi_t$]")
    left.plot(t, theory.adaptive_lr_variance_approx(t, beta_2), color="black", linestyle=":", linewidth=1,
              label="approximation")
    left.set(xscale="log", yscale="log", ylim=(floor / 100, 30.0), xlim=(1, t[-1]))
    plotting.finish(left, f"Variance of the adaptive lr (beta_2 = {beta_2:.4g})", "step $t$", "variance")
    left.legend(fontsize="small", loc="upper right")
    right.plot(t, theory.radam_multiplier(t, beta_2), color=plotting.COLORS["RAdam"], linewidth=1.5, label="RAdam: $r_t$")
    right.plot([], [], color=plotting.COLORS["Adam + warmup"], linewidth=2, label="warmup: $lr_t / lr$")
    right.set(xscale="log", ylim=(-0.03, 1.08), xlim=(1, t[-1]))
    plotting.finish(right, "What multiplies lr", "step $t$", "$r_t$  or  $lr_t / lr$")
    right.legend(fontsize="small", loc="upper left")


def _variance_warmup(axes, one_minus_beta_2, warmup_steps):
    left, right = axes
    t, _, variance = _variance_curves(one_minus_beta_2)
    scale = np.minimum(1.0, t / warmup_steps)
    left.plot(t, variance * scale**2, color=plotting.COLORS["Adam + warmup"], linewidth=2)
    right.plot(t, scale, color=plotting.COLORS["Adam + warmup"], linewidth=2)
    note(right, f"linear warmup over {warmup_steps:.4g} steps")


def variance_explorer(static=None):
    """Warmup length and beta_2 -> the variance of the adaptive lr of Adam, Adam with warmup and RAdam (Monte Carlo)."""
    live = {
        "one_minus_beta_2": log_slider("1 - beta_2", 1e-3, 1e-3, 1e-1, steps_per_decade=4),
        "warmup_steps": log_slider("warmup steps", 100, 1, 3000),
    }
    fixed = {
        "one_minus_beta_2": _beta_2_choice((0.9, 0.95, 0.98, 0.99, 0.995, 0.999), index=5),
        "warmup_steps": frames.Choice("warmup steps", tuple((f"{w:g}", w) for w in (1, 10, 30, 100, 300, 1000, 3000)), 3),
    }
    if not use_frames(static):  # the Monte Carlo of every beta_2 on the slider, once, so a move only redraws
        for position in range(-12, -3):
            _variance_curves(10 ** (position / 4))
    layers = [
        frames.Layer(_variance_background, ("one_minus_beta_2",)),
        frames.Layer(_variance_warmup, ("one_minus_beta_2", "warmup_steps")),
    ]
    return layered_dashboard(static, live, fixed, layers, figsize=(10, 3.9))
