"""CIFAR-10 data: where the batch files are (data_dir, $RADAM_CIFAR10_DIR, Keras's cache, or a download), and a
restricted unpickler that reads them without running code named by the file."""

import dataclasses
import os
import pickle
import shutil
import socket
import tarfile

import keras
import numpy as np


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
