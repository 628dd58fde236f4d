"""Chapter 5's live slice of the committed Transformer results: the start of two runs retrained at every build.

The slice retrains the first :data:`SLICE_STEPS` steps of arms :data:`SLICE_ARMS`, seed ``SLICE_SEED``
(the same initial weights and minibatches as the committed runs, :func:`radam.transformer.experiment.run` with
``stop``) and compares each evaluation's :data:`METRICS` with the committed records, by the seeds' band of
:func:`radam.cifar10.live_check.judge`:

- on the machine that made the results, with the same thread settings (:func:`identity_due`), TensorFlow repeats
  a run bit for bit, and every live value must equal its committed one;
- elsewhere (another CPU, TensorFlow build or thread count) the sums round differently and the runs drift
  apart, so each live value must lie within the committed seeds' range at its step, widened by
  :data:`radam.cifar10.live_check.WIDEN` standard deviations of those seeds on each side.

Reading the committed records needs NumPy only; :func:`train_slice` and :func:`check` import TensorFlow.
"""

import dataclasses
import os

from radam.cifar10 import live_check
from radam.cifar10.provenance import cpu

SLICE_ARMS = ("Adam", "Adam + warmup")
"""The arms the slice retrains, the failure and its cure."""
SLICE_SEED = 0
"""The seed of the runs the slice retrains."""
SLICE_STEPS = 60
"""How many steps the slice retrains from the first (three evaluations at eval_every = 20)."""
METRICS = ("eval_loss", "eval_accuracy", "train_loss", "update_rms")
"""The values of each evaluation that the slice compares (the held-out loss and token accuracy, the mean
minibatch loss since the last evaluation, and the RMS update over the base rate at the evaluation's step, the
most sensitive to the rate and beta_2, on which alone a halved rate lands outside the seeds' spread)."""


def _evaluations(run, steps):
    """The records of ``run``'s evaluations up to step ``steps``, keyed as :func:`radam.cifar10.live_check.judge`
    reads them (the step under ``epoch``)."""
    out = []
    for i, step in enumerate(run["eval_step"]):
        if step <= steps:
            values = {metric: run[metric][i] for metric in METRICS if metric != "update_rms"}
            out.append({"arm": run["arm"], "seed": run["seed"], "epoch": step, **values,
                        "update_rms": run["update_rms"][step - 1]})
    return out
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "TF_ENABLE_ONEDNN_OPTS")
"""The environment variables that change how TensorFlow sums on one machine (when unset, TensorFlow's defaults)."""


def thread_settings(environ=None):
    """{variable: value or None} of :data:`THREAD_VARIABLES` in ``environ`` (default: this process's)."""
    environ = os.environ if environ is None else environ
    return {name: environ.get(name) for name in THREAD_VARIABLES}


@dataclasses.dataclass(frozen=True)
class Committed:
    """The committed records in the form :func:`radam.cifar10.live_check.judge` reads: one record per run and
    evaluation step (under the key ``epoch``), and the provenance of the folder."""

    records: tuple
    provenance: tuple


def committed(content, steps=SLICE_STEPS):
    """The evaluations of ``content``'s runs (a results folder's content) up to step ``steps``, as
    :class:`Committed`."""
    records = [record for run in content["runs"] for record in _evaluations(run, steps)]
    return Committed(tuple(records), tuple(content.get("provenance", ())))


