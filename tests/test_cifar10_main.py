"""radam.cifar10.__main__: the command line (help, one-line errors, arms from the arguments, a run)."""

import numpy as np
import pytest

from cifar10_files import make_cifar, no_env  # noqa: F401 (no_env is a fixture)
from radam import cifar10
from radam.cifar10 import Arm, Results

pytest.importorskip("keras", reason="the command line trains with Keras")


def test_cli_help_lists_the_arms(capsys):
    with pytest.raises(SystemExit) as exit_:
        cifar10.main(["--help"])
    assert exit_.value.code == 0
    assert "Named arms: adam, adam-warmup, adam-blog, radam, radam-blog, sgd." in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--arms", "adam", "nadam"], "error: unknown arm 'nadam'; choose from adam"),
        (["--epochs", "-3"], "error: argument --epochs: must be a whole number >= 1, got '-3' (see --help)"),
        (["--seeds", "zero"], "error: argument --seeds: must be a whole number in [0, 4294967295], got 'zero'"),
        (["--custom", "x:beta_2=2", "--arms", "x"], "error: beta_2 must be in [0, 1), got 2.0"),
        (["--data-dir", "/no/such/folder"], "error: CIFAR-10 folder /no/such/folder (data_dir) does not exist"),
        (["--validation-images", "-5"], "error: argument --validation-images: must be a whole number >= 0, got '-5'"),
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


def test_sweeps_and_scaled_schedules_from_the_command_line(tmp_path):
    from radam.cifar10.__main__ import arms_from_args, parse_args

    args = parse_args(["--arms", "adam", "radam-blog", "--learning-rates", "1e-4", "3e-3", "--scale-schedules"])
    arms = arms_from_args(args)
    assert [arm.name for arm in arms] == ["adam-lr0.0001", "adam-lr0.003", "radam-blog-lr0.0001", "radam-blog-lr0.003"]
    assert arms[3].learning_rate == 3e-3 and arms[3].total_steps == 5000
    assert arms[3].scaled(86).total_steps == round(5000 * 86 / 782) == 550
    assert cifar10.NAMED_ARMS["radam-blog"].scaled(782) == cifar10.NAMED_ARMS["radam-blog"]
    assert cifar10.NAMED_ARMS["adam-warmup"].scaled(86) == cifar10.NAMED_ARMS["adam-warmup"]


def test_the_split_and_the_augmentation_reach_the_runner(monkeypatch, tmp_path):
    seen = {}

    def fake_run(arms, epochs, seeds, **options):
        seen.update(options)
        raise ValueError("stop here")

    monkeypatch.setattr(cifar10.__main__, "run_experiment", fake_run)
    assert cifar10.main(["--validation-images", "1000", "--augment", "--out", str(tmp_path)]) == 2
    assert seen["validation_images"] == 1000 and seen["augment"] is True
    assert cifar10.main(["--out", str(tmp_path)]) == 2
    assert seen["validation_images"] == 0 and seen["augment"] is False
