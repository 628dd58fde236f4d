"""radam.cifar10.design: where warmups end, how much of a run is past them, summed rates; against formulas
written out here from the paper's definitions."""

import math

import numpy as np
import pytest

from radam import theory
from radam.cifar10 import NAMED_ARMS, design
from radam.cifar10.arms import Arm


def r_t(t, beta_2):
    """The paper's rectification, written out (NaN where rho_t <= 4)."""
    rho_inf = 2 / (1 - beta_2) - 1
    rho = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
    if rho <= 4:
        return math.nan
    return math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))


def first_over(beta_2, level=0.9):
    t = 1
    while not r_t(t, beta_2) >= level:  # NaN compares false
        t += 1
    return t


@pytest.mark.parametrize("beta_2, expected", [(0.999, 2737), (0.99, 277), (0.95, first_over(0.95))])
def test_radam_is_past_its_warmup_where_r_t_reaches_0_9(beta_2, expected):
    assert first_over(beta_2) == expected
    assert design.warmup_end(Arm("r", "radam", beta_2=beta_2)) == expected
    assert r_t(expected - 1, beta_2) < 0.9 <= r_t(expected, beta_2)


@pytest.mark.parametrize("beta_2, step", [(0.99, 6), (0.99, 277), (0.999, 128), (0.999, 129), (0.95, 60)])
def test_the_warmup_is_over_where_the_multiplier_reaches_the_level_exactly(monkeypatch, beta_2, step):
    """At a level a_t takes exactly (the search windows' edges: 64, 128, ... included), that step is the end."""
    level = float(theory.radam_multiplier(np.array([step]), beta_2)[0])
    monkeypatch.setattr(design, "WARMUP_OVER", level)
    assert design.warmup_end(Arm("r", "radam", beta_2=beta_2)) == step


def test_linear_warmups_end_at_their_full_rate():
    assert design.warmup_end(NAMED_ARMS["adam"]) == design.warmup_end(NAMED_ARMS["sgd"]) == 1
    assert design.warmup_end(NAMED_ARMS["adam-warmup"]) == 2000  # 2 / (1 - 0.999)
    assert design.warmup_end(NAMED_ARMS["adam-blog"]) == 500  # 5000 x 0.1
    assert design.warmup_end(NAMED_ARMS["radam-blog"]) == 2737  # the later of 500 and r_t's 2,737
    assert design.warmup_end(Arm("w", warmup_steps=200.5)) == 201


def test_the_fraction_past_every_warmup():
    arms = [NAMED_ARMS[name] for name in ("adam", "adam-warmup", "radam")]
    assert design.past_warmups(arms, 5680) == (2737, (5680 - 2737 + 1) / 5680)
    assert design.past_warmups(arms, 2737) == (2737, 1 / 2737)
    assert design.past_warmups(arms, 100) == (2737, 0.0)
    assert design.past_warmups([NAMED_ARMS["adam"]], 10) == (1, 1.0)
    assert design.past_warmups([NAMED_ARMS["adam"]], 1) == (1, 1.0)


@pytest.mark.parametrize("steps, message", [(0, "steps must be a whole number >= 1, got 0"),
                                            (2.5, "got 2.5"), (True, "got True")])
def test_a_run_without_steps_is_refused(steps, message):
    with pytest.raises(ValueError, match=message):
        design.past_warmups([NAMED_ARMS["adam"]], steps)


def test_no_arms_are_refused():
    with pytest.raises(ValueError, match="^arms must hold at least one arm, got none$"):
        design.past_warmups([], 10)


def test_summed_rates_against_closed_forms():
    # A linear warmup of W steps (lr t / W up to W) over T steps sums to lr (T - (W - 1) / 2).
    for warmup, steps in ((2000, 5680), (200, 1065), (7, 7)):
        arm = Arm("w", learning_rate=3e-3, warmup_steps=warmup)
        assert design.summed_rate_fraction(arm, steps) == pytest.approx((steps - (warmup - 1) / 2) / steps)
    assert design.summed_rate_fraction(NAMED_ARMS["adam"], 1000) == pytest.approx(1.0)
    # RAdam: the mean of a_t (0 before rho_t reaches 5, r_t after), written out.
    a = [r_t(t, 0.99) if t >= 6 else 0.0 for t in range(1, 1066)]
    assert design.summed_rate_fraction(Arm("r", "radam", learning_rate=0.01, beta_2=0.99), 1065) == pytest.approx(
        np.mean(a), rel=1e-9)


def test_the_blog_schedules_rectified_share():
    """The blog's run (100 epochs of 782 steps, schedule of 5,000 steps) lets through about 80% of its rate;
    the same schedule in steps over 80 epochs of 71 steps about 74%; squeezed into 550 steps (the old
    --scale-schedules run, 33 epochs of 86 steps) 33%."""
    blog = NAMED_ARMS["radam-blog"]

    def share(arm, steps):
        t = np.arange(1, steps + 1)
        lr = arm.lr_at(t)
        a = np.array([r_t(s, arm.beta_2) if s >= 6 else 0.0 for s in t])  # rho_5 = 4.996 < 5: none before 6
        return (lr * a).sum() / lr.sum()

    for arm, steps in ((blog, 78_200), (blog, 5680), (blog.scaled(86), 2838)):
        assert design.rectified_share(arm, steps) == pytest.approx(share(arm, steps), rel=1e-9)
    constant = Arm("r", "radam", learning_rate=3e-3, beta_2=0.99)  # a constant rate: its summed fraction
    assert design.rectified_share(constant, 1065) == pytest.approx(design.summed_rate_fraction(constant, 1065))
    assert round(design.rectified_share(blog, 78_200), 2) == 0.80
    assert round(design.rectified_share(blog.scaled(86), 2838), 2) == 0.33
    with pytest.raises(ValueError, match="rectified_share needs a RAdam arm, got 'adam-blog'"):
        design.rectified_share(NAMED_ARMS["adam-blog"], 100)


def test_the_first_epoch_whose_change_is_past_every_warmup():
    """RAdam at 0.999 is past its warmup from step 2,737: with 71 steps an epoch, epoch 39 ends at step 2,769
    (38 x 71 = 2,698 is short of it), so the first change counted is the one into epoch 40."""
    blog_arms = [NAMED_ARMS["radam-blog"], NAMED_ARMS["adam"]]
    assert design.first_epoch_past(blog_arms, 71) == 40
    assert 38 * 71 < 2737 <= 39 * 71
    assert design.first_epoch_past([NAMED_ARMS["adam-blog"]], 100) == 6  # 500 steps: epoch 5 ends at step 500
    assert design.first_epoch_past([NAMED_ARMS["adam-blog"]], 99) == 7  # epoch 5 ends at 495, before 500
    assert design.first_epoch_past([NAMED_ARMS["adam"]], 71) == 2  # no warmup: every change
    assert design.first_epoch_past([NAMED_ARMS["adam-blog"]], 1) == 501  # an epoch of one step
    with pytest.raises(ValueError, match="^arms must hold at least one arm, got none$"):
        design.first_epoch_past([], 71)
    for bad in (0, 7.5, True):
        with pytest.raises(ValueError, match=f"^steps_per_epoch must be a whole number >= 1, got {bad!r}$"):
            design.first_epoch_past(blog_arms, bad)
