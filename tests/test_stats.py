"""radam.cifar10.stats: Student's t against SciPy, the paired interval against a hand-computed case and SciPy,
the wording that follows the interval, and the endpoint over the last epochs."""

import math

import numpy as np
import pytest

from radam.cifar10 import stats



@pytest.fixture(scope="module")
def scipy_stats():
    return pytest.importorskip("scipy.stats", reason="SciPy, the independent reference for Student's t, is not installed")


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 30, 200])
@pytest.mark.parametrize("p", [0.025, 0.5, 0.9, 0.975, 0.995])
def test_t_quantile_and_cdf_agree_with_scipy(p, df, scipy_stats):
    assert stats.t_quantile(p, df) == pytest.approx(scipy_stats.t.ppf(p, df), rel=1e-9, abs=1e-12)
    for x in (-3.0, -0.4, 0.0, 1.3, 12.0):
        assert stats.t_cdf(x, df) == pytest.approx(scipy_stats.t.cdf(x, df), rel=1e-9, abs=1e-14)


def test_t_quantile_refuses_what_has_no_quantile():
    with pytest.raises(ValueError, match="p must be in \\(0, 1\\), got 1.0"):
        stats.t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="df must be > 0, got 0"):
        stats.t_quantile(0.9, 0)


def test_the_paired_interval_by_hand(scipy_stats):
    # differences 0.01, 0.03, 0.02, 0.04, 0.00: mean 0.02, sd sqrt(0.001/4) = 0.0158114, t_{4, 0.975} = 2.776445
    a = {0: 0.61, 1: 0.63, 2: 0.62, 3: 0.64, 4: 0.60}
    b = {0: 0.60, 1: 0.60, 2: 0.60, 3: 0.60, 4: 0.60, 9: 0.1}  # seed 9 is not paired
    diff = stats.paired("radam", "adam", a, b)
    assert diff.seeds == (0, 1, 2, 3, 4) and diff.mean == pytest.approx(0.02)
    half = 2.7764451051977987 * math.sqrt(0.001 / 4) / math.sqrt(5)
    assert diff.interval == pytest.approx((0.02 - half, 0.02 + half))
    low, high = scipy_stats.t.interval(0.95, 4, loc=np.mean(diff.differences), scale=scipy_stats.sem(diff.differences))
    assert diff.interval == pytest.approx((low, high))
    assert diff.sign == 1
    assert diff.verdict("the last five epochs' accuracy") == (
        "`radam` is ahead of `adam` in the last five epochs' accuracy by 0.020 (95% interval +0.000 to +0.040, "
        "5 seeds paired)."
    )


def test_the_wording_follows_the_interval():
    behind = stats.paired("a", "b", {0: 0.5, 1: 0.4, 2: 0.45}, {0: 0.6, 1: 0.52, 2: 0.55})
    assert behind.sign == -1 and behind.verdict().startswith("`a` is behind `b` by 0.107")
    mixed = stats.paired("a", "b", {0: 0.6, 1: 0.4, 2: 0.5}, {0: 0.5, 1: 0.5, 2: 0.5})
    low, high = mixed.interval
    assert low < 0 < high and mixed.sign == 0
    assert mixed.verdict() == (
        f"No difference between `a` and `b` larger than {max(-low, high):.3f} (mean +0.000, 95% interval "
        f"{low:+.3f} to {high:+.3f}, 3 seeds paired)."
    )


def test_every_seed_agreeing_on_the_sign_is_not_enough():
    """The rule this module replaces called a difference real when it exceeded the seed spread and every seed
    agreed on its sign; a paired interval can still hold zero then (and hold it not when one seed disagrees)."""
    same_sign = stats.paired("a", "b", {0: 0.501, 1: 0.6, 2: 0.502}, {0: 0.5, 1: 0.5, 2: 0.5})
    assert all(d > 0 for d in same_sign.differences) and same_sign.sign == 0
    one_disagrees = stats.paired(
        "a", "b", {s: 0.55 for s in range(8)} | {8: 0.49}, {s: 0.5 for s in range(9)}
    )
    assert min(one_disagrees.differences) < 0 and one_disagrees.sign == 1


