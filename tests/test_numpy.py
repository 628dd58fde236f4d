"""radam.numpy: the classic optimizers against their Keras built-ins, RAdam against DESIGN.md's rule written
out in plain Python, state and config round trips, memory per step, and input validation.

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

import math
import re
import subprocess
import sys
import tracemalloc

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from radam import numpy as rnp
from radam import schedules

SHAPES = [(3, 4), (5,), (2, 1, 3)]

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


class LeastSquares:
    """mean((X w - y)^2) / 2 over 64 samples, w = the arrays of SHAPES flattened and joined; minibatches of 8."""

    def __init__(self, dtype, seed=0):
        self.dtype = dtype
        self.rng = np.random.default_rng(seed)
        self.sizes = [math.prod(shape) for shape in SHAPES]
        n = sum(self.sizes)
        self.X = self.rng.normal(size=(64, n)) * self.rng.uniform(0.2, 3.0, size=n)  # unequal feature scales
        self.y = self.X @ self.rng.normal(size=n) + 0.3 * self.rng.normal(size=64)
        self.start = [self.rng.normal(size=shape).astype(dtype) for shape in SHAPES]

    def gradients(self, params):
        batch = self.rng.choice(len(self.y), 8, replace=False)
        w = np.concatenate([p.ravel() for p in params]).astype(np.float64)
        g = self.X[batch].T @ (self.X[batch] @ w - self.y[batch]) / len(batch)
        parts = np.split(g, np.cumsum(self.sizes)[:-1])
        return [part.reshape(shape).astype(self.dtype) for part, shape in zip(parts, SHAPES)]


def run_numpy(optimizer, steps, dtype, seed=0):
    """Train on LeastSquares; returns the parameters after every step and the gradients used at each step."""
    problem = LeastSquares(dtype, seed)
    params = [p.copy() for p in problem.start]
    history, gradients = [], []
    for _ in range(steps):
        grads = problem.gradients(params)
        optimizer.step(params, grads)
        gradients.append(grads)
        history.append([p.copy() for p in params])
    return history, gradients


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


# ---- RAdam against DESIGN.md's rule, one Python float at a time ------------------------------------------------


def radam_reference(
    start,
    gradients,
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    sma_threshold=5.0,
    degenerated_to_sgd=True,
    weight_decay=0.0,
    total_steps=0,
    warmup_proportion=0.1,
    min_lr=0.0,
):
    """The RAdam rule of DESIGN.md section 3 on flat lists of floats; returns the parameters after every step."""
    theta = [float(x) for x in start]
    m, v = [0.0] * len(theta), [0.0] * len(theta)
    rho_inf = 2 / (1 - beta_2) - 1
    history = []
    for t, g in enumerate(gradients, start=1):
        lr_t = learning_rate(t) if callable(learning_rate) else learning_rate
        if total_steps > 0:
            warmup = total_steps * warmup_proportion
            if t <= warmup:
                lr_t = lr_t * t / warmup
            elif t >= total_steps:
                lr_t = min_lr
            else:
                lr_t = lr_t + (min_lr - lr_t) * (t - warmup) / (total_steps - warmup)
        rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
        for i in range(len(theta)):
            if rho_t >= sma_threshold or degenerated_to_sgd:  # a step that changes theta decays it first
                theta[i] -= lr_t * weight_decay * theta[i]
            m[i] = beta_1 * m[i] + (1 - beta_1) * g[i]
            v[i] = beta_2 * v[i] + (1 - beta_2) * g[i] ** 2
            m_hat = m[i] / (1 - beta_1**t)
            if rho_t >= sma_threshold:
                r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                theta[i] -= lr_t * r_t * m_hat * math.sqrt(1 - beta_2**t) / (math.sqrt(v[i]) + epsilon)
            elif degenerated_to_sgd:
                theta[i] -= lr_t * m_hat
        history.append(list(theta))
    return history


def flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


RADAM_CASES = {
    **{
        f"beta_2={b} threshold={s}": {"beta_2": b, "sma_threshold": s}
        for b in (0.9, 0.99, 0.999)
        for s in (4.0, 5.0, 6.0)
    },
    "blog schedule": {"total_steps": 100, "warmup_proportion": 0.1, "min_lr": 1e-4},
    "blog schedule, fractional warmup": {"total_steps": 55, "warmup_proportion": 0.1, "min_lr": 0.0},
    "blog schedule, no warmup": {"total_steps": 100, "warmup_proportion": 0.0, "min_lr": 1e-3},
    "weight decay": {"weight_decay": 0.5},
    "no SGD fallback": {"degenerated_to_sgd": False},
    "schedule callable": {"learning_rate": lambda t: 0.02 / math.sqrt(t)},
    "schedule callable and blog schedule": {"learning_rate": lambda t: 0.02 * 0.995**t, "total_steps": 80},
    "beta_1=0, large epsilon": {"beta_1": 0.0, "epsilon": 1e-2},
    "everything": {
        "beta_1": 0.8,
        "beta_2": 0.99,
        "sma_threshold": 4.0,
        "weight_decay": 0.1,
        "total_steps": 90,
        "warmup_proportion": 0.2,
        "min_lr": 1e-3,
        "degenerated_to_sgd": False,
    },
}


@pytest.mark.parametrize("kwargs", RADAM_CASES.values(), ids=RADAM_CASES.keys())
def test_radam_follows_the_rule_step_by_step(kwargs):
    kwargs = {"learning_rate": 0.01, **kwargs}
    history, gradients = run_numpy(rnp.RAdam(**kwargs), 120, "float64")
    expected = radam_reference(flat(LeastSquares("float64").start), [flat(g) for g in gradients], **kwargs)
    # Float64 with the operations in another order: ~1e-16 per step, accumulated over 120 steps (measured 4e-15).
    np.testing.assert_allclose([flat(p) for p in history], expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("beta_2", [0.9, 0.99, 0.999])
@pytest.mark.parametrize("sma_threshold, first_adaptive", [(4.0, 5), (5.0, 6), (6.0, 7)])
def test_sgd_steps_until_the_first_adaptive_step(beta_2, sma_threshold, first_adaptive):
    # rho_t for t = 4, 5, 6, 7: 3.74, 4.58, 5.39, 6.16 (0.9); 3.97, 4.96, 5.94, 6.92 (0.99); 3.997, 4.996,
    # 5.994, 6.992 (0.999): the first t with rho_t >= threshold is threshold + 1 for all three.
    lr, beta_1 = 0.01, 0.9
    optimizer = rnp.RAdam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, sma_threshold=sma_threshold)
    rng = np.random.default_rng(0)
    theta, m = rng.normal(size=4), np.zeros(4)
    for t in range(1, first_adaptive + 2):
        g = rng.normal(size=4)
        before = theta.copy()
        optimizer.step([theta], [g])
        m = beta_1 * m + (1 - beta_1) * g
        sgd_step = -lr * m / (1 - beta_1**t)
        if t < first_adaptive:
            np.testing.assert_allclose(theta - before, sgd_step, rtol=1e-13)
        else:  # the adaptive step: |m_hat| / sqrt(v_hat) is no longer |m_hat|
            assert not np.allclose(theta - before, sgd_step, rtol=1e-3)


def test_without_sgd_fallback_parameters_wait_while_moments_and_steps_advance():
    rng = np.random.default_rng(1)
    start = rng.normal(size=(3, 2))
    radam_params, adam_params = start.copy(), start.copy()
    radam = rnp.RAdam(learning_rate=0.01, degenerated_to_sgd=False)
    adam = rnp.Adam(learning_rate=0.01)
    for t in range(1, 7):  # beta_2 = 0.999, threshold 5: the first adaptive step is t = 6
        g = rng.normal(size=(3, 2))
        radam.step(radam_params, g)
        adam.step(adam_params, g)
        assert radam.iterations == t
        radam_state, adam_state = radam.state_dict(), adam.state_dict()
        np.testing.assert_array_equal(radam_state["slots"][0]["m"], adam_state["slots"][0]["m"])
        np.testing.assert_array_equal(radam_state["slots"][0]["v"], adam_state["slots"][0]["v"])
        assert np.all(radam_state["slots"][0]["v"] > 0)
        if t < 6:
            np.testing.assert_array_equal(radam_params, start)
        else:
            assert np.all(radam_params != start)


def r_t_by_hand(t, beta_2):
    rho_inf = 2 / (1 - beta_2) - 1
    rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
    return math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))


@pytest.mark.parametrize("t", [6, 10, 100, 1000, 100_000])
def test_rectified_step_is_adams_step_times_r_t(t):
    rng = np.random.default_rng(t)
    state = {"iterations": t - 1, "slots": [{"m": rng.normal(size=5), "v": rng.uniform(0.1, 2.0, size=5)}]}
    g, start = rng.normal(size=5), np.zeros(5)  # from 0, the new parameters are the steps, without cancellation
    radam_params, adam_params = start.copy(), start.copy()
    radam, adam = rnp.RAdam(learning_rate=0.01), rnp.Adam(learning_rate=0.01)
    radam.load_state_dict(state)
    adam.load_state_dict(state)
    radam.step(radam_params, g)
    adam.step(adam_params, g)
    np.testing.assert_allclose(radam_params, r_t_by_hand(t, 0.999) * adam_params, rtol=1e-13)
    if t == 100_000:  # r_t = 1 to double precision: RAdam is Adam
        np.testing.assert_array_equal(radam_params, adam_params)


# ---- what every optimizer shares ----------------------------------------------------------------------------------

ALL = {
    "SGD": lambda: rnp.SGD(learning_rate=0.01),
    "SGD momentum": lambda: rnp.SGD(learning_rate=0.01, momentum=0.9),
    "AdaGrad": lambda: rnp.AdaGrad(learning_rate=0.1, initial_accumulator_value=0.2),
    "RMSProp": lambda: rnp.RMSProp(learning_rate=0.01, rho=0.8),
    "Adam": lambda: rnp.Adam(learning_rate=0.01, beta_1=0.8),
    "Adam with a schedule": lambda: rnp.Adam(learning_rate=schedules.linear_warmup(0.01, 10)),
    "RAdam": lambda: rnp.RAdam(learning_rate=0.01),
    "RAdam, all arguments": lambda: rnp.RAdam(
        learning_rate=0.01,
        beta_1=0.85,
        beta_2=0.99,
        epsilon=1e-6,
        sma_threshold=6.0,
        degenerated_to_sgd=False,
        weight_decay=0.01,
        total_steps=30,
        warmup_proportion=0.2,
        min_lr=1e-4,
    ),
}


def gradient_stream(seed, steps):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=shape) for shape in SHAPES] for _ in range(steps)]


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
@pytest.mark.parametrize("rebuild", [False, True], ids=["same optimizer", "new optimizer from get_config"])
def test_restored_optimizer_continues_bit_identically(make, rebuild):
    optimizer = make()
    params = [np.random.default_rng(0).normal(size=shape) for shape in SHAPES]
    for grads in gradient_stream(1, 8):  # RAdam takes SGD steps up to t = 5 (6 with threshold 6): restore after
        optimizer.step(params, grads)
    state, saved = optimizer.state_dict(), [p.copy() for p in params]
    assert state["iterations"] == 8 and isinstance(state["iterations"], int)

    later = gradient_stream(2, 30)
    for grads in later:
        optimizer.step(params, grads)

    restored = type(optimizer)(**optimizer.get_config()) if rebuild else optimizer
    restored.load_state_dict(state)
    for slots in state["slots"]:  # the optimizer holds copies: changing the dict afterwards does nothing
        for array in slots.values():
            array += 1.0
    for grads in later:
        restored.step(saved, grads)
    assert restored.iterations == 38
    for a, b in zip(saved, params):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_state_dict_holds_copies_of_plain_arrays(make):
    optimizer = make()
    assert optimizer.state_dict() == {"iterations": 0, "slots": None}
    params = [np.ones(shape) for shape in SHAPES]
    optimizer.step(params, [np.ones(shape) for shape in SHAPES])
    state = optimizer.state_dict()
    assert len(state["slots"]) == len(SHAPES)
    for slots, shape in zip(state["slots"], SHAPES):
        assert set(slots) == set(type(optimizer).slots)
        for array in slots.values():
            assert type(array) is np.ndarray and array.shape == shape
            array[...] = np.nan  # a copy: the optimizer keeps its own
    assert all(np.isfinite(a).all() for s in optimizer.state_dict()["slots"] for a in s.values())


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_config_round_trip(make):
    optimizer = make()
    config = optimizer.get_config()
    rebuilt = type(optimizer)(**config)
    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(optimizer)
    params = [np.ones(shape) for shape in SHAPES], [np.ones(shape) for shape in SHAPES]
    for opt, theta in zip((optimizer, rebuilt), params):
        for grads in gradient_stream(3, 12):
            opt.step(theta, grads)
    for a, b in zip(*params):
        np.testing.assert_array_equal(a, b)


def test_config_holds_the_constructor_arguments():
    arguments = {
        "learning_rate": 0.02,
        "beta_1": 0.8,
        "beta_2": 0.98,
        "epsilon": 1e-6,
        "sma_threshold": 4.5,
        "degenerated_to_sgd": False,
        "weight_decay": 0.01,
        "total_steps": 1000,
        "warmup_proportion": 0.05,
        "min_lr": 1e-5,
    }
    assert rnp.RAdam(**arguments).get_config() == arguments
    assert rnp.SGD().get_config() == {"learning_rate": 0.01, "momentum": 0.0}
    assert rnp.AdaGrad().get_config() == {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}
    assert rnp.RMSProp().get_config() == {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7}
    assert rnp.Adam().get_config() == {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_updates_in_place_in_the_parameters_dtype(make, dtype):
    optimizer = make()
    params = [np.ones(shape, dtype=dtype) for shape in SHAPES]
    buffers = [p.__array_interface__["data"][0] for p in params]
    for _ in range(10):  # past every first adaptive step: "RAdam, all arguments" takes none before it
        optimizer.step(params, [np.full(shape, 0.5) for shape in SHAPES])  # float64 gradients are cast
    assert [p.__array_interface__["data"][0] for p in params] == buffers
    assert all(p.dtype == dtype and np.all(p != 1) for p in params)
    single, optimizer = np.ones(3, dtype=dtype), make()  # one array instead of a list
    for _ in range(10):
        optimizer.step(single, np.ones(3))
    assert np.all(single != 1)


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_steps_after_the_first_allocate_nothing_that_grows_with_the_parameters(make):
    # The first step allocates the slots and one scratch buffer; later steps work in place. The traced peak of
    # a later step is the same for 1,000 and 1,000,000 parameters (a few hundred bytes of Python objects).
    peaks = []
    for size in (1_000, 1_000_000):
        optimizer = make()
        params, grads = [np.ones(size, dtype=np.float32)], [np.full(size, 0.5, dtype=np.float32)]
        for _ in range(7):  # RAdam past its SGD steps
            optimizer.step(params, grads)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            optimizer.step(params, grads)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
        finally:
            tracemalloc.stop()
    assert peaks[1] < peaks[0] + 4096, peaks


# ---- bad input ------------------------------------------------------------------------------------------------------

CLASSES = {"SGD": rnp.SGD, "AdaGrad": rnp.AdaGrad, "RMSProp": rnp.RMSProp, "Adam": rnp.Adam, "RAdam": rnp.RAdam}
BAD = [
    *[(cls, "learning_rate", value) for cls in CLASSES for value in (-0.1, float("nan"), float("inf"), "0.1", None)],
    *[(cls, "epsilon", value) for cls in ("AdaGrad", "RMSProp", "Adam", "RAdam") for value in (0.0, -1e-7, math.inf)],
    *[(cls, beta, value) for cls in ("Adam", "RAdam") for beta in ("beta_1", "beta_2") for value in (1.0, -0.1, 1.5)],
    ("RAdam", "beta_2", float("nan")),
    ("SGD", "momentum", -0.5),
    ("SGD", "momentum", 1.0),
    ("RMSProp", "rho", 1.0),
    ("RMSProp", "rho", -0.1),
    ("AdaGrad", "initial_accumulator_value", -0.1),
    ("RAdam", "sma_threshold", 3.5),
    ("RAdam", "sma_threshold", float("nan")),
    ("RAdam", "weight_decay", -0.01),
    ("RAdam", "total_steps", -1),
    ("RAdam", "total_steps", 10.5),
    ("RAdam", "total_steps", float("inf")),
    ("RAdam", "total_steps", float("nan")),
    ("RAdam", "total_steps", True),
    ("RAdam", "warmup_proportion", 1.5),
    ("RAdam", "warmup_proportion", -0.1),
    ("RAdam", "min_lr", -1e-5),
    ("RAdam", "degenerated_to_sgd", 1),
    ("RAdam", "degenerated_to_sgd", "yes"),
]


@pytest.mark.parametrize("cls, argument, value", BAD, ids=[f"{c}-{a}={v!r}" for c, a, v in BAD])
def test_invalid_hyperparameter_is_named_with_its_value(cls, argument, value):
    with pytest.raises(ValueError, match=re.escape(argument) + r" must .*got " + re.escape(repr(value))):
        CLASSES[cls](**{argument: value})


def test_min_lr_above_learning_rate_is_rejected_when_the_schedule_is_on():
    with pytest.raises(ValueError, match=r"min_lr must be <= learning_rate \(0\.001\).*got 0\.01"):
        rnp.RAdam(learning_rate=1e-3, total_steps=100, min_lr=1e-2)
    assert rnp.RAdam(learning_rate=1e-3, total_steps=0, min_lr=1e-2).min_lr == 1e-2  # schedule off: unused


def test_schedule_returning_a_bad_rate_is_named_at_the_step():
    optimizer = rnp.Adam(learning_rate=lambda t: 0.01 if t < 3 else -0.01)
    params = [np.ones(2)]
    optimizer.step(params, [np.ones(2)])
    optimizer.step(params, [np.ones(2)])
    with pytest.raises(ValueError, match=r"learning_rate\(3\) must be >= 0, got -0\.01"):
        optimizer.step(params, [np.ones(2)])


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
@pytest.mark.parametrize(
    "params, grads, match",
    [
        ([np.ones(2), np.ones(3)], [np.ones(2)], r"grads must hold one array per parameter \(2\), got 1"),
        (
            [np.ones(2), np.ones(3)],
            [np.ones(2), np.ones(4)],
            r"grads\[1\] must have the shape of params\[1\] \(3,\), got \(4,\)",
        ),
        ([np.ones((2, 3))], [np.ones((3, 2))], r"grads\[0\] must have the shape of params\[0\] \(2, 3\), got \(3, 2\)"),
        ([np.ones(2), np.ones(3, dtype=int)], [np.ones(2), np.ones(3)], r"params\[1\] must be a floating-point"),
        ([[1.0, 2.0]], [np.ones(2)], r"params\[0\] must be a floating-point ndarray .*got \[1\.0, 2\.0\]"),
        ([], [], r"params must hold at least one array, got an empty list"),
    ],
    ids=["count", "shape", "transposed", "integer params", "list params", "empty"],
)
def test_mismatched_params_and_grads_are_named(make, params, grads, match):
    with pytest.raises(ValueError, match=match):
        make().step(params, grads)


def test_params_must_keep_their_shapes_after_the_first_step():
    optimizer = rnp.Adam()
    optimizer.step([np.ones(2), np.ones(3)], [np.ones(2), np.ones(3)])
    message = r"params must keep the shapes of the first step \[\(2,\), \(3,\)\], got \[\(3,\)\]"
    with pytest.raises(ValueError, match=message):
        optimizer.step([np.ones(3)], [np.ones(3)])


@pytest.mark.parametrize(
    "state, match",
    [
        ({"iterations": -1, "slots": None}, r"state\['iterations'\] must be a whole number >= 0, got -1"),
        ({"iterations": 2.0, "slots": None}, r"state\['iterations'\] must be a whole number >= 0, got 2\.0"),
        ({"slots": None}, r"state\['iterations'\] must be a whole number >= 0, got None"),
        ([1, 2], r"state\['iterations'\] must be a whole number >= 0, got None"),
        ({"iterations": 3, "slots": [{"m": np.ones(2)}]}, r"state\['slots'\] must be a list of dicts with keys \['m'"),
        ({"iterations": 3, "slots": {"m": 1, "v": 2}}, r"state\['slots'\] must be a list of dicts"),
    ],
)
def test_bad_state_is_named(state, match):
    with pytest.raises(ValueError, match=match):
        rnp.Adam().load_state_dict(state)


def test_importing_the_numpy_modules_does_not_import_tensorflow_or_keras():
    code = (
        "import sys, radam, radam.numpy, radam.theory, radam.schedules, radam.problems, radam.environment\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'jax', 'torch')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
