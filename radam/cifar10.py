"""The blog's CIFAR-10 experiment: data loading, the 3-block CNN, optimizer arms, a resumable runner and a CLI.

The blog post ("Rectified ADAM Optimizer", Venkat Rajgopal, 2019) trained the CNN of :func:`build_model` with
Adam(1e-3) and with keras-radam's ``RAdam(total_steps=5000, warmup_proportion=0.1, min_lr=1e-5)``, batch 64,
the test set as validation. That RAdam reaches min_lr at step 5,000, so the arms here separate the optimizer
from the schedule (``adam``, ``adam-blog``, ``adam-warmup``, ``radam``, ``radam-blog``)::

    python -m radam.cifar10 --arms adam radam-blog radam adam-warmup --epochs 30 --seeds 0 1 2 --out DIR

Every arm of a seed starts from the same weights and sees the same batches; results are written after every
epoch (``DIR/results.json`` and ``DIR/results.csv``) and a rerun of the same command resumes where it stopped.
"""

import argparse
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import pickle
import re
import shutil
import socket
import sys
import tarfile
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from radam import schedules
from radam._validate import check_beta, check_blog_schedule, check_non_negative
from radam.keras import RAdam, WarmupThenLinearDecay

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
"""The label names, by label (as batches.meta lists them)."""
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
"""SHA-256 of cifar-10-python.tar.gz, as Keras's own loader checks it (the published MD5 is
c58f30108f718f92721af3b95e74349a)."""
DOWNLOAD_TIMEOUT_S = 60
"""Seconds a download connection may stall (connect or read) before it fails."""
_CACHE_FOLDERS = ("cifar-10-batches-py", os.path.join("cifar-10-batches-py-target", "cifar-10-batches-py"))


# ----------------------------------------------------------------------------------------------- data


class CIFAR10FileError(ValueError):
    """A CIFAR-10 batch file that is truncated, corrupt, tampered with or not in the python-version format."""


