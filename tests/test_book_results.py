"""The committed results of chapter 8 (book/results/*) still come from this code: their fingerprint holds."""

import dataclasses
import os
from pathlib import Path

import pytest

from radam import cifar10
from radam.cifar10 import Results, provenance
from radam.cifar10.runner import _digest

RESULTS = Path(__file__).resolve().parent.parent / "book" / "results"
FOLDERS = sorted(path.parent for path in RESULTS.glob("*/results.json"))


def data_digest(results):
    """The digest of the images the results used, when this machine has them (RADAM_CIFAR10_DIR), else None."""
    if not os.environ.get("RADAM_CIFAR10_DIR"):
        return None
    (x_train, y_train), (x_test, y_test) = cifar10.load_cifar10()
    data = results.settings["data"]
    n_train, n_test = data["used_train"], data["used_test"]
    return _digest([x_train[:n_train], y_train[:n_train], x_test[:n_test], y_test[:n_test]])


def test_the_book_has_committed_results():
    assert RESULTS / "reference" in FOLDERS


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda path: path.name)
def test_committed_results_are_fresh(folder):
    results = Results.load(folder)
    assert results.provenance and all(entry["commit"] for entry in results.provenance)
    problems = provenance.stale_parts(results, data_digest(results))
    commands = "\n  ".join(provenance.regenerate_commands(results, f"book/results/{folder.name}"))
    assert not problems, (
        f"book/results/{folder.name} is stale: " + "; ".join(problems)
        + f".\nRegenerate it (see book/results/README.md) with:\n  {commands}"
    )


def test_a_changed_arm_would_be_caught(monkeypatch):
    """The check above can fail: with adam's default learning rate changed, the reference results are stale."""
    results = Results.load(RESULTS / "reference")
    monkeypatch.setitem(
        cifar10.NAMED_ARMS, "adam", dataclasses.replace(cifar10.NAMED_ARMS["adam"], learning_rate=2e-3)
    )
    problems = provenance.stale_parts(results)
    assert any(problem.startswith("arm 'adam' is defined differently now") for problem in problems)


def test_records_are_complete_runs_or_runs_in_progress():
    results = Results.load(RESULTS / "reference")
    by_run = {}
    for record in results.records:
        by_run.setdefault((record["arm"], record["seed"]), []).append(record["epoch"])
    for (arm, seed), epochs in by_run.items():
        assert epochs == list(range(1, len(epochs) + 1)), f"{arm} seed {seed}: epochs {epochs}"
        assert len(epochs) <= results.settings["epochs"]


def test_the_model_description_ignores_new_options_left_at_none_but_not_a_changed_setting(monkeypatch):
    """Newer Keras versions add options whose default None changes nothing (the committed results were
    checked under Keras 3.10 and 3.15 alike); a changed setting of a layer must still count."""
    import keras

    described = provenance.model_description()
    get_config = keras.layers.Conv2D.get_config

    def with_new_option(layer):
        config = get_config(layer)
        config["kernel_initializer"]["config"]["a_new_option"] = None
        return {**config, "another_new_option": None}

    monkeypatch.setattr(keras.layers.Conv2D, "get_config", with_new_option)
    assert provenance.model_description() == described
    monkeypatch.setattr(keras.layers.Conv2D, "get_config", lambda layer: {**get_config(layer), "padding": "valid"})
    assert provenance.model_description() != described


def test_the_sgd_arm_trains_at_the_rate_its_sweep_chose():
    """SGD_LEARNING_RATE is the committed SGD sweep's best final accuracy, as chapter 8 says."""
    from radam.cifar10 import analysis
    from radam.cifar10.arms import SGD_LEARNING_RATE

    results = Results.load(RESULTS / "sgd-sweep")
    sweep = analysis.learning_rate_sweep([results], ["sgd"])
    assert len(sweep["sgd"]) == len(results.arms), "the SGD sweep is incomplete"
    chosen, _ = analysis.best_learning_rates(sweep)["sgd"]
    assert SGD_LEARNING_RATE == chosen, (
        f"the SGD sweep chose lr = {chosen:g}, but SGD_LEARNING_RATE is {SGD_LEARNING_RATE:g}: set it, then "
        "retrain the sgd arm (book/results/README.md)"
    )
