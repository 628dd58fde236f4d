"""The live-figure core: controls wired to one matplotlib figure that redraws in place.

:class:`FigureDashboard` (built by :func:`interactive_figure`) is a row of controls above an ``Image`` widget
showing one persistent figure. Moving a control clears the figure, calls ``draw(axes, **values)`` with every
control's current value, and replaces the image's PNG bytes. Only ``Image``, ``HBox``/``VBox``, three slider
classes and ``observe`` are used, so it runs unchanged in ipywidgets 7.7 (Google Colab) and 8.x. The figure is a
``matplotlib.figure.Figure`` outside pyplot: the inline backend never shows a second copy, and nothing
accumulates however often a slider moves.

Why an Image and not an Output with ``with output: display(...)``: no output is captured, so nothing can stack
up, and a notebook executor (nbclient, hence the book build) has no Output widget to emulate; its emulation
intermittently stalls a cell until the cell's timeout (jupyter/nbclient#312). In the static HTML book no kernel
runs, but the saved widget state holds the picture, so the page still shows it.
"""

import io
import math

import ipywidgets as widgets
from IPython.display import display
from matplotlib.figure import Figure


def note(ax, text, x=0.97, y=0.05, ha="right", va="bottom"):
    """A small boxed note in the axes ``ax`` (axes coordinates; by default its lower right corner)."""
    ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=8,
            bbox=dict(boxstyle="round", facecolor="white", edgecolor="0.8"))


def slider(description, value, min, max, step):
    """A FloatSlider that redraws when released (``continuous_update=False``), with a readable label."""
    return widgets.FloatSlider(
        value=value,
        min=min,
        max=max,
        step=step,
        description=description,
        continuous_update=False,
        readout_format=".3g",
        style={"description_width": "initial"},
    )


def log_slider(description, value, min, max, steps_per_decade=8):
    """A FloatLogSlider from ``min`` to ``max`` (positive numbers), ``steps_per_decade`` stops per factor 10."""
    if not 0 < min < max:
        raise ValueError(f"log_slider needs 0 < min < max, got min={min!r}, max={max!r}")
    if not min <= value <= max:
        raise ValueError(f"value must lie in [{min}, {max}], got {value!r}")
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=math.log10(min),
        max=math.log10(max),
        step=1 / steps_per_decade,
        description=description,
        continuous_update=False,
        readout_format=".3g",
        style={"description_width": "initial"},
    )


def choice_slider(description, options, value):
    """A SelectionSlider over a few chosen numbers (e.g. rho in 0.5 .. 0.999), redrawing when released."""
    options = list(options)
    if value not in options:
        raise ValueError(f"value must be one of the options {options}, got {value!r}")
    return widgets.SelectionSlider(
        options=options,
        value=value,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
    )


class FigureDashboard:
    """Controls above an image of one persistent figure that ``draw(axes, **values)`` redraws on every change.

    ``controls`` maps each keyword of ``draw`` to a widget with a ``value``; ``axes`` is what
    ``Figure.subplots(nrows, ncols)`` returns (one Axes, or an array of them). Display the dashboard
    as the last expression of a cell; ``redraw()`` draws again from the current values.
    """

    def __init__(self, draw, controls, nrows=1, ncols=1, figsize=(6.4, 4.2), dpi=100):
        if not controls:
            raise ValueError("controls must name at least one widget, got none")
        self.draw = draw
        self.controls = dict(controls)
        self.shape = (nrows, ncols)
        self.dpi = dpi
        self.figure = Figure(figsize=figsize, layout="constrained")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())), self.image])
        for control in self.controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()

    @property
    def values(self):
        """The controls' current values, by keyword."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self, change=None):
        """Clear the figure, draw it from the current values and show it in place of the previous picture."""
        self.figure.clear()
        self.draw(self.figure.subplots(*self.shape), **self.values)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        self.image.value = buffer.getvalue()

    def _ipython_display_(self):
        display(self.widget)


def interactive_figure(draw, controls, nrows=1, ncols=1, figsize=(6.4, 4.2)):
    """A :class:`FigureDashboard`: ``controls`` (keyword -> widget) wired to ``draw(axes, **values)``.

    Example::

        def draw(ax, lr):
            ax.plot(...)

        interactive_figure(draw, {"lr": log_slider("learning rate lr", 0.1, 1e-3, 1.0)})
    """
    return FigureDashboard(draw, controls, nrows=nrows, ncols=ncols, figsize=figsize)
