"""Checks shared by the NumPy and the Keras optimizers: hyperparameters, and the NumPy optimizers' arrays and
saved state.

Each check raises ``ValueError`` naming the argument and the value it got, and returns the value
(as a float) when it is fine, so constructors can write ``self.beta_1 = check_beta("beta_1", beta_1)``.
"""

import math
import numbers

import numpy as np


def shown(value, limit=40):
    """repr(value), shortened to ``limit`` characters (a 400-digit integer stays readable in a message)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}...({len(text)} chars)"


def _number(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {shown(value)}")
    try:
        value = float(value)
    except OverflowError:  # an int beyond the float range, e.g. 10**400
        raise ValueError(f"{name} must be a finite number, got {shown(value)} (too large for a float)") from None
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
    try:
        number = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
    except OverflowError:  # an int beyond the float range: the schedules compute t / total_steps in floats
        raise ValueError(f"{name} must be a whole number below 2**53, got {shown(value)} (too large for a float)") from None
    if not number or value != int(value) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {shown(value)}")
    if value >= 2**53:
        raise ValueError(f"{name} must be a whole number below 2**53, got {shown(value)} (not exact as a float)")
    return int(value)


def check_sma_threshold(value):
    """RAdam's threshold on rho_t: at least 4, since r_t is undefined where rho_t < 4."""
    value = _number("sma_threshold", value)
    if value < 4:
        raise ValueError(f"sma_threshold must be >= 4 (r_t is undefined where rho_t < 4), got {value!r}")
    return value


def check_epsilon_representable(epsilon, dtype, what):
    """epsilon must not round to 0 in ``dtype``, the dtype of ``what`` (else sqrt(v) + epsilon is 0 where v = 0)."""
    dtype = np.dtype(dtype)  # NumPy dtypes, and bfloat16 as ml_dtypes registers it
    if float(np.asarray(epsilon, dtype=dtype)) == 0.0:
        raise ValueError(
            f"epsilon={epsilon!r} underflows to 0 in {dtype.name} (the dtype of {what}): the step "
            f"m / (sqrt(v) + epsilon) would divide by 0 where v = 0; use a larger epsilon or a wider dtype"
        )


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


def check_state_array(what, value, non_negative=False):
    """A C-contiguous float copy of ``value``, an optimizer's saved state named ``what`` (e.g. ``state['slots'][1]['v']``).

    It must be a floating-point array (or a float, or nested lists of them) of finite values, and >= 0 where
    ``non_negative`` (second moments: sums of squares). Strings, integers, objects, booleans are refused.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (np.ndarray, numbers.Real, list, tuple)):
        raise ValueError(f"{what} must be a floating-point array, got {shown(value)}")
    try:
        array = np.array(value, order="C", copy=True)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{what} must be a floating-point array: {error}") from None
    if array.dtype.kind != "f":
        raise ValueError(f"{what} must be a floating-point array, got dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise ValueError(f"{what} holds NaN or infinite values")
    if non_negative and (array < 0).any():
        raise ValueError(f"{what} holds negative values (minimum {float(array.min())!r}); it is a sum of squares, >= 0")
    return array


def check_params_and_grads(params, grads):
    """An optimizer step's ``params`` (one float ndarray, or a list of them, updated in place) and ``grads`` (one
    array-like per parameter, of its shape, castable to its dtype) as two lists of ndarrays."""
    if isinstance(params, np.ndarray):
        params, grads = [params], [grads]
    params, grads = list(params), list(grads)
    if not params:
        raise ValueError("params must hold at least one array, got an empty list")
    if len(grads) != len(params):
        raise ValueError(f"grads must hold one array per parameter ({len(params)}), got {len(grads)}")
    for i, p in enumerate(params):
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise ValueError(f"params[{i}] must be a floating-point ndarray (it is updated in place), got {p!r:.80}")
        if not p.flags.writeable:
            raise ValueError(f"params[{i}] is read-only: the optimizer updates it in place")
        try:
            grads[i] = np.asarray(grads[i])
        except (ValueError, TypeError) as error:
            raise ValueError(f"grads[{i}] cannot be read as an array: {error}") from None
        g = grads[i]
        if g.shape != p.shape:
            raise ValueError(f"grads[{i}] must have the shape of params[{i}] {p.shape}, got {g.shape}")
        if g.dtype != p.dtype and not np.can_cast(g.dtype, p.dtype, "same_kind"):
            raise ValueError(f"grads[{i}] has dtype {g.dtype}, which cannot be cast to params[{i}]'s {p.dtype}")
    return params, grads


def check_state(state, slot_names, non_negative_slots=()):
    """(iterations, slots) of an optimizer's ``state_dict()`` with the slots ``slot_names``, checked: the keys,
    the step count (slots exist exactly after the first step), and each slot (see :func:`check_state_array`),
    the slots of a parameter all of one shape. The slots are copies."""
    if not isinstance(state, dict) or set(state) != {"iterations", "slots"}:
        keys = sorted(state, key=str) if isinstance(state, dict) else None
        raise ValueError(
            f"state must be a dict with the keys ['iterations', 'slots'], got {shown(state)} (keys {keys})"
        )
    iterations = state["iterations"]
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise ValueError(f"state['iterations'] must be a whole number >= 0, got {shown(iterations)}")
    slots = state["slots"]
    if slots is not None:
        if not isinstance(slots, (list, tuple)) or not slots:
            raise ValueError(f"state['slots'] must be None or a non-empty list of dicts, got {shown(slots)}")
        slots = [_checked_slots(i, s, slot_names, non_negative_slots) for i, s in enumerate(slots)]
    if (slots is None) != (iterations == 0):
        raise ValueError(
            f"state['iterations'] is {int(iterations)} but state['slots'] is "
            f"{'None' if slots is None else 'not None'}: the slots exist exactly after the first step"
        )
    return int(iterations), slots


def _checked_slots(i, slots, slot_names, non_negative_slots):
    """Copies of one parameter's slots from a state dict, after checking them; raises ValueError."""
    where = f"state['slots'][{i}]"
    if not isinstance(slots, dict) or set(slots) != set(slot_names):
        got = sorted(slots, key=str) if isinstance(slots, dict) else shown(slots)
        raise ValueError(f"{where} must be a dict with the keys {list(slot_names)}, got {got}")
    checked, shape = {}, None
    for name in slot_names:
        what = f"{where}[{name!r}]"
        array = check_state_array(what, slots[name], non_negative=name in non_negative_slots)
        if shape is not None and array.shape != shape:
            raise ValueError(f"{what} must have the shape of {where}[{slot_names[0]!r}] {shape}, got {array.shape}")
        shape = array.shape
        checked[name] = array
    return checked


def like_steps(t, values):
    """``values`` as the step argument ``t`` came: a float for a single step, the array for an array of steps."""
    return float(values) if np.ndim(t) == 0 else values
