"""radam.theory: rho_inf, rho_t, r_t and the first adaptive step against values worked out by hand, and
the variance of the adaptive learning rate: Monte Carlo against the paper's approximation, and the exact
variance of the scaled inverse chi-square model against quadrature and Monte Carlo."""

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


def _chi_square_inverse_moments(k):
    """E[X^(-1/2)] and E[X^(-1)] for X ~ chi^2_k by quadrature of the density in s = log x (an independent
    reference: no gamma-function ratio, only the density's normaliser)."""
    step = 1e-3
    s = np.arange(-150.0, np.log(k) + 8.0, step)
    moments = []
    for power in (-0.5, -1.0):
        log_integrand = (power + k / 2) * s - np.exp(s) / 2 - (k / 2) * math.log(2) - math.lgamma(k / 2)
        moments.append(math.fsum(np.exp(log_integrand)) * step)
    return moments


# (t, beta_2) with rho_t in (2, 4] (2.86, 3.00, 3.74, 4.00), just above 4, and on both sides of rho = 200
SMALL_RHO = [(3, 0.9), (3, 0.999), (4, 0.9), (4, 0.999), (5, 0.999), (150, 0.999)]


@pytest.mark.parametrize("t, beta_2", SMALL_RHO)
def test_exact_variance_of_psi_against_quadrature_of_the_chi_square_density(t, beta_2):
    # psi^2 = rho / X: Var[psi] = rho E[1/X] - rho E[X^(-1/2)]^2, finite for rho > 2 (here 2.86 .. 146)
    rho = theory.rho_t(t, beta_2)
    root, inverse = _chi_square_inverse_moments(rho)
    assert inverse == pytest.approx(1 / (rho - 2), rel=1e-10)  # the quadrature itself, against E[1/X]
    reference = rho * inverse - rho * root**2
    assert theory.adaptive_lr_variance_exact(t, beta_2) == pytest.approx(reference, rel=1e-8)


def test_exact_variance_at_large_rho_uses_the_series_without_losing_digits():
    # rho_t = 249 and 1931: the Stirling branch; the quadrature's difference of two numbers near 1 keeps
    # about 12 - log10(2 rho) digits, so the tolerance is 1e-7
    for t in (260, 5000):
        rho = theory.rho_t(t, 0.999)
        root, inverse = _chi_square_inverse_moments(rho)
        assert theory.adaptive_lr_variance_exact(t, 0.999) == pytest.approx(rho * (inverse - root**2), rel=1e-7)
    # continuous across the switch at rho = 200 (x = 100): t = 207, 208 straddle it at beta_2 = 0.999
    t = np.arange(200, 216)
    rho = theory.rho_t(t, 0.999)
    assert rho[0] < 200 < rho[-1]
    smooth = theory.adaptive_lr_variance_exact(t, 0.999) * rho  # about 1/2, slowly varying
    assert np.max(np.abs(np.diff(smooth, 3))) < 1e-8  # about 7e-9 from the curve; a jump of 1e-8 would show


@pytest.mark.parametrize("t, beta_2, samples, rel", [(4, 0.999, 4_000_000, 0.02), (3, 0.999, 4_000_000, 0.1)])
def test_exact_variance_of_psi_against_monte_carlo_of_the_scaled_inverse_chi_square(t, beta_2, samples, rel):
    # for rho in (2, 4] Var[psi] is finite but Var[psi^2] is not, so the sample variance converges slowly
    # (by n^(-1/3) at rho = 3): hence the wider tolerance there
    rho, sigma = theory.rho_t(t, beta_2), 2.0
    chi_square = np.random.default_rng(0).chisquare(rho, samples)
    psi = np.sqrt(rho / (sigma**2 * chi_square))
    assert psi.var() == pytest.approx(theory.adaptive_lr_variance_exact(t, beta_2, sigma), rel=rel)


def test_exact_variance_is_infinite_exactly_where_rho_t_is_at_most_2():
    t = np.arange(1, 11)
    for beta_2 in BETAS:
        rho = theory.rho_t(t, beta_2)
        exact = theory.adaptive_lr_variance_exact(t, beta_2)
        np.testing.assert_array_equal(np.isinf(exact), rho <= 2)
        assert np.all(exact[rho > 2] > 0)
    assert np.isinf(theory.adaptive_lr_variance_exact(1, 0.999))  # scalar in, float out
    assert isinstance(theory.adaptive_lr_variance_exact(3, 0.999), float)


