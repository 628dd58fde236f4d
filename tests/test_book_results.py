"""The committed results of chapter 8 (book/results/*) still come from this code: their fingerprint holds."""

import dataclasses
import os
import re
from pathlib import Path

import numpy as np
import pytest

from radam import cifar10
from radam.cifar10 import Results, provenance

RESULTS = Path(__file__).resolve().parent.parent / "book" / "results"
OTHER_EXPERIMENTS = {"transformer"}
"""Folders of book/results that hold another experiment's results.json (chapter 5's Transformer, checked by
tests/test_transformer_results.py), not the CIFAR-10 runner's."""
FOLDERS = sorted(path.parent for path in RESULTS.glob("*/results.json") if path.parent.name not in OTHER_EXPERIMENTS)
README = (RESULTS / "README.md").read_text()
IN_PROGRESS_SECTION = README[README.index("## Runs in progress") : README.index("## When the code changes")]
IN_PROGRESS_ROWS = [
    (folder, command, done, planned)
    for folder, command, done, planned in re.findall(
        r"^\| `([a-z0-9-]+)/`[^|]*\|[^|]*\| `([^`]+)` \| (\d+) of (\d+) runs \|$", IN_PROGRESS_SECTION, re.M
    )
]
IN_PROGRESS = sorted({RESULTS / folder for folder, *_ in IN_PROGRESS_ROWS})
"""The folders book/results/README.md lists as still training: chapter 8 does not read them yet."""
FINISHED = [folder for folder in FOLDERS if folder not in IN_PROGRESS]


def needs_keras():
    pytest.importorskip("keras", reason="the fingerprint builds the model and the optimizers with Keras")


def data_digest(results):
    """The digest of the images the results used, when this machine has them (RADAM_CIFAR10_DIR), else None."""
    if not os.environ.get("RADAM_CIFAR10_DIR"):
        return None
    (x_train, y_train), (x_test, y_test) = cifar10.load_cifar10()
    data = results.settings["data"]
    n_train, n_test = data["used_train"] + data.get("used_validation", 0), data["used_test"]
    return provenance.digest([x_train[:n_train], y_train[:n_train], x_test[:n_test], y_test[:n_test]])


def test_the_book_has_committed_results():
    assert RESULTS / "reference" in FOLDERS


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda path: path.name)
def test_committed_results_are_fresh(folder):
    needs_keras()
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
    needs_keras()
    results = Results.load(RESULTS / "reference")
    monkeypatch.setitem(
        cifar10.NAMED_ARMS, "adam", dataclasses.replace(cifar10.NAMED_ARMS["adam"], learning_rate=2e-3)
    )
    problems = provenance.stale_parts(results)
    assert any(problem.startswith("arm 'adam' is defined differently now") for problem in problems)


@pytest.mark.parametrize("folder", FINISHED, ids=lambda path: path.name)
def test_every_committed_run_is_complete(folder):
    """A committed folder holds every arm x seed it planned, each with epochs 1 .. settings["epochs"]."""
    results = Results.load(folder)
    by_run = {}
    for record in results.records:
        by_run.setdefault((record["arm"], record["seed"]), []).append(record["epoch"])
    planned = {(arm, seed) for arm in results.arm_names for seed in results.settings["seeds"]}
    assert set(by_run) == planned, f"{folder.name}: runs missing {sorted(planned - set(by_run))}"
    for (arm, seed), epochs in by_run.items():
        assert epochs == list(range(1, results.settings["epochs"] + 1)), f"{arm} seed {seed}: epochs {epochs}"


