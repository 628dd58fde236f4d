"""Optimizers from scratch in NumPy: SGD, AdaGrad, RMSProp, Adam and RAdam.

Each class computes exactly what its Keras built-in computes (``keras.optimizers.SGD``, ``Adagrad``,
``RMSprop``, ``Adam``), with the same hyperparameter names and defaults; RAdam follows the rule in
DESIGN.md. Usage::

    opt = RAdam(learning_rate=1e-3)
    opt.step(params, grads)   # params: a list of float ndarrays (or one), updated in place

``learning_rate`` is a number or a schedule ``lr(t)`` of the 1-based step t (see :mod:`radam.schedules`).
Updates run in place in the parameters' dtype through one scratch buffer, so a step allocates
nothing that grows with the number of parameters.
"""

import math

import numpy as np

from radam import theory
from radam._validate import (
    check_beta,
    check_blog_schedule,
    check_flag,
    check_learning_rate,
    check_non_negative,
    check_positive,
    check_sma_threshold,
)
from radam.schedules import blog_learning_rate


class Optimizer:
    """What every optimizer shares: the step loop, the learning rate at step t, config and state.

    A subclass names its per-parameter state in ``slots``, says how each starts in ``initial_slot``,
    and implements ``update(param, grad, slots, scratch, t, lr)``.
    """

    slots = ()

    def __init__(self, learning_rate):
        self.learning_rate = check_learning_rate(learning_rate)
        self.iterations = 0
        self._slots = None
        self._scratch = {}

    def initial_slot(self, name, param):
        return np.zeros_like(param)

    def learning_rate_at(self, t):
        """lr_t: the number, or the schedule evaluated at the 1-based step t."""
        if callable(self.learning_rate):
            return check_non_negative(f"learning_rate({t})", float(self.learning_rate(t)))
        return self.learning_rate

    def step(self, params, grads):
        """Take one step: update every array in ``params`` in place from the matching ``grads``."""
        params, grads = _pair_up(params, grads)
        if self._slots is None:
            self._slots = [{name: self.initial_slot(name, p) for name in self.slots} for p in params]
        elif len(self._slots) != len(params) or any(
            s[name].shape != p.shape for s, p in zip(self._slots, params) for name in self.slots
        ):
            raise ValueError(
                f"params must keep the shapes of the first step {[next(iter(s.values())).shape for s in self._slots]}, "
                f"got {[p.shape for p in params]}"
            )
        t = self.iterations + 1
        lr = self.learning_rate_at(t)
        for param, grad, slots in zip(params, grads, self._slots):
            self.update(param, np.asarray(grad, dtype=param.dtype), slots, self._scratch_like(param), t, lr)
        self.iterations = t

    def _scratch_like(self, param):
        """A view of the one reusable buffer (per dtype) shaped like ``param``: steps allocate no arrays."""
        buffer = self._scratch.get(param.dtype)
        if buffer is None or buffer.size < param.size:
            buffer = self._scratch[param.dtype] = np.empty(param.size, dtype=param.dtype)
        return buffer[: param.size].reshape(param.shape)

    def get_config(self):
        """The hyperparameters: ``type(opt)(**opt.get_config())`` rebuilds the optimizer."""
        return {"learning_rate": self.learning_rate}

    def state_dict(self):
        """Step count and per-parameter state as plain numbers and arrays (copies)."""
        slots = None if self._slots is None else [{k: v.copy() for k, v in s.items()} for s in self._slots]
        return {"iterations": self.iterations, "slots": slots}

    def load_state_dict(self, state):
        """Restore what ``state_dict`` returned: the optimizer then continues identically."""
        iterations = state.get("iterations") if isinstance(state, dict) else None
        if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
            raise ValueError(f"state['iterations'] must be a whole number >= 0, got {iterations!r}")
        slots = state.get("slots")
        if slots is not None:
            if not isinstance(slots, (list, tuple)) or any(
                not isinstance(s, dict) or set(s) != set(self.slots) for s in slots
            ):
                raise ValueError(f"state['slots'] must be a list of dicts with keys {list(self.slots)}, got {slots!r}")
            slots = [{k: np.array(v, copy=True) for k, v in s.items()} for s in slots]
        self.iterations = int(iterations)
        self._slots = slots

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _pair_up(params, grads):
    """Both as lists of arrays; params must be floating-point ndarrays, grads of the same shapes."""
    if isinstance(params, np.ndarray):
        params, grads = [params], [grads]
    params, grads = list(params), list(grads)
    if not params:
        raise ValueError("params must hold at least one array, got an empty list")
    if len(grads) != len(params):
        raise ValueError(f"grads must hold one array per parameter ({len(params)}), got {len(grads)}")
    for i, (p, g) in enumerate(zip(params, grads)):
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            raise ValueError(f"params[{i}] must be a floating-point ndarray (it is updated in place), got {p!r:.80}")
        if np.shape(g) != p.shape:
            raise ValueError(f"grads[{i}] must have the shape of params[{i}] {p.shape}, got {np.shape(g)}")
    return params, grads


