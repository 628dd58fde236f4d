"""CIFAR-10 batch files written for tests: the python-version layout, tiny and with odd row counts."""

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
