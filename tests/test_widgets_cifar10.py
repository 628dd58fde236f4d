"""The playground's CIFAR-10 mini-experiment (radam.widgets.cifar10_app): on the live-figure core, and showing
committed results until Run trains live."""

import json
import subprocess
import sys

import numpy as np
import pytest

from radam import widgets
from radam.widgets.core import FigureDashboard


def write_results(folder, arms=("adam", "radam-blog"), seeds=(0, 1, 2), epochs=4):
    """A results.json as radam.cifar10 writes it, with known validation accuracies (no TensorFlow needed)."""
    records = [
        {"arm": arm, "seed": seed, "epoch": epoch, "val_accuracy": 0.1 * epoch + 0.01 * seed + 0.3 * i}
        for seed in seeds
        for i, arm in enumerate(arms)
        for epoch in range(1, epochs + 1)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    saved = {"settings": {"epochs": epochs, "steps_per_epoch": 10}, "arms": [{"name": arm} for arm in arms],
             "runs": [], "records": records}
    (folder / "results.json").write_text(json.dumps(saved))
    return folder


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


def test_reference_curves_match_results_curves(tmp_path):
    """saved_curves reads a results folder as Results.curves does (here against the real class)."""
    from radam.cifar10 import Results, get_arm

    arms = [get_arm("adam"), get_arm("radam-blog")]
    records = [
        {"arm": arm.name, "seed": seed, "epoch": epoch, "val_accuracy": 0.05 * epoch - 0.01 * seed + 0.2 * i}
        for seed in (3, 5)
        for i, arm in enumerate(arms)
        for epoch in range(1, 4 if seed == 3 else 3)  # seed 5 has fewer epochs: only the common ones count
    ]
    results = Results(arms, {"epochs": 3, "steps_per_epoch": 10}, records)
    (tmp_path / "results.json").write_text(json.dumps(results.to_json()))
    expected = results.curves()
    for given in (results, tmp_path):
        got = widgets.saved_curves(given)
        assert list(got) == list(expected)
        for arm in expected:
            np.testing.assert_array_equal(got[arm][0], expected[arm][0])
            np.testing.assert_array_equal(got[arm][1], expected[arm][1])
    shown = widgets.cifar10_experiment(results=results)
    assert "2 seeds, 2 epochs" in shown.caption.value


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
