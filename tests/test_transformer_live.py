"""radam.transformer.live: the slice of the committed Transformer runs, judged by the seeds' band of radam.cifar10.live_check."""

import dataclasses

import pytest

pytest.importorskip("keras", reason="the slice trains with Keras and judges with TensorFlow's version")

from radam.cifar10 import provenance  # noqa: E402
from radam.transformer import experiment, live, results  # noqa: E402

TINY = experiment.Settings(vocab=5, length=4, n_train=64, n_eval=32, width=8, depth=1, heads=2, learning_rate=0.05,
                           beta_2=0.9, batch_size=16, steps=10, eval_every=2)


def made_here():
    """A provenance entry of this machine, these versions and this process's thread settings."""
    return dict(provenance.provenance("test", "s", "f", 0.0), threads=live.thread_settings())


def run_record(arm, seed, offset):
    """A hand-made record of 3 evaluations (steps 20, 40, 60) whose values grow with ``offset``."""
    return {"arm": arm, "seed": seed, "eval_step": [20, 40, 60], "eval_loss": [2.0 - offset, 1.5 - offset, 1.0],
            "eval_accuracy": [0.1 + offset, 0.2 + offset, 0.3 + offset], "train_loss": [2.1, 1.6, 1.1 - offset],
            "update_rms": [1.0 - offset / 10] * 60}


def hand_made(provenance_entries=()):
    content = results.new({}, {})
    content["runs"] = [run_record(arm, seed, seed / 100) for seed in (0, 1, 2) for arm in live.SLICE_ARMS]
    content["provenance"] = list(provenance_entries)
    return content


def test_committed_evaluations_are_keyed_by_step():
    committed = live.committed(hand_made(), steps=40)
    assert len(committed.records) == 2 * 3 * 2
    first = committed.records[0]
    assert first == {"arm": "Adam", "seed": 0, "epoch": 20, "eval_loss": 2.0, "eval_accuracy": 0.1,
                     "train_loss": 2.1, "update_rms": 1.0}
    assert committed.records[1]["update_rms"] == 1.0 and committed.records[1]["epoch"] == 40


def test_the_slice_needs_seed_0_and_another_seed_of_each_arm():
    content = hand_made()
    assert live.unsliceable(content) is None
    content["runs"] = [run for run in content["runs"] if run["arm"] == "Adam" or run["seed"] == 1]
    assert live.unsliceable(content) == (
        "The live slice was skipped: it retrains Adam + warmup, seed 0, and judges it against at least two "
        "committed seeds of that arm, but the results hold 1 seed(s) of it, not seed 0.")


def test_the_slice_is_skipped_where_keras_draws_other_initial_weights():
    import keras

    from radam.cifar10.provenance import digest
    from radam.transformer import model
    from radam.transformer.experiment import Settings

    content = hand_made([{"versions": {"keras": "3.0.0-another"}}])
    settings = Settings()
    drawn = digest(model.initial_weights(0, settings.vocab, settings.length, **settings.sizes()))
    content["fingerprint"] = {"initial_weights": {"0": drawn}}
    assert live.unsliceable(content) is None  # the same weights: the slice is due
    content["fingerprint"] = {"initial_weights": {"0": "0123456789abcdef"}}
    assert live.unsliceable(content) == (
        f"The live slice was skipped: Keras {keras.__version__} draws other initial weights for seed 0 than the "
        "Keras that made the results (3.0.0-another), so the slice would be another run, not the committed one "
        "moved by rounding.")


def test_identical_within_and_outside():
    elsewhere = dict(made_here(), cpu="another CPU")
    for entries, due in (([made_here()], True), ([elsewhere], False), ([], False)):
        content = hand_made(entries)
        same = [run_record(arm, 0, 0.0) for arm in live.SLICE_ARMS]
        assert live.check(content, same).verdict.case == "identical" and live.check(content, same).passed
        nudged = [run_record(arm, 0, 0.005) for arm in live.SLICE_ARMS]  # between seeds 0 and 1
        checked = live.check(content, nudged)
        assert checked.identity_due is due and checked.verdict.case == "within" and checked.passed is not due
        if due:
            assert "yet 18 of 24 values differ from the committed ones" in checked.sentence()
        far = [run_record(arm, 0, 0.5) for arm in live.SLICE_ARMS]
        assert live.check(content, far).verdict.case == "outside" and not live.check(content, far).passed


def test_identity_is_due_only_where_cpu_versions_and_threads_match():
    assert live.identity_due(hand_made([made_here()]))
    assert not live.identity_due(hand_made([made_here()]), environ={"TF_NUM_INTRAOP_THREADS": "7"})
    older = made_here()
    del older["threads"]  # made before threads were recorded: TensorFlow's defaults
    assert live.identity_due(hand_made([older]), environ={}) and not live.identity_due(hand_made([]))
    newer = dict(made_here(), versions=dict(made_here()["versions"], tensorflow="0.0"))
    assert not live.identity_due(hand_made([made_here(), newer]))


@pytest.mark.slow
def test_a_rerun_on_this_machine_is_identical_and_a_changed_rate_is_caught():
    data = TINY.make_task()
    content = results.new(dataclasses.asdict(TINY), {})
    content["runs"] = [experiment.run(arm, seed, TINY, data) for seed in (0, 1, 2) for arm in live.SLICE_ARMS]
    content["provenance"] = [made_here()]
    rerun = live.train_slice(content, steps=6)
    assert [r["eval_step"] for r in rerun] == [[2, 4, 6]] * 2 and "endpoint" not in rerun[0]
    checked = live.check(content, rerun)
    assert checked.verdict.case == "identical" and checked.passed
    changed = live.check(content, live.train_slice(content, (("learning_rate", 0.1),), steps=6))
    assert not changed.passed and "the code no longer produces the committed results" in changed.sentence()
