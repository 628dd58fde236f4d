"""radam.variants: each RAdam implementation's details against closed forms and plain-Python transcriptions.

The reference for the paper's Algorithm 2 is written out below with floats and the math module, one
coordinate at a time; the book's variant must equal radam.numpy.RAdam up to rounding (1e-13: the operations come in another order).
"""

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from radam import theory
from radam.numpy import RAdam
from radam.variants import VARIANTS, RAdamVariant, steps_taken, variant


def gradients(steps=200, size=3, seed=0):
    return np.random.default_rng(seed).normal(size=(steps, size))


def run(optimizer, grads, theta0=1.0, grad_of_theta=None):
    theta = np.full(grads.shape[1], theta0)
    path = []
    for g in grads:
        optimizer.step([theta], [g if grad_of_theta is None else grad_of_theta(theta, g)])
        path.append(theta.copy())
    return np.array(path)


def algorithm_2(grads, lr, beta_1, beta_2):
    """The paper's Algorithm 2 for one coordinate, in plain Python floats."""
    theta, m, v, path = 1.0, 0.0, 0.0, []
    rho_inf = 2 / (1 - beta_2) - 1
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        m_hat = m / (1 - beta_1**t)
        rho = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
        if rho > 4:
            l_t = math.sqrt((1 - beta_2**t) / v)
            r_t = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            theta -= lr * r_t * m_hat * l_t
        else:
            theta -= lr * m_hat
        path.append(theta)
    return np.array(path)


@pytest.mark.parametrize("beta_2", [0.999, 0.99, 0.9])
def test_book_variant_is_radam_numpy(beta_2):
    grads = gradients()
    for below, degenerated in (("sgd", True), ("none", False)):
        ours = variant("radam.numpy.RAdam (this book)", learning_rate=0.05, beta_2=beta_2, below=below)
        reference = RAdam(learning_rate=0.05, beta_2=beta_2, degenerated_to_sgd=degenerated)
        np.testing.assert_allclose(run(ours, grads), run(reference, grads), rtol=0, atol=1e-13)
    ours = variant("radam.numpy.RAdam (this book)", learning_rate=0.05, beta_2=beta_2, weight_decay=0.1)
    reference = RAdam(learning_rate=0.05, beta_2=beta_2, weight_decay=0.1)
    np.testing.assert_allclose(run(ours, grads), run(reference, grads), rtol=0, atol=1e-13)


def test_paper_variant_is_algorithm_2():
    grads = gradients(steps=100, size=1)
    ours = run(variant("paper (Algorithm 2)", learning_rate=0.05, beta_2=0.99), grads)[:, 0]
    np.testing.assert_allclose(ours, algorithm_2(grads[:, 0], 0.05, 0.9, 0.99), rtol=0, atol=1e-13)


def test_thresholds_switch_where_rho_t_crosses_them():
    first = {name: next(t for t in range(1, 50) if variant(name).adaptive(t)) for name in VARIANTS}
    assert first["paper (Algorithm 2)"] == theory.first_adaptive_step(0.999, 4.0) == 5  # rho_5 = 4.996 > 4
    for name in VARIANTS:
        if name != "paper (Algorithm 2)":
            assert first[name] == theory.first_adaptive_step(0.999, 5.0) == 6, name
    # > and >= differ only where rho_t equals the threshold exactly
    threshold = theory.rho_t(7, 0.999)
    assert RAdamVariant(threshold=threshold, strict=False).adaptive(7)
    assert not RAdamVariant(threshold=threshold, strict=True).adaptive(7)
    assert RAdamVariant(threshold=threshold, strict=True).adaptive(8)


