"""Interactive figures for the book: controls wired to one matplotlib figure that redraws in place.

The core is :class:`FigureDashboard` (built by :func:`interactive_figure`): a row of controls above an
``Image`` widget showing one persistent figure. Moving a control clears the figure, calls
``draw(axes, **values)`` with every control's current value, and replaces the image's PNG bytes. Only
``Image``, ``HBox``/``VBox``, three slider classes and ``observe`` are used, so it runs unchanged in
ipywidgets 7.7 (Google Colab) and 8.x. The figure is a ``matplotlib.figure.Figure`` outside pyplot: the
inline backend never shows a second copy, and nothing accumulates however often a slider moves.

Why an Image and not an Output with ``with output: display(...)``: no output is captured, so nothing
can stack up, and a notebook executor (nbclient, hence the book build) has no Output widget to emulate;
its emulation intermittently stalls a cell until the cell's timeout (jupyter/nbclient#312). In the static
HTML book no kernel runs, but the saved widget state holds the picture, so the page still shows it.
"""

import io
import math
from functools import lru_cache

import ipywidgets as widgets
import numpy as np
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image as PILImage

from radam import frames, plotting, problems, schedules, theory
from radam.numpy import SGD, AdaGrad, Adam, RAdam, RMSProp


def slider(description, value, min, max, step):
    """A FloatSlider that redraws when released (``continuous_update=False``), with a readable label."""
    return widgets.FloatSlider(
        value=value,
        min=min,
        max=max,
        step=step,
        description=description,
        continuous_update=False,
        readout_format=".3g",
        style={"description_width": "initial"},
    )


def log_slider(description, value, min, max, steps_per_decade=8):
    """A FloatLogSlider from ``min`` to ``max`` (positive numbers), ``steps_per_decade`` stops per factor 10."""
    if not 0 < min < max:
        raise ValueError(f"log_slider needs 0 < min < max, got min={min!r}, max={max!r}")
    if not min <= value <= max:
        raise ValueError(f"value must lie in [{min}, {max}], got {value!r}")
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=math.log10(min),
        max=math.log10(max),
        step=1 / steps_per_decade,
        description=description,
        continuous_update=False,
        readout_format=".3g",
        style={"description_width": "initial"},
    )


def choice_slider(description, options, value):
    """A SelectionSlider over a few chosen numbers (e.g. rho in 0.5 .. 0.999), redrawing when released."""
    options = list(options)
    if value not in options:
        raise ValueError(f"value must be one of the options {options}, got {value!r}")
    return widgets.SelectionSlider(
        options=options,
        value=value,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
    )


