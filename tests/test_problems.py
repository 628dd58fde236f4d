"""radam.problems: gradients against finite differences, and ``run`` (length, divergence, seeds)."""

import numpy as np
import pytest

from radam import problems
from radam.numpy import SGD, Adam, RAdam

DETERMINISTIC = {
    "quadratic": problems.quadratic,
    "rotated quadratic": problems.rotated_quadratic,
    "rotated quadratic (condition 10, angle 1)": lambda: problems.rotated_quadratic(condition=10.0, angle=1.0),
    "Rosenbrock": problems.rosenbrock,
    "Rosenbrock (a=2, b=50)": lambda: problems.rosenbrock(a=2.0, b=50.0),
    "noisy quadratic, sigma 0": lambda: problems.noisy(problems.quadratic(), 0.0),
    # A minibatch of every sample (drawn without replacement) gives the full gradient.
    "least squares, full batch": lambda: problems.minibatch_least_squares(n_samples=64, batch_size=64),
}


def finite_difference(loss, x, h=1e-6):
    return np.array([(loss(x + h * e) - loss(x - h * e)) / (2 * h) for e in np.eye(2)])


@pytest.mark.parametrize("make", DETERMINISTIC.values(), ids=DETERMINISTIC.keys())
def test_gradient_matches_finite_differences(make):
    problem = make()
    rng = np.random.default_rng(0)
    (low1, high1), (low2, high2) = problem.bounds
    for x in rng.uniform([low1, low2], [high1, high2], size=(5, 2)):
        expected = finite_difference(problem.loss, x)
        np.testing.assert_allclose(problem.gradient(x, rng), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make", DETERMINISTIC.values(), ids=DETERMINISTIC.keys())
def test_gradient_vanishes_at_the_minimum_and_loss_is_vectorised(make):
    problem = make()
    np.testing.assert_allclose(problem.gradient(np.array(problem.minimum), np.random.default_rng(0)), 0, atol=1e-9)
    grid = np.random.default_rng(1).normal(size=(3, 4, 2))
    losses = problem.loss(grid)
    assert losses.shape == (3, 4)
    for index in np.ndindex(3, 4):
        assert losses[index] == pytest.approx(float(problem.loss(grid[index])), rel=1e-12)
        assert losses[index] >= problem.loss(np.array(problem.minimum)) - 1e-12


def test_noisy_gradient_is_the_gradient_plus_gaussian_noise():
    base = problems.rosenbrock()
    problem = problems.noisy(base, 0.5)
    assert problem.stochastic and problem.loss is base.loss
    x, rng = np.array([0.3, -0.2]), np.random.default_rng(0)
    noise = np.array([problem.gradient(x, rng) for _ in range(20_000)]) - base.gradient(x)
    # Mean within 5 standard errors (0.5 / sqrt(20000) = 0.0035); standard deviation within 3%.
    np.testing.assert_allclose(noise.mean(axis=0), 0, atol=0.018)
    np.testing.assert_allclose(noise.std(axis=0), 0.5, rtol=0.03)


def test_minibatch_gradient_is_unbiased():
    problem = problems.minibatch_least_squares(n_samples=512, batch_size=8, seed=3)
    assert problem.stochastic
    w, rng = np.array([0.5, 0.5]), np.random.default_rng(0)
    full = finite_difference(problem.loss, w)
    samples = np.array([problem.gradient(w, rng) for _ in range(20_000)])
    standard_error = samples.std(axis=0) / np.sqrt(len(samples))
    assert np.all(np.abs(samples.mean(axis=0) - full) < 5 * standard_error)
    assert np.all(samples.std(axis=0) > 0.1 * np.abs(full))  # and noisy


def test_run_returns_the_whole_trajectory():
    problem = problems.rosenbrock()
    trajectory = problems.run(Adam(learning_rate=0.05), problem, steps=40)
    assert not trajectory.diverged
    assert trajectory.steps == 40
    assert trajectory.xs.shape == (41, 2) and trajectory.losses.shape == (41,)
    np.testing.assert_array_equal(trajectory.xs[0], problem.x0)
    np.testing.assert_allclose(trajectory.losses, problem.loss(trajectory.xs), rtol=1e-12)
    assert trajectory.losses[-1] < trajectory.losses[0]
    assert trajectory.message == "40 steps"


def test_run_follows_the_optimizer_step_by_step():
    problem = problems.quadratic()
    trajectory = problems.run(SGD(learning_rate=0.1), problem, x0=(1.0, 1.0), steps=3)
    # x -= 0.1 * (0.2 x1, 4 x2): x1 shrinks by 0.98 a step, x2 by 0.6.
    np.testing.assert_allclose(trajectory.xs, [[1, 1], [0.98, 0.6], [0.98**2, 0.36], [0.98**3, 0.216]], rtol=1e-12)
    assert problems.run(SGD(), problem, steps=0).xs.shape == (1, 2)


def test_diverging_run_stops_at_the_first_non_finite_loss():
    problem = problems.quadratic()
    # SGD with learning rate 1 multiplies x2 by (1 - 4) = -3 every step. Follow it in plain floats to find the
    # first step whose loss 0.1 x1^2 + 2 x2^2 overflows.
    x1, x2, expected = np.float64(-5.0), np.float64(-2.0), None
    with np.errstate(over="ignore"):
        for t in range(1, 1000):
            x1, x2 = x1 - 0.2 * x1, x2 - 4.0 * x2
            if not np.isfinite(0.1 * x1**2 + 2.0 * x2**2):
                expected = t
                break
    assert expected is not None
    trajectory = problems.run(SGD(learning_rate=1.0), problem, steps=1000)
    assert trajectory.diverged
    assert trajectory.steps == expected - 1
    assert np.all(np.isfinite(trajectory.losses)) and np.all(np.isfinite(trajectory.xs))
    assert f"diverged at step {expected}" in trajectory.message


@pytest.mark.parametrize(
    "problem",
    [problems.noisy(problems.rosenbrock(), 1.0), problems.minibatch_least_squares()],
    ids=["noisy Rosenbrock", "minibatch least squares"],
)
def test_stochastic_runs_are_reproducible_with_a_seed(problem):
    first = problems.run(RAdam(learning_rate=0.01), problem, steps=50, seed=4)
    again = problems.run(RAdam(learning_rate=0.01), problem, steps=50, seed=4)
    other = problems.run(RAdam(learning_rate=0.01), problem, steps=50, seed=5)
    np.testing.assert_array_equal(first.xs, again.xs)
    assert not np.array_equal(first.xs, other.xs)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: problems.run(SGD(), problems.quadratic(), steps=-1), r"steps must be a whole number >= 0, got -1"),
        (lambda: problems.run(SGD(), problems.quadratic(), steps=2.5), r"steps must be a whole number >= 0, got 2\.5"),
        (lambda: problems.run(SGD(), problems.quadratic(), x0=(1.0, 2.0, 3.0)), r"x0 must be a 2-D point, got \(1\.0"),
        (lambda: problems.rotated_quadratic(condition=0.0), r"condition must be > 0, got 0\.0"),
        (lambda: problems.noisy(problems.quadratic(), -1.0), r"sigma must be >= 0, got -1\.0"),
        (lambda: problems.minibatch_least_squares(n_samples=10, batch_size=11), r"batch_size must be in \[1, n_sa"),
        (lambda: problems.minibatch_least_squares(batch_size=0), r"batch_size must be in \[1, n_samples=512\], got 0"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
