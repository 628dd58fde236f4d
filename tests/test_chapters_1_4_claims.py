"""Claims of chapters 1-4 that were once wrong, each checked against an independent computation.

Chapter 2 explains AdaGrad on the axis-aligned bowl with a per-step factor derived by hand; its exercise 3
says when AdaGrad's path does not depend on the units of a coordinate; chapter 3's exercise 4 compares Keras's
RMSprop momentum with plain RMSProp. If a statement comes back that these numbers contradict, a test fails.
"""

import dataclasses
import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from radam import problems
from radam.numpy import SGD, AdaGrad

BOOK = Path(__file__).resolve().parents[1] / "book"
CURVATURES = np.array([0.2, 4.0])  # f = 0.1 x1^2 + 2 x2^2


def markdown(name):
    cells = json.loads((BOOK / name).read_text())["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def adagrad_on_the_bowl(steps=60):
    return problems.run(AdaGrad(learning_rate=1.0), problems.quadratic(), steps=steps).xs


def test_adagrads_factor_per_step_is_the_derivation_of_chapter_2():
    """x <- (1 - lr / sqrt((G0 + eps) / lam^2 + sum_k x_k^2)) x: the curvature cancels, the path's history stays."""
    xs = adagrad_on_the_bowl()
    G0, epsilon, lr = 0.1, 1e-7, 1.0
    for i, lam in enumerate(CURVATURES):
        history = 0.0
        for t in range(60):
            history += xs[t, i] ** 2
            expected = 1.0 - lr / np.sqrt((G0 + epsilon) / lam**2 + history)
            assert xs[t + 1, i] == pytest.approx(expected * xs[t, i], rel=1e-9, abs=1e-300)


def test_adagrad_leaves_the_flat_coordinate_the_slow_one_on_the_bowl():
    """The chapter once said both coordinates shrink at comparable speeds: they do not."""
    xs = adagrad_on_the_bowl()
    factor = np.abs(xs[60] / xs[59])
    gradient_descent = np.abs(1 - 0.4 * CURVATURES)  # chapter 2's comparison, lr = 0.4
    assert factor[0] > factor[1] + 0.2  # x1 shrinks far more slowly than x2
    assert abs(xs[60, 0]) > 1e-3 and abs(xs[55, 1]) < 1e-12
    assert np.all(np.abs(factor - gradient_descent) < 0.05)  # hardly faster per step than gradient descent
    first = np.abs(xs[1] - xs[0])
    assert np.all(first > 0.9) and np.all(first < 1.0)  # the first step is a diagonal of length about lr


def test_the_wrong_sentences_stay_out_of_chapters_1_and_2():
    assert "fixes the axis-aligned bowl completely" not in markdown("01_gradient_descent.ipynb")
    text = markdown("02_adagrad.ipynb")
    assert "comparable speeds: the" not in text and "heads almost straight" not in text
    assert "cancel after the\n   first step" not in text


def scaled(s):
    """Chapter 2's exercise 3: f = 0.1 (s x1)^2 + 2 x2^2."""
    return dataclasses.replace(
        problems.quadratic(),
        loss=lambda x: 0.1 * (s * x[..., 0]) ** 2 + 2.0 * x[..., 1] ** 2,
        gradient=lambda x, rng=None: np.array([0.2 * s * s * x[0], 4.0 * x[1]]),
    )


def steps_to(run, loss=1e-6):
    below = run.losses < loss
    assert below.any()
    return int(np.argmax(below))


def test_adagrads_path_ignores_a_coordinates_units_only_without_initial_accumulator():
    paths = {s: problems.run(AdaGrad(1.0, initial_accumulator_value=0.0), scaled(s), steps=300).xs for s in (0.1, 1, 10)}
    for s in (0.1, 10):
        np.testing.assert_allclose(paths[s], paths[1], rtol=0, atol=5e-3)  # the same path, up to epsilon
    default = {s: problems.run(AdaGrad(1.0), scaled(s), steps=3000) for s in (0.1, 1)}
    assert np.max(np.abs(default[0.1].xs[:301] - paths[1])) > 1.0  # G0 = 0.1 breaks the cancellation
    assert steps_to(default[0.1]) > 10 * steps_to(default[1])
    # for gradient descent the units change the curvature: at s = 10 the rate 0.4 no longer converges
    grows = problems.run(SGD(0.4), scaled(10), steps=50).losses
    assert grows[-1] > grows[0]


def keras_rmsprop_near_the_minimum(steps=150, chains=40, **hyperparameters):
    """Keras's RMSprop on chapter 3's noisy quadratic (noise 1), started at the minimum: (mean loss, mean step).

    RMSprop works element by element, so ``chains`` independent runs share one (chains, 2) variable; the
    first 30 steps, while v and the velocity fill, are left out."""
    rng, curvatures = np.random.default_rng(0), CURVATURES
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        optimizer = keras.optimizers.RMSprop(**hyperparameters)
        theta = keras.Variable(np.zeros((chains, 2)), dtype="float64")
        points = [theta.numpy()]
        for _ in range(steps):
            noisy_gradient = curvatures * theta.numpy() + rng.normal(size=(chains, 2))
            optimizer.apply_gradients([(noisy_gradient, theta)])
            points.append(theta.numpy())
    finally:
        keras.config.set_floatx(previous)
    xs = np.array(points)[30:]
    loss = problems.quadratic().loss(xs)
    return loss.mean(), np.linalg.norm(np.diff(xs, axis=0), axis=2).mean()


def test_keras_rmsprop_momentum_needs_lr_times_one_minus_momentum_to_compare_fairly():
    """Chapter 3, exercise 4: at the same lr momentum makes longer steps and a ~10x floor; at lr (1 - m) shorter."""
    plain_loss, plain_step = keras_rmsprop_near_the_minimum(learning_rate=0.01)
    same_loss, same_step = keras_rmsprop_near_the_minimum(learning_rate=0.01, momentum=0.9)
    fair_loss, fair_step = keras_rmsprop_near_the_minimum(learning_rate=0.001, momentum=0.9)
    assert same_step > 1.5 * plain_step and same_loss > 5 * plain_loss
    assert fair_step < 0.5 * plain_step and 0.7 < fair_loss / plain_loss < 1.3


def test_chapter_3_hint_no_longer_promises_shorter_steps_at_the_same_rate():
    assert "so the steps near the minimum are shorter;" not in markdown("03_rmsprop.ipynb")


def dropdown_faults(text):
    """Lines inside a ``:::{...}`` block indented less than its opening fence (they end the block early)."""
    faults, stack = [], []
    for line in text.split("\n"):
        fence = re.match(r"^( *)(:{3,})(\{[\w-]+\})?", line)
        if fence and fence.group(3):
            stack.append((len(fence.group(1)), fence.group(2)))
        elif fence and stack and line.strip() == stack[-1][1]:
            stack.pop()
        elif stack and line.strip() and len(line) - len(line.lstrip()) < stack[-1][0]:
            faults.append(line)
    return faults + [f"unclosed {fence}" for _, fence in stack]


def test_the_dropdown_check_finds_an_unindented_line():
    broken = "1. **Ex.**\n\n   :::{admonition} Hint\n   :class: dropdown\n   a line\ntimes at t\n   :::"
    assert dropdown_faults(broken) == ["times at t"]
    assert dropdown_faults(broken.replace("\ntimes", "\n   times")) == []


@pytest.mark.parametrize("name", ["01_gradient_descent", "02_adagrad", "03_rmsprop", "04_adam",
                                  "07_radam_in_keras", "09_playground"])
def test_every_admonition_keeps_its_lines_inside(name):
    assert dropdown_faults(markdown(f"{name}.ipynb")) == [], name
