"""radam.cifar10.runner and store: training, resuming, the folder's rules (lock, merging, checkpoints, leftovers
of a kill, full disks) and the settings checked before anything is written or trained."""

import csv
import errno
import hashlib
import io
import os

import keras
import numpy as np
import pytest

from cifar10_files import make_cifar, no_env, random_images, train, without_times  # noqa: F401 (no_env: a fixture)
from radam import cifar10
from radam.cifar10 import Arm, Results, runner, store
from radam.cifar10.__main__ import main
from results_files import record, results_json, write_results_json


def count_training(monkeypatch):
    """A list that records (arm, seed, epoch) for every epoch the runner trains from now on."""
    trained = []
    original = runner._Experiment.train_epoch

    def counted(self, model, arm, seed, epoch, bar):
        trained.append((arm.name, seed, epoch))
        return original(self, model, arm, seed, epoch, bar)

    monkeypatch.setattr(runner._Experiment, "train_epoch", counted)
    return trained


@pytest.mark.slow
def test_one_epoch_writes_json_and_csv(tmp_path):
    results = cifar10.run_experiment(
        ["adam", "radam-blog"], 1, [3], data=random_images(), batch_size=16, out_dir=tmp_path, progress=False
    )
    assert sorted(os.listdir(tmp_path)) == [".lock", "checkpoints", "results.csv", "results.json"]
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["adam-seed3.npz", "radam-blog-seed3.npz"]
    saved = Results.load(tmp_path)
    assert saved.records == results.records and saved.arms == results.arms
    keys = [(r["arm"], r["seed"], r["epoch"], r["step"]) for r in saved.records]
    assert keys == [("adam", 3, 1, 3), ("radam-blog", 3, 1, 3)]
    assert saved.settings["data"]["used_train"] == 48 and saved.settings["steps_per_epoch"] == 3
    for record in saved.records:
        assert record["learning_rate"] == pytest.approx(cifar10.get_arm(record["arm"]).lr_at(3))
        assert 0 <= record["val_accuracy"] <= 1 and record["images_per_second"] > 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "results.csv").read_text())))
    assert list(rows[0]) == list(cifar10.RECORD_FIELDS)
    assert [float(row["val_loss"]) for row in rows] == [r["val_loss"] for r in saved.records]
    table = cifar10.summary_table(saved)
    assert [row["arm"] for row in table] == ["adam", "radam-blog"]
    assert table[0]["final_mean"] == saved.records[0]["val_accuracy"]


@pytest.mark.slow
def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path):
    data = random_images()
    kwargs = dict(data=data, batch_size=16, progress=False)
    whole = cifar10.run_experiment(["radam"], 3, [0], out_dir=tmp_path / "whole", **kwargs)

    def interrupt(record):
        raise KeyboardInterrupt(f"after epoch {record['epoch']}")

    with pytest.raises(KeyboardInterrupt):
        cifar10.run_experiment(["radam"], 3, [0], out_dir=tmp_path / "cut", on_epoch_end=interrupt, **kwargs)
    assert [r["epoch"] for r in Results.load(tmp_path / "cut").records] == [1]
    seen = []
    resumed = cifar10.run_experiment(["radam"], 3, [0], out_dir=tmp_path / "cut", on_epoch_end=seen.append, **kwargs)
    assert [r["epoch"] for r in seen] == [2, 3]
    assert without_times(resumed.records) == without_times(whole.records)
    assert without_times(Results.load(tmp_path / "cut").records) == without_times(whole.records)
    assert not [name for name in os.listdir(tmp_path / "cut") if name.endswith((".tmp", ".partial"))]

    # Fewer epochs than the folder holds, or other settings, refuse the folder; restart starts over.
    longer = r"holds more than 2 epochs of radam seed 0 \(3 planned there\): run with --epochs 3"
    with pytest.raises(ValueError, match=longer):
        cifar10.run_experiment(["radam"], 2, [0], out_dir=tmp_path / "cut", **kwargs)
    with pytest.raises(ValueError, match="the results folder holds runs with batch_size 16, this call has 8"):
        cifar10.run_experiment(["radam"], 3, [0], out_dir=tmp_path / "cut", data=data, batch_size=8, progress=False)
    restarted = cifar10.run_experiment(["radam"], 1, [0], out_dir=tmp_path / "cut", restart=True, **kwargs)
    assert without_times(restarted.records) == without_times(whole.records[:1])


