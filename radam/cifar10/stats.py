"""Paired comparisons over seeds: the mean difference of two arms, its confidence interval, and the wording.

The arms of one seed start from the same weights and see the same batches, so the comparison of arms ``a``
and ``b`` is paired: for each seed s the difference d_s = a_s - b_s of an endpoint fixed in advance (for
example the mean validation accuracy of the last five epochs, :func:`endpoint`). Over n seeds, ::

    d_bar = mean(d_s),   s_d = std(d_s, ddof=1),   d_bar -+ t_{n-1, (1+confidence)/2} * s_d / sqrt(n)

is the confidence interval of the mean difference (Student's t, the paired t-interval). The verdict follows
the interval: ``a`` ahead when the whole interval is above zero, behind when it is below, and otherwise "no
difference larger than" the interval's farthest end. Only NumPy: Student's t distribution is computed here
(:func:`t_quantile`), checked against SciPy by the tests.
"""

import dataclasses
import math

import numpy as np

CONFIDENCE = 0.95
"""The confidence level of every interval the book reports."""
LAST_EPOCHS = 5
"""The endpoint fixed before looking at the results, the mean over the last five epochs of a run."""


def _incomplete_beta(a, b, x):
    """The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):  # the fraction converges fast below the mean: use the symmetry
        return 1.0 - _incomplete_beta(b, a, 1.0 - x)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return math.exp(log_front) * fraction / a


def t_cdf(x, df):
    """P(T <= x) for Student's t distribution with ``df`` degrees of freedom."""
    tail = 0.5 * _incomplete_beta(df / 2.0, 0.5, df / (df + x * x))
    return 1.0 - tail if x > 0 else tail


def t_quantile(p, df):
    """The x with P(T <= x) = p for Student's t with ``df`` > 0 degrees of freedom (bisection on :func:`t_cdf`)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p!r}")
    if not df > 0:
        raise ValueError(f"df must be > 0, got {df!r}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, 2.0 * high
    for _ in range(200):
        middle = (low + high) / 2.0
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-13 * max(1.0, high):
            break
    return (low + high) / 2.0


@dataclasses.dataclass(frozen=True)
class PairedDifference:
    """The paired difference a - b over seeds: per-seed differences, their mean and its confidence interval."""

    a: str
    b: str
    seeds: tuple
    differences: tuple
    confidence: float = CONFIDENCE

    @property
    def n(self):
        return len(self.differences)

    @property
    def mean(self):
        return float(np.mean(self.differences))

    @property
    def half_width(self):
        sd = float(np.std(self.differences, ddof=1))
        return t_quantile((1.0 + self.confidence) / 2.0, self.n - 1) * sd / math.sqrt(self.n)

    @property
    def interval(self):
        return self.mean - self.half_width, self.mean + self.half_width

    @property
    def p_value(self):
        """The two-sided p of the paired t test of a zero mean difference (0 or 1 when every difference is equal:
        0 for a nonzero one, 1 for zero)."""
        sd = float(np.std(self.differences, ddof=1))
        if sd == 0.0:
            return 1.0 if self.mean == 0.0 else 0.0
        return 2.0 * t_cdf(-abs(self.mean) / (sd / math.sqrt(self.n)), self.n - 1)

    @property
    def sign(self):
        """+1 when the whole interval is above zero, -1 when below, 0 when it holds zero."""
        low, high = self.interval
        return 1 if low > 0 else -1 if high < 0 else 0

    def verdict(self, what="", digits=3):
        """The sentence the interval allows: "a ahead of b by X (95% interval L to H, n seeds paired)", "... behind
        ...", or "no difference between a and b larger than Y (...)". ``what`` names the endpoint."""
        low, high = self.interval
        level = f"{self.confidence:.0%} interval {low:+.{digits}f} to {high:+.{digits}f}, {self.n} seeds paired"
        about = f" in {what}" if what else ""
        if self.sign > 0:
            return f"`{self.a}` is ahead of `{self.b}`{about} by {self.mean:.{digits}f} ({level})."
        if self.sign < 0:
            return f"`{self.a}` is behind `{self.b}`{about} by {-self.mean:.{digits}f} ({level})."
        bound = max(abs(low), abs(high))
        return (
            f"No difference between `{self.a}` and `{self.b}`{about} larger than {bound:.{digits}f} "
            f"(mean {self.mean:+.{digits}f}, {level})."
        )


