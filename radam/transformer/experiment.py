"""One training run of the post-LN Transformer: an arm and a seed under fixed :class:`Settings`.

The arms of a seed start from the same weights (:func:`radam.transformer.model.initial_weights`) and see the
same minibatches (:meth:`radam.transformer.task.Task.batch_indices`), so their comparison is paired. Every
``eval_every`` steps the model is scored on the held-out sequences (mean cross-entropy per token and token
accuracy). The endpoint, fixed before any run was looked at, is the mean held-out token accuracy of the last
:data:`ENDPOINT_EVALUATIONS` evaluations; a run *fails* when its endpoint stays below halfway between chance and
a perfect score (:func:`failed`).
"""

import dataclasses
import time

import keras
import numpy as np
import tensorflow as tf

from radam.schedules import untuned_warmup_steps
from radam.transformer import arms, model, results, task

ENDPOINT_EVALUATIONS = 5
"""The endpoint is the mean held-out token accuracy over this many last evaluations of a run."""
SECOND_MOMENT_BATCHES = 50
"""How many minibatches (a generator of their own) estimate E[g^2] at the initial weights for "Adam, v known"."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything a run's numbers depend on besides its arm and seed. The defaults are the setting chosen from
    the grid of depths 2, 4, 6 and rates 1e-3, 3e-3, 1e-2 (beta_2 = 0.98, seed 0): the shallowest depth and
    smallest rate at which plain Adam failed."""

    task: str = "sort"
    vocab: int = 16
    length: int = 12
    n_train: int = 2048
    n_eval: int = 512
    data_seed: int = 0
    width: int = 64
    depth: int = 4
    heads: int = 4
    learning_rate: float = 1e-2
    beta_2: float = 0.98
    batch_size: int = 64
    steps: int = 400
    eval_every: int = 20

    def __post_init__(self):
        for name in ("n_train", "batch_size", "steps", "eval_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if self.n_train % self.batch_size:
            raise ValueError(f"n_train must be a multiple of batch_size={self.batch_size}, got {self.n_train!r}")
        if self.steps % self.eval_every or self.steps // self.eval_every < ENDPOINT_EVALUATIONS:
            raise ValueError(f"steps must be a multiple of eval_every={self.eval_every} with at least "
                             f"{ENDPOINT_EVALUATIONS} evaluations, got {self.steps!r}")
        if not 0 < self.learning_rate < float("inf"):
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if not 0 <= self.beta_2 < 1:
            raise ValueError(f"beta_2 must be in [0, 1), got {self.beta_2!r}")

    @property
    def warmup_steps(self):
        """The untuned warmup length 2 / (1 - beta_2), also the exact-gradient stretch of that arm."""
        return untuned_warmup_steps(self.beta_2)

    def make_task(self):
        return task.make_task(self.task, self.vocab, self.length, self.n_train, self.n_eval, self.data_seed)

    def sizes(self):
        return {"width": self.width, "depth": self.depth, "heads": self.heads}


def failed(endpoint, vocab):
    """Whether a run failed: its endpoint below halfway from chance (1 / vocab) to a perfect score."""
    return bool(not endpoint >= results.failure_line(vocab)[1])


class Trainer:
    """The compiled steps of one model: a minibatch (or given-gradient) step, gradients, and the evaluation."""

    def __init__(self, net, optimizer):
        self.net, self.optimizer = net, optimizer
        self.loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.variables = net.trainable_variables
        if optimizer is not None:  # built here, eagerly: PrimedAdam's v_0 assigned inside a trace would be lost
            optimizer.build(self.variables)
        self.gradients = tf.function(self._gradients)
        self.apply = tf.function(self._apply)
        self.evaluate = tf.function(self._evaluate)

    def _gradients(self, x, y):
        with tf.GradientTape() as tape:
            loss = self.loss(y, self.net(x, training=True))
        # dense gradients (the embedding's come as IndexedSlices): every optimizer then sees what NumPy's would
        return loss, [tf.convert_to_tensor(g) for g in tape.gradient(loss, self.variables)]

    def _apply(self, grads):
        """Apply ``grads``; the root-mean-square change of a parameter."""
        before = [tf.identity(v) for v in self.variables]
        self.optimizer.apply(grads, self.variables)
        squares = tf.add_n([tf.reduce_sum(tf.square(v - b)) for v, b in zip(self.variables, before)])
        return tf.sqrt(squares / float(sum(int(np.prod(v.shape)) for v in self.variables)))

    def _evaluate(self, x, y):
        logits = self.net(x, training=False)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32))
        return self.loss(y, logits), accuracy

    def full_gradients(self, x, y, chunk):
        """The mean loss and gradient over all of (x, y), summed in chunks of ``chunk`` rows."""
        total_loss, total = 0.0, None
        for start in range(0, len(y), chunk):
            loss, grads = self.gradients(x[start : start + chunk], y[start : start + chunk])
            total_loss += float(loss)
            total = grads if total is None else [a + b for a, b in zip(total, grads)]
        parts = len(y) // chunk
        return total_loss / parts, [g / parts for g in total]


