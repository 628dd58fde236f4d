"""radam.cifar10.live_check: the rule that judges chapter 8's live slice, the subset's rows, the local data.

Both rules (the seeds' band of the other chapters, chapter 8's own-seed margin) are checked on hand-made records
(each case, and the boundaries of the margin), on the committed long run (its own seed 0 is bit-identical to
itself), and on the committed calibration: no slice whose floats were perturbed is flagged, and the real
changes the page says it catches are caught.
"""

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest

from radam.cifar10 import live_check
from radam.cifar10.live_slice import SLICE_ARMS

ROOT = Path(__file__).resolve().parents[1]
BOOK_RESULTS = ROOT / "book" / "results"
METRICS = live_check.SLICE_METRICS


class Folder:
    """The two attributes of a Results that the rule reads."""

    def __init__(self, records, cpu="Committed CPU"):
        self.records = records
        self.provenance = [{"cpu": cpu}]


def record(arm, seed, epoch=1, base=0.0):
    return {"arm": arm, "seed": seed, "epoch": epoch, **{m: base + i / 10 for i, m in enumerate(METRICS)}}


def committed():
    # seed s of each arm: every metric shifted by 0.01 s, so each band is [x, x + 0.02] widened by 3 x 0.01
    return Folder([record(arm, seed, base=0.01 * seed) for arm in ("adam", "radam") for seed in (0, 1, 2)])


def test_band_is_the_range_widened_by_sample_standard_deviations():
    values = [1.0, 2.0, 4.0]
    sd = math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2)
    low, high = live_check.band(values, widen=2.0)
    assert low == pytest.approx(1.0 - 2 * sd) and high == pytest.approx(4.0 + 2 * sd)
    assert live_check.band(values, widen=0.0) == (1.0, 4.0)


@pytest.mark.parametrize(
    "values, widen, message",
    [
        ([1.0], 3.0, "values must hold at least two seeds to give a spread, got 1"),
        ([1.0, float("nan")], 3.0, "values must be finite, got [1.0, nan]"),
        ([1.0, 2.0], -1.0, "widen must be a finite number >= 0, got -1.0"),
        ([1.0, 2.0], float("inf"), "widen must be a finite number >= 0, got inf"),
    ],
)
def test_band_refuses_what_gives_no_spread(values, widen, message):
    with pytest.raises(ValueError) as error:
        live_check.band(values, widen)
    assert str(error.value) == message


def test_a_slice_equal_to_its_seed_is_identical():
    reference = committed()
    live = [dict(r) for r in reference.records if r["seed"] == 0]
    verdict = live_check.judge(reference, live, "Live CPU")
    assert verdict.case == "identical" and len(verdict.checks) == 2 * len(METRICS)
    assert verdict.sentence().startswith("The slice is bit-identical to the committed records")
    assert "this machine: Live CPU; committed results: Committed CPU" in verdict.sentence()
    assert all(row[-1] == "identical" for row in verdict.rows())


def test_a_slice_within_the_band_but_not_equal_is_within():
    reference = committed()
    live = [dict(r) for r in reference.records if r["seed"] == 0]
    live[0]["val_loss"] += 0.02 + 3 * 0.01 - 1e-9  # just inside the top of the band
    live[1]["train_loss"] -= 3 * 0.01 - 1e-9  # just inside the bottom
    verdict = live_check.judge(reference, live, "Live CPU")
    assert verdict.case == "within" and verdict.outside == []
    sentence = verdict.sentence()
    assert "not bit-identical" in sentence and "within the committed seeds' spread" in sentence
    assert "widened by 3 standard deviations" in sentence
    assert "adam's val_loss" in sentence  # the value closest to an edge is named


@pytest.mark.parametrize("metric, shift", [("val_loss", 0.05 + 1e-6), ("train_accuracy", -(0.03 + 1e-6))])
def test_a_slice_beyond_the_band_is_outside_and_names_the_value(metric, shift):
    reference = committed()
    live = [dict(r) for r in reference.records if r["seed"] == 0]
    live[1][metric] += shift  # radam, seed 0: the band is [x - 0.03, x + 0.05]
    verdict = live_check.judge(reference, live, "Live CPU")
    assert verdict.case == "outside"
    (check,) = verdict.outside
    assert (check.arm, check.metric) == ("radam", metric)
    assert check.committed == pytest.approx(tuple(live[1][metric] - shift + 0.01 * s for s in range(3)))
    assert f"radam {metric} {check.live:.4f} outside [{check.low:.4f}, {check.high:.4f}]" in verdict.sentence()
    assert "regenerate them" in verdict.sentence()


