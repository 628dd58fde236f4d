"""radam.numpy on its own (no TensorFlow needed): RAdam against the rule written out in plain Python floats
(tests/reference_rules.py, which the Keras tests share), the blocks a step streams through, steps that fail
before they change anything, state and config round trips, memory per step, and input validation.
The agreement of every optimizer with its Keras built-in is in test_numpy_keras_agreement.py.
"""

import decimal
import math
import re
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from reference_rules import radam_rule

from radam import numpy as rnp
from radam import schedules, theory, variants, warmup_evidence

SHAPES = [(3, 4), (5,), (2, 1, 3)]
BLOCK = rnp.BLOCK_BYTES // 8  # float64 elements per block


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


# ---- RAdam against the rule, one Python float at a time ------------------------------------------------------


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
    expected = radam_rule(flat(LeastSquares("float64").start), [flat(g) for g in gradients], **kwargs)
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


def r_t_exactly(t, beta_2):
    """r_t with rho_t computed in 60-digit decimal arithmetic (from beta_2 as the float it is): no cancellation."""
    with decimal.localcontext(decimal.Context(prec=60)):
        beta, one = decimal.Decimal(beta_2), decimal.Decimal(1)
        rho_inf = 2 / (one - beta) - 1
        rho_t = rho_inf - 2 * t * beta**t / (one - beta**t)
        return float(((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)).sqrt())


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
    np.testing.assert_allclose(radam_params, r_t_exactly(t, 0.999) * adam_params, rtol=1e-13)
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
EVERY_OPTIMIZER = {
    **ALL,
    "RAdamVariant, v_hat and coupled decay": lambda: variants.RAdamVariant(
        learning_rate=0.01, epsilon_on="v_hat", weight_decay=0.01, decay="coupled", strict=True
    ),
    "PrimedAdam": lambda: warmup_evidence.PrimedAdam(
        0.01, [np.full(shape, 0.5) for shape in SHAPES], beta_1=0.8, beta_2=0.99
    ),
}
"""One or more of every optimizer in the package (the test below keeps it complete), for the contract tests:
state_dict / load_state_dict and get_config reproduce the following steps exactly."""


def test_the_contract_tests_cover_every_optimizer_in_the_package():
    def subclasses(cls):
        return {cls} | {s for sub in cls.__subclasses__() for s in subclasses(sub)}

    package = {cls for cls in subclasses(rnp.Optimizer) if cls.__module__.split(".")[0] == "radam"}
    assert package - {rnp.Optimizer} == {type(make()) for make in EVERY_OPTIMIZER.values()}


def gradient_stream(seed, steps):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=shape) for shape in SHAPES] for _ in range(steps)]


@pytest.mark.parametrize("make", EVERY_OPTIMIZER.values(), ids=EVERY_OPTIMIZER.keys())
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


@pytest.mark.parametrize("make", EVERY_OPTIMIZER.values(), ids=EVERY_OPTIMIZER.keys())
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


@pytest.mark.parametrize("make", EVERY_OPTIMIZER.values(), ids=EVERY_OPTIMIZER.keys())
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



def test_repr_is_a_constructor_call_that_rebuilds_the_optimizer():
    assert repr(rnp.SGD(0.1, momentum=0.9)) == "SGD(learning_rate=0.1, momentum=0.9)"
    optimizer = rnp.RAdam(learning_rate=0.02, beta_2=0.99, weight_decay=0.1, total_steps=100)
    rebuilt = eval(repr(optimizer), {"RAdam": rnp.RAdam})
    assert type(rebuilt) is rnp.RAdam and rebuilt.get_config() == optimizer.get_config()


def test_radam_defaults_are_the_published_ones():
    # tensorflow-addons' RectifiedAdam: learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=0,
    # sma_threshold=5, total_steps=0, warmup_proportion=0.1, min_lr=0; the authors' degenerated_to_sgd=True.
    assert rnp.RAdam().get_config() == {
        "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "sma_threshold": 5.0,
        "degenerated_to_sgd": True, "weight_decay": 0.0, "total_steps": 0, "warmup_proportion": 0.1, "min_lr": 0.0,
    }


class GradientDescent(rnp.Optimizer):
    """A subclass without slots: theta -= lr g."""

    def update(self, theta, g, lr):
        theta -= lr * g


