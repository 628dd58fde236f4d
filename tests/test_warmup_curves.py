"""radam.warmup_curves: the dashboard's runs are chapter 5's Adam with a linear warmup, round-trip through their
file exactly, are checked on reading, the live slice equals them on this machine and is judged by the seeds'
spread elsewhere, the command line writes what the chapter reads, and the book's committed file is this code's."""

import dataclasses
import json
import math
import re
from pathlib import Path

import pytest

from radam import mlp, schedules
from radam import warmup_curves as wc
from radam import warmup_results as wr
from radam.numpy import Adam

BOOK_RESULTS = Path(__file__).resolve().parent.parent / "book" / "results" / "warmup-evidence"


@pytest.fixture(scope="module")
def small():
    """A small data set and a small grid (the slice's runs and one more rate, two seeds, 30 steps)."""
    data = mlp.synthetic_images(n_samples=200, pixels=16, seed=0)
    settings, runs = wc.compute(data, learning_rates=(0.03, 0.1), warmups=(0, 200), seeds=(0, 1), steps=30)
    return data, wr.Committed(settings, runs, wr.provenance("test", "t0", "t1", 1.0, wc.NUMBER_SOURCES))


def test_a_run_is_adam_with_a_linear_warmup_recorded_every_20_steps(small):
    data, committed = small
    assert len(committed.results) == 2 * 2 * 2
    run = [r for r in committed.results if (r.learning_rate, r.warmup_steps, r.seed) == (0.03, 200, 1)][0]
    reference = mlp.train(Adam(schedules.linear_warmup(0.03, 200), beta_2=0.99), data, seed=1, steps=30,
                          batch_size=64, record_at=[0, 20, 30])
    assert run.steps == (0, 20, 30)
    assert run.dead == tuple(reference.dead) and run.accuracy == tuple(reference.accuracy)
    assert wc.recorded_steps(300) == list(range(0, 301, 20)) and wc.recorded_steps(5) == [0, 5]


def test_save_and_load_round_trip_exactly(small, tmp_path):
    _, committed = small
    path = wc.save(tmp_path, committed.settings, committed.results, committed.provenance)
    assert Path(path).name == wc.FILE
    assert wc.load(tmp_path) == committed  # every float as it was
    assert not list(tmp_path.glob("*.tmp"))


def tampered(folder, change):
    path = Path(folder) / wc.FILE
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))


@pytest.mark.parametrize("change, message", [
    (lambda p: p.update(schema_version=2), "schema_version must be 1"),
    (lambda p: p["records"].pop(), "one run per learning rate, warmup and seed"),
    (lambda p: p["records"][3]["dead"].__setitem__(1, 1.5), r"records\[3\]\.dead must be a list of 3 numbers"),
    (lambda p: p["records"][0].update(accuracy=[0.5, 0.5]), r"records\[0\]\.accuracy must be a list of 3"),
    (lambda p: p["records"][1].update(steps=[0, 10, 30]), r"records\[1\]\.steps must be \[0, 20, 30\]"),
    (lambda p: p["records"][2].pop("seed"), r"records\[2\] must have the fields of Curves"),
    (lambda p: p["settings"].update(every=10), "settings must have every 20"),
    (lambda p: p.pop("provenance"), "missing 'provenance'"),
])
def test_load_names_what_is_wrong(small, tmp_path, change, message):
    _, committed = small
    wc.save(tmp_path, committed.settings, committed.results, committed.provenance)
    tampered(tmp_path, change)
    with pytest.raises(ValueError, match=message) as error:
        wc.load(tmp_path)
    assert wc.FILE in str(error.value)


def test_load_refuses_nan(small, tmp_path):
    _, committed = small
    wc.save(tmp_path, committed.settings, committed.results, committed.provenance)
    path = tmp_path / wc.FILE
    path.write_text(re.sub(r'("dead": \[\n\s*)[^,\n]+', r"\1NaN", path.read_text(), count=1))
    with pytest.raises(ValueError, match="NaN is not a number"):
        wc.load(tmp_path)


def test_live_check_on_the_same_machine_retrains_the_slice_exactly(small):
    data, committed = small
    check = wc.live_check(committed, data)
    assert check.same_machine and check.passed and "12 of 12 values identical" in check.summary()
    assert len(check.comparisons) == len(wc.SLICE) * 2 * 3  # two runs, two curves, three points each
    assert all(c.live == c.same_seed for c in check.comparisons)
    warm = {c.field: c.live for c in check.comparisons if c.arm == "lr = 0.03, warmup 200"}
    assert warm["dead at step 30"] == wc.run(data, 0.03, 200, 0, steps=30).dead[-1]


def test_live_check_catches_a_changed_point_on_the_same_machine(small):
    data, committed = small

    def nudged(run):
        if (run.learning_rate, run.warmup_steps, run.seed) != (0.03, 0, 0):
            return run
        return dataclasses.replace(run, accuracy=(*run.accuracy[:2], math.nextafter(run.accuracy[2], 0.0)))

    check = wc.live_check(dataclasses.replace(committed, results=[nudged(r) for r in committed.results]), data)
    assert not check.passed
    assert "lr = 0.03, warmup 0, batch 64, accuracy at step 30" in check.summary()


