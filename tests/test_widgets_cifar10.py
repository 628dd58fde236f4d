"""The playground's CIFAR-10 mini-experiment (radam.widgets.cifar10_app): on the live-figure core, and showing
committed results until Run trains live."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from radam import frames, widgets
from results_files import record, results_json, write_results_json
from radam.widgets.core import FigureDashboard


def write_results(folder, arms=("adam", "radam-blog"), seeds=(0, 1, 2), epochs=4):
    """A results.json as radam.cifar10 writes it, with known validation accuracies (no TensorFlow needed)."""
    records = [
        record(arm, seed, epoch, val_accuracy=0.1 * epoch + 0.01 * seed + 0.3 * i)
        for seed in seeds
        for i, arm in enumerate(arms)
        for epoch in range(1, epochs + 1)
    ]
    return write_results_json(folder, results_json(records, arms, seeds, epochs))


def test_cifar10_dashboard_is_built_without_tensorflow_and_previews_the_schedule(tmp_path):
    """Neither building it, nor moving a control, nor showing committed results imports TensorFlow."""
    write_results(tmp_path / "reference")
    code = (
        "import sys\n"
        "from radam import widgets\n"
        "e = widgets.cifar10_experiment()\n"
        "before = e.image.value\n"
        "e.controls['warmup_proportion'].value = 0.3\n"
        "assert e.image.value != before and e.status.value.startswith('Not trained yet')\n"
        f"r = widgets.cifar10_experiment(results={str(tmp_path / 'reference')!r})\n"
        "assert r.figure.axes[0].get_title() == 'Reference run: validation accuracy'\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["False", "False"]


def test_cifar10_dashboard_rejects_bad_sizes():
    with pytest.raises(ValueError, match="train_images must be a whole number >= 1, got 0"):
        widgets.cifar10_experiment(train_images=0)


def test_cifar10_dashboard_is_a_figure_dashboard():
    """The app redraws through the core's FigureDashboard: same figure, same Image, controls wired by observe."""
    experiment = widgets.cifar10_experiment()
    assert isinstance(experiment, FigureDashboard)
    figure, image = experiment.figure, experiment.image
    experiment.controls["one_minus_beta_2"].value = 1e-2
    assert experiment.figure is figure and experiment.image is image and len(figure.axes) == 2
    left = figure.axes[0]
    assert [t.get_text() for t in left.texts] == ["press Run to train"]
    assert experiment.widget.children[-1] is image  # no caption without results


def test_without_a_kernel_the_app_shows_the_reference_runs_curves(tmp_path):
    """Given committed results, the picture (which the static page keeps) holds their curves and a caption."""
    folder = write_results(tmp_path / "reference")
    experiment = widgets.cifar10_experiment(results=folder)
    left = experiment.figure.axes[0]
    assert left.get_title() == "Reference run: validation accuracy" and not left.texts
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["adam (3 seeds)", "radam-blog (3 seeds)"]
    np.testing.assert_allclose(left.lines[0].get_ydata(), [0.11, 0.21, 0.31, 0.41])
    np.testing.assert_allclose(left.lines[1].get_xdata(), [1, 2, 3, 4])
    caption = experiment.widget.children[-1]
    assert caption is experiment.caption and "reference run" in caption.value and "Colab" in caption.value
    assert "adam, radam-blog; 3 seeds, 4 epochs" in caption.value
    assert experiment.status.value.startswith("Not trained yet")
    # the same from the results.json file itself, and the schedules still follow the controls
    again = widgets.cifar10_experiment(results=folder / "results.json")
    assert again.image.value == experiment.image.value
    experiment.controls["total_steps"].value = 0
    assert experiment.image.value != again.image.value
    assert experiment.figure.axes[0].get_title() == "Reference run: validation accuracy"


