"""Properties of the contract every optimizer in radam.numpy shares, checked with hypothesis on drawn
hyperparameters, gradient sequences and dtypes (the example-based tests are in test_numpy.py):

- every optimizer equals its rule written out in plain Python floats (RAdam: tests/reference_rules.py);
- RAdam's adaptive decision is exact: with sma_threshold set to a value rho_t reaches (``theory.rho_t(t0, beta_2)``),
  step t0 = ``theory.first_adaptive_step`` is the first rectified one, in NumPy and in Keras (which decides by
  comparing t with first_adaptive_step), and the two packages take the same steps;
- state_dict / load_state_dict and get_config round trips, cut at any step, reproduce the following steps exactly
  (the fixed-step version of this, for every optimizer in the package, is in test_numpy.py: EVERY_OPTIMIZER);
- a rejected step, load or construction changes nothing.

Profiles (tests/conftest.py): "default", a few examples per property for the fast tier; "ci" (selected with
HYPOTHESIS_PROFILE=ci), many more.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference_rules import radam_rule
from test_numpy import EVERY_OPTIMIZER

from radam import numpy as rnp
from radam import theory

# ---- strategies -----------------------------------------------------------------------------------------------------

finite = {"allow_nan": False, "allow_infinity": False}
BETA_2 = st.one_of(
    st.just(0.0),
    st.floats(0.01, 0.5, **finite),  # near 0: rho_inf < 4, never adaptive
    st.floats(0.9, 0.999, **finite),
    st.integers(3, 5).map(lambda k: 1.0 - 10.0**-k),  # near 1 (as near as the float reference stays exact)
    st.floats(3.0, 5.0, **finite).map(lambda k: 1.0 - 10.0**-k),
)


def naive_rho(t, beta_2):
    """rho_t as the reference rule computes it (the direct formula)."""
    rho_inf = 2 / (1 - beta_2) - 1
    return rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)


@st.composite
def radam_kwargs(draw, beta_2=BETA_2):
    """RAdam's hyperparameters; sma_threshold is either any number >= 4 or exactly a value rho_t reaches."""
    lr = draw(st.floats(1e-4, 0.1, **finite))
    b2 = draw(beta_2)
    kwargs = {
        "learning_rate": lr,
        "beta_1": draw(st.floats(0.0, 0.99, **finite)),
        "beta_2": b2,
        "epsilon": draw(st.floats(1e-8, 1e-3, **finite)),
        "degenerated_to_sgd": draw(st.booleans()),
        "weight_decay": draw(st.sampled_from([0.0, 0.01, 0.1])),
    }
    rho_inf = theory.rho_inf(b2)
    if rho_inf > 4.5 and draw(st.booleans()):
        t0 = draw(st.integers(5, 40))
        assume(theory.rho_t(t0, b2) >= 4)
        # Reachable by both: the package's rho_t (theory) and the reference's direct formula round differently,
        # so the threshold is the smaller of the two: step t0 is adaptive in both.
        kwargs["sma_threshold"] = min(float(theory.rho_t(t0, b2)), naive_rho(t0, b2))
    else:
        kwargs["sma_threshold"] = draw(st.floats(4.0, 30.0, **finite))
    if draw(st.booleans()):
        kwargs["total_steps"] = draw(st.integers(1, 20))
        kwargs["warmup_proportion"] = draw(st.floats(0.0, 1.0, **finite))
        kwargs["min_lr"] = draw(st.floats(0.0, lr, **finite))
    return kwargs


def gradient_sequences(max_steps=12, max_size=4):
    """A start point and one gradient list per step, as float64 lists (size n, 1 to max_steps steps)."""
    # 0, or 0.01 <= |g| <= 10: v + (1 - beta_2)(g^2 - v), the form of Keras and radam.numpy, has the absolute
    # rounding error of the previous v, which a g^2 many orders of magnitude below it would show (see NEAR_0_TO_0999)
    magnitude = st.floats(0.01, 10.0, **finite)
    element = st.one_of(st.just(0.0), magnitude, magnitude.map(lambda g: -g))
    return st.integers(1, max_size).flatmap(
        lambda n: st.tuples(
            st.lists(element, min_size=n, max_size=n),
            st.lists(st.lists(element, min_size=n, max_size=n), min_size=1, max_size=max_steps),
        )
    )