def test_on_another_machine_the_seeds_spread_decides(small):
    data, committed = small
    elsewhere = dataclasses.replace(committed, provenance={**committed.provenance,
                                                           "machine": {**wr.machine(), "cpu": "another CPU"}})
    check = wc.live_check(elsewhere, data)
    assert not check.same_machine and check.passed and "another machine" in check.summary()
    # there only the points the chapter reads: the dead fraction at step 20 and both curves' last point
    assert [c.field for c in check.comparisons] == ["dead at step 20", "dead at step 30", "accuracy at step 30"] * 2
    # a real change: both committed seeds' accuracy at step 30 without warmup far from what this code trains
    moved = [dataclasses.replace(r, accuracy=(*r.accuracy[:2], 1.0 - r.accuracy[2] / 10))
             if (r.learning_rate, r.warmup_steps) == (0.03, 0) else r for r in committed.results]
    check = wc.live_check(dataclasses.replace(elsewhere, results=moved), data)
    assert [c.field for c in check.comparisons if not c.inside] == ["accuracy at step 30"]
    assert not check.passed


def test_live_check_refuses_other_data_and_runs_not_in_the_results(small):
    data, committed = small
    with pytest.raises(ValueError, match="data must be the data of the results"):
        wc.live_check(committed, mlp.synthetic_images(n_samples=200, pixels=16, seed=1))
    with pytest.raises(ValueError, match=r"runs must be \(learning rate, warmup steps\) of the results"):
        wc.live_check(committed, data, runs=[(0.01, 0)])


def test_book_curves_reads_the_folder_or_trains_the_grid(small, tmp_path, monkeypatch, capsys):
    data, committed = small
    wc.save(tmp_path, committed.settings, committed.results, committed.provenance)
    assert wc.book_curves(data, tmp_path) == committed
    monkeypatch.setattr(wc, "compute", lambda d: (committed.settings, committed.results))
    computed = wc.book_curves(data, tmp_path / "missing")
    assert computed.results == committed.results
    assert computed.provenance["command"] == "computed by book_curves"
    assert "training the dashboard's runs now" in capsys.readouterr().out


def test_the_command_line_writes_a_folder_the_chapter_reads(tmp_path, capsys):
    out = tmp_path / "evidence"
    assert wc.main(["--out", str(out), "--seeds", "0", "1", "--steps", "20"]) == 0
    loaded = wc.load(out)
    assert loaded.settings["steps"] == 20 and loaded.settings["seeds"] == [0, 1]
    assert loaded.settings["learning_rates"] == list(wc.LEARNING_RATES)
    assert loaded.provenance["command"] == "python -m radam.warmup_curves --out DIR --seeds 0 1 --steps 20"
    assert loaded.provenance["machine"] == wr.machine() and loaded.provenance["wall_time_s"] >= 0
    assert f"wrote {len(wc.LEARNING_RATES) * len(wc.WARMUPS) * 2} runs" in capsys.readouterr().out
    data = mlp.synthetic_images(seed=0)
    again = wc.run(data, 0.1, 50, 1, steps=20)
    assert [r for r in loaded.results if (r.learning_rate, r.warmup_steps, r.seed) == (0.1, 50, 1)] == [again]


@pytest.mark.parametrize("argv", [["--steps", "0"], ["--seeds", "0"], ["--seeds", "1", "2"]])
def test_the_command_line_refuses_a_grid_the_slice_cannot_check(tmp_path, argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        wc.main(["--out", str(tmp_path), *argv])
    assert exit_.value.code == 2
    assert "--seeds must hold 0" in capsys.readouterr().err


@pytest.mark.source_tree
def test_the_books_committed_curves_are_this_codes():
    committed = wc.load(BOOK_RESULTS)
    data = mlp.synthetic_images(seed=0)
    settings = committed.settings
    assert (settings["learning_rates"], settings["warmups"]) == (list(wc.LEARNING_RATES), list(wc.WARMUPS))
    assert settings["seeds"] == list(wc.SEEDS) and settings["steps"] == wc.STEPS
    assert settings["data"]["digest"] == wr.data_digest(data) and settings["beta_2"] == 0.99
    assert committed.provenance["commit"] and committed.provenance["uncommitted_changes"] is False
    assert committed.provenance["command"] == "python -m radam.warmup_curves --out DIR"
    check = wc.live_check(committed, data)  # what chapter 5 checks at every build
    assert check.passed, check.summary()
    # what chapter 5's dashboard shows at lr = 0.03: without warmup most units die by step 20 and no seed learns
    # (2/3 accuracy at step 300), with a 50-step warmup every seed learns, with 200 steps few units die early
    runs = {(r.warmup_steps, r.seed): r for r in committed.results if r.learning_rate == 0.03}
    assert max(runs[(0, seed)].accuracy[-1] for seed in wc.SEEDS) < 2 / 3
    assert min(runs[(50, seed)].accuracy[-1] for seed in wc.SEEDS) > 2 / 3
    assert min(runs[(0, seed)].dead[1] for seed in wc.SEEDS) > 0.9 > 0.3 > max(runs[(200, seed)].dead[1]
                                                                               for seed in wc.SEEDS)