def second_moment(trainer, data, seed, batch_size, batches=SECOND_MOMENT_BATCHES):
    """E[g^2] per parameter at the trainer's current weights, over ``batches`` minibatches of their own."""
    rng = np.random.default_rng([seed, 1])
    total = None
    for _ in range(batches):
        rows = rng.integers(0, len(data.train_y), batch_size)
        squares = [np.square(g.numpy()) for g in trainer.gradients(data.train_x[rows], data.train_y[rows])[1]]
        total = squares if total is None else [a + b for a, b in zip(total, squares)]
    return [s / batches for s in total]


def run(arm, seed, settings, data=None, progress=None, stop=None):
    """Train ``arm`` from seed ``seed``'s initial weights; a JSON-ready record of the run.

    The record holds the evaluation steps with the held-out loss and token accuracy there, the mean
    minibatch loss of each evaluation window, the root-mean-square parameter change of every step over the
    base rate (1 = a step of lr in every coordinate), the endpoint, whether the run failed, and its time.
    ``progress(step, eval_loss, eval_accuracy)`` is called at each evaluation. With ``stop`` (a multiple of
    ``eval_every`` up to ``settings.steps``) only the first ``stop`` steps of the run are trained, on the same
    batches: a *slice* of it (:mod:`radam.transformer.live`), whose record has no endpoint.
    """
    if arm not in arms.ARMS:
        raise ValueError(f"arm must be one of {list(arms.ARMS)}, got {arm!r}")
    if stop is not None and (isinstance(stop, bool) or not isinstance(stop, int) or not 0 < stop <= settings.steps
                             or stop % settings.eval_every):
        raise ValueError(f"stop must be a multiple of eval_every={settings.eval_every} in 1..{settings.steps}, "
                         f"got {stop!r}")
    data = settings.make_task() if data is None else data
    started = time.perf_counter()
    net = model.build_model(settings.vocab, settings.length, **settings.sizes())
    net.set_weights(model.initial_weights(seed, settings.vocab, settings.length, **settings.sizes()))
    probe = Trainer(net, None)
    moment = second_moment(probe, data, seed, settings.batch_size) if arm == "Adam, v known" else None
    trainer = Trainer(net, arms.make_optimizer(arm, settings.learning_rate, settings.beta_2, moment))
    exact_until = settings.warmup_steps if arm == "Adam, exact early gradients" else 0
    batches = data.batch_indices(seed, settings.steps, settings.batch_size)
    record = {"arm": arm, "seed": seed, "eval_step": [], "eval_loss": [], "eval_accuracy": [], "train_loss": [],
              "update_rms": []}
    window = []
    for t in range(1, (settings.steps if stop is None else stop) + 1):
        if t <= exact_until:
            loss, grads = trainer.full_gradients(data.train_x, data.train_y, settings.batch_size)
        else:
            rows = batches[t - 1]
            loss, grads = trainer.gradients(data.train_x[rows], data.train_y[rows])
        record["update_rms"].append(float(trainer.apply(grads)) / settings.learning_rate)
        window.append(float(loss))
        if t % settings.eval_every == 0:
            eval_loss, eval_accuracy = (float(v) for v in trainer.evaluate(data.eval_x, data.eval_y))
            record["eval_step"].append(t)
            record["eval_loss"].append(eval_loss)
            record["eval_accuracy"].append(eval_accuracy)
            record["train_loss"].append(float(np.mean(window)))
            window = []
            if progress is not None:
                progress(t, eval_loss, eval_accuracy)
    if stop is not None:
        return record
    record["endpoint"] = float(np.mean(record["eval_accuracy"][-ENDPOINT_EVALUATIONS:]))
    record["failed"] = failed(record["endpoint"], settings.vocab)
    record["wall_time_s"] = round(time.perf_counter() - started, 1)
    return record
