"""radam.warmup_results: the committed grid of chapter 5's warmup experiment round-trips through its file, the file
is checked on reading, the live slice equals the runs it retrains on this machine and judges them by the seeds'
spread elsewhere, the command line writes what a chapter reads, and the book's committed file is this code's."""

import dataclasses
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from radam import mlp
from radam import warmup_evidence as we
from radam import warmup_results as wr

BOOK_RESULTS = Path(__file__).resolve().parent.parent / "book" / "results" / "warmup-evidence"


@pytest.fixture(scope="module")
def small():
    """A small data set and its grid (two batch sizes, two seeds, 12 steps): seconds, not minutes."""
    data = mlp.synthetic_images(n_samples=200, pixels=16, seed=0)
    settings, results = wr.compute(data, batch_sizes=(16, None), seeds=(0, 1), steps=12)
    return data, wr.Committed(settings, results, wr.provenance("test", "t0", "t1", 1.0))


def test_compute_trains_every_arm_batch_size_and_seed(small):
    data, committed = small
    assert len(committed.results) == len(we.ARMS) * 2 * 2
    assert committed.settings["data"]["digest"] == wr.data_digest(data)
    again = we.run("RAdam", data, None, 1, steps=12)
    assert we.select(committed.results, arm="RAdam", batch_size=None, seed=1) == [again]


def test_save_and_load_round_trip_exactly(small, tmp_path):
    _, committed = small
    path = wr.save(tmp_path, committed.settings, committed.results, committed.provenance)
    assert Path(path).name == wr.FILE
    loaded = wr.load(tmp_path)
    assert loaded == committed  # every float as it was
    assert not list(tmp_path.glob("*.tmp"))


def tampered(folder, change):
    path = Path(folder) / wr.FILE
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))


@pytest.mark.parametrize("change, message", [
    (lambda p: p.update(schema_version=2), "schema_version must be 1"),
    (lambda p: p["records"].pop(), "one run per arm, batch size and seed"),
    (lambda p: p["records"][3].update(dead_at_10=1.5), r"records\[3\]: dead_at_10 and accuracy"),
    (lambda p: p["records"][0].update(accuracy="0.5"), r"records\[0\].accuracy must be a finite number"),
    (lambda p: p["records"][1].update(learning_rate=0.1), r"records\[1\].learning_rate"),
    (lambda p: p["records"][2].pop("first_update"), r"records\[2\] must have the fields"),
    (lambda p: p.pop("settings"), "missing 'settings'"),
])
def test_load_names_what_is_wrong(small, tmp_path, change, message):
    _, committed = small
    wr.save(tmp_path, committed.settings, committed.results, committed.provenance)
    tampered(tmp_path, change)
    with pytest.raises(ValueError, match=message) as error:
        wr.load(tmp_path)
    assert wr.FILE in str(error.value)


def test_load_refuses_nan(small, tmp_path):
    _, committed = small
    wr.save(tmp_path, committed.settings, committed.results, committed.provenance)
    path = tmp_path / wr.FILE
    path.write_text(re.sub(r'"first_update": [^,\n]+', '"first_update": NaN', path.read_text(), count=1))
    with pytest.raises(ValueError, match="NaN is not a number"):
        wr.load(tmp_path)


def test_live_check_on_the_same_machine_retrains_the_slice_exactly(small):
    data, committed = small
    check = wr.live_check(committed, data)
    assert check.same_machine and check.passed
    assert "identical" in check.summary()
    # the slice: seed 0, all 12 steps at the first batch size (every field), 10 steps at the other (two fields)
    first = [c for c in check.comparisons if c.batch_size == 16]
    other = [c for c in check.comparisons if c.batch_size is None]
    assert len(first) == 3 * len(we.ARMS) and len(other) == 2 * len(we.ARMS)
    ten = we.run("Adam, v known", data, None, 0, steps=10)
    live = {c.field: c.live for c in other if c.arm == "Adam, v known"}
    assert live == {"dead_at_10": ten.dead_at_10, "first_update": ten.first_update}
    assert all(c.live == c.same_seed for c in check.comparisons)


def test_live_check_catches_a_changed_value_on_the_same_machine(small):
    data, committed = small
    results = [dataclasses.replace(r, first_update=math.nextafter(r.first_update, 2.0))
               if (r.arm, r.batch_size, r.seed) == ("RAdam", 16, 0) else r for r in committed.results]
    check = wr.live_check(dataclasses.replace(committed, results=results), data, arms=["RAdam"])
    assert not check.passed
    assert "RAdam, batch 16, first_update" in check.summary()


