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


def test_the_failure_line_is_halfway_from_chance_to_perfect():
    assert results.failure_line(16) == (0.0625, 0.53125)
    assert results.failure_line(5) == pytest.approx((0.2, 0.6))
    with pytest.raises(ValueError, match="vocab must be a whole number >= 2, got 1"):
        results.failure_line(1)


def grid_with(endpoints, tmp_path):
    """A grid record with Adam's ``endpoints`` {(depth, rate): endpoint}, written and read back."""
    cells = [{"depth": d, "learning_rate": lr, "arm": "Adam", "seed": 0, "endpoint": e, "failed": e < 0.53}
             for (d, lr), e in endpoints.items()]
    cells.append({"depth": 2, "learning_rate": 0.01, "arm": "Adam + warmup", "seed": 0, "endpoint": 0.01,
                  "failed": True})
    (tmp_path / "grid.json").write_text(json.dumps({"schema": 1, "cells": cells}))
    return results.load_grid(tmp_path)


def test_the_grids_rule_picks_the_shallowest_depth_then_the_smallest_failing_rate(tmp_path):
    grid = grid_with({(2, 0.01): 0.9, (4, 0.003): 0.9, (4, 0.01): 0.06, (4, 0.03): 0.05, (6, 0.001): 0.06}, tmp_path)
    assert results.chosen_setting(grid, 16) == (4, 0.01)  # a warmup arm's failure does not count
    assert results.grid_endpoints(grid)[(6, 0.001)] == 0.06
    assert results.chosen_setting(grid_with({(2, 0.01): 0.9}, tmp_path), 16) is None
    (tmp_path / "grid.json").write_text('{"schema": 1}')
    with pytest.raises(ValueError, match="is not a Transformer grid record of schema 1"):
        results.load_grid(tmp_path)


def test_the_book_folder_is_found_in_a_checkout_and_a_missing_one_is_named(tmp_path):
    (tmp_path / "results" / "transformer").mkdir(parents=True)
    (tmp_path / "results" / "transformer" / "results.json").write_text("{}")
    folder = tmp_path / "results"
    assert results.book_folder("transformer", "results.json", folder) == str(folder / "transformer")
    with pytest.raises(FileNotFoundError, match="the book's results 'transformer-grid' are not in .* "
                                                r"\(not computed yet\)"):
        results.book_folder("transformer-grid", "grid.json", folder)