def _latin1_encode(text, encoding="latin1"):
    """``_codecs.encode`` as Python 3 writes bytes into protocol-2 pickles, for the latin-1 codec only."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r}")
    return text.encode("latin1")


def _empty_bytes():
    """``bytes()``, as Python 3 writes b"" into protocol-2 pickles (never bytes(n): no size from the file)."""
    return b""


_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0))[0]
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("_codecs", "encode"): _latin1_encode,
    ("__builtin__", "bytes"): _empty_bytes,
}
"""All a CIFAR-10 batch pickle may reference: NumPy's array reconstruction (the original files, written by
Python 2, use only the first three) and how Python 3 writes bytes into protocol-2 pickles."""


class _Rejected(Exception):
    """Raised inside unpickling for a global that a CIFAR-10 batch never references."""


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`_ALLOWED_GLOBALS`: loading never runs code named by the file."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise _Rejected(f"{module}.{name}")
        return _ALLOWED_GLOBALS[module, name]


def _one_line(error):
    return " ".join(str(error).split())


def _read_batch(path, advice):
    """Images (N, 32, 32, 3) uint8 and labels (N,) int64 of one batch file, checked."""
    try:
        with open(path, "rb") as f:
            batch = _BatchUnpickler(f, encoding="bytes").load()
    except FileNotFoundError:
        raise FileNotFoundError(f"CIFAR-10 file {path} is missing; {advice}") from None
    except _Rejected as e:
        raise CIFAR10FileError(
            f"CIFAR-10 file {path} references {e}, which no CIFAR-10 batch does; refusing to load it "
            f"(tampered with, or not a CIFAR-10 file); {advice}"
        ) from None
    except Exception as e:  # any failure to unpickle means the bytes are not a whole batch
        raise CIFAR10FileError(
            f"CIFAR-10 file {path} is truncated or corrupt ({type(e).__name__}: {_one_line(e)}); {advice}"
        ) from None
    if not isinstance(batch, dict):
        raise CIFAR10FileError(f"CIFAR-10 file {path} holds a {type(batch).__name__}, not a dict; {advice}")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data, labels = batch.get("data"), batch.get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        found = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise CIFAR10FileError(f"CIFAR-10 file {path}: 'data' must be an N x 3072 uint8 array, got {found}; {advice}")
    labels = np.asarray(labels) if isinstance(labels, list) else None
    whole_numbers = labels is not None and (labels.size == 0 or labels.dtype.kind in "iu")
    if not whole_numbers or labels.ndim != 1 or len(labels) != len(data):
        raise CIFAR10FileError(f"CIFAR-10 file {path}: 'labels' must be a list of {len(data)} ints; {advice}")
    if len(data) == 0:
        raise CIFAR10FileError(f"CIFAR-10 file {path} holds no images; {advice}")
    if labels.min() < 0 or labels.max() > 9:
        raise CIFAR10FileError(
            f"CIFAR-10 file {path}: labels must be in 0..9, got {labels.min()}..{labels.max()}; {advice}"
        )
    # Each row is 1024 red, 1024 green, 1024 blue values of a row-major 32x32 image: to NHWC.
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels.astype(np.int64)


def _keras_datasets_dir():
    return os.path.join(os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"), "datasets")


def _download(datasets_dir):
    """Download cifar-10-python.tar.gz (checked against CIFAR10_SHA256) and unpack the batches next to it.

    A connection that stalls for DOWNLOAD_TIMEOUT_S seconds fails instead of hanging; a failed download raises
    ConnectionError saying how to do without the network.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        archive = keras.utils.get_file(
            "cifar-10-python.tar.gz",
            origin=CIFAR10_URL,
            file_hash=CIFAR10_SHA256,
            cache_dir=os.path.dirname(datasets_dir),
            cache_subdir=os.path.basename(datasets_dir),
        )
    except ValueError:  # the archive arrived but its hash is wrong: Keras's own message says so
        raise
    except Exception as e:  # Keras raises a bare Exception for "URL fetch failure"
        raise ConnectionError(
            f"could not download CIFAR-10 ({_one_line(e)}); without internet, set RADAM_CIFAR10_DIR to a folder "
            f"with data_batch_1..5 and test_batch (CIFAR-10 python version), or unpack them into "
            f"{os.path.join(datasets_dir, _CACHE_FOLDERS[0])}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    folder = os.path.join(os.path.dirname(archive), _CACHE_FOLDERS[0])
    partial = f"{folder}.{os.getpid()}.partial"
    try:
        os.makedirs(partial)
        with tarfile.open(archive, "r:gz") as tar:
            # Only the known members, each copied to a path made here: nothing in the archive picks a path.
            for name in (*TRAIN_FILES, TEST_FILE, "batches.meta"):
                with tar.extractfile(f"cifar-10-batches-py/{name}") as source:
                    with open(os.path.join(partial, name), "wb") as target:
                        shutil.copyfileobj(source, target)
        os.replace(partial, folder)
    except (KeyError, tarfile.TarError) as e:
        raise CIFAR10FileError(f"{archive} is not the CIFAR-10 archive ({_one_line(e)}); delete it and retry") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def _locate(data_dir):
    """(folder, how it was found, what to do when a file there is bad)."""
    env = os.environ.get("RADAM_CIFAR10_DIR")
    for folder, how in ((data_dir, "data_dir"), (env, "RADAM_CIFAR10_DIR")):
        if folder is not None:
            folder = os.fspath(folder)
            advice = f"point {how} at a folder with data_batch_1..5 and test_batch (CIFAR-10 python version)"
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"CIFAR-10 folder {folder} ({how}) does not exist; {advice}")
            return folder, how, advice
    datasets_dir = _keras_datasets_dir()
    for name in _CACHE_FOLDERS:
        folder = os.path.join(datasets_dir, name)
        if os.path.isdir(folder):
            return folder, "Keras cache", f"delete {folder} to download it again, or set RADAM_CIFAR10_DIR"
    folder = _download(datasets_dir)
    return folder, "download", f"delete {folder} to download it again, or set RADAM_CIFAR10_DIR"


@dataclasses.dataclass(frozen=True)
class DataInfo:
    """Which CIFAR-10 data a run used: the folder, how it was found, and the number of images."""

    folder: str
    found_via: str
    n_train: int
    n_test: int

    def __str__(self):
        return (
            f"CIFAR-10 from {self.folder} ({self.found_via}): "
            f"{self.n_train:,} training and {self.n_test:,} test images"
        )


def load_cifar10(data_dir=None, with_info=False):
    """CIFAR-10 as ``(x_train, y_train), (x_test, y_test)``: uint8 images (N, 32, 32, 3), int64 labels (N,).

    Reads the python-version batch files (any number of rows each) from ``data_dir``, else the folder in
    ``$RADAM_CIFAR10_DIR``, else Keras's cache (~/.keras/datasets), else downloads the official archive.
    Unlike Keras (uint8 labels of shape (N, 1)) the labels are 1-D. With ``with_info=True`` returns
    ``(data, DataInfo)``.
    """
    folder, how, advice = _locate(data_dir)
    train = [_read_batch(os.path.join(folder, name), advice) for name in TRAIN_FILES]
    x_test, y_test = _read_batch(os.path.join(folder, TEST_FILE), advice)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    data = (x_train, y_train), (x_test, y_test)
    if with_info:
        return data, DataInfo(os.path.abspath(folder), how, len(x_train), len(x_test))
    return data


