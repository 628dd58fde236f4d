"""What one call of the CIFAR-10 runner is asked to do (:class:`RunSettings`, checked in full before anything is
written or trained) and the arrays it trains, validates and tests on (:func:`prepare_data`). Only NumPy."""

import dataclasses
import os

import numpy as np

from radam.cifar10 import pipeline, provenance
from radam.cifar10.arms import Arm, get_arm
from radam.cifar10.data import load_cifar10

MAX_SEED = 2**32 - 1
"""The largest seed: keras.utils.set_random_seed and NumPy's generators take seeds below 2**32."""


def _positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """Everything one ``radam.cifar10.run_experiment`` call is asked to do, checked and normalised on creation (a
    ValueError naming the argument and value): arms become Arms, seeds a tuple of ints, out_dir a path or None.
    See ``run_experiment`` for the meaning of each field."""

    arms: tuple
    epochs: int
    seeds: tuple = (0,)
    data_dir: str = None
    train_limit: int = None
    test_limit: int = None
    batch_size: int = 64
    validation_images: int = 0
    augment: bool = False
    out_dir: str = None
    restart: bool = False
    progress: bool = True
    mixed_precision: bool = False
    distribute: bool = False
    deterministic: bool = False
    scale_schedules: bool = False
    command: str = None

    def __post_init__(self):
        set_ = object.__setattr__
        arms = tuple(arm if isinstance(arm, Arm) else get_arm(arm) for arm in self.arms)
        names = [arm.name for arm in arms]
        if not arms or len(set(names)) != len(names):
            raise ValueError(f"arms must be a non-empty list of distinct arms, got {names}")
        set_(self, "arms", arms)
        set_(self, "epochs", _positive_int("epochs", self.epochs))
        seeds = list(self.seeds)
        if not seeds or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s <= MAX_SEED for s in seeds
        ):
            raise ValueError(f"seeds must be a non-empty list of whole numbers in [0, 2**32), got {seeds!r}")
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct, got {seeds!r}")
        set_(self, "seeds", tuple(int(s) for s in seeds))
        for name in ("batch_size", "train_limit", "test_limit"):
            set_(self, name, _positive_int(name, getattr(self, name), allow_none=name != "batch_size"))
        images = self.validation_images
        if isinstance(images, bool) or not isinstance(images, (int, np.integer)) or images < 0:
            raise ValueError(f"validation_images must be a whole number >= 0, got {images!r}")
        set_(self, "validation_images", int(images))
        if self.out_dir is not None:
            out_dir = os.fspath(self.out_dir) if isinstance(self.out_dir, (str, os.PathLike)) else None
            if not out_dir:
                raise ValueError(f"out_dir must be the path of a results folder, got {self.out_dir!r}")
            if os.path.exists(out_dir) and not os.path.isdir(out_dir):
                raise ValueError(f"out_dir {out_dir!r} exists and is not a folder")
            set_(self, "out_dir", out_dir)
        for name in ("restart", "progress", "mixed_precision", "distribute", "deterministic", "scale_schedules",
                     "augment"):
            set_(self, name, bool(getattr(self, name)))


def prepare_data(data, settings):
    """(train, validation, test, description): the (x, y) arrays to train on, to validate on (the held-out
    training images of ``radam.cifar10.pipeline.split``, or the test set when ``validation_images`` is 0)
    and to test on, and a description of them (with a digest of all the images used, to recognise them)."""
    if data is None:
        data, info = load_cifar10(settings.data_dir, with_info=True)
        source = dataclasses.asdict(info)
        source["folder"] = os.path.basename(source["folder"])  # a name, not a path of this machine
    else:
        source = {"folder": None, "found_via": "arrays given", "n_train": len(data[0][0]), "n_test": len(data[1][0])}
    (x_train, y_train), (x_test, y_test) = data
    for name, x in (("x_train", x_train), ("x_test", x_test)):
        if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.shape[1:] != (32, 32, 3) or not len(x):
            found = f"{x.dtype} array of shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"{name} must be uint8 images of shape (N, 32, 32, 3) with N >= 1, got {found}")
    x_train, y_train = x_train[: settings.train_limit], np.asarray(y_train).reshape(-1)[: settings.train_limit]
    x_test, y_test = x_test[: settings.test_limit], np.asarray(y_test).reshape(-1)[: settings.test_limit]
    digest = provenance.digest([x_train, y_train, x_test, y_test])
    train_rows, validation_rows = pipeline.split(len(x_train), settings.validation_images)
    source.update(used_train=len(train_rows), used_validation=len(validation_rows), used_test=len(x_test),
                  digest=digest)
    test = (x_test, y_test)
    validation = (x_train[validation_rows], y_train[validation_rows]) if len(validation_rows) else test
    return (x_train[train_rows], y_train[train_rows]), validation, test, source
