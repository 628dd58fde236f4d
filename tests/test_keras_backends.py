"""radam.keras.RAdam on the JAX and PyTorch backends of Keras 3 (TensorFlow's are tests/test_keras.py).

Keras fixes its backend at import, so each backend runs tests/keras_backend_worker.py in its own process
(KERAS_BACKEND set; for float64 on JAX also JAX_ENABLE_X64=1, which JAX needs from the start), and the references
are computed here: radam.numpy.RAdam, torch.optim.RAdam, and least-squares gradients written out in NumPy. A
backend that is not installed is skipped with the command that installs it (`.ci/backend jax`, `.ci/backend torch`);
the save-and-load test needs two backends in one environment (the torch one has JAX as well).

Tolerances. The quadratic runs 300 steps: the SGD phase (t <= 5 with beta_2 = 0.999), the switch at t = 6 and the
rectified phase, and the worker takes each step's gradient at its own parameters, so rounding differences feed back.
Keras and NumPy order the operations differently (m += (1 - beta_1)(g - m) against m = beta_1 m + (1 - beta_1) g,
the step size folded into one scalar), so each step differs by a few units in the last place. Measured over the 300
steps (JAX 0.10.2, PyTorch 2.13.0): float32 paths and m within 5e-7 of their largest magnitude, v within 6e-7
relative; float64 within 1e-15 (torch.optim.RAdam: 1e-14, its weight decay rounds differently). The tolerances,
5e-6 and 1e-5 (float32), 1e-14 (float64) and 5e-14 (torch.optim.RAdam), leave a margin of 5 or more; a wrong
constant, a missed bias correction or a step on the wrong branch is off by 1e-3 or more, and epsilon added under
the square root instead of after it (sqrt(v + epsilon)) by 6e-7 to 1e-5 in float64.

torch.optim.RAdam computes the same rule where its options allow: it adds epsilon to sqrt(v) after the bias
correction's sqrt(1 - beta_2^t) is moved to the numerator, as we do; it always falls back to SGD with momentum below
the threshold (degenerated_to_sgd=True); its threshold is rho_t > 5 where ours is rho_t >= sma_threshold = 5, the
same decision unless some rho_t is exactly 5 (beta_2 = 0.999 gives rho_5 = 4.99, rho_6 = 5.99); its decoupled
weight decay (decoupled_weight_decay=True) multiplies theta by 1 - lr_t weight_decay before the moments, as ours
subtracts lr_t weight_decay theta; it has no total_steps, so the blog's schedule is a LambdaLR (stepped after each
step, so step t runs at lambda(t - 1)). It computes its scalars in Python floats, so it is compared in float64.
"""

import functools
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import radam.numpy
from keras_backend_worker import CONFIGS, FIT, STEPS, linear_start, mse_gradients, quadratic, regression_data
from radam import schedules, theory

WORKER = Path(__file__).with_name("keras_backend_worker.py")
BACKENDS = ("jax", "torch")
INSTALLED = [b for b in ("tensorflow", "jax", "torch") if importlib.util.find_spec(b) is not None]
TOLERANCE = {"float32": (5e-6, 1e-5), "float64": (1e-14, 1e-14)}  # (paths and m, v elementwise relative)
TORCH_TOLERANCE = 5e-14  # float64 paths against torch.optim.RAdam
HALF = ("float16", "bfloat16")
POLICIES = ("mixed_float16", "mixed_bfloat16")
SCHEDULE = schedules.warmup_then_linear_decay(0.02, 250, 0.1, 1e-3)
"""The rate of both scheduled configurations: the blog's RAdam(total_steps=250, warmup_proportion=0.1,
min_lr=1e-3) and WarmupThenLinearDecay(0.02, warmup_steps=25, total_steps=250, min_lr=1e-3)."""


def tasks(x64):
    """The worker tasks of one backend: the float64 paths (x64), or everything else."""
    if x64:
        return [["trajectory", "float64", config] for config in CONFIGS]
    return (
        [["trajectory", "float32", config] for config in CONFIGS]
        + [["half", dtype] for dtype in HALF + ("float32",)]
        + [["fit", jit] for jit in (False, True)]
        + [["mixed", policy] for policy in POLICIES + ("float32",)]
        + [["config"]]
    )


def run_worker(backend, task_list, x64=False):
    """The worker's results on ``backend``, with its stderr under "stderr"."""
    if backend not in INSTALLED:
        pytest.skip(f"{backend} is not installed here (`bash .ci/backend {backend}` makes an environment with it)")
    env = dict(os.environ, KERAS_BACKEND=backend, JAX_ENABLE_X64="1" if x64 else "0", TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, str(WORKER), json.dumps(task_list)], capture_output=True, text=True,
                            env=env, timeout=900, cwd=WORKER.parent)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == backend
    report["stderr"] = result.stderr
    return report


@functools.cache
def _results(backend, x64):
    return run_worker(backend, tasks(x64), x64)


def result(backend, *task, x64=False):
    report = _results(backend, x64)
    got = report[json.dumps(list(task))]
    assert "error" not in got, f"{task} failed on {backend}:\n{got.get('error')}"
    return got


