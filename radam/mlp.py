"""A one-hidden-layer ReLU network in NumPy and the data it learns: chapter 5's warmup example.

The inputs are "pixels" in [0, 1], like images. Every input being positive, the gradients of a hidden
unit's incoming weights, dL/dW1[i, j] = sum_n x[n, i] delta[n, j], tend to share one sign. Adam's first
step moves every weight by about lr in the direction of -sign(g), whatever the size of g, so it shifts
each unit's pre-activation z_j = x . W1[:, j] + b1[j] by up to lr * sum_i x_i at once: hundreds of times
lr. Units pushed below zero for every input are dead (ReLU passes no gradient back) and stay dead. ::

    from radam.numpy import Adam
    data = synthetic_images(seed=0)
    run = train(Adam(learning_rate=0.03, beta_2=0.99), data, seed=0, steps=1000)
    run.dead[-1], run.accuracy[-1]
"""

from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np

from radam._validate import check_steps

try:  # optional: one BLAS thread is fastest for these small products, and far faster on a busy machine
    from threadpoolctl import threadpool_limits
except ImportError:
    threadpool_limits = None


def _whole(name, value, minimum):
    value = check_steps(name, value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


@dataclass(frozen=True)
class Dataset:
    """Inputs X (samples, pixels) and integer labels y (samples,) in 0 .. classes - 1."""

    X: np.ndarray
    y: np.ndarray
    classes: int


def synthetic_images(n_samples=2048, pixels=256, classes=10, seed=0):
    """Random "images" X ~ U[0, 1]^pixels, labelled by a random teacher.

    The teacher is a fixed tanh network of the centred pixels, y = argmax(tanh((X - 1/2) A) B) with
    A ~ N(0, 12 / pixels) (32 units) and B ~ N(0, 1 / 32): a non-linear rule a small network can learn.
    """
    n_samples = _whole("n_samples", n_samples, 1)
    pixels = _whole("pixels", pixels, 1)
    classes = _whole("classes", classes, 2)
    rng = np.random.default_rng(seed)
    X = rng.random((n_samples, pixels))
    A = rng.normal(0.0, np.sqrt(12.0 / pixels), (pixels, 32))
    B = rng.normal(0.0, np.sqrt(1.0 / 32), (32, classes))
    y = np.argmax(np.tanh((X - 0.5) @ A) @ B, axis=1)
    return Dataset(X, y, classes)


class MLP:
    """logits = relu(X W1 + b1) W2 + b2, trained on the mean softmax cross-entropy.

    He initialisation W1 ~ N(0, 2 / inputs), W2 ~ N(0, 1 / hidden), zero biases; ``params`` is the list
    [W1, b1, W2, b2] that an optimizer from :mod:`radam.numpy` updates in place.
    """

    def __init__(self, inputs, hidden=128, classes=10, seed=0):
        inputs = _whole("inputs", inputs, 1)
        hidden = _whole("hidden", hidden, 1)
        classes = _whole("classes", classes, 2)
        rng = np.random.default_rng(seed)
        self.params = [
            rng.normal(0.0, np.sqrt(2.0 / inputs), (inputs, hidden)),
            np.zeros(hidden),
            rng.normal(0.0, np.sqrt(1.0 / hidden), (hidden, classes)),
            np.zeros(classes),
        ]

    def preactivations(self, X):
        """z = X W1 + b1, the hidden units' inputs (samples, hidden)."""
        W1, b1, _, _ = self.params
        return X @ W1 + b1

    def logits(self, X):
        _, _, W2, b2 = self.params
        return np.maximum(self.preactivations(X), 0.0) @ W2 + b2

    def loss(self, X, y):
        """Mean cross-entropy -log softmax(logits)[y]."""
        return _cross_entropy(self.logits(X), y)[0]

    def loss_and_gradients(self, X, y):
        """The loss and its gradients [dW1, db1, dW2, db2], by backpropagation."""
        _, _, W2, _ = self.params
        z = self.preactivations(X)
        h = np.maximum(z, 0.0)
        loss, d_logits = _cross_entropy(h @ W2 + self.params[3], y)
        d_z = (d_logits @ W2.T) * (z > 0)
        return loss, [X.T @ d_z, d_z.sum(axis=0), h.T @ d_logits, d_logits.sum(axis=0)]

    def dead_fraction(self, X):
        """The fraction of hidden units with z <= 0 for every row of X: they output 0 and get no gradient."""
        return float(np.mean(np.all(self.preactivations(X) <= 0.0, axis=0)))

    def accuracy(self, X, y):
        return float(np.mean(np.argmax(self.logits(X), axis=1) == y))


def _cross_entropy(logits, y):
    """Mean softmax cross-entropy and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(len(y))
    loss = float(np.mean(log_sum - shifted[rows, y]))
    d_logits = np.exp(shifted - log_sum[:, None])
    d_logits[rows, y] -= 1.0
    return loss, d_logits / len(y)


@dataclass
class TrainingRun:
    """A training run: full-data loss, accuracy and dead fraction at the recorded ``steps`` (0 = before
    training), and for every step t = 1 .. n the minibatch loss before the step and the size of the step
    ||delta theta|| over all parameters."""

    steps: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    dead: np.ndarray
    batch_loss: np.ndarray
    step_size: np.ndarray
    model: MLP

    def at(self, step, metric):
        """The recorded ``metric`` (loss, accuracy or dead) at ``step``, which must be among ``steps``."""
        found = np.flatnonzero(self.steps == step)
        if not found.size:
            raise ValueError(f"step {step!r} was not recorded; recorded steps: {self.steps.tolist()}")
        return float(getattr(self, metric)[found[0]])


def train(optimizer, data, hidden=128, seed=0, steps=1000, batch_size=64, record_at=None):
    """Train a fresh ``MLP(seed=seed)`` on ``data`` with ``optimizer`` for ``steps`` minibatch steps.

    Minibatches are drawn with replacement from a generator seeded with ``seed``, so a run is reproducible;
    ``batch_size=None`` uses the whole data set at every step instead (exact gradients: no gradient noise).
    ``record_at`` lists the steps at which to evaluate on the whole data set (default: 0 to 20, then every 50).
    With threadpoolctl installed, BLAS runs on one thread meanwhile (the products are too small to share).
    """
    steps = check_steps("steps", steps)
    full = batch_size is None
    if not full:
        batch_size = _whole("batch_size", batch_size, 1)
    if record_at is None:
        record_at = np.r_[0:21, 50 : steps + 1 : 50]
    record_at = np.unique(np.asarray(record_at, dtype=int))
    if record_at.size and (record_at[0] < 0 or record_at[-1] > steps):
        raise ValueError(f"record_at must lie in [0, steps={steps}], got {record_at.tolist()!r}")
    recorded = set(record_at.tolist())
    model = MLP(data.X.shape[1], hidden, data.classes, seed)
    rng = np.random.default_rng(seed)
    records, batch_loss, step_size = [], np.empty(steps), np.empty(steps)

    def record(t):
        z = model.preactivations(data.X)
        logits = np.maximum(z, 0.0) @ model.params[2] + model.params[3]
        accuracy = np.mean(np.argmax(logits, axis=1) == data.y)
        records.append((t, _cross_entropy(logits, data.y)[0], accuracy, np.mean(np.all(z <= 0.0, axis=0))))

    before = [np.empty_like(p) for p in model.params]
    with threadpool_limits(1, user_api="blas") if threadpool_limits else nullcontext():
        if 0 in recorded:
            record(0)
        for t in range(1, steps + 1):
            if full:
                batch_loss[t - 1], grads = model.loss_and_gradients(data.X, data.y)
            else:
                batch = rng.integers(0, len(data.y), batch_size)
                batch_loss[t - 1], grads = model.loss_and_gradients(data.X[batch], data.y[batch])
            for copy, p in zip(before, model.params):
                copy[...] = p
            optimizer.step(model.params, grads)
            step_size[t - 1] = np.sqrt(sum(np.sum((p - copy) ** 2) for p, copy in zip(model.params, before)))
            if t in recorded:
                record(t)
    columns = np.array(records, dtype=float).reshape(-1, 4).T
    return TrainingRun(columns[0].astype(int), columns[1], columns[2], columns[3], batch_loss, step_size, model)


def keras_lockstep(numpy_optimizer, keras_optimizer, data, steps=30, seed=0, batch_size=64, hidden=128):
    """Train ``MLP(seed)`` with a :mod:`radam.numpy` optimizer and apply the same gradients, step by step, to a
    float32 Keras copy of its weights with a Keras optimizer (Keras is imported here, not before).

    Returns (the NumPy-trained model, an MLP holding the Keras weights, the largest weight difference seen
    at any step). Minibatches are drawn as :func:`train` draws them.
    """
    import keras

    steps = check_steps("steps", steps)
    model = MLP(data.X.shape[1], hidden, data.classes, seed)
    variables = [keras.Variable(p.astype("float32")) for p in model.params]
    rng, worst = np.random.default_rng(seed), 0.0
    for _ in range(steps):
        batch = rng.integers(0, len(data.y), batch_size)
        grads = model.loss_and_gradients(data.X[batch], data.y[batch])[1]
        keras_optimizer.apply_gradients(zip([g.astype("float32") for g in grads], variables))
        numpy_optimizer.step(model.params, grads)
        worst = max(worst, max(float(np.max(np.abs(p - v.numpy()))) for p, v in zip(model.params, variables)))
    keras_model = MLP(data.X.shape[1], hidden, data.classes, seed)
    keras_model.params = [v.numpy().astype(np.float64) for v in variables]
    return model, keras_model, worst
