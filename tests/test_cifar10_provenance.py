"""radam.cifar10.provenance: provenance, fingerprints and staleness of a results folder (the runner's folder rules
are in test_cifar10_runner.py)."""

import dataclasses

import numpy as np
import pytest

import radam.keras
from cifar10_files import train
from keras import ops
from radam import cifar10
from radam.cifar10 import Results, pipeline, provenance

pytestmark = pytest.mark.slow  # each test trains the CNN for an epoch or two on a few random images


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    train(out, ["adam", "radam"])
    return out


def test_results_carry_provenance_of_the_invocation(trained):
    results = Results.load(trained)
    (entry,) = results.provenance
    assert entry["command"] == "python -m radam.cifar10 --arms adam radam --epochs 1 --out DIR"
    assert set(entry["versions"]) == {"radam", "tensorflow", "keras", "numpy", "python"}
    assert entry["commit"] is None or len(entry["commit"]) == 40
    assert entry["started"] <= entry["finished"] and entry["wall_time_s"] > 0
    assert entry["cpu"] and entry["cores"] >= 1


def test_command_line_hides_the_machine_path():
    argv = ["x", "--arms", "adam", "--out", "/home/me/runs", "--seeds", "0"]
    assert provenance.command_line(argv) == "python -m radam.cifar10 --arms adam --out DIR --seeds 0"


def test_fresh_results_are_not_stale(trained):
    results = Results.load(trained)
    assert provenance.stale_parts(results, data_digest=results.settings["data"]["digest"]) == []
    assert set(results.fingerprint["arms"]) == {"adam", "radam"}
    assert set(results.fingerprint["initial_weights"]) == {"0"}


def test_a_changed_default_learning_rate_makes_results_stale(trained, monkeypatch):
    results = Results.load(trained)
    changed = dataclasses.replace(cifar10.NAMED_ARMS["adam"], learning_rate=2e-3)
    monkeypatch.setitem(cifar10.NAMED_ARMS, "adam", changed)
    (problem,) = provenance.stale_parts(results)
    assert "arm 'adam' is defined differently now" in problem and "'learning_rate': 0.002" in problem


def test_a_changed_update_rule_makes_results_stale(trained, monkeypatch):
    results = Results.load(trained)
    original = radam.keras.RAdam._step_scalars

    def halved_rectification(self, iterations, dtype):
        bias_correction_1, bias_correction_2, rho_t, r_t = original(self, iterations, dtype)
        return bias_correction_1, bias_correction_2, rho_t, r_t / 2

    monkeypatch.setattr(radam.keras.RAdam, "_step_scalars", halved_rectification)
    (problem,) = provenance.stale_parts(results)
    assert problem.startswith("arm 'radam': its optimizer's update rule changed")


def test_other_data_and_other_batch_order_are_named(trained, monkeypatch):
    results = Results.load(trained)
    assert provenance.stale_parts(results, data_digest="0" * 16) == [
        f"the data differ (digest {results.fingerprint['data']} then, {'0' * 16} now)"
    ]
    monkeypatch.setattr(pipeline, "epoch_order", lambda seed, epoch, n: np.arange(n))
    assert provenance.stale_parts(results) == ["the batch order of seed 0 changed"]


def test_a_refactor_that_keeps_behaviour_keeps_the_fingerprint(trained, monkeypatch):
    """The fingerprint holds behaviour, not source: the shuffling and r_t rewritten so that they compute the
    same values leave the results fresh."""
    results = Results.load(trained)
    original = radam.keras.RAdam._step_scalars

    def rewritten(self, iterations, dtype):
        bias_correction_1, bias_correction_2, rho_t, r_t = original(self, iterations, dtype)
        return bias_correction_1, bias_correction_2, rho_t, ops.sqrt(ops.square(r_t))

    monkeypatch.setattr(radam.keras.RAdam, "_step_scalars", rewritten)
    monkeypatch.setattr(
        pipeline, "epoch_order", lambda seed, epoch, n: np.random.Generator(np.random.PCG64([seed, epoch])).permutation(n)
    )
    assert provenance.stale_parts(results) == []


def test_regenerate_commands_name_the_folder(trained):
    results = Results.load(trained)
    assert provenance.regenerate_commands(results, "book/results/x") == [
        "python -m radam.cifar10 --arms adam radam --epochs 1 --out book/results/x"
    ]


def test_the_cpu_is_named_with_its_widest_vector_extension(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("model name\t: Some CPU\nflags\t\t: fpu sse4_2 avx avx2 avx512f\n\nmodel name\t: Some CPU\n")
    assert provenance.cpu(str(info)) == "Some CPU, AVX-512"
    info.write_text("model name\t: Older CPU\nflags\t\t: fpu sse4_2 avx avx2\n")
    assert provenance.cpu(str(info)) == "Older CPU, AVX2"
    assert provenance.cpu(str(tmp_path / "missing"))  # falls back to the platform's name


def test_command_line_names_the_program_it_is_given():
    argv = ["x", "--depth", "4", "--out=/home/me/runs", "--arms", "Adam + warmup"]
    assert (provenance.command_line(argv, program="python -m radam.transformer")
            == "python -m radam.transformer --depth 4 --out=DIR --arms 'Adam + warmup'")


def test_uncommitted_changes_look_at_the_files_named(monkeypatch):
    asked = []

    def git(*args):
        asked.append(args)
        return " M radam/transformer/arms.py" if args[0] == "status" else "0" * 40

    monkeypatch.setattr(provenance, "_git", git)
    default = provenance.provenance("c", "s", "f", 1.0)
    named = provenance.provenance("c", "s", "f", 1.0, sources=("radam/transformer", "radam/keras.py"))
    statuses = [args for args in asked if args[0] == "status"]
    assert statuses == [("status", "--porcelain", "--", *provenance.NUMBER_SOURCES),
                        ("status", "--porcelain", "--", "radam/transformer", "radam/keras.py")]
    assert default["uncommitted_changes"] is True and named["uncommitted_changes"] is True
    with pytest.raises(ValueError, match="sources must be a non-empty sequence of paths, got 'radam/keras.py'"):
        provenance.provenance("c", "s", "f", 1.0, sources="radam/keras.py")
