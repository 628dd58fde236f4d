"""radam.cifar10.provenance and the runner's folder rules: provenance, fingerprints, staleness, one folder shared
by several runners (lock, merging), damaged checkpoints, leftovers of a kill, bad seeds, unwritable paths."""

import dataclasses
import errno
import json
import os

import numpy as np
import pytest

import radam.keras
from keras import ops
from radam import cifar10
from radam.cifar10 import Results, provenance, runner
from radam.cifar10.__main__ import main

pytestmark = pytest.mark.slow  # each test trains the CNN for an epoch or two on a few random images


def tiny_data(n_train=64, n_test=32, seed=0):
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, (n_train, 32, 32, 3), dtype=np.uint8)
    x_test = rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8)
    return (x_train, rng.integers(0, 10, n_train)), (x_test, rng.integers(0, 10, n_test))


def train(out, arms, seeds=(0,), epochs=1, **kwargs):
    command = f"python -m radam.cifar10 --arms {' '.join(arms)} --epochs {epochs} --out DIR"
    return cifar10.run_experiment(
        arms, epochs, seeds, data=tiny_data(), batch_size=32, out_dir=out, progress=False, command=command, **kwargs
    )


def count_training(monkeypatch):
    """A list that records (arm, seed, epoch) for every epoch the runner trains from now on."""
    trained = []
    original = runner._Experiment.train_epoch

    def counted(self, model, arm, seed, epoch, bar):
        trained.append((arm.name, seed, epoch))
        return original(self, model, arm, seed, epoch, bar)

    monkeypatch.setattr(runner._Experiment, "train_epoch", counted)
    return trained


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    train(out, ["adam", "radam"])
    return out


def test_results_carry_provenance_of_the_invocation(trained):
    results = Results.load(trained)
    (entry,) = results.provenance
    assert entry["command"] == "python -m radam.cifar10 --arms adam radam --epochs 1 --out DIR"
    assert set(entry["versions"]) == {"radam", "tensorflow", "keras", "numpy", "python"}
    assert entry["commit"] is None or len(entry["commit"]) == 40
    assert entry["started"] <= entry["finished"] and entry["wall_time_s"] > 0
    assert entry["cpu"] and entry["cores"] >= 1


def test_command_line_hides_the_machine_path():
    argv = ["x", "--arms", "adam", "--out", "/home/me/runs", "--seeds", "0"]
    assert provenance.command_line(argv) == "python -m radam.cifar10 --arms adam --out DIR --seeds 0"


def test_fresh_results_are_not_stale(trained):
    results = Results.load(trained)
    assert provenance.stale_parts(results, data_digest=results.settings["data"]["digest"]) == []
    assert set(results.fingerprint["arms"]) == {"adam", "radam"}
    assert set(results.fingerprint["initial_weights"]) == {"0"}


def test_a_changed_default_learning_rate_makes_results_stale(trained, monkeypatch):
    results = Results.load(trained)
    changed = dataclasses.replace(cifar10.NAMED_ARMS["adam"], learning_rate=2e-3)
    monkeypatch.setitem(cifar10.NAMED_ARMS, "adam", changed)
    (problem,) = provenance.stale_parts(results)
    assert "arm 'adam' is defined differently now" in problem and "'learning_rate': 0.002" in problem


def test_a_changed_update_rule_makes_results_stale(trained, monkeypatch):
    results = Results.load(trained)
    original = radam.keras.RAdam._step_scalars

    def halved_rectification(self, iterations, dtype):
        bias_correction_1, bias_correction_2, rho_t, r_t = original(self, iterations, dtype)
        return bias_correction_1, bias_correction_2, rho_t, r_t / 2

    monkeypatch.setattr(radam.keras.RAdam, "_step_scalars", halved_rectification)
    (problem,) = provenance.stale_parts(results)
    assert problem.startswith("arm 'radam': its optimizer's update rule changed")


def test_other_data_and_other_batch_order_are_named(trained, monkeypatch):
    results = Results.load(trained)
    assert provenance.stale_parts(results, data_digest="0" * 16) == [
        f"the data differ (digest {results.fingerprint['data']} then, {'0' * 16} now)"
    ]
    monkeypatch.setattr(runner, "epoch_order", lambda seed, epoch, n: np.arange(n))
    assert provenance.stale_parts(results) == ["the batch order of seed 0 changed"]


def test_a_refactor_that_keeps_behaviour_keeps_the_fingerprint(trained, monkeypatch):
    """The fingerprint holds behaviour, not source: the shuffling and r_t rewritten so that they compute the
    same values leave the results fresh."""
    results = Results.load(trained)
    original = radam.keras.RAdam._step_scalars

    def rewritten(self, iterations, dtype):
        bias_correction_1, bias_correction_2, rho_t, r_t = original(self, iterations, dtype)
        return bias_correction_1, bias_correction_2, rho_t, ops.sqrt(ops.square(r_t))

    monkeypatch.setattr(radam.keras.RAdam, "_step_scalars", rewritten)
    monkeypatch.setattr(
        runner, "epoch_order", lambda seed, epoch, n: np.random.Generator(np.random.PCG64([seed, epoch])).permutation(n)
    )
    assert provenance.stale_parts(results) == []


