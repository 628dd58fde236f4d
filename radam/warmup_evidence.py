"""Why does Adam need warmup on chapter 5's network? Two explanations, and the experiment that separates them.

- The **variance** view (Liu et al., 2020): in the first steps the adaptive learning rate psi_t = 1 / sqrt(v_hat)
  is estimated from a handful of noisy squared gradients, so its variance is huge (infinite at t = 1, 2).
  It predicts that the early failure shrinks as the gradient noise shrinks (larger batches) and vanishes
  with exact, full-batch gradients, where psi_t is not random at all; and that an Adam whose second moment
  is estimated well *before* the first step does not fail.
- The **magnitude** view (Ma and Yarats, 2021): Adam's first normalised steps m_hat / sqrt(v_hat) are
  about +-1 per coordinate whatever the gradient's scale or noise (exactly sign(g) at t = 1), so the first
  updates are lr in every coordinate at once. It predicts that the failure follows the size of those first
  updates (the learning rate, a warmup) and does not depend on the gradient noise.

:func:`noise_and_magnitude` trains chapter 5's network on a grid of batch sizes (``None``: the whole data
set, exact gradients) and optimizers that differ in the size of their first updates or in how well their
second moment is known, and records the dead units at step 10, the accuracy at the end and the size of
the first update.
"""

from dataclasses import dataclass

import numpy as np

from radam import mlp, schedules
from radam._validate import check_learning_rate, check_state_array
from radam.numpy import Adam, RAdam, one_minus_power

LR, BETA_2, WARMUP = 0.03, 0.99, 200
"""Chapter 5's learning rate, beta_2 and untuned warmup length 2 / (1 - beta_2)."""


