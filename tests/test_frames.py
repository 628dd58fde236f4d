"""radam.frames: pictures drawn in advance, layered, switched by Stacks that jslink ties to the controls."""

import io
import itertools

import ipywidgets as widgets
import nbformat
import numpy as np
import pytest
from matplotlib.figure import Figure
from nbclient import NotebookClient
from PIL import Image

from radam import frames
from radam.frames import Choice, FrameDashboard, Layer

needs_stack = pytest.mark.skipif(
    not frames.available(),
    reason=f"ipywidgets {widgets.__version__} has no Stack, so no FrameDashboard can exist here; "
    "test_without_stack_frame_dashboards_refuse_clearly and the live-fallback tests cover this case",
)


def draw_axes(ax, scale):
    ax.set(xlim=(0, 10), ylim=(-3, 3), title=f"scale {scale}", xlabel="t", ylabel="y")
    ax.plot(np.linspace(0, 10, 50), scale * np.sin(np.linspace(0, 10, 50)), color="black")


def draw_wave(ax, scale, shift):
    ax.plot(np.linspace(0, 10, 50), scale * np.cos(np.linspace(0, 10, 50) + shift), color="tab:red", linewidth=2)


def draw_marker(ax, shift):
    ax.plot([shift * 3], [0], marker="o", markersize=12, color="tab:blue")


def draw_nothing(ax, shift):
    if shift > 0:
        ax.axvline(shift, color="tab:green")


CONTROLS = {
    "scale": Choice("scale", (("1", 1.0), ("2", 2.0))),
    "shift": Choice("shift", (("0", 0.0), ("1", 1.0), ("2", 2.0)), index=1, kind="buttons"),
    "show": Choice("show", (("yes", True), ("no", False)), kind="dropdown"),
}


@pytest.fixture(scope="module")
def dashboard():
    layers = [
        Layer(draw_axes, ("scale",)),
        Layer(draw_wave, ("scale", "shift")),
        Layer(draw_marker, ("shift",), shown_by=("show", bool)),
        Layer(draw_nothing, ("shift",)),
    ]
    return FrameDashboard(CONTROLS, layers, figsize=(4, 3), dpi=60, image_format="png")


def decode(picture):
    return Image.open(io.BytesIO(picture)).convert("RGBA")


def composite(pictures):
    out = decode(pictures[0])
    for picture in pictures[1:]:
        out.alpha_composite(decode(picture))
    return np.asarray(out.convert("RGB"), dtype=float)


def direct(scale, shift, show):
    """The same figure drawn whole, the usual way, as the reference."""
    figure = Figure(figsize=(4, 3), layout="constrained")
    ax = figure.subplots()
    draw_axes(ax, scale)
    draw_wave(ax, scale, shift)
    if show:
        draw_marker(ax, shift)
    draw_nothing(ax, shift)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    return np.asarray(Image.open(buffer).convert("RGB"), dtype=float)


@needs_stack
def test_layers_laid_over_the_background_match_the_figure_drawn_whole(dashboard):
    for scale, shift, show in itertools.product(range(2), range(3), range(2)):
        values = {name: CONTROLS[name].options[i][1] for name, i in zip(CONTROLS, (scale, shift, show))}
        layered = composite(dashboard.picture(scale=scale, shift=shift, show=show))
        whole = direct(**values)
        assert layered.shape == whole.shape
        difference = np.abs(layered - whole)
        # identical up to the palette (96 colours) and a few antialiased edge pixels; a layer off by one pixel
        # would differ along every line it draws
        assert difference.mean() < 2.0, (scale, shift, show, difference.mean())
        assert np.mean(difference.max(axis=-1) > 60) < 0.001


@needs_stack
def test_each_layer_holds_the_product_of_its_controls_options_only(dashboard):
    assert len(dashboard.pictures[0]) == 2  # scale
    assert len(dashboard.pictures[1]) == 2 * 3  # scale x shift
    assert len(dashboard.pictures[2]) == 2 * 3  # shift, over each background (scale)
    assert len(dashboard.pictures[3]) == 2 * 3 and dashboard.pictures[3][(0, 0)] is None  # drew nothing: none
    assert dashboard.nbytes == sum(len(p) for p in dashboard.unique_pictures.values())


@needs_stack
def test_shown_by_hides_a_layer(dashboard):
    shown, hidden = dashboard.picture(show=0), dashboard.picture(show=1)
    assert len(shown) == len(hidden) + 1
    assert dashboard.pictures[2][(0, 1)] in shown and dashboard.pictures[2][(0, 1)] not in hidden


@needs_stack
def test_picture_rejects_unknown_controls_and_indices(dashboard):
    with pytest.raises(ValueError, match="shift=3"):
        dashboard.picture(shift=3)
    with pytest.raises(ValueError, match="speed=0"):
        dashboard.picture(speed=0)


def visible(widget, indices, links):
    """What a browser shows: follow each Stack's selected_index as its jslinked control sets it."""
    if isinstance(widget, widgets.Image):
        return [widget.value]
    if isinstance(widget, widgets.Stack):
        control = links.get(widget.model_id)
        index = indices[control] if control is not None else widget.selected_index
        return visible(widget.children[index], indices, links)
    if isinstance(widget, widgets.Box):
        return [picture for child in widget.children for picture in visible(child, indices, links)]
    raise AssertionError(f"unexpected widget {widget!r}")


