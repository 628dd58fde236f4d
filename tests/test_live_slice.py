"""radam.cifar10.live_slice: chapter 8's slice trained live and judged by the rule, both ways.

The slow tests train the slice (one epoch of `adam-warmup` and `radam` of the long run, seed 0, about 30-60 s
each on two cores): with floats that differ from the committed ones it must pass, as on any healthy machine;
with a real change of the code that makes the results (a learning rate, one more filter, the optimizer's
arithmetic) it must fail. The fast tests cover the cases where no slice can be trained.
"""

import importlib.util
import json
import os
from pathlib import Path

import pytest

from radam.cifar10 import live_check, live_slice, provenance
from radam.cifar10.results import Results

BOOK_RESULTS = Path(__file__).resolve().parents[1] / "book" / "results"
needs_keras = pytest.mark.skipif(
    importlib.util.find_spec("keras") is None, reason="training the slice needs Keras (pip install 'radam[keras]')"
)
needs_subset = pytest.mark.skipif(
    not os.environ.get("RADAM_CIFAR10_DIR"), reason="training the slice needs the subset (RADAM_CIFAR10_DIR)"
)


@pytest.fixture(scope="module")
def reference():
    return Results.load(str(BOOK_RESULTS / "long-run"))


def test_without_data_the_slice_is_skipped_in_one_sentence(reference, tmp_path, monkeypatch):
    monkeypatch.delenv("RADAM_CIFAR10_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    live, skipped = live_slice.run_slice(reference)
    assert live is None and skipped == live_slice.SKIPPED_NO_DATA
    assert "never downloads" in skipped and "DATA_DIR" in skipped


def test_results_without_the_slices_arms_or_seeds_are_not_sliced(reference):
    only_radam = Results(reference.arms, reference.settings, [r for r in reference.records if r["arm"] == "radam"])
    assert "arm 'adam-warmup', seed 0" in live_slice.unsliceable(only_radam)
    one_seed = Results(reference.arms, reference.settings, [r for r in reference.records if r["seed"] == 0])
    assert "1 seed(s) of it" in live_slice.unsliceable(one_seed)
    no_seed_0 = Results(reference.arms, reference.settings, [r for r in reference.records if r["seed"] != 0])
    assert "not seed 0" in live_slice.unsliceable(no_seed_0)
    assert live_slice.unsliceable(reference) is None
    assert live_slice.run_slice(one_seed)[1] == live_slice.unsliceable(one_seed)


@pytest.mark.parametrize("changed, how", [({"deterministic": False}, "without op determinism"),
                                          ({"mixed_precision": True}, "in mixed precision")])
def test_results_the_slice_cannot_repeat_are_not_sliced(reference, changed, how):
    """A reader's full run on a GPU (mixed precision, no op determinism): the slice, trained deterministically in
    float32, would land far from it however healthy the code, so it is skipped with a sentence, not failed."""
    other = Results(reference.arms, {**reference.settings, **changed}, reference.records)
    skipped = live_slice.unsliceable(other)
    assert skipped.startswith("The live slice was skipped: it repeats a run trained with op determinism")
    assert f"these results were trained {how}" in skipped
    assert live_slice.run_slice(other) == (None, skipped)


@needs_keras
def test_other_images_are_not_sliced(reference, tmp_path):
    """Files that are not the reference run's images: skipped before any training, with the two digests."""
    from cifar10_files import make_cifar

    make_cifar(tmp_path)
    live, skipped = live_slice.run_slice(reference, data_dir=tmp_path)
    assert live is None
    assert skipped.startswith(f"The live slice was skipped: the CIFAR-10 files in {tmp_path} are not the images")
    assert f"the results' {reference.settings['data']['digest']}" in skipped


@needs_keras
@needs_subset
def test_the_slice_trains_as_its_reference_did(monkeypatch):
    """The slice of a run with a validation split and augmentation (long-run) is trained with both, and with its
    batch size: a slice without them would be another experiment, judged against the wrong values."""
    from radam.cifar10 import runner

    asked = {}
    monkeypatch.setattr(runner, "run_experiment", lambda arms, epochs, seeds, **options: asked.update(
        arms=[arm.name for arm in arms], epochs=epochs, seeds=seeds, **options) or "trained")
    long_run = Results.load(str(BOOK_RESULTS / "long-run"))
    assert live_slice.run_slice(long_run) == ("trained", None)
    assert asked["arms"] == ["adam-warmup", "radam"]
    assert asked["arms"] == list(live_slice.SLICE_ARMS) and asked["seeds"] == [live_slice.SLICE_SEED]
    assert (asked["validation_images"], asked["augment"], asked["batch_size"]) == (1000, True, 64)
    assert asked["deterministic"] is True


def test_the_variants_are_perturbations_or_changes():
    kinds = {variant.kind for variant in live_slice.VARIANTS}
    assert kinds == {"perturbed", "changed"}
    assert len([v for v in live_slice.VARIANTS if v.kind == "perturbed"]) >= 10
    with pytest.raises(ValueError, match="unknown variants \\['nope'\\]"):
        live_slice.calibrate(str(BOOK_RESULTS / "long-run"), "/nonexistent-never-created", names=["nope"])
    assert not Path("/nonexistent-never-created").exists()


def judged(reference, **changes):
    live, skipped = live_slice.run_slice(reference, arm_changes=tuple(changes.items()))
    assert skipped is None, skipped
    return live_check.judge_own_seed(reference, live.records, provenance.cpu())


@pytest.mark.slow
@needs_subset
def test_a_slice_whose_floats_differ_passes(reference):
    """The learning rate moved by one part in a million: every update differs in its last bits, as on another
    CPU, and the difference grows over the epoch; the code is the same, so the check must pass."""
    verdict = judged(reference, learning_rate_factor=1 + 1e-6)
    assert verdict.case == "within", verdict.sentence()


@pytest.mark.slow
@needs_subset
def test_a_different_learning_rate_fails(reference):
    assert judged(reference, learning_rate_factor=2.0).case == "outside"


@pytest.mark.slow
@needs_subset
def test_broken_optimizer_arithmetic_fails(reference, monkeypatch):
    """RAdam without the bias correction of v (its step sqrt(1 - beta_2^t) too large): a one-line bug."""
    from keras import ops

    from radam.keras import RAdam

    scalars = RAdam._step_scalars

    def without_correction(self, iterations, dtype):
        bias_correction_1, bias_correction_2, rho_t, r_t = scalars(self, iterations, dtype)
        return bias_correction_1, ops.ones_like(bias_correction_2), rho_t, r_t

    monkeypatch.setattr(RAdam, "_step_scalars", without_correction)
    verdict = judged(reference)
    assert verdict.case == "outside" and {c.arm for c in verdict.outside} == {"radam"}


@pytest.fixture
def one_more_filter(monkeypatch):
    """The blog's CNN with 33 filters instead of 32 in its first block: a change of the network."""
    from keras import layers

    conv_init = layers.Conv2D.__init__

    def wider(self, filters, *args, **kwargs):
        conv_init(self, filters + 1 if filters == 32 else filters, *args, **kwargs)

    monkeypatch.setattr(layers.Conv2D, "__init__", wider)


@needs_keras
def test_one_more_filter_is_caught_by_the_fingerprint(reference, one_more_filter):
    from radam.cifar10 import provenance

    assert any(problem.startswith("the model changed") for problem in provenance.stale_parts(reference))


@pytest.mark.slow
@needs_subset
def test_one_more_filter_is_caught_by_the_slice(reference, one_more_filter):
    """One epoch of a slightly wider network starts from other weights: it lands within the seeds' spread, like a
    run with another seed, which the seeds' band of the other chapters lets through, but not on its own seed."""
    verdict = judged(reference)
    assert verdict.case == "outside", verdict.sentence()
    assert live_check.judge(reference, [{"arm": c.arm, "seed": c.seed, "epoch": c.epoch, c.metric: c.live}
                                        for c in verdict.checks if c.metric == "val_loss"],
                            provenance.cpu(), metrics=("val_loss",)).case == "within"


@needs_keras
def test_a_calibration_made_by_other_code_is_not_added_to(tmp_path):
    """Resuming keeps the slices already in live-check.json only when the same code made them: one file never
    mixes two codes. The refusal trains nothing and leaves the file as it was."""
    made = {
        "reference": "reference",
        "machine": "Some CPU",
        "provenance": {"commit": "0" * 40, "uncommitted_changes": False, "cpu": "Some CPU", "started": "x"},
        "slices": [{"variant": "unchanged", "records": []}],
    }
    path = tmp_path / "live-check.json"
    path.write_text(json.dumps(made))
    before = path.read_bytes()
    with pytest.raises(ValueError, match="was made by other code or on another machine .* delete it"):
        live_slice.calibrate(str(BOOK_RESULTS / "long-run"), str(tmp_path))
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--results", "x", "--variant", "bogus"], "argument --variant: invalid choice: 'bogus'"),
        (["--results", "x"], "give exactly one of --variant NAME and --calibrate"),
        (["--results", "x", "--calibrate"], "--calibrate needs --out"),
    ],
)
def test_the_command_line_refuses_what_it_cannot_train(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        live_slice.main(argv)
    assert stop.value.code == 2 and message in capsys.readouterr().err
