"""Test problems for the optimizers, and ``run`` to follow an optimizer across one.

A :class:`Problem` is a function of a 2-D point with its gradient. ``loss`` works on any array whose last
axis has length 2 (so contour plots can evaluate a whole grid at once); ``gradient`` takes one point and
an optional random generator, which stochastic problems use for their minibatch noise.
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from radam._validate import check_non_negative, check_positive


@dataclass(frozen=True)
class Problem:
    """f(x1, x2) with its gradient, a default start x0, the minimiser and a plotting window."""

    name: str
    loss: Callable[[np.ndarray], np.ndarray]
    gradient: Callable[..., np.ndarray]
    x0: tuple
    minimum: tuple
    bounds: tuple  # ((x1_min, x1_max), (x2_min, x2_max))
    stochastic: bool = False
    log_contours: bool = field(default=False)  # draw contour levels on a log scale (steep valleys)


def quadratic():
    """f(x1, x2) = 0.1 x1^2 + 2 x2^2: curvatures 0.2 and 4, condition number 20 (Dive into Deep Learning's example)."""
    return Problem(
        name="quadratic",
        loss=lambda x: 0.1 * x[..., 0] ** 2 + 2.0 * x[..., 1] ** 2,
        gradient=lambda x, rng=None: np.array([0.2 * x[0], 4.0 * x[1]]),
        x0=(-5.0, -2.0),
        minimum=(0.0, 0.0),
        bounds=((-5.5, 1.5), (-3.0, 3.0)),
    )


def rotated_quadratic(condition=50.0, angle=np.pi / 6):
    """f(x) = 1/2 x^T A x with A = R diag(0.1, 0.1 condition) R^T: an ill-conditioned valley at ``angle``.

    The rotation couples x1 and x2, so per-coordinate step sizes (AdaGrad, RMSProp, Adam) cannot undo the
    conditioning the way they can for an axis-aligned quadratic.
    """
    condition = check_positive("condition", condition)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    A = rotation @ np.diag([0.1, 0.1 * condition]) @ rotation.T
    return Problem(
        name=f"rotated quadratic (condition {condition:g})",
        loss=lambda x: 0.5 * np.einsum("...i,ij,...j->...", x, A, x),
        gradient=lambda x, rng=None: A @ x,
        x0=(-4.0, 2.5),
        minimum=(0.0, 0.0),
        bounds=((-5.0, 5.0), (-3.5, 3.5)),
    )


def rosenbrock(a=1.0, b=100.0):
    """f(x1, x2) = (a - x1)^2 + b (x2 - x1^2)^2: a curved, flat-bottomed valley with its minimum at (a, a^2)."""
    return Problem(
        name="Rosenbrock",
        loss=lambda x: (a - x[..., 0]) ** 2 + b * (x[..., 1] - x[..., 0] ** 2) ** 2,
        gradient=lambda x, rng=None: np.array(
            [-2.0 * (a - x[0]) - 4.0 * b * x[0] * (x[1] - x[0] ** 2), 2.0 * b * (x[1] - x[0] ** 2)]
        ),
        x0=(-1.5, 2.0),
        minimum=(a, a * a),
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        log_contours=True,
    )


def noisy(problem, sigma):
    """The same f, with gradients g + N(0, sigma^2) noise: a stand-in for stochastic gradients."""
    sigma = check_non_negative("sigma", sigma)

    def gradient(x, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        return problem.gradient(x) + rng.normal(0.0, sigma, 2)

    return Problem(
        name=f"{problem.name} + noise (sigma {sigma:g})",
        loss=problem.loss,
        gradient=gradient,
        x0=problem.x0,
        minimum=problem.minimum,
        bounds=problem.bounds,
        stochastic=True,
        log_contours=problem.log_contours,
    )


def minibatch_least_squares(n_samples=512, batch_size=8, noise=0.5, seed=0):
    """Linear regression with two weights, trained on minibatches: real minibatch gradient noise.

    Data x_i ~ N(0, diag(1, 10)) (unequal feature scales), y_i = x_i . w* + noise, w* = (1, -1).
    f(w) = mean_i (x_i . w - y_i)^2 / 2 over all samples; ``gradient`` averages over a random minibatch.
    """
    if batch_size < 1 or batch_size > n_samples:
        raise ValueError(f"batch_size must be in [1, n_samples={n_samples}], got {batch_size!r}")
    data_rng = np.random.default_rng(seed)
    X = data_rng.normal(size=(n_samples, 2)) * np.sqrt([1.0, 10.0])
    w_star = np.array([1.0, -1.0])
    y = X @ w_star + noise * data_rng.normal(size=n_samples)
    w_min = np.linalg.lstsq(X, y, rcond=None)[0]

    def loss(w):
        residuals = np.tensordot(w, X, axes=([-1], [1])) - y  # (..., n_samples)
        return 0.5 * np.mean(residuals**2, axis=-1)

    def gradient(w, rng=None):
        rng = np.random.default_rng() if rng is None else rng
        batch = rng.choice(n_samples, size=batch_size, replace=False)
        return X[batch].T @ (X[batch] @ w - y[batch]) / batch_size

    return Problem(
        name=f"least squares (batch {batch_size})",
        loss=loss,
        gradient=gradient,
        x0=(-2.0, 2.0),
        minimum=tuple(w_min),
        bounds=((-3.0, 3.0), (-3.0, 3.0)),
        stochastic=True,
    )


@dataclass
class Trajectory:
    """Where an optimizer went: points ``xs`` (steps + 1, 2), ``losses`` (steps + 1,), and whether it diverged.

    A diverged run stops at the first non-finite loss; ``xs`` and ``losses`` then hold only the finite part,
    and ``message`` says at which step it happened.
    """

    xs: np.ndarray
    losses: np.ndarray
    diverged: bool
    message: str

    @property
    def steps(self):
        return len(self.losses) - 1


def run(optimizer, problem, x0=None, steps=100, seed=0):
    """Minimise ``problem`` with ``optimizer`` (a :mod:`radam.numpy` optimizer) for ``steps`` steps from x0.

    Stochastic gradients draw from a generator seeded with ``seed``, so a run is reproducible.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    x = np.array(problem.x0 if x0 is None else x0, dtype=np.float64)
    if x.shape != (2,):
        raise ValueError(f"x0 must be a 2-D point, got {x0!r}")
    rng = np.random.default_rng(seed)
    xs, losses = [x.copy()], [float(problem.loss(x))]
    message = f"{steps} steps"
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            optimizer.step([x], [problem.gradient(x, rng)])
            loss = float(problem.loss(x))
            if not (np.isfinite(loss) and np.all(np.isfinite(x))):
                message = f"diverged at step {t}: the loss became {loss}"
                break
            xs.append(x.copy())
            losses.append(loss)
    return Trajectory(np.array(xs), np.array(losses), diverged=len(losses) <= steps, message=message)
