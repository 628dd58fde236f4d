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


# The palette: one colour per optimizer, distinct for every reader. ---------------------------------------------

_DEUTERANOPIA = np.array([  # Machado, Oliveira and Fernandes (2009), severity 1, on linear RGB
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.011820, 0.042940, 0.968881],
])


def _linear_rgb(color):
    c = np.array(matplotlib.colors.to_rgb(color))
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear):
    """CIELAB (D65) of a linear-RGB colour."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _difference(a, b, simulate=False):
    """Euclidean CIELAB difference (Delta E 1976), optionally as a deuteranope sees the two colours."""
    la, lb = _linear_rgb(a), _linear_rgb(b)
    if simulate:
        la, lb = np.clip(_DEUTERANOPIA @ la, 0, 1), np.clip(_DEUTERANOPIA @ lb, 0, 1)
    return float(np.linalg.norm(_lab(la) - _lab(lb)))


def test_palette_keeps_the_labels_and_gives_each_its_own_colour():
    assert set(COLORS) == {"SGD", "momentum", "AdaGrad", "RMSProp", "Adam", "Adam + warmup", "RAdam"}
    assert len({matplotlib.colors.to_hex(c) for c in COLORS.values()}) == len(COLORS)


def test_palette_colours_stay_apart_under_deuteranopia():
    import itertools

    for a, b in itertools.combinations(COLORS, 2):
        assert _difference(COLORS[a], COLORS[b]) > 20, (a, b)
        assert _difference(COLORS[a], COLORS[b], simulate=True) > 15, (a, b)
    # the three that chapters 5-9 draw together are far apart for everyone
    for a, b in itertools.combinations(("Adam", "Adam + warmup", "RAdam"), 2):
        assert _difference(COLORS[a], COLORS[b], simulate=True) > 40, (a, b)


def test_adam_and_adam_with_warmup_are_not_two_blues():
    hues = {label: matplotlib.colors.rgb_to_hsv(matplotlib.colors.to_rgb(COLORS[label]))[0] * 360
            for label in ("Adam", "Adam + warmup")}
    blue = [label for label, hue in hues.items() if 190 <= hue <= 250]
    assert blue == ["Adam"], hues
