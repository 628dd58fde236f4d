"""radam.mlp: backpropagation against finite differences, the cross-entropy against a direct formula,
dead-unit counting on constructed weights, reproducible training, and chapter 5's finding (Adam without
warmup kills most hidden units in its first ten steps at lr = 0.03; with warmup it does not)."""

import numpy as np
import pytest

from radam.mlp import MLP, Dataset, synthetic_images, train
from radam.numpy import SGD, Adam
from radam.schedules import linear_warmup


def tiny():
    rng = np.random.default_rng(3)
    return MLP(inputs=5, hidden=4, classes=3, seed=1), rng.random((6, 5)), rng.integers(0, 3, 6)


def test_loss_is_the_mean_negative_log_softmax():
    model, X, y = tiny()
    logits = np.maximum(X @ model.params[0] + model.params[1], 0) @ model.params[2] + model.params[3]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert model.loss(X, y) == pytest.approx(-np.mean(np.log(probabilities[np.arange(6), y])), rel=1e-12)
    assert model.accuracy(X, y) == np.mean(logits.argmax(axis=1) == y)


def test_gradients_match_finite_differences():
    model, X, y = tiny()
    model.params[1][:] = 0.3  # keep every pre-activation away from the kink at 0
    loss, grads = model.loss_and_gradients(X, y)
    assert loss == model.loss(X, y)
    h = 1e-6
    for p, g in zip(model.params, grads):
        numeric = np.empty_like(p)
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + h
            up = model.loss(X, y)
            p[i] = saved - h
            down = model.loss(X, y)
            p[i] = saved
            numeric[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)


def test_dead_fraction_counts_units_off_for_every_input():
    model, X, _ = tiny()
    model.params[1][:] = [-100.0, 100.0, -100.0, 100.0]  # X in [0, 1): units 0 and 2 never fire
    assert model.dead_fraction(X) == 0.5
    _, grads = model.loss_and_gradients(X, np.zeros(6, dtype=int))
    np.testing.assert_array_equal(grads[0][:, [0, 2]], 0.0)  # and get no gradient


def test_synthetic_images():
    data = synthetic_images(n_samples=500, pixels=64, classes=4, seed=2)
    assert data.X.shape == (500, 64) and data.y.shape == (500,) and data.classes == 4
    assert data.X.min() >= 0 and data.X.max() < 1
    assert set(np.unique(data.y)) == {0, 1, 2, 3}
    again = synthetic_images(n_samples=500, pixels=64, classes=4, seed=2)
    np.testing.assert_array_equal(again.X, data.X)
    np.testing.assert_array_equal(again.y, data.y)
    assert not np.array_equal(synthetic_images(n_samples=500, pixels=64, classes=4, seed=3).y, data.y)


def test_train_records_and_reproduces():
    data = synthetic_images(n_samples=300, pixels=16, seed=0)
    first = train(SGD(learning_rate=0.1), data, hidden=8, seed=4, steps=30, batch_size=10, record_at=[0, 7, 30])
    again = train(SGD(learning_rate=0.1), data, hidden=8, seed=4, steps=30, batch_size=10, record_at=[0, 7, 30])
    np.testing.assert_array_equal(first.steps, [0, 7, 30])
    for name in ("loss", "accuracy", "dead", "batch_loss", "step_size"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert first.loss[0] == MLP(16, 8, 10, seed=4).loss(data.X, data.y)
    assert first.loss[-1] == first.model.loss(data.X, data.y)
    # the first SGD step is lr g on the first minibatch, drawn from default_rng(seed)
    batch = np.random.default_rng(4).integers(0, 300, 10)
    loss, grads = MLP(16, 8, 10, seed=4).loss_and_gradients(data.X[batch], data.y[batch])
    assert first.batch_loss[0] == loss
    assert first.step_size[0] == pytest.approx(0.1 * np.sqrt(sum(np.sum(g * g) for g in grads)), rel=1e-12)


def test_adam_without_warmup_kills_units_in_ten_steps():
    data = synthetic_images(seed=0)
    for seed in range(5):
        adam = train(Adam(0.03, beta_2=0.99), data, seed=seed, steps=10, record_at=[0, 10])
        warm = train(Adam(linear_warmup(0.03, 200), beta_2=0.99), data, seed=seed, steps=10, record_at=[0, 10])
        assert adam.dead[0] == warm.dead[0] < 0.05
        assert adam.dead[-1] > 0.8 and warm.dead[-1] < 0.2, (seed, adam.dead, warm.dead)
        # the same ten steps on centred inputs kill nothing
        centred = Dataset(data.X - 0.5, data.y, data.classes)
        assert train(Adam(0.03, beta_2=0.99), centred, seed=seed, steps=10, record_at=[10]).dead[0] == 0.0


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: synthetic_images(classes=1), "classes"),
        (lambda: synthetic_images(n_samples=0), "n_samples"),
        (lambda: MLP(inputs=4, hidden=0), "hidden"),
        (lambda: train(SGD(), synthetic_images(n_samples=20, pixels=4), steps=-1), "steps"),
        (lambda: train(SGD(), synthetic_images(n_samples=20, pixels=4), batch_size=0), "batch_size"),
        (lambda: train(SGD(), synthetic_images(n_samples=20, pixels=4), steps=5, record_at=[6]), "record_at"),
    ],
)
def test_bad_arguments_name_themselves(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_full_batch_training_uses_the_exact_gradient():
    data = synthetic_images(n_samples=100, pixels=8, seed=1)
    run = train(SGD(learning_rate=0.1), data, hidden=6, seed=2, steps=3, batch_size=None, record_at=[0, 3])
    loss, grads = MLP(8, 6, 10, seed=2).loss_and_gradients(data.X, data.y)
    assert run.batch_loss[0] == loss
    assert run.step_size[0] == pytest.approx(0.1 * np.sqrt(sum(np.sum(g * g) for g in grads)), rel=1e-12)
    again = train(SGD(learning_rate=0.1), data, hidden=6, seed=5, steps=3, batch_size=None, record_at=[3])
    assert again.batch_loss[0] != run.batch_loss[0]  # the seed still sets the initial weights


def test_training_run_at_reads_a_recorded_step():
    data = synthetic_images(n_samples=50, pixels=4, seed=0)
    run = train(SGD(learning_rate=0.1), data, hidden=4, steps=5, batch_size=8, record_at=[0, 5])
    assert run.at(5, "accuracy") == run.accuracy[1] and run.at(0, "dead") == run.dead[0]
    with pytest.raises(ValueError, match="not recorded"):
        run.at(3, "loss")