def holm(p_values, level=1.0 - CONFIDENCE):
    """Which of ``p_values`` Holm's step-down procedure rejects with family-wise error ``level``, in their order:
    the k-th smallest (k from 0, of m) is rejected while it is at most level / (m - k), and the first that is not
    stops the rest. Controls the chance of any false rejection among the m, whatever their dependence."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    p_values = [float(p) for p in p_values]
    if not all(0.0 <= p <= 1.0 for p in p_values):
        raise ValueError(f"p_values must lie in [0, 1], got {p_values}")
    rejected = [False] * len(p_values)
    for k, i in enumerate(sorted(range(len(p_values)), key=p_values.__getitem__)):
        if p_values[i] > level / (len(p_values) - k):
            break
        rejected[i] = True
    return rejected


def paired(a, b, values_a, values_b, confidence=CONFIDENCE):
    """The :class:`PairedDifference` of arms ``a`` and ``b`` from {seed: value} of each, over the seeds both have.

    Raises ValueError for fewer than two shared seeds or a non-finite value.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    seeds = tuple(sorted(set(values_a) & set(values_b)))
    if len(seeds) < 2:
        shared = f"only seed {seeds[0]}" if seeds else "none"
        raise ValueError(f"a paired interval needs at least two seeds that both arms have; {a!r} and {b!r} share {shared}")
    differences = tuple(float(values_a[s]) - float(values_b[s]) for s in seeds)
    if not all(math.isfinite(d) for d in differences):
        raise ValueError(f"the values of {a!r} and {b!r} must be finite, got differences {list(differences)}")
    return PairedDifference(a, b, seeds, differences, confidence)


def endpoint(records, arm, metric="val_accuracy", last=LAST_EPOCHS, epochs=None):
    """{seed: the mean of ``metric`` over the last ``last`` epochs} for the complete runs of ``arm`` in
    ``records`` (epoch records as the runner writes them; a run is complete when it reaches ``epochs``, by
    default the most epochs any run of the arm has). A diverged value (None) makes its seed's endpoint NaN."""
    by_seed = {}
    for record in records:
        if record["arm"] == arm:
            value = record[metric]  # None where the run diverged: not a number
            by_seed.setdefault(record["seed"], {})[record["epoch"]] = math.nan if value is None else value
    if not by_seed:
        return {}
    epochs = epochs or max(max(values) for values in by_seed.values())
    if last > epochs:
        raise ValueError(f"last must be at most the {epochs} epochs of a run, got {last}")
    wanted = range(epochs - last + 1, epochs + 1)
    return {
        seed: float(np.mean([values[e] for e in wanted]))
        for seed, values in sorted(by_seed.items())
        if all(e in values for e in wanted)
    }


def binomial_standard_error(accuracy, n):
    """The standard error sqrt(p (1 - p) / n) of an accuracy p measured on n independent images."""
    if not 0.0 <= accuracy <= 1.0:
        raise ValueError(f"accuracy must be in [0, 1], got {accuracy!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    return math.sqrt(accuracy * (1.0 - accuracy) / n)


def clopper_pearson_upper(k, n, confidence=CONFIDENCE):
    """The one-sided upper confidence bound of a rate after ``k`` events in ``n`` trials (Clopper-Pearson): the
    rate p at which P(at most k events in n | p) = 1 - confidence; 1 when k = n."""
    if not (isinstance(n, int) and n >= 1 and isinstance(k, int) and 0 <= k <= n):
        raise ValueError(f"k and n must be whole numbers with 0 <= k <= n and n >= 1, got k={k!r}, n={n!r}")
    if k == n:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(100):
        rate = (low + high) / 2
        at_most_k = sum(math.comb(n, i) * rate**i * (1 - rate) ** (n - i) for i in range(k + 1))
        low, high = (rate, high) if at_most_k > 1 - confidence else (low, rate)
    return high


def sign_test(wins, losses):
    """The two-sided p of the exact sign test (McNemar's exact test for paired yes/no outcomes): of the pairs
    whose two outcomes differ, ``wins`` went one way and ``losses`` the other; p is the chance, if each way were
    equally likely, of a split at least as uneven. 1 when no pair differs."""
    if not (isinstance(wins, int) and isinstance(losses, int) and wins >= 0 and losses >= 0):
        raise ValueError(f"wins and losses must be whole numbers >= 0, got wins={wins!r}, losses={losses!r}")
    n, fewer = wins + losses, min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(fewer + 1)) / 2**n
    return min(1.0, 2.0 * tail)
