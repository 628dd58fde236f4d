"""RAdam (Rectified Adam, Liu et al., 2020) as a Keras 3 optimizer, written with ``keras.ops`` only.

It runs on the TensorFlow, JAX and PyTorch backends, inside ``model.fit`` with or without XLA,
under mixed precision and ``tf.distribute``; it computes the same rule as :class:`radam.numpy.RAdam`::

    from radam.keras import RAdam
    model.compile(optimizer=RAdam(total_steps=5000, warmup_proportion=0.1, min_lr=1e-5), ...)

Saved models reload with ``keras.models.load_model`` once ``radam.keras`` has been imported.
"""

import math

import numpy as np

import keras
from keras import ops

from radam import theory
from radam._validate import (
    check_beta,
    check_blog_schedule,
    check_epsilon_representable,
    check_flag,
    check_learning_rate,
    check_non_negative,
    check_positive,
    check_sma_threshold,
    check_steps,
)


def warmup_then_linear_decay_rate(lr, t, warmup, total_steps, min_lr):
    """lr_t of :func:`radam.schedules.warmup_then_linear_decay`, in ``keras.ops`` (t a 1-based float tensor).

    lr * t / warmup for t <= warmup, then lr + (min_lr - lr) * min(t - warmup, decay) / decay with
    decay = max(total_steps - warmup, 1); with total_steps = 0 only the linear warmup (then lr).
    """
    falling = lr
    if total_steps:
        decay = max(total_steps - warmup, 1.0)
        falling = lr + (min_lr - lr) * ops.minimum(t - warmup, decay) / decay
    if warmup == 0:
        return falling
    return ops.where(t <= warmup, lr * t / warmup, falling)


@keras.saving.register_keras_serializable(package="radam")
class WarmupThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """lr_t = learning_rate * t / warmup_steps for t <= warmup_steps (t = step + 1, 1-based), then ::

        lr_t = learning_rate + (min_lr - learning_rate) * min(t - warmup_steps, decay) / decay,
        decay = max(total_steps - warmup_steps, 1)

    when total_steps > 0, else lr_t = learning_rate: a Keras schedule (for any Keras optimizer) that computes
    :func:`radam.schedules.warmup_then_linear_decay` (with warmup_steps = total_steps * warmup_proportion) and
    :func:`radam.schedules.linear_warmup` (total_steps = 0), through :func:`warmup_then_linear_decay_rate`.
    It computes in float32 whatever Keras's floatx (t is exact in float32 up to 2^24 steps), the dtype in which
    Keras's optimizers read a learning rate.
    """

    def __init__(self, learning_rate, warmup_steps, total_steps=0, min_lr=0.0):
        self.learning_rate = check_non_negative("learning_rate", learning_rate)
        self.warmup_steps = check_non_negative("warmup_steps", warmup_steps)
        self.total_steps = check_steps("total_steps", total_steps)
        self.min_lr = check_non_negative("min_lr", min_lr)

    def __call__(self, step):
        t = ops.cast(step, "float32") + 1.0
        lr = ops.convert_to_tensor(self.learning_rate, "float32")
        return warmup_then_linear_decay_rate(lr, t, self.warmup_steps, self.total_steps, self.min_lr)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
            "min_lr": self.min_lr,
        }


def _log(beta):
    return math.log(beta) if beta > 0 else -math.inf


def _numpy_dtype(name):
    """The NumPy dtype of a Keras dtype name (bfloat16 through ml_dtypes, which Keras requires)."""
    if name == "bfloat16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return name