def test_on_another_machine_the_seeds_spread_decides(small):
    data, committed = small
    elsewhere = dataclasses.replace(committed, provenance={**committed.provenance,
                                                           "machine": {**wr.machine(), "cpu": "another CPU"}})
    check = wr.live_check(elsewhere, data, arms=["Adam", "Adam + warmup"])
    assert not check.same_machine and check.passed and "another machine" in check.summary()
    # a real change: every committed seed of Adam's full-batch runs far from what this code trains
    moved = [dataclasses.replace(r, first_update=r.first_update + 1.0)
             if (r.arm, r.batch_size) == ("Adam", None) else r for r in committed.results]
    check = wr.live_check(dataclasses.replace(elsewhere, results=moved), data, arms=["Adam"])
    assert not check.passed
    assert [(c.arm, c.batch_size, c.field) for c in check.comparisons if not c.inside] == [
        ("Adam", None, "first_update")]


def test_live_check_refuses_other_data_and_unknown_arms(small):
    data, committed = small
    with pytest.raises(ValueError, match="data must be the data of the results"):
        wr.live_check(committed, mlp.synthetic_images(n_samples=200, pixels=16, seed=1))
    with pytest.raises(ValueError, match="arms must be among"):
        wr.live_check(committed, data, arms=["Nadam"])


def test_book_results_reads_the_folder_or_computes_the_grid(small, tmp_path, monkeypatch):
    data, committed = small
    wr.save(tmp_path, committed.settings, committed.results, committed.provenance)
    assert wr.book_results(data, tmp_path) == committed
    monkeypatch.setattr(wr, "compute", lambda d: (committed.settings, committed.results))
    computed = wr.book_results(data, tmp_path / "missing")
    assert computed.results == committed.results
    assert computed.provenance["command"] == "computed by book_results"


def test_the_command_line_writes_a_folder_the_chapter_reads(tmp_path, capsys):
    out = tmp_path / "evidence"
    assert wr.main(["--out", str(out), "--batch-sizes", "64", "full", "--seeds", "0", "1", "--steps", "10"]) == 0
    loaded = wr.load(out)
    assert loaded.settings["batch_sizes"] == [64, None] and loaded.settings["steps"] == 10
    provenance = loaded.provenance
    assert provenance["command"] == ("python -m radam.warmup_results --out DIR --batch-sizes 64 full "
                                     "--seeds 0 1 --steps 10")
    assert provenance["machine"] == wr.machine() and provenance["wall_time_s"] >= 0
    assert {"commit", "uncommitted_changes", "versions", "started", "finished"} <= set(provenance)
    assert "wrote 20 runs" in capsys.readouterr().out
    data = mlp.synthetic_images(seed=0)
    assert we.select(loaded.results, arm="Adam", batch_size=64, seed=1) == [we.run("Adam", data, 64, 1, steps=10)]


def test_command_line_records_the_results_folder_as_dir():
    assert wr.command_line("prog", ["--out", "/tmp/x", "--steps", "3"]) == "prog --out DIR --steps 3"
    assert wr.command_line("prog", ["--out=/tmp/x", "a b"]) == "prog --out=DIR 'a b'"


def test_made_here_needs_this_machines_cpu_numpy_and_blas():
    here = wr.machine()
    assert wr.made_here({"machine": here}) == (None not in here.values())
    assert not wr.made_here({"machine": {**here, "blas": "another BLAS"}})
    assert not wr.made_here({})


@pytest.mark.parametrize("argv", [["--steps", "5"], ["--seeds", "0"], ["--seeds", "1", "2"],
                                  ["--batch-sizes", "0"]])
def test_the_command_line_refuses_a_grid_the_slice_cannot_check(tmp_path, argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        wr.main(["--out", str(tmp_path), *argv])
    assert exit_.value.code == 2
    assert "--" in capsys.readouterr().err


@pytest.mark.source_tree
def test_the_books_committed_grid_is_this_codes():
    committed = wr.load(BOOK_RESULTS)
    data = mlp.synthetic_images(seed=0)
    assert committed.settings["batch_sizes"] == [64, 256, None]
    assert committed.settings["arms"] == list(we.ARMS) and committed.settings["seeds"] == [0, 1, 2]
    assert committed.settings["steps"] == 300 and committed.settings["data"]["digest"] == wr.data_digest(data)
    assert committed.provenance["commit"] and committed.provenance["uncommitted_changes"] is False
    assert committed.provenance["command"] == "python -m radam.warmup_results --out DIR"
    check = wr.live_check(committed, data, arms=["Adam"])  # chapter 5 checks every arm at every build
    assert check.passed, check.summary()
    # the finding chapter 5 states, in the committed runs: full batch and v known fail, the warmup does not
    full = we.select(committed.results, batch_size=None)
    assert min(r.dead_at_10 for r in we.select(full, arm="Adam")) > 0.8
    assert min(r.dead_at_10 for r in we.select(committed.results, arm="Adam, v known")) > 0.8
    assert max(r.dead_at_10 for r in we.select(committed.results, arm="Adam + warmup")) < 0.2
    assert np.isclose(np.mean([r.first_update for r in we.select(full, arm="Adam")]), 1.0, atol=0.05)
