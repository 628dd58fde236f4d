"""radam.plotting.seed_curves and psi_variance: the lines they draw carry the data they were given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from radam import theory
from radam.mlp import TrainingRun
from radam.plotting import COLORS, psi_variance, seed_curves


def fake_run(offset, steps=5):
    recorded = np.array([0, 2, 5])
    return TrainingRun(recorded, recorded + offset, recorded * 0.1, recorded * 0.0, np.arange(steps) + offset,
                       np.ones(steps), model=None)


def test_seed_curves_one_line_per_seed_one_legend_entry_per_label():
    runs = {"Adam": [fake_run(0), fake_run(1)], "RAdam": [fake_run(2)]}
    fig = seed_curves(runs, "loss", title="t", ylabel="y")
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0, 2, 5])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1, 3, 6])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Adam (2 seeds)", "RAdam (1 seed)"]
    assert ax.lines[2].get_color() == COLORS["RAdam"]
    assert ax.get_title() == "t" and ax.get_ylabel() == "y" and ax.get_xlabel()
    plt.close(fig)


def test_seed_curves_per_step_metrics_start_at_step_1():
    fig = seed_curves({"Adam": [fake_run(0)]}, "batch_loss", logy=True)
    line = fig.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4, 5])
    assert fig.axes[0].get_yscale() == "log"
    plt.close(fig)


def test_seed_curves_unknown_metric():
    with pytest.raises(AttributeError):
        seed_curves({"Adam": [fake_run(0)]}, "gradient_norm")


def test_psi_variance_draws_the_estimate_and_the_approximation():
    fig = psi_variance(beta_2=0.99, steps=50, samples=2000, show_rectified=True)
    ax = fig.axes[0]
    estimate, approx, rectified, rectified_approx = ax.lines[:4]
    np.testing.assert_allclose(estimate.get_ydata(), theory.adaptive_lr_variance(50, 0.99, samples=2000))
    np.testing.assert_allclose(approx.get_ydata(), theory.adaptive_lr_variance_approx(np.arange(1, 51), 0.99))
    np.testing.assert_allclose(rectified.get_ydata(),
                               theory.adaptive_lr_variance(50, 0.99, samples=2000, rectified=True))
    assert np.all(np.isnan(rectified_approx.get_ydata()[:4]))  # rho_t <= 4 at t = 1 .. 4
    assert ax.get_xscale() == ax.get_yscale() == "log" and ax.get_legend() is not None
    plt.close(fig)
