"""radam.cifar10.data: finding the batch files, downloading them, and reading them without trusting them."""

import os
import pickle
import socket
import tarfile

import keras
import numpy as np
import pytest

import radam.cifar10.data
from cifar10_files import make_cifar, no_env, write_batch  # noqa: F401 (no_env is a fixture)
from radam import cifar10
from radam.cifar10 import CIFAR10FileError


# ------------------------------------------------------------------------------------------ loader


def test_loader_reads_odd_row_counts_into_nhwc(tmp_path, no_env):
    (x_train, y_train), (x_test, y_test) = make_cifar(tmp_path / "c")
    (a_train, b_train), (a_test, b_test) = cifar10.load_cifar10(tmp_path / "c")
    assert a_train.shape == (15, 32, 32, 3) and a_train.dtype == np.uint8
    assert a_test.shape == (7, 32, 32, 3)
    assert b_train.shape == (15,) and b_train.dtype == np.int64
    np.testing.assert_array_equal(a_train, x_train)
    np.testing.assert_array_equal(a_test, x_test)
    np.testing.assert_array_equal(b_train, y_train)
    np.testing.assert_array_equal(b_test, y_test)


def test_loader_finds_data_dir_then_env_then_keras_cache(tmp_path, no_env, monkeypatch):
    make_cifar(tmp_path / "a", counts=(1, 1, 1, 1, 1))
    make_cifar(tmp_path / "b", counts=(2, 2, 2, 2, 2))
    make_cifar(tmp_path / "keras_home" / "datasets" / "cifar-10-batches-py", counts=(3, 3, 3, 3, 3))
    _, info = cifar10.load_cifar10(with_info=True)
    assert (info.found_via, info.n_train, info.n_test) == ("Keras cache", 15, 7)
    monkeypatch.setenv("RADAM_CIFAR10_DIR", str(tmp_path / "b"))
    _, info = cifar10.load_cifar10(with_info=True)
    assert (info.found_via, info.folder, info.n_train) == ("RADAM_CIFAR10_DIR", str(tmp_path / "b"), 10)
    _, info = cifar10.load_cifar10(tmp_path / "a", with_info=True)
    assert (info.found_via, info.n_train) == ("data_dir", 5)
    assert str(info) == f"CIFAR-10 from {tmp_path / 'a'} (data_dir): 5 training and 7 test images"


def test_loader_downloads_the_official_archive_once(tmp_path, no_env, monkeypatch):
    source = tmp_path / "source" / "cifar-10-batches-py"
    (x_train, _), _ = make_cifar(source)
    (source / "batches.meta").write_bytes(pickle.dumps({b"label_names": [b"airplane"]}, protocol=2))
    archive = tmp_path / "served.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname="cifar-10-batches-py")
    calls = []

    def fake_get_file(fname, origin, file_hash, cache_dir, cache_subdir):
        calls.append((fname, origin, file_hash))
        target = os.path.join(cache_dir, cache_subdir, fname)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(archive, target)
        return target

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    (a_train, _), _ = cifar10.load_cifar10()
    np.testing.assert_array_equal(a_train, x_train)
    assert calls == [("cifar-10-python.tar.gz", cifar10.CIFAR10_URL, cifar10.CIFAR10_SHA256)]
    _, info = cifar10.load_cifar10(with_info=True)
    assert info.found_via == "Keras cache" and len(calls) == 1
    assert info.folder == str(tmp_path / "keras_home" / "datasets" / "cifar-10-batches-py")


def test_failed_download_says_how_to_work_offline(tmp_path, no_env, monkeypatch):
    seen_timeouts = []

    def unreachable(fname, origin, file_hash, cache_dir, cache_subdir):
        seen_timeouts.append(socket.getdefaulttimeout())
        raise Exception(f"URL fetch failure on {origin}: None -- [Errno -2] Name or service not known")

    monkeypatch.setattr(keras.utils, "get_file", unreachable)
    with pytest.raises(ConnectionError, match="could not download CIFAR-10.*RADAM_CIFAR10_DIR"):
        cifar10.load_cifar10()
    assert seen_timeouts == [cifar10.data.DOWNLOAD_TIMEOUT_S]  # a stalled connection fails instead of hanging
    assert socket.getdefaulttimeout() is None  # and the process-wide default is restored


def test_missing_folder_and_missing_file_are_named(tmp_path, no_env):
    with pytest.raises(FileNotFoundError, match="does-not-exist.*data_dir.*does not exist"):
        cifar10.load_cifar10(tmp_path / "does-not-exist")
    make_cifar(tmp_path / "c")
    os.remove(tmp_path / "c" / "data_batch_3")
    with pytest.raises(FileNotFoundError, match=r"data_batch_3 is missing; point data_dir at a folder"):
        cifar10.load_cifar10(tmp_path / "c")


