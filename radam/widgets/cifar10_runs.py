"""The playground's explorer of the book's committed CIFAR-10 runs: arm, learning rate and seed, chosen among the
runs saved in ``book/results`` (chapter 9 shows chapter 8's sweep of the rate), redrawn without a kernel.

The runs are grouped by base arm (the arm's name without the sweep's ``-lr...`` suffix, e.g. ``radam-lr0.003``
is ``radam`` at 3e-3), learning rate and seed. The explorer is a :class:`radam.frames.FrameDashboard`: every
setting of its controls is drawn when the cell runs, so the static HTML book switches pictures by itself. Left:
the validation accuracy of the chosen arm at the chosen rate (one seed, or the mean over seeds with a band from
the lowest to the highest seed), the other arms at that rate faint behind it. Right: the final validation
accuracy against the learning rate, one line per arm, the chosen point ringed. Colours are those of
chapter 8 (:func:`radam.cifar10.figures.arm_style`).
"""

import math
import re

import ipywidgets as widgets
import numpy as np

from radam import frames, plotting
from radam.cifar10.figures import arm_style
from radam.widgets.layered import layered_dashboard

MEAN = "mean"
"""The seed option that shows the mean over the seeds (and their lowest-to-highest band)."""
_SWEEP_SUFFIX = re.compile(r"-lr[0-9.eE+-]+$")


def base_name(arm_name):
    """An arm's name without the learning-rate sweep's suffix: "radam-lr0.003" -> "radam"."""
    return _SWEEP_SUFFIX.sub("", arm_name)


def committed_runs(results, arms, metric="val_accuracy"):
    """The runs of ``arms`` (base names) in ``results`` (a list of :class:`radam.cifar10.Results`), by rate and seed.

    Returns ``(runs, styles)``: runs maps (base name, learning rate, seed) to (epochs, values) of ``metric``;
    styles maps each base name to its line style (:func:`radam.cifar10.figures.arm_style`). Raises ValueError
    when an arm has no run, or when two runs of one base name and rate differ in another setting (a grid
    over arm, rate and seed would then hide that difference).
    """
    runs, styles, settings = {}, {}, {}
    for result in results:
        for arm in result.arms:
            base = base_name(arm.name)
            if base not in arms:
                continue
            other = {k: v for k, v in arm.config().items() if k not in ("name", "learning_rate")}
            if settings.setdefault((base, arm.learning_rate), other) != other:
                raise ValueError(f"the runs of {base!r} at learning_rate {arm.learning_rate:g} differ in other "
                                 f"settings ({settings[(base, arm.learning_rate)]} and {other})")
            by_seed = {}
            for record in result.records:
                if record["arm"] == arm.name:
                    value = math.nan if record[metric] is None else record[metric]  # None: the run diverged
                    by_seed.setdefault(record["seed"], {})[record["epoch"]] = value
            for seed, by_epoch in by_seed.items():
                if len(by_epoch) < result.settings["epochs"]:
                    continue  # a run still training
                epochs = np.arange(1, len(by_epoch) + 1)
                runs[(base, arm.learning_rate, seed)] = (epochs, np.array([by_epoch[e] for e in epochs]))
                styles.setdefault(base, arm_style(arm))
    missing = [arm for arm in arms if arm not in styles]
    if missing:
        raise ValueError(f"arms {missing} have no complete run in the results given")
    return runs, styles


def _live_widget(choice):
    """A live selection widget over a :class:`radam.frames.Choice`'s (label, value) options, its value the value."""
    kind = {"slider": widgets.SelectionSlider, "buttons": widgets.ToggleButtons, "dropdown": widgets.Dropdown}
    return kind[choice.kind](
        options=list(choice.options),
        value=choice.options[choice.index][1],
        description=choice.description,
        style={"description_width": "initial"},
    )