def test_the_approximation_overestimates_the_exact_variance_and_meets_it_as_rho_grows():
    t = np.arange(5, 20_001)
    exact = theory.adaptive_lr_variance_exact(t, 0.999)
    approx = theory.adaptive_lr_variance_approx(t, 0.999)
    assert np.all(approx > exact)
    assert approx[0] / exact[0] > 3  # rho_5 = 4.996, near the pole of the approximation
    # at rho = rho_inf = 1999 both are 1 / (2 rho) to first order; they differ at order 1 / rho^2
    assert approx[-1] / exact[-1] == pytest.approx(1.0, abs=3 / 1999)
    # and the exact value scales as 1 / sigma^2
    assert theory.adaptive_lr_variance_exact(10, 0.99, sigma=3.0) == pytest.approx(
        theory.adaptive_lr_variance_exact(10, 0.99) / 9, rel=1e-12
    )


def test_variance_of_psi_squared_has_the_pole_at_4_and_gives_the_papers_approximation():
    # Var[psi^2] = rho^2 Var[1/X] / sigma^4 = 2 rho^2 / ((rho - 2)^2 (rho - 4) sigma^4), inf for rho <= 4
    t = np.arange(1, 3001)
    rho = theory.rho_t(t, 0.999)
    square = theory.adaptive_lr_square_variance(t, 0.999)
    np.testing.assert_array_equal(np.isinf(square), rho <= 4)
    # the delta method for psi = sqrt(psi^2): Var[psi] ~ Var[psi^2] / (4 E[psi^2]), E[psi^2] = rho / (rho - 2)
    delta = square / (4 * rho / (rho - 2))
    above = rho > 4
    np.testing.assert_allclose(delta[above], theory.adaptive_lr_variance_approx(t, 0.999)[above], rtol=1e-12)
    # against a sample where the fourth moment of psi^2 is finite (rho > 8): t = 30, rho = 29.6
    rho_30, sigma = theory.rho_t(30, 0.999), 0.5
    psi_squared = rho_30 / (sigma**2 * np.random.default_rng(1).chisquare(rho_30, 2_000_000))
    assert psi_squared.var() == pytest.approx(theory.adaptive_lr_square_variance(30, 0.999, sigma), rel=0.02)


@pytest.mark.parametrize(
    "call", [lambda: theory.adaptive_lr_variance_exact(3, 0.999, sigma=0.0),
             lambda: theory.adaptive_lr_square_variance(3, 0.999, sigma=-1.0)]
)
def test_exact_variances_name_a_bad_sigma(call):
    with pytest.raises(ValueError, match="sigma"):
        call()


@pytest.mark.parametrize("beta_2, sma_threshold", [(0.9, 5.0), (0.99, 6.0), (0.999, 5.0), (0.9, 18.0)])
def test_radam_multiplier_is_r_t_from_the_first_adaptive_step_and_0_before(beta_2, sma_threshold):
    first = theory.first_adaptive_step(beta_2, sma_threshold)
    t = np.arange(1, first + 40)
    rho_max = 2 / (1 - beta_2) - 1
    r_direct = [
        math.sqrt((r - 4) * (r - 2) * rho_max / ((rho_max - 4) * (rho_max - 2) * r)) if s >= first else 0.0
        for s, r in zip(t, theory.rho_t(t, beta_2))
    ]
    np.testing.assert_allclose(theory.radam_multiplier(t, beta_2, sma_threshold), r_direct, rtol=1e-12, atol=0)
    assert theory.radam_multiplier(first - 1, beta_2, sma_threshold) == 0.0 < theory.radam_multiplier(first, beta_2,
                                                                                                     sma_threshold)


@pytest.mark.parametrize(
    "beta_2, sma_threshold", [(0.8, 5.0), (0.8, 6.0), (0.85, 5.0), (0.9, 5.0), (0.95, 6.0), (0.99, 5.0), (0.99, 40.0)]
)
def test_matching_linear_warmup_minimises_the_squared_error_by_brute_force(beta_2, sma_threshold):
    horizon = math.ceil(5 / (1 - beta_2))
    a = [float(theory.radam_multiplier(t, beta_2, sma_threshold)) for t in range(1, horizon + 1)]
    errors = {w: sum((min(1.0, t / w) - a[t - 1]) ** 2 for t in range(1, horizon + 1)) for w in range(1, horizon + 1)}
    best = min(errors, key=errors.get)
    assert theory.matching_linear_warmup(beta_2, sma_threshold) == best
    assert errors[best] < min(errors[best - 1], errors[best + 1])  # a strict minimum: not a tie of rounding


