"""The RAdam rule written out in plain Python floats, one coordinate at a time: the reference that the tests of
radam.numpy and of radam.keras both check against, so that the two packages are held to one rule.

At the 1-based step t, with lr_t the learning rate (a number or a schedule of t, then the blog's warmup
and linear decay when total_steps > 0)::

    rho_inf = 2 / (1 - beta_2) - 1 ;  rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t)
    adaptive = rho_t >= sma_threshold and rho_inf > sma_threshold
    if adaptive or degenerated_to_sgd:  theta -= lr_t weight_decay theta
    m = beta_1 m + (1 - beta_1) g ;  v = beta_2 v + (1 - beta_2) g^2 ;  m_hat = m / (1 - beta_1^t)
    if adaptive:                r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                                theta -= lr_t r_t m_hat sqrt(1 - beta_2^t) / (sqrt(v) + epsilon)
    elif degenerated_to_sgd:    theta -= lr_t m_hat

(rho_t < rho_inf at every step, so where rho_inf <= sma_threshold no step is adaptive.) Nothing here is
vectorised or shared with the package: the formulas are typed in again from the paper.
"""

import math


def blog_rate(lr, t, total_steps, warmup_proportion, min_lr):
    """The blog's schedule: linear warmup over the first total_steps * warmup_proportion steps, then linear
    decay to min_lr over the remaining steps (at least one), then min_lr."""
    warmup = total_steps * warmup_proportion
    if t <= warmup:
        return lr * t / warmup
    decay = max(total_steps - warmup, 1)
    return lr + (min_lr - lr) * min(t - warmup, decay) / decay


def radam_rule(
    start,
    gradients,
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
    """RAdam on a flat list of floats ``start`` with one list of gradients per step; the parameters after every step."""
    theta = [float(x) for x in start]
    m, v = [0.0] * len(theta), [0.0] * len(theta)
    rho_inf = 2 / (1 - beta_2) - 1
    history = []
    for t, g in enumerate(gradients, start=1):
        lr_t = learning_rate(t) if callable(learning_rate) else learning_rate
        if total_steps > 0:
            lr_t = blog_rate(lr_t, t, total_steps, warmup_proportion, min_lr)
        rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
        adaptive = rho_t >= sma_threshold and rho_inf > sma_threshold
        for i in range(len(theta)):
            if adaptive or degenerated_to_sgd:  # a step that changes theta decays it first
                theta[i] -= lr_t * weight_decay * theta[i]
            m[i] = beta_1 * m[i] + (1 - beta_1) * g[i]
            v[i] = beta_2 * v[i] + (1 - beta_2) * g[i] ** 2
            m_hat = m[i] / (1 - beta_1**t)
            if adaptive:
                r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                theta[i] -= lr_t * r_t * m_hat * math.sqrt(1 - beta_2**t) / (math.sqrt(v[i]) + epsilon)
            elif degenerated_to_sgd:
                theta[i] -= lr_t * m_hat
        history.append(list(theta))
    return history


def plain_python_radam(theta, grads, lr, **hyperparameters):
    """:func:`radam_rule` for one parameter: a float ``theta``, one float gradient per step; the thetas after each step."""
    return [step[0] for step in radam_rule([theta], [[g] for g in grads], learning_rate=lr, **hyperparameters)]