def run(optimizer, start, gradients, dtype="float64"):
    """The parameters (one array) after every step."""
    theta = np.array(start, dtype=dtype)
    history = []
    for g in gradients:
        optimizer.step(theta, np.array(g, dtype=dtype))
        history.append(theta.astype(np.float64))
    return history


# ---- the classic rules, one Python float at a time -------------------------------------------------------------------


def classic_rule(name, kwargs, start, gradients):
    """SGD, AdaGrad, RMSProp, Adam as Keras writes them, one coordinate at a time; the parameters after every step."""
    theta = [float(x) for x in start]
    a = [kwargs.get("initial_accumulator_value", 0.0)] * len(theta)  # m (SGD, Adam) or G / v
    b = [0.0] * len(theta)  # Adam's v
    lr, history = kwargs["learning_rate"], []
    for t, g in enumerate(gradients, start=1):
        for i, gi in enumerate(g):
            if name == "SGD":
                a[i] = kwargs["momentum"] * a[i] - lr * gi
                theta[i] += a[i]
            elif name == "AdaGrad":
                a[i] += gi * gi
                theta[i] -= lr * gi / math.sqrt(a[i] + kwargs["epsilon"])
            elif name == "RMSProp":
                a[i] = kwargs["rho"] * a[i] + (1 - kwargs["rho"]) * gi * gi
                theta[i] -= lr * gi / math.sqrt(a[i] + kwargs["epsilon"])
            else:
                b1, b2 = kwargs["beta_1"], kwargs["beta_2"]
                a[i] = b1 * a[i] + (1 - b1) * gi
                b[i] = b2 * b[i] + (1 - b2) * gi * gi
                m_hat = a[i] / (1 - b1**t)
                theta[i] -= lr * m_hat * math.sqrt(1 - b2**t) / (math.sqrt(b[i]) + kwargs["epsilon"])
        history.append(list(theta))
    return history


NEAR_0_TO_0999 = st.one_of(st.just(0.0), st.floats(0.01, 0.999))
"""A second-moment decay rate: 0, or at least 0.01. (In between, v + (1 - beta_2)(g^2 - v), the form Keras and
radam.numpy use, cancels to beta_2 v with an absolute error of a unit in the last place of v, whose square root
then shows in the step: that form's rounding, not a different rule.)"""
CLASSIC_KWARGS = {
    "SGD": st.fixed_dictionaries({"learning_rate": st.floats(1e-4, 0.1), "momentum": st.floats(0.0, 0.99)}),
    "AdaGrad": st.fixed_dictionaries(
        {
            "learning_rate": st.floats(1e-4, 0.1),
            "initial_accumulator_value": st.floats(0.0, 1.0),
            "epsilon": st.floats(1e-8, 1e-3),
        }
    ),
    "RMSProp": st.fixed_dictionaries(
        {"learning_rate": st.floats(1e-4, 0.1), "rho": NEAR_0_TO_0999, "epsilon": st.floats(1e-8, 1e-3)}
    ),
    "Adam": st.fixed_dictionaries(
        {
            "learning_rate": st.floats(1e-4, 0.1),
            "beta_1": st.floats(0.0, 0.99),
            "beta_2": NEAR_0_TO_0999,
            "epsilon": st.floats(1e-8, 1e-3),
        }
    ),
}
CLASSES = {"SGD": rnp.SGD, "AdaGrad": rnp.AdaGrad, "RMSProp": rnp.RMSProp, "Adam": rnp.Adam}


def assert_matches(history, expected, rtol):
    """Step by step, to rtol of the step's scale (the parameters' magnitude, at least 1)."""
    for t, (got, want) in enumerate(zip(history, expected), start=1):
        scale = max(1.0, max(abs(x) for x in want))
        np.testing.assert_allclose(got, want, rtol=0, atol=rtol * scale, err_msg=f"step {t}")


