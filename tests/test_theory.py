"""radam.theory: rho_inf, rho_t, r_t and the first adaptive step against values worked out by hand, and
the Monte-Carlo variance of the adaptive learning rate against the paper's approximation."""

import math

import numpy as np
import pytest

from radam import theory

BETAS = (0.9, 0.99, 0.999)


@pytest.mark.parametrize("beta_2, expected", [(0.9, 19.0), (0.99, 199.0), (0.999, 1999.0), (0.0, 1.0), (0.5, 3.0)])
def test_rho_inf_is_2_over_1_minus_beta_2_minus_1(beta_2, expected):
    assert theory.rho_inf(beta_2) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("beta_2", BETAS + (0.5,))
def test_first_steps_of_rho_t_in_closed_form(beta_2):
    # rho_t = rho_inf - 2 t b^t / (1 - b^t) with rho_inf = (1 + b) / (1 - b); over the common denominator
    # the factor (1 - b) cancels: rho_1 = 1, rho_2 = (1 + 3b) / (1 + b), rho_3 = (1 + 3b + 5b^2) / (1 + b + b^2).
    b = beta_2
    assert theory.rho_t(1, b) == pytest.approx(1.0, rel=1e-9)
    assert theory.rho_t(2, b) == pytest.approx((1 + 3 * b) / (1 + b), rel=1e-9)
    assert theory.rho_t(3, b) == pytest.approx((1 + 3 * b + 5 * b * b) / (1 + b + b * b), rel=1e-9)


def test_rho_t_and_r_t_at_hand_computed_steps():
    # beta_2 = 0.9, t = 6: 0.9^6 = 0.531441, rho_6 = 19 - 12 * 0.531441 / 0.468559 = 5.389565;
    # r_6 = sqrt(1.389565 * 3.389565 * 19 / (15 * 17 * 5.389565)) = sqrt(89.4897 / 1374.339) = 0.255177.
    assert theory.rho_t(6, 0.9) == pytest.approx(5.389565, rel=1e-6)
    assert theory.rectification(6, 0.9) == pytest.approx(0.255177, rel=1e-5)
    # beta_2 = 0.9, t = 5: 0.9^5 = 0.59049, rho_5 = 19 - 10 * 0.59049 / 0.40951 = 4.580572.
    assert theory.rho_t(5, 0.9) == pytest.approx(4.580572, rel=1e-6)
    # rho_t approaches rho_inf and r_t approaches 1: at t = 50,000, beta_2^t = e^-50 is negligible.
    assert theory.rho_t(50_000, 0.999) == pytest.approx(1999.0, rel=1e-12)
    assert theory.rectification(50_000, 0.999) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("beta_2", BETAS)
def test_rho_t_rises_from_1_towards_rho_inf(beta_2):
    rho = theory.rho_t(np.arange(1, 20_001), beta_2)
    assert np.all(np.diff(rho[:100]) > 0)
    assert np.all(np.diff(rho) >= 0)  # once beta_2^t is below rounding, rho_t equals rho_inf
    assert np.all(rho <= theory.rho_inf(beta_2))
    assert rho[-1] == pytest.approx(theory.rho_inf(beta_2), rel=1e-6)


@pytest.mark.parametrize("beta_2", BETAS)
def test_rectification_is_nan_where_rho_t_is_at_most_4(beta_2):
    t = np.arange(1, 200)
    rho, r = theory.rho_t(t, beta_2), theory.rectification(t, beta_2)
    assert np.array_equal(np.isnan(r), rho <= 4)
    assert np.all((r[rho > 4] > 0) & (r[rho > 4] < 1))
    assert math.isnan(theory.rectification(4, beta_2))  # rho_4 < 4 for these three (3.74, 3.97, 3.997)
    assert np.all(np.isnan(theory.rectification(t, 0.5)))  # rho_inf = 3: never rectifiable


def test_functions_of_t_are_vectorised_and_return_floats_for_scalars():
    t = np.array([[1, 5], [6, 100]])
    for function in (theory.rho_t, theory.rectification, theory.adaptive_lr_variance_approx):
        values = function(t, 0.99)
        assert values.shape == (2, 2)
        for index in np.ndindex(t.shape):
            scalar = function(int(t[index]), 0.99)
            assert type(scalar) is float
            np.testing.assert_equal(values[index], scalar)


@pytest.mark.parametrize(
    "beta_2, sma_threshold, expected",
    # From the rho_t values above: for 0.9, rho_4..7 = 3.74, 4.58, 5.39, 6.16; for 0.99, 3.97, 4.96, 5.94, 6.92;
    # for 0.999, 3.997, 4.996, 5.994, 6.992. For 0.9 and threshold 10: rho_12 = 9.55, rho_13 = 10.14.
    [(b, s, s + 1) for b in BETAS for s in (4, 5, 6)] + [(0.9, 10, 13)],
)
def test_first_adaptive_step(beta_2, sma_threshold, expected):
    assert theory.first_adaptive_step(beta_2, sma_threshold) == expected


