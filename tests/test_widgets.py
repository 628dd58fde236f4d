"""The widget core: controls wired to one persistent figure that redraws in place (radam.widgets)."""

import base64
import struct

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from radam.widgets import FigureDashboard, choice_slider, interactive_figure, log_slider, slider  # noqa: E402


def png_size(data):
    """(width, height) read from a PNG header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_draws_the_initial_values_and_redraws_with_every_change():
    calls = []

    def draw(ax, lr, beta):
        calls.append((lr, beta))
        ax.plot([0, 1], [0, lr * beta])

    controls = {"lr": log_slider("lr", 0.1, 1e-3, 1.0), "beta": slider("beta", 0.9, 0, 1, 0.01)}
    dashboard = interactive_figure(draw, controls)
    first = dashboard.image.value
    dashboard.controls["lr"].value = 0.01
    dashboard.controls["beta"].value = 0.5
    assert calls == [(0.1, 0.9), (0.01, 0.9), (0.01, 0.5)]
    assert dashboard.values == {"lr": 0.01, "beta": 0.5}
    assert dashboard.image.value != first, "the picture must change with the values"


def test_one_figure_whatever_the_number_of_redraws():
    before = plt.get_fignums()

    def draw(axes, lr):
        for ax in axes:
            ax.plot([0, 1], [1, lr])
            ax.twinx().plot([0, 1], [lr, 1])  # extra axes must not pile up between redraws
            ax.legend(["a"])

    dashboard = interactive_figure(draw, {"lr": log_slider("lr", 0.1, 1e-3, 1.0)}, ncols=2, figsize=(8, 3))
    for value in (0.5, 0.05, 0.2, 1.0):
        dashboard.controls["lr"].value = value
    assert plt.get_fignums() == before, "the dashboard must not create pyplot figures (the inline backend shows them)"
    assert len(dashboard.figure.axes) == 4
    assert png_size(dashboard.image.value) == (800, 300)


def test_axes_have_the_requested_shape_and_the_picture_its_size():
    shapes = []
    dashboard = FigureDashboard(lambda axes, x: shapes.append(axes.shape), {"x": slider("x", 1, 0, 2, 0.5)},
                                nrows=2, ncols=3, figsize=(6, 4), dpi=50)
    assert shapes == [(2, 3)]
    assert png_size(dashboard.image.value) == (300, 200)
    assert dashboard.image.format == "png"


def test_log_slider_spans_the_decades_and_checks_its_arguments():
    s = log_slider("learning rate lr", 0.1, 1e-3, 1.0, steps_per_decade=4)
    assert (s.base, s.min, s.max, s.step, s.value) == (10, -3.0, 0.0, 0.25, pytest.approx(0.1))
    assert s.continuous_update is False and s.description == "learning rate lr"
    with pytest.raises(ValueError, match=r"0 < min < max, got min=0, max=1"):
        log_slider("lr", 0.1, 0, 1)
    with pytest.raises(ValueError, match=r"value must lie in \[0.001, 1.0\], got 2.0"):
        log_slider("lr", 2.0, 1e-3, 1.0)


def test_choice_slider_offers_the_given_numbers():
    s = choice_slider("rho", [0.5, 0.9, 0.999], 0.9)
    assert (s.options, s.value, s.continuous_update) == ((0.5, 0.9, 0.999), 0.9, False)
    s.value = 0.999
    assert s.value == 0.999
    with pytest.raises(ValueError, match=r"value must be one of the options \[0.5, 0.9\], got 0.99"):
        choice_slider("rho", [0.5, 0.9], 0.99)


def test_a_dashboard_needs_controls():
    with pytest.raises(ValueError, match="controls must name at least one widget, got none"):
        interactive_figure(lambda ax: None, {})


CELLS = [
    """from radam.widgets import interactive_figure, log_slider
def draw(ax, lr):
    ax.plot([0, 1], [0, lr])
    ax.set_title(f"lr = {lr:g}")
