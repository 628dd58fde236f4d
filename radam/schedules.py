"""Learning-rate schedules: each function returns ``schedule(t) -> lr_t`` for the 1-based step t.

Schedules accept a number or a NumPy array of steps (so the book can plot them) and return a float
or an array of the same shape. Any of them can be passed as ``learning_rate`` to the optimizers in
:mod:`radam.numpy`.
"""

import numpy as np

from radam._validate import check_beta, check_blog_schedule, check_non_negative, like_steps


def linear_warmup(learning_rate, warmup_steps):
    """lr_t = learning_rate * min(1, t / warmup_steps); no warmup when warmup_steps is 0."""
    learning_rate = check_non_negative("learning_rate", learning_rate)
    warmup_steps = check_non_negative("warmup_steps", warmup_steps)

    def schedule(t):
        steps = np.asarray(t, dtype=np.float64)
        if warmup_steps == 0:
            return like_steps(t, np.full_like(steps, learning_rate))
        return like_steps(t, learning_rate * np.minimum(1.0, steps / warmup_steps))

    return schedule


def warmup_then_linear_decay(learning_rate, total_steps, warmup_proportion=0.1, min_lr=0.0):
    """The blog's (and keras-radam's) schedule, the one RAdam applies when total_steps > 0.

    With warmup = total_steps * warmup_proportion::

        lr_t = learning_rate * t / warmup                                         for t <= warmup
        lr_t = learning_rate + (min_lr - learning_rate) * min(t - warmup, decay) / decay   after,

    where decay = max(total_steps - warmup, 1): the rate falls linearly to min_lr at t = total_steps
    and stays there.
    """
    learning_rate = check_non_negative("learning_rate", learning_rate)
    total_steps, warmup_proportion, min_lr = check_blog_schedule(learning_rate, total_steps, warmup_proportion, min_lr)
    if total_steps == 0:
        raise ValueError("total_steps must be > 0 for a warmup-then-decay schedule, got 0")

    def schedule(t):
        return like_steps(t, blog_learning_rate(learning_rate, t, total_steps, warmup_proportion, min_lr))

    return schedule


def blog_learning_rate(learning_rate, t, total_steps, warmup_proportion, min_lr):
    """lr_t of :func:`warmup_then_linear_decay` for a base rate (and t) already checked; an array."""
    steps = np.asarray(t, dtype=np.float64)
    warmup = total_steps * warmup_proportion
    decay = max(total_steps - warmup, 1.0)
    rising = learning_rate * steps / warmup if warmup > 0 else np.full_like(steps, learning_rate)
    falling = learning_rate + (min_lr - learning_rate) * np.minimum(steps - warmup, decay) / decay
    return np.where(steps <= warmup, rising, falling)


def untuned_warmup_steps(beta_2):
    """The untuned linear warmup length 2 / (1 - beta_2) of Ma and Yarats (2019)."""
    beta_2 = check_beta("beta_2", beta_2)
    return 2.0 / (1.0 - beta_2)


def untuned_linear_warmup(learning_rate, beta_2):
    """Linear warmup over 2 / (1 - beta_2) steps (Ma and Yarats, 2019): no warmup length to tune."""
    return linear_warmup(learning_rate, untuned_warmup_steps(beta_2))


def untuned_exponential_warmup(learning_rate, beta_2):
    """lr_t = learning_rate * (1 - exp(-(1 - beta_2) t)), Ma and Yarats' (2019) exponential form."""
    learning_rate = check_non_negative("learning_rate", learning_rate)
    beta_2 = check_beta("beta_2", beta_2)

    def schedule(t):
        steps = np.asarray(t, dtype=np.float64)
        return like_steps(t, learning_rate * -np.expm1(-(1.0 - beta_2) * steps))

    return schedule