def test_truncated_file_is_named(tmp_path, no_env):
    make_cifar(tmp_path / "c")
    path = tmp_path / "c" / "data_batch_4"
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(CIFAR10FileError, match=r"data_batch_4 is truncated or corrupt"):
        cifar10.load_cifar10(tmp_path / "c")


def test_cache_error_says_to_delete_the_cache(tmp_path, no_env):
    cache = tmp_path / "keras_home" / "datasets" / "cifar-10-batches-py"
    make_cifar(cache)
    (cache / "test_batch").write_bytes(b"\x80\x02}q\x00(")
    with pytest.raises(CIFAR10FileError, match=f"test_batch is truncated or corrupt .*delete {cache} to download"):
        cifar10.load_cifar10()


class RunsCommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_tampered_pickle_is_rejected_without_running_it(tmp_path, no_env):
    make_cifar(tmp_path / "c")
    marker = tmp_path / "pwned"
    with open(tmp_path / "c" / "data_batch_2", "wb") as f:
        pickle.dump({b"data": RunsCommand(f"touch {marker}"), b"labels": []}, f, protocol=2)
    with pytest.raises(CIFAR10FileError, match=r"data_batch_2 references posix\.system, which no CIFAR-10 batch"):
        cifar10.load_cifar10(tmp_path / "c")
    assert not marker.exists()
    # The bytes encoder Python 3 pickles use is admitted for latin-1 only.
    with open(tmp_path / "c" / "data_batch_2", "wb") as f:
        f.write(b"\x80\x02c_codecs\nencode\nq\x00X\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.")
    with pytest.raises(CIFAR10FileError, match=r"data_batch_2 is truncated or corrupt .*rot13"):
        cifar10.load_cifar10(tmp_path / "c")


@pytest.mark.parametrize(
    "data, labels, message",
    [
        (np.zeros((2, 3072), np.float32), [0, 1], r"'data' must be an N x 3072 uint8 array, got float32"),
        (np.zeros((2, 3000), np.uint8), [0, 1], r"got uint8 array of shape \(2, 3000\)"),
        (np.zeros((2, 3072), np.uint8), [0], r"'labels' must be a list of 2 ints"),
        (np.zeros((2, 3072), np.uint8), [0, 10], r"labels must be in 0\.\.9, got 0\.\.10"),
        (np.zeros((0, 3072), np.uint8), [], r"holds no images"),
    ],
)
def test_batches_with_wrong_contents_are_rejected(tmp_path, no_env, data, labels, message):
    make_cifar(tmp_path / "c")
    with open(tmp_path / "c" / "test_batch", "wb") as f:
        pickle.dump({b"data": data, b"labels": labels}, f, protocol=2)
    with pytest.raises(CIFAR10FileError, match=message):
        cifar10.load_cifar10(tmp_path / "c")


@pytest.mark.skipif(not os.environ.get("RADAM_CIFAR10_DIR"), reason="the real CIFAR-10 subset is not configured")
def test_real_subset_matches_its_readme():
    (x_train, y_train), (x_test, y_test) = cifar10.load_cifar10()
    assert x_train.shape == (5482, 32, 32, 3) and x_test.shape == (1017, 32, 32, 3)
    # Per-class counts of data_batch_1 and test_batch as listed in the subset's README.
    np.testing.assert_array_equal(np.bincount(y_train[:1102]), [107, 123, 109, 106, 106, 95, 121, 110, 109, 116])
    np.testing.assert_array_equal(np.bincount(y_test), [105, 93, 100, 104, 92, 87, 114, 102, 110, 110])



# ------------------------------------------------------------------- memory bounded by the file's bytes


class Crafted:
    """Pickles as ``callable(*args)`` with an optional BUILD state: how a crafted batch file is written."""

    def __init__(self, *reduce):
        self.reduce = reduce

    def __reduce__(self):
        return self.reduce


RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0))[0]
FROMBUFFER = np.ndarray.__reduce_ex__(np.zeros(1), 5)[0]


def write_pickle(path, batch, protocol=2):
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=protocol)