class Bracket(rnp.Optimizer):
    """A subclass whose slots start at different values: low = -1 and high = 1, then low -= g, high += g."""

    slots = ("low", "high")

    def initial_slot(self, name, param):
        return np.full(param.shape, {"low": -1.0, "high": 1.0}[name], dtype=param.dtype)

    def update(self, theta, g, low, high, lr):
        low -= g
        high += g
        theta -= lr * (high - low) / 2


def test_subclasses_without_slots_or_with_their_own_initial_slots_step():
    optimizer, theta = GradientDescent(0.5), np.ones(3)
    for _ in range(3):
        optimizer.step(theta, np.ones(3))
    np.testing.assert_array_equal(theta, -0.5)
    message = r"params must keep the shapes of the first step 1 arrays, got \[\(3,\), \(2,\)\]"
    with pytest.raises(ValueError, match=message):
        optimizer.step([theta, np.ones(2)], [np.ones(3), np.ones(2)])
    optimizer, theta = Bracket(0.1), np.zeros(2)
    optimizer.step(theta, np.array([0.5, 2.0]))
    state = optimizer.state_dict()["slots"][0]
    np.testing.assert_array_equal(state["low"], [-1.5, -3.0])
    np.testing.assert_array_equal(state["high"], [1.5, 3.0])
    np.testing.assert_allclose(theta, [-0.15, -0.3], rtol=1e-15)


def test_r_t_is_computed_once_per_rho_steps_steps(monkeypatch):
    computed, rectification = [], theory.rectification
    def counted(t, beta_2):
        computed.append(np.size(t))
        return rectification(t, beta_2)

    monkeypatch.setattr(theory, "rectification", counted)
    optimizer, theta = rnp.RAdam(), np.zeros(1)
    for _ in range(2 * rnp.RAdam.RHO_STEPS + 5):
        optimizer.step(theta, np.ones(1))
    assert computed == [rnp.RAdam.RHO_STEPS] * 3  # at t = 1, 1 + RHO_STEPS and 1 + 2 RHO_STEPS


def test_r_t_follows_beta_2_and_the_threshold_changed_between_steps():
    def r_t(t, beta_2, threshold):  # the paper's formulas in plain floats
        rho_inf = 2 / (1 - beta_2) - 1
        rho = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
        if rho < threshold:
            return None
        return math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))

    optimizer, theta = rnp.RAdam(), np.zeros(1)
    for _ in range(3):
        optimizer.step(theta, np.ones(1))
    for beta_2, threshold in ((0.9, 5.0), (0.9, 6.0), (0.99, 4.0)):
        optimizer.beta_2, optimizer.sma_threshold = beta_2, threshold
        for t in range(4, 30):
            expected = r_t(t, beta_2, threshold)
            got = optimizer.rectification_at(t)
            assert (got is None) if expected is None else got == pytest.approx(expected, rel=1e-12), (beta_2, t)

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
    # The first step allocates the slots; later steps stream blocks of rnp.BLOCK_BYTES, whose temporaries are
    # block-sized. The traced peak of a later step is the same for 3 and 30 blocks of parameters, and a few
    # block-sized arrays (Adam's update holds at most three temporaries at once).
    peaks, block = [], rnp.BLOCK_BYTES // 4
    for size in (3 * block + 5, 30 * block + 5):
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
    assert peaks[1] < 4 * rnp.BLOCK_BYTES, peaks  # four blocks: nothing of the parameters' size (3.9 MiB)



@pytest.mark.parametrize("name", ["Adam", "RAdam, all arguments", "SGD momentum"])
def test_steps_on_strided_params_and_grads_allocate_blocks_not_copies(name):
    # A strided parameter and gradient are copied in and out block by block: a step's traced peak is a few blocks,
    # far below the 30 blocks of either array (a whole copy of the gradient would be 3.9 MiB).
    rows, block = 30 * rnp.BLOCK_BYTES // 4 // 100 + 1, rnp.BLOCK_BYTES // 4
    param = np.ones((rows, 200), dtype=np.float32)[:, :100]  # half of each row: flattening it needs a copy
    grad = np.full((rows, 200), 0.5, dtype=np.float32)[:, :100]
    assert not param.flags.c_contiguous and not grad.flags.c_contiguous and param.size > 30 * block
    optimizer = ALL[name]()
    for _ in range(7):
        optimizer.step(param, grad)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        optimizer.step(param, grad)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < 8 * rnp.BLOCK_BYTES, peak  # measured: 5 blocks (3 for SGD)