def unsliceable(content):
    """Why ``content`` cannot be checked by the slice here (a sentence), or None: every arm of :data:`SLICE_ARMS`
    needs a committed run of seed ``SLICE_SEED`` and at least one other seed (the spread it is judged by), and
    this Keras must draw that seed's initial weights as the committed runs' did. The slice is seed 0 again,
    moved only by rounding; under a Keras that initialises differently (3.10 and 3.13 do) it would be another
    run altogether, with nothing to be judged against (the fingerprint's other parts are checked by the tests
    all the same)."""
    from radam.cifar10.provenance import digest
    from radam.transformer import model
    from radam.transformer.experiment import Settings

    for arm in SLICE_ARMS:
        seeds = {run["seed"] for run in content["runs"] if run["arm"] == arm}
        if SLICE_SEED not in seeds or len(seeds) < 2:
            return (f"The live slice was skipped: it retrains {arm}, seed {SLICE_SEED}, and judges it against at "
                    f"least two committed seeds of that arm, but the results hold {len(seeds)} seed(s) of it"
                    f"{'' if SLICE_SEED in seeds or not seeds else f', not seed {SLICE_SEED}'}.")
    stored = (content.get("fingerprint") or {}).get("initial_weights", {}).get(str(SLICE_SEED))
    settings = Settings(**content["settings"])
    drawn = digest(model.initial_weights(SLICE_SEED, settings.vocab, settings.length, **settings.sizes()))
    if stored is not None and drawn != stored:
        import keras

        made = sorted({entry.get("versions", {}).get("keras", "?") for entry in content.get("provenance", [])})
        return (f"The live slice was skipped: Keras {keras.__version__} draws other initial weights for seed "
                f"{SLICE_SEED} than the Keras that made the results ({', '.join(made)}), so the slice would be "
                "another run, not the committed one moved by rounding.")
    return None


def identity_due(content, environ=None):
    """Whether the slice must equal the committed records bit for bit: every invocation that made ``content``
    ran on this CPU (:func:`radam.cifar10.provenance.cpu`) with this TensorFlow, Keras and NumPy and this
    process's thread settings (an invocation that recorded none ran with TensorFlow's defaults). False for a
    folder without provenance (a run still in progress), whose machine is not on record."""
    import keras
    import numpy as np
    import tensorflow as tf

    here = {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__}
    threads = thread_settings(environ)
    made = content.get("provenance") or []
    return bool(made) and all(
        entry.get("cpu") == cpu() and all(entry["versions"].get(k) == v for k, v in here.items())
        and entry.get("threads", thread_settings({})) == threads
        for entry in made
    )


def train_slice(content, changes=(), steps=SLICE_STEPS):
    """Retrain the slice of ``content``: one record per arm of :data:`SLICE_ARMS` (seed ``SLICE_SEED``, the
    first ``steps`` steps). ``changes`` ((field, value) pairs) replace fields of the results' settings: a
    check of the check, e.g. (("learning_rate", 0.02),) must land outside the committed spread."""
    from radam.transformer.experiment import Settings, run

    settings = Settings(**dict(content["settings"], **dict(changes)))
    data = settings.make_task()
    return [run(arm, SLICE_SEED, settings, data, stop=steps) for arm in SLICE_ARMS]


@dataclasses.dataclass(frozen=True)
class LiveSlice:
    """The slice's :class:`radam.cifar10.live_check.Verdict` and whether bit-identity was due."""

    verdict: live_check.Verdict
    identity_due: bool

    @property
    def passed(self):
        """Identical where identity is due, else within the committed seeds' spread."""
        return self.verdict.case == "identical" or (not self.identity_due and self.verdict.case == "within")

    def sentence(self):
        """What the check saw, for the page."""
        if self.identity_due and self.verdict.case != "identical":
            different = [c for c in self.verdict.checks if not c.identical]
            worst = max(different, key=lambda c: abs(c.live - c.same_seed))
            return (f"The slice ran on the machine and with the thread settings that made the results, yet "
                    f"{len(different)} of {len(self.verdict.checks)} values differ from the committed ones (the "
                    f"farthest: {worst.arm}'s {worst.metric} at step {worst.epoch}, {worst.live!r} against "
                    f"{worst.same_seed!r}): the code no longer produces the committed results.")
        return self.verdict.sentence()


def check(content, records, environ=None):
    """Judge live ``records`` (from :func:`train_slice`) against ``content``: a :class:`LiveSlice`."""
    steps = max((step for r in records for step in r["eval_step"]), default=0)
    evaluations = [evaluation for r in records for evaluation in _evaluations(r, steps)]
    verdict = live_check.judge(committed(content, steps), evaluations, cpu(), metrics=METRICS)
    return LiveSlice(verdict, identity_due(content, environ))
