"""results.json files written for tests, complete in the schema of radam.cifar10.schema (no TensorFlow needed)."""

import json

from radam.cifar10 import schema


def record(arm="adam", seed=0, epoch=1, steps_per_epoch=10, **values):
    """One record of plausible numbers, with ``values`` replacing any of them."""
    return {
        "arm": arm, "seed": seed, "epoch": epoch, "step": epoch * steps_per_epoch, "train_loss": 2.0,
        "train_accuracy": 0.25, "val_loss": 2.1, "val_accuracy": 0.2, "test_loss": 2.15,
        "test_accuracy": 0.19, "learning_rate": 1e-3, "train_time_s": 10.0,
        "eval_time_s": 1.0, "images_per_second": 100.0, "diverged": False, **values,
    }


def results_json(records, arms=("adam",), seeds=(0,), epochs=1, steps_per_epoch=10):
    """The content of a results.json holding ``records`` (arms as names: Arm(name) each)."""
    return {
        "schema_version": schema.SCHEMA_VERSION,
        "settings": {"epochs": epochs, "steps_per_epoch": steps_per_epoch, "seeds": list(seeds), "batch_size": 64,
                     "validation_images": 0, "augment": False, "data": {}},
        "arms": [{"name": arm} for arm in arms],
        "runs": [],
        "records": records,
        "provenance": [],
        "fingerprint": {},
    }


def write_results_json(folder, content):
    """Write ``content`` as folder/results.json; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(content))
    return folder
