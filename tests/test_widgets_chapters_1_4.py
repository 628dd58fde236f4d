"""The dashboards of chapters 1-4 (radam.widgets.chapters_1_4): frames that match the live figure, and the fallback."""

import io
import itertools
import json
import re
from pathlib import Path

import ipywidgets
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from radam import frames
from radam.widgets import chapters_1_4 as chapter_widgets  # noqa: E402
from radam.widgets import LayeredDashboard  # noqa: E402

BUILDERS = {
    "gradient_descent_lr": {"lr": chapter_widgets.GRADIENT_DESCENT_RATES},
    "adagrad_lr": {"lr": chapter_widgets.ADAGRAD_RATES},
    "rmsprop_rho": {"rho": chapter_widgets.RMSPROP_RHOS},
    "adam_betas": {"beta_1": chapter_widgets.ADAM_BETA_1S, "beta_2": chapter_widgets.ADAM_BETA_2S},
}


def pixels(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


def composed(pictures):
    """The pictures a frame dashboard shows, laid over each other as the page lays them."""
    image = Image.open(io.BytesIO(pictures[0])).convert("RGBA")
    for picture in pictures[1:]:
        image.alpha_composite(Image.open(io.BytesIO(picture)).convert("RGBA"))
    return np.asarray(image.convert("RGB"), dtype=float)


def different(one, other):
    """The share of pixels that differ clearly (the frames have a palette of 64 colours, the drawing more)."""
    return (np.abs(one - other).max(axis=2) > 60).mean()


def drawn(layers, values):
    """The whole figure drawn at once for ``values``, as a live dashboard (or a plain cell) would draw it."""
    figure = Figure(figsize=chapter_widgets.FIGSIZE, layout="constrained")
    frames.draw_layers(layers)(figure.subplots(1, 2), **values)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=chapter_widgets.DPI)
    return pixels(buffer.getvalue())


needs_stack = pytest.mark.skipif(
    not frames.available(),
    reason=f"ipywidgets {ipywidgets.__version__} has no Stack, so no frame dashboard can exist here; "
    "test_without_stack_the_dashboard_is_live_and_redraws tests what such a kernel shows instead",
)


@pytest.fixture(scope="module", params=list(BUILDERS))
def frame_dashboard(request):
    return request.param, getattr(chapter_widgets, request.param)(static=True)


@needs_stack
def test_the_sliders_offer_the_chapters_values(frame_dashboard):
    name, dashboard = frame_dashboard
    assert isinstance(dashboard, frames.FrameDashboard)
    assert {key: tuple(choice.values) for key, choice in dashboard.controls.items()} == BUILDERS[name]
    for choice in dashboard.controls.values():
        assert 4 <= len(choice.options) <= 16
    assert dashboard.nbytes < 400_000, f"{name}: {dashboard.nbytes} bytes of pictures"


@needs_stack
def test_each_frame_is_the_figure_drawn_for_its_slider_values(frame_dashboard):
    """The frame shown at a slider position matches the whole figure drawn for those values, and no other frame."""
    name, dashboard = frame_dashboard
    keys = list(dashboard.controls)
    grid = list(itertools.product(*(range(len(dashboard.controls[key].options)) for key in keys)))
    shown = [composed(dashboard.picture(**dict(zip(keys, indices)))) for indices in grid]
    default = tuple(dashboard.controls[key].index for key in keys)
    ends = {default[:k] + (i,) + default[k + 1:] for k, key in enumerate(keys)
            for i in (0, len(dashboard.controls[key].options) - 1)}  # each slider at both ends, the others at default
    for indices in sorted(ends | {default}):
        values = {key: dashboard.controls[key].options[i][1] for key, i in zip(keys, indices)}
        direct = drawn(dashboard.layers, values)
        assert direct.shape == shown[0].shape
        distances = [different(direct, other) for other in shown]
        assert int(np.argmin(distances)) == grid.index(indices), f"{name} at {values}: closer to another frame"
        assert distances[grid.index(indices)] < 0.001, f"{name} at {values}: {distances[grid.index(indices)]:.4f}"


@needs_stack
def test_frames_differ_from_one_slider_value_to_the_next(frame_dashboard):
    name, dashboard = frame_dashboard
    for key, choice in dashboard.controls.items():
        layers = {tuple(dashboard.picture(**{key: i})[1:]) for i in range(len(choice.options))}
        assert len(layers) == len(choice.options), f"{name}: two values of {key} show the same picture"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_without_stack_the_dashboard_is_live_and_redraws(name, monkeypatch):
    """ipywidgets 7 (Colab) has no Stack: the dashboard falls back to a kernel-driven figure."""
    monkeypatch.delattr(ipywidgets, "Stack", raising=False)
    assert not frames.available()
    dashboard = getattr(chapter_widgets, name)()
    assert isinstance(dashboard, LayeredDashboard)
    first = dashboard.image.value
    for key, control in dashboard.controls.items():
        options = list(getattr(control, "options", ()))
        before = dashboard.image.value
        if options:
            control.value = options[0] if control.value != options[0] else options[-1]
        else:
            control.value = control.min if control.value != control.min else control.max
        assert dashboard.image.value != before, f"{name}: moving {key} must redraw"
    assert dashboard.image.value != first


def test_the_default_is_frames_with_stack_and_the_live_figure_without():
    """static=None picks what the kernel can show: frames with ipywidgets 8, the live figure with 7 (Colab)."""
    default = chapter_widgets.rmsprop_rho()
    assert isinstance(default, frames.FrameDashboard if frames.available() else LayeredDashboard)
    assert isinstance(chapter_widgets.rmsprop_rho(static=False), LayeredDashboard)
    with pytest.raises(ValueError, match="static"):
        chapter_widgets.rmsprop_rho(static="yes")


CHAPTERS = {
    "01_gradient_descent": "gradient_descent_lr",
    "02_adagrad": "adagrad_lr",
    "03_rmsprop": "rmsprop_rho",
    "04_adam": "adam_betas",
}
BOOK = Path(__file__).resolve().parents[1] / "book"


def code_cells(stem):
    cells = json.loads((BOOK / f"{stem}.ipynb").read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


@pytest.mark.parametrize("stem", list(CHAPTERS))
def test_chapters_show_their_dashboard_and_no_kernel_only_figure(stem):
    """interactive_figure redraws only with a kernel: in the static book its sliders would be dead."""
    code = "\n".join(code_cells(stem))
    assert "interactive_figure" not in code and "FigureDashboard" not in code, f"{stem}: a kernel-only dashboard"
    assert re.search(rf"^{CHAPTERS[stem]}\(\)$", code, re.M), f"{stem} must display {CHAPTERS[stem]}()"


@pytest.mark.parametrize("stem", list(CHAPTERS))
def test_code_lines_fit_the_page(stem):
    """At most 88 characters a line (the shared set-up cell, the first, is the same in every chapter)."""
    for source in code_cells(stem)[1:]:
        for line in source.splitlines():
            assert len(line) <= 88, f"{stem}: {len(line)} characters: {line}"
