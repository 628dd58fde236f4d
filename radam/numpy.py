"""Optimizers from scratch in NumPy: SGD, AdaGrad, RMSProp, Adam and RAdam.

Each class computes exactly what its Keras built-in computes (``keras.optimizers.SGD``, ``Adagrad``,
``RMSprop``, ``Adam``), with the same hyperparameter names and defaults. RAdam (Liu et al., 2020) is, at
the 1-based step t, with lr_t the learning rate of step t::

    rho_inf = 2 / (1 - beta_2) - 1 ;  rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
    theta -= lr_t * weight_decay * theta        (decoupled weight decay, on the steps that change theta)
    m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2 ;  m_hat = m / (1 - beta_1^t)
    if rho_t >= sma_threshold:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                                theta -= lr_t * r_t * m_hat * sqrt(1 - beta_2^t) / (sqrt(v) + epsilon)
    elif degenerated_to_sgd:    theta -= lr_t * m_hat
    else:                       no parameter change

(never adaptive where rho_inf <= sma_threshold: see :func:`radam.theory.is_adaptive`). Usage::

    opt = RAdam(learning_rate=1e-3)
    opt.step(params, grads)   # params: a list of float ndarrays (or one), updated in place

``learning_rate`` is a number or a schedule ``lr(t)`` of the 1-based step t (see :mod:`radam.schedules`).

How a step runs: ``step`` checks every array first (a step that would fail fails before it changes
anything), computes the step's scalars once (``step_scalars``: learning rate, bias corrections, r_t), then
streams each parameter through ``update`` in blocks of ``BLOCK_BYTES`` bytes, with the matching blocks of the
gradient and of the optimizer's state. ``update`` is written as the formulas; its temporaries are
block-sized, so they stay in the processor's cache and a step allocates nothing that grows with the number of
parameters.
"""

import math

import numpy as np

from radam import theory
from radam._validate import (
    check_beta,
    check_blog_schedule,
    check_epsilon_representable,
    check_flag,
    check_learning_rate,
    check_non_negative,
    check_positive,
    check_params_and_grads,
    check_sma_threshold,
    check_state,
)
from radam.schedules import blog_learning_rate

BLOCK_BYTES = 131_072
"""Bytes of a parameter that one ``update`` call sees: 32,768 float32 or 16,384 float64 elements. Below
256 KiB, where NumPy starts checking whether it can reuse a temporary array, a check that costs more here
than it saves."""


def one_minus_power(beta, t):
    """1 - beta^t, as -expm1(t log beta): accurate even where beta^t is close to 1 (beta near 1, small t)."""
    return -math.expm1(t * math.log(beta)) if beta > 0 else 1.0