@pytest.mark.slow
def test_arms_of_a_seed_share_initial_weights_and_batches():
    arms = ["adam", Arm("adam-again"), "radam"]
    results = cifar10.run_experiment(arms, 1, [0, 1], data=random_images(), batch_size=16, progress=False)
    digests = {(run["arm"], run["seed"]): run["initial_weights"] for run in results.runs}
    keras.utils.set_random_seed(1)
    expected = cifar10.provenance.digest([v.numpy() for v in cifar10.build_model().variables])
    assert digests[("adam", 1)] == digests[("adam-again", 1)] == digests[("radam", 1)] == expected
    assert digests[("adam", 0)] == digests[("radam", 0)] != expected
    # Same weights, batches and dropout masks: two arms with the same optimizer train identically.
    by_arm = {(r["arm"], r["seed"]): r for r in without_times(results.records)}
    for seed in (0, 1):
        assert {**by_arm[("adam", seed)], "arm": "x"} == {**by_arm[("adam-again", seed)], "arm": "x"}
    assert by_arm[("adam", 0)]["train_loss"] != by_arm[("radam", 0)]["train_loss"]


@pytest.mark.slow
def test_mixed_precision_and_mirrored_strategy_train(tmp_path):
    results = cifar10.run_experiment(
        ["radam-blog"],
        1,
        data=random_images(32, 16),
        batch_size=16,
        mixed_precision=True,
        distribute=True,
        out_dir=tmp_path,
        progress=False,
    )
    assert np.isfinite(results.records[0]["train_loss"]) and results.settings["mixed_precision"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(arms=["adam"], epochs=0), "epochs must be a whole number >= 1, got 0"),
        (dict(arms=["adam"], epochs=1, seeds=[-1]), r"seeds must be a non-empty list of whole numbers in \[0, 2\*\*32\), got \["),
        (dict(arms=["adam", "adam"], epochs=1), "arms must be a non-empty list of distinct arms"),
        (dict(arms=["adam"], epochs=1, batch_size=0), "batch_size must be a whole number >= 1, got 0"),
        (dict(arms=["lamb"], epochs=1), "unknown arm 'lamb'"),
        (
            dict(arms=["adam"], epochs=1, data=((np.zeros((4, 32, 32, 3)), np.zeros(4)), random_images()[1])),
            r"x_train must be uint8 images of shape \(N, 32, 32, 3\) with N >= 1, got float64 array of shape",
        ),
    ],
)
def test_runner_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cifar10.run_experiment(**{"data": random_images(), **kwargs})


@pytest.mark.slow
def test_a_second_runner_on_the_folder_adds_its_arms(tmp_path):
    first = train(tmp_path, ["adam"])
    second = train(tmp_path, ["radam"], seeds=(0, 1))
    saved = Results.load(tmp_path)
    assert saved.arm_names == ["adam", "radam"] == second.arm_names  # the book's order, not the order they ran in
    assert {(r["arm"], r["seed"]) for r in saved.records} == {("adam", 0), ("radam", 0), ("radam", 1)}
    assert [r for r in saved.records if r["arm"] == "adam"] == first.records
    assert len(saved.provenance) == 2 and set(saved.fingerprint["arms"]) == {"adam", "radam"}
    assert set(saved.fingerprint["initial_weights"]) == {"0", "1"}
    with open(tmp_path / "results.csv") as f:
        assert len(f.readlines()) == 1 + 3


