"""radam.cifar10.figures and the CIFAR-10 figures of radam.plotting, on results of known numbers."""

import matplotlib
import numpy as np
import pytest

from radam import cifar10, plotting, schedules
from test_cifar10_results import synthetic_results

matplotlib.use("Agg")


def test_chapter_8_curves_count_the_complete_seeds_their_legend_names():
    from radam.cifar10 import figures

    results = synthetic_results()
    results.records = [r for r in results.records if not (r["arm"] == "adam" and r["seed"] == 2 and r["epoch"] > 2)]
    ax = figures.curves(results).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["adam (2 seeds)", "radam-blog (3 seeds)"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.105, 0.205, 0.305, 0.405])


def test_learning_curve_figure_shows_mean_and_band():
    fig = plotting.cifar10_curves(synthetic_results(), band="minmax")
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "validation accuracy"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["adam (3 seeds)", "radam-blog (3 seeds)"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.11, 0.21, 0.31, 0.41])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.1) and band.max() == pytest.approx(0.42)
    with pytest.raises(ValueError, match="band must be 'minmax' or 'std', got 'iqr'"):
        plotting.cifar10_curves(synthetic_results(), band="iqr")


def test_learning_rate_figure_follows_each_arms_schedule():
    fig = plotting.cifar10_overview(synthetic_results(), band="std", title="overview")
    ax = fig.axes[3]
    assert ax.get_xlabel() == "epoch" and ax.get_yscale() == "log"
    blog = ax.lines[1]
    epoch, lr = blog.get_xdata(), blog.get_ydata()
    np.testing.assert_allclose(lr, schedules.warmup_then_linear_decay(1e-3, 5000, 0.1, 1e-5)(epoch * 2000))
    assert epoch.max() == pytest.approx(4.0) and lr[-1] == pytest.approx(1e-5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["adam", "radam-blog"]


def test_the_sweep_figure_draws_mean_and_band_per_arm_on_a_log_axis():
    from radam.cifar10 import figures

    ends = {"adam": {1e-4: {0: 0.5, 1: 0.6}, 1e-2: {0: 0.1, 1: 0.1}}, "radam": {1e-4: {0: 0.4, 1: 0.5}}}
    ax = figures.sweep(ends, cifar10.NAMED_ARMS).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["adam (2+ seeds)", "radam (2+ seeds)", "chance (1 in 10)"]
    adam, radam = ax.lines[:2]
    np.testing.assert_allclose(adam.get_xdata(), [1e-4, 1e-2])
    np.testing.assert_allclose(adam.get_ydata(), [0.55, 0.1])
    np.testing.assert_allclose(radam.get_ydata(), [0.45])
    assert adam.get_color() == figures.arm_style(cifar10.NAMED_ARMS["adam"])["color"] != radam.get_color()
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.1) and band[:, 1].max() == pytest.approx(0.6)
    assert ax.get_xscale() == "log" and ax.get_xlabel() and ax.get_ylabel() == "validation endpoint"
    assert "endpoint" in ax.get_title()
    assert ax.lines[-1].get_ydata()[0] == pytest.approx(0.1)
    matplotlib.pyplot.close(ax.figure)


def test_the_verdict_figure_draws_each_seed_the_mean_and_its_interval_in_arm_as_colour():
    from radam.cifar10 import figures, stats

    first = stats.paired("radam", "adam", {0: 0.60, 1: 0.62, 2: 0.63}, {0: 0.58, 1: 0.60, 2: 0.64})
    second = stats.paired("adam-warmup", "adam", {0: 0.6, 1: 0.62}, {0: 0.5, 1: 0.55})
    ax = figures.verdicts([first, second], cifar10.NAMED_ARMS, xlabel="difference").axes[0]
    rows = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}
    assert rows == {"radam - adam": 1, "adam-warmup - adam": 0}  # the first on top
    dots = [line for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata())]
    np.testing.assert_allclose(dots[0].get_xdata(), [0.02, 0.02, -0.01])
    np.testing.assert_allclose(dots[1].get_xdata(), [0.1, 0.07])
    assert dots[0].get_color() == figures.arm_style(cifar10.NAMED_ARMS["radam"])["color"]
    assert dots[1].get_color() == figures.arm_style(cifar10.NAMED_ARMS["adam-warmup"])["color"]
    bar = ax.containers[0]  # the first row's error bar: from the interval's low to its high end
    segment = bar.lines[2][0].get_segments()[0]
    np.testing.assert_allclose(sorted(segment[:, 0]), first.interval)
    assert bar.lines[0].get_ydata()[0] == 1 and ax.containers[1].lines[0].get_ydata()[0] == 0
    assert ax.get_xlabel() == "difference" and ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["one seed", "mean, 95% interval"]
    matplotlib.pyplot.close(ax.figure)


def test_the_rate_figure_draws_a_line_per_comparison_with_its_intervals():
    from radam.cifar10 import figures, stats

    d = {lr: stats.paired("radam", "adam", {0: 0.5 + k, 1: 0.6 + k}, {0: 0.5, 1: 0.5}) for k, lr in
         enumerate([1e-4, 1e-3, 1e-2])}
    control = {1e-3: stats.paired("radam", "adam", {0: 0.5, 1: 0.5}, {0: 0.4, 1: 0.5})}
    ax = figures.paired_by_rate([("radam - adam", cifar10.NAMED_ARMS["radam"], d, "-"),
                                 ("radam - control", cifar10.NAMED_ARMS["radam"], control, "--"),
                                 ("empty", cifar10.NAMED_ARMS["adam"], {}, "-")]).axes[0]
    first, second = ax.containers
    np.testing.assert_allclose(first.lines[0].get_ydata(), [0.05, 1.05, 2.05])
    np.testing.assert_allclose(first.lines[0].get_xdata(), np.array([1e-4, 1e-3, 1e-2]) / 1.07)  # set apart
    np.testing.assert_allclose(second.lines[0].get_xdata(), [1e-3])
    low, high = sorted(first.lines[2][0].get_segments()[1][:, 1])
    assert (low, high) == pytest.approx(d[1e-3].interval)
    assert second.lines[0].get_linestyle() == "--"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["radam - adam", "radam - control"]
    assert ax.get_xscale() == "log" and ax.get_title() and ax.get_xlabel() == "base learning rate lr"
    matplotlib.pyplot.close(ax.figure)
