"""The CIFAR-10 runner's resume path and epoch records, in the fast tier: the blog's CNN on 64 random images in
two batches of 32, two epochs (about 15 s on two busy cores; the slow tests in test_cifar10_runner.py cover
longer runs, restarts and the folder's rules).

A run interrupted after its first epoch and resumed must train exactly the missing epoch, record every epoch once
with its own seed, step and learning rate, and end where the uninterrupted run ends, record for record."""

import pytest

from cifar10_files import random_images, without_times
from radam import cifar10
from radam.cifar10 import Results, get_arm, pipeline

pytest.importorskip("keras", reason="the runner trains with Keras")

SEED = 3  # not 0: a record that carries a default seed, or another run's, shows
EPOCHS = 2
BATCH = 32


def test_a_resumed_run_trains_the_missing_epochs_and_records_them_as_an_uninterrupted_run(tmp_path):
    kwargs = dict(data=random_images(64, 32, 0), batch_size=BATCH, progress=False)
    whole = cifar10.run_experiment(["radam"], EPOCHS, [SEED], out_dir=tmp_path / "whole", **kwargs)

    def interrupt(record):
        raise KeyboardInterrupt(f"after epoch {record['epoch']}")

    with pytest.raises(KeyboardInterrupt):
        cifar10.run_experiment(["radam"], EPOCHS, [SEED], out_dir=tmp_path / "cut", on_epoch_end=interrupt, **kwargs)
    assert [(r["seed"], r["epoch"]) for r in Results.load(tmp_path / "cut").records] == [(SEED, 1)]

    seen = []
    resumed = cifar10.run_experiment(["radam"], EPOCHS, [SEED], out_dir=tmp_path / "cut", on_epoch_end=seen.append,
                                     **kwargs)
    assert [(r["arm"], r["seed"], r["epoch"]) for r in seen] == [("radam", SEED, 2)]  # only the missing epoch
    steps_per_epoch = 64 // BATCH
    arm = get_arm("radam")
    for records in (whole.records, resumed.records, Results.load(tmp_path / "cut").records):
        assert [(r["arm"], r["seed"], r["epoch"], r["step"]) for r in records] == [
            ("radam", SEED, e, e * steps_per_epoch) for e in range(1, EPOCHS + 1)
        ]
        assert [r["learning_rate"] for r in records] == [float(arm.lr_at(e * steps_per_epoch))
                                                         for e in range(1, EPOCHS + 1)]
    # The same weights, optimizer state and batch order after the resume: the same numbers as without the cut.
    assert without_times(resumed.records) == without_times(whole.records)
    assert without_times(Results.load(tmp_path / "cut").records) == without_times(whole.records)
    # Epochs 1 and 2 see different orders (a resume that replayed epoch 1's order would change the numbers).
    assert list(pipeline.epoch_order(SEED, 1, 64)) != list(pipeline.epoch_order(SEED, 2, 64))
