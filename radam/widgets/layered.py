"""Figures drawn in layers (:class:`radam.frames.Layer`), live or as frames.

A figure is a background and layers over it. The live :class:`LayeredDashboard` (any ipywidgets) redraws only the
layers a move changes. :mod:`radam.frames` (the static-HTML frames mechanism) draws each layer over a grid of
options in advance, so that the same dashboard keeps responding in the static HTML book, where no kernel runs.
:func:`layered_dashboard` picks between the two: ``static=None`` takes frames where ipywidgets has ``Stack``
(version 8) and the live figure elsewhere (Colab's ipywidgets 7.7).
"""

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image as PILImage

from radam import frames
from radam.widgets.core import FigureDashboard


def use_frames(static):
    """Whether a dashboard is drawn as frames: ``static`` itself (True or False), or for None whether
    :func:`radam.frames.available` (ipywidgets has Stack)."""
    if static is None:
        return frames.available()
    if not isinstance(static, bool):
        raise ValueError(f"static must be True, False or None, got {static!r}")
    return static


class LayeredDashboard(FigureDashboard):
    """A live FigureDashboard for a figure drawn in layers (:class:`radam.frames.Layer`): a move redraws what it changes.

    The layout is computed at the first drawing and kept. The background is drawn and rendered only when one of
    its controls moves; otherwise its saved pixels are restored and only the layers are drawn over them (blitting),
    which keeps a slider move fast.
    """

    def __init__(self, layers, controls, nrows=1, ncols=1, figsize=(6.4, 4.2), dpi=80):
        self.layers = list(layers)
        self.axes, self._background, self._drawn = None, None, []  # _background: (its controls' values, pixels)
        super().__init__(frames.draw_layers(self.layers), controls, nrows=nrows, ncols=ncols, figsize=figsize, dpi=dpi)
        self.widget.children[0].layout.flex_flow = "row wrap"

    def _draw_background(self, values):
        """Draw the background afresh: its old artists go, the axes (and their ticks) stay, laid out once."""
        background = self.layers[0]
        own = {name: values[name] for name in background.controls}
        if self.axes is None:  # the first drawing lays the figure out
            FigureCanvasAgg(self.figure)
            self.figure.set_dpi(self.dpi)
            self.axes = self.figure.subplots(*self.shape)
            self._drawn = frames.added_artists(self.figure, lambda: background.draw(self.axes, **own))
            self.figure.canvas.draw()
            self.figure.set_layout_engine("none")
        else:
            for artist in self._drawn:
                artist.remove()
            for ax in self.figure.axes:
                ax.relim()
                ax.set_autoscale_on(True)
            self._drawn = frames.added_artists(self.figure, lambda: background.draw(self.axes, **own))
        for ax in self.figure.axes:
            ax.autoscale_view()
            ax.set_autoscale_on(False)  # the layers keep the background's limits
        self.figure.canvas.draw()

    def redraw(self, change=None):
        """Restore (or draw) the background, draw the shown layers over it and show the picture."""
        values, canvas = self.values, self.figure.canvas
        key = tuple(values[name] for name in self.layers[0].controls)
        if self._background is None or self._background[0] != key:
            self._draw_background(values)
            self._background = (key, self.figure.canvas.copy_from_bbox(self.figure.bbox))
            canvas = self.figure.canvas
        else:
            canvas.restore_region(self._background[1])
        for layer in self.layers[1:]:
            if layer.shown_by and not layer.shown_by[1](values[layer.shown_by[0]]):
                continue
            own = {name: values[name] for name in layer.controls}
            for artist in frames.added_artists(self.figure, lambda: layer.draw(self.axes, **own)):
                self.figure.draw_artist(artist)
                artist.remove()
        width, height = canvas.get_width_height(physical=True)
        picture = PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        picture.convert("RGB").save(buffer, format="png", compress_level=1)
        self.image.value = buffer.getvalue()


def layered_dashboard(static, live_controls, static_controls, layers, figsize, colors=64, nrows=1, ncols=2, dpi=80):
    """A FrameDashboard over ``static_controls`` (:class:`radam.frames.Choice`) or a live LayeredDashboard over
    ``live_controls`` (widgets), by :func:`use_frames` (``static``)."""
    if use_frames(static):
        return frames.FrameDashboard(static_controls, layers, nrows=nrows, ncols=ncols, figsize=figsize, dpi=dpi,
                                     colors=colors)
    dashboard = LayeredDashboard(layers, live_controls, nrows=nrows, ncols=ncols, figsize=figsize, dpi=dpi)
    dashboard.image.layout.max_width = "100%"  # never wider than the page's column
    return dashboard
