"""radam.schedules at hand-computed steps, for scalar and array steps."""

import math

import numpy as np
import pytest

from radam import schedules

BLOG = {"learning_rate": 1e-3, "total_steps": 5000, "warmup_proportion": 0.1, "min_lr": 1e-5}


@pytest.mark.parametrize(
    "t, expected",
    [
        (1, 1e-3 / 500),  # warmup = 5000 * 0.1 = 500 steps, rising by 1e-3 / 500 a step
        (250, 0.5e-3),
        (500, 1e-3),  # the peak at the end of the warmup
        (501, 1e-3 - (1e-3 - 1e-5) / 4500),  # then falling over 4500 steps to min_lr
        (2750, (1e-3 + 1e-5) / 2),  # half way down
        (5000, 1e-5),
        (5001, 1e-5),  # and staying there
        (100_000, 1e-5),
    ],
)
def test_blog_schedule_at_hand_computed_steps(t, expected):
    schedule = schedules.warmup_then_linear_decay(**BLOG)
    assert schedule(t) == pytest.approx(expected, rel=1e-12)
    assert type(schedule(t)) is float


def test_blog_schedule_is_vectorised():
    schedule = schedules.warmup_then_linear_decay(**BLOG)
    t = np.array([[1, 250, 500], [2750, 5000, 6000]])
    values = schedule(t)
    assert values.shape == t.shape
    np.testing.assert_allclose(values, [[2e-6, 5e-4, 1e-3], [5.05e-4, 1e-5, 1e-5]], rtol=1e-12)


def test_blog_schedule_is_piecewise_linear():
    values = schedules.warmup_then_linear_decay(**BLOG)(np.arange(1, 6001))
    rise, fall, flat = np.diff(values[:500]), np.diff(values[500:5000]), values[4999:]
    np.testing.assert_allclose(rise, 1e-3 / 500, rtol=1e-9)
    np.testing.assert_allclose(fall, -(1e-3 - 1e-5) / 4500, rtol=1e-9)
    np.testing.assert_allclose(flat, 1e-5, rtol=1e-12)


@pytest.mark.parametrize(
    "warmup_proportion, t, expected",
    [
        (0.0, 1, 1e-3 - (1e-3 - 1e-5) / 5000),  # no warmup: the decay starts at once
        (0.0, 5000, 1e-5),
        (1.0, 2500, 0.5e-3),  # all warmup: the peak at total_steps, then min_lr
        (1.0, 5000, 1e-3),
        (1.0, 5001, 1e-5),
        (0.011, 55, 1e-3),  # a fractional warmup of 55 steps
        (0.0111, 55, 1e-3 * 55 / 55.5),
        (0.0111, 56, 1e-3 - (1e-3 - 1e-5) * 0.5 / 4944.5),
    ],
)
def test_blog_schedule_edges(warmup_proportion, t, expected):
    schedule = schedules.warmup_then_linear_decay(**{**BLOG, "warmup_proportion": warmup_proportion})
    assert schedule(t) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    "t, expected",
    [(1, 0.01), (5, 0.05), (10, 0.1), (11, 0.1), (1000, 0.1)],
)
def test_linear_warmup(t, expected):
    assert schedules.linear_warmup(0.1, 10)(t) == pytest.approx(expected, rel=1e-12)


def test_linear_warmup_vectorised_and_without_warmup():
    np.testing.assert_allclose(schedules.linear_warmup(0.1, 10)(np.array([2, 20])), [0.02, 0.1], rtol=1e-12)
    constant = schedules.linear_warmup(0.1, 0)
    assert constant(1) == 0.1
    np.testing.assert_array_equal(constant(np.arange(1, 4)), [0.1, 0.1, 0.1])


