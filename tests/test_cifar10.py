"""The CIFAR-10 experiment: arms, resumable runner, results, CLI and figures, on tiny generated data.

The loader's tests are in test_cifar10_data.py, the model's in test_cifar10_model.py.
"""

import csv
import io
import os

import keras
import matplotlib
import numpy as np
import pytest

import radam.cifar10.runner
import radam.keras
from cifar10_files import make_cifar, no_env  # noqa: F401 (no_env is a fixture)
from radam import cifar10, plotting, schedules
from radam.cifar10 import Arm, Results
from radam.cifar10.arms import sweep_name

matplotlib.use("Agg")

TIME_FIELDS = ("train_time_s", "eval_time_s", "images_per_second")


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
        cifar10.parse_arm("x:nesterov=1")
    assert cifar10.parse_arm("x:optimizer=sgd,momentum=0.5") == Arm("x", "sgd", momentum=0.5)
    with pytest.raises(ValueError, match="beta_1 must be a number, got 'high'"):
        cifar10.parse_arm("x:beta_1=high")
    with pytest.raises(ValueError, match="beta_2 must be in \\[0, 1\\), got 1.0"):
        cifar10.parse_arm("x:beta_2=1")
    with pytest.raises(ValueError, match="give total_steps .* or warmup_steps .*, not both"):
        cifar10.parse_arm("x:total_steps=100,warmup_steps=10")
    with pytest.raises(ValueError, match="optimizer must be one of 'adam', 'radam', 'sgd', got 'lamb'"):
        cifar10.parse_arm("x:optimizer=lamb")
    with pytest.raises(ValueError, match="arm name must be letters"):
        cifar10.parse_arm("my arm:beta_1=0.8")


def test_sweep_names_parse_back_to_their_base_and_rate():
    arm = cifar10.get_arm("radam-blog").at_learning_rate(0.003)
    assert arm.name == "radam-blog-lr0.003" and sweep_name(arm.name) == ("radam-blog", 0.003)
    assert sweep_name("adam-warmup") == ("adam-warmup", None)
    assert sweep_name("my-lrx") == ("my-lrx", None)  # not a rate: a name of its own


def test_results_list_arms_in_the_books_order_whatever_order_they_ran_in():
    ran = ["sgd", "custom", "radam-lr0.01", "adam", "radam", "radam-lr0.0001", "adam-warmup"]
    results = Results([Arm(name) for name in ran], {"epochs": 1, "seeds": [0]})
    assert results.arm_names == ["adam", "adam-warmup", "radam", "radam-lr0.0001", "radam-lr0.01", "sgd", "custom"]
    later = Results([Arm("adam-blog"), Arm("another")], {"epochs": 1, "seeds": [0], "data": {"digest": "d"}})
    results.settings["data"] = {"digest": "d"}
    later.keep_saved(results)  # a later invocation's new arms take their place among the saved ones
    assert later.arm_names == [
        "adam", "adam-warmup", "adam-blog", "radam", "radam-lr0.0001", "radam-lr0.01", "sgd", "another", "custom"
    ]


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
    assert sorted(os.listdir(tmp_path)) == [".lock", "checkpoints", "results.csv", "results.json"]
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
    assert not [name for name in os.listdir(tmp_path / "cut") if name.endswith((".tmp", ".partial"))]

    # Asking for fewer epochs reuses the saved ones; other settings refuse the folder; restart starts over.
    assert without_times(cifar10.run_experiment(["radam"], 2, [0], out_dir=tmp_path / "cut", **kwargs).records) == (
        without_times(whole.records[:2])
    )
    with pytest.raises(ValueError, match="the results folder holds runs with batch_size 16, this call has 8"):
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
        (dict(arms=["adam"], epochs=1, seeds=[-1]), r"seeds must be a non-empty list of whole numbers in \[0, 2\*\*32\), got \["),
        (dict(arms=["adam", "adam"], epochs=1), "arms must be a non-empty list of distinct arms"),
        (dict(arms=["adam"], epochs=1, batch_size=0), "batch_size must be a whole number >= 1, got 0"),
        (dict(arms=["lamb"], epochs=1), "unknown arm 'lamb'"),
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
    assert "Named arms: adam, adam-warmup, adam-blog, radam, radam-blog, sgd." in " ".join(capsys.readouterr().out.split())


# --------------------------------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--arms", "adam", "nadam"], "error: unknown arm 'nadam'; choose from adam"),
        (["--epochs", "-3"], "error: argument --epochs: must be a whole number >= 1, got '-3' (see --help)"),
        (["--seeds", "zero"], "error: argument --seeds: must be a whole number in [0, 4294967295], got 'zero'"),
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
    assert "Data: c (data_dir): 40 training and 11 test images used" in out
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


def test_curves_of_complete_runs_leave_out_a_run_still_training():
    results = synthetic_results()
    results.records = [r for r in results.records if not (r["arm"] == "adam" and r["seed"] == 2 and r["epoch"] > 1)]
    results.records = [r for r in results.records if not (r["arm"] == "radam-blog" and r["epoch"] > 3)]
    epochs, values = results.curves()["adam"]
    assert list(epochs) == [1] and values.shape == (3, 1)  # every seed, cut to the shortest
    epochs, values = results.curves(complete_only=True)["adam"]
    assert list(epochs) == [1, 2, 3, 4] and values.shape == (2, 4)
    np.testing.assert_allclose(values.mean(axis=0), [0.105, 0.205, 0.305, 0.405])
    assert "radam-blog" not in results.curves(complete_only=True)  # no seed complete yet


def test_chapter_8_curves_count_the_complete_seeds_their_legend_names():
    from radam.cifar10 import figures

    results = synthetic_results()
    results.records = [r for r in results.records if not (r["arm"] == "adam" and r["seed"] == 2 and r["epoch"] > 2)]
    ax = figures.curves(results).axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["adam (2 seeds)", "radam-blog (3 seeds)"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.105, 0.205, 0.305, 0.405])


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


def test_the_sweep_figure_draws_mean_band_and_best_per_arm_on_a_log_axis():
    from radam.cifar10 import figures

    final = {"adam": {1e-4: {0: 0.5, 1: 0.6}, 1e-2: {0: 0.1, 1: 0.1}}, "radam": {1e-4: {0: 0.4, 1: 0.5}}}
    best = {"adam": {1e-4: {0: 0.7, 1: 0.8}, 1e-2: {0: 0.2, 1: 0.2}}, "radam": {1e-4: {0: 0.45, 1: 0.55}}}
    ax = figures.sweep(final, best, cifar10.NAMED_ARMS).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["adam (2+ seeds)", "adam: best epoch", "radam (2+ seeds)", "radam: best epoch", "chance (1 in 10)"]
    adam_final, adam_best, radam_final = ax.lines[:3]
    np.testing.assert_allclose(adam_final.get_xdata(), [1e-4, 1e-2])
    np.testing.assert_allclose(adam_final.get_ydata(), [0.55, 0.1])
    np.testing.assert_allclose(adam_best.get_ydata(), [0.75, 0.2])
    assert adam_final.get_color() == figures.arm_style(cifar10.NAMED_ARMS["adam"])["color"] != radam_final.get_color()
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.1) and band[:, 1].max() == pytest.approx(0.6)
    assert ax.get_xscale() == "log" and ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert ax.lines[-1].get_ydata()[0] == pytest.approx(0.1)
    matplotlib.pyplot.close(ax.figure)