def relative_error(actual, expected):
    expected = np.asarray(expected, dtype="float64")
    return np.abs(np.asarray(actual, dtype="float64") - expected).max() / max(np.abs(expected).max(), 1e-30)


def numpy_reference(dtype, config):
    """radam.numpy.RAdam on the quadratic: the path, and the final m and v per parameter."""
    kwargs = dict(CONFIGS[config])
    if config == "schedule":
        kwargs["learning_rate"] = SCHEDULE
    params, gradients = quadratic(dtype)
    optimizer = radam.numpy.RAdam(**kwargs)
    path = []
    for _ in range(STEPS):
        optimizer.step(params, gradients(params))
        path.append(np.concatenate([p.ravel() for p in params]))
    return np.array(path), optimizer._slots


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_quadratic_path_matches_numpy_radam(backend, config, dtype):
    """300 steps, every step compared: the SGD phase, the switch to rectified steps, the rectified phase."""
    got = result(backend, "trajectory", dtype, config, x64=dtype == "float64")
    assert got["dtypes"] == [dtype, dtype] and got["iterations"] == STEPS
    beta_2 = CONFIGS[config].get("beta_2", 0.999)
    assert 1 < theory.first_adaptive_step(beta_2, CONFIGS[config].get("sma_threshold", 5.0)) < STEPS / 10
    path, slots = numpy_reference(dtype, config)
    # a Keras LearningRateSchedule computes in float32 (as Keras's own do), so its rate carries float32 rounding
    path_tol, v_tol = TOLERANCE["float32" if config == "schedule" else dtype]
    errors = [relative_error(a, b) for a, b in zip(got["path"], path)]
    first = np.argmax(np.array(errors) > path_tol) + 1
    assert max(errors) <= path_tol, f"path off by {max(errors):.3g}, first at step {first}"
    for i, s in enumerate(slots):
        assert relative_error(got["m"][i], s["m"].ravel()) <= path_tol, f"m[{i}]"
        v_error = np.abs(np.array(got["v"][i]) - s["v"].ravel()) / np.maximum(s["v"].ravel(), 1e-30)
        assert v_error.max() <= v_tol, f"v[{i}]: {v_error.max():.3g}"
    assert np.abs(path[-1] - path[0]).max() > 0.2  # the run went somewhere


