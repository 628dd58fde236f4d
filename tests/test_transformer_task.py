"""radam.transformer.task: the synthetic sequence tasks (NumPy only)."""

import subprocess
import sys

import numpy as np
import pytest

from radam.transformer import task


def test_sort_targets_are_the_order_statistics():
    data = task.make_task("sort", vocab=7, length=9, n_train=64, n_eval=32, data_seed=3)
    for x, y in ((data.train_x, data.train_y), (data.eval_x, data.eval_y)):
        assert np.all(np.diff(y, axis=1) >= 0)
        for row_x, row_y in zip(x, y):
            assert np.array_equal(np.bincount(row_x, minlength=7), np.bincount(row_y, minlength=7))


def test_reverse_targets_mirror_the_inputs():
    data = task.make_task("reverse", vocab=5, length=6, n_train=10, n_eval=4)
    assert np.array_equal(data.train_y[:, 0], data.train_x[:, 5])
    assert np.array_equal(data.train_y[:, ::-1], data.train_x)


def test_the_data_seed_fixes_the_sequences_and_the_run_seed_the_batches():
    a, b = task.make_task(data_seed=1), task.make_task(data_seed=1)
    assert np.array_equal(a.train_x, b.train_x) and np.array_equal(a.eval_x, b.eval_x)
    assert not np.array_equal(a.train_x, task.make_task(data_seed=2).train_x)
    assert a.train_x.dtype == np.int32 and a.train_x.shape == (2048, 12) and a.eval_y.shape == (512, 12)
    assert a.train_x.min() == 0 and a.train_x.max() == 15 and a.chance == 1 / 16
    first = a.batch_indices(0, 5, 8)
    assert first.shape == (5, 8) and first.min() >= 0 and first.max() < 2048
    assert np.array_equal(first, b.batch_indices(0, 5, 8)) and not np.array_equal(first, a.batch_indices(1, 5, 8))


def test_training_and_evaluation_sequences_are_disjoint_draws():
    data = task.make_task(n_train=256, n_eval=256)
    train = {row.tobytes() for row in data.train_x}
    assert sum(row.tobytes() in train for row in data.eval_x) == 0  # 16^12 sequences: a repeat is a bug


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "copy"}, "task must be one of ['sort', 'reverse'], got 'copy'"),
    ({"vocab": 1}, "vocab must be a whole number >= 2, got 1"),
    ({"length": 2.5}, "length must be a whole number >= 2, got 2.5"),
    ({"n_train": 0}, "n_train must be a whole number >= 1, got 0"),
    ({"n_eval": True}, "n_eval must be a whole number >= 1, got True"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError) as error:
        task.make_task(**kwargs)
    assert str(error.value) == message


def test_the_task_needs_no_tensorflow():
    code = ("import sys\nimport radam.transformer.task, radam.transformer.results\n"
            "assert not [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
