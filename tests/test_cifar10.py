"""The CIFAR-10 experiment: loader, model, arms, resumable runner, CLI and figures, on tiny generated data."""

import csv
import io
import os
import pickle
import socket
import tarfile

import keras
import matplotlib
import numpy as np
import pytest

import radam.cifar10.data
import radam.cifar10.runner
import radam.keras
from radam import cifar10, plotting, schedules
from radam.cifar10 import Arm, CIFAR10FileError, Results

matplotlib.use("Agg")

TIME_FIELDS = ("train_time_s", "eval_time_s", "images_per_second")


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
    for name, n in zip([*cifar10.TRAIN_FILES, cifar10.TEST_FILE], [*counts, n_test]):
        write_batch(os.path.join(folder, name), images[start : start + n], labels[start : start + n])
        start += n
    train = sum(counts)
    return (images[:train], labels[:train]), (images[train:], labels[train:])


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No RADAM_CIFAR10_DIR and an empty Keras home, so nothing outside tmp_path is found."""
    monkeypatch.delenv("RADAM_CIFAR10_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


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


# ------------------------------------------------------------------------------------------- model


def test_model_is_the_blogs_cnn():
    model = cifar10.build_model()
    assert model.count_params() == 550_570
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [32, 32, 64, 64, 128, 128]
    assert all(c.padding == "same" and c.kernel_size == (3, 3) for c in convs)
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.2] * 4
    assert model.output_shape == (None, 10)


def test_mixed_precision_model_keeps_a_float32_softmax():
    model = cifar10.build_model(mixed_precision=True)
    assert model.layers[0].compute_dtype == "float16"
    assert model.layers[-1].compute_dtype == "float32"
    assert model.count_params() == 550_570


# -------------------------------------------------------------------------------------------- arms


@pytest.mark.parametrize(
    "keras_schedule, reference",
    [
        (radam.keras.WarmupThenLinearDecay(1e-3, 500.0, 5000, 1e-5), schedules.warmup_then_linear_decay(1e-3, 5000, 0.1, 1e-5)),
        (radam.keras.WarmupThenLinearDecay(1e-3, 2000.0), schedules.untuned_linear_warmup(1e-3, 0.999)),
        (radam.keras.WarmupThenLinearDecay(2e-3, 0.0, 300, 0.0), schedules.warmup_then_linear_decay(2e-3, 300, 0.0, 0.0)),
    ],
)
def test_keras_schedule_matches_the_numpy_schedules(keras_schedule, reference):
    steps = np.arange(0, 6000)
    got = keras.ops.convert_to_numpy(keras_schedule(steps))
    np.testing.assert_allclose(got, reference(steps + 1), rtol=1e-6, atol=1e-9)  # float32: 1e-6 of lr


def test_named_arms_report_their_learning_rates():
    assert cifar10.get_arm("radam-blog").lr_at(250) == pytest.approx(5e-4)
    assert cifar10.get_arm("radam-blog").lr_at(5000) == pytest.approx(1e-5)
    assert cifar10.get_arm("adam-warmup").lr_at(1000) == pytest.approx(5e-4)
    assert cifar10.get_arm("adam-warmup").lr_at(2000) == pytest.approx(1e-3)
    np.testing.assert_allclose(cifar10.get_arm("adam").lr_at(np.array([1, 10**6])), [1e-3, 1e-3])
    with pytest.raises(ValueError, match="unknown arm 'nadam'; choose from adam, "):
        cifar10.get_arm("nadam")


@pytest.mark.parametrize("name", ["adam", "adam-warmup", "adam-blog", "radam", "radam-blog"])
def test_each_arms_optimizer_uses_the_rate_it_reports(name):
    arm = cifar10.get_arm(name)
    optimizer = arm.make_optimizer()
    assert isinstance(optimizer, cifar10.RAdam if arm.optimizer == "radam" else keras.optimizers.Adam)
    for iterations in (0, 99, 499, 1999, 2999, 7000):
        optimizer.iterations.assign(iterations)
        got = float(keras.ops.convert_to_tensor(optimizer.learning_rate))
        assert got == pytest.approx(arm.lr_at(iterations + 1), rel=1e-6, abs=1e-9)


def test_custom_arms_from_specs():
    arm = cifar10.parse_arm("radam-b0.99:optimizer=radam,beta_2=0.99,warmup_steps=untuned")
    assert arm == Arm("radam-b0.99", "radam", beta_2=0.99, warmup_steps=2 / (1 - 0.99))
    arm = cifar10.parse_arm("blog2:total-steps=8000,min_lr=0,learning_rate=3e-3")
    assert (arm.total_steps, arm.min_lr, arm.learning_rate) == (8000, 0.0, 3e-3)
    assert Arm(**arm.config()) == arm
    with pytest.raises(ValueError, match="expected key=value with a key from optimizer, "):
        cifar10.parse_arm("x:momentum=0.9")
    with pytest.raises(ValueError, match="beta_1 must be a number, got 'high'"):
        cifar10.parse_arm("x:beta_1=high")
    with pytest.raises(ValueError, match="beta_2 must be in \\[0, 1\\), got 1.0"):
        cifar10.parse_arm("x:beta_2=1")
    with pytest.raises(ValueError, match="give total_steps .* or warmup_steps .*, not both"):
        cifar10.parse_arm("x:total_steps=100,warmup_steps=10")
    with pytest.raises(ValueError, match="optimizer must be 'adam' or 'radam', got 'sgd'"):
        cifar10.parse_arm("x:optimizer=sgd")
    with pytest.raises(ValueError, match="arm name must be letters"):
        cifar10.parse_arm("my arm:beta_1=0.8")


# ---------------------------------------------------------------------------------------- training


def tiny_data(n_train=48, n_test=24, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n_train + n_test, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, n_train + n_test)
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def without_times(records):
    return [{k: v for k, v in r.items() if k not in TIME_FIELDS} for r in records]


@pytest.mark.slow
def test_one_epoch_writes_json_and_csv(tmp_path):
    results = cifar10.run_experiment(
        ["adam", "radam-blog"], 1, [3], data=tiny_data(), batch_size=16, out_dir=tmp_path, progress=False
    )
    assert sorted(os.listdir(tmp_path)) == ["checkpoints", "results.csv", "results.json"]
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["adam-seed3.npz", "radam-blog-seed3.npz"]
    saved = Results.load(tmp_path)
    assert saved.records == results.records and saved.arms == results.arms
    keys = [(r["arm"], r["seed"], r["epoch"], r["step"]) for r in saved.records]
    assert keys == [("adam", 3, 1, 3), ("radam-blog", 3, 1, 3)]
    assert saved.settings["data"]["used_train"] == 48 and saved.settings["steps_per_epoch"] == 3
    for record in saved.records:
        assert record["learning_rate"] == pytest.approx(cifar10.get_arm(record["arm"]).lr_at(3))
        assert 0 <= record["val_accuracy"] <= 1 and record["images_per_second"] > 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "results.csv").read_text())))
    assert list(rows[0]) == list(cifar10.RECORD_FIELDS)
    assert [float(row["val_loss"]) for row in rows] == [r["val_loss"] for r in saved.records]
    table = cifar10.summary_table(saved)
    assert [row["arm"] for row in table] == ["adam", "radam-blog"]
    assert table[0]["final_mean"] == saved.records[0]["val_accuracy"]


@pytest.mark.slow
def test_resume_after_interruption_matches_an_uninterrupted_run(tmp_path):
    data = tiny_data()
    kwargs = dict(data=data, batch_size=16, progress=False)
    whole = cifar10.run_experiment(["radam"], 3, [0], out_dir=tmp_path / "whole", **kwargs)

    def interrupt(record):
        raise KeyboardInterrupt(f"after epoch {record['epoch']}")

    with pytest.raises(KeyboardInterrupt):
        cifar10.run_experiment(["radam"], 3, [0], out_dir=tmp_path / "cut", on_epoch_end=interrupt, **kwargs)
    assert [r["epoch"] for r in Results.load(tmp_path / "cut").records] == [1]
    seen = []
    resumed = cifar10.run_experiment(["radam"], 3, [0], out_dir=tmp_path / "cut", on_epoch_end=seen.append, **kwargs)
    assert [r["epoch"] for r in seen] == [2, 3]
    assert without_times(resumed.records) == without_times(whole.records)
    assert without_times(Results.load(tmp_path / "cut").records) == without_times(whole.records)
    assert not [name for name in os.listdir(tmp_path / "cut") if name.endswith(".tmp")]

    # Asking for fewer epochs reuses the saved ones; other settings refuse the folder; restart starts over.
    assert without_times(cifar10.run_experiment(["radam"], 2, [0], out_dir=tmp_path / "cut", **kwargs).records) == (
        without_times(whole.records[:2])
    )
    with pytest.raises(ValueError, match="radam-seed0.npz holds a run with other settings .*restart"):
        cifar10.run_experiment(["radam"], 3, [0], out_dir=tmp_path / "cut", data=data, batch_size=8, progress=False)
    restarted = cifar10.run_experiment(["radam"], 1, [0], out_dir=tmp_path / "cut", restart=True, **kwargs)
    assert without_times(restarted.records) == without_times(whole.records[:1])


@pytest.mark.slow
def test_arms_of_a_seed_share_initial_weights_and_batches():
    arms = ["adam", Arm("adam-again"), "radam"]
    results = cifar10.run_experiment(arms, 1, [0, 1], data=tiny_data(), batch_size=16, progress=False)
    digests = {(run["arm"], run["seed"]): run["initial_weights"] for run in results.runs}
    keras.utils.set_random_seed(1)
    expected = cifar10.runner._digest([v.numpy() for v in cifar10.build_model().variables])
    assert digests[("adam", 1)] == digests[("adam-again", 1)] == digests[("radam", 1)] == expected
    assert digests[("adam", 0)] == digests[("radam", 0)] != expected
    # Same weights, batches and dropout masks: two arms with the same optimizer train identically.
    by_arm = {(r["arm"], r["seed"]): r for r in without_times(results.records)}
    for seed in (0, 1):
        assert {**by_arm[("adam", seed)], "arm": "x"} == {**by_arm[("adam-again", seed)], "arm": "x"}
    assert by_arm[("adam", 0)]["train_loss"] != by_arm[("radam", 0)]["train_loss"]


@pytest.mark.slow
def test_mixed_precision_and_mirrored_strategy_train(tmp_path):
    results = cifar10.run_experiment(
        ["radam-blog"],
        1,
        data=tiny_data(32, 16),
        batch_size=16,
        mixed_precision=True,
        distribute=True,
        out_dir=tmp_path,
        progress=False,
    )
    assert np.isfinite(results.records[0]["train_loss"]) and results.settings["mixed_precision"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(arms=["adam"], epochs=0), "epochs must be a whole number >= 1, got 0"),
        (dict(arms=["adam"], epochs=1, seeds=[-1]), r"seeds must be a non-empty list of whole numbers >= 0, got \["),
        (dict(arms=["adam", "adam"], epochs=1), "arms must be a non-empty list of distinct arms"),
        (dict(arms=["adam"], epochs=1, batch_size=0), "batch_size must be a whole number >= 1, got 0"),
        (dict(arms=["sgd"], epochs=1), "unknown arm 'sgd'"),
        (
            dict(arms=["adam"], epochs=1, data=((np.zeros((4, 32, 32, 3)), np.zeros(4)), tiny_data()[1])),
            r"x_train must be uint8 images of shape \(N, 32, 32, 3\) with N >= 1, got float64 array of shape",
        ),
    ],
)
def test_runner_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cifar10.run_experiment(**{"data": tiny_data(), **kwargs})


def test_cli_help_lists_the_arms(capsys):
    with pytest.raises(SystemExit) as exit_:
        cifar10.main(["--help"])
    assert exit_.value.code == 0
    assert "Named arms: adam, adam-warmup, adam-blog, radam, radam-blog." in " ".join(capsys.readouterr().out.split())


# --------------------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--arms", "adam", "nadam"], "error: unknown arm 'nadam'; choose from adam"),
        (["--epochs", "-3"], "error: argument --epochs: must be a whole number >= 1, got '-3' (see --help)"),
        (["--seeds", "zero"], "error: argument --seeds: must be a whole number >= 0, got 'zero'"),
        (["--custom", "x:beta_2=2", "--arms", "x"], "error: beta_2 must be in [0, 1), got 2.0"),
        (["--data-dir", "/no/such/folder"], "error: CIFAR-10 folder /no/such/folder (data_dir) does not exist"),
    ],
)
def test_cli_errors_are_one_line(argv, message, capsys, tmp_path):
    try:
        status = cifar10.main([*argv, "--out", str(tmp_path / "out")])
    except SystemExit as e:
        status = e.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("python -m radam.cifar10: ") and message in err


@pytest.mark.slow
def test_cli_trains_and_prints_the_summary(tmp_path, capsys, no_env):
    make_cifar(tmp_path / "c", counts=(9, 8, 7, 9, 8), n_test=11)
    argv = ["--arms", "adam", "b2", "--custom", "b2:optimizer=radam,beta_2=0.99", "--epochs", "1", "--seeds", "0", "1"]
    argv += ["--data-dir", str(tmp_path / "c"), "--batch-size", "32", "--train-limit", "40"]
    argv += ["--out", str(tmp_path / "o")]
    assert cifar10.main(argv) == 0
    out = capsys.readouterr().out
    assert "adam seed 1 [" in out and "1.0/1 epochs" in out
    assert f"Data: {tmp_path / 'c'} (data_dir): 40 training and 11 test images used" in out
    assert "| epoch 1: loss " in out
    table = out[out.index("arm ") :].splitlines()
    assert table[1].split()[:3] == ["adam", "2", "1"] and table[2].split()[:3] == ["b2", "2", "1"]
    saved = Results.load(tmp_path / "o")
    assert saved.arms[1] == Arm("b2", "radam", beta_2=0.99)
    finals = [r["val_accuracy"] for r in saved.records if r["arm"] == "b2"]
    assert table[2].split()[3:6] == [f"{np.mean(finals):.4f}", "+/-", f"{np.std(finals, ddof=1):.4f}"]


# ------------------------------------------------------------------------------------------ figures


def synthetic_results():
    """Results with known numbers: two arms, three seeds, four epochs, no training."""
    arms = [cifar10.get_arm("adam"), cifar10.get_arm("radam-blog")]
    records = [
        {"arm": arm.name, "seed": seed, "epoch": epoch, "val_accuracy": 0.1 * epoch + 0.01 * seed + 0.3 * i}
        | {"val_loss": 2.0 / epoch + seed, "train_loss": 1.5 / epoch - i}
        for i, arm in enumerate(arms)
        for seed in range(3)
        for epoch in range(1, 5)
    ]
    return Results(arms, {"epochs": 4, "steps_per_epoch": 2000}, records)


def test_summary_table_of_known_numbers():
    rows = cifar10.summary_table(synthetic_results())
    assert rows[0]["final_mean"] == pytest.approx(0.41) and rows[0]["final_std"] == pytest.approx(0.01)
    assert rows[1]["best_mean"] == pytest.approx(0.71) and rows[1]["seeds"] == 3 and rows[1]["epochs"] == 4
    line = cifar10.format_summary(rows).splitlines()[2]
    assert line == "radam-blog         3      4   0.7100 +/- 0.0100   0.7100 +/- 0.0100"


def test_learning_curve_figure_shows_mean_and_band():
    fig = plotting.cifar10_curves(synthetic_results(), band="minmax")
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "validation accuracy"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["adam (3 seeds)", "radam-blog (3 seeds)"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.11, 0.21, 0.31, 0.41])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.1) and band.max() == pytest.approx(0.42)
    with pytest.raises(ValueError, match="band must be 'minmax' or 'std', got 'iqr'"):
        plotting.cifar10_curves(synthetic_results(), band="iqr")


def test_learning_rate_figure_follows_each_arms_schedule():
    fig = plotting.cifar10_overview(synthetic_results(), band="std", title="overview")
    ax = fig.axes[3]
    assert ax.get_xlabel() == "epoch" and ax.get_yscale() == "log"
    blog = ax.lines[1]
    epoch, lr = blog.get_xdata(), blog.get_ydata()
    np.testing.assert_allclose(lr, schedules.warmup_then_linear_decay(1e-3, 5000, 0.1, 1e-5)(epoch * 2000))
    assert epoch.max() == pytest.approx(4.0) and lr[-1] == pytest.approx(1e-5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["adam", "radam-blog"]
