"""radam.numpy against the Keras built-ins: SGD, AdaGrad, RMSProp and Adam against ``keras.optimizers``, and
RAdam against :class:`radam.keras.RAdam` where the NumPy tests alone cannot tell (degenerate and near-1 beta_2).

Skipped, with the reason, where TensorFlow is not installed: the NumPy core's own tests (test_numpy.py) do
not need it.

Keras comparisons run 500 steps on a small least-squares problem over three arrays of different shapes,
with minibatch gradients computed at the NumPy optimizer's parameters and fed to both (so the test compares
the update arithmetic; differences do not feed back through the gradients). Tolerances:

- float32, Keras's default hyperparameters: Keras rounds beta_1, beta_2 to float32 and computes
  beta_2^t and 1 - beta_2^t in float32, which loses about five digits at small t (1 - 0.999^t ~ 1e-3 t):
  Adam's step size then differs by up to ~1e-5 relative from NumPy's (computed in float64), AdaGrad and
  RMSProp differ by a unit in the last place per operation (different operation order). Accumulated over
  500 steps of size ~lr this is up to ~1e-5 of the parameters' scale (measured 2e-5 for Adam, 2e-7 for
  AdaGrad and RMSProp, 0 for SGD); tolerance 1e-4 of the scale.
- float64: Keras converts Python floats (beta_1, momentum, ...) to tensors through float32, so with
  hyperparameters such as 0.9 it differs from float64 arithmetic by ~1e-8 relative per step. We therefore
  use hyperparameters that are exact in float32 (0.875, 1 - 2^-10, 2^-7, 2^-23): then only the order of
  operations differs, a few units of 1e-16 per step (measured 1.3e-15 after 500 Adam steps); tolerance
  1e-12 of the scale.

A wrong constant, a missed bias correction or epsilon in the wrong place changes the results by far more.
"""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="TensorFlow is not installed: the Keras agreement tests need it")
keras = pytest.importorskip("keras", reason="Keras is not installed: the Keras agreement tests need it")
from keras import ops  # noqa: E402
from test_numpy import LeastSquares, run_numpy  # noqa: E402

from radam import numpy as rnp  # noqa: E402
from radam import schedules  # noqa: E402
from radam.keras import RAdam as KerasRAdam  # noqa: E402

