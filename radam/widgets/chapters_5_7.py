"""The dashboards of chapters 5, 6 and 7, which keep responding in the static HTML book.

Each is drawn in layers (:class:`radam.frames.Layer`): where ipywidgets has ``Stack`` (version 8) it is a
:class:`radam.frames.FrameDashboard`, every picture drawn in advance over a grid of control values and
switched by the browser; elsewhere (Colab's ipywidgets 7.7) a live :class:`radam.widgets.LayeredDashboard`
with sliders that redraws through the kernel. ``static=None`` picks by :func:`radam.frames.available`.

- :func:`warmup_dashboard` (chapter 5): learning rate and warmup length -> dead units and accuracy of three
  training runs of chapter 5's network, drawn from the runs that :mod:`radam.warmup_curves` trained and
  committed; :func:`warmup_grid` arranges them, and the chapter reads its answers off the same runs.
- :func:`rectification_dashboard` (chapter 6): beta_2 and sma_threshold -> rho_t, r_t and the first
  rectified step.
- :func:`schedule_dashboard` (chapter 7): total_steps, warmup_proportion and batch size -> the blog's
  schedule in epochs.
"""

from functools import partial

import numpy as np
from matplotlib.lines import Line2D

from radam import frames, plotting, schedules, theory, warmup_curves
from radam.widgets import core as widgets_core
from radam.widgets.layered import layered_dashboard

WIDTH = plotting.CONTENT_WIDTH
DPI = 96


# Chapter 5: learning rate and warmup length. -----------------------------------------------------------------

WARMUP_LRS, WARMUP_STEPS = warmup_curves.LEARNING_RATES, warmup_curves.WARMUPS
"""The learning rates and warmup lengths of the chapter 5 dashboard (:mod:`radam.warmup_curves` trains its runs)."""


def warmup_grid(runs):
    """{(lr, warmup_steps): [run per seed, in the order of the seeds]} of dashboard runs
    (:class:`radam.warmup_curves.Curves`, e.g. ``warmup_curves.book_curves(data).results``)."""
    grid = {}
    for run in sorted(runs, key=lambda run: run.seed):
        grid.setdefault((run.learning_rate, run.warmup_steps), []).append(run)
    return grid


def _warmup_background(steps, axes):
    left, right = axes
    for ax, title, ylabel in ((left, "Dead hidden units", "dead fraction"),
                              (right, "Accuracy on all images", "accuracy")):
        ax.set(xlim=(0, steps), ylim=(-0.02, 1.02))
        plotting.finish(ax, title, "step $t$", ylabel, legend=False)


def _warmup_curves(grid, axes, lr, warmup_steps):
    left, right = axes
    label = "Adam + warmup" if warmup_steps else "Adam"
    color = plotting.color_for(label)
    runs = grid[(lr, warmup_steps)]
    steps = runs[0].steps[-1]
    for run in runs:
        left.plot(run.steps, run.dead, color=color, linewidth=1.2)
        right.plot(run.steps, run.accuracy, color=color, linewidth=1.2)
    if warmup_steps:
        for ax in axes:
            ax.axvline(min(warmup_steps, steps), color="0.5", linewidth=0.8, linestyle=":")
    final = ", ".join(f"{run.accuracy[-1]:.0%}" for run in runs)
    name = f"{label}, {warmup_steps} steps" if warmup_steps else label
    seeds = f"seed {runs[0].seed}" if len(runs) == 1 else f"seeds {runs[0].seed}-{runs[-1].seed}"
    handle = Line2D([], [], color=color, linewidth=1.2, label=f"{name} ({seeds})")
    right.legend(handles=[handle], fontsize="small", loc="upper left")
    widgets_core.note(right, f"lr = {lr:g}\naccuracy at step {steps}:\n{final}")


def warmup_dashboard(runs, static=None):
    """lr and warmup length -> dead units and accuracy of every seed of ``runs`` (chapter 5), the dashboard's
    :class:`radam.warmup_curves.Curves` at every learning rate and warmup length of its sliders."""
    grid = warmup_grid(runs)
    lrs, warmups = sorted({lr for lr, _ in grid}), sorted({w for _, w in grid})
    first = lrs.index(0.03) if 0.03 in lrs else 0
    live = {
        "lr": widgets_core.choice_slider("learning rate lr", lrs, lrs[first]),
        "warmup_steps": widgets_core.choice_slider("warmup steps", warmups, warmups[0]),
    }
    fixed = {
        "lr": frames.Choice("learning rate lr", tuple((f"{lr:g}", lr) for lr in lrs), first),
        "warmup_steps": frames.Choice("warmup steps", tuple((str(w), w) for w in warmups), 0),
    }
    steps = max(run.steps[-1] for run in runs)
    layers = [frames.Layer(partial(_warmup_background, steps)),
              frames.Layer(partial(_warmup_curves, grid), ("lr", "warmup_steps"))]
    return layered_dashboard(static, live, fixed, layers, (WIDTH, 3.3), colors=48, nrows=1, ncols=2, dpi=DPI)