# ---- blocks ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_a_parameter_of_many_blocks_steps_as_its_pieces_would(make):
    # The update is elementwise: one array of 3 blocks and 7 elements must end bit-identical to the same elements
    # cut into pieces that straddle the block boundaries, each piece one block or less.
    size = 3 * BLOCK + 7
    rng = np.random.default_rng(4)
    start, grads = rng.normal(size=size), [rng.normal(size=size) for _ in range(8)]
    cuts = [0, 5, BLOCK - 1, BLOCK + 1, 2 * BLOCK, 3 * BLOCK - 3, size]
    whole, pieces = start.copy(), [start[a:b].copy() for a, b in zip(cuts, cuts[1:])]
    whole_opt, pieces_opt = make(), make()
    for g in grads:
        whole_opt.step(whole, g)
        pieces_opt.step(pieces, [g[a:b] for a, b in zip(cuts, cuts[1:])])
    np.testing.assert_array_equal(whole, np.concatenate(pieces))
    for name in type(whole_opt).slots:
        np.testing.assert_array_equal(
            whole_opt.state_dict()["slots"][0][name], np.concatenate([s[name] for s in pieces_opt.state_dict()["slots"]])
        )
    assert np.all(whole != start)


def strided(base):
    return base[:, ::2]


def transposed(base):
    return base.T