@pytest.mark.slow
def test_a_folder_of_another_experiment_is_refused_by_name(tmp_path):
    train(tmp_path, ["adam"])
    with pytest.raises(ValueError, match="the results folder holds runs with batch_size 32, this call has 16"):
        cifar10.run_experiment(["radam"], 1, data=random_images(), batch_size=16, out_dir=tmp_path, progress=False)


@pytest.mark.slow
def test_a_concurrent_runner_exits_with_status_2(tmp_path, capsys):
    held = store.lock(str(tmp_path))
    try:
        with pytest.raises(store.FolderInUse, match=f"results folder {tmp_path} is in use by another runner"):
            train(tmp_path, ["adam"])
        status = main(["--arms", "adam", "--epochs", "1", "--out", str(tmp_path), "--data-dir", str(tmp_path)])
        assert status == 2
        assert "is in use by another runner (pid" in capsys.readouterr().err
    finally:
        held.close()
    assert not (tmp_path / "results.json").exists()


@pytest.mark.slow
def test_a_truncated_checkpoint_gives_a_one_line_error(tmp_path):
    train(tmp_path, ["adam"], epochs=1)
    checkpoint = tmp_path / "checkpoints" / "adam-seed0.npz"
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    with pytest.raises(ValueError, match=f"checkpoint {checkpoint} is damaged .*--restart .*or delete {checkpoint}"):
        train(tmp_path, ["adam"], epochs=2)
    train(tmp_path, ["adam"], epochs=2, restart=True)
    assert [r["epoch"] for r in Results.load(tmp_path).records] == [1, 2]


@pytest.mark.slow
def test_leftovers_of_a_killed_save_are_removed_and_nothing_else(tmp_path):
    train(tmp_path, ["adam"])
    leftovers = [tmp_path / ".results.json.123.456.partial", tmp_path / "checkpoints" / ".adam-seed0.npz.1.2.partial"]
    readers = [tmp_path / ".notes.tmp", tmp_path / ".X.partial", tmp_path / "checkpoints" / ".keep.tmp",
               tmp_path / "checkpoints" / ".radam-seed0.npz.1.2.partial"]  # not a run of this call
    for path in leftovers + readers:
        path.write_bytes(b"half")
    train(tmp_path, ["adam"], epochs=2)
    assert not any(path.exists() for path in leftovers)
    assert all(path.read_bytes() == b"half" for path in readers)


@pytest.mark.slow
def test_a_full_disk_names_the_path(tmp_path, monkeypatch):
    def full(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match=f"could not write {tmp_path}.*: No space left on device"):
        train(tmp_path, ["adam"])
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".partial")]


@pytest.mark.slow
def test_complete_runs_without_checkpoints_are_not_trained_again(tmp_path, monkeypatch):
    """Committed results hold no checkpoints: rerunning their command trains only the runs they lack."""
    first = train(tmp_path, ["adam"])
    for name in os.listdir(tmp_path / "checkpoints"):
        os.remove(tmp_path / "checkpoints" / name)
    trained = count_training(monkeypatch)
    again = train(tmp_path, ["adam", "radam"])
    assert trained == [("radam", 0, 1)]
    assert [r for r in again.records if r["arm"] == "adam"] == first.records


@pytest.mark.slow
def test_restart_discards_only_this_calls_runs(tmp_path, monkeypatch):
    first = train(tmp_path, ["adam", "radam"])
    trained = count_training(monkeypatch)
    again = train(tmp_path, ["radam"], restart=True)
    assert trained == [("radam", 0, 1)]
    saved = Results.load(tmp_path)
    assert [r for r in saved.records if r["arm"] == "adam"] == [r for r in first.records if r["arm"] == "adam"]
    assert [r for r in saved.records if r["arm"] == "radam"] == [r for r in again.records if r["arm"] == "radam"]


