"""radam.cifar10.analysis: complete runs only, verdicts against the seed spread, sweeps."""

from radam.cifar10 import Arm, Results, analysis


def results(final):
    """Results of 3-epoch runs whose last validation accuracies are ``final[arm][seed]``."""
    records = []
    for arm, seeds in final.items():
        for seed, value in enumerate(seeds):
            if value is None:
                continue
            for epoch in (1, 2, 3):
                accuracy = value if epoch == 3 else value / 2
                records.append({"arm": arm, "seed": seed, "epoch": epoch, "val_accuracy": accuracy})
    arms = [Arm(name) for name in final]
    return Results(arms, {"epochs": 3, "seeds": [0, 1, 2], "steps_per_epoch": 10}, records)


def test_incomplete_runs_are_left_out():
    r = results({"a": [0.5, 0.6, None]})
    r.records = [x for x in r.records if not (x["seed"] == 1 and x["epoch"] == 3)]
    assert analysis.final_accuracies(r, "a") == {0: 0.5}
    assert analysis.final_accuracies(r, "a", best=True) == {0: 0.5}


def test_a_difference_beyond_the_spread_on_every_seed_is_a_verdict():
    c = analysis.compare(results({"a": [0.70, 0.72, 0.71], "b": [0.60, 0.61, 0.62]}), "a", "b")
    assert c.decided and c.beyond_spread and c.wins == 3
    assert abs(c.difference - 0.1) < 1e-12 and abs(c.spread - 0.02) < 1e-12
    assert c.verdict().endswith("a is ahead beyond the seed spread, on every seed.")


def test_within_the_spread_or_split_seeds_is_no_verdict():
    within = analysis.compare(results({"a": [0.70, 0.60, 0.65], "b": [0.66, 0.64, 0.62]}), "a", "b")
    assert within.decided and not within.beyond_spread
    assert within.verdict().endswith("within the seed spread: no difference this run can resolve.")


def test_fewer_than_three_seeds_decide_nothing():
    c = analysis.compare(results({"a": [0.9, None, None], "b": [0.1, None, None]}), "a", "b")
    assert not c.decided and not c.beyond_spread
    assert c.verdict().endswith("1 seed so far, too few to judge (at least 3).")


def test_sweeps_join_the_reference_rate_and_pick_the_best():
    reference = results({"adam": [0.6, 0.62, None]})
    sweep = results({"adam-lr0.01": [0.3, 0.32, None], "adam-lr0.0001": [0.5, 0.52, None]})
    table = analysis.learning_rate_sweep([reference, sweep], ["adam"])
    assert list(table["adam"]) == [0.0001, 0.001, 0.01]
    assert analysis.best_learning_rates(table) == {"adam": (0.001, 0.61)}
    assert analysis.robustness(table, within=0.1) == {"adam": 2}
    assert analysis.sweep_name("radam-blog-lr0.003") == ("radam-blog", 0.003)
    assert analysis.sweep_name("adam-warmup") == ("adam-warmup", None)


def test_book_results_missing_from_a_checkout_are_not_downloaded(tmp_path, monkeypatch):
    import urllib.request

    import pytest

    from radam.cifar10 import load_book_results

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    (tmp_path / "results").mkdir()
    with pytest.raises(FileNotFoundError, match="'lr-sweep' are not in .* \\(not computed yet\\)"):
        load_book_results("lr-sweep", folder=str(tmp_path / "results"))
