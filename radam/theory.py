"""The quantities behind RAdam (Liu et al., 2020), as vectorised NumPy functions of the 1-based step t.

Adam's adaptive learning rate is psi_t = sqrt((1 - beta_2^t) / v_t). The paper approximates the
exponential moving average v_t by a simple moving average of length rho_t; psi_t^2 is then
rho_t / (sigma^2 X) with X chi-square with rho_t degrees of freedom: a scaled inverse chi-square variable
with rho_t degrees of freedom and scale 1 / sigma^2. Var[psi_t] is finite for rho_t > 2 and large just
above; Var[psi_t^2] is finite only for rho_t > 4, and so is the paper's first-order approximation of
Var[psi_t], built from it. RAdam multiplies the step by the rectification r_t, which makes that
approximate variance constant.
"""

import math

import numpy as np

from radam._validate import check_beta, check_positive, check_sma_threshold, like_steps


def _steps(t):
    steps = np.asarray(t, dtype=np.float64)
    if np.any(steps < 1) or np.any(steps != np.floor(steps)):
        raise ValueError(f"t must hold whole steps >= 1, got {t!r}")
    return steps


def rho_inf(beta_2):
    """rho_inf = 2 / (1 - beta_2) - 1, the length of the SMA that the EMA approximates as t -> infinity."""
    beta_2 = check_beta("beta_2", beta_2)
    return 2.0 / (1.0 - beta_2) - 1.0


def rho_offset(beta_2):
    """c = rho_inf - 2 / L with L = -log(beta_2): the constant of the cancellation-free form of rho_t.

    c = delta / 6 + delta^2 / 12 + O(delta^3) with delta = 1 - beta_2 (the series where the direct
    difference of two numbers near 2 / delta would lose its digits); 1 for beta_2 = 0.
    """
    delta = 1.0 - check_beta("beta_2", beta_2)
    if delta < 1e-4:
        return delta / 6.0 + delta * delta / 12.0
    if beta_2 == 0:
        return 1.0  # L = inf, 2 / L = 0: c = rho_inf = 1
    return 2.0 / delta - 1.0 - 2.0 / -np.log(beta_2)


def h_series(z):
    """h(z) = 1 / z - 1 / (e^z - 1) = 1/2 - z/12 + z^3/720 - z^5/30240 + z^7/1209600 - z^9/47900160 + ..., its
    Taylor series to z^9 (good to float64 rounding for z < 0.1, to float32 rounding for z < 1). Arithmetic
    only, so that ``z`` may be a NumPy array or a Keras tensor (:class:`radam.keras.RAdam` uses it too)."""
    return 0.5 - z / 12.0 + z**3 / 720.0 - z**5 / 30240.0 + z**7 / 1209600.0 - z**9 / 47900160.0


def rho_t(t, beta_2):
    """rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t): rho_1 = 1, rising towards rho_inf.

    With L = -log(beta_2) and y = t L this is rho_inf - 2 t / (e^y - 1), computed so with expm1 where
    y >= 0.1. Below, rho_inf and 2 t / (e^y - 1) are two numbers near 2 / L whose difference loses every
    digit when beta_2 is close to 1 (rho_inf = 2e9 at 1 - 1e-9), so there it is c + 2 t h(y) with
    h(y) = 1 / y - 1 / (e^y - 1) = 1/2 - y/12 + y^3/720 - ... (its Taylor series) and c = rho_inf - 2 / L
    (:func:`rho_offset`): the same number, without the cancellation.
    """
    steps = _steps(t)
    beta_2 = check_beta("beta_2", beta_2)
    if beta_2 == 0:
        return like_steps(t, np.ones_like(steps))
    y = steps * -np.log(beta_2)
    small = y < 0.1
    h = h_series(np.where(small, y, 0.0))
    with np.errstate(over="ignore"):
        large = rho_inf(beta_2) - 2.0 * steps / np.expm1(np.where(small, 1.0, y))
    rho = np.where(small, rho_offset(beta_2) + 2.0 * steps * h, large)
    return like_steps(t, np.minimum(rho, rho_inf(beta_2)))  # rounding must not lift it above rho_inf