# Chapter 6: beta_2 and the threshold. ------------------------------------------------------------------------

RECTIFICATION_BETAS = (0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999)
RECTIFICATION_THRESHOLDS = (4.0, 4.5, 5.0, 6.0, 8.0)


def _steps(beta_2):
    return np.unique(np.geomspace(1, 50 / (1 - beta_2), 400).round()).astype(int)


def half_step(beta_2, level=0.5):
    """The first step at which r_t reaches ``level``."""
    t = np.arange(1, int(np.ceil(50 / (1 - beta_2))) + 1)
    return int(t[np.nan_to_num(theory.rectification(t, beta_2)) >= level][0])


def _rectification_background(axes, beta_2):
    top, bottom = axes
    t = _steps(beta_2)
    top.plot(t, theory.rho_t(t, beta_2), color="black", linewidth=1.5, label=r"$\rho_t$")
    top.axhline(theory.rho_inf(beta_2), color="0.5", linestyle="--", linewidth=1,
                label=rf"$\rho_\infty$ = {theory.rho_inf(beta_2):,.0f}")
    top.plot([], [], color=plotting.COLORS["RAdam"], linestyle=":", label="sma_threshold")
    top.set(xscale="log", yscale="log", xlim=(1, t[-1]))
    plotting.finish(top, rf"$\rho_t$ for $\beta_2$ = {beta_2:g}", "step $t$", r"$\rho_t$", legend=False)
    top.legend(fontsize="small", loc="upper left")
    bottom.plot(t, schedules.untuned_linear_warmup(1.0, beta_2)(t), color=plotting.COLORS["Adam + warmup"],
                linewidth=1.5, label=r"untuned linear warmup, $2/(1-\beta_2)$ steps")
    bottom.plot([], [], color=plotting.COLORS["RAdam"], linewidth=1.8, label=r"$r_t$ on RAdam's rectified steps")
    bottom.set(xscale="log", xlim=(1, t[-1]), ylim=(-0.03, 1.05))
    plotting.finish(bottom, "Factor on the learning rate", "step $t$", "factor", legend=False)
    bottom.legend(fontsize="small", loc="upper left")


def _rectification_threshold(axes, beta_2, sma_threshold):
    top, bottom = axes
    t = _steps(beta_2)
    first = theory.first_adaptive_step(beta_2, sma_threshold)
    top.axhline(sma_threshold, color=plotting.COLORS["RAdam"], linestyle=":", linewidth=1.5)
    r = np.where(t >= first, theory.rectification(t, beta_2), np.nan)
    bottom.plot(t, r, color=plotting.COLORS["RAdam"], linewidth=1.8)
    for ax in axes:
        ax.axvline(first, color="0.5", linewidth=0.8)
    half = half_step(beta_2)
    widgets_core.note(top, f"sma_threshold = {sma_threshold:g}\nfirst rectified step: t = {first}")
    widgets_core.note(bottom, f"$r_t$ there: {theory.rectification(first, beta_2):.4f}\n$r_t$ reaches 1/2 at t = {half:,}")


def rectification_dashboard(static=None):
    """beta_2 and sma_threshold -> rho_t with the threshold, r_t against the untuned warmup (chapter 6)."""
    live = {
        "beta_2": widgets_core.choice_slider("beta_2", RECTIFICATION_BETAS, 0.999),
        "sma_threshold": widgets_core.choice_slider("sma_threshold", RECTIFICATION_THRESHOLDS, 5.0),
    }
    fixed = {
        "beta_2": frames.Choice("beta_2", tuple((f"{b:g}", b) for b in RECTIFICATION_BETAS),
                                RECTIFICATION_BETAS.index(0.999)),
        "sma_threshold": frames.Choice("sma_threshold", tuple((f"{s:g}", s) for s in RECTIFICATION_THRESHOLDS),
                                       RECTIFICATION_THRESHOLDS.index(5.0)),
    }
    layers = [frames.Layer(_rectification_background, ("beta_2",)),
              frames.Layer(_rectification_threshold, ("beta_2", "sma_threshold"))]
    return layered_dashboard(static, live, fixed, layers, (WIDTH, 5.6), colors=48, nrows=2, ncols=1, dpi=DPI)


