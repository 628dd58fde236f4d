"""RAdam as the paper and the main libraries write it, as one NumPy optimizer with the differences as arguments.

All of them compute the same rho_t and r_t; they differ in four details:

- ``threshold`` and ``strict``: the adaptive step is taken where rho_t > threshold (``strict=True``) or
  rho_t >= threshold. The paper's Algorithm 2: rho_t > 4. The authors' code, tensorflow-addons,
  keras-radam and optax: rho_t >= 5. PyTorch: rho_t > 5.
- ``epsilon_on``: epsilon is added to the uncorrected sqrt(v) (``"v"``: the authors' code, PyTorch, Keras's
  Adam and :class:`radam.numpy.RAdam`) or to the bias-corrected sqrt(v_hat) (``"v_hat"``: tensorflow-addons,
  keras-radam, optax). The paper writes no epsilon (``epsilon=0``).
- ``below``: what happens where the adaptive step is not taken: SGD with momentum, theta -= lr_t m_hat
  (``"sgd"``), or no parameter change (``"none"``: the authors' ``degenerated_to_sgd=False``).
- ``decay``: weight decay ``"decoupled"`` (theta -= lr_t weight_decay theta: the authors' code,
  tensorflow-addons, keras-radam, PyTorch with ``decoupled_weight_decay=True``) or ``"coupled"``
  (g += weight_decay theta before the moments, an L2 penalty: PyTorch's default).

:data:`VARIANTS` names the published combinations with their default epsilon.
"""

import math

import numpy as np

from radam import theory
from radam._validate import check_beta, check_non_negative
from radam.numpy import Optimizer, one_minus_power


class RAdamVariant(Optimizer):
    """One RAdam implementation. At step t, with g += weight_decay theta first if ``decay="coupled"``::

        m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2 ;  m_hat = m / (1 - beta_1^t)
        if rho_t > threshold (strict) or rho_t >= threshold:
            theta -= lr_t r_t m_hat sqrt(1 - beta_2^t) / (sqrt(v) + epsilon)     epsilon_on = "v"
            theta -= lr_t r_t m_hat / (sqrt(v / (1 - beta_2^t)) + epsilon)       epsilon_on = "v_hat"
        elif below == "sgd":
            theta -= lr_t m_hat

    With ``decay="decoupled"``, theta -= lr_t weight_decay theta comes first, on every step that changes
    theta (the authors' code skips it on the steps it leaves alone). With ``epsilon=0`` (the paper) a
    coordinate whose gradients have all been exactly zero gets 0 / 0 = NaN.
    """

    slots = ("m", "v")

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        threshold=5.0,
        strict=False,
        epsilon_on="v",
        below="sgd",
        weight_decay=0.0,
        decay="decoupled",
    ):
        super().__init__(learning_rate)
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.threshold = check_non_negative("threshold", threshold)
        if self.threshold < 4:
            raise ValueError(f"threshold must be >= 4 (r_t is undefined where rho_t < 4), got {threshold!r}")
        self.strict = _choice("strict", strict, (True, False))
        self.epsilon_on = _choice("epsilon_on", epsilon_on, ("v", "v_hat"))
        self.below = _choice("below", below, ("sgd", "none"))
        self.weight_decay = check_non_negative("weight_decay", weight_decay)
        self.decay = _choice("decay", decay, ("decoupled", "coupled"))

    def adaptive(self, t):
        """Whether step t takes the rectified adaptive step."""
        rho_t = theory.rho_t(t, self.beta_2)
        return rho_t > self.threshold if self.strict else rho_t >= self.threshold

    def step_scalars(self, t, lr):
        """lr_t, whether step t is adaptive, r_t there, and the bias corrections 1 - beta^t."""
        adaptive = bool(self.adaptive(t))
        return {
            "lr": lr,
            "adaptive": adaptive,
            "r_t": theory.rectification(t, self.beta_2) if adaptive else None,
            "bias_correction_1": one_minus_power(self.beta_1, t),
            "bias_correction_2": one_minus_power(self.beta_2, t),
        }

    def update(self, theta, g, m, v, lr, adaptive, r_t, bias_correction_1, bias_correction_2):
        if self.weight_decay and self.decay == "coupled":
            g = g + self.weight_decay * theta
        elif self.weight_decay and (adaptive or self.below == "sgd"):
            theta -= lr * self.weight_decay * theta
        m += (1.0 - self.beta_1) * (g - m)
        v += (1.0 - self.beta_2) * (g * g - v)
        m_hat = m / bias_correction_1
        if adaptive:
            if self.epsilon_on == "v":
                theta -= lr * r_t * m_hat * math.sqrt(bias_correction_2) / (np.sqrt(v) + self.epsilon)
            else:
                theta -= lr * r_t * m_hat / (np.sqrt(v / bias_correction_2) + self.epsilon)
        elif self.below == "sgd":
            theta -= lr * m_hat

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "threshold": self.threshold,
            "strict": self.strict,
            "epsilon_on": self.epsilon_on,
            "below": self.below,
            "weight_decay": self.weight_decay,
            "decay": self.decay,
        }


def _choice(name, value, allowed):
    if not any(value is option or (isinstance(option, str) and value == option) for option in allowed):
        raise ValueError(f"{name} must be one of {list(allowed)!r}, got {value!r}")
    return value


VARIANTS = {
    "paper (Algorithm 2)": dict(threshold=4.0, strict=True, epsilon=0.0, below="sgd"),
    "authors' code": dict(threshold=5.0, strict=False, epsilon=1e-8, epsilon_on="v", below="sgd"),
    "authors' code, degenerated_to_sgd=False": dict(
        threshold=5.0, strict=False, epsilon=1e-8, epsilon_on="v", below="none"
    ),
    "PyTorch torch.optim.RAdam": dict(
        threshold=5.0, strict=True, epsilon=1e-8, epsilon_on="v", below="sgd", decay="coupled"
    ),
    "tensorflow-addons / keras-radam": dict(threshold=5.0, strict=False, epsilon=1e-7, epsilon_on="v_hat", below="sgd"),
    "optax.radam": dict(threshold=5.0, strict=False, epsilon=1e-8, epsilon_on="v_hat", below="sgd"),
    "radam.numpy.RAdam (this book)": dict(threshold=5.0, strict=False, epsilon=1e-7, epsilon_on="v", below="sgd"),
}
"""Each published RAdam as the keyword arguments of :class:`RAdamVariant` (learning rate and betas left out)."""


def variant(name, **kwargs):
    """``RAdamVariant(**VARIANTS[name], **kwargs)``: a published variant with, e.g., its learning rate."""
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {list(VARIANTS)!r}, got {name!r}")
    return RAdamVariant(**{**VARIANTS[name], **kwargs})


def steps_taken(name, grads, learning_rate=1e-3, **kwargs):
    """The steps of ``variant(name)`` on one coordinate fed the gradients ``grads`` (a sequence of numbers),
    in units of ``learning_rate``: theta_{t-1} - theta_t over learning_rate for t = 1 .. len(grads)."""
    theta, taken = np.zeros(1), []
    optimizer = variant(name, learning_rate=learning_rate, **kwargs)
    for g in grads:
        before = theta[0]
        optimizer.step([theta], [np.array([g], dtype=np.float64)])
        taken.append((before - theta[0]) / learning_rate)
    return np.array(taken)