class CommittedRunsExplorer:
    """Controls over arm, learning rate and seed (or the mean over seeds), and the two panels of the module
    docstring, drawn for every setting (:class:`radam.frames.FrameDashboard`)."""

    def __init__(self, results, arms=("adam", "adam-warmup", "radam"), metric="val_accuracy", dpi=80, static=None):
        if isinstance(arms, str) or not arms:
            raise ValueError(f"arms must be a non-empty sequence of base arm names, got {arms!r}")
        self.arms, self.metric = tuple(arms), metric
        self.runs, self.styles = committed_runs(results, self.arms, metric)
        self.rates = sorted({rate for _, rate, _ in self.runs})
        self.seeds = sorted({seed for _, _, seed in self.runs})
        every = [seed for seed in self.seeds if all((a, r, seed) in self.runs for a in self.arms for r in self.rates)]
        if not every:
            raise ValueError(f"no seed was run for every arm {list(self.arms)} at every learning rate {self.rates}")
        controls = {
            "arm": frames.Choice("arm", tuple((a, a) for a in self.arms), kind="buttons"),
            "learning_rate": frames.Choice("learning rate", tuple((f"{r:g}", r) for r in self.rates),
                                           index=self.rates.index(1e-3) if 1e-3 in self.rates else 0),
            "seed": frames.Choice("seed", (("mean over seeds", MEAN),) + tuple((f"seed {s}", s) for s in every),
                                  kind="buttons"),
        }
        # the same choices as live widgets, for a kernel whose ipywidgets has no Stack (Colab's 7.7)
        live = {name: _live_widget(choice) for name, choice in controls.items()}
        layers = [frames.Layer(self._background), frames.Layer(self._runs, ("arm", "learning_rate", "seed"))]
        self.dashboard = layered_dashboard(
            static, live, controls, layers, (plotting.CONTENT_WIDTH, 3.6), colors=64, ncols=2, dpi=dpi
        )
        self.widget = self.dashboard.widget

    def seeds_at(self, arm, rate):
        """The seeds with a run of ``arm`` at ``rate``."""
        return [seed for seed in self.seeds if (arm, rate, seed) in self.runs]

    def curve(self, arm, rate, seed):
        """(epochs, values, low, high) of ``arm`` at ``rate``: one seed's curve (low = high = values), or over
        the seeds for ``seed`` = MEAN their mean and lowest and highest values."""
        seeds = self.seeds_at(arm, rate) if seed == MEAN else [seed]
        epochs = min((self.runs[(arm, rate, s)][0] for s in seeds), key=len)  # the epochs every seed has
        values = np.array([self.runs[(arm, rate, s)][1][:len(epochs)] for s in seeds])
        return epochs, values.mean(axis=0), values.min(axis=0), values.max(axis=0)

    def _background(self, axes):
        left, right = axes
        values = np.concatenate([v for _, v in self.runs.values()])
        epochs = max(len(e) for e, _ in self.runs.values())
        left.set(xlim=(0.5, epochs + 0.5), ylim=(0, min(1, np.nanmax(values) + 0.08)))
        right.set(xscale="log", xlim=(self.rates[0] / 1.6, self.rates[-1] * 1.6), ylim=left.get_ylim())
        label = self.metric.replace("val_", "validation ").replace("train_", "training ").replace("_", " ")
        plotting.finish(left, f"{label.capitalize()}, lr as chosen", "epoch", label, legend=False)
        plotting.finish(right, f"Final {label.split()[-1]} against lr", "learning rate", f"{label} at the last epoch",
                        legend=False)
        for ax in axes:
            ax.axhline(0.1, color="0.55", linewidth=0.8, linestyle="--")
        for arm in self.arms:  # the legend is the same in every picture: drawn once, with the background
            right.plot([], [], marker="o", markersize=4, label=arm, **self.styles[arm])
        right.plot([], [], color="0.55", linewidth=0.8, linestyle="--", label="chance (1 in 10)")
        right.legend(fontsize="x-small", loc="lower left")

    def _runs(self, axes, arm, learning_rate, seed):
        left, right = axes
        for other in self.arms:
            style = self.styles[other]
            if other != arm:
                left.plot(*self.curve(other, learning_rate, seed)[:2], linewidth=1, alpha=0.45, **style)
            finals = [self.curve(other, rate, seed)[1][-1] for rate in self.rates]
            right.plot(self.rates, finals, marker="o", markersize=4, linewidth=1.4 if other == arm else 0.9,
                       alpha=1 if other == arm else 0.45, **style)
        style = self.styles[arm]
        epochs, mean, low, high = self.curve(arm, learning_rate, seed)
        runs = len(self.seeds_at(arm, learning_rate)) if seed == MEAN else 1
        what = f"mean of {runs} seeds" if seed == MEAN else f"seed {seed}"
        left.plot(epochs, mean, linewidth=2, **style)
        if seed == MEAN:
            left.fill_between(epochs, low, high, color=style["color"], alpha=0.2, linewidth=0)
            what += "; band: lowest to highest seed"
        left.text(0.03, 0.97, f"{arm}, lr = {learning_rate:g}\n{what}", fontsize="small",
                  transform=left.transAxes, ha="left", va="top", color=style["color"],
                  bbox=dict(facecolor="white", alpha=0.85, edgecolor="none", pad=1.5))
        right.plot([learning_rate], [mean[-1]], marker="o", markersize=11, markerfacecolor="none",
                   markeredgewidth=1.5, linestyle="none", color=style["color"])

    def _ipython_display_(self):
        self.dashboard._ipython_display_()


def committed_runs_explorer(results, arms=("adam", "adam-warmup", "radam"), metric="val_accuracy", static=None):
    """The explorer of committed CIFAR-10 runs (a :class:`CommittedRunsExplorer`) over ``results``, a list of
    :class:`radam.cifar10.Results` (e.g. the book's sweep of the rate). ``static``: frames
    (True), live widgets (False) or, by default, frames where ipywidgets can show them."""
    return CommittedRunsExplorer(results, arms, metric, static=static)
