"""CIFAR-10 data: where the batch files are (data_dir, $RADAM_CIFAR10_DIR, Keras's cache, or a download), read
with the restricted unpickler of :mod:`radam.cifar10.unpickle` and checked."""

import dataclasses
import os
import shutil
import socket
import stat
import tarfile

import numpy as np

from radam.cifar10 import unpickle


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


def one_line(error):
    """The text of ``error`` (or any object) on one line: whitespace runs become one space."""
    return " ".join(str(error).split())


def _open_regular(path):
    """A binary file object for ``path`` and its size, refusing anything but a regular file without blocking on it
    (a FIFO, a device or a folder named like a batch file)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CIFAR10FileError(f"CIFAR-10 file {path} is not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def _describe_labels(labels):
    if not isinstance(labels, list):
        return f"a {type(labels).__name__}"
    kinds = sorted({type(y).__name__ for y in labels if type(y) is not int})
    if kinds:
        return f"a list holding {', '.join(kinds)}"
    return f"a list of {len(labels)}"


def _read_batch(path, advice):
    """Images (N, 32, 32, 3) uint8 and labels (N,) int64 of one batch file, checked."""
    try:
        f, size = _open_regular(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"CIFAR-10 file {path} is missing; {advice}") from None
    except CIFAR10FileError as e:
        raise CIFAR10FileError(f"{e}; {advice}") from None
    except OSError as e:
        raise CIFAR10FileError(f"CIFAR-10 file {path} cannot be read ({one_line(e)}); {advice}") from None
    try:
        with f:
            batch = unpickle.BatchUnpickler(f, size).load()
    except unpickle.Rejected as e:
        raise CIFAR10FileError(
            f"CIFAR-10 file {path} references {e}, which no CIFAR-10 batch does; refusing to load it "
            f"(tampered with, or not a CIFAR-10 file); {advice}"
        ) from None
    except unpickle.Refused as e:
        raise CIFAR10FileError(
            f"CIFAR-10 file {path} builds {e}, which no CIFAR-10 batch of {size:,} bytes holds; refusing to load it "
            f"(tampered with, or not a CIFAR-10 file); {advice}"
        ) from None
    except Exception as e:  # any failure to unpickle means the bytes are not a whole batch
        raise CIFAR10FileError(
            f"CIFAR-10 file {path} is truncated or corrupt ({type(e).__name__}: {one_line(e)}); {advice}"
        ) from None
    if not isinstance(batch, dict):
        raise CIFAR10FileError(f"CIFAR-10 file {path} holds a {type(batch).__name__}, not a dict; {advice}")
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data, labels = batch.get("data"), batch.get("labels")
    if isinstance(data, np.ndarray):
        data = data.view(np.ndarray)  # a _PendingArray once its state is set
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        found = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise CIFAR10FileError(f"CIFAR-10 file {path}: 'data' must be an N x 3072 uint8 array, got {found}; {advice}")
    # Exactly ints (not bools, floats, strings or nested lists): a ragged list would not even make an array.
    if not isinstance(labels, list) or len(labels) != len(data) or any(type(y) is not int for y in labels):
        raise CIFAR10FileError(
            f"CIFAR-10 file {path}: 'labels' must be a list of {len(data)} ints, got {_describe_labels(labels)}; "
            f"{advice}"
        )
    if len(data) == 0:
        raise CIFAR10FileError(f"CIFAR-10 file {path} holds no images; {advice}")
    if min(labels) < 0 or max(labels) > 9:
        raise CIFAR10FileError(
            f"CIFAR-10 file {path}: labels must be in 0..9, got {min(labels)}..{max(labels)}; {advice}"
        )
    # Each row is 1024 red, 1024 green, 1024 blue values of a row-major 32x32 image: to NHWC.
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.array(labels, dtype=np.int64)


def _keras_datasets_dir():
    return os.path.join(os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"), "datasets")


def _download(datasets_dir):
    """Download cifar-10-python.tar.gz (checked against CIFAR10_SHA256) and unpack the batches next to it.

    A connection that stalls for DOWNLOAD_TIMEOUT_S seconds fails instead of hanging; a failed download raises
    ConnectionError saying how to do without the network.
    """
    import keras  # only to download: reading the files needs NumPy alone

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
            f"could not download CIFAR-10 ({one_line(e)}); without internet, set RADAM_CIFAR10_DIR to a folder "
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
        raise CIFAR10FileError(f"{archive} is not the CIFAR-10 archive ({one_line(e)}); delete it and retry") from None
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


def local_folder(data_dir=None):
    """The folder of CIFAR-10 batch files already on this machine, or None: ``data_dir``, else
    ``$RADAM_CIFAR10_DIR``, else Keras's cache, in the order :func:`load_cifar10` looks, but never downloading
    (chapter 8's live slice is skipped instead). A folder counts when it holds ``test_batch``."""
    datasets_dir = _keras_datasets_dir()
    candidates = [data_dir, os.environ.get("RADAM_CIFAR10_DIR")]
    candidates += [os.path.join(datasets_dir, name) for name in _CACHE_FOLDERS]
    for folder in candidates:
        if folder and os.path.isfile(os.path.join(os.fspath(folder), TEST_FILE)):
            return os.fspath(folder)
    return None


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
