"""The optimizers of the Transformer experiment (Keras), one per arm, and Adam with its second moment known.

Every arm is Adam or RAdam at one base rate and beta_2; they differ in the size of their first updates
(warmup, a tenth of the rate) or in how much the early adaptive rate psi_t = 1 / sqrt(v_hat) is a noisy
estimate (exact gradients early, v estimated before the first step), the arms of chapter 5's test.
"""

import keras
import numpy as np
from keras import ops

from radam.keras import RAdam, WarmupThenLinearDecay
from radam.schedules import untuned_warmup_steps

ARMS = {
    "Adam": "Adam at the base rate",
    "Adam + warmup": "Adam, linear warmup over 2 / (1 - beta_2) steps (small first updates)",
    "RAdam": "RAdam at the base rate (radam.keras.RAdam)",
    "Adam, lr/10": "Adam at a tenth of the base rate (first updates ten times smaller, no warmup)",
    "Adam, v known": "Adam with v started at E[g^2] of the initial weights (psi_t without its early variance)",
    "Adam, exact early gradients": "Adam on the whole training set's gradient for the first 2 / (1 - beta_2) "
    "steps, then on minibatches (no gradient noise where psi_t is estimated from few gradients)",
}
"""Each arm's name and what it changes against plain Adam."""


class PrimedAdam(keras.optimizers.Optimizer):
    """Adam whose second moment v starts at ``second_moment`` (one array per variable) instead of 0, without
    v's bias correction: the Keras twin of :class:`radam.warmup_evidence.PrimedAdam`::

        m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2   (v_0 = second_moment)
        theta -= lr_t (m / (1 - beta_1^t)) / (sqrt(v) + epsilon)
    """

    def __init__(self, learning_rate, second_moment, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None):
        super().__init__(learning_rate=learning_rate, name=name)
        self.second_moment = [np.asarray(v, dtype="float32") for v in second_moment]
        if any(np.any(~(v >= 0)) for v in self.second_moment):
            raise ValueError("second_moment must be finite and >= 0 everywhere")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def build(self, var_list):
        """m = 0 and v = second_moment, for variables shaped like second_moment."""
        if self.built:
            return
        shapes = [tuple(v.shape) for v in self.second_moment]
        if [tuple(v.shape) for v in var_list] != shapes:
            raise ValueError(f"variables must be shaped like second_moment {shapes}, got "
                             f"{[tuple(v.shape) for v in var_list]}")
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        for velocity, value in zip(self._velocities, self.second_moment):
            velocity.assign(value)

    def update_step(self, gradient, variable, learning_rate):
        g = ops.cast(gradient, variable.dtype)
        t = ops.cast(self.iterations + 1, variable.dtype)
        step_size = ops.cast(learning_rate, variable.dtype) / (1.0 - ops.power(self.beta_1, t))
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, ops.multiply(ops.subtract(g, m), 1.0 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(g), v), 1.0 - self.beta_2))
        self.assign_sub(variable, ops.divide(ops.multiply(m, step_size), ops.add(ops.sqrt(v), self.epsilon)))


def make_optimizer(arm, learning_rate, beta_2, second_moment=None):
    """A fresh Keras optimizer for ``arm`` (a key of :data:`ARMS`); "Adam, v known" needs ``second_moment``."""
    if arm in ("Adam", "Adam, exact early gradients"):
        return keras.optimizers.Adam(learning_rate, beta_2=beta_2)
    if arm == "Adam + warmup":
        return keras.optimizers.Adam(WarmupThenLinearDecay(learning_rate, untuned_warmup_steps(beta_2)), beta_2=beta_2)
    if arm == "RAdam":
        return RAdam(learning_rate, beta_2=beta_2)
    if arm == "Adam, lr/10":
        return keras.optimizers.Adam(learning_rate / 10, beta_2=beta_2)
    if arm == "Adam, v known":
        if second_moment is None:
            raise ValueError("arm 'Adam, v known' needs second_moment (E[g^2] at the initial weights)")
        return PrimedAdam(learning_rate, second_moment, beta_2=beta_2)
    raise ValueError(f"arm must be one of {list(ARMS)}, got {arm!r}")