def test_untuned_warmup_of_ma_and_yarats():
    # 2 / (1 - beta_2) steps: 2000 for 0.999 (up to the rounding of 1 - 0.999), 20 for 0.9.
    assert schedules.untuned_warmup_steps(0.999) == pytest.approx(2000, rel=1e-12)
    assert schedules.untuned_warmup_steps(0.9) == pytest.approx(20, rel=1e-12)
    linear = schedules.untuned_linear_warmup(0.01, 0.999)
    assert linear(1000) == pytest.approx(0.005, rel=1e-9)
    assert linear(2000) == pytest.approx(0.01, rel=1e-9)
    assert linear(5000) == 0.01
    exponential = schedules.untuned_exponential_warmup(0.01, 0.999)
    assert exponential(1) == pytest.approx(0.01 * (1 - math.exp(-0.001)), rel=1e-9)
    assert exponential(2000) == pytest.approx(0.01 * (1 - math.exp(-2)), rel=1e-9)  # 86.5% of the rate
    np.testing.assert_allclose(
        exponential(np.array([1, 2000])), [exponential(1), exponential(2000)], rtol=1e-15
    )


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: schedules.warmup_then_linear_decay(1e-3, 0), r"total_steps must be > 0.*got 0"),
        (lambda: schedules.warmup_then_linear_decay(1e-3, -5), r"total_steps must be a whole number >= 0, got -5"),
        (lambda: schedules.warmup_then_linear_decay(1e-3, 10.5), r"total_steps must be a whole number >= 0, got 10\.5"),
        (lambda: schedules.warmup_then_linear_decay(1e-3, 100, 1.5), r"warmup_proportion must be in \[0, 1\], got 1.5"),
        (lambda: schedules.warmup_then_linear_decay(1e-3, 100, 0, 1e-2), r"min_lr must be <= learning_rate.*got 0\.01"),
        (lambda: schedules.warmup_then_linear_decay(-1e-3, 100), r"learning_rate must be >= 0, got -0\.001"),
        (lambda: schedules.linear_warmup(float("inf"), 10), r"learning_rate must be finite, got inf"),
        (lambda: schedules.linear_warmup(0.1, -1), r"warmup_steps must be >= 0, got -1"),
        (lambda: schedules.untuned_warmup_steps(1.0), r"beta_2 must be in \[0, 1\), got 1\.0"),
        (lambda: schedules.untuned_exponential_warmup(0.1, -0.5), r"beta_2 must be in \[0, 1\), got -0\.5"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


SCHEDULES = {
    "linear_warmup": lambda: schedules.linear_warmup(0.1, 10),
    "linear_warmup without warmup": lambda: schedules.linear_warmup(0.1, 0),
    "blog": lambda: schedules.warmup_then_linear_decay(**BLOG),
    "blog without warmup": lambda: schedules.warmup_then_linear_decay(1e-3, 50, warmup_proportion=0.0),
    "untuned exponential": lambda: schedules.untuned_exponential_warmup(0.1, 0.9),
}


@pytest.mark.parametrize("make", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_any_array_of_steps_gives_float64_rates_of_its_shape_without_warnings(make):
    import warnings

    schedule = make()
    steps = np.arange(1, 61).reshape(3, 20)
    one_by_one = np.array([[schedule(int(t)) for t in row] for row in steps])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. no division by a warmup of 0 steps
        for dtype in (np.int64, np.float32, np.float64):
            rates = schedule(steps.astype(dtype))
            assert rates.shape == steps.shape and rates.dtype == np.float64
            np.testing.assert_array_equal(rates, one_by_one)


def test_the_blog_schedule_decays_to_0_by_default():
    schedule = schedules.warmup_then_linear_decay(1e-3, 100)
    assert schedule(10) == pytest.approx(1e-3, rel=1e-15) and schedule(100) == 0.0 == schedule(200)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: schedules.warmup_then_linear_decay(1e-3, 0), r"^total_steps must be > 0 for a warmup-then-decay"),
        (lambda: schedules.untuned_exponential_warmup(-1.0, 0.9), r"^learning_rate must be >= 0, got -1\.0"),
        (lambda: schedules.untuned_exponential_warmup(0.1, 1.0), r"^beta_2 must be in \[0, 1\), got 1\.0"),
    ],
)
def test_bad_arguments_are_named_exactly(call, match):
    with pytest.raises(ValueError, match=match):
        call()