@needs_stack
def test_stacks_tied_to_the_controls_show_the_pictures_of_every_setting(dashboard):
    names = {control.model_id: name for name, control in dashboard.inputs.items()}
    links = {}
    for link in dashboard.links:
        (control, attribute), (stack, target) = link.source, link.target
        assert (attribute, target) == ("index", "selected_index")
        assert len(stack.children) == len(dashboard.controls[names[control.model_id]].options)
        assert stack.selected_index == control.index  # the page starts consistent
        links[stack.model_id] = names[control.model_id]
    controls_row, grid = dashboard.widget.children
    assert list(controls_row.children) == list(dashboard.inputs.values())
    for combination in itertools.product(range(2), range(3), range(2)):
        indices = dict(zip(CONTROLS, combination))
        assert visible(grid, indices, links) == dashboard.picture(**indices)


@needs_stack
def test_identical_pictures_are_stored_once():
    controls = {"a": Choice("a", (("1", 1), ("2", 2), ("3", 3)))}
    layers = [Layer(lambda ax: ax.set(xlim=(0, 1))), Layer(lambda ax, a: ax.plot([0, 1], [0.5, 0.5], color="k"), ("a",))]
    board = FrameDashboard(controls, layers, figsize=(2, 2), dpi=40)
    assert len(board.pictures[1]) == 3 and len(board.unique_pictures) == 2  # the line ignores a
    images = [w for w in board.widget.children[1].children[1].children if isinstance(w, widgets.Image)]
    assert len({image.model_id for image in images}) == 1


@needs_stack
def test_webp_is_the_default_where_pillow_writes_it():
    controls = {"a": Choice("a", (("1", 1),))}
    board = FrameDashboard(controls, [Layer(lambda ax, a: ax.plot([0, a]), ("a",))], figsize=(2, 2), dpi=40)
    picture = board.picture()[0]
    assert board.image_format == "webp" and picture[:4] == b"RIFF" and picture[8:12] == b"WEBP"
    assert decode(picture).size == (80, 80)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(description="x", options=()), "options must be a non-empty"),
        (dict(description="x", options=((1, 2, 3),)), "options must be a non-empty"),
        (dict(description="x", options=(("a", 1),), index=1), r"index must be a whole number in \[0, 1\), got 1"),
        (dict(description="x", options=(("a", 1),), kind="knob"), "kind must be one of .*got 'knob'"),
    ],
)
def test_choice_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        Choice(**arguments)


@needs_stack
def test_frame_dashboard_rejects_bad_arguments():
    controls = {"a": Choice("a", (("1", 1),))}
    background = Layer(lambda ax: None)
    with pytest.raises(ValueError, match=r"layer controls must be among \['a'\], got \['b'\]"):
        FrameDashboard(controls, [background, Layer(lambda ax, b: None, ("b",))])
    with pytest.raises(ValueError, match="background layer .* cannot be hidden"):
        FrameDashboard(controls, [Layer(lambda ax: None, shown_by=("a", bool))])
    with pytest.raises(ValueError, match="image_format must be one of .*got 'gif'"):
        FrameDashboard(controls, [background], image_format="gif")
    with pytest.raises(ValueError, match="controls must map keywords to Choice objects"):
        FrameDashboard({"a": widgets.IntSlider()}, [background])


def test_without_stack_frame_dashboards_refuse_clearly(monkeypatch):
    monkeypatch.delattr(widgets, "Stack", raising=False)  # absent in ipywidgets 7
    assert not frames.available()
    with pytest.raises(RuntimeError, match="needs ipywidgets 8 or later"):
        FrameDashboard({"a": Choice("a", (("1", 1),))}, [Layer(lambda ax: None)])


@needs_stack
def test_an_executed_notebook_saves_the_state_the_page_needs():
    """nbclient stores the widget state (store_widget_state), pictures and links included, in the metadata."""
    code = (
        "from radam.frames import Choice, FrameDashboard, Layer\n"
        "board = FrameDashboard({'a': Choice('a', (('1', 1), ('2', 2)))},\n"
        "                       [Layer(lambda ax: ax.set(xlim=(0, 3))), Layer(lambda ax, a: ax.plot([0, a]), ('a',))],\n"
        "                       figsize=(2, 2), dpi=40)\n"
        "board"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    kinds = [model["model_name"] for model in state.values()]
    assert kinds.count("ImageModel") == 3 and kinds.count("StackModel") == 1 and kinds.count("LinkModel") == 1
    link = next(model["state"] for model in state.values() if model["model_name"] == "LinkModel")
    assert link["source"][1] == "index" and link["target"][1] == "selected_index"
    assert state[link["source"][0][len("IPY_MODEL_"):]]["model_name"] == "SelectionSliderModel"
    images = [model for model in state.values() if model["model_name"] == "ImageModel"]
    assert all(model["buffers"][0]["path"] == ["value"] and model["buffers"][0]["data"] for model in images)
    view = notebook.cells[0].outputs[0]["data"]["application/vnd.jupyter.widget-view+json"]
    assert state[view["model_id"]]["model_name"] == "VBoxModel"