# ---------------------------------------------------------------------------------------------- model


def build_model(mixed_precision=False):
    """The blog's CNN (550,570 parameters) for 32x32x3 float inputs in [0, 1]:

        3 x [Conv2D(f, 3x3, relu) x 2, MaxPooling2D(2x2), Dropout(0.2)]  for f = 32, 64, 128
        Flatten, Dense(128, relu), Dropout(0.2), Dense(10, softmax)

    convolutions and the hidden Dense layer he_uniform-initialised, convolutions 'same'-padded. With
    ``mixed_precision`` the layers compute in float16 except the softmax, which stays float32.
    """
    policy = "mixed_float16" if mixed_precision else None
    stack = [keras.Input((32, 32, 3))]
    for filters in (32, 64, 128):
        for _ in range(2):
            stack.append(
                layers.Conv2D(
                    filters, 3, activation="relu", kernel_initializer="he_uniform", padding="same", dtype=policy
                )
            )
        stack += [layers.MaxPooling2D(2, dtype=policy), layers.Dropout(0.2, dtype=policy)]
    stack += [
        layers.Flatten(dtype=policy),
        layers.Dense(128, activation="relu", kernel_initializer="he_uniform", dtype=policy),
        layers.Dropout(0.2, dtype=policy),
        layers.Dense(10, activation="softmax", dtype="float32"),
    ]
    return keras.Sequential(stack, name="blog_cnn")


# ----------------------------------------------------------------------------------------------- arms


_ARM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


@dataclasses.dataclass(frozen=True)
class Arm:
    """One arm of the experiment: a name and the optimizer it trains with.

    ``optimizer`` is "adam" (``keras.optimizers.Adam``) or "radam" (:class:`radam.keras.RAdam`). With
    total_steps > 0 the rate follows the blog's schedule (warmup over total_steps * warmup_proportion steps,
    linear fall to min_lr at total_steps); with warmup_steps > 0 it rises linearly over warmup_steps, then stays.
    """

    name: str
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    beta_1: float = 0.9
    beta_2: float = 0.999
    total_steps: int = 0
    warmup_proportion: float = 0.1
    min_lr: float = 0.0
    warmup_steps: float = 0.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not _ARM_NAME.fullmatch(self.name):
            raise ValueError(f"arm name must be letters, digits and . _ + - (no spaces), got {self.name!r}")
        if self.optimizer not in ("adam", "radam"):
            raise ValueError(f"optimizer must be 'adam' or 'radam', got {self.optimizer!r}")
        set_ = object.__setattr__
        set_(self, "learning_rate", check_non_negative("learning_rate", self.learning_rate))
        set_(self, "beta_1", check_beta("beta_1", self.beta_1))
        set_(self, "beta_2", check_beta("beta_2", self.beta_2))
        blog = check_blog_schedule(self.learning_rate, self.total_steps, self.warmup_proportion, self.min_lr)
        for key, value in zip(("total_steps", "warmup_proportion", "min_lr"), blog):
            set_(self, key, value)
        set_(self, "warmup_steps", check_non_negative("warmup_steps", self.warmup_steps))
        if self.total_steps and self.warmup_steps:
            raise ValueError(
                f"arm {self.name!r}: give total_steps (the blog's schedule) or warmup_steps (warmup only), not both"
            )

    def lr_at(self, t):
        """lr_t, the scheduled learning rate of the update at the 1-based step t (a number or an array)."""
        if self.total_steps:
            schedule = schedules.warmup_then_linear_decay(
                self.learning_rate, self.total_steps, self.warmup_proportion, self.min_lr
            )
        else:
            schedule = schedules.linear_warmup(self.learning_rate, self.warmup_steps)
        return schedule(t)

    def make_optimizer(self):
        """A fresh Keras optimizer for this arm."""
        if self.optimizer == "radam":
            learning_rate = self.learning_rate
            if self.warmup_steps:
                learning_rate = WarmupThenLinearDecay(self.learning_rate, self.warmup_steps)
            return RAdam(
                learning_rate,
                beta_1=self.beta_1,
                beta_2=self.beta_2,
                total_steps=self.total_steps,
                warmup_proportion=self.warmup_proportion,
                min_lr=self.min_lr,
            )
        learning_rate = self.learning_rate
        if self.total_steps:
            warmup = self.total_steps * self.warmup_proportion
            learning_rate = WarmupThenLinearDecay(self.learning_rate, warmup, self.total_steps, self.min_lr)
        elif self.warmup_steps:
            learning_rate = WarmupThenLinearDecay(self.learning_rate, self.warmup_steps)
        return keras.optimizers.Adam(learning_rate, beta_1=self.beta_1, beta_2=self.beta_2)

    def config(self):
        """The arm's fields as a plain dict; ``Arm(**arm.config())`` rebuilds it."""
        return dataclasses.asdict(self)