class Optimizer:
    """What every optimizer shares: checking the arrays, the step loop over blocks, config and state.

    A subclass names its per-parameter state in ``slots`` (those that must stay >= 0 also in
    ``non_negative_slots``), says how each starts in ``initial_slot``, computes the step's scalars in
    ``step_scalars(t, lr)`` (a dict), and implements ``update(theta, g, <one argument per slot>, <the
    scalars>)``, which changes blocks of theta and of the slots in place.
    """

    slots = ()
    non_negative_slots = ()

    def __init__(self, learning_rate):
        self.learning_rate = check_learning_rate(learning_rate)
        self.iterations = 0
        self._slots = None
        self._dtypes_checked = set()

    def initial_slots(self, params):
        """Each parameter's slots before the first step, ``{name: initial_slot(name, param)}`` (C-contiguous)."""
        return [{name: self.initial_slot(name, p) for name in self.slots} for p in params]

    def initial_slot(self, name, param):
        """The slot's value before the first step: zeros (always C-contiguous, so its blocks are views)."""
        return np.zeros(param.shape, dtype=param.dtype)

    def check_dtype(self, dtype, what):
        """Raise ValueError if the optimizer cannot work in ``dtype`` (the dtype of ``what``); here it can."""

    def learning_rate_at(self, t):
        """lr_t: the number, or the schedule evaluated at the 1-based step t."""
        if callable(self.learning_rate):
            return check_non_negative(f"learning_rate({t})", float(self.learning_rate(t)))
        return self.learning_rate

    def step_scalars(self, t, lr):
        """The numbers ``update`` takes besides the arrays, computed once per step: here lr_t."""
        return {"lr": lr}

    def step(self, params, grads):
        """Take one step: update every array in ``params`` in place from the matching ``grads``.

        Everything is checked before anything changes: a step that raises leaves the parameters, the state
        and ``iterations`` as they were.
        """
        params, grads = self._checked(params, grads)
        t = self.iterations + 1
        lr = self.learning_rate_at(t)
        scalars = self.step_scalars(t, lr)
        if self._slots is None:
            self._slots = self.initial_slots(params)
        for param, grad, slots in zip(params, grads, self._slots):
            self._update_in_blocks(param, grad, slots, scalars)
        self.iterations = t

    def _update_in_blocks(self, theta, g, slots, scalars):
        """``update`` on blocks of BLOCK_BYTES: views where the arrays are C-contiguous, else copies in and out."""
        size = BLOCK_BYTES // theta.itemsize
        if theta.size <= size and theta.flags.c_contiguous and g.flags.c_contiguous and g.dtype == theta.dtype:
            self.update(theta, g, **slots, **scalars)  # one block: the arrays themselves
            return
        in_place = theta.flags.c_contiguous
        flat_theta = theta.reshape(-1) if in_place else theta.flat
        flat_g = g.reshape(-1) if g.flags.c_contiguous else g.flat
        flat_slots = {name: array.reshape(-1) for name, array in slots.items()}  # views: slots are C-contiguous
        for start in range(0, theta.size, size):
            block = slice(start, start + size)
            theta_block = flat_theta[block]  # a copy when theta is not C-contiguous
            g_block = flat_g[block].astype(theta.dtype, copy=False)
            self.update(theta_block, g_block, **{name: flat[block] for name, flat in flat_slots.items()}, **scalars)
            if not in_place:
                flat_theta[block] = theta_block

    def _checked(self, params, grads):
        """params and grads as lists of ndarrays, after checking everything a step needs; raises ValueError."""
        params, grads = check_params_and_grads(params, grads)
        for i, p in enumerate(params):
            if p.dtype not in self._dtypes_checked:
                self.check_dtype(p.dtype, f"params[{i}]")
                self._dtypes_checked.add(p.dtype)
        if self._slots is not None:
            first = self.slots[0] if self.slots else None  # the slots of one parameter all have its shape
            if len(self._slots) != len(params) or (
                first and any(s[first].shape != p.shape for s, p in zip(self._slots, params))
            ):
                shapes = [s[first].shape for s in self._slots] if first else f"{len(self._slots)} arrays"
                got = [p.shape for p in params]
                raise ValueError(f"params must keep the shapes of the first step {shapes}, got {got}")
        return params, grads

    def get_config(self):
        """The hyperparameters: ``type(opt)(**opt.get_config())`` rebuilds the optimizer."""
        return {"learning_rate": self.learning_rate}

    def state_dict(self):
        """Step count and per-parameter state as plain numbers and arrays (copies)."""
        slots = None if self._slots is None else [{k: v.copy() for k, v in s.items()} for s in self._slots]
        return {"iterations": self.iterations, "slots": slots}

    def load_state_dict(self, state):
        """Restore what ``state_dict`` returned: the optimizer then continues identically.

        Everything is checked first (keys, the step count, each slot's dtype, shape and values); a state
        that is rejected with ValueError changes nothing.
        """
        self.iterations, self._slots = check_state(state, self.slots, self.non_negative_slots)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent with momentum, as Keras writes it:
    m = momentum m - lr g ;  theta += m.  With momentum = 0 this is theta -= lr g.
    """

    slots = ("m",)

    def __init__(self, learning_rate=0.01, momentum=0.0):
        super().__init__(learning_rate)
        self.momentum = check_beta("momentum", momentum)

    def update(self, theta, g, m, lr):
        """m = momentum m - lr g ;  theta += m."""
        m *= self.momentum
        m -= lr * g
        theta += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011): G += g^2 ;  theta -= lr g / sqrt(G + epsilon)."""

    slots = ("G",)
    non_negative_slots = ("G",)

    def __init__(
        self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7
    ):
        super().__init__(learning_rate)
        self.initial_accumulator_value = check_non_negative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.epsilon = check_positive("epsilon", epsilon)

    def initial_slot(self, name, param):
        value = self.initial_accumulator_value
        return np.full(param.shape, value, dtype=param.dtype)

    def check_dtype(self, dtype, what):
        check_epsilon_representable(self.epsilon, dtype, what)

    def update(self, theta, g, G, lr):
        """G += g^2 ;  theta -= lr g / sqrt(G + epsilon)."""
        G += g * g
        theta -= lr * g / np.sqrt(G + self.epsilon)

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class RMSProp(Optimizer):
    """RMSProp (Tieleman and Hinton, 2012):
    v = rho v + (1 - rho) g^2 ;  theta -= lr g / sqrt(v + epsilon).
    """

    slots = ("v",)
    non_negative_slots = ("v",)

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho = check_beta("rho", rho)
        self.epsilon = check_positive("epsilon", epsilon)

    def check_dtype(self, dtype, what):
        check_epsilon_representable(self.epsilon, dtype, what)

    def update(self, theta, g, v, lr):
        """v = rho v + (1 - rho) g^2 ;  theta -= lr g / sqrt(v + epsilon)."""
        v *= self.rho
        v += (1 - self.rho) * (g * g)
        theta -= lr * g / np.sqrt(v + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), epsilon on the uncorrected sqrt(v) as in Keras::

        m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2
        m_hat = m / (1 - beta_1^t)
        theta -= lr * m_hat * sqrt(1 - beta_2^t) / (sqrt(v) + epsilon)

    RAdam's adaptive step is this one, multiplied by its rectification r_t.
    """

    slots = ("m", "v")
    non_negative_slots = ("v",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_positive("epsilon", epsilon)

    def check_dtype(self, dtype, what):
        check_epsilon_representable(self.epsilon, dtype, what)

    def step_scalars(self, t, lr):
        """Both bias corrections in one step size:
        lr sqrt(1 - beta_2^t) / (1 - beta_1^t)."""
        bias_correction_1 = one_minus_power(self.beta_1, t)
        bias_correction_2 = one_minus_power(self.beta_2, t)
        return {"step_size": lr * math.sqrt(bias_correction_2) / bias_correction_1}

    def update(self, theta, g, m, v, step_size):
        """m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2 ;
        theta -= step_size m / (sqrt(v) + epsilon)."""
        m += (1 - self.beta_1) * (g - m)
        v += (1 - self.beta_2) * (g * g - v)
        theta -= step_size * m / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class RAdam(Adam):
    """Rectified Adam (Liu et al., 2020). At step t, after Adam's moment updates::

        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
        if rho_t >= sma_threshold:
            r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
            theta -= lr_t * r_t * m_hat * sqrt(1 - beta_2^t) / (sqrt(v) + epsilon)
        elif degenerated_to_sgd:
            theta -= lr_t * m_hat
        (else no parameter change)

    Decoupled weight decay first, on every step that changes theta:
    theta -= lr_t * weight_decay * theta. With total_steps > 0, lr_t follows the
    blog's schedule :func:`radam.schedules.warmup_then_linear_decay`
    (warmup_proportion, min_lr).
    """

    RHO_STEPS = 1024
    """How many steps' r_t are computed at once (see ``rectification_at``)."""

    def __init__(
        self,
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
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.sma_threshold = check_sma_threshold(sma_threshold)
        self.degenerated_to_sgd = check_flag("degenerated_to_sgd", degenerated_to_sgd)
        self.weight_decay = check_non_negative("weight_decay", weight_decay)
        self.total_steps, self.warmup_proportion, self.min_lr = check_blog_schedule(
            learning_rate, total_steps, warmup_proportion, min_lr
        )
        self._rectifications = (None, 0, [], [])

    def learning_rate_at(self, t):
        """lr_t: the base rate (or schedule) at t, through the blog's warmup and decay
        when total_steps > 0."""
        lr = super().learning_rate_at(t)
        if self.total_steps:
            decayed = blog_learning_rate(
                lr, t, self.total_steps, self.warmup_proportion, self.min_lr
            )
            return float(decayed)
        return lr

    def rectification_at(self, t):
        """r_t of step t, or None where step t is not adaptive.

        From :func:`radam.theory.is_adaptive` and :func:`radam.theory.rectification`,
        evaluated for RHO_STEPS steps at once: a step costs a look-up in a list.
        """
        key, first, adaptive, r = self._rectifications
        if key != (self.beta_2, self.sma_threshold) or not first <= t < first + len(r):
            key, first = (self.beta_2, self.sma_threshold), t
            steps = np.arange(t, t + self.RHO_STEPS, dtype=np.float64)
            adaptive = theory.is_adaptive(steps, self.beta_2, self.sma_threshold)
            with np.errstate(invalid="ignore"):  # r_t = 0 where rho_t = 4
                r = np.nan_to_num(theory.rectification(steps, self.beta_2))
            adaptive, r = adaptive.tolist(), r.tolist()
            self._rectifications = key, first, adaptive, r
        return r[t - first] if adaptive[t - first] else None

    def step_scalars(self, t, lr):
        """lr_t, r_t (None where step t is not adaptive) and the step size:
        lr_t r_t sqrt(1 - beta_2^t) / (1 - beta_1^t), or lr_t / (1 - beta_1^t) (SGD)."""
        r_t = self.rectification_at(t)
        bias_correction_1 = one_minus_power(self.beta_1, t)
        if r_t is None:
            return {"lr": lr, "r_t": None, "step_size": lr / bias_correction_1}
        bias_correction_2 = one_minus_power(self.beta_2, t)
        step_size = lr * r_t * math.sqrt(bias_correction_2) / bias_correction_1
        return {"lr": lr, "r_t": r_t, "step_size": step_size}

    def update(self, theta, g, m, v, lr, r_t, step_size):
        """Weight decay (on steps that change theta), Adam's moments,
        then the rectified step (r_t is not None) or the SGD step."""
        if self.weight_decay and (r_t is not None or self.degenerated_to_sgd):
            theta -= lr * self.weight_decay * theta
        m += (1 - self.beta_1) * (g - m)
        v += (1 - self.beta_2) * (g * g - v)
        if r_t is not None:  # step_size = lr_t r_t sqrt(1 - beta_2^t) / (1 - beta_1^t)
            theta -= step_size * m / (np.sqrt(v) + self.epsilon)
        elif self.degenerated_to_sgd:  # step_size = lr_t / (1 - beta_1^t)
            theta -= step_size * m  # = lr_t m_hat

    def get_config(self):
        return {
            **super().get_config(),
            "sma_threshold": self.sma_threshold,
            "degenerated_to_sgd": self.degenerated_to_sgd,
            "weight_decay": self.weight_decay,
            "total_steps": self.total_steps,
            "warmup_proportion": self.warmup_proportion,
            "min_lr": self.min_lr,
        }
