"""radam.keras.RAdam on the TensorFlow backend: the rule, Keras integration, saving, validation.

Agreement with radam.numpy.RAdam is checked over 1,000 steps. The two compute the same rule with the
operations in a different order (Keras writes m += (1 - beta_1)(g - m) and folds the step size into one
scalar multiply before the division; NumPy writes m = beta_1 m + (1 - beta_1) g and multiplies after it),
so each step differs by a few units in the last place, and those differences random-walk. Measured
over 1,000 steps: parameters and m within 5e-6 (float32) and 8e-15 (float64) of their largest
magnitude; v, which averages over 1 / (1 - beta_2) = 1,000 steps and so accumulates the most rounding,
within 1.3e-5 and 3e-14 relative. The tolerances are those figures with a margin of about 6-10: a wrong
constant, a missed bias correction, a step taken on the wrong branch or at the wrong t changes the
results by orders of magnitude more.
"""

import json
import math
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import radam.numpy
from radam import schedules, theory
from radam.keras import RAdam, WarmupThenLinearDecay
from keras_backend_worker import quadratic
from reference_rules import plain_python_radam

TOLERANCE = {  # (params and m relative to their largest magnitude, v elementwise relative)
    "float32": (3e-5, 1e-4),
    "float64": (5e-14, 3e-13),
}

CONFIGS = {
    "plain": {},
    "schedule": {"total_steps": 600, "warmup_proportion": 0.1, "min_lr": 1e-4},
    "weight_decay": {"weight_decay": 0.05},
    "no_sgd_fallback": {"degenerated_to_sgd": False, "beta_2": 0.99, "sma_threshold": 6.0},
}


@pytest.fixture
def float_policy():
    """Restore the global dtype policy after a test that changes it."""
    previous = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(previous)


def assert_close(actual, expected, tolerance, what):
    scale = max(np.abs(expected).max(), 1e-30)
    error = np.abs(np.asarray(actual) - expected).max() / scale
    assert error <= tolerance, f"{what}: max error {error:.3g} x max|value| > {tolerance:g}"


def assert_state_matches(keras_opt, variables, numpy_opt, params, dtype):
    param_tol, v_tol = TOLERANCE[dtype]
    assert int(keras_opt.iterations) == numpy_opt.iterations
    for i, (variable, param, slots) in enumerate(zip(variables, params, numpy_opt._slots)):
        assert variable.dtype == dtype and param.dtype == dtype
        assert_close(variable.numpy(), param, param_tol, f"params[{i}]")
        assert_close(keras_opt._momentums[i].numpy(), slots["m"], param_tol, f"m[{i}]")
        v_error = np.abs(keras_opt._velocities[i].numpy() - slots["v"]) / np.maximum(slots["v"], 1e-30)
        assert v_error.max() <= v_tol, f"v[{i}]: max relative error {v_error.max():.3g} > {v_tol:g}"


def keras_step(optimizer, variables):
    """optimizer.apply(grads, variables) as one tf.function (what model.fit runs)."""
    return tf.function(lambda grads: optimizer.apply(grads, variables))


@pytest.mark.parametrize("config", CONFIGS)
def test_matches_numpy_radam_on_a_random_quadratic(config, floatx):
    """1,000 steps on f(p) = sum_i 0.5 p_i^T A_i p_i - b_i^T p_i, each side following its own gradients."""
    params, gradients = quadratic(floatx)
    kwargs = {"learning_rate": 0.005, **CONFIGS[config]}
    start = [p.copy() for p in params]
    variables = [keras.Variable(p.copy()) for p in params]
    keras_opt, numpy_opt = RAdam(**kwargs), radam.numpy.RAdam(**kwargs)
    step = keras_step(keras_opt, variables)
    for _ in range(1000):
        step([tf.constant(g) for g in gradients([v.numpy() for v in variables])])
        numpy_opt.step(params, gradients(params))
    assert_state_matches(keras_opt, variables, numpy_opt, params, floatx)
    assert min(np.abs(p - p0).max() for p, p0 in zip(params, start)) > 0.2  # the runs went somewhere