@pytest.mark.parametrize(
    "a, b, message",
    [
        ({0: 0.5}, {0: 0.4, 1: 0.3}, "share only seed 0$"),
        ({0: 0.5}, {1: 0.3}, "share none$"),
        ({0: 0.5, 1: float("nan")}, {0: 0.4, 1: 0.3}, "must be finite"),
    ],
)
def test_paired_refuses_what_gives_no_interval(a, b, message):
    with pytest.raises(ValueError, match=message):
        stats.paired("a", "b", a, b)


def test_the_endpoint_is_the_mean_of_the_last_epochs_of_complete_runs():
    records = [
        {"arm": "adam", "seed": seed, "epoch": epoch, "val_accuracy": seed + epoch / 100}
        for seed in (0, 1)
        for epoch in range(1, 11)
    ]
    records += [{"arm": "adam", "seed": 2, "epoch": e, "val_accuracy": 9.0} for e in range(1, 8)]  # incomplete
    records += [{"arm": "radam", "seed": 0, "epoch": e, "val_accuracy": 7.0} for e in range(1, 11)]
    assert stats.endpoint(records, "adam", last=5) == pytest.approx({0: 0.08, 1: 1.08})
    assert stats.endpoint(records, "adam", last=1) == pytest.approx({0: 0.10, 1: 1.10})
    assert stats.endpoint(records, "sgd") == {}
    with pytest.raises(ValueError, match="last must be at most the 10 epochs of a run, got 11"):
        stats.endpoint(records, "adam", last=11)


def test_the_binomial_standard_error():
    assert stats.binomial_standard_error(0.6, 1017) == pytest.approx(math.sqrt(0.24 / 1017))
    assert stats.binomial_standard_error(0.6, 1017) == pytest.approx(0.01536, abs=1e-5)
    with pytest.raises(ValueError, match="accuracy must be in \\[0, 1\\], got 1.5"):
        stats.binomial_standard_error(1.5, 10)


@pytest.mark.parametrize("df", [1, 3, 30, 1000])
def test_t_cdf_in_the_tails_and_near_0_agrees_with_scipy(df, scipy_stats):
    # x -> 0 puts the incomplete beta's argument df / (df + x^2) next to 1, where only the symmetry converges
    # (closer to 0, 1 - df / (df + x^2) loses digits: 3e-10 relative at x = 1e-6 and df = 30)
    for x in (0.01, -0.02, 0.3, 40.0, -200.0):
        assert stats.t_cdf(x, df) == pytest.approx(scipy_stats.t.cdf(x, df), rel=1e-11, abs=1e-15)
    assert stats.t_cdf(math.inf, df) == 1.0 and stats.t_cdf(-math.inf, df) == 0.0


def test_the_binomial_standard_error_at_the_edges():
    assert stats.binomial_standard_error(0.0, 10) == 0.0 == stats.binomial_standard_error(1.0, 10)
    assert stats.binomial_standard_error(0.5, 1) == 0.5
    with pytest.raises(ValueError, match=r"^n must be >= 1, got 0$"):
        stats.binomial_standard_error(0.5, 0)
    with pytest.raises(ValueError, match=r"^accuracy must be in \[0, 1\], got -0\.1$"):
        stats.binomial_standard_error(-0.1, 10)


def test_a_diverged_value_makes_its_seeds_endpoint_not_a_number():
    records = [{"arm": "adam", "seed": s, "epoch": e, "val_loss": None if (s, e) == (1, 3) else 1.0}
               for s in (0, 1) for e in (1, 2, 3)]
    ends = stats.endpoint(records, "adam", "val_loss", last=2)
    assert ends[0] == 1.0 and math.isnan(ends[1])
    with pytest.raises(ValueError, match="must be finite"):
        stats.paired("adam", "b", ends, {0: 1.0, 1: 1.0})


def test_the_endpoint_may_average_every_epoch():
    records = [{"arm": "adam", "seed": 0, "epoch": e, "val_accuracy": e / 10} for e in (1, 2, 3)]
    assert stats.endpoint(records, "adam", last=3) == pytest.approx({0: 0.2})