@keras.saving.register_keras_serializable(package="radam")
class RAdam(keras.optimizers.Optimizer):
    """Rectified Adam. At step t (1-based), with lr_t the scheduled learning rate::

        m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2 ;  m_hat = m / (1 - beta_1^t)
        rho_inf = 2 / (1 - beta_2) - 1 ;  rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
        if rho_t >= sma_threshold:  r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
                                    theta -= lr_t * r_t * m_hat * sqrt(1 - beta_2^t) / (sqrt(v) + epsilon)
        elif degenerated_to_sgd:    theta -= lr_t * m_hat
        else:                       no parameter change

    With r_t = 1 the rectified step is exactly ``keras.optimizers.Adam``'s.

    Args:
        learning_rate: a float >= 0 or a ``keras.optimizers.schedules.LearningRateSchedule``.
        beta_1, beta_2: decay rates of the first and second moments, in [0, 1).
        epsilon: added to sqrt(v), > 0.
        sma_threshold: the smallest rho_t that gets an adaptive step (the authors' 5; the paper says 4).
        degenerated_to_sgd: below the threshold, take an SGD-with-momentum step (else no step).
        weight_decay: decoupled weight decay, theta -= lr_t * weight_decay * theta before each update that
            changes theta (none while rho_t < sma_threshold with degenerated_to_sgd=False).
        total_steps, warmup_proportion, min_lr: the blog's schedule, applied on top of learning_rate when
            total_steps > 0: with warmup = total_steps * warmup_proportion, lr_t = lr * t / warmup up to
            t = warmup, then a linear fall to min_lr at t = total_steps, then min_lr.
        **base_arguments: clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency,
            loss_scale_factor, gradient_accumulation_steps, name: as for every Keras optimizer.
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
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        learning_rate = check_learning_rate(learning_rate)
        blog_schedule = check_blog_schedule(learning_rate, total_steps, warmup_proportion, min_lr)
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=check_non_negative("weight_decay", weight_decay),
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.beta_1 = check_beta("beta_1", beta_1)
        self.beta_2 = check_beta("beta_2", beta_2)
        self.epsilon = check_positive("epsilon", epsilon)
        self.sma_threshold = check_sma_threshold(sma_threshold)
        self.degenerated_to_sgd = check_flag("degenerated_to_sgd", degenerated_to_sgd)
        self.total_steps, self.warmup_proportion, self.min_lr = blog_schedule

    def build(self, var_list):
        """Create m and v, one of each per model variable, starting at zero."""
        if self.built:
            return
        for variable in var_list:
            dtype = keras.backend.standardize_dtype(variable.dtype)
            check_epsilon_representable(self.epsilon, _numpy_dtype(dtype), f"variable {variable.path!r}")
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])

    def _get_current_learning_rate(self):
        """lr_t: the base rate (or schedule), through the blog's warmup and linear decay when total_steps > 0.

        Keras reads this through ``self.learning_rate`` for both the update and the weight decay.
        """
        lr = super()._get_current_learning_rate()
        if not self.total_steps:
            return lr
        lr = ops.convert_to_tensor(lr)
        t = ops.cast(self.iterations + 1, lr.dtype)
        return warmup_then_linear_decay_rate(lr, t, self.total_steps * self.warmup_proportion, self.total_steps, self.min_lr)

    def _apply_weight_decay(self, variables):
        """Nothing: update_step applies the decay in the variable's dtype (the base class rounds it to float32)."""

    def _step_scalars(self, iterations, dtype):
        """1 - beta_1^t, 1 - beta_2^t, rho_t and r_t at step t = iterations (a tensor), in ``dtype``.

        ``dtype`` is float32, or float64 for float64 variables: never float16 or bfloat16, where
        (rho_inf - 4)(rho_inf - 2) alone (about 4e6) overflows. 1 - beta^t is -expm1(t log beta), rho_t is
        the cancellation-free form of :func:`radam.theory.rho_t`, and r_t^2 is ((rho_t - 4)(rho_t - 2) / rho_t) times
        the constant rho_inf / ((rho_inf - 4)(rho_inf - 2)), kept in [0, 1] (r_t rises to 1 at rho_inf).
        """
        def constant(value):
            return ops.convert_to_tensor(value, dtype)  # float64 constants stay exact (no trip through float32)

        t = ops.cast(iterations, dtype)
        bias_correction_1 = -ops.expm1(t * constant(_log(self.beta_1)))
        log_beta_2 = -_log(self.beta_2)
        bias_correction_2 = -ops.expm1(-t * constant(log_beta_2))
        # rho_t as radam.theory.rho_t computes it: rho_inf - 2 t / (e^y - 1) with y = t L (L = -log beta_2),
        # and below y = 1 (float32; 0.1 in float64) c + 2 t h(y), h(y) = 1 / y - 1 / (e^y - 1) as its series
        # (radam.theory.h_series).
        y = t * constant(log_beta_2)
        small = ops.less(y, constant(1.0 if dtype == "float32" else 0.1))
        h = theory.h_series(ops.where(small, y, ops.zeros_like(y)))
        large = constant(theory.rho_inf(self.beta_2)) - 2.0 * t / ops.expm1(ops.where(small, ops.ones_like(y), y))
        rho_t = ops.where(small, constant(theory.rho_offset(self.beta_2)) + 2.0 * t * h, large)
        rho_inf = theory.rho_inf(self.beta_2)
        scale = rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0)) if rho_inf > 4 else 0.0
        r_squared = (rho_t - 4.0) * (rho_t - 2.0) / rho_t * constant(scale)
        return bias_correction_1, bias_correction_2, rho_t, ops.sqrt(ops.clip(r_squared, 0.0, 1.0))

    def _adaptive(self, t):
        """Whether step t (an int tensor) is rectified: t >= radam.theory.first_adaptive_step, the first step
        with rho_t >= sma_threshold, found once in float64. Comparing integers keeps the decision exact where
        float32 would round rho_t onto the threshold (beta_2 = 1 - 1e-9: rho_5 = 4.999999996 -> 5.0); never
        where rho_inf <= sma_threshold (rho_t < rho_inf, and r_t would be 0 / 0 where rho_inf = 4)."""
        if theory.rho_inf(self.beta_2) <= self.sma_threshold:
            return ops.zeros_like(t) > 0
        return t >= theory.first_adaptive_step(self.beta_2, self.sma_threshold)

    @property
    def rectification(self):
        """r_t of the latest step (t = iterations); 0 before the first step and where rho_t < sma_threshold."""
        _, _, _, r_t = self._step_scalars(ops.maximum(self.iterations, 1), "float32")
        return ops.where((self.iterations >= 1) & self._adaptive(self.iterations), r_t, 0.0)

    def update_step(self, gradient, variable, learning_rate):
        """Decoupled weight decay theta -= lr_t * weight_decay * theta (on steps that change theta), then one RAdam step.

        m_hat's 1 / (1 - beta_1^t) is folded into the scalar step size, as Keras's Adam folds it. The step's
        scalars are computed in float32 (float64 for float64 variables) and cast to the variable's dtype last.
        """
        dtype = keras.backend.standardize_dtype(variable.dtype)
        scalar_dtype = "float64" if dtype == "float64" else "float32"
        lr_t = ops.cast(learning_rate, scalar_dtype)
        g = ops.cast(gradient, dtype)
        bias_correction_1, bias_correction_2, _, r_t = self._step_scalars(self.iterations + 1, scalar_dtype)
        adaptive = self._adaptive(self.iterations + 1)

        if self.weight_decay and self._use_weight_decay(variable):
            decay = lr_t * ops.convert_to_tensor(self.weight_decay, scalar_dtype)
            if not self.degenerated_to_sgd:  # no step below the threshold: no decay either
                decay = ops.where(adaptive, decay, ops.zeros_like(decay))
            self.assign_sub(variable, ops.multiply(variable, ops.cast(decay, dtype)))

        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]
        self.assign_add(m, ops.multiply(ops.subtract(g, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(g), v), 1 - self.beta_2))

        rectified_size = lr_t * r_t * ops.sqrt(bias_correction_2) / bias_correction_1
        sgd_size = lr_t / bias_correction_1 if self.degenerated_to_sgd else ops.zeros_like(lr_t)

        def rectified_step():
            return ops.divide(ops.multiply(m, ops.cast(rectified_size, dtype)), ops.add(ops.sqrt(v), self.epsilon))

        def sgd_step():
            return ops.multiply(m, ops.cast(sgd_size, dtype))

        if keras.backend.backend() != "tensorflow":
            # ops.cond only on TensorFlow. On PyTorch every call names a new Keras operation, and torch.compile (fit
            # with jit_compile=True) recompiled the step for each name; on JAX outside jit each call traces and
            # compiles lax.cond anew (300 eager steps: minutes and GBs). One expression instead, m * step_size /
            # denominator, the scalars selecting the rectified step (over sqrt(v) + epsilon) or the SGD step (over 1).
            step_size = ops.cast(ops.where(adaptive, rectified_size, sgd_size), dtype)
            denominator = ops.where(adaptive, ops.add(ops.sqrt(v), self.epsilon), 1.0)  # 1.0 keeps v's dtype
            update = ops.divide(ops.multiply(m, step_size), denominator)
        else:
            update = ops.cond(adaptive, rectified_step, sgd_step)  # only the branch taken runs
        self.assign_sub(variable, update)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "sma_threshold": self.sma_threshold,
                "degenerated_to_sgd": self.degenerated_to_sgd,
                "total_steps": self.total_steps,
                "warmup_proportion": self.warmup_proportion,
                "min_lr": self.min_lr,
            }
        )
        return config


def keras_path(optimizer_class, problem, steps, **hyperparameters):
    """The points ``optimizer_class(**hyperparameters)`` visits on a 2-D problem of :mod:`radam.problems`:
    an array (steps + 1, 2), e.g. ``keras_path(keras.optimizers.Adam, problems.quadratic(), 300, beta_1=0.9)``.

    Built and run in float64 (Keras's floatx is float64 while the optimizer is made and steps, then restored),
    so a chapter can compare it with its NumPy twin (``radam.problems.run(...).xs``) to about 1e-12.
    """
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        optimizer = optimizer_class(**hyperparameters)
        theta = keras.Variable(problem.x0, dtype="float64")
        points = [theta.numpy()]
        for _ in range(steps):
            optimizer.apply_gradients([(problem.gradient(theta.numpy()), theta)])
            points.append(theta.numpy())
    finally:
        keras.config.set_floatx(previous)
    return np.array(points)
