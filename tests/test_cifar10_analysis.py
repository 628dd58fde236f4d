"""radam.cifar10.analysis: complete runs only, sweeps over learning rates, their paired differences."""

import math

import pytest

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


def test_sweeps_join_the_reference_rate_and_pick_the_best():
    reference = results({"adam": [0.6, 0.62, None]})
    sweep = results({"adam-lr0.01": [0.3, 0.32, None], "adam-lr0.0001": [0.5, 0.52, None]})
    table = analysis.learning_rate_sweep([reference, sweep], ["adam"])
    assert list(table["adam"]) == [0.0001, 0.001, 0.01]
    assert analysis.best_learning_rates(table) == {"adam": (0.001, 0.61)}


def test_a_sweep_can_keep_only_its_own_seeds():
    reference = results({"adam": [0.6, 0.62, 0.9]})
    sweep = results({"adam-lr0.01": [0.3, 0.32, None]})
    table = analysis.learning_rate_sweep([reference, sweep], ["adam"], seeds=[0, 1])
    assert table == {"adam": {0.001: {0: 0.6, 1: 0.62}, 0.01: {0: 0.3, 1: 0.32}}}
    assert analysis.learning_rate_sweep([reference], ["adam"])["adam"][0.001][2] == 0.9


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


def test_provenance_rows_name_every_command_and_its_commits():
    r = results({"a": [0.5, 0.6, 0.7]})
    entry = {"versions": {"radam": "0.1.0"}, "cpu": "CPU", "cores": 2, "platform": "Linux", "wall_time_s": 1800.0,
             "started": "T0", "finished": "T1", "uncommitted_changes": False}
    r.provenance = [
        {**entry, "command": "first", "commit": "a" * 40},
        {**entry, "command": "first", "commit": "b" * 40, "uncommitted_changes": True},
        {**entry, "command": "second", "commit": "b" * 40},
    ]
    r.settings["data"] = {"used_train": 5482, "used_test": 1017, "digest": "d"}
    rows = dict(analysis.provenance_rows(r))
    assert rows["command 1"] == f"first, at commit {'a' * 12}, {'b' * 12} (uncommitted changes)"
    assert rows["command 2"] == f"second, at commit {'b' * 12}"
    assert rows["run"] == "T0 to T1: 1.5 h of wall time in 3 invocation(s) (the runner resumes)"
    assert rows["data"] == "5,482 training and 1,017 test images (digest d)"
    r.settings["data"] = {"used_train": 4482, "used_validation": 1000, "used_test": 1017, "digest": "d"}
    assert dict(analysis.provenance_rows(r))["data"] == (
        "4,482 training, 1,000 validation (held out of the training images) and 1,017 test images (digest d)")


def test_the_seeds_that_stopped_learning_are_found_by_their_loss():
    """A run stopped learning where its training loss ends above ln(classes) - within, or is not a number (it
    diverged); some seeds may stop at a rate where others learn."""
    r = results({"adam-lr0.01": [2.3031, 2.3040, None], "adam-lr0.001": [0.9, 2.3030, None], "radam": [0.8, 0.7, None]})
    for record in r.records:  # the values given above become the training losses of the last epoch
        record["train_loss"] = record["val_accuracy"]
    losses = analysis.learning_rate_sweep([r], ["adam", "radam"], metric="train_loss")
    assert losses["adam"] == {0.001: {0: 0.9, 1: 2.3030}, 0.01: {0: 2.3031, 1: 2.3040}}
    assert analysis.stopped_seeds(losses) == {"adam": {0.001: [1], 0.01: [0, 1]}, "radam": {0.001: []}}
    assert analysis.stopped_seeds(losses, within=1e-4)["adam"] == {0.001: [1], 0.01: [0, 1]}  # above ln 10
    assert analysis.stopped_seeds({"a": {0.1: {0: 1.0986}}}, classes=3) == {"a": {0.1: [0]}}
    # above ln 10 is worse than a uniform guess: stopped too; below it by more than `within` is learning
    assert analysis.stopped_seeds({"a": {0.1: {0: 2.49, 1: 2.3131}, 0.01: {0: 2.2925}}}) == {"a": {0.1: [0, 1],
                                                                                               0.01: []}}
    assert analysis.stopped_seeds({"a": {0.01: {0: 2.2927}}}) == {"a": {0.01: [0]}}  # ln 10 - 0.01 = 2.29259
    nan = float("nan")
    losses = {"adam": {0.003: {0: 1.55, 1: 1.57}, 0.1: {0: 2.49, 1: nan, 2: 2.3131}},
              "radam": {0.01: {0: 1.87, 1: 1.93, 2: 2.2925}}}
    assert analysis.stopped_seeds(losses, within=0.02)["radam"] == {0.01: [2]}
    assert analysis.stopped_seeds(losses, classes=20)["adam"] == {0.003: [], 0.1: [1]}  # ln 20 - 0.01 = 2.986