@pytest.mark.parametrize("view", [strided, transposed])
@pytest.mark.parametrize("rows", [3, 2 * BLOCK // 100 + 1], ids=["one block", "several blocks"])
@pytest.mark.parametrize("make", [ALL["Adam"], ALL["RAdam, all arguments"], ALL["SGD momentum"]], ids=["Adam", "RAdam", "SGD"])
def test_non_contiguous_params_and_grads_are_updated_in_place(make, rows, view):
    rng = np.random.default_rng(5)
    base = rng.normal(size=(rows, 200)).astype(np.float32)
    untouched = base[:, 1::2].copy()
    param = view(base)
    assert not param.flags.c_contiguous
    contiguous = np.ascontiguousarray(param)
    opt, reference = make(), make()
    for _ in range(8):
        g = rng.normal(size=(param.shape[0], 2 * param.shape[1]))[:, ::2]  # float64, strided: cast block by block
        opt.step(param, g)
        reference.step(contiguous, np.ascontiguousarray(g))
    np.testing.assert_array_equal(param, contiguous)  # the caller's view holds the result
    if view is strided:
        np.testing.assert_array_equal(base[:, 1::2], untouched)  # and nothing between its elements changed
    assert param.dtype == np.float32


# ---- a step is all or nothing ---------------------------------------------------------------------------------------


def read_only(array):
    array = array.copy()
    array.flags.writeable = False
    return array


FAILING_STEPS = {  # name: (params[1], grads[1], the error)
    "read-only params[1]": (read_only(np.ones(3)), np.ones(3), r"params\[1\] is read-only"),
    "complex grads[1]": (
        np.ones(3, dtype=np.float32),
        np.ones(3, dtype=complex),
        r"grads\[1\] has dtype complex128, which cannot be cast to params\[1\]'s float32",
    ),
    "string grads[1]": (np.ones(3), np.array(["1", "2", "3"]), r"grads\[1\] has dtype <U1, which cannot be cast to params\[1\]'s float64"),
    "object grads[1]": (np.ones(3), np.array([1.0, None, 2.0], dtype=object), r"grads\[1\] has dtype object, which cannot be cast"),
    "ragged grads[1]": (np.ones(3), [[1.0, 2.0], [3.0]], r"grads\[1\] cannot be read as an array: .*inhomogeneous"),
    "grads[1] of another shape": (np.ones(3), np.ones(4), r"grads\[1\] must have the shape of params\[1\] \(3,\), got \(4,\)"),
    "integer params[1]": (np.ones(3, dtype=int), np.ones(3), r"params\[1\] must be a floating-point ndarray"),
    "epsilon underflows in params[1]": (
        np.ones(3, dtype=np.float16),
        np.ones(3),
        r"epsilon=1e-08 underflows to 0 in float16 \(the dtype of params\[1\]\)",
    ),
}


FAILING_CASES = [
    pytest.param(ALL[name], *case, id=f"{name}-{failure}")
    for name in ("Adam", "RAdam, all arguments", "SGD momentum")
    for failure, case in FAILING_STEPS.items()
    if not (name.startswith("SGD") and "epsilon" in failure)  # SGD has no epsilon
]


@pytest.mark.parametrize("make, param_1, grad_1, match", FAILING_CASES)
def test_a_failing_step_changes_nothing_and_a_retry_is_one_step(make, param_1, grad_1, match):
    optimizer = make()
    if hasattr(optimizer, "epsilon"):
        optimizer.epsilon = 1e-8  # representable in float64, not in float16
    rng = np.random.default_rng(6)
    param_0, grad_0 = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    params = [param_0, np.ones(3)]
    for _ in range(7):  # past RAdam's SGD steps, with slots for both arrays
        optimizer.step(params, [grad_0, np.ones(3)])
    saved, state = param_0.copy(), optimizer.state_dict()
    twin = make()
    twin.__dict__.update(optimizer.get_config())
    twin.load_state_dict(state)

    with pytest.raises(ValueError, match=match):
        optimizer.step([param_0, param_1], [grad_0, grad_1])
    np.testing.assert_array_equal(param_0, saved)
    assert optimizer.iterations == 7
    for after, before in zip(optimizer.state_dict()["slots"], state["slots"]):
        for name in after:
            np.testing.assert_array_equal(after[name], before[name])

    retry, clean = [param_0, np.full(3, 2.0)], [saved.copy(), np.full(3, 2.0)]
    optimizer.step(retry, [grad_0, np.ones(3)])
    twin.step(clean, [grad_0, np.ones(3)])
    assert optimizer.iterations == twin.iterations == 8
    for a, b in zip(retry, clean):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", [rnp.AdaGrad, rnp.RMSProp, rnp.Adam, rnp.RAdam])
@pytest.mark.parametrize("epsilon, dtype", [(1e-8, np.float16), (1e-50, np.float32), (1e-46, np.float32)])
def test_an_epsilon_that_underflows_in_the_parameters_dtype_is_rejected_at_the_first_step(cls, epsilon, dtype):
    optimizer = cls(epsilon=epsilon)
    param = np.ones(3, dtype=dtype)
    message = f"epsilon={epsilon!r} underflows to 0 in {np.dtype(dtype).name} (the dtype of params[0])"
    with pytest.raises(ValueError, match=re.escape(message)):
        optimizer.step(param, np.zeros(3))
    assert optimizer.iterations == 0 and optimizer.state_dict()["slots"] is None
    np.testing.assert_array_equal(param, 1.0)
    wide = np.ones(3)  # in float64 the same optimizer steps, and a zero gradient changes nothing
    optimizer.step(wide, np.zeros(3))
    assert optimizer.iterations == 1 and np.all(wide == 1.0)


def test_float16_steps_with_a_representable_epsilon_stay_finite():
    for cls in (rnp.AdaGrad, rnp.RMSProp, rnp.Adam, rnp.RAdam):
        param = np.ones(4, dtype=np.float16)
        optimizer = cls(epsilon=1e-4)
        for _ in range(10):
            optimizer.step(param, np.array([0.0, 1e-3, -0.5, 2.0]))
        assert param.dtype == np.float16 and np.isfinite(param).all() and param[0] == 1.0, cls


# ---- RAdam where the rule is delicate -------------------------------------------------------------------------------


def test_degenerate_beta_2_takes_sgd_steps_and_stays_finite():
    # beta_2 = 0.6: rho_inf = 4 = sma_threshold. rho_t < rho_inf at every step, so no step is adaptive: RAdam is SGD
    # with momentum and bias correction throughout (it gave NaN at t = 81, where rho_t reached 4 in float64).
    rng = np.random.default_rng(7)
    start, grads = rng.normal(size=3), rng.normal(size=(10_000, 3))
    param = start.copy()
    optimizer = rnp.RAdam(learning_rate=0.01, beta_2=0.6, sma_threshold=4.0)
    history = []
    for g in grads:
        optimizer.step(param, g)
        history.append(param.copy())
    assert np.isfinite(history).all()
    expected = radam_rule(start, grads[:200].tolist(), learning_rate=0.01, beta_2=0.6, sma_threshold=4.0)
    np.testing.assert_allclose(history[:200], expected, rtol=1e-12, atol=1e-14)
    m = np.zeros(3)  # and at the end, still SGD with momentum
    for t, g in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * g
    np.testing.assert_allclose(history[-1] - history[-2], -0.01 * m / (1 - 0.9**10_000), rtol=1e-9)


@pytest.mark.parametrize("beta_2", [1 - 1e-7, 1 - 1e-9, 1 - 2**-40])
def test_step_size_near_beta_2_of_1_is_accurate(beta_2):
    # 1 - beta_2^t ~ t (1 - beta_2) and rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t) lose about half their digits
    # at beta_2 = 1 - 1e-9 when computed directly in float64; 60-digit decimals are the reference.
    optimizer = rnp.RAdam(learning_rate=0.01, beta_2=beta_2)
    with decimal.localcontext(decimal.Context(prec=60)):
        beta_1, beta, one = decimal.Decimal(0.9), decimal.Decimal(beta_2), decimal.Decimal(1)
        rho_inf = 2 / (one - beta) - 1
        for t in [1, 2, 5, 6, 7, 30, 1000]:
            rho_t = rho_inf - 2 * t * beta**t / (one - beta**t)
            scalars = optimizer.step_scalars(t, 0.01)
            if rho_t >= 5:
                r_t = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)).sqrt()
                expected = decimal.Decimal(0.01) * r_t * (one - beta**t).sqrt() / (one - beta_1**t)
                assert scalars["r_t"] == pytest.approx(float(r_t), rel=1e-12), t
            else:
                expected = decimal.Decimal(0.01) / (one - beta_1**t)
                assert scalars["r_t"] is None, t
            assert scalars["step_size"] == pytest.approx(float(expected), rel=1e-12), t


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