class SGD(Optimizer):
    """Gradient descent with momentum, as Keras writes it: m = momentum m - lr g ; theta += m.

    With momentum = 0 this is theta -= lr g.
    """

    slots = ("m",)

    def __init__(self, learning_rate=0.01, momentum=0.0):
        super().__init__(learning_rate)
        self.momentum = check_beta("momentum", momentum)

    def update(self, theta, g, slots, scratch, t, lr):
        m = slots["m"]
        m *= self.momentum
        np.multiply(g, lr, out=scratch)
        m -= scratch
        theta += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al., 2011): G += g^2 ; theta -= lr g / sqrt(G + epsilon)."""

    slots = ("G",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value = check_non_negative("initial_accumulator_value", initial_accumulator_value)
        self.epsilon = check_positive("epsilon", epsilon)

    def initial_slot(self, name, param):
        return np.full_like(param, self.initial_accumulator_value)

    def update(self, theta, g, slots, scratch, t, lr):
        G = slots["G"]
        np.multiply(g, g, out=scratch)
        G += scratch
        np.add(G, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(g, scratch, out=scratch)
        scratch *= lr
        theta -= scratch

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class RMSProp(Optimizer):
    """RMSProp (Tieleman and Hinton, 2012): v = rho v + (1 - rho) g^2 ; theta -= lr g / sqrt(v + epsilon)."""

    slots = ("v",)

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho = check_beta("rho", rho)
        self.epsilon = check_positive("epsilon", epsilon)

    def update(self, theta, g, slots, scratch, t, lr):
        v = slots["v"]
        np.multiply(g, g, out=scratch)
        scratch *= 1.0 - self.rho
        v *= self.rho
        v += scratch
        np.add(v, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(g, scratch, out=scratch)
        scratch *= lr
        theta -= scratch

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015), with epsilon on the uncorrected sqrt(v) as Keras does::

        m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2 ;  m_hat = m / (1 - beta_1^t)
        theta -= lr * m_hat * sqrt(1 - beta_2^t) / (sqrt(v) + epsilon)

    RAdam's adaptive step is this one, multiplied by its rectification r_t.
    """

    slots = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_positive("epsilon", epsilon)

    def update_moments(self, g, slots, scratch):
        """m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2 (in place)."""
        m, v = slots["m"], slots["v"]
        m *= self.beta_1
        np.multiply(g, 1.0 - self.beta_1, out=scratch)
        m += scratch
        v *= self.beta_2
        np.multiply(g, g, out=scratch)
        scratch *= 1.0 - self.beta_2
        v += scratch

    def adaptive_step(self, theta, slots, scratch, step_size):
        """theta -= step_size * m / (sqrt(v) + epsilon), step_size holding the scalar factors."""
        np.sqrt(slots["v"], out=scratch)
        scratch += self.epsilon
        np.divide(slots["m"], scratch, out=scratch)
        scratch *= step_size
        theta -= scratch

    def update(self, theta, g, slots, scratch, t, lr):
        self.update_moments(g, slots, scratch)
        self.adaptive_step(theta, slots, scratch, lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t))

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class RAdam(Adam):
    """Rectified Adam (Liu et al., 2020). At step t, after Adam's moment updates::

        rho_inf = 2 / (1 - beta_2) - 1 ;  rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
        if rho_t >= sma_threshold:  r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
                                    theta -= lr_t * r_t * m_hat * sqrt(1 - beta_2^t) / (sqrt(v) + epsilon)
        elif degenerated_to_sgd:    theta -= lr_t * m_hat
        else:                       no parameter change

    Decoupled weight decay first, on every step that changes theta: theta -= lr_t * weight_decay * theta. With total_steps > 0, lr_t follows
    the blog's schedule :func:`radam.schedules.warmup_then_linear_decay` (warmup_proportion, min_lr).
    """

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
        self.rho_inf = theory.rho_inf(self.beta_2)

    def learning_rate_at(self, t):
        """lr_t: the base rate (or schedule) at t, through the blog's warmup and decay when total_steps > 0."""
        lr = super().learning_rate_at(t)
        if self.total_steps:
            return float(blog_learning_rate(lr, t, self.total_steps, self.warmup_proportion, self.min_lr))
        return lr

    def step(self, params, grads):
        """Take one step; r_t (None while rho_t < sma_threshold) is computed once, for all the arrays."""
        t = self.iterations + 1
        self._r_t = theory.rectification(t, self.beta_2) if theory.is_adaptive(t, self.beta_2, self.sma_threshold) else None
        super().step(params, grads)

    def update(self, theta, g, slots, scratch, t, lr):
        if self.weight_decay and (self._r_t is not None or self.degenerated_to_sgd):
            np.multiply(theta, lr * self.weight_decay, out=scratch)
            theta -= scratch
        self.update_moments(g, slots, scratch)
        bias_correction_1 = 1.0 - self.beta_1**t
        if self._r_t is not None:
            step_size = lr * self._r_t * math.sqrt(1.0 - self.beta_2**t) / bias_correction_1
            self.adaptive_step(theta, slots, scratch, step_size)
        elif self.degenerated_to_sgd:
            np.multiply(slots["m"], lr / bias_correction_1, out=scratch)
            theta -= scratch

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
