"""radam.cifar10.schema: a results folder is checked in full when read. Each hostile or careless folder below (the
probes of an adversarial round) stops with one ResultsError naming the file, the record and the field, and
reading stays bounded (no hang on a FIFO, no unbounded read of /dev/zero, no RecursionError)."""

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from results_files import record, results_json, write_results_json

from radam.cifar10 import Arm, Results, ResultsError, analysis, load_book_results, schema

BOOK_RESULTS = Path(__file__).resolve().parent.parent / "book" / "results"


def two_runs(**changes):
    """A valid results.json content: adam and radam, seeds 0 and 1, two epochs; ``changes`` edit it."""
    records = [record(arm, seed, epoch) for seed in (0, 1) for arm in ("adam", "radam") for epoch in (1, 2)]
    content = results_json(records, arms=("adam", "radam"), seeds=(0, 1), epochs=2)
    content["arms"][1] = Arm("radam", "radam").config()
    for key, value in changes.items():
        content[key] = value
    return content


def refused(tmp_path, content, match, text=None):
    folder = tmp_path / "hostile"
    folder.mkdir(exist_ok=True)
    (folder / "results.json").write_text(text if text is not None else json.dumps(content))
    with pytest.raises(ResultsError, match=match):
        Results.load(folder)


def test_a_valid_folder_loads(tmp_path):
    results = Results.load(write_results_json(tmp_path, two_runs()))
    assert results.arm_names == ["adam", "radam"] and len(results.records) == 8


def edit_record(index, **values):
    content = two_runs()
    content["records"][index] = {**content["records"][index], **values}
    return content


@pytest.mark.parametrize(
    "values, match",
    [
        ({"val_accuracy": 5.0}, r"records\[3\]: 'val_accuracy' must be a finite number in \[0, 1\], got 5.0"),
        ({"train_accuracy": -3.0}, r"records\[3\]: 'train_accuracy' must be a finite number in \[0, 1\], got -3.0"),
        ({"seed": True}, r"records\[3\]: 'seed' must be a whole number, got True"),
        ({"seed": "1"}, r"records\[3\]: 'seed' must be a whole number, got str \"1\""),
        ({"seed": 7}, r"records\[3\]: 'seed' 7 is not in settings.seeds \[0, 1\]"),
        ({"arm": "sgd"}, r"records\[3\]: 'arm' 'sgd' is not in the results' arms \(adam, radam\)"),
        ({"epoch": 3}, r"records\[3\]: 'epoch' must be in \[1, 2\], got 3"),
        ({"step": 11}, r"records\[3\]: 'step' must be epoch x settings.steps_per_epoch = 20, got 11"),
        ({"val_loss": None}, r"records\[3\]: 'val_loss' must be a number, got null"),
        ({"diverged": "no"}, r"records\[3\]: 'diverged' must be true or false, got str"),
        ({"extra": 1}, r"records\[3\]: the field 'extra' is not a field of a record"),
    ],
)
def test_a_wrong_record_is_named_with_its_field(tmp_path, values, match):
    refused(tmp_path, edit_record(3, **values), "hostile/results.json: " + match)


def test_a_missing_field_is_named(tmp_path):
    content = two_runs()
    del content["records"][2]["val_accuracy"]
    refused(tmp_path, content, r"records\[2\]: the field 'val_accuracy' is missing")
    without_runs = {k: v for k, v in two_runs().items() if k != "runs"}
    refused(tmp_path, without_runs, r"results.json: the field 'runs' is missing")


def test_duplicate_epochs_are_refused_not_resolved_by_the_last(tmp_path):
    content = two_runs()
    content["records"].append(dict(content["records"][0], val_accuracy=0.9))
    refused(tmp_path, content, r"records\[8\]: a second record of adam seed 0 epoch 1")


def test_settings_epochs_below_the_records_and_seeds_as_strings_are_refused(tmp_path):
    content = two_runs()
    content["settings"]["epochs"] = 1
    refused(tmp_path, content, r"records\[1\]: 'epoch' must be in \[1, 1\], got 2")
    content = two_runs()
    content["settings"]["seeds"] = ["0", "1"]
    refused(tmp_path, content, r"settings: 'seeds'\[0\] must be a whole number in \[0, 2\*\*32\), got \"0\"")


def test_arms_with_unknown_fields_or_bad_values_are_refused(tmp_path):
    content = two_runs()
    content["arms"][0]["colour"] = "red"
    refused(tmp_path, content, r"arms\[0\]: the field 'colour' is not a field of an arm")
    content = two_runs()
    content["arms"][1]["beta_2"] = 1.5
    refused(tmp_path, content, r"arms\[1\]: beta_2 must be")
    content = two_runs()
    content["arms"][1]["name"] = "adam"
    refused(tmp_path, content, r"arms\[1\]: the arm 'adam' is listed twice")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(tmp_path, constant):
    text = json.dumps(two_runs()).replace('"val_accuracy": 0.2', f'"val_accuracy": {constant}', 1)
    refused(tmp_path, None, rf"is not a whole JSON file \({constant} is not strict JSON", text=text)