def test_every_seed_of_the_arm_sets_the_band_not_only_the_slices_seed():
    reference = committed()
    reference.records.append(record("radam", 7, base=0.5))  # a far seed widens radam's band
    live = [dict(r) for r in reference.records if r["seed"] == 0]
    live[1]["val_loss"] += 0.3
    assert live_check.judge(reference, live, "Live CPU").case == "within"


def test_a_record_without_a_committed_counterpart_is_an_error():
    reference = committed()
    with pytest.raises(ValueError, match="no record of arm 'radam', seed 5, epoch 1"):
        live_check.judge(reference, [record("radam", 5)], "Live CPU")
    with pytest.raises(ValueError, match="records must hold at least one live record"):
        live_check.judge(reference, [], "Live CPU")


@pytest.mark.parametrize("tolerance", [-0.1, float("nan"), float("inf"), "0.003"])
def test_chapter_8s_rule_refuses_a_tolerance_that_is_no_margin(tolerance):
    reference = committed()
    live = [dict(r) for r in reference.records if r["seed"] == 0]
    with pytest.raises(ValueError) as error:
        live_check.judge_own_seed(reference, live, "Live CPU", tolerance=tolerance)
    assert str(error.value) == f"tolerance must be a finite number >= 0, got {tolerance!r}"


def test_chapter_8s_rule_allows_rounding_but_not_another_seeds_value():
    """The own-seed margin: TOLERANCE either way of seed 0's loss. A loss moved a little less passes, a little
    more fails, and seed 1's value (0.01 away), inside the seeds' band, fails."""
    reference = committed()
    live = [dict(r) for r in reference.records if r["seed"] == 0]
    verdict = live_check.judge_own_seed(reference, live, "Live CPU")
    assert verdict.case == "identical" and [c.metric for c in verdict.checks] == ["train_loss", "val_loss"] * 2
    live[1]["val_loss"] += live_check.TOLERANCE - 1e-9
    live[0]["train_accuracy"] += 0.5  # accuracies are not judged: they move in steps of one image
    verdict = live_check.judge_own_seed(reference, live, "Live CPU")
    assert verdict.case == "within" and verdict.reach == pytest.approx(1.0, abs=1e-5)
    assert f"every value lies within {live_check.TOLERANCE:g} of its seed's committed value" in verdict.sentence()
    live[1]["val_loss"] += 2e-9
    verdict = live_check.judge_own_seed(reference, live, "Live CPU")
    assert verdict.case == "outside" and [(c.arm, c.metric) for c in verdict.outside] == [("radam", "val_loss")]
    assert verdict.sentence().startswith(f"The slice lies outside {live_check.TOLERANCE:g} of its seed's committed")
    another_seed = [dict(r) for r in reference.records if r["seed"] == 1]
    for r in another_seed:
        r["seed"] = 0
    assert live_check.judge_own_seed(reference, another_seed, "Live CPU").case == "outside"
    assert live_check.judge(reference, another_seed, "Live CPU").case == "within"


@pytest.mark.source_tree  # reads book/results, which the wheel does not ship
def test_the_committed_long_run_is_identical_to_itself():
    from radam.cifar10.results import Results

    reference = Results.load(str(BOOK_RESULTS / "long-run"))
    live = [r for r in reference.records if r["seed"] == 0 and r["epoch"] == 1 and r["arm"] in ("adam", "radam")]
    verdict = live_check.judge_own_seed(reference, live, "this CPU")
    assert verdict.case == "identical"


