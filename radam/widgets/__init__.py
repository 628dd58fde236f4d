"""Interactive figures for the book, one idea per module.

- :mod:`radam.widgets.core`: the live-figure core. Controls (:func:`slider`, :func:`log_slider`,
  :func:`choice_slider`) wired to one persistent matplotlib figure that redraws in place
  (:class:`FigureDashboard`, :func:`interactive_figure`); ipywidgets 7.7 (Colab) and 8.
- :mod:`radam.widgets.layered`: figures drawn in layers, redrawn live layer by layer
  (:class:`LayeredDashboard`) or drawn in advance as frames by :mod:`radam.frames` (the static-HTML frames
  mechanism) where ipywidgets has ``Stack``; :func:`~radam.widgets.layered.layered_dashboard` picks.
- :mod:`radam.widgets.explorers`: the playground's explorers (chapter 9): :func:`rectification_explorer`,
  :func:`optimizer_race`, :func:`variance_explorer`.
- :mod:`radam.widgets.cifar10_app`: the playground's CIFAR-10 mini-experiment (:func:`cifar10_experiment`), on
  the same core; it shows committed results until Run trains live.
- :mod:`radam.widgets.chapters_1_4` and :mod:`radam.widgets.chapters_5_7`: the dashboards of the chapters,
  frames in the static book, live layered figures without ``Stack``.
"""

from radam.widgets.cifar10_app import CIFAR10Experiment, cifar10_experiment
from radam.widgets.core import FigureDashboard, choice_slider, interactive_figure, log_slider, slider
from radam.widgets.explorers import (
    RACE_FUNCTIONS,
    RACE_GROUPS,
    RACE_OPTIMIZERS,
    RACE_STEPS,
    VARIANCE_SAMPLES,
    optimizer_race,
    race_optimizer,
    rectification_explorer,
    variance_explorer,
)
from radam.widgets.layered import LayeredDashboard, layered_dashboard, use_frames

__all__ = [
    "CIFAR10Experiment",
    "FigureDashboard",
    "LayeredDashboard",
    "RACE_FUNCTIONS",
    "RACE_GROUPS",
    "RACE_OPTIMIZERS",
    "RACE_STEPS",
    "VARIANCE_SAMPLES",
    "choice_slider",
    "cifar10_experiment",
    "interactive_figure",
    "layered_dashboard",
    "log_slider",
    "optimizer_race",
    "race_optimizer",
    "rectification_explorer",
    "slider",
    "use_frames",
    "variance_explorer",
]
