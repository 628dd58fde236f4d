"""radam.keras.RAdam under hostile settings: half-precision variables, degenerate beta_2 / sma_threshold,
an epsilon that underflows, integers beyond the float range."""

import ml_dtypes
import numpy as np
import pytest

keras = pytest.importorskip("keras", reason="radam.keras needs Keras 3 and a backend")
tf = pytest.importorskip("tensorflow", reason="these tests run Keras on the TensorFlow backend")

from radam.keras import RAdam  # noqa: E402

STEPS = 100


def trajectory(dtype, steps=STEPS, **kwargs):
    """Parameters after each of ``steps`` RAdam steps on fixed gradients, in variables of ``dtype``."""
    variable = keras.Variable(np.linspace(-1.0, 1.0, 16), dtype=dtype)
    optimizer = RAdam(**kwargs)
    gradients = np.sin(np.arange(steps)[:, None] * 0.37 + np.arange(16)[None, :])
    out = []
    for g in gradients:
        optimizer.apply([keras.ops.convert_to_tensor(g, dtype=dtype)], [variable])
        out.append(np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(variable, "float32")), dtype=np.float64))
    return np.array(out)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_variables_follow_the_float32_run(dtype):
    """Before, (rho_inf - 4)(rho_inf - 2) rho_t (about 4e6) overflowed float16 and every step after the SGD
    phase was NaN. Now the scalars are float32 and only the step is rounded to the variable's dtype.

    Tolerance: each step rounds each parameter once to the dtype, an error of at most half an ulp of the
    largest parameter value; after k steps the runs can differ by at most k such roundings (plus the float32
    run's own, negligible), and the bound is checked after every step.
    """
    # beta_2 = 0.99: r_t passes 0.5 within the 100 steps, so the parameters move by far more than a rounding
    settings = dict(learning_rate=0.1, beta_2=0.99)
    half = trajectory(dtype, **settings)
    full = trajectory("float32", **settings)
    assert np.isfinite(half).all()
    eps = float(ml_dtypes.finfo(ml_dtypes.bfloat16).eps) if dtype == "bfloat16" else float(np.finfo(np.float16).eps)
    half_ulp = eps * np.maximum(np.abs(full).max(axis=1), 1.0) / 2
    bound = np.cumsum(half_ulp)
    assert (np.abs(half - full).max(axis=1) <= bound).all()
    # and the comparison is not trivial: the parameters moved by far more than the bound allows at the start
    assert np.abs(full[-1] - full[0]).max() > 10 * bound[0]


def test_a_float16_dense_layer_trains_finite_like_adam():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1))).astype("float32")
    losses = {}
    for name, make in (("radam", lambda: RAdam(1e-3)), ("adam", lambda: keras.optimizers.Adam(1e-3))):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, dtype="float16")])
        model.compile(make(), "mse")
        losses[name] = model.fit(x, y, epochs=3, batch_size=32, verbose=0).history["loss"]
    assert np.isfinite(losses["adam"]).all() and np.isfinite(losses["radam"]).all()
    assert losses["radam"][-1] < losses["radam"][0]


def test_beta_2_whose_rho_inf_equals_the_threshold_stays_finite():
    """beta_2 = 0.6 gives rho_inf = 4 = sma_threshold: rho_t creeps up to 4 and r_t was 0/0 at step 34. The
    step is adaptive only where rho_inf > sma_threshold, so here RAdam stays SGD with momentum throughout."""
    path = trajectory("float32", steps=300, learning_rate=1e-2, beta_2=0.6, sma_threshold=4.0)
    assert np.isfinite(path).all()
    optimizer = RAdam(1e-2, beta_2=0.6, sma_threshold=4.0)
    variable = keras.Variable(np.ones(3, dtype="float32"))
    for _ in range(100):
        optimizer.apply([keras.ops.ones(3)], [variable])
    assert float(optimizer.rectification) == 0.0


@pytest.mark.parametrize("dtype, epsilon", [("float16", 1e-8), ("float32", 1e-50), ("bfloat16", 1e-50)])
def test_an_epsilon_that_underflows_is_refused_when_the_variables_are_known(dtype, epsilon):
    variable = keras.Variable(np.ones(3), dtype=dtype, name="kernel")
    optimizer = RAdam(epsilon=epsilon)
    with pytest.raises(ValueError, match=f"epsilon={epsilon!r} underflows to 0 in {dtype} .*'kernel'"):
        optimizer.build([variable])


def test_integers_beyond_the_float_range_are_value_errors():
    with pytest.raises(ValueError, match=r"total_steps must be a whole number below 2\*\*53, got 1000.*\(401 chars\)"):
        RAdam(total_steps=10**400)
    with pytest.raises(ValueError, match="learning_rate must be a finite number, got 1000.*too large for a float"):
        RAdam(learning_rate=10**400)
