"""Checks of hyperparameters shared by the NumPy and the Keras optimizers.

Each check raises ``ValueError`` naming the argument and the value it got, and returns the value
(as a float) when it is fine, so constructors can write ``self.beta_1 = check_beta("beta_1", beta_1)``.
"""

import math
import numbers

import numpy as np


def _number(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def check_non_negative(name, value):
    """A finite number >= 0 (learning rates, weight decay, momentum, min_lr)."""
    value = _number(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def check_positive(name, value):
    """A finite number > 0 (epsilon)."""
    value = _number(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def check_beta(name, value):
    """A decay rate in [0, 1) (beta_1, beta_2, rho, momentum)."""
    value = _number(name, value)
    if not 0 <= value < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


def check_fraction(name, value):
    """A proportion in [0, 1] (warmup_proportion)."""
    value = _number(name, value)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return value


def check_steps(name, value):
    """A whole number of steps >= 0 (total_steps; 0 switches the schedule off)."""
    number = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
    if not number or value != int(value) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


def check_sma_threshold(value):
    """RAdam's threshold on rho_t: at least 4, since r_t is undefined where rho_t < 4."""
    value = _number("sma_threshold", value)
    if value < 4:
        raise ValueError(f"sma_threshold must be >= 4 (r_t is undefined where rho_t < 4), got {value!r}")
    return value


def check_flag(name, value):
    """True or False (NumPy booleans too), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_learning_rate(value):
    """A finite number >= 0, or a callable schedule(t) -> float (returned unchanged)."""
    if callable(value):
        return value
    return check_non_negative("learning_rate", value)


def check_blog_schedule(learning_rate, total_steps, warmup_proportion, min_lr):
    """The blog's schedule arguments: total_steps >= 0, warmup_proportion in [0, 1], 0 <= min_lr <= learning_rate."""
    total_steps = check_steps("total_steps", total_steps)
    warmup_proportion = check_fraction("warmup_proportion", warmup_proportion)
    min_lr = check_non_negative("min_lr", min_lr)
    if total_steps and not callable(learning_rate) and min_lr > learning_rate:
        raise ValueError(f"min_lr must be <= learning_rate ({learning_rate!r}) when total_steps > 0, got {min_lr!r}")
    return total_steps, warmup_proportion, min_lr