def curves_results(curves, epochs=6):
    """Results whose val_accuracy of arm, seed and epoch e is ``curves[arm][seed](e)``."""
    records = [{"arm": arm, "seed": seed, "epoch": e, "val_accuracy": curve(e)}
               for arm, seeds in curves.items() for seed, curve in seeds.items() for e in range(1, epochs + 1)]
    return Results([Arm(name) for name in curves], {"epochs": epochs, "seeds": [0, 1, 2], "steps_per_epoch": 10},
                   records)


def test_the_endpoint_sweep_averages_the_last_epochs_and_pairs_rates():
    a = {seed: (lambda e, s=seed: 0.5 + 0.01 * s + 0.001 * e) for seed in range(3)}
    b = {seed: (lambda e, s=seed: 0.4 + 0.02 * s) for seed in range(3)}
    control = {seed: (lambda e, s=seed: 0.45) for seed in range(2)}
    r = curves_results({"adam-lr0.01": a, "radam-lr0.01": b, "adam-lr0.009": control, "radam-lr0.1": b})
    sweep = analysis.endpoint_sweep([r], ["adam", "radam"], last=5)
    # The mean of epochs 2..6 of 0.5 + 0.01 s + 0.001 e is 0.504 + 0.01 s.
    assert sweep["adam"][0.01] == pytest.approx({0: 0.504, 1: 0.514, 2: 0.524})
    assert sweep["adam"][0.009] == pytest.approx({0: 0.45, 1: 0.45})
    same = analysis.paired_at_rates(sweep, "radam", "adam")
    assert list(same) == [0.01]  # adam has no 0.1
    assert same[0.01].differences == pytest.approx((-0.104, -0.094, -0.084))
    assert same[0.01].a == "radam at 0.01" and same[0.01].b == "adam at 0.01"
    matched = analysis.paired_at_rates(sweep, "radam", "adam", rate_of_b=lambda lr: 0.9 * lr)
    assert list(matched) == [0.01] and matched[0.01].b == "adam at 0.009"
    assert matched[0.01].seeds == (0, 1) and matched[0.01].differences == pytest.approx((-0.05, -0.03))


def test_a_rate_where_a_shared_seed_diverged_gets_no_interval():
    """A diverged run's endpoint is not a number: its rate is left out (stopped_seeds names it) while the
    other rates keep their intervals; a NaN on a seed that only one arm has does not matter."""
    nan = float("nan")
    sweep = {"radam": {0.01: {0: 0.6, 1: 0.62}, 0.1: {0: nan, 1: 0.5}, 0.03: {0: 0.6, 1: 0.61, 2: nan}},
             "adam": {0.01: {0: 0.5, 1: 0.5}, 0.1: {0: 0.1, 1: 0.1}, 0.03: {0: 0.5, 1: 0.5}}}
    found = analysis.paired_at_rates(sweep, "radam", "adam")
    assert sorted(found) == [0.01, 0.03]
    assert found[0.03].seeds == (0, 1) and found[0.01].differences == pytest.approx((0.1, 0.12))
    assert analysis.stopped_seeds({"radam": {0.1: {0: nan}}}) == {"radam": {0.1: [0]}}


