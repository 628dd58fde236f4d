"""Chapter 7's statements about the Keras RAdam and its migration guide, checked against the code they describe."""

import warnings

import keras
import numpy as np
import pytest

from radam import numpy as radam_numpy
from radam import theory
from radam.keras import RAdam


@pytest.mark.parametrize("beta_2", [0.9, 0.99, 0.999, 0.9999])
@pytest.mark.parametrize("sma_threshold", [4.5, 5.0, 8.0, 12.0])
def test_comparing_step_numbers_is_comparing_rho_t_with_the_threshold(beta_2, sma_threshold):
    """Cell 11: _adaptive tests t >= first_adaptive_step, equivalent to rho_t >= sma_threshold since rho_t grows."""
    t = np.arange(1, 400)
    rho = theory.rho_t(t, beta_2)
    assert np.all(np.diff(rho) >= 0)
    if theory.rho_inf(beta_2) <= sma_threshold:
        return
    first = theory.first_adaptive_step(beta_2, sma_threshold)
    np.testing.assert_array_equal(t >= first, rho >= sma_threshold)


def test_the_square_roots_argument_is_negative_only_between_2_and_4():
    """Cell 9: (rho_t - 4)(rho_t - 2) < 0 for 2 < rho_t < 4; at t = 1 and 2, rho_1 = 1 and
    rho_2 = (1 + 3 beta_2) / (1 + beta_2) < 2 make the product positive."""
    for beta_2 in (0.9, 0.99, 0.999):
        rho = theory.rho_t(np.arange(1, 50), beta_2)
        product = (rho - 4) * (rho - 2)
        np.testing.assert_array_equal(product < 0, (rho > 2) & (rho < 4))
        assert rho[0] == pytest.approx(1.0) and product[0] > 0
        assert rho[1] == pytest.approx((1 + 3 * beta_2) / (1 + beta_2)) and rho[1] < 2 and product[1] > 0
        assert np.all(product[2:4] < 0)  # steps 3 and 4


@pytest.mark.parametrize("argument", [{"amsgrad": True}, {"lr": 0.01}])
def test_arguments_of_tensorflow_addons_that_radam_rejects(argument):
    with pytest.raises(ValueError, match=next(iter(argument))):
        RAdam(**argument)


def test_decay_is_ignored_with_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decayed = RAdam(learning_rate=0.1, decay=0.5)
    assert any("decay" in str(w.message) for w in caught)
    plain = RAdam(learning_rate=0.1)
    paths = []
    for optimizer in (decayed, plain):
        variable = keras.Variable(np.ones(3, dtype="float32"))
        for _ in range(20):
            optimizer.apply_gradients([(np.full(3, 0.5, dtype="float32"), variable)])
        paths.append(variable.numpy())
    np.testing.assert_array_equal(*paths)


def test_the_keras_methods_radam_overrides_exist_in_the_base_class():
    """The migration guide: two of the overridden methods are private; a rename in Keras must fail here."""
    for name in ("_get_current_learning_rate", "_apply_weight_decay", "update_step", "build"):
        assert callable(getattr(keras.optimizers.Optimizer, name, None)), name
        assert name in RAdam.__dict__


@pytest.mark.parametrize("g", [1e-6, 1e-3])
def test_epsilon_on_sqrt_v_is_epsilon_over_sqrt_of_1_minus_beta_2_t_on_sqrt_v_hat(g):
    """A steady gradient g: the step at t is lr r_t g / (g + epsilon / sqrt(1 - beta_2^t)), not ... (g + epsilon)."""
    lr, epsilon, beta_2 = 1e-3, 1e-7, 0.999
    optimizer, theta = radam_numpy.RAdam(learning_rate=lr, epsilon=epsilon, beta_2=beta_2), np.zeros(1)
    for t in range(1, 31):
        before = theta.copy()
        optimizer.step([theta], [np.full(1, g)])
        if t >= 6:
            r_t = theory.rectification(t, beta_2)
            ours = lr * r_t * g / (g + epsilon / np.sqrt(1 - beta_2**t))
            assert before[0] - theta[0] == pytest.approx(ours, rel=1e-9)
    theirs = lr * theory.rectification(6, beta_2) * g / (g + epsilon)
    first_adaptive = lr * theory.rectification(6, beta_2) * g / (g + epsilon / np.sqrt(1 - beta_2**6))
    gap = 1 - first_adaptive / theirs
    assert (gap > 0.5) if g == 1e-6 else (0 < gap < 2e-3)


@pytest.mark.source_tree  # reads the chapter
def test_the_schedule_formula_is_narrow_and_shows_its_conditions():
    """Issue 26.1: chapter 7's schedule in two short displays, each with its condition, no \\text{a\\_b}."""
    import json
    import re
    from pathlib import Path

    notebook = json.loads((Path(__file__).resolve().parents[1] / "book" / "07_radam_in_keras.ipynb").read_text())
    text = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    assert not re.search(r"\\text\{[^}]*\\_", text)
    displays = re.findall(r"\$\$(.*?)\$\$", text, re.DOTALL)
    schedule = [d for d in displays if r"\mathrm{lr}_t" in d]
    assert any(r"t \le \mathrm{warmup}" in d for d in schedule) and any(r"t > \mathrm{warmup}" in d for d in schedule)
    assert len(schedule) == 2 and not any("cases" in d for d in schedule)  # one short display per condition


@pytest.mark.source_tree  # reads the chapter and CI's pin files
def test_the_backends_and_versions_the_chapter_names_are_the_ones_ci_tests():
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    chapter = json.loads((root / "book" / "07_radam_in_keras.ipynb").read_text())
    prose = " ".join(" ".join("".join(c["source"]).split()) for c in chapter["cells"] if c["cell_type"] == "markdown")

    def pinned(path, name):
        return re.search(rf"^{re.escape(name)}==([0-9.]+)", (root / path).read_text(), re.M).group(1)

    oldest_keras, oldest_tf = pinned(".ci/oldest.txt", "keras"), pinned(".ci/oldest.txt", "tensorflow-cpu")
    requirements = (root / "requirements.txt").read_text()
    newest_keras = re.search(r"^keras>=[0-9.]+,<3\.(\d+)", requirements, re.M).group(1)
    newest_tf = re.search(r"^tensorflow-cpu>=[0-9.]+,<2\.(\d+)", requirements, re.M).group(1)
    assert (
        f"Keras {oldest_keras.rsplit('.0', 1)[0]} with TensorFlow {oldest_tf.rsplit('.', 1)[0]} up to "
        f"Keras 3.{int(newest_keras) - 1} with TensorFlow 2.{int(newest_tf) - 1}"
    ) in prose
    for backend, name in (("jax", "JAX"), ("torch", "PyTorch")):
        keras_version = pinned(f".ci/{backend}.txt", "keras")
        version = pinned(f".ci/{backend}.txt", backend if backend == "torch" else "jax")
        assert f"with Keras {keras_version}" in prose and f"{name} {version}" in prose
