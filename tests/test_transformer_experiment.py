"""radam.transformer.experiment: the settings, the failure rule and one run (paired arms, the recorded figures)."""

import math

import numpy as np
import pytest

pytest.importorskip("keras", reason="a run trains with Keras")

from radam.transformer import experiment, model  # noqa: E402

TINY = experiment.Settings(vocab=5, length=4, n_train=64, n_eval=32, width=8, depth=1, heads=2, learning_rate=0.01,
                           beta_2=0.9, batch_size=16, steps=10, eval_every=2)


def test_the_failure_rule_is_halfway_from_chance_to_perfect():
    assert experiment.failed(0.53, vocab=16) and not experiment.failed(0.54, vocab=16)  # threshold 0.53125
    assert experiment.failed(0.59, vocab=5) and not experiment.failed(0.61, vocab=5)
    assert experiment.failed(math.nan, vocab=16)


@pytest.mark.parametrize("kwargs, message", [
    ({"steps": 0}, "steps must be a whole number >= 1, got 0"),
    ({"n_train": 100}, "n_train must be a multiple of batch_size=64, got 100"),
    ({"steps": 60, "eval_every": 20}, "steps must be a multiple of eval_every=20 with at least 5 evaluations, got 60"),
    ({"learning_rate": -1.0}, "learning_rate must be > 0, got -1.0"),
    ({"beta_2": 1.0}, "beta_2 must be in [0, 1), got 1.0"),
])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError) as error:
        experiment.Settings(**kwargs)
    assert str(error.value) == message


def test_the_gradient_of_the_whole_set_is_summed_in_chunks():
    data = TINY.make_task()
    net = model.build_model(5, 4, **TINY.sizes())
    trainer = experiment.Trainer(net, None)
    loss, whole = trainer.gradients(data.train_x, data.train_y)
    chunked_loss, chunked = trainer.full_gradients(data.train_x, data.train_y, chunk=16)
    assert chunked_loss == pytest.approx(float(loss), rel=1e-5)
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-7)


@pytest.fixture(scope="module")
def runs():
    data = TINY.make_task()
    return {arm: experiment.run(arm, 0, TINY, data) for arm in ("Adam", "Adam + warmup", "Adam, lr/10")}


def test_a_run_records_its_curves_endpoint_and_failure(runs):
    adam = runs["Adam"]
    assert adam["eval_step"] == [2, 4, 6, 8, 10] and len(adam["update_rms"]) == 10
    assert len(adam["eval_loss"]) == len(adam["eval_accuracy"]) == len(adam["train_loss"]) == 5
    assert adam["endpoint"] == pytest.approx(np.mean(adam["eval_accuracy"]))
    assert adam["failed"] == experiment.failed(adam["endpoint"], 5)


def test_adams_first_update_is_lr_in_nearly_every_coordinate(runs):
    """|m_hat / sqrt(v_hat)| = |g| / (|g| + epsilon') <= 1 at t = 1: the RMS change is at most lr."""
    assert 0.9 < runs["Adam"]["update_rms"][0] <= 1.0


def test_the_arms_of_a_seed_share_weights_and_batches(runs):
    """Same weights and batch at step 1: warmup's first update is Adam's over the warmup length (20 steps here),
    lr/10's a tenth of it."""
    first = runs["Adam"]["update_rms"][0]
    assert runs["Adam + warmup"]["update_rms"][0] == pytest.approx(first / TINY.warmup_steps, rel=1e-4)
    assert runs["Adam, lr/10"]["update_rms"][0] == pytest.approx(first / 10, rel=1e-4)


@pytest.mark.slow
def test_a_rerun_gives_the_same_numbers(runs):
    again = experiment.run("Adam", 0, TINY)
    assert again["eval_loss"] == runs["Adam"]["eval_loss"] and again["update_rms"] == runs["Adam"]["update_rms"]


@pytest.mark.slow
def test_the_arms_that_remove_the_noise_run(runs):
    data = TINY.make_task()
    exact = experiment.run("Adam, exact early gradients", 0, TINY, data)
    known = experiment.run("Adam, v known", 0, TINY, data)
    for record in (exact, known):
        assert len(record["update_rms"]) == 10 and all(np.isfinite(record["eval_loss"]))
    assert exact["update_rms"][0] != runs["Adam"]["update_rms"][0]  # another gradient at step 1
    assert known["update_rms"][0] != runs["Adam"]["update_rms"][0]  # psi_1 from E[g^2], not g_1^2 alone
    # with v_0 = 0 instead (no bias correction) the first step would be |g| / sqrt((1 - beta_2) g^2): 3.2 lr here
    assert known["update_rms"][0] < 0.5 / math.sqrt(1 - TINY.beta_2)


def test_unknown_arms_are_named():
    with pytest.raises(ValueError, match="arm must be one of .*, got 'SGD'"):
        experiment.run("SGD", 0, TINY)


def test_a_slice_is_the_start_of_the_run(runs):
    data = TINY.make_task()
    part = experiment.run("Adam + warmup", 0, TINY, data, stop=4)
    whole = runs["Adam + warmup"]
    assert part["eval_step"] == [2, 4] and "endpoint" not in part
    assert part["eval_loss"] == whole["eval_loss"][:2] and part["update_rms"] == whole["update_rms"][:4]
    with pytest.raises(ValueError, match=r"stop must be a multiple of eval_every=2 in 1..10, got 3"):
        experiment.run("Adam", 0, TINY, data, stop=3)