def test_matching_linear_warmup_refuses_a_threshold_rho_t_never_reaches():
    with pytest.raises(ValueError, match=r"sma_threshold must be below rho_inf = 19"):
        theory.matching_linear_warmup(0.9, 20.0)


def _log_gamma_high_precision(x):
    """log Gamma(x) in 60-digit decimals: Stirling's series to B_28 / x^27 after shifting x above 30."""
    from decimal import Decimal, localcontext
    from fractions import Fraction

    with localcontext() as context:
        context.prec = 60
        bernoulli = [Fraction(1)]
        for m in range(1, 29):
            bernoulli.append(-sum(math.comb(m + 1, k) * bernoulli[k] for k in range(m)) / (m + 1))
        x, shift = Decimal(x), Decimal(0)
        while x < 30:  # Gamma(x) = Gamma(x + 1) / x
            shift += x.ln()
            x += 1
        pi = Decimal("3.141592653589793238462643383279502884197169399375105820974944592")
        total = (x - Decimal("0.5")) * x.ln() - x + (2 * pi).ln() / 2
        for k in range(1, 15):
            b = bernoulli[2 * k]
            total += Decimal(b.numerator) / Decimal(b.denominator) / (2 * k * (2 * k - 1) * x ** (2 * k - 1))
        return total - shift


@pytest.mark.parametrize("t", [3, 5, 8, 20, 150, 208, 260, 1000, 5000, 20000])
def test_exact_variance_against_60_digit_log_gamma(t):
    # Var[psi] = x / (x - 1) - x (Gamma(x - 1/2) / Gamma(x))^2 with x = rho_t / 2, in 60 digits: no cancellation
    # left. The package keeps 12 digits on both sides of its switch at rho = 200 (x = 100), where the series'
    # truncation and the direct difference of log-gammas each lose a few: tolerance 1e-11, 5e-11 next to it.
    from decimal import Decimal, localcontext

    rho = float(theory.rho_t(t, 0.999))
    with localcontext() as context:
        context.prec = 60
        x = Decimal(rho) / 2
        ratio = (2 * (_log_gamma_high_precision(x - Decimal("0.5")) - _log_gamma_high_precision(x))).exp()
        expected = float(x / (x - 1) - x * ratio)
    tolerance = 5e-11 if 150 < rho < 250 else 1e-11
    assert theory.adaptive_lr_variance_exact(t, 0.999) == pytest.approx(expected, rel=tolerance, abs=0)


def test_the_functions_of_t_warn_about_nothing_where_rho_t_is_at_most_4():
    # NaN and inf are the documented values there (r_t, the variances): computed without a RuntimeWarning
    import warnings

    t = np.append(np.arange(1, 60), [1000, 10**8])  # beta_2 = 0.6: rho_1000 = rho_inf = 4 (1/3: 2) to rounding
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert theory.rho_t(t, 0.0).tolist() == [1.0] * len(t) and theory.rho_offset(0.0) == 1.0  # L = inf
        for beta_2 in (1 / 3, 0.6, 0.9, 0.999):
            theory.rectification(t, beta_2)
            theory.radam_multiplier(t, beta_2, 4.0)
            theory.adaptive_lr_variance_approx(t, beta_2)
            theory.adaptive_lr_variance_approx(t, beta_2, rectified=True)
            theory.adaptive_lr_variance_exact(t, beta_2)
            theory.adaptive_lr_square_variance(t, beta_2)
            theory.adaptive_lr_variance(5, beta_2, samples=10, rectified=True)


def test_at_rho_t_exactly_4_the_approximation_is_nan_and_the_square_variance_inf():
    # beta_2 = 0.6: rho_inf = 4, and rho_t reaches it (rounded) by t = 1000
    assert theory.rho_t(1000, 0.6) == 4.0
    assert math.isnan(theory.adaptive_lr_variance_approx(1000, 0.6))
    assert math.isnan(theory.rectification(1000, 0.6))
    assert theory.adaptive_lr_square_variance(1000, 0.6) == math.inf


