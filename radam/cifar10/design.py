"""The numbers that say what a CIFAR-10 run can answer before it is trained: where each arm's warmup ends,
how much of a run comes after every warmup, and how much learning rate each arm sums to.

A comparison of two arms "at a constant rate" means something only for the steps where neither is still
warming up. An arm's warmup is over at the first step from which

- RAdam's multiplier ``a_t`` (:func:`radam.theory.radam_multiplier`: r_t once rho_t >= the threshold, else 0)
  is at least :data:`WARMUP_OVER` (r_t grows monotonically, so it stays there);
- a linear warmup (``warmup_steps``, or the blog's ``total_steps * warmup_proportion``) has reached the full
  rate;

and at step 1 for an arm with neither. Only NumPy: an Arm is data, and this reads its fields.
"""

import math

import numpy as np

from radam import theory

WARMUP_OVER = 0.9
"""The multiplier r_t from which RAdam counts as past its warmup (it is 0.9 at step 2,737 at beta_2 = 0.999,
at step 277 at beta_2 = 0.99)."""


def warmup_end(arm):
    """The first step at which ``arm`` (an :class:`radam.cifar10.Arm`) is past every warmup it has: the later
    of its linear warmup's end and, for RAdam, the first step with a_t >= :data:`WARMUP_OVER`."""
    schedule = arm.total_steps * arm.warmup_proportion if arm.total_steps else arm.warmup_steps
    end = max(1, math.ceil(schedule))
    if arm.optimizer == "radam":
        end = max(end, _first_step_over(arm.beta_2))
    return end


def _first_step_over(beta_2):
    """The first step t with radam_multiplier(t, beta_2) >= WARMUP_OVER, searched in doubling windows."""
    horizon = 64
    while True:
        t = np.arange(1, horizon + 1)
        over = theory.radam_multiplier(t, beta_2) >= WARMUP_OVER
        if over.any():
            return int(t[np.argmax(over)])
        horizon *= 2


def past_warmups(arms, steps):
    """(step, fraction): the step from which every arm of ``arms`` is past its warmup, and the fraction of a
    run of ``steps`` steps that comes from that step on (0 when the run ends before it)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}")
    start = _past_every_warmup(arms)
    return start, max(0, steps - start + 1) / steps


def _past_every_warmup(arms):
    arms = list(arms)
    if not arms:
        raise ValueError("arms must hold at least one arm, got none")
    return max(warmup_end(arm) for arm in arms)


def first_epoch_past(arms, steps_per_epoch):
    """The first epoch e whose change from epoch e - 1 is measured past every warmup of ``arms``: epoch e - 1
    ends at step (e - 1) x ``steps_per_epoch``, at or after the step :func:`past_warmups` gives (2 when no arm
    has a warmup)."""
    if isinstance(steps_per_epoch, bool) or not isinstance(steps_per_epoch, (int, np.integer)) or steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be a whole number >= 1, got {steps_per_epoch!r}")
    return math.ceil(_past_every_warmup(arms) / steps_per_epoch) + 1


def multipliers(arm, steps):
    """lr_t times what multiplies it in the arm's update, at the steps 1 to ``steps``: lr_t a_t for RAdam (0
    where it takes no adaptive step), lr_t for Adam and SGD."""
    t = np.arange(1, steps + 1)
    rate = np.broadcast_to(arm.lr_at(t), t.shape)
    if arm.optimizer == "radam":
        return rate * theory.radam_multiplier(t, arm.beta_2)
    return rate


def summed_rate_fraction(arm, steps):
    """The arm's summed effective rate over ``steps`` steps as a fraction of a constant rate at its base
    learning rate: sum_t lr_t a_t / (steps * lr). 1 for constant-rate Adam; below 1 for a warmup or RAdam,
    which the sweep's summed-rate control matches."""
    return float(multipliers(arm, steps).sum() / (steps * arm.learning_rate))


def rectified_share(arm, steps):
    """For a RAdam arm, sum_t lr_t a_t / sum_t lr_t over ``steps`` steps: how much of the rate its schedule
    gives the rectification lets through (for the blog's schedule, the share the blog's run had)."""
    if arm.optimizer != "radam":
        raise ValueError(f"rectified_share needs a RAdam arm, got {arm.name!r} ({arm.optimizer})")
    t = np.arange(1, steps + 1)
    return float(multipliers(arm, steps).sum() / np.sum(arm.lr_at(t)))
