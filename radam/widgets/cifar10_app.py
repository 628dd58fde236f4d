"""The playground's CIFAR-10 mini-experiment: RAdam and the blog's schedule against Adam on a slice, at the press
of a button, built on the live-figure core (:class:`radam.widgets.core.FigureDashboard`).

Moving a control redraws the figure in place, as in every FigureDashboard; Run trains and redraws after every
epoch. TensorFlow is imported at the first Run, not before: showing committed results (``results=``) reads their
JSON only, so that before a Run the left panel shows the reference run's curves instead of an empty panel. Its
controls need a kernel: the static HTML book leaves this widget out and lets the reader choose among the committed
runs with :mod:`radam.widgets.cifar10_runs` instead. Arms take chapter 8's colours
(:func:`radam.cifar10.figures.arm_style`).
"""

import ipywidgets as widgets
import numpy as np

from radam import plotting, schedules, theory
from radam.cifar10 import figures  # Matplotlib only
from radam.cifar10.results import Results  # NumPy only: no TensorFlow before Run
from radam.widgets.core import FigureDashboard, log_slider, slider


class CIFAR10Experiment(FigureDashboard):
    """RAdam's settings, a Run button, a progress bar, and curves against the Adam baseline (not live).

    Moving a control redraws the schedules (right panel: lr_t, and lr_t r_t for RAdam). Run trains the blog's
    CNN (:func:`radam.cifar10.run_experiment`) with Adam at its defaults and with RAdam at the chosen settings,
    on the first ``train_images`` training and ``test_images`` test images, and redraws the validation accuracy
    after every epoch. Until then the left panel shows ``results`` when given (a :class:`radam.cifar10.Results` or
    a results folder: the reference run's validation accuracy, with a caption saying so), else "press Run".
    """

    def __init__(self, data=None, train_images=2048, test_images=512, batch_size=64, seed=0, results=None):
        for name, value in (("train_images", train_images), ("test_images", test_images), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        self.data, self.seed = data, seed
        self.train_images, self.test_images, self.batch_size = train_images, test_images, batch_size
        self.steps_per_epoch = -(-train_images // batch_size)
        self.reference = None
        if results is not None:
            self.reference = results if isinstance(results, Results) else Results.load(results)
            if not self.reference.curves():
                raise ValueError(f"results {results!r} hold no records to show")
        self.records, self.results = [], None
        controls = {
            "warmup_proportion": slider("warmup_proportion", 0.1, 0.0, 0.5, 0.05),
            "beta_1": slider("beta_1", 0.9, 0.5, 0.99, 0.01),
            "one_minus_beta_2": log_slider("1 - beta_2", 1e-3, 1e-4, 1e-1),
            "min_lr": log_slider("min_lr", 1e-5, 1e-7, 1e-3),
            "total_steps": widgets.IntSlider(value=3 * self.steps_per_epoch, min=0, max=2000, step=1,
                                             description="total_steps", continuous_update=False),
            "epochs": widgets.IntSlider(value=3, min=1, max=20, description="epochs", continuous_update=False),
        }
        for name in ("one_minus_beta_2", "min_lr"):
            controls[name].readout_format = ".2e"  # "1.00e-5", not "0.0000100"
        self.button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=1)
        self.status = widgets.Label("Not trained yet: press Run.")
        self.caption = widgets.HTML(self.reference_caption() if self.reference else "")
        super().__init__(self._draw, controls, nrows=1, ncols=2, figsize=(10, 3.6), dpi=80)
        row = self.widget.children[0]
        row.layout.flex_flow = "row wrap"
        run_row = widgets.HBox([self.button, self.progress, self.status])
        self.widget.children = (row, run_row, self.image) + ((self.caption,) if self.reference else ())
        self.button.on_click(self.run)

    def reference_caption(self):
        """What the left panel shows before any Run, when results were given."""
        curves = self.reference.curves()
        arms = list(curves)
        seeds = sorted({len(values) for _, values in curves.values()})
        epochs = max(len(e) for e, _ in curves.values())
        seeds_text = "/".join(map(str, seeds)) + (" seed" if seeds == [1] else " seeds")
        return (
            f"<i>Left: the reference run's curves (validation accuracy of {', '.join(arms)}; {seeds_text}, "
            f"{epochs} epochs; mean and min-max band over seeds), saved, not trained here. "
            "Run trains Adam and RAdam live with the settings above and replaces them: that needs a running "
            "kernel, e.g. this notebook in Colab.</i>"
        )

    def radam_settings(self, values=None):
        """RAdam's keyword arguments from the controls (learning_rate stays at the blog's 1e-3)."""
        v = self.values if values is None else values
        return dict(beta_1=v["beta_1"], beta_2=1.0 - v["one_minus_beta_2"], total_steps=v["total_steps"],
                    warmup_proportion=v["warmup_proportion"], min_lr=v["min_lr"])

    def _draw(self, axes, **values):
        """Validation accuracy (the epochs trained so far, else the reference run's), and the two schedules."""
        left, right = axes
        epochs = values["epochs"]
        if not self.records and self.reference:
            figures.curves(self.reference, ax=left, title="Reference run: validation accuracy")  # chapter 8's colours
        else:
            for label in ("Adam", "RAdam"):
                done = [r for r in self.records if r["arm"] == label]
                if done:
                    left.plot([r["epoch"] for r in done], [r["val_accuracy"] for r in done], "-o",
                              color=plotting.color_for(label), label=label)
            if not self.records:
                left.text(0.5, 0.5, "press Run to train", transform=left.transAxes, ha="center", color="0.4")
            left.set_xlim(0.5, epochs + 0.5)
            plotting.finish(left, f"Validation accuracy ({self.test_images} test images)", "epoch",
                            "validation accuracy")
        settings = self.radam_settings(values)
        t = np.arange(1, epochs * self.steps_per_epoch + 1)
        lr_t = np.full(len(t), 1e-3)
        if settings["total_steps"]:
            lr_t = schedules.warmup_then_linear_decay(1e-3, settings["total_steps"], settings["warmup_proportion"],
                                                      settings["min_lr"])(t)
        right.plot(t / self.steps_per_epoch, np.full(len(t), 1e-3), color=plotting.color_for("Adam"), label="Adam: $lr$")
        right.plot(t / self.steps_per_epoch, lr_t, color=plotting.color_for("RAdam"), label="RAdam: $lr_t$")
        right.plot(t / self.steps_per_epoch, lr_t * theory.radam_multiplier(t, settings["beta_2"]), linestyle="--",
                   color=plotting.color_for("RAdam"), label="RAdam: $lr_t\\, r_t$")
        right.set_yscale("log")
        right.set_ylim(max(1e-7, settings["min_lr"] / 3), 3e-3)
        plotting.finish(right, f"Schedules ({self.steps_per_epoch} steps per epoch)", "epoch", "learning rate")

    def run(self, button=None):
        """Train both arms for the chosen epochs, updating the progress bar and the curves after every epoch."""
        from radam import cifar10  # its runner imports TensorFlow

        epochs = self.values["epochs"]
        arms = [cifar10.Arm("Adam"), cifar10.Arm("RAdam", "radam", **self.radam_settings())]
        self.button.disabled = True
        self.records, self.results = [], None
        self.progress.value, self.progress.max = 0, len(arms) * epochs
        try:
            if self.data is None:
                self.status.value = "loading CIFAR-10 ..."
                self.data = cifar10.load_cifar10()
            self.status.value = f"training Adam, then RAdam, {epochs} epochs each ..."
            self.results = cifar10.run_experiment(
                arms, epochs, seeds=(self.seed,), data=self.data, train_limit=self.train_images,
                test_limit=self.test_images, batch_size=self.batch_size, progress=False, on_epoch_end=self._epoch_done,
            )
        finally:
            self.button.disabled = False
        final = {r["arm"]: r["val_accuracy"] for r in self.records if r["epoch"] == epochs}
        self.status.value = "done: " + ", ".join(f"{arm} {accuracy:.3f}" for arm, accuracy in final.items())

    def _epoch_done(self, record):
        self.records.append(record)
        self.progress.value += 1
        self.status.value = f"{record['arm']}: epoch {record['epoch']}, validation accuracy {record['val_accuracy']:.3f}"
        self.redraw()


def cifar10_experiment(data=None, train_images=2048, test_images=512, batch_size=64, seed=0, results=None):
    """The CIFAR-10 mini-experiment of the playground (a :class:`CIFAR10Experiment`); needs a kernel to train.

    ``results`` (a :class:`radam.cifar10.Results` or a results folder, e.g. the book's reference run) is shown
    until the first Run, so the static HTML book shows curves rather than an empty panel.
    """
    return CIFAR10Experiment(data, train_images, test_images, batch_size, seed, results=results)