def test_a_results_folder_shows_as_its_results_do(tmp_path):
    """A folder is read with Results.load (NumPy only): it shows as the Results object it holds."""
    from radam.cifar10 import Results

    folder = write_results(tmp_path / "reference", seeds=(3, 5))
    results = Results.load(folder)
    from_folder, from_results = widgets.cifar10_experiment(results=folder), widgets.cifar10_experiment(results=results)
    assert from_folder.image.value == from_results.image.value
    assert from_folder.caption.value == from_results.caption.value
    assert "2 seeds, 4 epochs" in from_results.caption.value


def test_results_without_records_are_refused(tmp_path):
    write_results(tmp_path / "empty", seeds=())
    with pytest.raises(ValueError, match="hold no records to show"):
        widgets.cifar10_experiment(results=tmp_path / "empty")
    with pytest.raises(FileNotFoundError):
        widgets.cifar10_experiment(results=tmp_path / "missing")


@pytest.mark.slow
def test_cifar10_dashboard_trains_both_arms_with_progress(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(96, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=96)
    data = ((images[:64], labels[:64]), (images[64:], labels[64:]))
    experiment = widgets.cifar10_experiment(data=data, train_images=64, test_images=32, batch_size=32,
                                            results=write_results(tmp_path / "reference"))
    experiment.controls["epochs"].value = 2
    experiment.controls["total_steps"].value = 4
    before = experiment.image.value
    experiment.run()
    assert experiment.progress.value == experiment.progress.max == 4
    assert [(r["arm"], r["epoch"]) for r in experiment.records] == [("Adam", 1), ("Adam", 2), ("RAdam", 1), ("RAdam", 2)]
    radam_arm = experiment.results.arms[1]
    assert (radam_arm.optimizer, radam_arm.total_steps, radam_arm.warmup_proportion) == ("radam", 4, 0.1)
    assert experiment.status.value.startswith("done: Adam") and not experiment.button.disabled
    assert experiment.image.value != before
    left = experiment.figure.axes[0]  # the live curves replace the reference run's
    assert left.get_title() == "Validation accuracy (32 test images)"
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["Adam", "RAdam"]


# The explorer of committed runs (radam.widgets.cifar10_runs): the static page's CIFAR-10 controls


def write_arms(folder, arms, seeds, epochs=3):
    """A results folder with ``arms`` (full Arm configs); val_accuracy = 0.1 * epoch + 0.01 * seed + lr."""
    records = [
        record(arm["name"], seed, epoch, val_accuracy=0.1 * epoch + 0.01 * seed + arm["learning_rate"])
        for seed in seeds
        for arm in arms
        for epoch in range(1, epochs + 1)
    ]
    content = results_json(records, [arm["name"] for arm in arms], seeds, epochs)
    content["arms"] = [dict(arm) for arm in arms]
    return write_results_json(folder, content)


ADAM = {"name": "adam", "optimizer": "adam", "learning_rate": 1e-3}
WARMUP = {"name": "adam-warmup", "optimizer": "adam", "learning_rate": 1e-3, "warmup_steps": 20.0}
RADAM = {"name": "radam", "optimizer": "radam", "learning_rate": 1e-3}


def swept(arm, lr):
    return {**arm, "name": f"{arm['name']}-lr{lr:g}", "learning_rate": lr}


def committed(tmp_path, sweep_arms=(ADAM, WARMUP, RADAM)):
    from radam.cifar10 import Results

    reference = write_arms(tmp_path / "reference", [ADAM, WARMUP, RADAM], seeds=(0, 1, 2))
    sweep = write_arms(tmp_path / "sweep", [swept(a, lr) for a in sweep_arms for lr in (1e-5, 1e-2)], seeds=(0, 1))
    return [Results.load(reference), Results.load(sweep)]


needs_stack = pytest.mark.skipif(
    not frames.available(),
    reason="this ipywidgets has no Stack, so the explorer is live there (test_the_explorer_is_live_without_stack)",
)


@needs_stack
def test_committed_runs_are_grouped_by_base_arm_rate_and_seed(tmp_path):
    from radam.widgets.cifar10_runs import MEAN, base_name, committed_runs_explorer

    assert [base_name(n) for n in ("radam-lr0.003", "adam-warmup-lr1e-05", "adam-warmup")] == ["radam", "adam-warmup",
                                                                                               "adam-warmup"]
    explorer = committed_runs_explorer(committed(tmp_path))
    assert explorer.rates == [1e-5, 1e-3, 1e-2] and explorer.seeds == [0, 1, 2]
    controls = explorer.dashboard.controls
    assert [label for label, _ in controls["learning_rate"].options] == ["1e-05", "0.001", "0.01"]
    assert controls["learning_rate"].index == 1  # the book's rate first
    # seed 2 was run at 1e-3 only: it counts in the mean there, but is no option of its own
    assert [label for label, _ in controls["seed"].options] == ["mean over seeds", "seed 0", "seed 1"]
    assert [label for label, _ in controls["arm"].options] == ["adam", "adam-warmup", "radam"]
    epochs, mean, low, high = explorer.curve("radam", 1e-3, MEAN)
    np.testing.assert_allclose(mean, 0.1 * np.arange(1, 4) + 0.01 + 1e-3)  # seeds 0, 1, 2
    np.testing.assert_allclose(high - low, 0.02)
    epochs, one, low, high = explorer.curve("adam-warmup", 1e-2, 1)
    np.testing.assert_allclose(one, 0.1 * np.arange(1, 4) + 0.01 + 1e-2)
    np.testing.assert_array_equal(epochs, [1, 2, 3])


def test_committed_runs_follow_each_records_seed_and_leave_out_runs_still_training(tmp_path):
    """Records in any order; a seed with fewer epochs than the results' settings is still training."""
    import random

    from radam.cifar10 import Results
    from radam.widgets.cifar10_runs import committed_runs

    folder = write_arms(tmp_path / "mixed", [ADAM], seeds=(0, 1, 2))
    content = json.loads((folder / "results.json").read_text())
    content["records"] = [r for r in content["records"] if not (r["seed"] == 1 and r["epoch"] == 3)]
    random.Random(0).shuffle(content["records"])
    write_results_json(folder, content)
    runs, styles = committed_runs([Results.load(folder)], ("adam",))
    assert sorted(runs) == [("adam", 1e-3, 0), ("adam", 1e-3, 2)]
    np.testing.assert_allclose(runs[("adam", 1e-3, 2)][1], 0.1 * np.arange(1, 4) + 0.02 + 1e-3)


@needs_stack
def test_every_control_of_the_committed_runs_explorer_changes_the_picture(tmp_path):
    from radam.widgets.cifar10_runs import committed_runs_explorer

    explorer = committed_runs_explorer(committed(tmp_path), static=True)
    shown = explorer.dashboard.picture
    first = shown(arm=0, learning_rate=1, seed=0)
    assert first != shown(arm=2, learning_rate=1, seed=0)
    assert first != shown(arm=0, learning_rate=2, seed=0)
    assert first != shown(arm=0, learning_rate=1, seed=1)
    assert first[0] == shown(arm=2, learning_rate=2, seed=2)[0]  # one background under every setting
    assert len(explorer.dashboard.unique_pictures) == 1 + 3 * 3 * 3


def committed_runs_explorer_of(tmp_path):
    from radam.widgets.cifar10_runs import committed_runs_explorer

    return committed_runs_explorer(committed(tmp_path), static=False)


def test_the_explorer_is_live_without_stack(tmp_path):
    """Where ipywidgets has no Stack (Colab's 7.7) the explorer is a live dashboard: a control redraws the picture."""
    from radam.widgets.layered import LayeredDashboard

    explorer = committed_runs_explorer_of(tmp_path)
    assert isinstance(explorer.dashboard, LayeredDashboard)
    before = explorer.dashboard.image.value
    explorer.dashboard.controls["arm"].value = "radam"
    after_arm = explorer.dashboard.image.value
    explorer.dashboard.controls["learning_rate"].value = 1e-2
    assert before != after_arm != explorer.dashboard.image.value


def test_committed_runs_take_chapter_8s_colours(tmp_path):
    """One colour per optimizer, as in chapter 8: Adam blue, the warmup green, RAdam vermillion."""
    from radam import plotting

    styles = committed_runs_explorer_of(tmp_path).styles
    assert {arm: style["color"] for arm, style in styles.items()} == {
        "adam": plotting.COLORS["Adam"], "adam-warmup": plotting.COLORS["Adam + warmup"],
        "radam": plotting.COLORS["RAdam"],
    }


def test_committed_runs_explorer_refuses_what_it_cannot_show(tmp_path):
    from radam.cifar10 import Results
    from radam.widgets.cifar10_runs import committed_runs_explorer

    results = committed(tmp_path)
    with pytest.raises(ValueError, match=r"arms \['sgd'\] have no complete run"):
        committed_runs_explorer(results, arms=("adam", "sgd"))
    with pytest.raises(ValueError, match="arms must be a non-empty sequence"):
        committed_runs_explorer(results, arms="adam")
    other = write_arms(tmp_path / "other", [{**swept(ADAM, 1e-2), "beta_2": 0.99}], seeds=(5,))
    with pytest.raises(ValueError, match="the runs of 'adam' at learning_rate 0.01 differ in other settings"):
        committed_runs_explorer(results + [Results.load(other)])
    lonely = write_arms(tmp_path / "lonely", [swept(ADAM, 0.1)], seeds=(7,))
    with pytest.raises(ValueError, match="no seed was run for every arm"):
        committed_runs_explorer(results + [Results.load(lonely)])


@pytest.mark.source_tree  # reads book/results
def test_the_book_s_committed_runs_feed_the_explorer():
    """Chapter 9's explorer over chapter 8's sweep without its control, checked against Results.curves."""
    from radam.cifar10 import load_book_results
    from radam.widgets.cifar10_runs import MEAN, base_name, committed_runs_explorer

    sweep = load_book_results("rate-sweep", str(Path(__file__).resolve().parents[1] / "book" / "results"))
    arms = ("adam-b0.99", "adam-warmup-b0.99", "radam-b0.99")
    with pytest.raises(ValueError, match="no seed was run for every arm"):  # the control: Adam at 0.9 x each rate
        committed_runs_explorer([sweep], arms, static=False)
    rates = {arm.learning_rate for arm in sweep.arms if base_name(arm.name) == "radam-b0.99"}
    sweep.drop([arm for arm in sweep.arms if arm.learning_rate not in rates], sweep.settings["seeds"])
    explorer = committed_runs_explorer([sweep], arms, static=False)
    assert explorer.arms == arms and explorer.rates == sorted(rates) and len(rates) == 7
    assert explorer.seeds == [0, 1, 2]
    curves = sweep.curves()
    np.testing.assert_allclose(explorer.curve("radam-b0.99", 1e-3, MEAN)[1],
                               curves["radam-b0.99-lr0.001"][1].mean(axis=0))
    np.testing.assert_allclose(explorer.curve("adam-warmup-b0.99", 1e-2, 1)[1],
                               curves["adam-warmup-b0.99-lr0.01"][1][1])


def test_the_live_app_uses_chapter_8s_colours_and_short_readouts(tmp_path):
    from radam import plotting

    folder = write_arms(tmp_path / "reference", [ADAM, WARMUP, RADAM], seeds=(0,))
    experiment = widgets.cifar10_experiment(results=folder)
    colours = [line.get_color() for line in experiment.figure.axes[0].lines]
    assert colours == [plotting.COLORS["Adam"], plotting.COLORS["Adam + warmup"], plotting.COLORS["RAdam"]]
    assert experiment.controls["min_lr"].readout_format == experiment.controls["one_minus_beta_2"].readout_format
    assert experiment.controls["min_lr"].readout_format == ".2e"  # d3: 1e-5 shows "1.00e-5", not "0.0000100"