def test_seeds_beyond_32_bits_are_refused_before_loading_data(tmp_path, capsys):
    missing = tmp_path / "no-data-here"
    with pytest.raises(ValueError, match=r"seeds must be .* in \[0, 2\*\*32\), got \[4294967296\]"):
        cifar10.run_experiment(["adam"], 1, [4294967296], data_dir=missing, progress=False)
    with pytest.raises(SystemExit) as exit_:
        main(["--seeds", "4294967296", "--data-dir", str(missing)])
    assert exit_.value.code == 2
    assert "argument --seeds: must be a whole number in [0, 4294967295], got '4294967296'" in capsys.readouterr().err


# ------------------------------------------------------------------ refusals leave the folder as it was


def folder_hashes(folder):
    """{path in folder: SHA-256 of its bytes (None for a folder)} of everything under ``folder``."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


def committed_folder(folder, epochs=2, batch_size=64):
    """A folder as committed (results.json, no checkpoints) holding ``epochs`` epochs of adam seed 0 trained on the
    15 images of make_cifar in batches of 64 (1 step an epoch), with files of the reader's beside them."""
    content = results_json([record("adam", 0, epoch, steps_per_epoch=1) for epoch in range(1, epochs + 1)],
                           epochs=epochs, steps_per_epoch=1)
    content["settings"]["batch_size"] = batch_size
    write_results_json(folder, content)
    for name in (".notes.tmp", ".X.partial", ".results.json.1.2.partial", "checkpoints/.keep.tmp"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text("the reader's")
    return folder_hashes(folder)


def test_fewer_epochs_than_the_folder_holds_are_refused_and_nothing_changes(tmp_path, capsys, no_env):
    make_cifar(tmp_path / "data")
    before = committed_folder(tmp_path / "runs")
    argv = ["--arms", "adam", "--epochs", "1", "--out", str(tmp_path / "runs"), "--data-dir", str(tmp_path / "data")]
    assert main([*argv, "--quiet"]) == 2
    assert ("holds more than 1 epochs of adam seed 0 (2 planned there): run with --epochs 2 to resume it"
            in capsys.readouterr().err)
    assert folder_hashes(tmp_path / "runs") == before


def test_a_refused_folder_keeps_every_file_even_the_runners_leftovers(tmp_path, capsys, no_env):
    make_cifar(tmp_path / "data")
    before = committed_folder(tmp_path / "runs", batch_size=32)
    argv = ["--arms", "radam", "--epochs", "1", "--out", str(tmp_path / "runs"), "--data-dir", str(tmp_path / "data")]
    assert main([*argv, "--quiet"]) == 2
    assert "the results folder holds runs with batch_size 32, this call has 64" in capsys.readouterr().err
    assert folder_hashes(tmp_path / "runs") == before


def test_an_empty_out_and_a_long_arm_name_are_refused_before_any_write(tmp_path, monkeypatch, capsys, no_env):
    monkeypatch.chdir(tmp_path)
    assert main(["--arms", "adam", "--out", "", "--data-dir", "nowhere"]) == 2
    assert "out_dir must be the path of a results folder, got ''" in capsys.readouterr().err
    name = "a" * 300
    assert main(["--custom", f"{name}:optimizer=adam", "--arms", name, "--out", "runs", "--data-dir", "nowhere"]) == 2
    assert "arm name must be 1 to 100 letters" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []  # no .lock, no checkpoints/, no runs/


@pytest.mark.slow
def test_a_deterministic_run_repeats_bit_for_bit(tmp_path, no_env):
    """What a refactor of the runner is checked with: ``--deterministic`` runs of the same command on the same
    machine give the same records to the last bit (only the times differ), so a run before and after a change
    that keeps behaviour must too. Numbers from another machine (the committed results) may differ in the last
    bits: those are checked by their fingerprint (test_book_results.py), not here. Each run is a process of its
    own, as op determinism is a setting of the process."""
    import subprocess
    import sys

    make_cifar(tmp_path / "data", counts=(40, 40, 40, 40, 40), n_test=30)
    runs = []
    for name in ("first", "second"):
        command = [sys.executable, "-m", "radam.cifar10", "--arms", "adam", "radam", "--epochs", "1", "--quiet",
                   "--batch-size", "32", "--deterministic", "--data-dir", str(tmp_path / "data"),
                   "--out", str(tmp_path / name)]
        subprocess.run(command, check=True, capture_output=True, timeout=600)
        runs.append(without_times(Results.load(tmp_path / name).records))
    assert runs[0] == runs[1] and len(runs[0]) == 2


def test_a_validation_split_validates_on_held_out_training_images():
    """With validation_images, val_ is the held-out images and test_ the test set; the same training on the
    same images with those held-out images given as the test set measures the same val_ values."""
    data = random_images(48, 24)
    split = cifar10.run_experiment(["adam"], 2, data=data, batch_size=16, validation_images=16, progress=False)
    train_rows, validation_rows = cifar10.pipeline.split(48, 16)
    (x, y), test = data
    held_as_test = ((x[train_rows], y[train_rows]), (x[validation_rows], y[validation_rows]))
    plain = cifar10.run_experiment(["adam"], 2, data=held_as_test, batch_size=16, progress=False)
    full = cifar10.run_experiment(["adam"], 2, data=((x[train_rows], y[train_rows]), test), batch_size=16,
                                  progress=False)
    data_info = split.settings["data"]
    assert (data_info["used_train"], data_info["used_validation"], data_info["used_test"]) == (32, 16, 24)
    assert split.settings["validation_images"] == 16 and split.settings["steps_per_epoch"] == 2
    for mine, held, other in zip(split.records, plain.records, full.records):
        assert mine["train_loss"] == held["train_loss"] == other["train_loss"]
        assert (mine["val_loss"], mine["val_accuracy"]) == (held["val_loss"], held["val_accuracy"])
        assert (mine["test_loss"], mine["test_accuracy"]) == (other["test_loss"], other["test_accuracy"])
        assert mine["val_loss"] != mine["test_loss"]
        assert (held["val_loss"], held["val_accuracy"]) == (held["test_loss"], held["test_accuracy"])


def test_augmentation_is_shared_by_the_arms_of_a_seed_and_changes_training():
    data = random_images(32, 16)
    augmented = cifar10.run_experiment(["adam", Arm("adam-again")], 2, data=data, batch_size=16, augment=True,
                                       progress=False)
    plain = cifar10.run_experiment(["adam"], 2, data=data, batch_size=16, progress=False)
    by_arm = {}
    for record in without_times(augmented.records):
        by_arm.setdefault(record["arm"], []).append({**record, "arm": "x"})
    assert by_arm["adam"] == by_arm["adam-again"]
    assert augmented.settings["augment"] and not plain.settings["augment"]
    assert augmented.records[0]["train_loss"] != plain.records[0]["train_loss"]


def test_a_folder_with_another_split_or_augmentation_is_refused(tmp_path):
    train(tmp_path, ["adam"])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    for option, message in ((dict(validation_images=8), "validation_images 0, this call has 8"),
                            (dict(augment=True), "augment False, this call has True")):
        with pytest.raises(ValueError, match=f"the results folder holds runs with {message}: use another folder"):
            train(tmp_path, ["radam"], **option)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


@pytest.mark.parametrize("images, message", [
    (-1, "validation_images must be a whole number >= 0, got -1"),
    (True, "validation_images must be a whole number >= 0, got True"),
    (48, r"validation_images must be in \[0, 47\] \(the training images less one\), got 48"),
])
def test_a_split_that_leaves_nothing_to_train_is_refused(tmp_path, images, message):
    with pytest.raises(ValueError, match=message):
        cifar10.run_experiment(["adam"], 1, data=random_images(48, 8), validation_images=images,
                               out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