# ---- every optimizer equals its rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSES)
@given(data=st.data(), sequence=gradient_sequences())
def test_classic_optimizer_equals_its_rule(name, data, sequence):
    kwargs = data.draw(CLASSIC_KWARGS[name], label="kwargs")
    start, gradients = sequence
    history = run(CLASSES[name](**kwargs), start, gradients)
    assert_matches(history, classic_rule(name, kwargs, start, gradients), 1e-10)


@given(kwargs=radam_kwargs(), sequence=gradient_sequences(max_steps=40), dtype=st.sampled_from(["float64", "float32"]))
def test_radam_equals_the_reference_rule(kwargs, sequence, dtype):
    start, gradients = sequence
    if dtype == "float32":  # the reference then sees the gradients the float32 optimizer sees
        start, gradients = np.float32(start).tolist(), np.float32(gradients).tolist()
    history = run(rnp.RAdam(**kwargs), start, gradients, dtype)
    expected = radam_rule(start, gradients, **kwargs)
    # float64: the reference's 1 - beta_2^t and rho_t lose up to ~1e-11 relative where beta_2 = 1 - 1e-5.
    # float32: a few units of 1e-7 per step; an SGD step in place of a rectified one differs by far more.
    assert_matches(history, expected, {"float64": 1e-8, "float32": 1e-4 * len(gradients)}[dtype])


# ---- RAdam's adaptive decision, exactly at the threshold ------------------------------------------------------------


@given(
    beta_2=st.one_of(st.floats(0.7, 0.9999), st.floats(4.0, 9.0).map(lambda k: 1.0 - 10.0**-k)),
    t0=st.integers(5, 200),
    beta_1=st.floats(0.0, 0.95),
    dtype=st.sampled_from(["float64", "float32"]),
)
def test_threshold_at_a_reached_rho_t_makes_that_step_the_first_adaptive_one(beta_2, t0, beta_1, dtype):
    sma_threshold = float(theory.rho_t(t0, beta_2))
    assume(4.0 <= sma_threshold < theory.rho_inf(beta_2))
    first = theory.first_adaptive_step(beta_2, sma_threshold)  # what radam.keras.RAdam decides with
    assert first <= t0 and theory.rho_t(first, beta_2) >= sma_threshold > theory.rho_t(first - 1, beta_2)
    # With degenerated_to_sgd=False only the adaptive steps change theta: it must stay put up to first - 1 and
    # move at step first.
    optimizer = rnp.RAdam(learning_rate=0.01, beta_1=beta_1, beta_2=beta_2, sma_threshold=sma_threshold,
                          degenerated_to_sgd=False)
    theta = np.ones(3, dtype=dtype)
    for t in range(1, first + 1):
        before = theta.copy()
        optimizer.step(theta, np.full(3, 0.5, dtype=dtype))
        assert np.array_equal(theta, before) == (t < first), f"step {t}, first adaptive step {first}"


# ---- NumPy and Keras RAdam agree, step by step (few examples: Keras is slow) -----------------------------------------