def adam_state(**changes):
    """A valid state of rnp.Adam for two parameters of shapes (2,) and (3,), after 4 steps, with ``changes``."""
    state = {
        "iterations": 4,
        "slots": [
            {"m": np.array([0.1, -0.2]), "v": np.array([0.01, 0.02])},
            {"m": np.array([0.3, 0.0, -0.1]), "v": np.array([0.5, 0.0, 0.1])},
        ],
    }
    for key, value in changes.items():
        if key in ("m0", "v0", "m1", "v1"):
            state["slots"][int(key[1])][key[0]] = value
        else:
            state[key] = value
    return state


BAD_STATES = {
    "negative iterations": (adam_state(iterations=-1), r"state\['iterations'\] must be a whole number >= 0, got -1"),
    "float iterations": (adam_state(iterations=2.0), r"state\['iterations'\] must be a whole number >= 0, got 2\.0"),
    "fractional iterations": (adam_state(iterations=2.5), r"state\['iterations'\] must be a whole number >= 0, got 2\.5"),
    "bool iterations": (adam_state(iterations=True), r"state\['iterations'\] must be a whole number >= 0, got True"),
    "string iterations": (adam_state(iterations="4"), r"state\['iterations'\] must be a whole number >= 0, got '4'"),
    "missing iterations": ({"slots": None}, r"state must be a dict with the keys \['iterations', 'slots'\].*keys \['slots'\]"),
    "missing slots": ({"iterations": 0}, r"state must be a dict with the keys .*keys \['iterations'\]"),
    "unknown key": (
        {**adam_state(), "lr": 0.1},
        r"state must be a dict with the keys \['iterations', 'slots'\].*keys \['iterations', 'lr', 'slots'\]",
    ),
    "not a dict": ([1, 2], r"state must be a dict with the keys \['iterations', 'slots'\], got \[1, 2\]"),
    "slots a dict": (adam_state(slots={"m": 1, "v": 2}), r"state\['slots'\] must be None or a non-empty list of dicts"),
    "slots empty": (adam_state(slots=[]), r"state\['slots'\] must be None or a non-empty list of dicts, got \[\]"),
    "slot key missing": (
        adam_state(slots=[{"m": np.ones(2)}]),
        r"state\['slots'\]\[0\] must be a dict with the keys \['m', 'v'\], got \['m'\]",
    ),
    "slot key unknown": (
        adam_state(slots=[{"m": np.ones(2), "v": np.ones(2), "G": np.ones(2)}]),
        r"state\['slots'\]\[0\] must be a dict with the keys \['m', 'v'\], got \['G', 'm', 'v'\]",
    ),
    "slot not a dict": (adam_state(slots=[np.ones(2)]), r"state\['slots'\]\[0\] must be a dict with the keys"),
    "string slot": (adam_state(v1=np.array(["a", "b", "c"])), r"state\['slots'\]\[1\]\['v'\] must be a floating-point array, got dtype <U1"),
    "integer slot": (adam_state(m1=np.array([1, 2, 3])), r"state\['slots'\]\[1\]\['m'\] must be a floating-point array, got dtype int64"),
    "object slot": (
        adam_state(m0=np.array([0.1, None], dtype=object)),
        r"state\['slots'\]\[0\]\['m'\] must be a floating-point array, got dtype object",
    ),
    "complex slot": (adam_state(m0=np.ones(2, dtype=complex)), r"state\['slots'\]\[0\]\['m'\] must be a floating-point array, got dtype complex128"),
    "string value": (adam_state(m0="0.1"), r"state\['slots'\]\[0\]\['m'\] must be a floating-point array, got '0\.1'"),
    "ragged slot": (adam_state(m0=[[0.1, 0.2], [0.3]]), r"state\['slots'\]\[0\]\['m'\] must be a floating-point array: .*inhomogeneous"),
    "shapes differ": (
        adam_state(v1=np.ones((3, 1))),
        r"state\['slots'\]\[1\]\['v'\] must have the shape of state\['slots'\]\[1\]\['m'\] \(3,\), got \(3, 1\)",
    ),
    "NaN": (adam_state(m1=np.array([0.3, np.nan, 0.1])), r"state\['slots'\]\[1\]\['m'\] holds NaN or infinite values"),
    "inf": (adam_state(v0=np.array([np.inf, 0.1])), r"state\['slots'\]\[0\]\['v'\] holds NaN or infinite values"),
    "negative v": (
        adam_state(v1=np.array([0.5, -1e-12, 0.1])),
        r"state\['slots'\]\[1\]\['v'\] holds negative values \(minimum -1e-12\); it is a sum of squares, >= 0",
    ),
    "slots without a step": (adam_state(iterations=0), r"state\['iterations'\] is 0 but state\['slots'\] is not None"),
    "steps without slots": (adam_state(slots=None), r"state\['iterations'\] is 4 but state\['slots'\] is None"),
}