def test_regenerate_commands_name_the_folder(trained):
    results = Results.load(trained)
    assert provenance.regenerate_commands(results, "book/results/x") == [
        "python -m radam.cifar10 --arms adam radam --epochs 1 --out book/results/x"
    ]


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


def test_a_folder_of_another_experiment_is_refused_by_name(tmp_path):
    train(tmp_path, ["adam"])
    with pytest.raises(ValueError, match="the results folder holds runs with batch_size 32, this call has 16"):
        cifar10.run_experiment(["radam"], 1, data=tiny_data(), batch_size=16, out_dir=tmp_path, progress=False)


def test_a_concurrent_runner_exits_with_status_2(tmp_path, capsys):
    held = runner._lock(str(tmp_path))
    try:
        with pytest.raises(runner.FolderInUse, match=f"results folder {tmp_path} is in use by another runner"):
            train(tmp_path, ["adam"])
        status = main(["--arms", "adam", "--epochs", "1", "--out", str(tmp_path), "--data-dir", str(tmp_path)])
        assert status == 2
        assert "is in use by another runner (pid" in capsys.readouterr().err
    finally:
        held.close()
    assert not (tmp_path / "results.json").exists()


def test_a_truncated_checkpoint_gives_a_one_line_error(tmp_path):
    train(tmp_path, ["adam"], epochs=1)
    checkpoint = tmp_path / "checkpoints" / "adam-seed0.npz"
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    with pytest.raises(ValueError, match=f"checkpoint {checkpoint} is damaged .*--restart .*or delete {checkpoint}"):
        train(tmp_path, ["adam"], epochs=2)
    train(tmp_path, ["adam"], epochs=2, restart=True)
    assert [r["epoch"] for r in Results.load(tmp_path).records] == [1, 2]


def test_leftovers_of_a_killed_save_are_removed(tmp_path):
    train(tmp_path, ["adam"])
    leftovers = [tmp_path / ".results.json.123.456.partial", tmp_path / "checkpoints" / ".adam-seed0.npz.1.2.tmp"]
    for path in leftovers:
        path.write_bytes(b"half")
    train(tmp_path, ["adam"], epochs=2)
    assert not any(path.exists() for path in leftovers)


def test_seeds_beyond_32_bits_are_refused_before_loading_data(tmp_path, capsys):
    missing = tmp_path / "no-data-here"
    with pytest.raises(ValueError, match=r"seeds must be .* in \[0, 2\*\*32\), got \[4294967296\]"):
        cifar10.run_experiment(["adam"], 1, [4294967296], data_dir=missing, progress=False)
    with pytest.raises(SystemExit) as exit_:
        main(["--seeds", "4294967296", "--data-dir", str(missing)])
    assert exit_.value.code == 2
    assert "argument --seeds: must be a whole number in [0, 4294967295], got '4294967296'" in capsys.readouterr().err


def test_a_full_disk_names_the_path(tmp_path, monkeypatch):
    def full(source, target):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match=f"could not write {tmp_path}.*: No space left on device"):
        train(tmp_path, ["adam"])
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".partial")]


def test_sweeps_and_scaled_schedules_from_the_command_line(tmp_path):
    from radam.cifar10.__main__ import arms_from_args, parse_args

    args = parse_args(["--arms", "adam", "radam-blog", "--learning-rates", "1e-4", "3e-3", "--scale-schedules"])
    arms = arms_from_args(args)
    assert [arm.name for arm in arms] == ["adam-lr0.0001", "adam-lr0.003", "radam-blog-lr0.0001", "radam-blog-lr0.003"]
    assert arms[3].learning_rate == 3e-3 and arms[3].total_steps == 5000
    assert arms[3].scaled(86).total_steps == round(5000 * 86 / 782) == 550
    assert cifar10.NAMED_ARMS["radam-blog"].scaled(782) == cifar10.NAMED_ARMS["radam-blog"]
    assert cifar10.NAMED_ARMS["adam-warmup"].scaled(86) == cifar10.NAMED_ARMS["adam-warmup"]


def test_the_sgd_arm_trains_with_momentum():
    optimizer = cifar10.NAMED_ARMS["sgd"].make_optimizer()
    assert type(optimizer).__name__ == "SGD" and optimizer.momentum == 0.9


def test_complete_runs_without_checkpoints_are_not_trained_again(tmp_path, monkeypatch):
    """Committed results hold no checkpoints: rerunning their command trains only the runs they lack."""
    first = train(tmp_path, ["adam"])
    for name in os.listdir(tmp_path / "checkpoints"):
        os.remove(tmp_path / "checkpoints" / name)
    trained = count_training(monkeypatch)
    again = train(tmp_path, ["adam", "radam"])
    assert trained == [("radam", 0, 1)]
    assert [r for r in again.records if r["arm"] == "adam"] == first.records


def test_restart_discards_only_this_calls_runs(tmp_path, monkeypatch):
    first = train(tmp_path, ["adam", "radam"])
    trained = count_training(monkeypatch)
    again = train(tmp_path, ["radam"], restart=True)
    assert trained == [("radam", 0, 1)]
    saved = Results.load(tmp_path)
    assert [r for r in saved.records if r["arm"] == "adam"] == [r for r in first.records if r["arm"] == "adam"]
    assert [r for r in saved.records if r["arm"] == "radam"] == [r for r in again.records if r["arm"] == "radam"]
