"""CIFAR-10 data for tests: batch files in the python-version layout (tiny, with odd row counts), random arrays,
and a tiny training run into a folder."""

import os
import pickle

import numpy as np
import pytest

from radam.cifar10 import TEST_FILE, TRAIN_FILES


def to_rows(images):
    """The python-version layout, written from its description: 1024 red, 1024 green, 1024 blue, row-major."""
    n = len(images)
    return np.concatenate([images[..., c].reshape(n, 1024) for c in range(3)], axis=1)


def write_batch(path, images, labels, **extra):
    batch = {b"batch_label": b"test batch", b"labels": [int(y) for y in labels], b"data": to_rows(images)}
    batch[b"filenames"] = [f"img_{i}.png".encode() for i in range(len(images))]
    batch.update(extra)
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)


def make_cifar(folder, counts=(3, 1, 2, 5, 4), n_test=7, seed=0):
    """Tiny batch files with odd row counts; returns the arrays they hold."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    images = rng.integers(0, 256, (sum(counts) + n_test, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, len(images))
    start = 0
    for name, n in zip([*TRAIN_FILES, TEST_FILE], [*counts, n_test]):
        write_batch(os.path.join(folder, name), images[start : start + n], labels[start : start + n])
        start += n
    train = sum(counts)
    return (images[:train], labels[:train]), (images[train:], labels[train:])


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No RADAM_CIFAR10_DIR and an empty Keras home, so nothing outside tmp_path is found."""
    monkeypatch.delenv("RADAM_CIFAR10_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


TIME_FIELDS = ("train_time_s", "eval_time_s", "images_per_second")
"""The fields of a record that depend on the machine's speed."""


def random_images(n_train=48, n_test=24, seed=1):
    """((x_train, y_train), (x_test, y_test)): random uint8 images and labels, as load_cifar10 returns them."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n_train + n_test, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, n_train + n_test)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def without_times(records):
    return [{k: v for k, v in r.items() if k not in TIME_FIELDS} for r in records]


def train(out, arms, seeds=(0,), epochs=1, **kwargs):
    """run_experiment on 64 random images in batches of 32 into ``out``, with a recorded command line."""
    from radam import cifar10

    command = f"python -m radam.cifar10 --arms {' '.join(arms)} --epochs {epochs} --out DIR"
    return cifar10.run_experiment(
        arms, epochs, seeds, data=random_images(64, 32, 0), batch_size=32, out_dir=out, progress=False,
        command=command, **kwargs
    )