@pytest.mark.parametrize("config", CONFIGS)
def test_matches_numpy_radam_on_model_gradients(config, floatx):
    """1,000 steps of a small MLP's real minibatch gradients, taken by Keras, applied by both optimizers."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(256, 6)).astype(floatx)
    y = (np.sin(x @ rng.normal(size=(6, 1))) + 0.1 * rng.normal(size=(256, 1))).astype(floatx)
    keras.utils.set_random_seed(2)
    layers = [keras.layers.Dense(16, activation="relu", dtype=floatx), keras.layers.Dense(1, dtype=floatx)]
    model = keras.Sequential([keras.Input((6,))] + layers)
    params = [w.numpy().copy() for w in model.trainable_variables]
    kwargs = {"learning_rate": 0.01, **CONFIGS[config]}
    keras_opt, numpy_opt = RAdam(**kwargs), radam.numpy.RAdam(**kwargs)
    loss_fn = keras.losses.MeanSquaredError()

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb))
        grads = tape.gradient(loss, model.trainable_variables)
        keras_opt.apply(grads, model.trainable_variables)
        return grads

    for step in range(1000):
        batch = slice(32 * (step % 8), 32 * (step % 8 + 1))
        grads = train_step(x[batch], y[batch])
        numpy_opt.step(params, [g.numpy() for g in grads])
    assert_state_matches(keras_opt, model.trainable_variables, numpy_opt, params, floatx)


@pytest.fixture(params=["cond", "where"])
def update_path(request, monkeypatch):
    """The update as TensorFlow takes it (ops.cond: only the branch taken runs) or as JAX and PyTorch take it
    (one ops.where expression), both run here on TensorFlow: the second by making radam.keras see another
    backend name (only radam.keras reads keras.backend.backend; Keras's own code reads keras.src's)."""
    if request.param == "where":
        monkeypatch.setattr(radam.keras.keras.backend, "backend", lambda: "jax")
    return request.param


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"degenerated_to_sgd": False},
        {"weight_decay": 0.1},
        {"weight_decay": 0.1, "degenerated_to_sgd": False},  # no decay on the steps without a step
        {"total_steps": 8, "warmup_proportion": 0.25, "min_lr": 1e-3},
        {"beta_1": 0.5, "beta_2": 0.9, "sma_threshold": 4.5, "epsilon": 1e-3},
    ],
)
def test_matches_plain_python_rule_step_by_step(kwargs, floatx, update_path):
    """12 steps (SGD fallback, then rectified; schedule past total_steps) against floats computed by hand."""
    grads = [0.8, -0.3, 1.7, 0.05, -1.1, 0.6, 2.5, -0.4, 0.9, -2.0, 0.3, 1.2]
    expected = plain_python_radam(1.5, grads, lr=0.1, **kwargs)
    variable = keras.Variable(np.array([1.5], dtype=floatx))
    optimizer = RAdam(learning_rate=0.1, **kwargs)
    got = []
    for g in grads:
        optimizer.apply([tf.constant([g], dtype=floatx)], [variable])
        got.append(float(variable.numpy()[0]))
    np.testing.assert_allclose(got, expected, rtol=1e-6 if floatx == "float32" else 1e-13)


@pytest.mark.parametrize("beta_2", [0.99, 0.999, 0.9999])
def test_float32_rho_t_keeps_its_digits_where_the_direct_form_cancels(beta_2):
    """rho_t in float32 within 1e-6 relative of radam.theory's float64, steps 5 to 20,000. Measured: at most
    3.5e-7; the direct form rho_inf - 2t / (e^y - 1) below y = 1 instead of the series (the switch float64
    makes at 0.1) is off by 2e-6 to 5e-6, the cancellation of two numbers near rho_inf."""
    t = np.arange(5, 20_000)
    _, _, rho_t, _ = RAdam(beta_2=beta_2)._step_scalars(keras.ops.convert_to_tensor(t), "float32")
    expected = theory.rho_t(t.astype("float64"), beta_2)
    assert np.max(np.abs(np.asarray(rho_t, "float64") - expected) / expected) <= 1e-6


def test_the_slots_are_named_as_keras_adam_names_them():
    """m and v of each variable are "momentum" and "velocity" variables, as in keras.optimizers.Adam, so code
    that reads an optimizer's slots by name (or converts a checkpoint between the two) finds them."""
    variables = [keras.Variable(np.ones(2, "float32"), name="kernel"), keras.Variable(np.ones(1), name="bias")]

    def names(optimizer):
        optimizer.build(variables)
        return [v.name for v in optimizer.variables]

    ours = names(RAdam())
    assert ours == names(keras.optimizers.Adam())
    assert [name for name in ours if name.endswith(("momentum", "velocity"))] == [
        "kernel_momentum", "kernel_velocity", "bias_momentum", "bias_velocity"]


