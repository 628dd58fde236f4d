"""The variance facts that chapters 5 and 6 state, held against radam.theory, radam.variants and numbers worked
out by hand: Var[psi_t] is finite from rho_t > 2 (t = 3) while the paper's approximation and r_t need
rho_t > 4; the paper's rule (rho_t > 4) and the authors' (rho_t >= 5) differ at t = 5 only, where
rho_5 = 4.996 at beta_2 = 0.999 and the paper's rectified step has r_5 = 0.0173."""

import math

import numpy as np
import pytest

from radam import theory
from radam.variants import steps_taken

BOOK_BETAS = (0.9, 0.99, 0.999, 0.9999)


def test_rho_5_and_r_5_at_beta_2_0999_by_hand():
    b = 0.999
    rho_inf = 2 / (1 - b) - 1  # 1999
    rho_5 = rho_inf - 2 * 5 * b**5 / (1 - b**5)
    assert rho_5 == pytest.approx(4.995998, abs=1e-6)
    assert 4 < rho_5 < 5  # the paper's rule rectifies at t = 5, the authors' code does not
    r_5 = math.sqrt((rho_5 - 4) * (rho_5 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_5))
    assert round(r_5, 4) == 0.0173
    # the direct formula loses about 3 digits to 1999 - 1994.004; radam.theory's form does not
    assert theory.rho_t(5, b) == pytest.approx(rho_5, rel=1e-9)
    assert theory.rectification(5, b) == pytest.approx(r_5, rel=1e-8)
    assert not theory.is_adaptive(5, b, 5.0) and theory.is_adaptive(6, b, 5.0)


def test_only_the_papers_rule_takes_a_rectified_step_at_t_5():
    # unit-size gradients: epsilon is negligible, so the variants differ only through the threshold at t = 5
    grads = np.random.default_rng(0).normal(size=10)
    paper = steps_taken("paper (Algorithm 2)", grads)
    authors = steps_taken("authors' code", grads)
    np.testing.assert_allclose(paper[:4], authors[:4], rtol=1e-12)  # momentum steps for both
    assert paper[4] != pytest.approx(authors[4], rel=1e-3)  # t = 5: rectified against momentum
    np.testing.assert_allclose(paper[5:], authors[5:], rtol=1e-6)  # rectified for both from t = 6
    # the paper's step at t = 5 is r_5 m_hat psi_5 with m_hat and v from the same gradients
    b1, b2, t = 0.9, 0.999, np.arange(1, 6)
    m = sum((1 - b1) * b1 ** (5 - k) * g for k, g in zip(t, grads[:5]))
    v = sum((1 - b2) * b2 ** (5 - k) * g * g for k, g in zip(t, grads[:5]))
    expected = theory.rectification(5, b2) * m / (1 - b1**5) * math.sqrt(1 - b2**5) / math.sqrt(v)
    assert paper[4] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("beta_2", BOOK_BETAS)
def test_the_two_rules_start_at_steps_5_and_6_for_every_beta_2_of_the_book(beta_2):
    t = np.arange(1, 50)
    rho = theory.rho_t(t, beta_2)
    assert t[rho > 4][0] == 5  # the paper's rule: four momentum steps
    assert t[rho >= 5][0] == 6 == theory.first_adaptive_step(beta_2, 5.0)  # ours: five
    assert not np.any(rho == 4) and not np.any(rho == 5)  # so > and >= never differ


def test_r_t_formula_is_real_below_rho_2_though_meaningless():
    # at rho_1 = 1 both factors (rho - 4) and (rho - 2) are negative: the square root is real
    rho_inf = theory.rho_inf(0.999)
    value = math.sqrt((1 - 4) * (1 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * 1))
    assert value == pytest.approx(math.sqrt(3 * 1999 / (1995 * 1997)), rel=1e-12)
    assert np.isnan(theory.rectification(1, 0.999))  # the package gives it no value


def test_the_chapters_monte_carlo_meets_the_exact_finite_variance_from_t_3():
    # chapter 5's estimate runs v's recursion (an EMA, not the rho_t-average of the model); from t = 3 it
    # agrees with the exact variance of psi_t^2 = rho_t / chi^2_rho_t, finite for rho_t > 2
    estimate = theory.adaptive_lr_variance(10, 0.999, samples=1_000_000, seed=1)
    exact = theory.adaptive_lr_variance_exact(np.arange(1, 11), 0.999)
    assert np.all(np.isinf(exact[:2]))  # rho_1 = 1, rho_2 = 1.9995
    np.testing.assert_allclose(estimate[3:], exact[3:], rtol=0.03)  # rho_t from 3.997 to 9.98
    # at t = 3 (rho_3 = 2.999) psi_3^2 has a tail too heavy for a sample variance to settle (it moves by 30 %
    # between seeds), but psi_3 has a finite variance, so its sample mean settles: E[psi_t] against the
    # model's sqrt(rho / 2) Gamma((rho - 1) / 2) / Gamma(rho / 2)
    rng = np.random.default_rng(2)
    v = np.zeros(1_000_000)
    for _ in range(3):
        g = rng.normal(0.0, 1.0, v.shape)
        v = 0.999 * v + 0.001 * g * g
    rho_3 = theory.rho_t(3, 0.999)
    mean = math.sqrt(rho_3 / 2) * math.gamma((rho_3 - 1) / 2) / math.gamma(rho_3 / 2)
    assert np.mean(np.sqrt((1 - 0.999**3) / v)) == pytest.approx(mean, rel=0.005)
    # the first-order approximation is undefined at t = 3, 4 where the variance is finite
    assert np.all(np.isnan(theory.adaptive_lr_variance_approx(np.arange(3, 5), 0.999)))



def test_r_t_equalises_only_the_approximate_variance_the_exact_one_starts_lower():
    """Chapter 6: Var[r_t psi_t] is constant under the first-order approximation; with the exact variance of the
    model it starts near 0.30 of its long-run value at t = 5 and approaches it (0.95 at t = 50). The exact
    variance here from the Gamma formula by hand: rho / (rho - 2) - (rho / 2) (Gamma((rho - 1)/2) / Gamma(rho/2))^2."""

    def exact(rho):
        return rho / (rho - 2) - rho / 2 * math.exp(2 * (math.lgamma((rho - 1) / 2) - math.lgamma(rho / 2)))

    b = 0.999
    long_run = exact(float(theory.rho_inf(b)))
    share = {t: theory.rectification(t, b) ** 2 * exact(float(theory.rho_t(t, b))) / long_run for t in (5, 20, 50)}
    assert share[5] == pytest.approx(0.302, abs=0.002)
    assert share[5] < share[20] < share[50] < 1
    assert share[50] == pytest.approx(0.954, abs=0.002)
    t = np.arange(5, 2001)
    approx = theory.adaptive_lr_variance_approx
    approx_share = theory.rectification(t, b) ** 2 * approx(t, b) / approx(1e6, b)
    np.testing.assert_allclose(approx_share, 1.0, rtol=1e-9)  # constant under the approximation