@pytest.mark.parametrize("g", [1e-7, 1e-3, 1.0])
def test_epsilon_placement_closed_form(g):
    # A constant gradient g gives m_hat = g and sqrt(v) = sqrt(1 - beta_2^t) g, so the adaptive step is
    # lr r_t g / (g + epsilon / sqrt(1 - beta_2^t)) with epsilon on sqrt(v), lr r_t g / (g + epsilon) on sqrt(v_hat).
    lr, epsilon, steps = 0.1, 1e-7, 30
    t = np.arange(1, steps + 1)
    r_t = theory.rectification(t, 0.999)
    grads = np.full((steps, 1), g)
    for epsilon_on, effective in (("v", epsilon / np.sqrt(1 - 0.999**t)), ("v_hat", np.full(steps, epsilon))):
        path = run(RAdamVariant(lr, epsilon=epsilon, epsilon_on=epsilon_on), grads, theta0=0.0)[:, 0]
        steps_taken = -np.diff(np.r_[0.0, path])
        adaptive = t >= 6
        np.testing.assert_allclose(steps_taken[adaptive], (lr * r_t * g / (g + effective))[adaptive], rtol=1e-9)
        np.testing.assert_allclose(steps_taken[~adaptive], lr * g, rtol=1e-12)  # SGD with momentum: m_hat = g


def test_coupled_decay_is_gradient_plus_decay_and_decoupled_shrinks_theta():
    grads = gradients(steps=100)
    coupled = run(RAdamVariant(0.05, weight_decay=0.3, decay="coupled"), grads)
    by_hand = run(RAdamVariant(0.05), grads, grad_of_theta=lambda theta, g: g + 0.3 * theta)
    np.testing.assert_allclose(coupled, by_hand, rtol=1e-14, atol=0)
    # zero gradients: decoupled decay multiplies theta by (1 - lr wd) per step
    zeros = np.zeros((20, 1))
    decoupled = run(RAdamVariant(0.05, weight_decay=0.3), zeros)[:, 0]
    np.testing.assert_allclose(decoupled, (1 - 0.05 * 0.3) ** np.arange(1, 21), rtol=1e-12)
    # coupled decay is normalised by sqrt(v) like any gradient: with adaptive steps only (below="none"),
    # ten times the weight decay moves theta by the same amounts
    weak, strong = (
        run(RAdamVariant(0.05, epsilon=1e-12, below="none", weight_decay=wd, decay="coupled"), zeros)[:, 0]
        for wd in (0.3, 3.0)
    )
    np.testing.assert_allclose(weak, strong, rtol=1e-9)
    assert weak[-1] < 0.99  # it did move


def test_no_update_below_the_threshold_not_even_decay():
    grads = gradients(steps=10)
    path = run(variant("authors' code, degenerated_to_sgd=False", learning_rate=0.1, weight_decay=0.5), grads)
    np.testing.assert_array_equal(path[:5], 1.0)
    assert np.all(path[5] != 1.0)


def test_published_variants_agree_after_the_switch_at_ordinary_gradient_scales():
    grads = gradients(steps=300)
    paths = {name: run(variant(name, learning_rate=0.01), grads) for name in VARIANTS}
    reference = paths["authors' code"]
    for name, path in paths.items():
        if name in ("paper (Algorithm 2)", "authors' code, degenerated_to_sgd=False"):
            assert np.max(np.abs(path - reference)) > 1e-4, name  # a different step 5 (or none before 6)
        else:
            np.testing.assert_allclose(path, reference, rtol=0, atol=1e-5, err_msg=name)


