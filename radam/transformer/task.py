"""The synthetic sequence tasks the Transformer learns, generated from a seed (NumPy only, no download).

A sample is a sequence x of ``length`` tokens drawn uniformly from 0 .. vocab - 1 and a target y of the same
length, one label per position:

- ``sort``: y = sorted(x), the i-th smallest token at position i (needs attention to every token: a count);
- ``reverse``: y = x[::-1], the token at the mirrored position (needs attention to one position).

Chance (guessing uniformly) is 1 / vocab per token. A fixed training set (the "full batch") and a held-out
evaluation set are drawn once from ``data_seed``, independently of the seeds of the runs.
"""

from dataclasses import dataclass

import numpy as np

TASKS = ("sort", "reverse")
"""The tasks :func:`make_task` knows."""


def _whole(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Task:
    """The training and evaluation sequences of one task: inputs (samples, length) and targets alike, int32."""

    name: str
    vocab: int
    length: int
    train_x: np.ndarray
    train_y: np.ndarray
    eval_x: np.ndarray
    eval_y: np.ndarray

    @property
    def chance(self):
        """The token accuracy of a uniform guess, 1 / vocab."""
        return 1.0 / self.vocab

    def batch_indices(self, seed, steps, batch_size):
        """(steps, batch_size) indices into the training set: minibatches drawn with replacement from a
        generator of ``seed`` alone, so every arm of a seed sees the same batches."""
        rng = np.random.default_rng([seed, 17])
        return rng.integers(0, len(self.train_y), (steps, batch_size))


def targets(name, x):
    """The target of every row of ``x`` under task ``name``."""
    if name == "sort":
        return np.sort(x, axis=1)
    if name == "reverse":
        return x[:, ::-1].copy()
    raise ValueError(f"task must be one of {list(TASKS)}, got {name!r}")


def make_task(name="sort", vocab=16, length=12, n_train=2048, n_eval=512, data_seed=0):
    """Draw a :class:`Task`: ``n_train`` training and ``n_eval`` evaluation sequences from ``data_seed``."""
    if name not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {name!r}")
    vocab = _whole("vocab", vocab, 2)
    length = _whole("length", length, 2)
    n_train = _whole("n_train", n_train, 1)
    n_eval = _whole("n_eval", n_eval, 1)
    rng = np.random.default_rng([data_seed, 11])
    x = rng.integers(0, vocab, (n_train + n_eval, length)).astype(np.int32)
    y = targets(name, x).astype(np.int32)
    return Task(name, vocab, length, x[:n_train], y[:n_train], x[n_train:], y[n_train:])
