"""radam.transformer.results: the results folder (strict JSON, round trip) and the paired verdicts."""

import json
import math

import numpy as np
import pytest

from radam.transformer import results


def content_with(endpoints):
    """A results content with one run per (arm, seed) of ``endpoints`` {arm: {seed: endpoint}}."""
    content = results.new({"steps": 10}, {"task": "abc"})
    for arm, by_seed in endpoints.items():
        for seed, value in by_seed.items():
            content["runs"].append({"arm": arm, "seed": seed, "endpoint": value, "failed": value < 0.5,
                                    "eval_loss": [math.nan, 1.0]})
    return content


def test_a_folder_round_trips_as_strict_json(tmp_path):
    content = content_with({"Adam": {0: 0.1, 1: 0.2}})
    results.save(tmp_path, content)
    text = (tmp_path / "results.json").read_text()
    assert "NaN" not in text and json.loads(text)["runs"][0]["eval_loss"] == [None, 1.0]
    loaded = results.load(tmp_path)
    assert loaded["settings"] == {"steps": 10} and results.done(loaded) == {("Adam", 0), ("Adam", 1)}
    assert results.load(tmp_path / "nothing") is None


def test_foreign_files_are_refused(tmp_path):
    (tmp_path / "results.json").write_text('{"schema": 99}')
    with pytest.raises(ValueError, match="is not a Transformer results file of schema 1"):
        results.load(tmp_path)
    (tmp_path / "results.json").write_text("{")
    with pytest.raises(ValueError, match="is not valid JSON"):
        results.load(tmp_path)


def test_failures_and_verdicts_are_paired_over_seeds():
    adam = {0: 0.10, 1: 0.12, 2: 0.30}
    warm = {0: 0.90, 1: 0.95, 2: 0.80}
    content = content_with({"Adam": adam, "Adam + warmup": warm, "RAdam": {0: 0.9}})
    two = content_with({"Adam": adam, "Adam + warmup": warm, "Adam, lr/10": {0: 0.5, 1: 0.6}})
    assert [(v.a, v.b) for v in results.verdicts(two)] == [
        ("Adam + warmup", "Adam"), ("Adam, lr/10", "Adam"), ("Adam, lr/10", "Adam + warmup")]
    assert results.failures(content, "Adam") == (3, 3) and results.failures(content, "Adam + warmup") == (0, 3)
    verdicts = {(v.a, v.b): v for v in results.verdicts(content)}
    assert set(verdicts) == {("Adam + warmup", "Adam")}  # each pair once; RAdam has one seed only
    difference = verdicts["Adam + warmup", "Adam"]
    assert difference.mean == pytest.approx(np.mean([0.80, 0.83, 0.50]))
    assert difference.sign == 1 and "is ahead of `Adam`" in difference.verdict()