def test_config_round_trip():
    opt = variant("PyTorch torch.optim.RAdam", learning_rate=0.02, weight_decay=0.01)
    assert RAdamVariant(**opt.get_config()).get_config() == opt.get_config()
    assert opt.get_config()["decay"] == "coupled" and opt.get_config()["strict"] is True


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"epsilon_on": "sqrt(v)"}, "epsilon_on"),
        ({"below": "adam"}, "below"),
        ({"decay": "l2"}, "decay"),
        ({"strict": "yes"}, "strict"),
        ({"threshold": 3.0}, "threshold"),
        ({"epsilon": -1e-8}, "epsilon"),
        ({"beta_2": 1.0}, "beta_2"),
        ({"beta_1": 1.5}, "beta_1"),
        ({"threshold": -1.0}, "threshold"),
        ({"weight_decay": -0.1}, "weight_decay"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must "):  # the message starts with the argument's own name
        RAdamVariant(**kwargs)


def test_defaults_are_the_authors_code():
    # The authors' RAdam (github.com/LiyuanLucasLiu/RAdam, radam.py): lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
    # weight_decay=0, degenerated_to_sgd=True, N_sma >= 5, eps added to the uncorrected sqrt(v).
    config = RAdamVariant().get_config()
    assert config == variant("authors' code", learning_rate=1e-3).get_config()
    assert config == {
        "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "threshold": 5.0, "strict": False,
        "epsilon_on": "v", "below": "sgd", "weight_decay": 0.0, "decay": "decoupled",
    }


def test_step_scalars_are_the_closed_forms():
    optimizer = RAdamVariant(beta_1=0.8, beta_2=0.99)
    for t in range(1, 12):
        scalars = optimizer.step_scalars(t, 0.25)
        rho_inf = 2 / (1 - 0.99) - 1
        rho = rho_inf - 2 * t * 0.99**t / (1 - 0.99**t)
        assert scalars["lr"] == 0.25 and scalars["adaptive"] is (rho >= 5)
        if rho >= 5:
            r_t = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            assert scalars["r_t"] == pytest.approx(r_t, rel=1e-12)
        else:
            assert scalars["r_t"] is None  # no r_t where it is not used (it is NaN below rho_t = 4)
        assert scalars["bias_correction_1"] == pytest.approx(1 - 0.8**t, rel=1e-14)
        assert scalars["bias_correction_2"] == pytest.approx(1 - 0.99**t, rel=1e-12)


def test_unknown_variant():
    with pytest.raises(ValueError, match="name must be one of"):
        variant("Adam")


def test_steps_taken_in_units_of_the_learning_rate():
    grads = [0.5, -1.0, 2.0, 0.1, 0.3, -0.2, 1.0]
    taken = steps_taken("authors' code", grads, learning_rate=0.01)
    theta, optimizer = np.zeros(1), variant("authors' code", learning_rate=0.01)
    expected = []
    for g in grads:
        before = theta[0]
        optimizer.step([theta], [np.array([g])])
        expected.append((before - theta[0]) / 0.01)
    np.testing.assert_allclose(taken, expected, rtol=1e-12)
    assert taken[0] == pytest.approx(0.5)  # the first momentum step is lr * m_hat = lr * g_1
    none = steps_taken("authors' code, degenerated_to_sgd=False", grads)
    assert np.all(none[:5] == 0) and none[5] != 0  # no change before the first rectified step (t = 6)


def test_steps_taken_passes_options_on_at_the_default_learning_rate():
    # With weight decay the step depends on the learning rate (theta -= lr wd theta): the default 1e-3, against
    # radam.numpy.RAdam, which is the authors' code with epsilon 1e-8.
    grads = [0.5, -1.0, 2.0, 0.1, 0.3, -0.2, 1.0, 3.0, -2.0, 0.7]
    taken = steps_taken("authors' code", grads, weight_decay=50.0)
    theta, reference = np.zeros(1), RAdam(learning_rate=1e-3, epsilon=1e-8, weight_decay=50.0)
    expected = []
    for g in grads:
        before = theta[0]
        reference.step([theta], [np.array([g])])
        expected.append((before - theta[0]) / 1e-3)
    np.testing.assert_allclose(taken, expected, rtol=1e-12)
    assert np.max(np.abs(taken - steps_taken("authors' code", grads))) > 1e-3  # the decay shows


def test_steps_taken_reads_any_real_numbers_as_float64():
    exact = [Fraction(1, 2), Decimal("-1.25"), 2, np.float32(0.25), Fraction(1, 3), 0.3, -0.2]
    np.testing.assert_array_equal(steps_taken("authors' code", exact),
                                  steps_taken("authors' code", [float(g) for g in exact]))