@settings(max_examples=4, deadline=None)
@given(
    k=st.one_of(st.integers(1, 2), st.integers(4, 30)),  # beta_2 = 1 - 2^-k: near 0 (0.5, 0.75) to 1 - 1e-9
    t0=st.integers(5, 30),
    degenerated_to_sgd=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_numpy_and_keras_radam_take_the_same_steps(k, t0, degenerated_to_sgd, seed):
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    from radam.keras import RAdam as KerasRAdam

    beta_2 = 1.0 - 2.0**-k  # exact in float32: Keras converts hyperparameters through float32
    rho = float(theory.rho_t(t0, beta_2))
    sma_threshold = rho if 4.0 <= rho < theory.rho_inf(beta_2) else 5.0
    kwargs = {"learning_rate": 2**-7, "beta_1": 0.875, "beta_2": beta_2, "epsilon": 2**-23,
              "sma_threshold": sma_threshold, "degenerated_to_sgd": degenerated_to_sgd}
    rng = np.random.default_rng(seed)
    start, grads = rng.normal(size=4), rng.normal(size=(t0 + 3, 4))
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        variable = keras.Variable(start, dtype="float64")
        keras_opt = KerasRAdam(**kwargs)
        keras_opt.build([variable])
        apply = tf.function(lambda g: keras_opt.apply([g], [variable]))
        numpy_opt, theta = rnp.RAdam(**kwargs), start.copy()
        for t, g in enumerate(grads, start=1):
            before = theta.copy()
            numpy_opt.step(theta, g)
            apply(tf.constant(g))
            # the same decision: a rectified step has r_t > 0 in Keras and moves by r_t m_hat / sqrt(v) in NumPy
            adaptive = bool(theory.is_adaptive(t, beta_2, sma_threshold))
            assert adaptive == (float(keras_opt.rectification) > 0), f"step {t}"
            np.testing.assert_allclose(theta, variable.numpy(), rtol=0, atol=1e-12 * max(1, np.abs(theta).max()),
                                       err_msg=f"step {t}")
            assert degenerated_to_sgd or adaptive or np.array_equal(theta, before)
    finally:
        keras.config.set_floatx(previous)


# ---- state and config round trips, cut at any step -------------------------------------------------------------------


def any_optimizer():
    """One of EVERY_OPTIMIZER (test_numpy.py), or a RAdam with drawn hyperparameters."""
    return st.one_of(st.sampled_from(sorted(EVERY_OPTIMIZER)).map(lambda name: EVERY_OPTIMIZER[name]),
                     radam_kwargs().map(lambda kwargs: lambda: rnp.RAdam(**kwargs)))


SHAPES = [(3, 4), (5,), (2, 1, 3)]  # what EVERY_OPTIMIZER's PrimedAdam is built for


@given(make=any_optimizer(), cut=st.integers(0, 12), later=st.integers(1, 12), seed=st.integers(0, 2**16),
       dtype=st.sampled_from(["float64", "float32"]), rebuild=st.booleans())
def test_state_and_config_round_trip_reproduce_the_next_steps_exactly(make, cut, later, seed, dtype, rebuild):
    rng = np.random.default_rng(seed)
    grads = [[rng.normal(size=s).astype(dtype) for s in SHAPES] for _ in range(cut + later)]
    optimizer = make()
    params = [rng.normal(size=s).astype(dtype) for s in SHAPES]
    for g in grads[:cut]:
        optimizer.step(params, g)
    state, saved = optimizer.state_dict(), [p.copy() for p in params]
    for g in grads[cut:]:
        optimizer.step(params, g)
    restored = type(optimizer)(**optimizer.get_config()) if rebuild else optimizer
    assert restored.get_config() == optimizer.get_config()
    restored.load_state_dict(state)
    assert restored.iterations == cut
    for g in grads[cut:]:
        restored.step(saved, g)
    for a, b in zip(saved, params):
        np.testing.assert_array_equal(a, b)


# ---- a rejected step, load or construction changes nothing -----------------------------------------------------------


def snapshot(optimizer, params):
    state = optimizer.state_dict()
    slots = None if state["slots"] is None else [{k: v.copy() for k, v in s.items()} for s in state["slots"]]
    return state["iterations"], slots, [p.copy() for p in params]


def assert_unchanged(optimizer, params, saved):
    iterations, slots, values = snapshot(optimizer, params)
    assert iterations == saved[0]
    assert (slots is None) == (saved[1] is None)
    for now, then in zip(slots or [], saved[1] or []):
        for name in now:
            np.testing.assert_array_equal(now[name], then[name])
    for now, then in zip(values, saved[2]):
        np.testing.assert_array_equal(now, then)


def damaged(state, rng, how):
    """A copy of a state_dict with one slot array damaged: a NaN in it, or a wrong shape."""
    slots = [{k: v.copy() for k, v in s.items()} for s in state["slots"]]
    i = int(rng.integers(len(slots)))
    name = sorted(slots[i])[int(rng.integers(len(slots[i])))]
    array = slots[i][name]
    if how == "nan":
        array.reshape(-1)[int(rng.integers(array.size))] = np.nan
    else:
        slots[i][name] = np.zeros(array.size + 1, dtype=array.dtype)
    return {"iterations": state["iterations"], "slots": slots}


@given(make=any_optimizer(), steps=st.integers(0, 8), seed=st.integers(0, 2**16),
       how=st.sampled_from(["shape", "count", "other shapes", "nan state", "shape state", "negative state"]))
def test_a_rejected_step_or_load_changes_nothing(make, steps, seed, how):
    rng = np.random.default_rng(seed)
    optimizer = make()
    params = [rng.normal(size=s) for s in SHAPES]
    for _ in range(steps):
        optimizer.step(params, [rng.normal(size=s) for s in SHAPES])
    saved = snapshot(optimizer, params)
    if how == "shape":  # one gradient of the wrong shape, after the others (a step must check all before any change)
        grads = [rng.normal(size=s) for s in SHAPES[:-1]] + [rng.normal(size=(7,))]
        call = lambda: optimizer.step(params, grads)  # noqa: E731
    elif how == "count":
        call = lambda: optimizer.step(params, [rng.normal(size=s) for s in SHAPES[:-1]])  # noqa: E731
    elif how == "other shapes":  # params of other shapes than the state's (after a first step)
        assume(steps > 0)
        other = [rng.normal(size=(2, 2)) for _ in SHAPES]
        call = lambda: optimizer.step(other, [np.full((2, 2), np.nan) for _ in SHAPES])  # noqa: E731
    else:
        assume(steps > 0)
        state = optimizer.state_dict()
        if how == "negative state":  # a second moment (a sum of squares) below 0
            assume(type(optimizer).non_negative_slots)
            state["slots"][-1][type(optimizer).non_negative_slots[0]].reshape(-1)[-1] = -1e-3
        else:
            # a slot of another shape than the parameter's other slots (alone, a reshaped slot is a valid state
            # of other parameters: the next step refuses it, see "other shapes")
            assume(how == "nan state" or len(type(optimizer).slots) > 1)
            state = damaged(state, rng, how.split()[0])
        call = lambda: optimizer.load_state_dict(state)  # noqa: E731
    with pytest.raises(ValueError):
        call()
    assert_unchanged(optimizer, params, saved)


BAD_VALUES = st.sampled_from([math.nan, math.inf, -math.inf, -1.0])


@given(name=st.sampled_from(["learning_rate", "beta_1", "beta_2", "epsilon", "sma_threshold", "weight_decay",
                             "warmup_proportion", "min_lr"]), value=BAD_VALUES)
def test_nan_or_out_of_range_hyperparameters_are_refused_naming_the_argument(name, value):
    with pytest.raises(ValueError, match=f"^{name} must be"):
        rnp.RAdam(**{name: value})


@given(name=st.sampled_from(sorted(CLASSES) + ["RAdam"]), bad=st.integers(1, 8),
       value=st.sampled_from([math.nan, math.inf, -0.5]), seed=st.integers(0, 2**16))
def test_a_schedule_giving_a_bad_rate_is_refused_at_that_step_and_changes_nothing(name, bad, value, seed):
    rng = np.random.default_rng(seed)
    optimizer = {**CLASSES, "RAdam": rnp.RAdam}[name](learning_rate=lambda t: value if t == bad else 0.01)
    params = [rng.normal(size=s) for s in SHAPES]
    for _ in range(bad - 1):
        optimizer.step(params, [rng.normal(size=s) for s in SHAPES])
    saved = snapshot(optimizer, params)
    with pytest.raises(ValueError, match=rf"learning_rate\({bad}\)"):
        optimizer.step(params, [rng.normal(size=s) for s in SHAPES])
    assert_unchanged(optimizer, params, saved)