NAMED_ARMS = {
    arm.name: arm
    for arm in (
        Arm("adam"),
        Arm("adam-warmup", warmup_steps=schedules.untuned_warmup_steps(0.999)),
        Arm("adam-blog", total_steps=5000, warmup_proportion=0.1, min_lr=1e-5),
        Arm("radam", "radam"),
        Arm("radam-blog", "radam", total_steps=5000, warmup_proportion=0.1, min_lr=1e-5),
    )
}
"""The named arms: the blog's two (adam, radam-blog) and the controls that separate optimizer from schedule:
Adam with the untuned warmup 2 / (1 - beta_2) (adam-warmup), Adam with the blog's schedule (adam-blog), and
RAdam at a constant rate (radam)."""


def get_arm(name):
    """The named arm ``name`` (see :data:`NAMED_ARMS`)."""
    if name not in NAMED_ARMS:
        raise ValueError(f"unknown arm {name!r}; choose from {', '.join(NAMED_ARMS)}, or define a custom arm")
    return NAMED_ARMS[name]


def parse_arm(spec):
    """A custom arm from ``"NAME:key=value,key=value"``, keys being Arm fields, e.g.
    ``"radam-b0.99:optimizer=radam,beta_2=0.99"``; ``warmup_steps=untuned`` means 2 / (1 - beta_2)."""
    name, _, body = spec.partition(":")
    fields = {f.name: f.type for f in dataclasses.fields(Arm) if f.name != "name"}
    values = {}
    for item in filter(None, body.split(",")):
        key, eq, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if key not in fields or not eq:
            raise ValueError(f"arm spec {spec!r}: expected key=value with a key from {', '.join(fields)}, got {item!r}")
        values[key] = text.strip()
    converted = {}
    for key, text in values.items():
        if key == "optimizer" or (key == "warmup_steps" and text == "untuned"):
            converted[key] = text
            continue
        try:
            converted[key] = int(text) if fields[key] is int else float(text)
        except ValueError:
            raise ValueError(f"arm spec {spec!r}: {key} must be a number, got {text!r}") from None
    if converted.get("warmup_steps") == "untuned":
        converted["warmup_steps"] = schedules.untuned_warmup_steps(converted.get("beta_2", 0.999))
    return Arm(name.strip(), **converted)


# -------------------------------------------------------------------------------------------- results

RECORD_FIELDS = (
    "arm",
    "seed",
    "epoch",
    "step",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "learning_rate",
    "train_time_s",
    "eval_time_s",
    "images_per_second",
)
"""The columns of results.csv: one record per arm, seed and epoch. learning_rate is lr_t at the epoch's last
step; images_per_second counts training images over train_time_s."""


@dataclasses.dataclass
class Results:
    """What run_experiment produced: per-epoch records, the arms, the settings and each run's initial weights."""

    arms: list
    settings: dict
    records: list = dataclasses.field(default_factory=list)
    runs: list = dataclasses.field(default_factory=list)

    @property
    def arm_names(self):
        return [arm.name for arm in self.arms]

    def curves(self, metric="val_accuracy"):
        """{arm: (epochs, values)} with values of shape (seeds, epochs), over the epochs every seed has."""
        out = {}
        for name in self.arm_names:
            by_seed = {}
            for record in self.records:
                if record["arm"] == name:
                    by_seed.setdefault(record["seed"], {})[record["epoch"]] = record[metric]
            if not by_seed:
                continue
            n = min(len(epochs) for epochs in by_seed.values())
            epochs = np.arange(1, n + 1)
            out[name] = epochs, np.array([[values[e] for e in epochs] for values in by_seed.values()])
        return out

    def learning_rate_curves(self, points_per_epoch=50):
        """{arm: (epoch, lr_t)}: each arm's scheduled rate at about points_per_epoch steps per epoch."""
        steps = self.settings["steps_per_epoch"] * self.settings["epochs"]
        t = np.unique(np.linspace(1, steps, self.settings["epochs"] * points_per_epoch).round())
        return {arm.name: (t / self.settings["steps_per_epoch"], arm.lr_at(t)) for arm in self.arms}

    def to_json(self):
        return {
            "settings": self.settings,
            "arms": [arm.config() for arm in self.arms],
            "runs": self.runs,
            "records": self.records,
        }

    def save(self, out_dir):
        """Write out_dir/results.json and out_dir/results.csv, each atomically."""
        _atomic_write(os.path.join(out_dir, "results.json"), json.dumps(self.to_json(), indent=1).encode())
        table = io.StringIO()
        writer = csv.DictWriter(table, RECORD_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.records)
        _atomic_write(os.path.join(out_dir, "results.csv"), table.getvalue().encode())

    @classmethod
    def load(cls, path):
        """Results from a results.json file (or the folder holding it)."""
        if os.path.isdir(path):
            path = os.path.join(path, "results.json")
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        return cls([Arm(**config) for config in saved["arms"]], saved["settings"], saved["records"], saved["runs"])