@pytest.mark.source_tree  # reads book/results, which the wheel does not ship
def test_the_committed_calibration_has_no_false_alarm_and_catches_changes():
    """What chapter 8 states of its rule, judged from the committed slices with the rule as it is now."""
    from radam.cifar10.results import Results

    measured = live_check.load_calibration(str(BOOK_RESULTS))
    reference = Results.load(str(BOOK_RESULTS / measured["reference"]))
    judged = live_check.calibration(reference, measured, SLICE_ARMS)
    cases = {kind: [v.case for _, k, _, v in judged if k == kind] for kind in ("control", "perturbed", "changed")}
    assert len(cases["perturbed"]) >= 10 and "outside" not in cases["perturbed"]
    assert "identical" not in cases["perturbed"], "a perturbation that leaves the floats as they were tests nothing"
    assert cases["changed"] and set(cases["changed"]) == {"outside"}
    assert cases["control"] and "outside" not in cases["control"]
    # reach: every perturbed slice inside its margins, every change beyond an edge
    assert max(v.reach for _, k, _, v in judged if k == "perturbed") < 1 < min(v.reach for _, k, _, v in judged
                                                                                if k == "changed")
    # the band of the other chapters' slices, on the same slices, lets changes through that this rule catches
    by_band = [live_check.judge(reference, [r for r in s["records"] if r["arm"] in SLICE_ARMS],
                                measured["machine"]).case for s in measured["slices"] if s["kind"] == "changed"]
    assert by_band.count("outside") < len(by_band)
    # a much wider margin would hide changes the rule catches now
    wider = live_check.calibration(reference, measured, SLICE_ARMS, tolerance=0.1)
    assert [v.case for _, k, _, v in wider if k == "changed"].count("outside") < len(cases["changed"])


def test_reach_is_the_distance_from_the_middle_in_half_widths():
    reference = committed()  # radam seed 0's val_loss band: [x - 0.03, x + 0.05], middle x + 0.01, half 0.04
    live = [dict(r) for r in reference.records if r["seed"] == 0]
    live[1]["val_loss"] += 0.01 + 0.08
    verdict = live_check.judge(reference, live, "Live CPU")
    assert verdict.reach == pytest.approx(2.0) and verdict.case == "outside"
    live[1]["val_loss"] -= 0.06  # x + 0.03: half-way to the top edge; every other value is at 0.25
    assert live_check.judge(reference, live, "Live CPU").reach == pytest.approx(0.5)


def test_the_subset_rows_come_from_each_full_batch():
    rows = [np.arange(10_000) + 10_000 * k for k in range(5)]
    x_train = np.stack([np.full((32, 32, 3), i % 251, dtype=np.uint8) for i in range(50_000)])
    y_train = np.concatenate(rows)
    x_test = np.zeros((10_000, 32, 32, 3), dtype=np.uint8)
    y_test = np.arange(10_000)
    (x, y), (xt, yt) = live_check.select_subset(((x_train, y_train), (x_test, y_test)))
    expected = []
    for k, n in enumerate(live_check.SUBSET_ROWS):
        expected.extend(range(10_000 * k, 10_000 * k + n))
    assert y.tolist() == expected and len(x) == sum(live_check.SUBSET_ROWS) == 5482
    assert np.array_equal(x, x_train[expected])
    assert yt.tolist() == list(range(live_check.SUBSET_TEST_ROWS))
    small = ((x_train[:100], y_train[:100]), (x_test[:10], y_test[:10]))
    assert live_check.select_subset(small) is small  # not the full data set: unchanged


def test_the_subset_rows_are_the_shared_subsets_counts(tmp_path):
    """SUBSET_ROWS against the subset's own files, where they are here (RADAM_CIFAR10_DIR): each batch's rows."""
    import os

    folder = os.environ.get("RADAM_CIFAR10_DIR")
    if not folder or not Path(folder, "data_batch_1").is_file():
        pytest.skip("needs the shared CIFAR-10 subset (RADAM_CIFAR10_DIR) to count its rows")
    counts = []
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        with open(Path(folder, name), "rb") as f:
            counts.append(len(pickle.load(f, encoding="bytes")[b"labels"]))
    assert tuple(counts[:5]) == live_check.SUBSET_ROWS and counts[5] == live_check.SUBSET_TEST_ROWS


@pytest.mark.source_tree  # reads book/results, which the wheel does not ship
def test_the_calibration_file_is_strict_json_with_provenance():
    text = (BOOK_RESULTS / "live-check" / "live-check.json").read_text()
    measured = json.loads(text, parse_constant=lambda name: pytest.fail(f"non-standard JSON constant {name}"))
    assert measured["provenance"]["command"].startswith("python -m radam.cifar10.live_slice --calibrate")
    assert measured["machine"] and measured["provenance"]["commit"]
    assert {s["variant"] for s in measured["slices"]} >= {"unchanged", "one-thread", "onednn-off", "rate-x2"}