def test_rectified_monte_carlo_is_the_plain_one_times_r_t_squared():
    plain = theory.adaptive_lr_variance(30, 0.9, samples=500, seed=4)
    rectified = theory.adaptive_lr_variance(30, 0.9, samples=500, seed=4, rectified=True)
    np.testing.assert_allclose(rectified, plain * theory.rectification(np.arange(1, 31), 0.9) ** 2, rtol=1e-14)
    assert np.isnan(rectified[:4]).all() and np.isfinite(rectified[4:]).all()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: theory.adaptive_lr_variance(10, 1.5), r"^beta_2 must be in \[0, 1\), got 1\.5"),
        (lambda: theory.adaptive_lr_variance_exact(10, 0.9, sigma=0.0), r"^sigma must be > 0, got 0\.0"),
        (lambda: theory.adaptive_lr_square_variance(10, 0.9, sigma=-1.0), r"^sigma must be > 0, got -1\.0"),
        (lambda: theory.radam_multiplier(10, 0.9, 3.0), r"^sma_threshold must be >= 4"),
        (lambda: theory.rho_offset(1.5), r"^beta_2 must be in \[0, 1\), got 1\.5"),
    ],
)
def test_bad_arguments_are_named_exactly(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_default_threshold_is_the_authors_5():
    # rho_5 = 4.996 and rho_6 = 5.994 at beta_2 = 0.999: step 6 is the first with rho_t >= 5
    assert theory.first_adaptive_step(0.999) == 6
    assert theory.radam_multiplier(5, 0.999) == 0.0 < theory.radam_multiplier(6, 0.999)
    assert theory.matching_linear_warmup(0.8) == theory.matching_linear_warmup(0.8, 5.0) == 17  # 19 with 6


@pytest.mark.parametrize("t0", [8, 16, 64, 128, 100])
def test_a_threshold_reached_exactly_at_a_power_of_2_is_found_there(t0):
    # first_adaptive_step doubles t until rho_t reaches the threshold, then bisects: rho_t = threshold exactly at
    # the doubling's last step must end the search there
    assert theory.first_adaptive_step(0.999, theory.rho_t(t0, 0.999)) == t0
    assert theory.is_adaptive(t0, 0.999, theory.rho_t(t0, 0.999)) is True
    assert theory.is_adaptive(t0 - 1, 0.999, theory.rho_t(t0, 0.999)) is False


def test_a_threshold_at_rho_inf_is_never_reached():
    # rho_t is rho_inf (rounded) at large t, yet below it in exact arithmetic: no adaptive step, and no first one
    threshold = theory.rho_inf(0.9)
    assert theory.rho_t(2000, 0.9) == threshold
    assert not theory.is_adaptive(2000, 0.9, threshold) and not theory.is_adaptive(np.array([2000]), 0.9, threshold)[0]
    with pytest.raises(ValueError, match="sma_threshold must be below rho_inf"):
        theory.first_adaptive_step(0.9, threshold)


def test_r_t_exists_wherever_rho_inf_is_above_4():
    # beta_2 = 0.65: rho_inf = 4.71; r_t rises from NaN (rho_t <= 4) to 1 as rho_t reaches rho_inf
    r = theory.rectification(np.array([1, 200]), 0.65)
    assert np.isnan(r[0]) and r[1] == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("beta_2", [1 - 1e-9, 1 - 3e-7, 1 - 1e-6, 1 - 5e-5, 1 - 1e-4, 0.9995, 0.999, 0.99, 0.9])
def test_rho_t_against_80_digit_arithmetic(beta_2):
    # rho_inf - 2 t beta_2^t / (1 - beta_2^t) with the binary beta_2 exactly, in 80 digits: the cancellation the
    # package's series avoids costs nothing here. The package keeps 13 digits (2.5e-13 at worst on this grid).
    from decimal import Decimal, localcontext

    for t in (1, 2, 3, 5, 10, 100, 1000, 10**4, 10**5, 10**6, 10**7, 10**8):
        with localcontext() as context:
            context.prec = 80
            b = Decimal(beta_2)
            power = b**t
            expected = float(2 / (1 - b) - 1 - 2 * t * power / (1 - power))
        assert theory.rho_t(t, beta_2) == pytest.approx(expected, rel=5e-13, abs=0), t