@pytest.mark.parametrize(
    "data, protocol",
    [
        # numpy's own first step, _reconstruct(ndarray, shape, typecode), given the shape of 20,000 images
        (Crafted(RECONSTRUCT, (np.ndarray, (20_000, 3072), b"B")), 2),
        # the allowed numpy.ndarray called directly: ndarray(shape, dtype('u1'))
        (Crafted(np.ndarray, ((20_000, 3072), np.dtype(np.uint8))), 2),
        # a protocol-5 _frombuffer claiming 20,000 images from one image's bytes
        (Crafted(FROMBUFFER, (bytearray(3072), np.dtype(np.uint8), (20_000, 3072), "C")), 5),
    ],
    ids=["reconstruct-shape", "ndarray-call", "frombuffer-shape"],
)
def test_array_larger_than_its_bytes_is_refused_before_allocating(tmp_path, no_env, data, protocol):
    make_cifar(tmp_path / "c")
    path = tmp_path / "c" / "test_batch"
    write_pickle(path, {b"data": data, b"labels": [0] * 20_000}, protocol)
    assert path.stat().st_size < 100_000  # 61 MB of images claimed by a file this small
    with pytest.raises(CIFAR10FileError, match=r"test_batch builds .*20000, 3072.*refusing to load it"):
        cifar10.load_cifar10(tmp_path / "c")


def test_array_whose_bytes_disagree_with_its_shape_is_refused(tmp_path, no_env):
    make_cifar(tmp_path / "c")
    path = tmp_path / "c" / "test_batch"
    state = (1, (3, 3072), np.dtype(np.uint8), False, bytes(2 * 3072))  # 2 images' bytes for 3
    write_pickle(path, {b"data": Crafted(RECONSTRUCT, (np.ndarray, (0,), b"b"), state), b"labels": [0, 1, 2]})
    with pytest.raises(CIFAR10FileError, match=r"test_batch builds an array of shape \(3, 3072\).* from 6,144 bytes"):
        cifar10.load_cifar10(tmp_path / "c")


def test_batch_over_the_official_size_is_refused(tmp_path, no_env):
    make_cifar(tmp_path / "c")
    n = cifar10.unpickle.MAX_IMAGES + 1
    write_batch(tmp_path / "c" / "data_batch_1", np.zeros((n, 32, 32, 3), np.uint8), np.zeros(n, int))
    with pytest.raises(CIFAR10FileError, match=r"data_batch_1 builds an array of shape \(10001, 3072\) \(more than"):
        cifar10.load_cifar10(tmp_path / "c")


def test_bytes_reused_for_many_arrays_exceed_the_files_budget(tmp_path, no_env):
    """One memoised 300 KB string set as the state of twenty arrays: 6 MB of arrays from a 400 KB file."""
    make_cifar(tmp_path / "c")
    raw = bytes(range(128)) * 2400
    arrays = [Crafted(RECONSTRUCT, (np.ndarray, (0,), b"b"), (1, (100, 3072), np.dtype(np.uint8), False, raw))
              for _ in range(20)]
    path = tmp_path / "c" / "data_batch_3"
    write_pickle(path, {b"data": arrays[0], b"labels": [0] * 100, b"extra": arrays[1:]})
    assert path.stat().st_size < 400_000
    with pytest.raises(CIFAR10FileError, match=r"data_batch_3 builds more data than the file holds"):
        cifar10.load_cifar10(tmp_path / "c")


def test_pickled_dtype_state_never_reaches_numpy(tmp_path, no_env):
    make_cifar(tmp_path / "c")
    hasobject = Crafted(np.dtype, ("u1", False, True), (3, "|", None, None, None, -1, -1, 63))  # flags: object
    state = (1, (1, 3072), hasobject, False, bytes(3072))
    write_pickle(tmp_path / "c" / "test_batch", {b"data": Crafted(RECONSTRUCT, (np.ndarray, (0,), b"b"), state),
                                                  b"labels": [0]})
    with pytest.raises(CIFAR10FileError, match=r"test_batch builds numpy.dtype state"):
        cifar10.load_cifar10(tmp_path / "c")
    write_pickle(tmp_path / "c" / "test_batch", {b"data": Crafted(np.dtype, ("O", False, True)), b"labels": []})
    with pytest.raises(CIFAR10FileError, match=r"test_batch builds numpy.dtype\('O'"):
        cifar10.load_cifar10(tmp_path / "c")


# ------------------------------------------------------------------------ files, labels, protocols


