"""The figure of chapter 5's Transformer results: held-out token accuracy against step, and the size of the
first updates, one colour per arm (the optimizers' colours of :data:`radam.plotting.COLORS`).

Adam, Adam + warmup and RAdam keep their colours of every chapter; the arms that change Adam take the other
colours of the Okabe and Ito palette that chapter 5 gives them (a tenth of the rate sky blue, v known reddish
purple) and orange for the exact early gradients, with a line style of their own so that no two arms rely on
colour alone. Matplotlib only; reads a results folder's content (:func:`radam.transformer.results.load`).
"""

import numpy as np

from radam import plotting
from radam.transformer.results import failure_line

STYLE = {
    "Adam": dict(color=plotting.COLORS["Adam"], linestyle="-"),
    "Adam + warmup": dict(color=plotting.COLORS["Adam + warmup"], linestyle="-"),
    "RAdam": dict(color=plotting.COLORS["RAdam"], linestyle="-"),
    "Adam, lr/10": dict(color="#56B4E9", linestyle=":"),
    "Adam, v known": dict(color="#CC79A7", linestyle="--"),
    "Adam, exact early gradients": dict(color="#E69F00", linestyle="-."),
}
"""Colour and line style of each arm."""


def _curves(content, arm, key):
    runs = [run for run in content["runs"] if run["arm"] == arm]
    values = np.array([[np.nan if v is None else v for v in run[key]] for run in runs], dtype=float)
    return runs, values


def figure(content, width=plotting.CONTENT_WIDTH, first_steps=None):
    """Two panels, stacked: the held-out token accuracy against step (mean over the seeds in ``content``, a band
    from the lowest to the highest seed; chance and the failure line marked), and the root-mean-square update
    over the base rate during the first ``first_steps`` steps (default: twice the warmup), the mean over seeds,
    in the same colours (the upper panel's legend names them).
    """
    from matplotlib.figure import Figure

    settings = content["settings"]
    warmup = round(2 / (1 - settings["beta_2"]))
    first_steps = 2 * warmup if first_steps is None else first_steps
    fig = Figure(figsize=(width, 7.0), layout="constrained")
    top, bottom = fig.subplots(2, 1)
    for i, arm in enumerate(dict.fromkeys(run["arm"] for run in content["runs"])):
        style = STYLE.get(arm, dict(color=plotting.color_for(arm, i), linestyle="-"))
        runs, accuracy = _curves(content, arm, "eval_accuracy")
        label = f"{arm} ({len(runs)} seed{'s' if len(runs) != 1 else ''})"
        steps = runs[0]["eval_step"]
        top.plot(steps, accuracy.mean(axis=0), linewidth=1.6, label=label, **style)
        top.fill_between(steps, accuracy.min(axis=0), accuracy.max(axis=0), color=style["color"], alpha=0.15,
                         linewidth=0)
        _, rms = _curves(content, arm, "update_rms")
        shown = rms[:, :first_steps]
        bottom.plot(np.arange(1, shown.shape[1] + 1), shown.mean(axis=0), linewidth=1.4, label=arm, **style)
    chance, threshold = failure_line(settings["vocab"])
    top.axhline(threshold, color="0.4", linewidth=0.9, linestyle="--", label="failure line")
    top.axhline(chance, color="0.4", linewidth=0.9, linestyle=":", label="chance")
    top.set_ylim(0, 1.02)
    plotting.finish(top, "Held-out token accuracy (mean over seeds; band: lowest to highest)", "step",
                    "held-out token accuracy", legend=False)
    top.legend(fontsize="small", ncol=2, loc="lower right", bbox_to_anchor=(1.0, 0.1))
    bottom.axvline(warmup, color="0.5", linewidth=0.8, linestyle=":")
    bottom.set_yscale("log")
    plotting.finish(bottom, f"Size of each update, mean over seeds (colours as above; warmup ends at {warmup})",
                    "step", "RMS update / base rate", legend=False)
    return fig
