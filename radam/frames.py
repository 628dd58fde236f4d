"""The static-HTML frames mechanism: dashboards that still respond in the static HTML book, where no kernel runs.

A :class:`FrameDashboard` draws its figure once for every combination of its controls' options, when the
cell runs, and ships the pictures with the page. Each control is a selection widget (``SelectionSlider``,
``ToggleButtons`` or ``Dropdown``) whose ``index`` is tied by ``jslink`` to the ``selected_index`` of a
``Stack`` of pictures: the browser switches pictures by itself, with or without a kernel. The executed
notebook saves the widget state (nbclient's ``store_widget_state``), and that state is all the built page
needs.

The figure is drawn in layers, so the page holds far fewer pictures than the product of the grids. The
first layer (the background: axes, labels, everything that depends on few controls) is opaque; each later
layer is a transparent picture of its own artists only, over the controls it reads, laid over the
background in one grid cell. A layer that reads k controls costs the product of those k option counts;
a layer can also be shown or hidden by one control (``shown_by``); identical pictures are stored once.

``Stack`` is new in ipywidgets 8: :func:`available` says whether this kernel has it (Colab's ipywidgets
7.7 does not, and the dashboards of :mod:`radam.widgets` then fall back to live, kernel-driven figures:
:func:`radam.widgets.layered.layered_dashboard` picks).
"""

import hashlib
import io
import itertools
from dataclasses import dataclass
from typing import Callable, Optional

import ipywidgets as widgets
from IPython.display import display
from matplotlib.figure import Figure
from PIL import Image, features

KINDS = ("slider", "buttons", "dropdown")
FORMATS = ("webp", "png")


def available():
    """True when ipywidgets has ``Stack`` (version 8 and later), which frame dashboards are made of."""
    return hasattr(widgets, "Stack")