def test_the_epoch_to_epoch_change_is_the_mean_jump_of_each_complete_run():
    zigzag = {0: lambda e: 0.5 + (0.02 if e % 2 else 0.0), 1: lambda e: 0.5 + 0.01 * e}
    r = curves_results({"a": zigzag})
    r.records = [x for x in r.records if not (x["seed"] == 1 and x["epoch"] == 6)] + [
        {"arm": "a", "seed": 2, "epoch": e, "val_accuracy": 0.3} for e in range(1, 7)]
    r.records.append({"arm": "a", "seed": 1, "epoch": 6, "val_accuracy": 0.56})
    assert analysis.epoch_to_epoch_change(r, "a") == pytest.approx({0: 0.02, 1: 0.01, 2: 0.0})
    # From epoch 5 on: the changes into epochs 5 and 6 only.
    r.records = [x if not (x["seed"] == 1 and x["epoch"] == 6) else {**x, "val_accuracy": 0.60} for x in r.records]
    assert analysis.epoch_to_epoch_change(r, "a", first_epoch=5) == pytest.approx({0: 0.02, 1: 0.03, 2: 0.0})
    assert analysis.epoch_to_epoch_change(r, "b") == {}
    with pytest.raises(ValueError, match=r"first_epoch must be in \[2, 6\] .*got 1"):
        analysis.epoch_to_epoch_change(r, "a", first_epoch=1)


def test_the_endpoint_sweep_counts_only_runs_of_the_planned_length():
    """A run is complete at the settings' epochs (6 here), not at the longest run present; an arm without a
    suffix sits at its own learning rate."""
    r = curves_results({"adam-lr0.01": {s: (lambda e: 0.5) for s in range(3)}, "adam": {0: lambda e: 0.6}})
    r.records = [x for x in r.records if not (x["arm"] == "adam-lr0.01" and x["seed"] == 2 and x["epoch"] == 6)]
    assert analysis.endpoint_sweep([r], ["adam"]) == {"adam": {1e-3: {0: 0.6}, 0.01: {0: 0.5, 1: 0.5}}}
    r.records = [x for x in r.records if x["epoch"] < 6]  # every run one epoch short: none counts
    assert analysis.endpoint_sweep([r], ["adam"]) == {"adam": {}}


def test_rates_pair_only_to_a_relative_millionth():
    """1e-4 pairs with 1.0000005e-4 (5e-7 apart), not with 1.000005e-4 (5e-6) nor 1.00005e-4 (5e-5, which an
    absolute tolerance of 1e-8 would let through)."""
    seeds = {0: 0.5, 1: 0.6}
    for other, pairs in ((1.0000005e-4, True), (1.000005e-4, False), (1.00005e-4, False)):
        sweep = {"radam": {1e-4: seeds}, "adam": {other: seeds}}
        assert list(analysis.paired_at_rates(sweep, "radam", "adam")) == ([1e-4] if pairs else [])


def test_the_epoch_to_epoch_change_from_its_default_first_epoch_to_the_last():
    """By default every change from epoch 1 to 2 on; first_epoch may be the last epoch (one change); a run
    without its first or its next-to-last epoch is incomplete; a diverged value (None) gives NaN."""
    r = curves_results({"a": {0: lambda e: 0.1 if e == 1 else 0.5 + 0.01 * e, 1: lambda e: 0.5}})
    assert analysis.epoch_to_epoch_change(r, "a") == pytest.approx({0: (0.42 + 4 * 0.01) / 5, 1: 0.0})
    assert analysis.epoch_to_epoch_change(r, "a", first_epoch=6) == pytest.approx({0: 0.01, 1: 0.0})
    for missing in (1, 5):
        cut = curves_results({"a": {0: lambda e: 0.5}})
        cut.records = [x for x in cut.records if x["epoch"] != missing]
        assert analysis.epoch_to_epoch_change(cut, "a") == {}
    diverged = curves_results({"a": {0: lambda e: 0.5}})
    diverged.records[3]["val_accuracy"] = None
    assert math.isnan(analysis.epoch_to_epoch_change(diverged, "a")[0])


def test_a_value_is_found_at_a_rate_computed_from_another():
    """0.9 * 0.01 is 0.009000000000000001, not the 0.009 an arm's name holds: at_rate matches to a relative 1e-6."""
    by_rate = {0.009: "control", 0.01: "adam"}
    assert 0.9 * 0.01 not in by_rate
    assert analysis.at_rate(by_rate, 0.9 * 0.01) == "control" and analysis.at_rate(by_rate, 1e-2) == "adam"
    assert analysis.at_rate(by_rate, 0.0090001) is None  # 1.1e-5 apart, relative
    assert analysis.at_rate({}, 0.01) is None
