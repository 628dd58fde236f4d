"""radam.cifar10.results: Results in memory (the book's order, curves, summary table); reading and writing the
files is tested in test_cifar10_schema.py and test_cifar10_runner.py."""

import numpy as np
import pytest

from radam import cifar10
from radam.cifar10 import Arm, Results


def test_results_list_arms_in_the_books_order_whatever_order_they_ran_in():
    ran = ["sgd", "custom", "radam-lr0.01", "adam", "radam", "radam-lr0.0001", "adam-warmup"]
    results = Results([Arm(name) for name in ran], {"epochs": 1, "seeds": [0]})
    assert results.arm_names == ["adam", "adam-warmup", "radam", "radam-lr0.0001", "radam-lr0.01", "sgd", "custom"]
    later = Results([Arm("adam-blog"), Arm("another")], {"epochs": 1, "seeds": [0], "data": {"digest": "d"}})
    results.settings["data"] = {"digest": "d"}
    later.keep_saved(results)  # a later invocation's new arms take their place among the saved ones
    assert later.arm_names == [
        "adam", "adam-warmup", "adam-blog", "radam", "radam-lr0.0001", "radam-lr0.01", "sgd", "another", "custom"
    ]


def synthetic_results():
    """Results with known numbers: two arms, three seeds, four epochs, no training."""
    arms = [cifar10.get_arm("adam"), cifar10.get_arm("radam-blog")]
    records = [
        {"arm": arm.name, "seed": seed, "epoch": epoch, "val_accuracy": 0.1 * epoch + 0.01 * seed + 0.3 * i}
        | {"val_loss": 2.0 / epoch + seed, "train_loss": 1.5 / epoch - i}
        for i, arm in enumerate(arms)
        for seed in range(3)
        for epoch in range(1, 5)
    ]
    return Results(arms, {"epochs": 4, "steps_per_epoch": 2000}, records)


def test_summary_table_of_known_numbers():
    rows = cifar10.summary_table(synthetic_results())
    assert rows[0]["final_mean"] == pytest.approx(0.41) and rows[0]["final_std"] == pytest.approx(0.01)
    assert rows[1]["best_mean"] == pytest.approx(0.71) and rows[1]["seeds"] == 3 and rows[1]["epochs"] == 4
    line = cifar10.format_summary(rows).splitlines()[2]
    assert line == "radam-blog         3      4   0.7100 +/- 0.0100   0.7100 +/- 0.0100"


def test_curves_of_complete_runs_leave_out_a_run_still_training():
    results = synthetic_results()
    results.records = [r for r in results.records if not (r["arm"] == "adam" and r["seed"] == 2 and r["epoch"] > 1)]
    results.records = [r for r in results.records if not (r["arm"] == "radam-blog" and r["epoch"] > 3)]
    epochs, values = results.curves()["adam"]
    assert list(epochs) == [1] and values.shape == (3, 1)  # every seed, cut to the shortest
    epochs, values = results.curves(complete_only=True)["adam"]
    assert list(epochs) == [1, 2, 3, 4] and values.shape == (2, 4)
    np.testing.assert_allclose(values.mean(axis=0), [0.105, 0.205, 0.305, 0.405])
    assert "radam-blog" not in results.curves(complete_only=True)  # no seed complete yet