def rectification(t, beta_2):
    """r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)); NaN where rho_t <= 4.

    r_t rises to 1 as rho_t -> rho_inf; it is kept in [0, 1] against rounding, and NaN at every step where
    rho_inf <= 4 (rho_t < rho_inf: r_t is never defined there).
    """
    rho = np.asarray(rho_t(t, beta_2))
    rho_max = rho_inf(beta_2)
    if rho_max <= 4.0:
        return like_steps(t, np.full(rho.shape, np.nan))
    scale = rho_max / ((rho_max - 4.0) * (rho_max - 2.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.sqrt(np.clip((rho - 4.0) * (rho - 2.0) / rho * scale, 0.0, 1.0))
    return like_steps(t, np.where(rho > 4.0, r, np.nan))


def is_adaptive(t, beta_2, sma_threshold):
    """Whether RAdam's step t is the rectified adaptive one: rho_t >= sma_threshold, and never where
    rho_inf <= sma_threshold (rho_t < rho_inf, so only rounding could reach the threshold there)."""
    rho = np.asarray(rho_t(t, beta_2))
    adaptive = (rho >= sma_threshold) & (rho_inf(beta_2) > sma_threshold)
    return bool(adaptive) if np.ndim(t) == 0 else adaptive


def first_adaptive_step(beta_2, sma_threshold=5.0):
    """The first step t with rho_t >= sma_threshold: before it RAdam takes SGD-with-momentum steps (or none).

    Raises ValueError when rho_t never reaches the threshold (sma_threshold >= rho_inf).
    """
    sma_threshold = check_sma_threshold(sma_threshold)
    if sma_threshold >= rho_inf(beta_2):
        raise ValueError(
            f"sma_threshold must be below rho_inf = {rho_inf(beta_2):g} for beta_2 = {beta_2!r}, got {sma_threshold!r}"
        )
    upper = 1
    while rho_t(upper, beta_2) < sma_threshold:
        upper *= 2
    lower = upper // 2  # rho_t(lower) < threshold <= rho_t(upper); rho_t increases with t
    while upper - lower > 1:
        middle = (lower + upper) // 2
        if rho_t(middle, beta_2) >= sma_threshold:
            upper = middle
        else:
            lower = middle
    return upper


def adaptive_lr_variance(steps, beta_2, sigma=1.0, *, samples=20_000, seed=0, rectified=False):
    """Monte-Carlo estimate of Var[psi_t] for t = 1 .. steps, with gradients g ~ N(0, sigma^2).

    psi_t = sqrt((1 - beta_2^t) / v_t) with v_t = beta_2 v_{t-1} + (1 - beta_2) g_t^2, over ``samples``
    independent runs (seeded). With ``rectified=True`` it is the variance of r_t psi_t (NaN where
    rho_t <= 4). Returns an array of length ``steps``.
    """
    beta_2 = check_beta("beta_2", beta_2)
    sigma = check_positive("sigma", sigma)
    rng = np.random.default_rng(seed)
    t = np.arange(1, int(steps) + 1)
    variances = np.empty(len(t))
    v = np.zeros(samples)
    for i in range(len(t)):
        g = rng.normal(0.0, sigma, samples)
        v = beta_2 * v + (1.0 - beta_2) * g * g
        psi = np.sqrt((1.0 - beta_2 ** t[i]) / v)
        variances[i] = psi.var()
    if rectified:
        variances = variances * rectification(t, beta_2) ** 2
    return variances


def adaptive_lr_variance_approx(t, beta_2, sigma=1.0, *, rectified=False):
    """The paper's approximation Var[psi_t] ~ rho_t / (2 (rho_t - 2)(rho_t - 4) sigma^2), for rho_t > 4.

    With ``rectified=True``, Var[r_t psi_t] = r_t^2 Var[psi_t] = rho_inf / (2 (rho_inf - 2)(rho_inf - 4) sigma^2),
    the same at every step t where rho_t > 4. NaN where rho_t <= 4: the approximation has its pole at
    rho_t = 4, where Var[psi_t^2] diverges (:func:`adaptive_lr_square_variance`); the variance itself
    is finite down to rho_t > 2 (:func:`adaptive_lr_variance_exact`).
    """
    sigma = check_positive("sigma", sigma)
    rho = np.asarray(rho_t(t, beta_2))
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = rho / (2.0 * (rho - 2.0) * (rho - 4.0) * sigma**2)
        if rectified:
            variance = variance * rectification(t, beta_2) ** 2
    return like_steps(t, np.where(rho > 4.0, variance, np.nan))


def radam_multiplier(t, beta_2, sma_threshold=5.0):
    """What multiplies lr_t in RAdam's adaptive step: r_t where rho_t >= sma_threshold, 0 before (no adaptive step)."""
    r = np.nan_to_num(rectification(t, beta_2))
    return np.where(is_adaptive(t, beta_2, check_sma_threshold(sma_threshold)), r, 0.0)


def matching_linear_warmup(beta_2, sma_threshold=5.0):
    """The whole number of steps W whose linear warmup best fits RAdam's multiplier a_t, by least squares::

        W = argmin_W  sum_{t <= T} (min(1, t / W) - a_t)^2,   T = ceil(5 / (1 - beta_2))  (where r_t > 0.99),

    over W = 1 .. T, evaluated at once with prefix sums. W comes out near the untuned 2 / (1 - beta_2) of Ma
    and Yarats (2019). Raises ValueError when rho_t never reaches sma_threshold.
    """
    first_adaptive_step(beta_2, sma_threshold)  # raises when rho_t never reaches sma_threshold
    t = np.arange(1.0, np.ceil(5.0 / (1.0 - check_beta("beta_2", beta_2))) + 1)
    a = radam_multiplier(t, beta_2, sma_threshold)
    # for W = t: sum_{s <= W} (s / W - a_s)^2 + sum_{s > W} (1 - a_s)^2
    rising = np.cumsum(t * t) / t**2 - 2.0 * np.cumsum(t * a) / t + np.cumsum(a * a)
    flat = np.cumsum(((1.0 - a) ** 2)[::-1])[::-1]
    errors = rising + np.append(flat[1:], 0.0)
    return int(t[np.argmin(errors)])


def _psi_variance(rho, sigma):
    """Var[psi] for psi^2 = rho / (sigma^2 X), X ~ chi^2_rho, at rho > 2 (an array).

    E[psi] = sqrt(x) Gamma(x - 1/2) / (Gamma(x) sigma) with x = rho / 2, so sigma^2 E[psi]^2 = e^(2 S) with
    S = log Gamma(x - 1/2) - log Gamma(x) + log(x) / 2, and sigma^2 E[psi^2] = x / (x - 1) = e^Q with
    Q = -log(1 - 1/x); Var[psi] = e^(2 S) (e^(Q - 2 S) - 1) / sigma^2, where Q - 2 S ~ 1 / (4 x) keeps its
    digits. For x >= 100 S is its Stirling series 3/(8x) + 1/(8x^2) + 3/(64x^3) + 1/(64x^4) + 3/(640x^5)
    (the difference of two log-gammas near x log x would lose them).
    """
    x = rho / 2.0
    large = x >= 100.0
    z = 1.0 / np.where(large, x, 100.0)
    series = z * (3 / 8 + z * (1 / 8 + z * (3 / 64 + z * (1 / 64 + z * 3 / 640))))
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    small_x = np.where(large, 101.0, x)
    direct = lgamma(small_x - 0.5) - lgamma(small_x) + 0.5 * np.log(small_x)
    s = np.where(large, series, direct)
    q = -np.log1p(-1.0 / x)
    return np.exp(2.0 * s) * np.expm1(q - 2.0 * s) / sigma**2


def adaptive_lr_variance_exact(t, beta_2, sigma=1.0):
    """Var[psi_t] in the paper's model, psi_t^2 = rho_t / (sigma^2 X) with X ~ chi^2 of rho_t degrees of freedom::

        E[psi_t^2] = rho_t / ((rho_t - 2) sigma^2),
        E[psi_t]   = sqrt(rho_t / 2) Gamma((rho_t - 1) / 2) / (Gamma(rho_t / 2) sigma),
        Var[psi_t] = E[psi_t^2] - E[psi_t]^2,

    finite for rho_t > 2 (E[1 / X] = 1 / (rho_t - 2)) and inf where rho_t <= 2, where E[psi_t^2] diverges. The
    paper's :func:`adaptive_lr_variance_approx`, its first-order expansion, lies above it: over three times as
    large at rho_t = 5, and meeting it as rho_t grows.
    """
    sigma = check_positive("sigma", sigma)
    rho = np.asarray(rho_t(t, beta_2), dtype=np.float64)
    finite = rho > 2.0
    variance = _psi_variance(np.where(finite, rho, 3.0), sigma)
    return like_steps(t, np.where(finite, variance, np.inf))


def adaptive_lr_square_variance(t, beta_2, sigma=1.0):
    """Var[psi_t^2] in the same model: with E[1/X] = 1 / (rho - 2) and E[1/X^2] = 1 / ((rho - 2)(rho - 4)), ::

        Var[psi_t^2] = 2 rho_t^2 / ((rho_t - 2)^2 (rho_t - 4) sigma^4),

    finite for rho_t > 4 and inf where rho_t <= 4: the pole at rho_t = 4. The paper's approximation of Var[psi_t]
    is the first-order (delta-method) one for psi = sqrt(psi^2), Var[psi_t^2] / (4 E[psi_t^2]).
    """
    sigma = check_positive("sigma", sigma)
    rho = np.asarray(rho_t(t, beta_2), dtype=np.float64)
    finite = rho > 4.0
    safe = np.where(finite, rho, 5.0)
    variance = 2.0 * safe**2 / ((safe - 2.0) ** 2 * (safe - 4.0) * sigma**4)
    return like_steps(t, np.where(finite, variance, np.inf))