def test_the_confidence_level_sets_the_interval(scipy_stats):
    a, b = {0: 0.61, 1: 0.63, 2: 0.62, 3: 0.64, 4: 0.60}, {s: 0.6 for s in range(5)}
    ninety = stats.paired("a", "b", a, b, confidence=0.9)
    assert ninety.confidence == 0.9
    sd = np.std(list(ninety.differences), ddof=1)
    assert ninety.half_width == pytest.approx(scipy_stats.t.ppf(0.95, 4) * sd / math.sqrt(5), rel=1e-9)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match=rf"^confidence must be in \(0, 1\), got {bad}$"):
            stats.paired("a", "b", a, b, confidence=bad)
    with pytest.raises(ValueError, match=r"^p must be in \(0, 1\), got 0\.0$"):
        stats.t_quantile(0.0, 3)


@pytest.mark.parametrize("k, n", [(0, 12), (1, 12), (3, 20), (0, 1)])
def test_the_clopper_pearson_bound_is_the_beta_quantile(k, n, scipy_stats):
    assert stats.clopper_pearson_upper(k, n) == pytest.approx(scipy_stats.beta.ppf(0.95, k + 1, n - k), abs=1e-12)


def test_the_clopper_pearson_bound_by_hand():
    # no event in n trials: (1 - p)^n = 0.05
    assert stats.clopper_pearson_upper(0, 12) == pytest.approx(1 - 0.05 ** (1 / 12))
    assert stats.clopper_pearson_upper(5, 5) == 1.0
    with pytest.raises(ValueError, match="got k=6, n=5"):
        stats.clopper_pearson_upper(6, 5)


def test_the_paired_p_value_is_scipys_paired_t_test(scipy_stats):
    a = {0: 0.61, 1: 0.64, 2: 0.60, 3: 0.66, 4: 0.63}
    b = {0: 0.60, 1: 0.61, 2: 0.61, 3: 0.62, 4: 0.60}
    diff = stats.paired("a", "b", a, b)
    assert diff.p_value == pytest.approx(scipy_stats.ttest_rel(list(a.values()), list(b.values())).pvalue, rel=1e-9)
    # the interval excludes zero exactly when p < 0.05
    assert (diff.sign != 0) == (diff.p_value < 0.05)
    assert stats.paired("a", "b", {0: 0.6, 1: 0.7}, {0: 0.5, 1: 0.6}).p_value == 0.0  # equal nonzero differences
    assert stats.paired("a", "b", {0: 0.6, 1: 0.7}, {0: 0.6, 1: 0.7}).p_value == 1.0


def test_holm_by_hand():
    """m = 4 at 0.05: thresholds 0.0125, 0.0167, 0.025, 0.05 for the sorted p. 0.01 <= 0.0125 and 0.015 <= 0.0167
    are rejected; 0.03 > 0.025 stops, so 0.04 (below 0.05 alone) is not; order is kept."""
    assert stats.holm([0.04, 0.01, 0.03, 0.015]) == [False, True, False, True]
    assert stats.holm([0.001, 0.2]) == [True, False]
    assert stats.holm([0.03, 0.04]) == [False, False]  # 0.03 > 0.025 stops at once
    assert stats.holm([]) == []
    with pytest.raises(ValueError, match=r"^p_values must lie in \[0, 1\], got \[1\.5\]$"):
        stats.holm([1.5])
    with pytest.raises(ValueError, match=r"^level must be in \(0, 1\), got 0$"):
        stats.holm([0.1], level=0)


@pytest.mark.parametrize("wins, losses", [(2, 0), (0, 2), (7, 0), (7, 1), (3, 3), (1, 9), (0, 0), (12, 4)])
def test_the_sign_test_is_scipys_exact_binomial_test(wins, losses, scipy_stats):
    expected = scipy_stats.binomtest(wins, wins + losses, 0.5).pvalue if wins + losses else 1.0
    assert stats.sign_test(wins, losses) == pytest.approx(expected, rel=1e-12)


def test_the_sign_test_by_hand():
    assert stats.sign_test(2, 0) == 0.5  # two pairs, both one way: 2 * (1/2)^2
    assert stats.sign_test(7, 0) == pytest.approx(2 / 2**7)
    assert stats.sign_test(3, 3) == 1.0
    for bad in ((-1, 2), (1.0, 2), (2, None)):
        with pytest.raises(ValueError, match=r"wins and losses must be whole numbers >= 0"):
            stats.sign_test(*bad)