def test_float64_variables_take_float64_steps_under_a_float32_floatx(update_path):
    """The step's scalars follow the variable's dtype, not Keras's floatx: float64 variables under the default
    float32 floatx match the rule in float64 (a step size rounded to float32 would be off by about 1e-8)."""
    assert keras.config.floatx() == "float32"
    grads = [0.8, -0.3, 1.7, 0.05, -1.1, 0.6, 2.5, -0.4, 0.9, -2.0, 0.3, 1.2]
    variable = keras.Variable(np.array([1.5]), dtype="float64")
    optimizer, got = RAdam(learning_rate=0.125), []  # Keras keeps the rate in float32: one it holds exactly
    for g in grads:
        optimizer.apply([tf.constant([g], dtype="float64")], [variable])
        got.append(float(variable.numpy()[0]))
    np.testing.assert_allclose(got, plain_python_radam(1.5, grads, lr=0.125), rtol=1e-13)


def test_on_tensorflow_the_update_runs_only_the_branch_taken(monkeypatch):
    """ops.cond once per variable and step: the SGD step's branch does not compute sqrt(v) + epsilon."""
    calls = []
    cond = radam.keras.ops.cond
    monkeypatch.setattr(radam.keras.ops, "cond", lambda *args: calls.append(args[0]) or cond(*args))
    variables = [keras.Variable(np.ones(2, "float32")), keras.Variable(np.ones(3, "float32"))]
    optimizer = RAdam()
    for _ in range(6):  # steps 1-5 without rectification, step 6 with it
        optimizer.apply([tf.ones(2), tf.ones(3)], variables)
    assert [bool(taken) for taken in calls] == [False] * 10 + [True] * 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"beta_2": 0.0},  # rho_inf = 1: never rectified, SGD with momentum throughout
        {"beta_2": 0.6, "degenerated_to_sgd": False},  # rho_inf = 4: no step ever
        {"beta_1": 0.0},
        {"learning_rate": 0.0},
        {"total_steps": 10, "warmup_proportion": 0.0},
        {"total_steps": 10, "warmup_proportion": 1.0},
    ],
)
def test_edge_hyperparameters_match_numpy_radam(kwargs, floatx):
    rng = np.random.default_rng(8)
    param, grads = rng.normal(size=3).astype(floatx), rng.normal(size=(30, 3)).astype(floatx)
    variable = keras.Variable(param.copy())
    keras_opt, numpy_opt = RAdam(**kwargs), radam.numpy.RAdam(**kwargs)
    for g in grads:
        keras_opt.apply([tf.constant(g)], [variable])
        numpy_opt.step([param], [g])
    assert np.isfinite(variable.numpy()).all()
    assert_close(variable.numpy(), param, TOLERANCE[floatx][0], "params")


class RectificationTimesRate(keras.optimizers.schedules.LearningRateSchedule):
    """lr * r_t at t = step + 1, evaluated eagerly with radam.theory: Adam with it takes RAdam's rectified steps."""

    def __init__(self, learning_rate, beta_2):
        self.learning_rate, self.beta_2 = learning_rate, beta_2

    def __call__(self, step):
        return self.learning_rate * theory.rectification(int(step) + 1, self.beta_2)


def test_rectified_steps_are_keras_adam_steps_scaled_by_r_t(floatx):
    """Past the SGD phase, RAdam's step is keras.optimizers.Adam's with the learning rate times r_t."""
    rng = np.random.default_rng(3)
    start, grads = rng.normal(size=20).astype(floatx), rng.normal(size=(60, 20)).astype(floatx)
    radam_var, adam_var = keras.Variable(start), keras.Variable(start)
    radam_opt = RAdam(learning_rate=0.01, beta_2=0.99)
    adam_opt = keras.optimizers.Adam(learning_rate=RectificationTimesRate(0.01, 0.99), beta_2=0.99)
    first = theory.first_adaptive_step(0.99)
    for g in grads[: first - 1]:
        radam_opt.apply([g], [radam_var])
    adam_opt.build([adam_var])
    adam_var.assign(radam_var)
    for a, r in [(adam_opt.iterations, radam_opt.iterations)] + list(
        zip(adam_opt._momentums + adam_opt._velocities, radam_opt._momentums + radam_opt._velocities)
    ):
        a.assign(r)
    for g in grads[first - 1 :]:
        radam_opt.apply([g], [radam_var])
        adam_opt.apply([g], [adam_var])
    assert np.abs(radam_var.numpy() - start).max() > 0.05
    # Keras's Adam casts its float constants (beta_1, beta_2, the rate) through float32 even for float64
    # variables, so the two agree to float32 rounding; a step off by r_t would be 10-40% off.
    np.testing.assert_allclose(radam_var.numpy(), adam_var.numpy(), rtol=1e-6)


def test_learning_rate_follows_the_blog_schedule_on_top_of_a_keras_schedule(floatx):
    """lr_t = blog schedule of the base schedule's rate; RAdam then agrees with NumPy over 300 steps."""
    base = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=100, decay_rate=0.5)
    optimizer = RAdam(learning_rate=base, total_steps=200, warmup_proportion=0.2, min_lr=1e-3)
    for t in [1, 2, 40, 41, 150, 200, 201, 500]:
        optimizer.iterations.assign(t - 1)
        expected = schedules.warmup_then_linear_decay(float(base(t - 1)), 200, 0.2, 1e-3)(t)
        np.testing.assert_allclose(float(optimizer.learning_rate), expected, rtol=1e-6)
    optimizer.iterations.assign(0)

    rng = np.random.default_rng(4)
    param, grads = rng.normal(size=7).astype(floatx), rng.normal(size=(300, 7)).astype(floatx)
    variable = keras.Variable(param.copy())
    numpy_opt = radam.numpy.RAdam(learning_rate=lambda t: float(base(t - 1)), total_steps=200, min_lr=1e-3,
                                  warmup_proportion=0.2)
    step = keras_step(optimizer, [variable])
    for g in grads:
        step([tf.constant(g)])
        numpy_opt.step([param], [g])
    # Keras schedules compute in float32, so lr_t carries float32 rounding in both dtypes.
    assert_close(variable.numpy(), param, TOLERANCE["float32"][0], "params")


def test_rectification_reports_r_t_of_the_latest_step():
    variable = keras.Variable(np.ones(3, dtype="float32"))
    optimizer = RAdam(beta_2=0.99)
    assert float(optimizer.rectification) == 0.0
    first = theory.first_adaptive_step(0.99)
    for t in range(1, first + 3):
        optimizer.apply([np.full(3, 0.5, dtype="float32")], [variable])
        expected = theory.rectification(t, 0.99) if t >= first else 0.0
        np.testing.assert_allclose(float(optimizer.rectification), expected, rtol=1e-5)


def test_gradient_accumulation_counts_real_updates():
    """With gradient_accumulation_steps=2, two calls take one RAdam step at t = 1, 2, ... on the mean gradient."""
    rng = np.random.default_rng(5)
    start, grads = rng.normal(size=4).astype("float32"), rng.normal(size=(16, 4)).astype("float32")
    accumulating, plain = keras.Variable(start), keras.Variable(start)
    accumulating_opt, plain_opt = RAdam(learning_rate=0.1, gradient_accumulation_steps=2), RAdam(learning_rate=0.1)
    for g1, g2 in zip(grads[::2], grads[1::2]):
        accumulating_opt.apply([g1], [accumulating])
        accumulating_opt.apply([g2], [accumulating])
        plain_opt.apply([(g1 + g2) / 2], [plain])
    np.testing.assert_allclose(accumulating.numpy(), plain.numpy(), rtol=1e-6)
    assert int(accumulating_opt.iterations) == int(plain_opt.iterations) == 8


def regression_data(n=128, seed=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1)) + np.tanh(x[:, :1] * 2)).astype("float32")
    return x, y


def small_model(weights=None, seed=7):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)])
    if weights is not None:
        model.set_weights(weights)
    return model


BLOG_LIKE = {"learning_rate": 0.05, "total_steps": 48, "warmup_proportion": 0.1, "min_lr": 1e-3, "weight_decay": 0.01}


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_matches_an_eager_apply_gradients_loop(jit_compile):
    """model.fit (graph or XLA) and an eager GradientTape + apply_gradients loop end at the same weights."""
    x, y = regression_data()
    fitted = small_model()
    start = fitted.get_weights()
    fitted.compile(optimizer=RAdam(**BLOG_LIKE), loss="mse", jit_compile=jit_compile)
    history = fitted.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]

    eager = small_model(start)
    optimizer = RAdam(**BLOG_LIKE)
    loss_fn = keras.losses.MeanSquaredError()
    for _ in range(6):
        for i in range(0, len(x), 16):
            with tf.GradientTape() as tape:
                loss = loss_fn(y[i : i + 16], eager(x[i : i + 16]))
            optimizer.apply_gradients(zip(tape.gradient(loss, eager.trainable_variables), eager.trainable_variables))
    assert int(fitted.optimizer.iterations) == int(optimizer.iterations) == 48
    for got, expected in zip(fitted.get_weights(), eager.get_weights()):
        assert_close(got, expected, 1e-5, "weights")


def test_trains_under_mixed_float16_with_loss_scaling(float_policy):
    """Under mixed_float16, compile wraps RAdam in Keras's dynamic LossScaleOptimizer, and the steps match float32's."""
    x, y = regression_data()
    reference = small_model()
    start = reference.get_weights()
    reference.compile(optimizer=RAdam(**BLOG_LIKE), loss="mse")
    reference.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)

    keras.config.set_dtype_policy("mixed_float16")
    wrapped = small_model(start)
    wrapped.compile(optimizer=RAdam(**BLOG_LIKE), loss="mse")
    history = wrapped.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)
    assert isinstance(wrapped.optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(wrapped.optimizer.inner_optimizer, RAdam)
    # Keras starts at a scale of 2^15 and halves it on each step whose scaled gradients overflow, skipping it.
    skipped = round(math.log2(2**15 / float(wrapped.optimizer.dynamic_scale)))
    assert int(wrapped.optimizer.inner_optimizer.iterations) == 48 - skipped
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]

    explicit = small_model(start)  # a scale that never overflows here: the same 48 steps as in float32
    explicit.compile(optimizer=keras.optimizers.LossScaleOptimizer(RAdam(**BLOG_LIKE), initial_scale=2**8), loss="mse")
    explicit.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)
    assert int(explicit.optimizer.inner_optimizer.iterations) == 48
    for got, expected in zip(explicit.get_weights(), reference.get_weights()):
        assert got.dtype == np.float32
        assert_close(got, expected, 1e-2, "weights")


MIRRORED_SCRIPT = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
import numpy as np
from radam.keras import RAdam

rng = np.random.default_rng(0)
x = rng.normal(size=(128, 8)).astype("float32")
y = (x @ rng.normal(size=(8, 1)) + np.tanh(2 * x[:, :1])).astype("float32")
kwargs = dict(learning_rate=0.05, total_steps=24, warmup_proportion=0.25, min_lr=1e-3, weight_decay=0.01)

def train(strategy):
    with strategy.scope():
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)])
        model.compile(optimizer=RAdam(**kwargs), loss="mse")
    start = model.get_weights()
    model.fit(x, y, batch_size=32, epochs=6, shuffle=False, verbose=0)
    return start, model

start, single = train(tf.distribute.get_strategy())
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
mirrored_start, mirrored = train(strategy)
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "total_steps": mirrored.optimizer.get_config()["total_steps"],
    "iterations": [int(keras.ops.convert_to_numpy(m.optimizer.iterations)) for m in (single, mirrored)],
    "same_start": all(np.array_equal(a, b) for a, b in zip(start, mirrored_start)),
    "moved": float(max(np.abs(w - w0).max() for w, w0 in zip(single.get_weights(), start))),
    "error": float(max(np.abs(a - b).max() / np.abs(b).max()
                       for a, b in zip(mirrored.get_weights(), single.get_weights()))),
}))
"""


@pytest.mark.slow
def test_mirrored_strategy_on_two_devices_matches_one_device():
    """Under MirroredStrategy over two logical CPUs, with an integer total_steps, fit ends where one device does."""
    result = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["total_steps"] == 24 and isinstance(report["total_steps"], int)
    assert report["iterations"] == [24, 24]
    assert report["same_start"] and report["moved"] > 0.05
    assert report["error"] <= 1e-5, report


def test_get_config_from_config_round_trip():
    optimizer = RAdam(learning_rate=0.003, beta_1=0.8, beta_2=0.99, epsilon=1e-6, sma_threshold=4.5,
                      degenerated_to_sgd=False, weight_decay=0.02, total_steps=5000, warmup_proportion=0.2,
                      min_lr=1e-5, clipnorm=1.0, use_ema=True, ema_momentum=0.9, name="my_radam")
    config = optimizer.get_config()
    assert config["total_steps"] == 5000 and isinstance(config["total_steps"], int)
    assert config["degenerated_to_sgd"] is False and config["weight_decay"] == 0.02 and config["clipnorm"] == 1.0
    rebuilt = RAdam.from_config(config)
    assert rebuilt.get_config() == config
    json.dumps(config)  # plain values only

    scheduled = RAdam(learning_rate=keras.optimizers.schedules.CosineDecay(0.01, 1000))
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(scheduled))
    assert type(restored) is RAdam
    assert isinstance(restored._learning_rate, keras.optimizers.schedules.CosineDecay)
    assert restored.get_config() == scheduled.get_config()



def test_the_base_arguments_reach_keras_as_for_its_adam():
    base = dict(clipvalue=0.5, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=5, loss_scale_factor=128.0,
                gradient_accumulation_steps=3, name="with_base_arguments")
    ours = RAdam(weight_decay=0.01, **base).get_config()
    adam = keras.optimizers.Adam(weight_decay=0.01, **base).get_config()
    for key in set(adam) - {"beta_1", "beta_2", "epsilon", "amsgrad"}:
        assert ours[key] == adam[key], key
    for key in ("clipnorm", "global_clipnorm"):
        config = RAdam(**{key: 2.0}).get_config()
        assert config[key] == 2.0 and config == RAdam.from_config(config).get_config()


def test_unknown_keyword_arguments_are_refused_as_by_keras():
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'lr': 0.01\}"):
        RAdam(lr=0.01)


@pytest.mark.parametrize(
    "arguments, reference",
    [
        ((1e-3, 500.0, 5000, 1e-5), schedules.warmup_then_linear_decay(1e-3, 5000, 0.1, 1e-5)),
        ((1e-3, 2000.0), schedules.linear_warmup(1e-3, 2000)),
        ((2e-3, 0.0, 300), schedules.warmup_then_linear_decay(2e-3, 300, 0.0, 0.0)),
    ],
)
def test_warmup_then_linear_decay_is_the_numpy_schedule(arguments, reference):
    schedule = WarmupThenLinearDecay(*arguments)  # step is Keras's 0-based iteration count: t = step + 1
    steps = np.arange(0, 6000)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(schedule(steps)), reference(steps + 1), rtol=1e-6, atol=1e-9)
    config = schedule.get_config()
    assert config == dict(zip(["learning_rate", "warmup_steps", "total_steps", "min_lr"], (*arguments, 0, 0.0)))
    assert WarmupThenLinearDecay.from_config(config).get_config() == config


def test_warmup_then_linear_decay_computes_in_float32_whatever_floatx(floatx):
    """The schedule's step count is float32 (exact up to 2^24 steps), and so is its rate, as Keras's optimizers
    read a learning rate (float32, cast to each variable's dtype)."""
    rate = WarmupThenLinearDecay(0.1, 10.0, 100, 1e-3)(keras.ops.convert_to_tensor(3))
    assert keras.backend.standardize_dtype(rate.dtype) == "float32"
    assert float(rate) == np.float32(np.float32(0.1) * np.float32(4.0) / np.float32(10.0))


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((-1e-3, 10.0), "learning_rate must be >= 0, got -0.001"),
        ((1e-3, -10.0), "warmup_steps must be >= 0, got -10.0"),
        ((1e-3, 10.0, 10.5), "total_steps must be a whole number >= 0, got 10.5"),
        ((1e-3, 10.0, 100, -1e-5), "min_lr must be >= 0, got -1e-05"),
    ],
)
def test_warmup_then_linear_decay_names_a_bad_argument(arguments, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        WarmupThenLinearDecay(*arguments)

def test_blog_line_compiles_and_config_names_the_package():
    optimizer = RAdam(total_steps=5000, warmup_proportion=0.1, min_lr=1e-5)
    assert keras.saving.get_registered_name(RAdam) == "radam>RAdam"
    assert keras.saving.serialize_keras_object(optimizer)["registered_name"] == "radam>RAdam"
    small_model().compile(optimizer=optimizer, loss="mse")


def train_batches(model, x, y, epochs):
    model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0)


def test_save_and_load_model_restores_the_optimizer_and_continues_identically(tmp_path):
    x, y = regression_data()
    model = small_model()
    model.compile(optimizer=RAdam(**BLOG_LIKE), loss="mse")
    train_batches(model, x, y, epochs=2)
    path = tmp_path / "x.keras"
    model.save(path)

    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is RAdam
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert int(loaded.optimizer.iterations) == 16
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert np.abs(model.optimizer._velocities[0].numpy()).max() > 0

    train_batches(model, x, y, epochs=2)
    train_batches(loaded, x, y, epochs=2)
    for a, b in zip(loaded.get_weights() + [v.numpy() for v in loaded.optimizer.variables],
                    model.get_weights() + [v.numpy() for v in model.optimizer.variables]):
        np.testing.assert_array_equal(a, b)


class StopAtEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError(f"interrupted after epoch {epoch}")


def test_backup_and_restore_resumes_an_interrupted_fit(tmp_path):
    """fit interrupted after epoch 2 and resumed by BackupAndRestore ends exactly where uninterrupted fit does."""
    x, y = regression_data()
    start = small_model().get_weights()
    uninterrupted = small_model(start)
    uninterrupted.compile(optimizer=RAdam(**BLOG_LIKE), loss="mse")
    train_batches(uninterrupted, x, y, epochs=5)

    backup = tmp_path / "backup"
    interrupted = small_model(start)
    interrupted.compile(optimizer=RAdam(**BLOG_LIKE), loss="mse")
    with pytest.raises(RuntimeError, match="interrupted after epoch 1"):
        interrupted.fit(x, y, batch_size=16, epochs=5, shuffle=False, verbose=0,
                        callbacks=[keras.callbacks.BackupAndRestore(backup), StopAtEpoch(1)])

    resumed = small_model(seed=8)  # a new process: new initial weights, new optimizer
    resumed.compile(optimizer=RAdam(**BLOG_LIKE), loss="mse")
    history = resumed.fit(x, y, batch_size=16, epochs=5, shuffle=False, verbose=0,
                          callbacks=[keras.callbacks.BackupAndRestore(backup)])
    assert len(history.history["loss"]) == 3  # epochs 3 to 5 only
    assert int(resumed.optimizer.iterations) == 40
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"learning_rate": -0.1}, "learning_rate must be >= 0, got -0.1"),
        ({"learning_rate": float("nan")}, "learning_rate must be finite, got nan"),
        ({"learning_rate": float("inf")}, "learning_rate must be finite, got inf"),
        ({"learning_rate": "0.1"}, "learning_rate must be a real number, got '0.1'"),
        ({"beta_1": 1.0}, "beta_1 must be in [0, 1), got 1.0"),
        ({"beta_1": -0.1}, "beta_1 must be in [0, 1), got -0.1"),
        ({"beta_2": 1.5}, "beta_2 must be in [0, 1), got 1.5"),
        ({"beta_2": float("nan")}, "beta_2 must be finite, got nan"),
        ({"epsilon": 0.0}, "epsilon must be > 0, got 0.0"),
        ({"epsilon": -1e-7}, "epsilon must be > 0, got -1e-07"),
        ({"sma_threshold": 3.0}, "sma_threshold must be >= 4 (r_t is undefined where rho_t < 4), got 3.0"),
        ({"degenerated_to_sgd": "yes"}, "degenerated_to_sgd must be True or False, got 'yes'"),
        ({"weight_decay": -0.01}, "weight_decay must be >= 0, got -0.01"),
        ({"total_steps": -1}, "total_steps must be a whole number >= 0, got -1"),
        ({"total_steps": 10.5}, "total_steps must be a whole number >= 0, got 10.5"),
        ({"warmup_proportion": 1.5}, "warmup_proportion must be in [0, 1], got 1.5"),
        ({"warmup_proportion": -0.1}, "warmup_proportion must be in [0, 1], got -0.1"),
        ({"min_lr": -1e-5}, "min_lr must be >= 0, got -1e-05"),
        (
            {"total_steps": 100, "min_lr": 0.01},
            "min_lr must be <= learning_rate (0.001) when total_steps > 0, got 0.01",
        ),
    ],
)
def test_invalid_hyperparameters_raise_value_error_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        RAdam(**kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):  # the same message as the NumPy RAdam
        radam.numpy.RAdam(**kwargs)


def test_keras_path_follows_the_numpy_twin_in_float64():
    from radam import numpy as rnp
    from radam import problems
    from radam.keras import keras_path

    problem = problems.rosenbrock()
    before = keras.config.floatx()
    theirs = keras_path(keras.optimizers.SGD, problem, 50, learning_rate=1e-3, momentum=0.5)
    assert keras.config.floatx() == before
    ours = problems.run(rnp.SGD(learning_rate=1e-3, momentum=0.5), problem, steps=50).xs
    assert theirs.shape == (51, 2) and theirs.dtype == np.float64
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=1e-12)
    assert np.abs(theirs[-1] - theirs[0]).max() > 1e-3