def test_folders_in_progress_hold_whole_epochs_and_the_readme_counts_their_complete_runs():
    """A folder still training holds, per run, epochs 1 .. k (k <= the planned epochs, a run cut off at a
    stop restarts), the runs of its commands only, each recorded command as the README gives it (with DIR for
    the folder); the README's "N of M runs" counts the complete ones."""
    assert IN_PROGRESS_ROWS, "book/results/README.md lists no runs in progress"
    for folder in IN_PROGRESS:
        rows = [row for row in IN_PROGRESS_ROWS if RESULTS / row[0] == folder]
        if not (folder / "results.json").exists():
            assert all(done == "0" for _, _, done, _ in rows), f"{folder.name}/ is not committed"
            continue
        results = Results.load(folder)
        epochs = results.settings["epochs"]
        by_run = {}
        for record in results.records:
            by_run.setdefault((record["arm"], record["seed"]), []).append(record["epoch"])
        for run, done in by_run.items():
            assert done == list(range(1, len(done) + 1)) and len(done) <= epochs, f"{folder.name} {run}: {done}"
        complete = sum(len(done) == epochs for done in by_run.values())
        assert sum(int(done) for _, _, done, _ in rows) == complete, f"{folder.name}/: {complete} complete runs"
        stated = {" ".join(command.split()).replace(f"book/results/{folder.name}", "DIR") for _, command, *_ in rows}
        recorded = {entry["command"] for entry in results.provenance}
        assert recorded <= stated, f"{folder.name}/ was trained by commands the README lacks: {recorded - stated}"


def test_the_readme_states_the_machines_speed_and_the_wall_times():
    """The speeds and hours book/results/README.md gives are the committed records' and provenance's (of the
    folders chapter 8 reads)."""
    readme = " ".join(README.split())
    folders = {folder.name: Results.load(folder) for folder in FINISHED}
    speeds = [record["images_per_second"] for results in folders.values() for record in results.records]
    stated = re.search(r"a median of (\d+) images/s \(the middle 90% of epochs between (\d+) and (\d+)\)", readme)
    assert stated, "book/results/README.md no longer states the training speed"
    assert [int(value) for value in stated.groups()] == [round(p, -1) for p in np.percentile(speeds, [50, 5, 95])]
    total = 0
    for name, results in folders.items():
        stated = re.search(rf"`{name}/`'s (\d+) runs took ([0-9.]+) hours", readme)
        assert stated, f"book/results/README.md no longer states the wall time of {name}/"
        runs = {(record["arm"], record["seed"]) for record in results.records}
        hours = sum(entry["wall_time_s"] for entry in results.provenance) / 3600
        assert (int(stated.group(1)), float(stated.group(2))) == (len(runs), round(hours, 1)), name
        total += len(runs)
    assert f"The four commands together ({total} runs)" in readme


def test_the_model_description_ignores_new_options_left_at_none_but_not_a_changed_setting(monkeypatch):
    """Newer Keras versions add options whose default None changes nothing (the committed results were
    checked under Keras 3.10 and 3.15 alike); a changed setting of a layer must still count."""
    needs_keras()
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
    """SGD_LEARNING_RATE is the earlier SGD sweep's best final accuracy (on the test images, its validation set)."""
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


def test_the_long_runs_sgd_rate_is_the_one_its_validation_endpoint_chose():
    """sgd-rates/ (80 epochs, seed 100, none of the comparisons' seeds) chooses on the validation endpoint
    (:func:`radam.cifar10.questions.chosen_rate`) the rate the long run's SGD arm trains at."""
    from radam.cifar10 import questions
    from radam.cifar10.arms import SGD_LEARNING_RATE

    results = Results.load(RESULTS / "sgd-rates")
    runs = {(record["arm"], record["seed"]) for record in results.records
            if record["epoch"] == results.settings["epochs"]}
    assert len(runs) == 4, f"sgd-rates/ holds {len(runs)} complete runs of 4"
    chosen, endpoint = questions.chosen_rate(results, "sgd")
    assert chosen == SGD_LEARNING_RATE, f"sgd-rates/ chose {chosen:g} (validation endpoint {endpoint:.3f})"
    assert "both chose 0.01" in " ".join(README.split())