@dataclass(frozen=True)
class Choice:
    """A control with a fixed list of ``options``, (label, value) pairs; ``index`` is the one selected first.

    ``kind`` picks the widget: "slider" (a SelectionSlider, for ordered values), "buttons" (ToggleButtons)
    or "dropdown".
    """

    description: str
    options: tuple
    index: int = 0
    kind: str = "slider"

    def __post_init__(self):
        pairs = tuple(self.options)
        if not pairs or any(not isinstance(pair, tuple) or len(pair) != 2 for pair in pairs):
            raise ValueError(f"options must be a non-empty sequence of (label, value) pairs, got {self.options!r}")
        object.__setattr__(self, "options", pairs)
        if isinstance(self.index, bool) or not isinstance(self.index, int) or not 0 <= self.index < len(pairs):
            raise ValueError(f"index must be a whole number in [0, {len(pairs)}), got {self.index!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def values(self):
        return [value for _, value in self.options]

    def widget(self):
        """The selection widget: its ``index`` is what the pictures follow."""
        options = [(str(label), i) for i, (label, _) in enumerate(self.options)]
        common = dict(options=options, index=self.index, description=self.description)
        common["style"] = {"description_width": "initial"}
        if self.kind == "slider":
            return widgets.SelectionSlider(continuous_update=True, **common)
        if self.kind == "buttons":
            return widgets.ToggleButtons(**{**common, "style": {**common["style"], "button_width": "auto"}})
        return widgets.Dropdown(**common)


@dataclass(frozen=True)
class Layer:
    """Part of a figure: ``draw(axes, **values)`` with the values of the controls named in ``controls``.

    The background (the first layer) sets up the axes: limits, scales, titles, labels. Later layers only add
    artists (lines, texts, legends), with explicit colours (the colour cycle would differ from picture to
    picture); the axes keep the background's limits. ``shown_by`` = (control name, predicate): the layer
    shows only where predicate(value) is true.
    """

    draw: Callable
    controls: tuple = ()
    shown_by: Optional[tuple] = None


def draw_layers(layers):
    """The whole layered figure as one ``draw(axes, **values)``, for a live (kernel-driven) dashboard."""

    def draw(axes, **values):
        for layer in layers:
            if layer.shown_by and not layer.shown_by[1](values[layer.shown_by[0]]):
                continue
            layer.draw(axes, **{name: values[name] for name in layer.controls})

    return draw


def _artists(figure):
    """Everything the figure would draw, one level below each Axes (so an Axes' own children can be hidden)."""
    found = []
    for artist in figure.get_children():
        found.extend(artist.get_children() if artist in figure.axes else [artist])
    return found


def added_artists(figure, draw):
    """Call ``draw()`` and return the artists it added to ``figure`` and its axes."""
    before = set(map(id, _artists(figure)))
    draw()
    return [artist for artist in _artists(figure) if id(artist) not in before]


class FrameDashboard:
    """Selection controls above a figure whose pictures were all drawn in advance (see the module docstring).

    ``controls`` maps each keyword of the layers' ``draw`` functions to a :class:`Choice`; ``layers`` lists
    the background first. ``axes`` is what ``Figure.subplots(nrows, ncols)`` returns. Pictures are drawn at
    ``dpi``, reduced to ``colors`` palette colours and stored as lossless WebP (a quarter smaller than PNG;
    every current browser shows it) or PNG: ``image_format`` "webp" (where Pillow can write it) or "png".
    """

    def __init__(self, controls, layers, nrows=1, ncols=1, figsize=(6.4, 4.2), dpi=80, colors=96, image_format=None):
        if not available():
            raise RuntimeError(f"FrameDashboard needs ipywidgets 8 or later (Stack), got ipywidgets {widgets.__version__}")
        self.controls = dict(controls)
        self.layers = list(layers)
        if not self.controls or any(not isinstance(c, Choice) for c in self.controls.values()):
            raise ValueError(f"controls must map keywords to Choice objects, got {controls!r}")
        if not self.layers:
            raise ValueError("layers must hold at least the background layer, got none")
        for layer in self.layers:
            named = list(layer.controls) + ([layer.shown_by[0]] if layer.shown_by else [])
            unknown = [name for name in named if name not in self.controls]
            if unknown:
                raise ValueError(f"layer controls must be among {list(self.controls)}, got {unknown}")
        if self.layers[0].shown_by:
            raise ValueError("the background layer (the first) cannot be hidden: shown_by must be None")
        if image_format is None:
            image_format = "webp" if features.check("webp") else "png"
        if image_format not in FORMATS:
            raise ValueError(f"image_format must be one of {FORMATS}, got {image_format!r}")
        self.shape, self.figsize, self.dpi, self.colors = (nrows, ncols), figsize, dpi, colors
        self.image_format = image_format
        self.pictures = [{} for _ in self.layers]  # layer -> {option indices over keys(layer): image bytes or None}
        self._render()
        self.widget = self._build()

    def keys(self, layer):
        """The controls whose options index the pictures of ``self.layers[layer]`` (the background's included)."""
        used = set(self.layers[0].controls) | set(self.layers[layer].controls)
        return tuple(name for name in self.controls if name in used)

    def _values(self, names, indices):
        return {name: self.controls[name].options[indices[name]][1] for name in names}

    def _grid(self, names):
        return itertools.product(*(range(len(self.controls[name].options)) for name in names))

    def _render(self):
        background = self.layers[0]
        back_keys = self.keys(0)
        for back_index in self._grid(back_keys):
            chosen = dict(zip(back_keys, back_index))
            figure = Figure(figsize=self.figsize, layout="constrained")
            axes = figure.subplots(*self.shape)
            background.draw(axes, **self._values(background.controls, chosen))
            self.pictures[0][back_index] = self._encode(figure, transparent=False)  # lays the figure out
            figure.set_layout_engine("none")  # the layers must land exactly where the background put the axes
            for ax in figure.axes:
                ax.set_autoscale_on(False)
            for artist in _artists(figure):
                artist.set_visible(False)
            for number, layer in enumerate(self.layers[1:], start=1):
                keys = self.keys(number)
                extra = [name for name in keys if name not in chosen]
                for extra_index in self._grid(extra):
                    indices = {**chosen, **dict(zip(extra, extra_index))}
                    values = self._values(layer.controls, indices)
                    drawn = added_artists(figure, lambda: layer.draw(axes, **values))
                    picture = self._encode(figure, transparent=True) if drawn else None
                    self.pictures[number][tuple(indices[name] for name in keys)] = picture
                    for artist in drawn:
                        artist.remove()

    def _encode(self, figure, transparent):
        """The figure in ``colors`` colours (transparency kept), as lossless WebP or PNG bytes; None if empty."""
        raw = io.BytesIO()
        figure.savefig(raw, format="png", dpi=self.dpi, transparent=transparent)
        image = Image.open(raw)
        if transparent and image.getchannel("A").getbbox() is None:
            return None  # nothing visible
        small = image.quantize(self.colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        out = io.BytesIO()
        if self.image_format == "webp":
            small.save(out, format="webp", lossless=True)
        else:
            small.save(out, format="png", optimize=True)
        return out.getvalue()

    @property
    def unique_pictures(self):
        """The distinct pictures the page holds, by digest."""
        return {hashlib.sha1(p).hexdigest(): p for layer in self.pictures for p in layer.values() if p is not None}

    @property
    def nbytes(self):
        """Bytes of pictures the page holds (base64 in the page adds a third)."""
        return sum(map(len, self.unique_pictures.values()))

    def picture(self, **indices):
        """The pictures shown (bottom to top) when each control sits at the given option index."""
        for name, index in indices.items():
            if name not in self.controls or not 0 <= index < len(self.controls[name].options):
                raise ValueError(f"{name}={index!r} is no option index of the controls {list(self.controls)}")
        indices = {name: indices.get(name, choice.index) for name, choice in self.controls.items()}
        shown = []
        for number, layer in enumerate(self.layers):
            if layer.shown_by:
                name, predicate = layer.shown_by
                if not predicate(self.controls[name].options[indices[name]][1]):
                    continue
            picture = self.pictures[number][tuple(indices[name] for name in self.keys(number))]
            if picture is not None:
                shown.append(picture)
        return shown

    def _build(self):
        """Controls above a grid cell holding one nested Stack per layer, each Stack tied to its control."""
        self.inputs = {name: choice.widget() for name, choice in self.controls.items()}
        plain, cell = widgets.Layout(margin="0"), widgets.Layout(grid_area="1 / 1 / 2 / 2")  # no margin: no scrollbar
        empty = widgets.Box(layout=plain)
        images = {}
        self.links = []

        def leaf(picture):
            if picture is None:
                return empty
            digest = hashlib.sha1(picture).hexdigest()
            if digest not in images:
                images[digest] = widgets.Image(value=picture, format=self.image_format, layout=plain)
            return images[digest]

        def stack(name, children, layout):
            box = widgets.Stack(children, selected_index=self.controls[name].index, layout=layout)
            self.links.append(widgets.jslink((self.inputs[name], "index"), (box, "selected_index")))
            return box

        def nest(number, order, chosen, layout):
            """Stacks over the controls in ``order``; the fewest Stacks nest the controls with fewest options first."""
            if len(chosen) == len(order):
                picture = leaf(self.pictures[number][tuple(chosen[name] for name in self.keys(number))])
                return widgets.Box([picture], layout=layout) if layout is cell else picture
            name = order[len(chosen)]
            options = range(len(self.controls[name].options))
            return stack(name, [nest(number, order, {**chosen, name: i}, plain) for i in options], layout)

        layers = []
        for number, layer in enumerate(self.layers):
            order = sorted(self.keys(number), key=lambda name: len(self.controls[name].options))
            if layer.shown_by:
                name, predicate = layer.shown_by
                content = nest(number, order, {}, plain)
                children = [content if predicate(value) else empty for value in self.controls[name].values]
                layers.append(stack(name, children, cell))
            else:
                layers.append(nest(number, order, {}, cell))
        row = widgets.HBox(list(self.inputs.values()), layout=widgets.Layout(flex_flow="row wrap"))
        cells = widgets.Layout(grid_template_columns="minmax(0, 1fr)", width="100%")  # pictures shrink with the page
        return widgets.VBox([row, widgets.GridBox(layers, layout=cells)])

    def _ipython_display_(self):
        display(self.widget)