@pytest.mark.parametrize("config", ["blog", "schedule"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_learning_rate_follows_the_blog_schedule(backend, config):
    """optimizer.learning_rate before each step t is radam.schedules.warmup_then_linear_decay's lr_t, to float32
    rounding: lr + (min_lr - lr) * fraction, in float32 with lr = 0.02, is within a few ulps of 0.02 (2e-9
    measured, 1e-8 allowed; a schedule one step late is off by 8e-5)."""
    got = result(backend, "trajectory", "float32", config)
    expected = SCHEDULE(np.arange(1, STEPS + 1))
    np.testing.assert_allclose(got["rates"], expected, rtol=0, atol=1e-8)
    assert expected[24] == pytest.approx(0.02) and expected[-1] == pytest.approx(1e-3)  # warmup's end; min_lr


def torch_reference(config):
    """torch.optim.RAdam, float64, on the quadratic (the module docstring says why the rules coincide)."""
    torch = pytest.importorskip("torch", reason="torch.optim.RAdam is the reference: `bash .ci/backend torch`")
    kwargs = dict(CONFIGS[config])
    start, gradients = quadratic("float64")
    params = [torch.tensor(p, requires_grad=True) for p in start]
    optimizer = torch.optim.RAdam(params, lr=kwargs["learning_rate"], eps=1e-7, foreach=False,
                                  weight_decay=kwargs.get("weight_decay", 0.0), decoupled_weight_decay=True)
    scheduler = None
    if "total_steps" in kwargs:
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: SCHEDULE(k + 1) / kwargs["learning_rate"])
    path = []
    for _ in range(STEPS):
        for p, g in zip(params, gradients([p.detach().numpy() for p in params])):
            p.grad = torch.tensor(g)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        path.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(path)


@pytest.mark.parametrize("config", ["plain", "weight_decay", "blog"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_quadratic_path_matches_torch_optim_radam(backend, config):
    got = result(backend, "trajectory", "float64", config, x64=True)
    expected = torch_reference(config)
    errors = [relative_error(a, b) for a, b in zip(got["path"], expected)]
    assert max(errors) <= TORCH_TOLERANCE, f"max error {max(errors):.3g} at step {np.argmax(errors) + 1}"


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_matches_numpy_radam_on_least_squares(backend, jit_compile):
    """fit of y = x W + b (MSE, the blog's schedule, weight decay) follows radam.numpy.RAdam fed the same batches'
    exact gradients, with and without jit_compile; and raises no warning from radam's code (nor, on PyTorch,
    torch.compile's recompilation warning, which ops.cond in the update step used to cause)."""
    got = result(backend, "fit", jit_compile)
    x, y = regression_data()
    params = linear_start()
    optimizer = radam.numpy.RAdam(**FIT)
    for _ in range(6):
        for i in range(0, len(x), 16):
            optimizer.step(params, mse_gradients(params, x[i : i + 16], y[i : i + 16]))
    assert got["iterations"] == optimizer.iterations == 48
    for w, p in zip(got["weights"], params):
        assert relative_error(w, p) <= TOLERANCE["float32"][0]
    assert got["loss"][-1] < 0.6 * got["loss"][0]
    package = str(Path(radam.__file__).parent)
    assert not [w for w in got["warnings"] if w.startswith(package)], got["warnings"]
    stderr = _results(backend, False)["stderr"]
    assert "recompile" not in stderr, stderr[-3000:]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("backend", BACKENDS)
def test_half_precision_variables_follow_the_float32_run(backend, dtype):
    """Each step rounds each parameter once to the dtype (at most half an ulp of the largest value), so after k
    steps the half-precision run is within k such roundings of the float32 run (tests/test_keras_hardening.py)."""
    half = np.array(result(backend, "half", dtype)["path"])
    full = np.array(result(backend, "half", "float32")["path"])
    assert result(backend, "half", dtype)["dtype"] == dtype and np.isfinite(half).all()
    eps = 2.0**-7 if dtype == "bfloat16" else 2.0**-10
    bound = np.cumsum(eps * np.maximum(np.abs(full).max(axis=1), 1.0) / 2)
    assert (np.abs(half - full).max(axis=1) <= bound).all()
    assert np.abs(full[-1] - full[0]).max() > 10 * bound[0]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_mixed_precision_fit_follows_float32(backend, policy):
    """Under mixed_float16, compile wraps RAdam in Keras's LossScaleOptimizer, which skips each step whose scaled
    gradients overflow and halves the scale (from 2^15); mixed_bfloat16 needs no scaling. The weights stay float32,
    within the half-precision forward pass's error of the float32 run (measured: 1e-3 relative, 5e-3 allowed)."""
    got, reference = result(backend, "mixed", policy), result(backend, "mixed", "float32")
    assert got["inner"] == "RAdam" and got["compute_dtype"] == policy.removeprefix("mixed_")
    skipped = 0
    if policy == "mixed_float16":
        assert got["optimizer"] == "LossScaleOptimizer"
        skipped = round(math.log2(2**15 / got["scale"]))
    assert got["iterations"] == 48 - skipped and reference["iterations"] == 48
    assert got["loss"][-1] < 0.5 * got["loss"][0]
    if not skipped:
        for w, r in zip(got["weights"], reference["weights"]):
            assert relative_error(w, r) <= 5e-3


@pytest.mark.parametrize("backend", BACKENDS)
def test_get_config_from_config_and_serialize_round_trip(backend):
    got = result(backend, "config")
    assert got["rebuilt"] == got["config"]
    assert got["config"]["total_steps"] == 5000 and got["config"]["degenerated_to_sgd"] is False
    assert got["registered"] == "radam>RAdam"
    assert (got["restored_class"], got["restored_schedule"]) == ("RAdam", "WarmupThenLinearDecay")
    assert got["schedule_config"] == {"learning_rate": 0.01, "warmup_steps": 100, "total_steps": 1000, "min_lr": 1e-4}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """{backend: (path, what the worker saved and did after)}, filled on first use."""
    folder, done = tmp_path_factory.mktemp("saved"), {}

    def on(backend):
        if backend not in done:
            path = folder / f"{backend}.keras"
            done[backend] = path, run_worker(backend, [["save", str(path)]])[json.dumps(["save", str(path)])]
            assert "error" not in done[backend][1], done[backend][1]["error"]
        return done[backend]

    return on


@pytest.mark.parametrize("source, target", [(s, t) for s in ("tensorflow",) + BACKENDS for t in BACKENDS])
def test_a_model_saved_on_one_backend_loads_and_trains_on_another(saved, source, target):
    """The .keras file keeps RAdam, its config, its moments and its step count; two more epochs on the target
    backend end where two more on the source did (float32, the backends' own rounding: 1e-5)."""
    if source not in INSTALLED or target not in INSTALLED:
        needs = " and ".join(dict.fromkeys((source, target)))
        pytest.skip(f"needs {needs} in one environment (.ci/backend torch has JAX and PyTorch)")
    path, before = saved(source)
    task = ["load", str(path)]
    got = run_worker(target, [task])[json.dumps(task)]
    assert "error" not in got, got["error"]
    assert got["class"] == "RAdam" and got["config"] == before["config"]
    assert got["loaded"]["iterations"] == before["saved"]["iterations"] == 16
    for a, b in zip(got["loaded"]["optimizer"] + got["loaded"]["weights"],
                    before["saved"]["optimizer"] + before["saved"]["weights"]):
        np.testing.assert_array_equal(a, b)
    assert got["after"]["iterations"] == 32
    for a, b in zip(got["after"]["weights"], before["after"]["weights"]):
        assert relative_error(a, b) <= 1e-5
