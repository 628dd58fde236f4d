"""Chapter 5's committed Transformer results (book/results/transformer) still come from this code, the grid the
setting was chosen from picks that setting, and the live slice the page trains is judged as it should be."""

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("keras", reason="the fingerprint and the slice build the model and the optimizers with Keras")

from radam.transformer import experiment, fingerprint, live, results  # noqa: E402

pytestmark = pytest.mark.source_tree
RESULTS = Path(__file__).resolve().parent.parent / "book" / "results"
FOLDER = RESULTS / results.BOOK_FOLDER


@pytest.fixture(scope="module")
def content():
    loaded = results.load(FOLDER)
    if loaded is None:
        pytest.fail(f"{FOLDER} holds no results.json: run python -m radam.transformer --out book/results/transformer")
    return loaded


def test_the_committed_results_are_fresh(content):
    assert content["provenance"] and all(entry["commit"] for entry in content["provenance"])
    problems = fingerprint.stale_parts(content)
    commands = sorted({entry["command"].replace("DIR", "book/results/transformer") for entry in content["provenance"]})
    assert not problems, (f"book/results/transformer is stale: {'; '.join(problems)}.\nRegenerate it with:\n  "
                          + "\n  ".join(commands))


def test_the_committed_settings_are_the_commands_defaults_and_the_grids_choice(content):
    assert content["settings"] == dataclasses.asdict(experiment.Settings())
    grid = results.load_grid(RESULTS / results.BOOK_GRID_FOLDER)
    assert results.chosen_setting(grid, content["settings"]["vocab"]) == (
        content["settings"]["depth"], content["settings"]["learning_rate"])
    assert grid["settings"] == {k: v for k, v in content["settings"].items() if k not in ("depth", "learning_rate")}


def test_the_check_can_fail(content, monkeypatch):
    """With the task drawn from another seed, the committed results are stale."""
    original = experiment.task.make_task
    monkeypatch.setattr(experiment.task, "make_task", lambda *args: original(*args[:-1], args[-1] + 1))
    assert any(problem.startswith("the task's sequences changed") for problem in fingerprint.stale_parts(content))


@pytest.mark.slow
def test_the_live_slice_passes_unchanged_and_catches_a_changed_rate(content):
    assert live.unsliceable(content) is None
    unchanged = live.check(content, live.train_slice(content))
    assert unchanged.passed, unchanged.sentence()
    rate = content["settings"]["learning_rate"]
    for factor in (2.0, 0.5):
        changed = live.check(content, live.train_slice(content, (("learning_rate", rate * factor),)))
        assert changed.verdict.case == "outside" and not changed.passed, (factor, changed.sentence())
