"""radam.transformer.__main__: the command line trains into a folder, resumes there and refuses other settings."""

import json

import pytest

pytest.importorskip("keras", reason="the command line trains with Keras")

from radam.transformer import live  # noqa: E402
from radam.transformer.__main__ import main  # noqa: E402

TINY = ["--vocab", "5", "--length", "4", "--n-train", "32", "--n-eval", "16", "--width", "8", "--depth", "1",
        "--heads", "2", "--batch-size", "16", "--steps", "10", "--eval-every", "2", "--beta-2", "0.9"]


@pytest.mark.slow
def test_the_command_line_trains_resumes_and_refuses_other_settings(tmp_path, capsys):
    out = tmp_path / "runs"
    argv = ["prog", *TINY, "--arms", "Adam", "Adam + warmup", "--seeds", "0", "1", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "Adam, seed 1: endpoint" in printed and "Adam + warmup: " in printed and "seeds paired" in printed
    content = json.loads((out / "results.json").read_text())
    assert len(content["runs"]) == 4 and len(content["provenance"]) == 1
    assert content["provenance"][0]["command"].startswith("python -m radam.transformer --vocab 5")
    assert "--out DIR" in content["provenance"][0]["command"]
    assert set(content["fingerprint"]["initial_weights"]) == {"0", "1"}
    assert set(content["fingerprint"]["update_probes"]) == {"Adam", "Adam + warmup"}
    assert content["provenance"][0]["threads"] == live.thread_settings()
    first = content["runs"]

    assert main(argv) == 0  # resumed: nothing left to train, no new invocation recorded
    again = json.loads((out / "results.json").read_text())
    assert again["runs"] == first and len(again["provenance"]) == 1
    capsys.readouterr()

    assert main([*argv[:-2], "--learning-rate", "0.5", "--out", str(out)]) == 2
    assert "holds results of other settings" in capsys.readouterr().err

    content["fingerprint"]["initial_weights"]["1"] = "0" * 16  # as if the code drew other initial weights now
    (out / "results.json").write_text(json.dumps(content))
    assert main(argv) == 2
    assert "would not reproduce the results in" in capsys.readouterr().err
    assert json.loads((out / "results.json").read_text())["fingerprint"]["initial_weights"]["1"] == "0" * 16


def test_bad_settings_exit_with_a_one_line_error(tmp_path, capsys):
    assert main(["prog", "--steps", "7", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "steps must be a multiple of eval_every=20" in err
