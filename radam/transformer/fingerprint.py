"""What determines a Transformer results folder's numbers (its fingerprint), and whether this code still
reproduces them (:func:`stale_parts`): the counterpart of :mod:`radam.cifar10.provenance`'s for chapter 5's
Transformer.

The fingerprint holds digests (:func:`radam.cifar10.provenance.digest`) of the task's arrays, of each seed's
minibatch indices and initial weights, and per arm an update probe: the arm's optimizer applied to a fixed
8-vector at the steps ``radam.cifar10.provenance.PROBE_STEPS`` (:func:`radam.cifar10.provenance.update_probe`),
which moves when an arm's rate, betas, warmup or update rule change. It does not cover the training loop itself
(what the exact-gradient arm averages, how "v known" estimates E[g^2]): the live slice
(:mod:`radam.transformer.live`) retrains the start of two arms for that. Builds the model and the optimizers
with Keras.
"""

import types

import numpy as np

from radam.cifar10 import provenance

NUMBER_SOURCES = ("radam/transformer", "radam/keras.py", "radam/schedules.py", "radam/theory.py",
                  "radam/_validate.py")
"""The package files whose code determines the Transformer's numbers (``uncommitted_changes`` of its
provenance looks at these)."""
PROBE_SECOND_MOMENT = 0.25
"""The v_0 of "Adam, v known" in its update probe (every coordinate)."""


def update_probe(arm, learning_rate, beta_2):
    """The values of a fixed 8-vector after ``arm``'s optimizer (at ``learning_rate`` and ``beta_2``) steps at
    ``radam.cifar10.provenance.PROBE_STEPS`` with fixed gradients (a list of lists)."""
    from radam.transformer.arms import make_optimizer

    moment = [np.full(8, PROBE_SECOND_MOMENT, dtype="float32")] if arm == "Adam, v known" else None
    return provenance.update_probe(
        types.SimpleNamespace(make_optimizer=lambda: make_optimizer(arm, learning_rate, beta_2, moment)))


def fingerprint(settings, data, seeds, arms=()):
    """The digests of ``data`` (a :class:`radam.transformer.task.Task`), of each seed's batches and initial
    weights under ``settings`` (:class:`radam.transformer.experiment.Settings`), and each arm's update probe."""
    from radam.transformer import model

    return {
        "task": provenance.digest([data.train_x, data.train_y, data.eval_x, data.eval_y]),
        "batches": {str(s): provenance.digest([data.batch_indices(s, settings.steps, settings.batch_size)])
                    for s in seeds},
        "initial_weights": {str(s): provenance.digest(model.initial_weights(s, settings.vocab, settings.length,
                                                                            **settings.sizes())) for s in seeds},
        "update_probes": {arm: update_probe(arm, settings.learning_rate, settings.beta_2) for arm in arms},
    }


def stale_parts(content):
    """What of ``content`` (a results folder's content, :func:`radam.transformer.results.load`) this code would
    no longer reproduce: a list of sentences, empty if none.

    The task, each seed's batches and initial weights are recomputed and compared with the stored digests; each
    stored update probe (folders made before probes were recorded have none) must agree within
    ``radam.cifar10.provenance.PROBE_RTOL``. The initial weights are compared only under the Keras version that
    made the results: another version may draw them differently (Keras 3.10 does), which is not a change of
    this code.
    """
    import keras

    from radam.transformer.arms import ARMS
    from radam.transformer.experiment import Settings

    saved = content.get("fingerprint") or {}
    if not saved.get("task"):
        return ["the results hold no fingerprint"]
    try:
        settings = Settings(**content["settings"])
    except (TypeError, ValueError) as error:
        return [f"the settings {content['settings']} are not this code's Settings ({error})"]
    seeds = sorted(int(s) for s in saved["batches"])
    probed = saved.get("update_probes", {})
    problems = [f"arm {arm!r}: this code defines no such arm" for arm in probed if arm not in ARMS]
    now = fingerprint(settings, settings.make_task(), seeds, tuple(arm for arm in probed if arm in ARMS))
    if now["task"] != saved["task"]:
        problems.append(f"the task's sequences changed (digest {saved['task']} then, {now['task']} now)")
    made_with = {entry.get("versions", {}).get("keras") for entry in content.get("provenance", [])} - {None}
    parts = [("batches", "minibatches")]
    if made_with <= {keras.__version__}:  # no recorded version, or this one
        parts.append(("initial_weights", "initial weights"))
    for part, label in parts:
        for seed, value in saved.get(part, {}).items():
            if now[part][seed] != value:
                problems.append(f"the {label} of seed {seed} changed")
    for arm, stored in probed.items():
        if arm not in ARMS:
            continue
        probe, stored = np.array(now["update_probes"][arm]), np.array(stored)
        if probe.shape != stored.shape or not np.allclose(probe, stored, rtol=provenance.PROBE_RTOL, atol=1e-7):
            worst = float(np.max(np.abs(probe - stored))) if probe.shape == stored.shape else float("inf")
            problems.append(f"arm {arm!r}: its optimizer's update rule changed (probe moved by up to {worst:.3g})")
    return problems