@pytest.mark.parametrize("beta_2, sma_threshold", [(0.999, 100.0), (0.99, 150.0), (0.9, 18.0), (0.95, 4.0)])
def test_first_adaptive_step_is_where_rho_t_first_reaches_the_threshold(beta_2, sma_threshold):
    t = theory.first_adaptive_step(beta_2, sma_threshold)
    assert theory.rho_t(t - 1, beta_2) < sma_threshold <= theory.rho_t(t, beta_2)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: theory.first_adaptive_step(0.5, 5.0), r"sma_threshold must be below rho_inf = 3 .*got 5\.0"),
        (lambda: theory.first_adaptive_step(0.9, 20), r"sma_threshold must be below rho_inf = 19 .*got 20"),
        (lambda: theory.first_adaptive_step(0.999, 3.0), r"sma_threshold must be >= 4.*got 3\.0"),
        (lambda: theory.rho_t(0, 0.999), r"t must hold whole steps >= 1, got 0"),
        (lambda: theory.rho_t(np.array([1, 2.5]), 0.999), r"t must hold whole steps >= 1, got array\(\[1\. , 2\.5\]\)"),
        (lambda: theory.rho_t(3, 1.0), r"beta_2 must be in \[0, 1\), got 1\.0"),
        (lambda: theory.rectification(3, -0.1), r"beta_2 must be in \[0, 1\), got -0\.1"),
        (lambda: theory.rho_inf(float("nan")), r"beta_2 must be finite, got nan"),
        (lambda: theory.adaptive_lr_variance(10, 0.9, sigma=0.0), r"sigma must be > 0, got 0\.0"),
        (lambda: theory.adaptive_lr_variance_approx(10, 0.9, sigma=-1.0), r"sigma must be > 0, got -1\.0"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_variance_approximation_by_hand():
    # rho_6 = 5.389565 for beta_2 = 0.9: rho / (2 (rho - 2)(rho - 4)) = 5.389565 / (2 * 3.389565 * 1.389565) = 0.572138.
    assert theory.adaptive_lr_variance_approx(6, 0.9) == pytest.approx(0.572138, rel=1e-5)
    # Var scales as 1 / sigma^2.
    assert theory.adaptive_lr_variance_approx(6, 0.9, sigma=2.0) == pytest.approx(0.572138 / 4, rel=1e-5)
    # Rectified: rho_inf / (2 (rho_inf - 2)(rho_inf - 4)) = 19 / (2 * 17 * 15) = 19 / 510 at every t with rho_t > 4.
    t = np.arange(5, 300)
    np.testing.assert_allclose(theory.adaptive_lr_variance_approx(t, 0.9, rectified=True), 19 / 510, rtol=1e-12)
    assert np.all(np.isnan(theory.adaptive_lr_variance_approx(np.arange(1, 5), 0.9)))


@pytest.fixture(scope="module")
def monte_carlo():
    """Var[psi_t] and Var[r_t psi_t] for beta_2 = 0.99, t = 1..1000, 20,000 runs (seed 0)."""
    return (
        theory.adaptive_lr_variance(1000, 0.99, samples=20_000, seed=0),
        theory.adaptive_lr_variance(1000, 0.99, samples=20_000, seed=0, rectified=True),
    )


def test_monte_carlo_variance_agrees_with_the_approximation_for_large_rho_t(monte_carlo):
    variance, _ = monte_carlo
    approx = theory.adaptive_lr_variance_approx(np.arange(1, 1001), 0.99)
    # The approximation is first order in 1 / rho_t, and it treats the EMA v_t as an SMA of length rho_t.
    # Both hold once t >> 1 / (1 - beta_2), where rho_t ~ rho_inf = 199 (t = 1000: rho_t = 198.9): there the
    # Monte-Carlo estimate (1% standard error with 20,000 samples) is within 2-4% of it; tolerance 10%.
    assert variance[-1] == pytest.approx(approx[-1], rel=0.1)
    # Early on (small rho_t) the approximation is far off: at the first adaptive step it overestimates by 2x.
    t = theory.first_adaptive_step(0.99)
    assert variance[t - 1] < 0.6 * approx[t - 1]


def test_rectified_variance_is_nearly_constant(monte_carlo):
    variance, rectified = monte_carlo
    # From t = 10 to 1000 the variance of psi_t falls 30-fold; that of r_t psi_t stays within a factor 1.4
    # (measured; r_t is built from the approximation, which is off by up to 30% at rho_t ~ 10).
    assert variance[9:].max() / variance[9:].min() > 20
    assert rectified[9:].max() / rectified[9:].min() < 1.6
    # Same seed, same draws: the rectified estimate is the plain one times r_t^2.
    np.testing.assert_allclose(rectified, variance * theory.rectification(np.arange(1, 1001), 0.99) ** 2, rtol=1e-12)


def test_monte_carlo_is_reproducible_with_a_seed():
    first = theory.adaptive_lr_variance(50, 0.99, samples=2000, seed=7)
    assert first.shape == (50,)
    np.testing.assert_array_equal(first, theory.adaptive_lr_variance(50, 0.99, samples=2000, seed=7))
    assert not np.array_equal(first, theory.adaptive_lr_variance(50, 0.99, samples=2000, seed=8))


def test_monte_carlo_variance_scales_as_1_over_sigma_squared():
    unit = theory.adaptive_lr_variance(30, 0.9, samples=2000, seed=1)
    tripled = theory.adaptive_lr_variance(30, 0.9, sigma=3.0, samples=2000, seed=1)
    np.testing.assert_allclose(tripled, unit / 9, rtol=1e-6)