def summary_table(results):
    """Per arm: final and best validation accuracy, mean and standard deviation (ddof=1) over seeds.

    A list of dicts with arm, seeds, epochs, final_mean, final_std, best_mean, best_std (std is nan for one seed).
    """
    rows = []
    for name, (epochs, accuracy) in results.curves("val_accuracy").items():
        final, best = accuracy[:, -1], accuracy.max(axis=1)
        spread = (lambda x: float(np.std(x, ddof=1))) if len(accuracy) > 1 else (lambda x: math.nan)
        rows.append(
            {
                "arm": name,
                "seeds": len(accuracy),
                "epochs": int(epochs[-1]),
                "final_mean": float(final.mean()),
                "final_std": spread(final),
                "best_mean": float(best.mean()),
                "best_std": spread(best),
            }
        )
    return rows


def format_summary(rows):
    """The summary table as aligned text."""
    def mean_std(mean, std):
        return f"{mean:.4f} +/- " + ("n/a" if math.isnan(std) else f"{std:.4f}")

    lines = [f"{'arm':<14} {'seeds':>5} {'epochs':>6}   {'final val acc':>17}   {'best val acc':>17}"]
    for row in rows:
        final = mean_std(row["final_mean"], row["final_std"])
        best = mean_std(row["best_mean"], row["best_std"])
        lines.append(f"{row['arm']:<14} {row['seeds']:>5} {row['epochs']:>6}   {final:>17}   {best:>17}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- runner


def _atomic_write(path, data):
    """Write bytes to a new file next to ``path``, then os.replace it over ``path``: readers see old or new, whole."""
    partial = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.{time.time_ns()}.tmp")
    try:
        with open(partial, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise


def _digest(arrays):
    sha = hashlib.sha256()
    for array in arrays:
        sha.update(np.ascontiguousarray(array).tobytes())
    return sha.hexdigest()[:16]


def _save_checkpoint(path, model, meta):
    """Model variables (weights and dropout seed states), optimizer variables and the run's records, atomically."""
    arrays = {f"model_{i}": v.numpy() for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{i}": v.numpy() for i, v in enumerate(model.optimizer.variables)})
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    _atomic_write(path, buffer.getvalue())


def _load_checkpoint(path):
    with np.load(path, allow_pickle=False) as saved:
        meta = json.loads(str(saved["meta"]))
        model = [saved[f"model_{i}"] for i in range(sum(k.startswith("model_") for k in saved.files))]
        optimizer = [saved[f"optimizer_{i}"] for i in range(sum(k.startswith("optimizer_") for k in saved.files))]
    return meta, model, optimizer


def _assign(variables, values, what):
    if len(variables) != len(values):
        raise ValueError(f"{what}: {len(values)} saved values for {len(variables)} variables")
    for variable, value in zip(variables, values):
        variable.assign(value)


def _batches(x, y, order, batch_size):
    """tf.data: the rows ``order`` in batches, images scaled to [0, 1] float32, prefetched."""
    return (
        tf.data.Dataset.from_tensor_slices(order)
        .batch(batch_size)
        .map(
            lambda rows: (tf.cast(tf.gather(x, rows), tf.float32) / 255.0, tf.gather(y, rows)),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .prefetch(tf.data.AUTOTUNE)
    )


class _ProgressBar(keras.callbacks.Callback):
    """One plain-text line per run, redrawn in place with a carriage return (terminals and notebooks alike)."""

    async_safe = True

    def __init__(self, label, epochs, steps_per_epoch, stream, interval=0.5):
        super().__init__()
        self.label, self.epochs, self.steps_per_epoch = label, epochs, steps_per_epoch
        self.stream, self.interval = stream, interval
        self.epoch, self.status, self.shown, self.length = 0, "", 0.0, 0

    def draw(self, done, force=False):
        now = time.monotonic()
        if not force and now - self.shown < self.interval:
            return
        self.shown = now
        width = 20
        filled = round(width * done / self.epochs)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label} [{bar}] {done:.1f}/{self.epochs} epochs {self.status}"
        self.stream.write("\r" + line.ljust(self.length))
        self.stream.flush()
        self.length = len(line)

    def on_train_batch_end(self, batch, logs=None):
        self.draw(self.epoch + (batch + 1) / self.steps_per_epoch)

    def end_epoch(self, record):
        self.epoch = record["epoch"]
        self.status = (
            f"| epoch {self.epoch}: loss {record['train_loss']:.3f} acc {record['train_accuracy']:.3f} "
            f"val_acc {record['val_accuracy']:.3f} lr {record['learning_rate']:.2e} "
            f"{record['images_per_second']:.0f} img/s"
        )
        self.draw(self.epoch, force=True)

    def close(self):
        self.draw(self.epoch, force=True)
        self.stream.write("\n")
        self.stream.flush()


def _check_positive_int(name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def _prepare_data(data, data_dir, train_limit, test_limit):
    """The arrays to train and validate on, and a description of them (with a digest, to recognise them)."""
    if data is None:
        data, info = load_cifar10(data_dir, with_info=True)
        source = dataclasses.asdict(info)
    else:
        source = {"folder": None, "found_via": "arrays given", "n_train": len(data[0][0]), "n_test": len(data[1][0])}
    (x_train, y_train), (x_test, y_test) = data
    for name, x in (("x_train", x_train), ("x_test", x_test)):
        if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.shape[1:] != (32, 32, 3) or not len(x):
            found = f"{x.dtype} array of shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
            raise ValueError(f"{name} must be uint8 images of shape (N, 32, 32, 3) with N >= 1, got {found}")
    x_train, y_train = x_train[:train_limit], np.asarray(y_train).reshape(-1)[:train_limit]
    x_test, y_test = x_test[:test_limit], np.asarray(y_test).reshape(-1)[:test_limit]
    source.update(used_train=len(x_train), used_test=len(x_test), digest=_digest([x_train, y_train, x_test, y_test]))
    return (x_train, y_train), (x_test, y_test), source


def _differences(saved, current, prefix=""):
    """'key: saved there, current here' for each leaf where two nested dicts differ."""
    out = []
    for key in sorted(set(saved) | set(current), key=str):
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} there, {b!r} here")
    return out


class _Experiment:
    """The arrays, settings and files shared by all runs (arm x seed) of one run_experiment call."""

    def __init__(self, data, batch_size, mixed_precision, strategy, out_dir, progress, on_epoch_end):
        (self.x_train, y_train), (x_test, y_test), self.source = data
        self.batch_size, self.mixed_precision, self.strategy = batch_size, mixed_precision, strategy
        self.out_dir, self.progress, self.on_epoch_end = out_dir, progress, on_epoch_end
        self.steps_per_epoch = math.ceil(len(self.x_train) / batch_size)
        # Everything a checkpoint must share with this call to be resumed by it.
        self.signature = {"batch_size": batch_size, "data": self.source, "mixed_precision": mixed_precision}
        with tf.device("/cpu:0"):
            self.x_all, self.y_all = tf.constant(self.x_train), tf.constant(y_train)
            self.test_set = _batches(tf.constant(x_test), tf.constant(y_test), np.arange(len(x_test)), batch_size)

    def checkpoint_path(self, arm, seed):
        return os.path.join(self.out_dir, "checkpoints", f"{arm.name}-seed{seed}.npz") if self.out_dir else None

    def compiled_model(self, arm):
        with self.strategy.scope():
            model = build_model(self.mixed_precision)
            optimizer = arm.make_optimizer()
            if self.mixed_precision:
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.optimizer.build(model.trainable_variables)
        return model

    def initial_weights(self, seed):
        """All variables of the model built after set_random_seed(seed): weights and dropout seed states."""
        keras.utils.set_random_seed(seed)
        with self.strategy.scope():
            return [v.numpy() for v in build_model(self.mixed_precision).variables]

    def run(self, arm, seed, initial, epochs, results):
        """Train one arm from ``initial`` (or from its checkpoint) up to ``epochs``, adding to ``results``."""
        model = self.compiled_model(arm)
        _assign(model.variables, initial, f"{arm.name} seed {seed}")
        run = {"arm": arm.config(), "seed": seed, "experiment": self.signature}
        run_info = {"arm": arm.name, "seed": seed, "initial_weights": _digest([v.numpy() for v in model.variables])}
        records = []
        path = self.checkpoint_path(arm, seed)
        if path and os.path.exists(path):
            meta, model_values, optimizer_values = _load_checkpoint(path)
            changed = _differences(meta["run"], json.loads(json.dumps(run)))
            if changed:
                raise ValueError(
                    f"{path} holds a run with other settings ({'; '.join(changed)}); "
                    "use another out_dir, or restart=True (--restart) to discard it"
                )
            records, run_info = meta["records"], meta["run_info"]
            _assign(model.variables, model_values, path)
            _assign(model.optimizer.variables, optimizer_values, path)
        results.runs.append(run_info)
        results.records.extend(records[:epochs])
        bar = None
        if self.progress:
            bar = _ProgressBar(f"{arm.name} seed {seed}", epochs, self.steps_per_epoch, sys.stdout)
        if bar and records:
            bar.end_epoch(records[min(epochs, len(records)) - 1])
        for epoch in range(len(records) + 1, epochs + 1):
            record = self.train_epoch(model, arm, seed, epoch, bar)
            records.append(record)
            results.records.append(record)
            if path:
                _save_checkpoint(path, model, {"run": run, "run_info": run_info, "records": records})
                results.save(self.out_dir)
            if bar:
                bar.end_epoch(record)
            if self.on_epoch_end:
                self.on_epoch_end(record)
        if bar:
            bar.close()

    def train_epoch(self, model, arm, seed, epoch, bar):
        """One epoch in the order NumPy's generator seeded by (seed, epoch) draws, then validation; its record."""
        order = np.random.default_rng([seed, epoch]).permutation(len(self.x_train))
        batches = _batches(self.x_all, self.y_all, order, self.batch_size)
        start = time.perf_counter()
        history = model.fit(batches, epochs=1, shuffle=False, verbose=0, callbacks=[bar] if bar else [])
        train_time = time.perf_counter() - start
        start = time.perf_counter()
        validation = model.evaluate(self.test_set, verbose=0, return_dict=True)
        eval_time = time.perf_counter() - start
        step = epoch * self.steps_per_epoch
        return {
            "arm": arm.name,
            "seed": seed,
            "epoch": epoch,
            "step": step,
            "train_loss": float(history.history["loss"][0]),
            "train_accuracy": float(history.history["accuracy"][0]),
            "val_loss": float(validation["loss"]),
            "val_accuracy": float(validation["accuracy"]),
            "learning_rate": float(arm.lr_at(step)),
            "train_time_s": train_time,
            "eval_time_s": eval_time,
            "images_per_second": len(self.x_train) / train_time,
        }


def run_experiment(
    arms,
    epochs,
    seeds=(0,),
    *,
    data=None,
    data_dir=None,
    train_limit=None,
    test_limit=None,
    batch_size=64,
    out_dir=None,
    restart=False,
    progress=True,
    mixed_precision=False,
    distribute=False,
    deterministic=False,
    on_epoch_end=None,
):
    """Train the blog's CNN with each arm (an Arm or a name in NAMED_ARMS) for each seed; returns Results.

    For a seed, every arm starts from the same weights (built once after ``keras.utils.set_random_seed(seed)``,
    dropout seed states included) and sees the same batches (epoch e shuffles with NumPy's generator seeded by
    (seed, e)). Each epoch records training loss and accuracy (dropout on), validation loss and accuracy on the
    test set, lr_t at the epoch's last step, times and images/s. Images are scaled to [0, 1] floats in the
    tf.data pipeline; the model sees nothing else.

    Args:
        data: ``((x_train, y_train), (x_test, y_test))`` as load_cifar10 returns it; by default loaded from data_dir.
        train_limit, test_limit: use only the first that many training / test images.
        out_dir: after every epoch, a checkpoint per run (out_dir/checkpoints) and results.json / results.csv are
            written atomically; calling again with the same out_dir resumes each run after its last completed
            epoch and gives the same numbers as an uninterrupted run. ``restart=True`` deletes this call's saved
            runs first.
        mixed_precision: float16 compute with loss scaling (for GPUs).
        distribute: tf.distribute.MirroredStrategy over all GPUs (batch_size is the global batch).
        deterministic: tf.config.experimental.enable_op_determinism.
        on_epoch_end: called with each new record once it has been saved.
    """
    arms = [arm if isinstance(arm, Arm) else get_arm(arm) for arm in arms]
    names = [arm.name for arm in arms]
    if not arms or len(set(names)) != len(names):
        raise ValueError(f"arms must be a non-empty list of distinct arms, got {names}")
    epochs = _check_positive_int("epochs", epochs)
    seeds = list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of whole numbers >= 0, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds!r}")
    seeds = [int(s) for s in seeds]
    batch_size = _check_positive_int("batch_size", batch_size)
    train_limit = _check_positive_int("train_limit", train_limit, allow_none=True)
    test_limit = _check_positive_int("test_limit", test_limit, allow_none=True)
    prepared = _prepare_data(data, data_dir, train_limit, test_limit)

    if deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = tf.distribute.MirroredStrategy() if distribute else tf.distribute.get_strategy()
    experiment = _Experiment(prepared, batch_size, bool(mixed_precision), strategy, out_dir, progress, on_epoch_end)
    if out_dir is not None:
        os.makedirs(os.path.join(out_dir, "checkpoints"), exist_ok=True)
        if restart:
            saved = [experiment.checkpoint_path(arm, seed) for arm in arms for seed in seeds]
            saved += [os.path.join(out_dir, "results.json"), os.path.join(out_dir, "results.csv")]
            for path in filter(os.path.exists, saved):
                os.remove(path)
    settings = dict(
        experiment.signature,
        epochs=epochs,
        seeds=seeds,
        steps_per_epoch=experiment.steps_per_epoch,
        distribute=bool(distribute),
        deterministic=bool(deterministic),
        versions={"keras": keras.__version__, "tensorflow": tf.__version__},
    )
    results = Results(arms, settings)
    for seed in seeds:
        initial = experiment.initial_weights(seed)
        for arm in arms:
            experiment.run(arm, seed, initial, epochs, results)
    if out_dir is not None:
        results.save(out_dir)
    return results


# ------------------------------------------------------------------------------------------------ CLI


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see --help)\n")


def _whole(minimum):
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}")
        return value

    return convert