CLASSIC = {  # name: (radam.numpy class, keras class, float32 hyperparameters, float64 hyperparameters)
    "SGD": (rnp.SGD, keras.optimizers.SGD, {"learning_rate": 0.01}, {"learning_rate": 2**-7}),
    "SGD momentum": (
        rnp.SGD,
        keras.optimizers.SGD,
        {"learning_rate": 0.01, "momentum": 0.9},
        {"learning_rate": 2**-7, "momentum": 0.875},
    ),
    "AdaGrad": (
        rnp.AdaGrad,
        keras.optimizers.Adagrad,
        {"learning_rate": 0.1, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        {"learning_rate": 2**-3, "initial_accumulator_value": 2**-3, "epsilon": 2**-23},
    ),
    "RMSProp": (
        rnp.RMSProp,
        keras.optimizers.RMSprop,
        {"learning_rate": 0.01, "rho": 0.9, "epsilon": 1e-7},
        {"learning_rate": 2**-7, "rho": 0.875, "epsilon": 2**-23},
    ),
    "Adam": (
        rnp.Adam,
        keras.optimizers.Adam,
        {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
        {"learning_rate": 2**-7, "beta_1": 0.875, "beta_2": 1 - 2**-10, "epsilon": 2**-23},
    ),
}
KERAS_TOLERANCE = {"float32": 1e-4, "float64": 1e-12}  # of the parameters' scale; see the module docstring


def run_keras(optimizer, start, gradients, dtype):
    """Apply the recorded gradients with a Keras optimizer; returns the final parameters.

    ``apply_gradients`` runs as a tf.function, as ``fit`` runs it (and ten times faster than eagerly).
    """
    variables = [keras.Variable(p, dtype=dtype) for p in start]
    optimizer.build(variables)
    apply = tf.function(lambda grads: optimizer.apply_gradients(zip(grads, variables)))
    for grads in gradients:
        apply([ops.convert_to_tensor(g, dtype=dtype) for g in grads])
    return [v.numpy() for v in variables]


def assert_close_to_scale(actual, expected, tolerance):
    """|actual - expected| <= tolerance * max|expected|, array by array."""
    for a, e in zip(actual, expected):
        assert a.dtype == e.dtype
        scale = np.abs(e).max()
        np.testing.assert_allclose(a, e, rtol=0, atol=tolerance * scale)


def hyperparameters(name, dtype):
    _, _, single, double = CLASSIC[name]
    return single if dtype == "float32" else double


@pytest.mark.parametrize("name", CLASSIC)
def test_classic_optimizer_computes_what_keras_computes(name, floatx):
    numpy_class, keras_class, _, _ = CLASSIC[name]
    kwargs = hyperparameters(name, floatx)
    history, gradients = run_numpy(numpy_class(**kwargs), 500, floatx)
    final = run_keras(keras_class(**kwargs), LeastSquares(floatx).start, gradients, floatx)
    assert_close_to_scale(history[-1], final, KERAS_TOLERANCE[floatx])
    # The parameters really moved (relative to the tolerance): the comparison is not of two starting points.
    start = LeastSquares(floatx).start
    assert all(np.abs(p - s).max() > 100 * KERAS_TOLERANCE[floatx] * np.abs(s).max() for p, s in zip(final, start))


class WarmupThenDecay(keras.optimizers.schedules.LearningRateSchedule):
    """schedules.warmup_then_linear_decay in keras.ops. Keras passes the 0-based step count: radam's t = step + 1."""

    def __init__(self, learning_rate, total_steps, warmup_proportion, min_lr):
        self.learning_rate, self.total_steps, self.min_lr = learning_rate, total_steps, min_lr
        self.warmup = total_steps * warmup_proportion

    def __call__(self, step):
        t = ops.cast(step, keras.config.floatx()) + 1.0
        rising = self.learning_rate * t / self.warmup
        decay = self.total_steps - self.warmup
        falling = self.learning_rate + (self.min_lr - self.learning_rate) * ops.minimum(t - self.warmup, decay) / decay
        return ops.where(t <= self.warmup, rising, falling)


@pytest.mark.parametrize("name", CLASSIC)
def test_schedule_callable_computes_what_a_keras_schedule_computes(name, floatx):
    numpy_class, keras_class, _, _ = CLASSIC[name]
    kwargs = hyperparameters(name, floatx)
    peak = kwargs["learning_rate"]
    # Warmup over 32 steps, decay to peak / 8 at step 160, then flat (all exact in binary for float64).
    shape = {"total_steps": 160, "warmup_proportion": 0.2, "min_lr": peak / 8}
    schedule = schedules.warmup_then_linear_decay(peak, **shape)
    history, gradients = run_numpy(numpy_class(**{**kwargs, "learning_rate": schedule}), 200, floatx)
    keras_optimizer = keras_class(**{**kwargs, "learning_rate": WarmupThenDecay(peak, **shape)})
    final = run_keras(keras_optimizer, LeastSquares(floatx).start, gradients, floatx)
    assert_close_to_scale(history[-1], final, KERAS_TOLERANCE[floatx])
    # The schedule mattered: the same optimizer at the constant peak rate ends elsewhere.
    constant, _ = run_numpy(numpy_class(**kwargs), 200, floatx)
    assert max(np.abs(a - b).max() for a, b in zip(history[-1], constant[-1])) > 1e-3



# ---- RAdam against radam.keras.RAdam where the rule is delicate ----------------------------------------------------


def run_both_radams(kwargs, steps, numpy_dtype, keras_dtype, seed):
    """The same gradient stream (drawn in float64) through radam.numpy.RAdam and radam.keras.RAdam; both end points."""
    rng = np.random.default_rng(seed)
    start, grads = rng.normal(size=6), rng.normal(size=(steps, 6))
    param = start.astype(numpy_dtype)
    variable = keras.Variable(start.astype(keras_dtype), dtype=keras_dtype)
    numpy_opt, keras_opt = rnp.RAdam(**kwargs), KerasRAdam(**kwargs)
    apply = tf.function(lambda g: keras_opt.apply([g], [variable]))
    for g in grads:
        numpy_opt.step([param], [g])
        apply(tf.constant(g.astype(keras_dtype)))
    return start, param, variable.numpy()


def test_degenerate_beta_2_stays_finite_and_agrees_with_keras(floatx):
    # beta_2 = 0.6: rho_inf = 4 = sma_threshold. rho_t rises towards 4 and reached it in float64 at t = 81, where
    # r_t was 0 / 0: the parameters became NaN. No step is adaptive where rho_inf <= sma_threshold, so this is
    # SGD with momentum throughout, in both packages.
    kwargs = {"learning_rate": 0.01, "beta_2": 0.6, "sma_threshold": 4.0}
    start, numpy_end, keras_end = run_both_radams(kwargs, 10_000, floatx, floatx, seed=9)
    assert np.isfinite(numpy_end).all() and np.isfinite(keras_end).all()
    assert np.abs(numpy_end - start).max() > 0.1  # it moved
    # SGD steps with momentum over 10,000 steps: the two round differently, and the sums random-walk.
    tolerance = {"float32": 1e-4, "float64": 1e-11}[floatx]
    np.testing.assert_allclose(numpy_end, keras_end, rtol=0, atol=tolerance * np.abs(keras_end).max())


@pytest.mark.parametrize(
    "beta_2", [1 - 1e-7, 1 - 1e-9]
)
def test_beta_2_near_1_numpy_float64_agrees_with_keras_float32(beta_2):
    # rho_inf is 2e7 and 2e9: rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t) is the difference of two numbers
    # near rho_inf, and 1 - beta_2^t ~ t (1 - beta_2) loses half its digits when computed as 1 - beta_2**t. Both
    # packages compute them without the cancellation, so NumPy in float64 and Keras in float32 agree to float32
    # precision over the SGD steps (t <= 5) and the rectified ones after.
    kwargs = {"learning_rate": 0.01, "beta_2": beta_2}
    start, numpy_end, keras_end = run_both_radams(kwargs, 30, "float64", "float32", seed=10)
    assert np.abs(numpy_end - start).max() > 0.01
    np.testing.assert_allclose(keras_end, numpy_end, rtol=1e-5, atol=1e-6 * np.abs(numpy_end).max())
