"""radam.cifar10.full_run: chapter 8's FULL_RUN refuses a CPU with an estimate, keeps its files on Drive,
and reports progress; and the chapter's cell uses it that way."""

import json
import os
import types
from pathlib import Path

import numpy as np
import pytest

from radam.cifar10 import NAMED_ARMS, full_run
from results_files import record as saved_record
from results_files import results_json, write_results_json

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "08_cifar10.ipynb"


def test_the_full_run_trains_named_arms():
    assert set(full_run.FULL_ARMS) <= set(NAMED_ARMS) and len(full_run.FULL_ARMS) == 6


def test_the_full_run_holds_out_validation_images_like_the_reference_run():
    assert full_run.VALIDATION_IMAGES == 5_000 and full_run.TRAIN_IMAGES == 50_000
    assert full_run.steps_per_epoch() == 704 == -(-45_000 // 64)
    assert len(full_run.FULL_SEEDS) == 5 == len(set(full_run.FULL_SEEDS))


def test_without_a_gpu_the_full_run_stops_with_an_estimate():
    hours = 6 * 5 * 30 * 45_000 / 400 / 3600  # 30 runs x 30 epochs x 45,000 trained images at 400 images/s
    with pytest.raises(RuntimeError, match=rf"would take about {hours:.0f} hours.*ALLOW_CPU = True"):
        full_run.check_device([], allow_cpu=False, images_per_second=400)


def test_a_gpu_or_the_override_lets_it_start():
    assert full_run.check_device(["GPU:0"], allow_cpu=False, images_per_second=400) is None
    assert full_run.check_device([], allow_cpu=True, images_per_second=400) is None


@pytest.mark.parametrize("rate", [0, -3.0, float("nan")])
def test_a_rate_that_cannot_give_an_estimate_is_named(rate):
    with pytest.raises(ValueError, match=f"images_per_second must be positive, got {rate!r}"):
        full_run.check_device([], allow_cpu=False, images_per_second=rate)


def test_on_drive_both_the_runs_and_the_cifar10_archive_stay():
    out_dir, keras_home = full_run.folders(True, drive_root="/drive/radam-book")
    assert (out_dir, keras_home) == ("/drive/radam-book/cifar10-full", "/drive/radam-book/keras")
    assert full_run.folders(False, home="/home/me") == ("/home/me/radam-book/cifar10-full", None)


def record(epoch, seconds=10.0):
    return {"arm": "adam", "seed": 0, "epoch": epoch, "train_time_s": seconds - 2, "eval_time_s": 2.0}


def test_progress_counts_saved_epochs_and_estimates_the_rest(tmp_path):
    write_results_json(tmp_path, results_json([saved_record(epoch=e) for e in range(1, 6)], epochs=5))
    lines = []
    progress = full_run.Progress(20, tmp_path, write=lines.append)
    progress(record(6, seconds=36.0))
    progress(record(7, seconds=36.0 * 3))
    assert lines[0].startswith("adam seed 0 epoch 6: 6/20 epochs of the experiment done (30%), about 0.1 hours left")
    assert "the first epoch here took 36 s" in lines[0]
    # 13 epochs left at the mean of 36 s and 108 s
    assert lines[1] == "adam seed 0 epoch 7: 7/20 epochs of the experiment done (35%), about 0.3 hours left"
    assert full_run.epochs_in_all() == 6 * 5 * 30


def test_progress_refuses_an_empty_experiment_and_never_shows_more_than_all(tmp_path):
    with pytest.raises(ValueError, match="total_epochs must be a whole number >= 1, got 0"):
        full_run.Progress(0)
    write_results_json(tmp_path, results_json([saved_record(epoch=e) for e in range(1, 6)], epochs=5))
    lines = []
    full_run.Progress(4, tmp_path, write=lines.append)(record(6))
    assert lines[0].startswith("adam seed 0 epoch 6: 6 epochs in the folder, more than the 4 of the experiment (")


def test_allow_cpu_must_be_a_bool_not_a_string():
    with pytest.raises(ValueError, match="allow_cpu must be True or False, got 'False'"):
        full_run.check_device([], "False", images_per_second=400)


def full_run_cell():
    cells = json.loads(CHAPTER.read_text())["cells"]
    (source,) = ["".join(c["source"]) for c in cells if c["cell_type"] == "code" and "if FULL_RUN:" in c["source"][0]]
    return source


def run_cell(allow_cpu, calls):
    namespace = {
        "FULL_RUN": True,
        "ALLOW_CPU": allow_cpu,
        "SAVE_TO_DRIVE": False,
        "DATA_DIR": None,
        "np": np,
        "os": os,
        "tf": types.SimpleNamespace(config=types.SimpleNamespace(list_physical_devices=lambda kind: [])),
        "reference": types.SimpleNamespace(records=[{"images_per_second": 300}, {"images_per_second": 500}]),
        "cifar10": types.SimpleNamespace(run_experiment=lambda *args, **kwargs: calls.append((args, kwargs))),
    }
    exec(full_run_cell(), namespace)


def test_chapter_8_full_run_without_a_gpu_stops_unless_allowed():
    calls = []
    with pytest.raises(RuntimeError, match="FULL_RUN found no GPU.*about 28 hours"):  # at the median, 400 images/s
        run_cell(allow_cpu=False, calls=calls)
    assert calls == []
    run_cell(allow_cpu=True, calls=calls)
    ((args, kwargs),) = calls
    assert args == (list(full_run.FULL_ARMS), 30, [0, 1, 2, 3, 4]) and kwargs["mixed_precision"] is False
    assert kwargs["validation_images"] == 5_000 and kwargs["augment"] is True
    assert isinstance(kwargs["on_epoch_end"], full_run.Progress)
