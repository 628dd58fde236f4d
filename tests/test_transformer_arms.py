"""radam.transformer.arms: the Keras optimizers of the arms, each checked against the NumPy reference on the
first steps of the post-LN Transformer (the same gradients given to both, step by step)."""

import numpy as np
import pytest

pytest.importorskip("keras", reason="the arms are Keras optimizers")

import tensorflow as tf  # noqa: E402

from radam import numpy as rnp  # noqa: E402
from radam import schedules, theory, warmup_evidence  # noqa: E402
from radam.transformer import arms, model, task  # noqa: E402

LR, BETA_2, STEPS = 0.01, 0.98, 10


def lockstep(keras_optimizer, numpy_optimizer, steps=STEPS):
    """Train the Transformer with the Keras optimizer; give the same gradients to the NumPy optimizer on a float64
    copy of the weights. The largest difference of a weight at any step, over the base rate."""
    data = task.make_task("sort", vocab=7, length=6, n_train=64, n_eval=8)
    net = model.build_model(7, 6, width=16, depth=2, heads=2)
    net.set_weights(model.initial_weights(0, 7, 6, width=16, depth=2, heads=2))
    variables = net.trainable_variables
    params = [v.numpy().astype(np.float64) for v in variables]
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    worst, moved = 0.0, 0.0
    for rows in data.batch_indices(0, steps, 16):
        with tf.GradientTape() as tape:
            loss = loss_fn(data.train_y[rows], net(data.train_x[rows]))
        grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, variables)]
        before = params[0].copy()
        keras_optimizer.apply(grads, variables)
        numpy_optimizer.step(params, [g.numpy().astype(np.float64) for g in grads])
        moved = max(moved, float(np.max(np.abs(params[0] - before))))
        worst = max(worst, max(float(np.max(np.abs(p - v.numpy()))) for p, v in zip(params, variables)))
    assert moved > LR / 100  # the weights did move: the comparison is not of two idle optimizers
    return worst / LR


def test_keras_radam_matches_the_numpy_reference_through_the_sgd_steps_and_the_first_rectified_ones():
    first = theory.first_adaptive_step(BETA_2, 5.0)
    assert 2 < first < STEPS  # the ten steps hold SGD-with-momentum steps and rectified ones
    worst = lockstep(arms.make_optimizer("RAdam", LR, BETA_2), rnp.RAdam(LR, beta_2=BETA_2))
    assert worst < 1e-3


def test_the_comparison_can_fail():
    """A RAdam with another threshold (SGD steps for longer) is told apart from the reference."""
    worst = lockstep(arms.make_optimizer("RAdam", LR, BETA_2), rnp.RAdam(LR, beta_2=BETA_2, sma_threshold=8.0))
    assert worst > 1e-2


@pytest.mark.parametrize("arm, reference", [
    ("Adam", rnp.Adam(LR, beta_2=BETA_2)),
    ("Adam + warmup", rnp.Adam(schedules.untuned_linear_warmup(LR, BETA_2), beta_2=BETA_2)),
    ("Adam, lr/10", rnp.Adam(LR / 10, beta_2=BETA_2)),
    ("Adam, exact early gradients", rnp.Adam(LR, beta_2=BETA_2)),
])
def test_the_adam_arms_match_the_numpy_adam(arm, reference):
    assert lockstep(arms.make_optimizer(arm, LR, BETA_2), reference) < 1e-3


def test_primed_adam_matches_chapter_5s_numpy_primed_adam():
    shapes = [w.shape for w in model.initial_weights(0, 7, 6, width=16, depth=2, heads=2)]
    rng = np.random.default_rng(5)
    moment = [rng.random(shape) * 1e-3 for shape in shapes]
    keras_optimizer = arms.make_optimizer("Adam, v known", LR, BETA_2, second_moment=moment)
    assert lockstep(keras_optimizer, warmup_evidence.PrimedAdam(LR, moment, beta_2=BETA_2)) < 1e-3


def test_primed_adam_refuses_bad_second_moments():
    with pytest.raises(ValueError, match="needs second_moment"):
        arms.make_optimizer("Adam, v known", LR, BETA_2)
    with pytest.raises(ValueError, match="second_moment must be finite and >= 0 everywhere"):
        arms.PrimedAdam(LR, [np.array([1.0, -1.0])])
    optimizer = arms.PrimedAdam(LR, [np.ones(3)])
    with pytest.raises(ValueError, match=r"variables must be shaped like second_moment \[\(3,\)\], got \[\(4,\)\]"):
        optimizer.build([tf.Variable(np.zeros(4, "float32"))])


def test_unknown_arms_are_named():
    with pytest.raises(ValueError, match="arm must be one of .*'Adam'.*, got 'SGD'"):
        arms.make_optimizer("SGD", LR, BETA_2)