class PrimedAdam(Adam):
    """Adam whose second moment v starts at a given estimate of E[g^2] instead of 0 (no bias correction of v)::

        m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2   (v_0 = ``second_moment``)
        theta -= lr_t (m / (1 - beta_1^t)) / (sqrt(v) + epsilon)

    With v_0 estimated from many gradients, psi_t = 1 / sqrt(v) is nearly free of noise from the first step
    on: the variance that Liu et al. blame is gone, while the step m_hat / sqrt(v) keeps its size. Adam's
    ``update`` does the step; only v's start and the step size differ.
    """

    def __init__(self, learning_rate, second_moment, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.second_moment = [
            check_state_array(f"second_moment[{i}]", v, non_negative=True) for i, v in enumerate(second_moment)
        ]

    def initial_slots(self, params):
        """m_0 = 0 and v_0 = second_moment, for params shaped like second_moment."""
        shapes = [v.shape for v in self.second_moment]
        if [p.shape for p in params] != shapes:
            raise ValueError(f"params must be shaped like second_moment {shapes}, got {[p.shape for p in params]}")
        return [{"m": np.zeros_like(p), "v": v.astype(p.dtype)} for p, v in zip(params, self.second_moment)]

    def step_scalars(self, t, lr):
        """v is not bias-corrected: the step size is lr_t / (1 - beta_1^t)."""
        return {"step_size": lr / one_minus_power(self.beta_1, t)}

    def get_config(self):
        return {**super().get_config(), "second_moment": [v.tolist() for v in self.second_moment]}


def second_moment(data, seed=0, batch_size=64, batches=50, hidden=128):
    """E[g^2] per parameter at ``MLP(seed)``'s initial weights: the mean of g^2 over ``batches`` minibatches
    (drawn from a generator of its own), or g^2 of the whole data set when ``batch_size`` is None."""
    model = mlp.MLP(data.X.shape[1], hidden, data.classes, seed)
    if batch_size is None:
        return [g * g for g in model.loss_and_gradients(data.X, data.y)[1]]
    rng = np.random.default_rng([seed, 1])
    total = [np.zeros_like(p) for p in model.params]
    for _ in range(batches):
        batch = rng.integers(0, len(data.y), batch_size)
        for sum_, g in zip(total, model.loss_and_gradients(data.X[batch], data.y[batch])[1]):
            sum_ += g * g / batches
    return total


ARMS = {
    "Adam": "Adam at lr = 0.03",
    "Adam + warmup": "Adam at lr = 0.03, linear warmup over 200 steps (small first updates)",
    "Adam, lr = 0.003": "Adam at a tenth of the rate (first updates ten times smaller)",
    "Adam, v known": "Adam at lr = 0.03 with v started at E[g^2] (psi_t without its early variance)",
    "RAdam": "RAdam at lr = 0.03",
}
"""The optimizers of the experiment, by label."""


def make_optimizer(arm, data, seed, batch_size, learning_rate=LR, beta_2=BETA_2):
    """A fresh optimizer for ``arm`` (a key of :data:`ARMS`) at ``learning_rate`` (the arms' base rate)."""
    learning_rate = check_learning_rate(learning_rate)
    if arm == "Adam":
        return Adam(learning_rate, beta_2=beta_2)
    if arm == "Adam + warmup":
        return Adam(schedules.linear_warmup(learning_rate, schedules.untuned_warmup_steps(beta_2)), beta_2=beta_2)
    if arm == "Adam, lr = 0.003":
        return Adam(learning_rate / 10, beta_2=beta_2)
    if arm == "Adam, v known":
        return PrimedAdam(learning_rate, second_moment(data, seed, batch_size), beta_2=beta_2)
    if arm == "RAdam":
        return RAdam(learning_rate, beta_2=beta_2)
    raise ValueError(f"arm must be one of {list(ARMS)}, got {arm!r}")


@dataclass(frozen=True)
class Result:
    """One run: its arm, batch size (None: full batch), seed, base learning rate; the dead fraction at step 10,
    the accuracy at the last step, and the root-mean-square change of a parameter at step 1 over the base
    learning rate (1 for a step of +-lr in every coordinate)."""

    arm: str
    batch_size: object
    seed: int
    learning_rate: float
    dead_at_10: float
    accuracy: float
    first_update: float


def run(arm, data, batch_size, seed, steps=300, learning_rate=LR, beta_2=BETA_2):
    """Train chapter 5's network once; ``steps`` = 10 records no accuracy worth the name (it is still kept)."""
    optimizer = make_optimizer(arm, data, seed, batch_size, learning_rate, beta_2)
    record = sorted({10, steps})
    trained = mlp.train(optimizer, data, seed=seed, steps=steps, batch_size=batch_size, record_at=record)
    parameters = sum(p.size for p in trained.model.params)
    return Result(arm, batch_size, seed, learning_rate, trained.at(10, "dead"), trained.at(steps, "accuracy"),
                  float(trained.step_size[0] / np.sqrt(parameters) / learning_rate))


def noise_and_magnitude(data, batch_sizes=(64, 256, None), arms=tuple(ARMS), seeds=(0, 1, 2), steps=300):
    """Every arm at every batch size and seed: a list of :class:`Result`."""
    return [run(arm, data, batch_size, seed, steps) for batch_size in batch_sizes for arm in arms for seed in seeds]


def learning_rate_sweep(data, learning_rates=(0.001, 0.003, 0.01, 0.03, 0.1), batch_sizes=(16, None),
                        seeds=(0, 1, 2)):
    """Plain Adam's dead fraction at step 10 against the learning rate (10 steps per run)."""
    return [run("Adam", data, batch_size, seed, steps=10, learning_rate=lr)
            for batch_size in batch_sizes for lr in learning_rates for seed in seeds]


def gradient_noise(data, batch_size, seed=0, samples=20, hidden=128):
    """E||g_batch - g||^2 / ||g||^2 at ``MLP(seed)``'s initial weights, g the full-batch gradient: the
    gradient noise relative to the signal (0 for batch_size None), over ``samples`` minibatches."""
    model = mlp.MLP(data.X.shape[1], hidden, data.classes, seed)
    if batch_size is None:
        return 0.0
    full = np.concatenate([g.ravel() for g in model.loss_and_gradients(data.X, data.y)[1]])
    rng = np.random.default_rng([seed, 2])
    noise = []
    for _ in range(samples):
        batch = rng.integers(0, len(data.y), batch_size)
        g = np.concatenate([g.ravel() for g in model.loss_and_gradients(data.X[batch], data.y[batch])[1]])
        noise.append(np.sum((g - full) ** 2) / np.sum(full**2))
    return float(np.mean(noise))


def select(results, **match):
    """The results whose fields equal every ``match`` value (e.g. arm="Adam", batch_size=None)."""
    return [r for r in results if all(getattr(r, k) == v for k, v in match.items())]


def spread(results, field):
    """(min, max) of a field over results."""
    values = [getattr(r, field) for r in results]
    if not values:
        raise ValueError("no results to summarise")
    return min(values), max(values)


def batch_label(batch_size):
    """'batch 64', or 'full batch' for None."""
    return "full batch" if batch_size is None else f"batch {batch_size:,}"


def summary_rows(results, field="dead_at_10", percent=True):
    """One row per arm, one column per batch size: 'min - max' of ``field`` over the seeds."""
    batch_sizes = list(dict.fromkeys(r.batch_size for r in results))
    arms = list(dict.fromkeys(r.arm for r in results))
    rows = []
    for arm in arms:
        cells = []
        for batch_size in batch_sizes:
            low, high = spread(select(results, arm=arm, batch_size=batch_size), field)
            cells.append(f"{low:.0%} - {high:.0%}" if percent else f"{low:.3g} - {high:.3g}")
        rows.append([arm] + cells)
    return ["optimizer"] + [batch_label(b) for b in batch_sizes], rows


STYLE = {
    "Adam": dict(color="#0072B2", marker="o"),
    "Adam + warmup": dict(color="#009E73", marker="s"),
    "Adam, lr = 0.003": dict(color="#56B4E9", marker="v"),
    "Adam, v known": dict(color="#CC79A7", marker="D"),
    "RAdam": dict(color="#D55E00", marker="^"),
}
"""Colour and marker of each arm in :func:`figure` (the optimizers' colours of :data:`radam.plotting.COLORS`)."""


def figure(results, sweep, width=7.5):
    """Two panels, stacked: the dead fraction at step 10 against the gradient noise (batch size) for every arm,
    and plain Adam's against the learning rate at the noisiest and the noise-free batch. A dot per seed, a
    line through the means."""
    from matplotlib.figure import Figure

    from radam.plotting import finish

    fig = Figure(figsize=(width, 7.2), layout="constrained")
    top, bottom = fig.subplots(2, 1)
    batch_sizes = list(dict.fromkeys(r.batch_size for r in results))
    x = np.arange(len(batch_sizes))
    for arm in dict.fromkeys(r.arm for r in results):
        style = STYLE.get(arm, dict(color="0.4", marker="x"))
        means = []
        for i, batch_size in enumerate(batch_sizes):
            dead = [r.dead_at_10 for r in select(results, arm=arm, batch_size=batch_size)]
            top.plot(np.full(len(dead), i), dead, linestyle="none", alpha=0.5, markersize=4, **style)
            means.append(np.mean(dead))
        top.plot(x, means, linewidth=1.5, label=arm, **style)
    top.set_xticks(x, [batch_label(b).removeprefix("batch ") for b in batch_sizes])
    top.set_ylim(-0.03, 1.03)
    finish(top, "Dead units at step 10 against the gradient noise (lr = 0.03)", "batch size (noisy -> exact)",
           "dead fraction at step 10", legend=False)
    top.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    for batch_size, linestyle in zip(dict.fromkeys(r.batch_size for r in sweep), ("--", "-")):
        rates = sorted({r.learning_rate for r in sweep})
        dead = [np.mean([r.dead_at_10 for r in select(sweep, batch_size=batch_size, learning_rate=lr)])
                for lr in rates]
        bottom.plot(rates, dead, linestyle=linestyle, marker="o", color=STYLE["Adam"]["color"],
                    label=f"Adam, {batch_label(batch_size)}")
    bottom.set_xscale("log")
    bottom.set_ylim(-0.03, 1.03)
    finish(bottom, "Plain Adam: dead units at step 10 against the learning rate", "learning rate lr",
           "dead fraction at step 10 (mean over seeds)", legend=False)
    bottom.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig
