"""Runs radam.keras.RAdam on the Keras backend that KERAS_BACKEND names and prints what it did as JSON.

Keras fixes its backend when it is first imported, so tests/test_keras_backends.py starts this script once per
backend (and once more for float64 on JAX, which needs 64-bit mode from the start)::

    KERAS_BACKEND=jax python tests/keras_backend_worker.py '[["trajectory", "float32", "plain"], ["fit", true]]'

Each task returns raw results (parameters after every step, weights, configs, the warnings raised); the tests
compare them with references computed in their own process (radam.numpy.RAdam, torch.optim.RAdam, the least-squares
gradients written out below). Importing this module imports neither Keras nor a backend, so the tests share its
problems. A task that raises reports its traceback instead of stopping the others.
"""

import json
import sys
import traceback
import warnings

import numpy as np

STEPS = 300
"""Quadratic steps: the SGD phase (t <= 5 with beta_2 = 0.999), the switch at t = 6, then a long rectified phase."""

CONFIGS = {
    "plain": {"learning_rate": 0.01},
    "weight_decay": {"learning_rate": 0.01, "weight_decay": 0.05},
    "blog": {"learning_rate": 0.02, "total_steps": 250, "warmup_proportion": 0.1, "min_lr": 1e-3},
    "no_sgd_fallback": {"learning_rate": 0.01, "degenerated_to_sgd": False, "beta_2": 0.99, "sma_threshold": 6.0},
    "schedule": {"learning_rate": ("WarmupThenLinearDecay", 0.02, 25, 250, 1e-3)},
}
"""RAdam's arguments per trajectory; "schedule" passes WarmupThenLinearDecay(0.02, warmup_steps=25,
total_steps=250, min_lr=1e-3) as the learning rate."""

FIT = {"learning_rate": 0.05, "total_steps": 48, "warmup_proportion": 0.1, "min_lr": 1e-3, "weight_decay": 0.01}
"""The blog's schedule and weight decay, for fit: 128 samples in batches of 16 for 6 epochs are 48 steps."""


def quadratic(dtype):
    """f(p) = sum_i 0.5 p_i^T A_i p_i - b_i^T p_i for two parameters of shapes (4, 3) and (5,): the start and the
    gradient function (NumPy, the same in the worker and in the reference)."""
    rng = np.random.default_rng(1)
    start = [rng.normal(size=s).astype(dtype) for s in ((4, 3), (5,))]
    hessians, targets = [], []
    for p in start:
        q, _ = np.linalg.qr(rng.normal(size=(p.size, p.size)))
        hessians.append(((q * np.geomspace(0.1, 10.0, p.size)) @ q.T).astype(dtype))
        targets.append(rng.normal(size=p.size).astype(dtype))

    def gradients(values):
        return [(h @ x.ravel() - b).reshape(x.shape) for x, h, b in zip(values, hessians, targets)]

    return start, gradients


def regression_data(n=128, seed=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1)) + np.tanh(2 * x[:, :1])).astype("float32")
    return x, y


def linear_start():
    """The start of the linear model y = x W + b that fit trains (W: (8, 1), b: (1,))."""
    rng = np.random.default_rng(3)
    return [rng.normal(size=(8, 1)).astype("float32") * 0.3, np.zeros(1, dtype="float32")]


def mse_gradients(weights, x, y):
    """Gradients of Keras's mean squared error of x W + b against y: 2 / n x^T r and 2 / n sum r."""
    residual = x @ weights[0] + weights[1] - y
    return [2.0 / len(x) * x.T @ residual, 2.0 / len(x) * residual.sum(axis=0)]


def main(tasks):
    import keras

    from radam.keras import RAdam, WarmupThenLinearDecay

    def numpy(x):
        return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(x, "float32") if half(x) else x))

    def half(x):
        return keras.backend.standardize_dtype(x.dtype) in ("float16", "bfloat16")

    def make(config):
        kwargs = dict(config)
        if isinstance(kwargs["learning_rate"], tuple):
            kwargs["learning_rate"] = WarmupThenLinearDecay(*kwargs["learning_rate"][1:])
        return RAdam(**kwargs)

    def trajectory(dtype, config):
        """Parameters after each step on the quadratic, each step's gradient taken at the Keras parameters (with
        keras.config.floatx() = dtype, so that the learning rate, a variable of that dtype, is not rounded)."""
        keras.config.set_floatx(dtype)
        start, gradients = quadratic(dtype)
        variables = [keras.Variable(p, dtype=dtype) for p in start]
        optimizer = make(CONFIGS[config])
        path, rates = [], []
        for _ in range(STEPS):
            rates.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))
            grads = gradients([numpy(v).astype(dtype) for v in variables])
            optimizer.apply([keras.ops.convert_to_tensor(g, dtype=dtype) for g in grads], variables)
            path.append(np.concatenate([numpy(v).ravel() for v in variables]).tolist())
        keras.config.set_floatx("float32")
        return {
            "dtypes": [keras.backend.standardize_dtype(v.dtype) for v in variables],
            "path": path,
            "rates": rates,
            "m": [numpy(m).ravel().tolist() for m in optimizer._momentums],
            "v": [numpy(v).ravel().tolist() for v in optimizer._velocities],
            "iterations": int(numpy(optimizer.iterations)),
        }

    def half_trajectory(dtype):
        """100 steps on fixed gradients in variables of ``dtype`` (float16, bfloat16 or float32), as float32."""
        variable = keras.Variable(np.linspace(-1.0, 1.0, 16), dtype=dtype)
        optimizer = RAdam(learning_rate=0.1, beta_2=0.99)
        gradients = np.sin(np.arange(100)[:, None] * 0.37 + np.arange(16)[None, :])
        path = []
        for g in gradients:
            optimizer.apply([keras.ops.convert_to_tensor(g, dtype=dtype)], [variable])
            path.append(numpy(variable).astype("float64").tolist())
        return {"dtype": keras.backend.standardize_dtype(variable.dtype), "path": path}

    def fit(jit_compile):
        """fit of the linear model with the blog's schedule; its weights, losses and what it warned about."""
        x, y = regression_data()
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
        model.set_weights(linear_start())
        model.compile(optimizer=RAdam(**FIT), loss="mse", jit_compile=jit_compile)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)
        return {
            "weights": [w.tolist() for w in model.get_weights()],
            "loss": history.history["loss"],
            "iterations": int(numpy(model.optimizer.iterations)),
            "warnings": [f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in caught],
        }

    def mixed(policy):
        """fit of a small tanh network under the dtype policy ``policy`` (or float32) from fixed weights."""
        x, y = regression_data()
        keras.config.set_dtype_policy(policy)
        try:
            keras.utils.set_random_seed(7)
            layers = [keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)]
            model = keras.Sequential([keras.Input((8,))] + layers)
            rng = np.random.default_rng(7)
            model.set_weights([rng.normal(size=w.shape).astype("float32") * 0.3 for w in model.get_weights()])
            model.compile(optimizer=RAdam(**FIT), loss="mse")
            history = model.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0)
        finally:
            keras.config.set_dtype_policy("float32")
        optimizer = model.optimizer
        inner = getattr(optimizer, "inner_optimizer", optimizer)
        return {
            "optimizer": type(optimizer).__name__,
            "inner": type(inner).__name__,
            "iterations": int(numpy(inner.iterations)),
            "scale": float(numpy(optimizer.dynamic_scale)) if hasattr(optimizer, "dynamic_scale") else None,
            "weights": [np.asarray(w, dtype="float32").tolist() for w in model.get_weights()],
            "loss": history.history["loss"],
            "compute_dtype": model.layers[0].compute_dtype,
        }

    def config():
        optimizer = RAdam(learning_rate=0.003, beta_1=0.8, beta_2=0.99, epsilon=1e-6, sma_threshold=4.5,
                          degenerated_to_sgd=False, weight_decay=0.02, total_steps=5000, warmup_proportion=0.2,
                          min_lr=1e-5, clipnorm=1.0, name="my_radam")
        scheduled = RAdam(learning_rate=WarmupThenLinearDecay(0.01, 100, 1000, 1e-4))
        restored = keras.optimizers.deserialize(keras.optimizers.serialize(scheduled))
        return {
            "config": optimizer.get_config(),
            "rebuilt": RAdam.from_config(optimizer.get_config()).get_config(),
            "registered": keras.saving.get_registered_name(RAdam),
            "restored_class": type(restored).__name__,
            "restored_schedule": type(restored._learning_rate).__name__,
            "schedule_config": restored._learning_rate.get_config(),
        }

    def small_model():
        keras.utils.set_random_seed(7)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)])
        rng = np.random.default_rng(8)
        model.set_weights([rng.normal(size=w.shape).astype("float32") * 0.3 for w in model.get_weights()])
        return model

    def state(model):
        return {
            "weights": [np.asarray(w).tolist() for w in model.get_weights()],
            "optimizer": [numpy(v).tolist() for v in model.optimizer.variables],
            "iterations": int(numpy(model.optimizer.iterations)),
        }

    def save(path):
        """Two epochs, save to ``path``, two epochs more: the state saved and the state after."""
        x, y = regression_data()
        model = small_model()
        model.compile(optimizer=RAdam(**FIT), loss="mse")
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        model.save(path)
        saved = state(model)
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return {"saved": saved, "config": model.optimizer.get_config(), "after": state(model)}

    def load(path):
        """Load ``path``: the state loaded, then the state after two more epochs."""
        x, y = regression_data()
        model = keras.models.load_model(path)
        loaded = state(model)
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return {"class": type(model.optimizer).__name__, "config": model.optimizer.get_config(),
                "loaded": loaded, "after": state(model)}

    run = {"trajectory": trajectory, "half": half_trajectory, "fit": fit, "mixed": mixed, "config": config,
           "save": save, "load": load}
    results = {"backend": keras.backend.backend(), "keras": keras.__version__}
    for task in tasks:
        try:
            results[json.dumps(task)] = run[task[0]](*task[1:])
        except Exception:  # reported to the test, which fails naming the task
            results[json.dumps(task)] = {"error": traceback.format_exc()}
    return results


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
