"""radam.widgets.layered: a figure drawn in layers, redrawn live layer by layer, or as frames where Stack exists."""

import io

import ipywidgets
import numpy as np
import pytest
from PIL import Image

from radam import frames
from radam.widgets import FigureDashboard, LayeredDashboard, layered_dashboard, slider, use_frames


def background(axes, scale):
    left, right = axes
    for ax in (left, right):
        ax.plot([0, 10], [-scale, scale], color="black")
        ax.set_title(f"scale {scale:g}")


def wave(axes, scale, shift):
    x = np.linspace(0, 10, 40)
    axes[0].plot(x, scale * np.sin(x + shift), color="tab:red")


def marker(axes, shift):
    axes[1].plot([shift], [0], marker="o", color="tab:blue")


LAYERS = [
    frames.Layer(background, ("scale",)),
    frames.Layer(wave, ("scale", "shift")),
    frames.Layer(marker, ("shift",), shown_by=("show", bool)),
]


def live_controls():
    return {"scale": slider("scale", 1.0, 0.5, 2.0, 0.5), "shift": slider("shift", 0.0, 0.0, 3.0, 1.0),
            "show": ipywidgets.Checkbox(value=True, description="show")}


def fixed_controls():
    return {"scale": frames.Choice("scale", (("1", 1.0), ("2", 2.0))),
            "shift": frames.Choice("shift", (("0", 0.0), ("1", 1.0))),
            "show": frames.Choice("show", (("yes", True), ("no", False)), kind="buttons")}


def pixels(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def test_a_move_redraws_only_what_changes_yet_matches_a_fresh_drawing():
    dashboard = LayeredDashboard(LAYERS, live_controls(), ncols=2, figsize=(6, 2.5))
    assert isinstance(dashboard, FigureDashboard)
    background_pixels = dashboard._background[1]
    for name, value in (("shift", 2.0), ("show", False), ("shift", 1.0)):  # the background stays
        before = dashboard.image.value
        dashboard.controls[name].value = value
        assert dashboard.image.value != before
        assert dashboard._background[1] is background_pixels
    dashboard.controls["scale"].value = 2.0  # the background is drawn again
    assert dashboard._background[1] is not background_pixels
    fresh = LayeredDashboard(LAYERS, live_controls(), ncols=2, figsize=(6, 2.5))
    for name, value in (("shift", 1.0), ("show", False), ("scale", 2.0)):
        fresh.controls[name].value = value
    np.testing.assert_array_equal(pixels(dashboard.image.value), pixels(fresh.image.value))


def test_use_frames_checks_static_and_follows_ipywidgets(monkeypatch):
    assert use_frames(True) is True and use_frames(False) is False
    assert use_frames(None) is frames.available()
    with pytest.raises(ValueError, match="static must be True, False or None, got 1"):
        use_frames(1)
    monkeypatch.setattr(frames, "available", lambda: False)
    assert use_frames(None) is False


def test_without_stack_layered_dashboard_is_live(monkeypatch):
    """The fallback of ipywidgets 7 (Colab), simulated: static=None gives the live dashboard on the live controls."""
    monkeypatch.setattr(frames, "available", lambda: False)
    dashboard = layered_dashboard(None, live_controls(), fixed_controls(), LAYERS, figsize=(6, 2.5))
    assert isinstance(dashboard, LayeredDashboard) and dashboard.shape == (1, 2) and dashboard.dpi == 80
    assert isinstance(dashboard.controls["scale"], ipywidgets.FloatSlider)
    assert dashboard.widget.children[0].layout.flex_flow == "row wrap"


@pytest.mark.skipif(not frames.available(), reason=f"ipywidgets {ipywidgets.__version__} has no Stack: no frames")
def test_with_stack_layered_dashboard_draws_frames_of_the_same_figure():
    static = layered_dashboard(None, live_controls(), fixed_controls(), LAYERS, figsize=(6, 2.5))
    assert isinstance(static, frames.FrameDashboard)
    assert [len(layer) for layer in static.pictures] == [2, 2 * 2, 2 * 2]  # each over the background's control too
    live = layered_dashboard(False, live_controls(), fixed_controls(), LAYERS, figsize=(6, 2.5))
    layers = [Image.open(io.BytesIO(p)).convert("RGBA") for p in static.picture()]
    for layer in layers[1:]:
        layers[0].alpha_composite(layer)
    difference = np.abs(np.asarray(layers[0].convert("RGB"), dtype=float) - pixels(live.image.value))
    assert difference.shape[:2] == (200, 480) and difference.mean() < 3.0