@pytest.mark.parametrize("state, match", BAD_STATES.values(), ids=BAD_STATES.keys())
def test_bad_state_is_rejected_naming_the_slot_and_changes_nothing(state, match):
    optimizer = rnp.Adam(learning_rate=0.1)
    params = [np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])]
    optimizer.step(params, [np.ones(2), np.ones(3)])
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match=match):
        optimizer.load_state_dict(state)
    after = optimizer.state_dict()
    assert after["iterations"] == before["iterations"] == 1
    for slots_after, slots_before in zip(after["slots"], before["slots"]):
        for name in ("m", "v"):
            np.testing.assert_array_equal(slots_after[name], slots_before[name])


@pytest.mark.parametrize(
    "cls, slot", [(rnp.AdaGrad, "G"), (rnp.RMSProp, "v"), (rnp.RAdam, "v")], ids=["AdaGrad", "RMSProp", "RAdam"]
)
def test_negative_second_moments_are_rejected_for_every_optimizer(cls, slot):
    optimizer = cls()
    state = {"iterations": 3, "slots": [{name: np.full(2, 0.1) for name in cls.slots}]}
    optimizer.load_state_dict(state)  # the valid state loads
    state["slots"][0][slot] = np.array([0.1, -0.1])
    with pytest.raises(ValueError, match=re.escape(f"state['slots'][0][{slot!r}] holds negative values")):
        cls().load_state_dict(state)
    if "m" in cls.slots:  # first moments may be negative
        state["slots"][0].update(m=np.array([-0.1, 0.1]), v=np.array([0.1, 0.1]))
        cls().load_state_dict(state)


def test_a_valid_state_loads_as_copies_in_any_array_form():
    optimizer = rnp.Adam(learning_rate=0.1)
    state = {
        "iterations": np.int64(3),
        "slots": [{"m": [0.1, -0.2], "v": (0.5, 0.25)}, {"m": np.float32(0.5), "v": np.float32(0.25)}],
    }
    optimizer.load_state_dict(state)
    loaded = optimizer.state_dict()
    assert loaded["iterations"] == 3 and type(loaded["iterations"]) is int
    np.testing.assert_array_equal(loaded["slots"][0]["v"], [0.5, 0.25])
    assert loaded["slots"][1]["m"].dtype == np.float32 and loaded["slots"][1]["m"].shape == ()
    params = [np.zeros(2), np.zeros((), dtype=np.float32)]
    optimizer.step(params, [np.ones(2), np.ones((), dtype=np.float32)])
    assert optimizer.iterations == 4 and np.all(params[0] != 0) and params[1] != 0


def test_importing_the_numpy_modules_does_not_import_tensorflow_or_keras():
    code = (
        "import sys, radam, radam.numpy, radam.theory, radam.schedules, radam.problems, radam.environment\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'jax', 'torch')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