def test_truncated_and_non_json_files_are_named(tmp_path):
    text = json.dumps(two_runs())
    refused(tmp_path, None, r"hostile/results.json is not a whole JSON file", text=text[: len(text) // 2])
    refused(tmp_path, None, r"hostile/results.json: the top level must be a JSON object, got list", text="[1, 2]")
    refused(tmp_path, None, r"schema_version 4 is not one this radam reads \(1 to 3\)",
            text=json.dumps({"schema_version": 4}))


def test_deep_nesting_is_refused_before_parsing(tmp_path):
    text = '{"settings": ' + "[" * 100_000 + "]" * 100_000 + "}"
    refused(tmp_path, None, rf"nests JSON more than {schema.MAX_DEPTH} deep", text=text)


def test_a_fifo_a_device_and_a_huge_file_are_not_read(tmp_path):
    os.mkfifo(tmp_path / "results.json")  # nobody writes it: a blocking read would hang
    with pytest.raises(ResultsError, match="results.json is not a regular file"):
        Results.load(tmp_path)
    link = tmp_path / "zero"
    link.mkdir()
    (link / "results.json").symlink_to("/dev/zero")
    with pytest.raises(ResultsError, match="results.json is not a regular file"):
        Results.load(link)
    huge = tmp_path / "huge"
    huge.mkdir()
    with open(huge / "results.json", "wb") as f:
        f.truncate(schema.MAX_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(ResultsError, match=f"more than the {schema.MAX_BYTES:,} a results file may"):
        Results.load(huge)
    with pytest.raises(FileNotFoundError):
        Results.load(tmp_path / "missing")


def test_book_results_are_only_read_by_name():
    for name in ("../x", "..", "/etc", "a/b", ""):
        with pytest.raises(ValueError, match="name must be the name of a folder of the book's results"):
            load_book_results(name, folder=str(BOOK_RESULTS))


def test_a_diverged_loss_is_written_as_null_with_a_flag(tmp_path):
    nan_record = dict(record("radam", 1, 2), train_loss=math.nan, val_loss=math.inf)
    marked = schema.mark_diverged(nan_record)
    assert marked["diverged"] and marked["train_loss"] is None and marked["val_loss"] is None
    assert schema.mark_diverged(record())["diverged"] is False
    content = two_runs()
    content["records"][-1] = marked
    results = Results.load(write_results_json(tmp_path, content))
    results.save(tmp_path)
    text = (tmp_path / "results.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in results.json"))  # strict JSON
    assert Results.load(tmp_path).records[-1] == marked
    assert np.isnan(results.curves("train_loss")["radam"][1][1, 1])
    assert "diverged" in (tmp_path / "results.csv").read_text().splitlines()[0]


def test_a_diverged_rate_is_never_the_best_and_its_run_counts_as_stopped():
    sweep = {"adam": {1e-3: {0: 0.5, 1: 0.6}, 1e39: {0: math.nan, 1: 0.1}}}
    assert analysis.best_learning_rates(sweep) == {"adam": (1e-3, 0.55)}
    losses = {"adam": {1e-3: {0: 1.0, 1: 1.1}, 1e39: {0: math.nan, 1: math.log(10)}}}
    assert analysis.stopped_seeds(losses) == {"adam": {1e-3: [], 1e39: [0, 1]}}


def test_an_arm_whose_rate_float32_cannot_hold_is_refused():
    with pytest.raises(ValueError, match=r"learning_rate must be at most 3.403e\+38 \(float32\), got 1e\+39"):
        Arm("adam").at_learning_rate(1e39)


def test_version_1_folders_migrate_without_changing_a_number():
    """The committed folders are version 1: read as version 3, each record gains diverged=False and test_ values
    equal to its val_ values (they validated on the test set), the settings validation_images 0 and augment
    false; nothing else changes."""
    path = BOOK_RESULTS / "reference" / "results.json"
    raw = json.loads(path.read_text())
    assert "schema_version" not in raw  # the committed files are not rewritten
    migrated = schema.migrate(raw)
    assert migrated["schema_version"] == schema.SCHEMA_VERSION == 3
    added = ("diverged", "test_loss", "test_accuracy")
    assert [{k: v for k, v in r.items() if k not in added} for r in migrated["records"]] == raw["records"]
    assert all(r["diverged"] is False for r in migrated["records"])
    assert all(r["test_loss"] == r["val_loss"] and r["test_accuracy"] == r["val_accuracy"] for r in migrated["records"])
    assert migrated["settings"] == {**raw["settings"], "validation_images": 0, "augment": False}
    assert {k: v for k, v in migrated.items() if k not in ("records", "schema_version", "settings")} == {
        k: v for k, v in raw.items() if k not in ("records", "settings")
    }
    assert Results.load(path).records == migrated["records"]


def test_version_2_records_keep_their_flags_and_gain_test_values():
    content = two_runs()
    content["schema_version"] = 2
    del content["settings"]["validation_images"], content["settings"]["augment"]
    for r in content["records"]:
        del r["test_loss"], r["test_accuracy"]
    content["records"][0]["diverged"] = True
    content["records"][0]["val_loss"] = None
    migrated = schema.check(schema.migrate(content))
    first = migrated["records"][0]
    assert first["diverged"] is True and first["test_loss"] is None and first["test_accuracy"] == first["val_accuracy"]