def _parser():
    parser = _Parser(
        prog="python -m radam.cifar10",
        description="Train the blog's CIFAR-10 CNN with several optimizer arms and seeds; resumable.",
        epilog=f"Named arms: {', '.join(NAMED_ARMS)}. Example: --custom 'radam-b0.99:optimizer=radam,beta_2=0.99' "
        "--arms adam radam-b0.99. Data: --data-dir, else $RADAM_CIFAR10_DIR, else Keras's cache, else download.",
    )
    add = parser.add_argument
    add("--arms", nargs="+", default=["adam", "radam-blog", "radam", "adam-warmup"], metavar="ARM",
        help="arms to train, in order (default: adam radam-blog radam adam-warmup)")
    add("--custom", action="append", default=[], metavar="SPEC",
        help="define an arm as NAME:key=value,... with keys optimizer (adam|radam), learning_rate, beta_1, beta_2, "
        "total_steps, warmup_proportion, min_lr, warmup_steps (a number or 'untuned'); repeatable")
    add("--epochs", type=_whole(1), default=30, help="epochs per run (default 30; the blog had 100)")
    add("--seeds", type=_whole(0), nargs="+", default=[0], help="seeds (default 0)")
    add("--out", default=os.path.join("results", "cifar10"), help="results folder (default results/cifar10)")
    add("--data-dir", help="folder with the CIFAR-10 python-version batch files")
    add("--train-limit", type=_whole(1), help="use only the first N training images")
    add("--test-limit", type=_whole(1), help="use only the first N test images")
    add("--batch-size", type=_whole(1), default=64, help="batch size (default 64, as in the blog)")
    add("--restart", action="store_true", help="discard the runs saved in --out instead of resuming them")
    add("--quiet", action="store_true", help="no progress bar")
    add("--mixed-precision", action="store_true", help="float16 compute with loss scaling (GPU)")
    add("--distribute", action="store_true", help="tf.distribute.MirroredStrategy over all GPUs")
    add("--deterministic", action="store_true", help="tf.config.experimental.enable_op_determinism()")
    return parser


def main(argv=None):
    """The command line: train, print where the results are and the summary table. Returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        custom = {arm.name: arm for arm in map(parse_arm, args.custom)}
        arms = [custom[name] if name in custom else get_arm(name) for name in args.arms]
        results = run_experiment(
            arms,
            args.epochs,
            args.seeds,
            data_dir=args.data_dir,
            train_limit=args.train_limit,
            test_limit=args.test_limit,
            batch_size=args.batch_size,
            out_dir=args.out,
            restart=args.restart,
            progress=not args.quiet,
            mixed_precision=args.mixed_precision,
            distribute=args.distribute,
            deterministic=args.deterministic,
        )
    except (ValueError, OSError) as e:
        print(f"{parser.prog}: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{parser.prog}: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    data = results.settings["data"]
    used = f"{data['used_train']:,} training and {data['used_test']:,} test images used"
    print(f"Data: {data['folder']} ({data['found_via']}): {used}")
    print(f"Results: {os.path.join(args.out, 'results.json')} and results.csv")
    print(format_summary(summary_table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