dashboard = interactive_figure(draw, {"lr": log_slider("lr", 0.1, 1e-3, 1.0)})
dashboard""",
    """import matplotlib.pyplot as plt
for value in (0.5, 0.01, 0.2):
    dashboard.controls["lr"].value = value
print(len(plt.get_fignums()), "pyplot figures")""",
]


def test_in_a_kernel_the_cell_shows_the_widget_and_its_state_keeps_the_picture():
    """What the book build records: one widget view, no stray figure outputs, the picture in the widget state."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    first, second = (cell.outputs for cell in nb.cells)
    assert [sorted(output.get("data", {})) for output in first] == [
        ["application/vnd.jupyter.widget-view+json", "text/plain"]
    ]
    assert second[0].text == "0 pyplot figures\n"
    state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    images = [model for model in state.values() if model["model_name"] == "ImageModel"]
    assert len(images) == 1
    (buffer,) = images[0]["buffers"]
    assert buffer["path"] == ["value"]
    assert png_size(base64.b64decode(buffer["data"])) == (640, 420)


# The notebook display helpers the chapters use with the widgets (radam.plotting: show_source, table,
# until_out_of_view).


def test_show_source_displays_the_code_that_runs_with_its_file_and_lines(monkeypatch):
    import inspect
    import textwrap

    import IPython.display

    from radam.numpy import AdaGrad
    from radam.plotting import show_source

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    show_source(AdaGrad.update)
    (source,) = shown
    lines, first = inspect.getsourcelines(AdaGrad.update)
    assert source.text == textwrap.dedent("".join(lines))
    assert source.text.startswith("def update(self, ")
    markdown = source._repr_markdown_()
    assert markdown.startswith(f"```python\n# radam/numpy.py, lines {first}-{first + len(lines) - 1}\ndef update")
    assert markdown.endswith(f"{lines[-1].strip()}\n```")


def test_source_code_fence_is_longer_than_any_backticks_inside():
    from radam.plotting import SourceCode

    assert SourceCode('s = "````"')._repr_markdown_() == '`````python\ns = "````"\n`````'


def test_until_out_of_view_cuts_a_diverging_path_one_point_after_it_leaves_the_window():
    from radam import problems
    from radam.numpy import SGD
    from radam.plotting import until_out_of_view

    quadratic = problems.quadratic()
    run = problems.run(SGD(learning_rate=0.6), quadratic, steps=50)  # x2 is multiplied by -1.4 per step
    cut = until_out_of_view(quadratic, run)
    (x1_min, x1_max), (x2_min, x2_max) = quadratic.bounds
    inside = (cut.xs[:, 0] >= x1_min) & (cut.xs[:, 0] <= x1_max) & (cut.xs[:, 1] >= x2_min) & (cut.xs[:, 1] <= x2_max)
    assert inside[:-1].all() and not inside[-1]
    assert cut.xs.tolist() == run.xs[: len(cut.xs)].tolist() and len(cut.losses) == len(cut.xs) == 3
    calm = problems.run(SGD(learning_rate=0.1), quadratic, steps=50)
    assert until_out_of_view(quadratic, calm) is calm


def test_table_escapes_and_aligns():
    from radam.plotting import table

    html = table(["step t", "m < 1"], [[1, "0.1000"], [10, "0.6513"]]).data
    assert html.count("<tr>") == 3
    assert '<th style="text-align: right">m &lt; 1</th>' in html
    assert '<td style="text-align: left">10</td><td style="text-align: right">0.6513</td>' in html
    html = table(["what", "value"], [["command", "python -m radam.cifar10"]], align="ll").data
    assert '<td style="text-align: left">command</td><td style="text-align: left">python -m' in html
    with pytest.raises(ValueError, match="align must be one letter, l or r, per column \\(2\\), got 'lc'"):
        table(["what", "value"], [], align="lc")
