"""radam.transformer.fingerprint: the digests and update probes of a Transformer results folder, and staleness."""

import dataclasses

import numpy as np
import pytest

keras = pytest.importorskip("keras", reason="the fingerprint builds the model and the optimizers with Keras")

import radam.keras  # noqa: E402
from radam.transformer import arms, experiment, fingerprint, model, results  # noqa: E402

TINY = experiment.Settings(vocab=5, length=4, n_train=64, n_eval=32, width=8, depth=1, heads=2, learning_rate=0.01,
                           beta_2=0.9, batch_size=16, steps=10, eval_every=2)


@pytest.fixture(scope="module")
def content():
    return results.new(dataclasses.asdict(TINY), fingerprint.fingerprint(TINY, TINY.make_task(), [0, 1], arms.ARMS))


def test_the_fingerprint_digests_what_the_numbers_depend_on(content):
    saved = content["fingerprint"]
    assert set(saved["batches"]) == set(saved["initial_weights"]) == {"0", "1"}
    assert saved["batches"]["0"] != saved["batches"]["1"]
    again = model.initial_weights(1, TINY.vocab, TINY.length, **TINY.sizes())
    assert fingerprint.provenance.digest(again) == saved["initial_weights"]["1"]
    assert set(saved["update_probes"]) == set(arms.ARMS)


def test_the_probe_tells_the_arms_apart_and_follows_the_warmup():
    probes = {arm: np.array(fingerprint.update_probe(arm, 0.01, 0.98)) for arm in arms.ARMS}
    start = np.linspace(-1.0, 1.0, 8)
    first = {arm: np.abs(p[0] - start).max() for arm, p in probes.items()}
    assert first["Adam"] == pytest.approx(0.01, rel=1e-3)  # Adam's first step: lr in every coordinate
    assert first["Adam, lr/10"] == pytest.approx(0.001, rel=1e-3)
    assert first["Adam + warmup"] == pytest.approx(0.01 / 100, rel=1e-3)  # lr * 1 / warmup, warmup = 100
    gradient = np.sin(np.arange(1, 9) * 0.7 + 1)  # the probe's gradient at t = 1
    np.testing.assert_allclose(probes["RAdam"][0], start - 0.01 * gradient, rtol=1e-5)  # RAdam's first: lr g
    np.testing.assert_array_equal(probes["Adam"], probes["Adam, exact early gradients"])  # one optimizer
    assert not np.allclose(probes["Adam, v known"], probes["Adam"])


def test_fresh_results_are_not_stale(content):
    assert fingerprint.stale_parts(content) == []


def test_a_changed_task_is_named(content):
    changed = dict(content, settings=dict(content["settings"], data_seed=1))
    other = dataclasses.replace(TINY, data_seed=1).make_task()
    now = fingerprint.provenance.digest([other.train_x, other.train_y, other.eval_x, other.eval_y])
    assert fingerprint.stale_parts(changed) == [
        f"the task's sequences changed (digest {content['fingerprint']['task']} then, {now} now)"]


def test_changed_initial_weights_are_named(content, monkeypatch):
    original = model.initial_weights

    def moved(seed, *args, **kwargs):
        weights = original(seed, *args, **kwargs)
        return [w + 1e-3 for w in weights] if seed == 1 else weights

    monkeypatch.setattr(model, "initial_weights", moved)
    assert fingerprint.stale_parts(content) == ["the initial weights of seed 1 changed"]


def test_initial_weights_drawn_by_another_keras_are_not_a_change(content, monkeypatch):
    original = model.initial_weights
    monkeypatch.setattr(model, "initial_weights", lambda seed, *a, **k: [w + 1e-3 for w in original(seed, *a, **k)])
    other = {**content, "provenance": [{"versions": {"keras": "3.0.0-another"}}]}
    assert fingerprint.stale_parts(other) == []
    assert fingerprint.stale_parts(content) == ["the initial weights of seed 0 changed",
                                                "the initial weights of seed 1 changed"]


def test_a_changed_update_rule_is_named_for_every_arm_it_touches(content, monkeypatch):
    original = arms.make_optimizer

    def warmup_of_50(arm, learning_rate, beta_2, second_moment=None):
        if arm == "Adam + warmup":
            return keras.optimizers.Adam(radam.keras.WarmupThenLinearDecay(learning_rate, 50), beta_2=beta_2)
        return original(arm, learning_rate, beta_2, second_moment)

    monkeypatch.setattr(arms, "make_optimizer", warmup_of_50)
    (problem,) = fingerprint.stale_parts(content)
    assert problem.startswith("arm 'Adam + warmup': its optimizer's update rule changed (probe moved by up to ")


def test_unknown_arms_and_missing_fingerprints_are_named(content):
    probes = dict(content["fingerprint"]["update_probes"], Nadam=[[0.0]])
    unknown = dict(content, fingerprint=dict(content["fingerprint"], update_probes=probes))
    assert fingerprint.stale_parts(unknown) == ["arm 'Nadam': this code defines no such arm"]
    assert fingerprint.stale_parts(dict(content, fingerprint={})) == ["the results hold no fingerprint"]
    bad = dict(content["settings"], steps=0)
    assert fingerprint.stale_parts(dict(content, settings=bad)) == [
        f"the settings {bad} are not this code's Settings (steps must be a whole number >= 1, got 0)"]
