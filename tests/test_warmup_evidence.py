"""radam.warmup_evidence: the primed Adam against a transcription, the grid's bookkeeping, and (on a small
grid) the finding chapter 5 reports: Adam's early failure does not need gradient noise, only large first updates."""

import numpy as np
import pytest

from radam import mlp
from radam import warmup_evidence as we


@pytest.fixture(scope="module")
def data():
    return mlp.synthetic_images(seed=0)


def test_primed_adam_matches_a_transcription():
    rng = np.random.default_rng(0)
    v0 = rng.random(3)
    theta, optimizer = np.ones(3), we.PrimedAdam(0.01, [v0], beta_1=0.9, beta_2=0.99, epsilon=1e-7)
    m, v, expected = np.zeros(3), v0.copy(), np.ones(3)
    for t in range(1, 6):
        g = rng.normal(size=3)
        optimizer.step([theta], [g])
        m = 0.9 * m + 0.1 * g
        v = 0.99 * v + 0.01 * g * g
        expected -= 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)


def test_primed_adam_checks_its_second_moment():
    with pytest.raises(ValueError, match="second_moment"):
        we.PrimedAdam(0.01, [np.array([-1.0])])
    with pytest.raises(ValueError, match="shaped like"):
        we.PrimedAdam(0.01, [np.ones(2)]).step([np.zeros(3)], [np.ones(3)])


def test_second_moment_and_gradient_noise(data):
    small = mlp.Dataset(data.X[:200], data.y[:200], data.classes)
    full = we.second_moment(small, seed=0, batch_size=None)
    _, grads = mlp.MLP(256, seed=0).loss_and_gradients(small.X, small.y)
    for v, g in zip(full, grads):
        np.testing.assert_array_equal(v, g * g)
    assert we.gradient_noise(small, None) == 0.0
    assert we.gradient_noise(small, 8) > we.gradient_noise(small, 64) > 0


def test_unknown_arm_names_itself(data):
    with pytest.raises(ValueError, match="arm"):
        we.make_optimizer("Nadam", data, 0, 64)


def test_summary_rows_and_select():
    results = [we.Result(arm, b, s, 0.03, d, 0.5, 1.0) for arm, d in (("Adam", 0.9), ("RAdam", 0.1))
               for b in (64, None) for s in (0, 1)]
    header, rows = we.summary_rows(results)
    assert header == ["optimizer", "batch 64", "full batch"]
    assert rows == [["Adam", "90% - 90%", "90% - 90%"], ["RAdam", "10% - 10%", "10% - 10%"]]
    assert len(we.select(results, arm="Adam", batch_size=None)) == 2


def test_adam_fails_without_gradient_noise_and_with_a_known_second_moment(data):
    """The variance view predicts no failure at full batch and with v known; the magnitude view predicts
    failure in both, and none with a warmup. Ten steps, seed 0."""
    full = {arm: we.run(arm, data, None, 0, steps=10) for arm in ("Adam", "Adam + warmup")}
    known = we.run("Adam, v known", data, 64, 0, steps=10)
    assert full["Adam"].dead_at_10 > 0.9 and known.dead_at_10 > 0.9
    assert full["Adam + warmup"].dead_at_10 < 0.2
    assert full["Adam"].first_update == pytest.approx(1.0, abs=0.05)  # +-lr in (nearly) every coordinate


def test_figure_draws_every_arm_and_both_sweeps():
    results = [we.Result(arm, b, 0, 0.03, 0.5, 0.5, 1.0) for arm in we.ARMS for b in (64, None)]
    sweep = [we.Result("Adam", b, 0, lr, lr * 10, 0.1, 1.0) for b in (16, None) for lr in (0.001, 0.01)]
    fig = we.figure(results, sweep)
    top, bottom = fig.axes
    assert [t.get_text() for t in top.get_legend().get_texts()] == list(we.ARMS)
    assert [t.get_text() for t in bottom.get_legend().get_texts()] == ["Adam, batch 16", "Adam, full batch"]
    assert bottom.lines[0].get_ydata().tolist() == [0.01, 0.1]
