"""radam.transformer.figures: held-out accuracy and first updates, one colour and line style per arm."""

import numpy as np
import pytest
from matplotlib.colors import to_hex

from radam import plotting
from radam.transformer import figures, results


def fake_content():
    content = results.new({"vocab": 16, "beta_2": 0.98}, {})
    for seed in (0, 1):
        for k, arm in enumerate(figures.STYLE):
            content["runs"].append({"arm": arm, "seed": seed, "eval_step": [20, 40, 60],
                                    "eval_accuracy": [0.1 * k, 0.1 * k + seed / 10, 0.2],
                                    "update_rms": list(np.linspace(1.0, 0.1, 300) / (k + 1))})
    return content


def test_every_arm_has_its_own_colour_and_the_optimizers_keep_theirs():
    colours = [style["color"] for style in figures.STYLE.values()]
    assert len(set(colours)) == len(colours)
    for arm in ("Adam", "Adam + warmup", "RAdam"):
        assert figures.STYLE[arm]["color"] == plotting.COLORS[arm]


def test_the_figure_draws_means_bands_lines_and_labels():
    fig = figures.figure(fake_content())
    top, bottom = fig.axes
    assert fig.get_size_inches()[0] == pytest.approx(plotting.CONTENT_WIDTH)
    labels = [text.get_text() for text in top.get_legend().get_texts()]
    assert labels[:6] == [f"{arm} (2 seeds)" for arm in figures.STYLE] and labels[6:] == ["failure line", "chance"]
    adam = top.lines[0]
    np.testing.assert_allclose(adam.get_ydata(), [0.0, 0.05, 0.2])
    assert to_hex(adam.get_color()) == plotting.COLORS["Adam"].lower()
    assert top.lines[-2].get_ydata()[0] == pytest.approx(0.53125) and top.lines[-1].get_ydata()[0] == 0.0625
    assert len(top.collections) == 6  # a band per arm
    assert len(bottom.lines[0].get_xdata()) == 200  # twice the warmup of 2 / (1 - 0.98) steps
    assert bottom.get_legend() is None and to_hex(bottom.lines[0].get_color()) == plotting.COLORS["Adam"].lower()
    for ax in (top, bottom):
        assert ax.get_title() and ax.get_xlabel() == "step" and ax.get_ylabel()