def test_fifo_named_like_a_batch_is_refused_without_blocking(tmp_path, no_env):
    import threading

    make_cifar(tmp_path / "c")
    fifo = tmp_path / "c" / "data_batch_2"
    os.remove(fifo)
    os.mkfifo(fifo)
    outcome = []

    def load():
        try:
            cifar10.load_cifar10(tmp_path / "c")
        except Exception as e:  # noqa: BLE001 (the outcome is checked below)
            outcome.append(e)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():  # the loader blocks in open(): a writer that closes at once releases it
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(timeout=10)
        pytest.fail("load_cifar10 blocked on a FIFO named data_batch_2")
    assert len(outcome) == 1 and isinstance(outcome[0], CIFAR10FileError)
    assert "data_batch_2 is not a regular file; point data_dir at" in str(outcome[0])
    os.remove(fifo)
    os.mkdir(fifo)  # a folder of that name, likewise
    with pytest.raises(CIFAR10FileError, match=r"data_batch_2 is not a regular file"):
        cifar10.load_cifar10(tmp_path / "c")


@pytest.mark.parametrize(
    "labels, found",
    [
        ([[0], [1, 2]], "a list holding list"),  # ragged: numpy cannot even make an array of it
        ([0, [1]], "a list holding list"),
        ([0, True], "a list holding bool"),  # numpy would read True as label 1
        ([0, 1.0], "a list holding float"),
        ([0, b"1"], "a list holding bytes"),
        ((0, 1), "a tuple"),
    ],
)
def test_ragged_or_mixed_labels_are_named_with_the_file(tmp_path, no_env, labels, found):
    make_cifar(tmp_path / "c")
    write_pickle(tmp_path / "c" / "data_batch_5", {b"data": np.zeros((2, 3072), np.uint8), b"labels": labels})
    with pytest.raises(CIFAR10FileError, match=rf"data_batch_5: 'labels' must be a list of 2 ints, got {found}; "):
        cifar10.load_cifar10(tmp_path / "c")


@pytest.mark.parametrize("fortran", [False, True])
def test_protocol_5_batches_load_like_protocol_2(tmp_path, no_env, fortran):
    (x_train, y_train), (x_test, y_test) = make_cifar(tmp_path / "p2")
    make_cifar(tmp_path / "p5")
    for name in (*cifar10.TRAIN_FILES, cifar10.TEST_FILE):
        with open(tmp_path / "p2" / name, "rb") as f:
            batch = pickle.load(f)
        if fortran:
            batch[b"data"] = np.asfortranarray(batch[b"data"])
        write_pickle(tmp_path / "p5" / name, batch, protocol=5)
    assert b"_frombuffer" in (tmp_path / "p5" / "test_batch").read_bytes()
    (a_train, b_train), (a_test, b_test) = cifar10.load_cifar10(tmp_path / "p5")
    np.testing.assert_array_equal(a_train, x_train)
    np.testing.assert_array_equal(a_test, x_test)
    np.testing.assert_array_equal(b_train, y_train)
    np.testing.assert_array_equal(b_test, y_test)
    assert a_test.flags.writeable


def test_protocol_5_still_refuses_other_globals(tmp_path, no_env):
    make_cifar(tmp_path / "c")
    marker = tmp_path / "pwned"
    write_pickle(tmp_path / "c" / "test_batch", {b"data": RunsCommand(f"touch {marker}"), b"labels": []}, protocol=5)
    with pytest.raises(CIFAR10FileError, match=r"test_batch references posix\.system"):
        cifar10.load_cifar10(tmp_path / "c")
    assert not marker.exists()
    # numpy's frombuffer path takes only in-band bytes: no other object stands in for the buffer
    write_pickle(tmp_path / "c" / "test_batch",
                 {b"data": Crafted(FROMBUFFER, ([0] * 3072, np.dtype(np.uint8), (1, 3072), "C")), b"labels": [0]})
    with pytest.raises(CIFAR10FileError, match=r"test_batch builds a numpy _frombuffer call"):
        cifar10.load_cifar10(tmp_path / "c")


def test_local_folder_looks_only_on_this_machine(tmp_path, monkeypatch):
    monkeypatch.delenv("RADAM_CIFAR10_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert radam.cifar10.data.local_folder() is None  # nothing here, and nothing downloaded
    cache = tmp_path / "keras" / "datasets" / "cifar-10-batches-py"
    cache.mkdir(parents=True)
    assert radam.cifar10.data.local_folder() is None  # a folder without the batch files is not data
    (cache / "test_batch").write_bytes(b"")
    assert radam.cifar10.data.local_folder() == str(cache)
    own = tmp_path / "own"
    own.mkdir()
    (own / "test_batch").write_bytes(b"")
    monkeypatch.setenv("RADAM_CIFAR10_DIR", str(own))
    assert radam.cifar10.data.local_folder() == str(own)
    given = tmp_path / "given"
    given.mkdir()
    (given / "test_batch").write_bytes(b"")
    assert radam.cifar10.data.local_folder(given) == str(given)