# Chapter 7: the blog's schedule in epochs. --------------------------------------------------------------------

SCHEDULE_LR, SCHEDULE_MIN_LR, SCHEDULE_EPOCHS, TRAINING_IMAGES = 1e-3, 1e-5, 100, 50_000
SCHEDULE_TOTALS = (1000, 5000, 20_000, 39_100, 78_200, 100_000)
SCHEDULE_PROPORTIONS = (0.0, 0.1, 0.25, 0.5)
SCHEDULE_BATCHES = (32, 64, 128, 256)


def schedule_summary(total_steps, warmup_proportion, batch_size):
    """(steps per epoch, epoch at which total_steps ends, share of a 100-epoch run below lr / 2)."""
    steps_per_epoch = int(np.ceil(TRAINING_IMAGES / batch_size))
    t = np.arange(1, SCHEDULE_EPOCHS * steps_per_epoch + 1)
    lr_t = schedules.warmup_then_linear_decay(SCHEDULE_LR, total_steps, warmup_proportion, SCHEDULE_MIN_LR)(t)
    return steps_per_epoch, total_steps / steps_per_epoch, float(np.mean(lr_t < SCHEDULE_LR / 2))


def _schedule_background(ax):
    ax.axhline(SCHEDULE_LR, color=plotting.COLORS["Adam"], linewidth=1.5, label=f"Adam, lr = {SCHEDULE_LR:g}")
    ax.plot([], [], color=plotting.COLORS["RAdam"], linewidth=1.5, label="RAdam with the schedule")
    ax.set(yscale="log", ylim=(5e-6, 3e-3), xlim=(0, SCHEDULE_EPOCHS))
    plotting.finish(ax, "The blog's schedule over a 100-epoch run (min_lr = 1e-5)", "epoch", r"$\mathrm{lr}_t$",
                    legend=False)
    ax.legend(fontsize="small", loc="upper right")


def _schedule_curve(ax, total_steps, warmup_proportion, batch_size):
    steps_per_epoch, end, below = schedule_summary(total_steps, warmup_proportion, batch_size)
    t = np.arange(1, SCHEDULE_EPOCHS * steps_per_epoch + 1, max(1, steps_per_epoch // 40))
    lr_t = schedules.warmup_then_linear_decay(SCHEDULE_LR, total_steps, warmup_proportion, SCHEDULE_MIN_LR)(t)
    ax.plot(t / steps_per_epoch, lr_t, color=plotting.COLORS["RAdam"], linewidth=1.5)
    widgets_core.note(ax, f"{steps_per_epoch} steps per epoch\ntotal_steps = {total_steps:,} = epoch {end:.1f}\n"
          f"{below:.0%} of the run below lr/2", x=0.97, y=0.05)


def schedule_dashboard(static=None):
    """total_steps, warmup_proportion and batch size -> the blog's lr_t against epoch (chapter 7)."""
    live = {
        "total_steps": widgets_core.choice_slider("total_steps", SCHEDULE_TOTALS, 5000),
        "warmup_proportion": widgets_core.choice_slider("warmup_proportion", SCHEDULE_PROPORTIONS, 0.1),
        "batch_size": widgets_core.choice_slider("batch size", SCHEDULE_BATCHES, 64),
    }
    fixed = {
        "total_steps": frames.Choice("total_steps", tuple((f"{s:,}", s) for s in SCHEDULE_TOTALS),
                                     SCHEDULE_TOTALS.index(5000)),
        "warmup_proportion": frames.Choice("warmup_proportion", tuple((f"{p:g}", p) for p in SCHEDULE_PROPORTIONS),
                                           SCHEDULE_PROPORTIONS.index(0.1)),
        "batch_size": frames.Choice("batch size", tuple((str(b), b) for b in SCHEDULE_BATCHES),
                                    SCHEDULE_BATCHES.index(64)),
    }
    layers = [frames.Layer(_schedule_background),
              frames.Layer(_schedule_curve, ("total_steps", "warmup_proportion", "batch_size"))]
    return layered_dashboard(static, live, fixed, layers, (WIDTH, 3.6), colors=32, nrows=1, ncols=1, dpi=DPI)