class FigureDashboard:
    """Controls above an image of one persistent figure that ``draw(axes, **values)`` redraws on every change.

    ``controls`` maps each keyword of ``draw`` to a widget with a ``value``; ``axes`` is what
    ``Figure.subplots(nrows, ncols)`` returns (one Axes, or an array of them). Display the dashboard
    as the last expression of a cell; ``redraw()`` draws again from the current values.
    """

    def __init__(self, draw, controls, nrows=1, ncols=1, figsize=(6.4, 4.2), dpi=100):
        if not controls:
            raise ValueError("controls must name at least one widget, got none")
        self.draw = draw
        self.controls = dict(controls)
        self.shape = (nrows, ncols)
        self.dpi = dpi
        self.figure = Figure(figsize=figsize, layout="constrained")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())), self.image])
        for control in self.controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()

    @property
    def values(self):
        """The controls' current values, by keyword."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self, change=None):
        """Clear the figure, draw it from the current values and show it in place of the previous picture."""
        self.figure.clear()
        self.draw(self.figure.subplots(*self.shape), **self.values)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        self.image.value = buffer.getvalue()

    def _ipython_display_(self):
        display(self.widget)


def interactive_figure(draw, controls, nrows=1, ncols=1, figsize=(6.4, 4.2)):
    """A :class:`FigureDashboard`: ``controls`` (keyword -> widget) wired to ``draw(axes, **values)``.

    Example::

        def draw(ax, lr):
            ax.plot(...)

        interactive_figure(draw, {"lr": log_slider("learning rate lr", 0.1, 1e-3, 1.0)})
    """
    return FigureDashboard(draw, controls, nrows=nrows, ncols=ncols, figsize=figsize)


# The playground (chapter 9): warmup and beta values. ------------------------------------------------------------
# Each figure is drawn in layers (a background, then layers over it). The live LayeredDashboard (any ipywidgets)
# redraws only the layers a move changes; radam.frames draws each layer over a grid of options in advance, so that the
# same dashboard keeps responding in the static HTML book, where no kernel runs. ``static=None`` picks frames
# where ipywidgets has Stack (version 8) and the live figure elsewhere (Colab's ipywidgets 7.7).


def _use_frames(static):
    if static is None:
        return frames.available()
    if not isinstance(static, bool):
        raise ValueError(f"static must be True, False or None, got {static!r}")
    return static


class LayeredDashboard(FigureDashboard):
    """A live FigureDashboard for a figure drawn in layers (:class:`radam.frames.Layer`): a move redraws what it changes.

    The layout is computed at the first drawing and kept. The background is drawn and rendered only when one of
    its controls moves; otherwise its saved pixels are restored and only the layers are drawn over them (blitting),
    which keeps a slider move fast.
    """

    def __init__(self, layers, controls, nrows=1, ncols=1, figsize=(6.4, 4.2), dpi=80):
        self.layers = list(layers)
        self.axes, self._background, self._drawn = None, None, []  # _background: (its controls' values, pixels)
        super().__init__(frames.draw_layers(self.layers), controls, nrows=nrows, ncols=ncols, figsize=figsize, dpi=dpi)
        self.widget.children[0].layout.flex_flow = "row wrap"

    def _draw_background(self, values):
        """Draw the background afresh: its old artists go, the axes (and their ticks) stay, laid out once."""
        background = self.layers[0]
        own = {name: values[name] for name in background.controls}
        if self.axes is None:  # the first drawing lays the figure out
            FigureCanvasAgg(self.figure)
            self.figure.set_dpi(self.dpi)
            self.axes = self.figure.subplots(*self.shape)
            self._drawn = frames.added_artists(self.figure, lambda: background.draw(self.axes, **own))
            self.figure.canvas.draw()
            self.figure.set_layout_engine("none")
        else:
            for artist in self._drawn:
                artist.remove()
            for ax in self.figure.axes:
                ax.relim()
                ax.set_autoscale_on(True)
            self._drawn = frames.added_artists(self.figure, lambda: background.draw(self.axes, **own))
        for ax in self.figure.axes:
            ax.autoscale_view()
            ax.set_autoscale_on(False)  # the layers keep the background's limits
        self.figure.canvas.draw()

    def redraw(self, change=None):
        """Restore (or draw) the background, draw the shown layers over it and show the picture."""
        values, canvas = self.values, self.figure.canvas
        key = tuple(values[name] for name in self.layers[0].controls)
        if self._background is None or self._background[0] != key:
            self._draw_background(values)
            self._background = (key, self.figure.canvas.copy_from_bbox(self.figure.bbox))
            canvas = self.figure.canvas
        else:
            canvas.restore_region(self._background[1])
        for layer in self.layers[1:]:
            if layer.shown_by and not layer.shown_by[1](values[layer.shown_by[0]]):
                continue
            own = {name: values[name] for name in layer.controls}
            for artist in frames.added_artists(self.figure, lambda: layer.draw(self.axes, **own)):
                self.figure.draw_artist(artist)
                artist.remove()
        width, height = canvas.get_width_height(physical=True)
        picture = PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        picture.convert("RGB").save(buffer, format="png", compress_level=1)
        self.image.value = buffer.getvalue()


def _dashboard(static, live_controls, static_controls, layers, figsize, colors=64):
    """A FrameDashboard over ``static_controls`` or a live LayeredDashboard over ``live_controls`` (two panels)."""
    if _use_frames(static):
        return frames.FrameDashboard(static_controls, layers, ncols=2, figsize=figsize, dpi=80, colors=colors)
    return LayeredDashboard(layers, live_controls, ncols=2, figsize=figsize, dpi=80)


def _beta_2_choice(betas, index):
    """Options over 1 - beta_2 (the keyword ``one_minus_beta_2``), labelled by beta_2: even steps on a log scale."""
    return frames.Choice("beta_2", tuple((f"{b:g}", round(1.0 - b, 12)) for b in betas), index=index)


def _note(ax, text):
    ax.text(0.97, 0.05, text, transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.8"))


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
        _note(left, "$\\rho_t$ never reaches sma_threshold:\nRAdam never takes an adaptive step")
        return
    first = theory.first_adaptive_step(beta_2, sma_threshold)
    left.axvline(first, color=plotting.COLORS["RAdam"], linewidth=1)
    _note(left, f"sma_threshold = {sma_threshold:g}\nfirst adaptive step: t = {first}")
    t = _log_steps(beta_2)
    warmup = theory.matching_linear_warmup(beta_2, sma_threshold)
    right.plot(t, theory.radam_multiplier(t, beta_2, sma_threshold), color=plotting.COLORS["RAdam"], linewidth=2)
    right.plot(t, np.minimum(1.0, t / warmup), color=plotting.COLORS["Adam + warmup"], linestyle=":", linewidth=2)
    _note(right, f"best linear warmup: {warmup} steps\n= {warmup * (1 - beta_2):.2f} / (1 - beta_2)")


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
    return _dashboard(static, live, fixed, layers, figsize=(10, 3.9))


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
    return _dashboard(static, live, fixed, layers, figsize=(9, 3.8), colors=32)


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
    _note(right, f"linear warmup over {warmup_steps:.4g} steps")


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
    if not _use_frames(static):  # the Monte Carlo of every beta_2 on the slider, once, so a move only redraws
        for position in range(-12, -3):
            _variance_curves(10 ** (position / 4))
    layers = [
        frames.Layer(_variance_background, ("one_minus_beta_2",)),
        frames.Layer(_variance_warmup, ("one_minus_beta_2", "warmup_steps")),
    ]
    return _dashboard(static, live, fixed, layers, figsize=(10, 3.9))


# 4. CIFAR-10 mini-experiment: RAdam and the blog's schedule against Adam on a slice, at the press of a button.


class CIFAR10Experiment:
    """RAdam's settings, a Run button, a progress bar, and curves against the Adam baseline (not live).

    Moving a control redraws only the schedules (right panel: lr_t, and lr_t r_t for RAdam). Run trains the
    blog's CNN (:func:`radam.cifar10.run_experiment`) with Adam at its defaults and with RAdam at the chosen
    settings, on the first ``train_images`` training and ``test_images`` test images, and redraws the
    validation accuracy after every epoch. TensorFlow is imported at the first Run, not before.
    """

    def __init__(self, data=None, train_images=2048, test_images=512, batch_size=64, seed=0):
        for name, value in (("train_images", train_images), ("test_images", test_images), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        self.data, self.seed = data, seed
        self.train_images, self.test_images, self.batch_size = train_images, test_images, batch_size
        self.steps_per_epoch = -(-train_images // batch_size)
        self.controls = {
            "warmup_proportion": slider("warmup_proportion", 0.1, 0.0, 0.5, 0.05),
            "beta_1": slider("beta_1", 0.9, 0.5, 0.99, 0.01),
            "one_minus_beta_2": log_slider("1 - beta_2", 1e-3, 1e-4, 1e-1),
            "min_lr": log_slider("min_lr", 1e-5, 1e-7, 1e-3),
            "total_steps": widgets.IntSlider(value=3 * self.steps_per_epoch, min=0, max=2000, step=1,
                                             description="total_steps", continuous_update=False),
            "epochs": widgets.IntSlider(value=3, min=1, max=20, description="epochs", continuous_update=False),
        }
        self.button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=1)
        self.status = widgets.Label("Not trained yet: press Run.")
        self.figure = Figure(figsize=(10, 3.6), layout="constrained")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.records, self.results = [], None
        for control in self.controls.values():
            control.observe(self.redraw, names="value")
        self.button.on_click(self.run)
        row = widgets.HBox(list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox([row, widgets.HBox([self.button, self.progress, self.status]), self.image])
        self.redraw()

    @property
    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def radam_settings(self):
        """RAdam's keyword arguments from the controls (learning_rate stays at the blog's 1e-3)."""
        v = self.values
        return dict(beta_1=v["beta_1"], beta_2=1.0 - v["one_minus_beta_2"], total_steps=v["total_steps"],
                    warmup_proportion=v["warmup_proportion"], min_lr=v["min_lr"])

    def redraw(self, change=None):
        """Validation accuracy of the epochs trained so far (left), the two schedules (right), in place."""
        self.figure.clear()
        left, right = self.figure.subplots(1, 2)
        epochs = self.values["epochs"]
        for label in ("Adam", "RAdam"):
            done = [r for r in self.records if r["arm"] == label]
            if done:
                left.plot([r["epoch"] for r in done], [r["val_accuracy"] for r in done], "-o",
                          color=plotting.color_for(label), label=label)
        if not self.records:
            left.text(0.5, 0.5, "press Run to train", transform=left.transAxes, ha="center", color="0.4")
        left.set_xlim(0.5, epochs + 0.5)
        plotting.finish(left, f"Validation accuracy ({self.test_images} test images)", "epoch", "validation accuracy")
        settings = self.radam_settings()
        t = np.arange(1, epochs * self.steps_per_epoch + 1)
        lr_t = np.full(len(t), 1e-3)
        if settings["total_steps"]:
            lr_t = schedules.warmup_then_linear_decay(1e-3, settings["total_steps"], settings["warmup_proportion"],
                                                      settings["min_lr"])(t)
        right.plot(t / self.steps_per_epoch, np.full(len(t), 1e-3), color=plotting.color_for("Adam"), label="Adam: $lr$")
        right.plot(t / self.steps_per_epoch, lr_t, color=plotting.color_for("RAdam"), label="RAdam: $lr_t$")
        right.plot(t / self.steps_per_epoch, lr_t * theory.radam_multiplier(t, settings["beta_2"]), linestyle="--",
                   color=plotting.color_for("RAdam"), label="RAdam: $lr_t\\, r_t$")
        right.set_yscale("log")
        right.set_ylim(max(1e-7, settings["min_lr"] / 3), 3e-3)
        plotting.finish(right, f"Schedules ({self.steps_per_epoch} steps per epoch)", "epoch", "learning rate")
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=80)
        self.image.value = buffer.getvalue()

    def run(self, button=None):
        """Train both arms for the chosen epochs, updating the progress bar and the curves after every epoch."""
        from radam import cifar10  # imports TensorFlow

        epochs = self.values["epochs"]
        arms = [cifar10.Arm("Adam"), cifar10.Arm("RAdam", "radam", **self.radam_settings())]
        self.button.disabled = True
        self.records, self.results = [], None
        self.progress.value, self.progress.max = 0, len(arms) * epochs
        try:
            if self.data is None:
                self.status.value = "loading CIFAR-10 ..."
                self.data = cifar10.load_cifar10()
            self.status.value = f"training Adam, then RAdam, {epochs} epochs each ..."
            self.results = cifar10.run_experiment(
                arms, epochs, seeds=(self.seed,), data=self.data, train_limit=self.train_images,
                test_limit=self.test_images, batch_size=self.batch_size, progress=False, on_epoch_end=self._epoch_done,
            )
        finally:
            self.button.disabled = False
        final = {r["arm"]: r["val_accuracy"] for r in self.records if r["epoch"] == epochs}
        self.status.value = "done: " + ", ".join(f"{arm} {accuracy:.3f}" for arm, accuracy in final.items())

    def _epoch_done(self, record):
        self.records.append(record)
        self.progress.value += 1
        self.status.value = f"{record['arm']}: epoch {record['epoch']}, validation accuracy {record['val_accuracy']:.3f}"
        self.redraw()

    def _ipython_display_(self):
        display(self.widget)


def cifar10_experiment(data=None, train_images=2048, test_images=512, batch_size=64, seed=0):
    """The CIFAR-10 mini-experiment of the playground (a :class:`CIFAR10Experiment`); needs a kernel to train."""
    return CIFAR10Experiment(data, train_images, test_images, batch_size, seed)
