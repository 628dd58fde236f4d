"""Chapter 8's questions, fixed before its runs were trained: which arms each compares, on which endpoint, and
how the choices (the SGD rate, a best rate) are made on the validation split.

Every verdict is a paired difference over seeds (:func:`radam.cifar10.stats.paired`) of the endpoint
:func:`radam.cifar10.stats.endpoint`: the mean validation accuracy of a run's last five epochs. The test set
gives only the final numbers, each with its binomial standard error. Only NumPy.
"""

import dataclasses

import numpy as np

from radam.cifar10 import analysis, design, stats
from radam.cifar10.arms import sweep_name


@dataclasses.dataclass(frozen=True)
class Question:
    """Arm ``a`` against arm ``b``: what the comparison asks, in a phrase."""

    a: str
    b: str
    asks: str


QUESTIONS = (
    Question("radam-blog", "adam", "the blog's comparison: RAdam with the blog's schedule against Adam"),
    Question("adam-blog", "adam", "the schedule alone: Adam with the blog's schedule against Adam"),
    Question("radam-blog", "adam-blog", "the optimizer under the blog's schedule"),
    Question("radam", "adam", "RAdam against Adam, both at a constant rate"),
    Question("radam", "adam-warmup", "RAdam against Adam with the untuned warmup"),
    Question("adam-warmup", "adam", "the warmup against none (both Adam)"),
    Question("radam", "sgd", "RAdam against SGD with momentum (the paper's baseline)"),
)
"""The reference run's questions. ``sgd`` stands for the SGD arm at the rate :func:`chosen_rate` picked
(named ``sgd-lrLR`` in the results)."""
SWEEP_CONTROL = 0.9
"""Fraction of each rate at which the sweep's summed-rate control trains Adam.

Over 15 epochs of 71 steps at beta_2 = 0.99 the warmup arms' summed rates are 0.91 (adam-warmup) and 0.90
(radam) of constant Adam's (:func:`radam.cifar10.design.summed_rate_fraction`)."""


def arm_named(results, name):
    """The arm of ``results`` that ``name`` means: itself, or for ``sgd`` the one SGD arm (``sgd-lrLR``).
    Raises ValueError when there is none or more than one."""
    if name in results.arm_names:
        return name
    found = [arm for arm in results.arm_names if sweep_name(arm)[0] == name]
    if len(found) != 1:
        listed = ", ".join(found) or "none"
        raise ValueError(f"the results hold {len(found)} arms for {name!r} ({listed}); one expected")
    return found[0]


def answer(results, question, metric="val_accuracy"):
    """The :class:`radam.cifar10.stats.PairedDifference` of ``question`` (a :class:`Question`) in
    ``results``, on the endpoint of ``metric``, over the seeds both arms completed."""
    a, b = arm_named(results, question.a), arm_named(results, question.b)
    epochs = results.settings["epochs"]
    return stats.paired(a, b, stats.endpoint(results.records, a, metric, epochs=epochs),
                        stats.endpoint(results.records, b, metric, epochs=epochs))


def chosen_rate(results, base, metric="val_accuracy"):
    """(rate, mean endpoint): the rate of ``base``'s sweep in ``results`` with the highest mean endpoint of
    ``metric`` over seeds (validation accuracy: the choice never sees the test set)."""
    sweep = analysis.endpoint_sweep([results], [base], metric)
    if not sweep[base]:
        raise ValueError(f"the results hold no complete run of {base!r} at any rate")
    return analysis.best_learning_rates(sweep)[base]


def steadiness(results, question, first_epoch=None, metric="val_accuracy"):
    """The paired difference of the two arms' mean epoch-to-epoch change of ``metric`` from ``first_epoch``
    on (:func:`radam.cifar10.analysis.epoch_to_epoch_change`): negative when ``a``'s curve is steadier. By
    default the changes counted are those past every warmup of the two arms
    (:func:`radam.cifar10.design.first_epoch_past`): a curve still warming up moves for that reason alone."""
    a, b = arm_named(results, question.a), arm_named(results, question.b)
    if first_epoch is None:
        arms = {arm.name: arm for arm in results.arms}
        first_epoch = design.first_epoch_past([arms[a], arms[b]], results.settings["steps_per_epoch"])
    return stats.paired(a, b, analysis.epoch_to_epoch_change(results, a, metric, first_epoch),
                        analysis.epoch_to_epoch_change(results, b, metric, first_epoch))


def final_test_accuracy(results, arm):
    """(mean over seeds of the test endpoint, its binomial standard error on the test images): an arm's final
    number. The seeds share the test images, so averaging them does not shrink this error."""
    ends = stats.endpoint(results.records, arm_named(results, arm), "test_accuracy", epochs=results.settings["epochs"])
    if not ends:
        raise ValueError(f"the results hold no complete run of {arm!r}")
    mean = float(np.mean(list(ends.values())))
    return mean, stats.binomial_standard_error(mean, results.settings["data"]["used_test"])


def sweep_answers(results, a, b, control=None):
    """{rate: PairedDifference} of base arm ``a`` against base arm ``b`` at each rate of the sweep in
    ``results``; with ``control``, against ``b`` at ``control`` times the rate (the summed-rate control)."""
    sweep = analysis.endpoint_sweep([results], [a, b])
    return analysis.paired_at_rates(sweep, a, b, None if control is None else (lambda lr: control * lr))


def rates_by_sign(answers):
    """{1: the rates whose interval lies above zero, -1: below zero, 0: holding zero}, each list ascending, of
    ``answers`` ({rate: PairedDifference}, as :func:`sweep_answers` gives)."""
    out = {1: [], -1: [], 0: []}
    for rate in sorted(answers):
        out[answers[rate].sign].append(rate)
    return out


def sweep_rule(same, control):
    """The sweep's decision rule, rate by rate, from :func:`sweep_answers` of RAdam against Adam at the same rate
    (``same``) and against the summed-rate control (``control``): (holds, fails, undecided), each an ascending
    list of rates. The paper's claim holds where RAdam is ahead of both, fails where it is behind both, and is
    undecided where RAdam is ahead of or behind Adam but the control has no interval there yet."""
    holds, fails, undecided = [], [], []
    for rate in sorted(same):
        sign = same[rate].sign
        if not sign:
            continue
        if rate not in control:
            undecided.append(rate)
        elif control[rate].sign == sign:
            (holds if sign > 0 else fails).append(rate)
    return holds, fails, undecided


def sweep_state(rule, seeds):
    """The complete sweep's verdict in one phrase without markup (chapter 8's intro and summary paste it): where
    the paper's claim holds and fails by ``rule``, the ``(holds, fails, undecided)`` of :func:`sweep_rule`, on
    ``seeds`` seeds a rate. Raises ValueError where a rate is undecided: the control lacks its interval there."""
    holds, fails, undecided = rule
    if undecided:
        raise ValueError("the summed-rate control has no interval at lr = "
                         + ", ".join(f"{lr:g}" for lr in undecided) + ": the sweep is not complete")
    if not holds and not fails:
        return f"on {seeds} seeds a rate, by its rule the paper's claim neither holds nor fails at any of its rates"

    def at(rates):
        return f"at lr = {', '.join(f'{lr:g}' for lr in rates)}" if rates else "at no rate"

    return (f"on {seeds} seeds a rate, by its rule the paper's claim holds {at(holds)} and fails {at(fails)}; at its "
            "other rates it is neither")


def interval_words(difference, against):
    """``difference`` (a :class:`radam.cifar10.stats.PairedDifference` of one arm's endpoint minus another's) in
    words that follow its interval: "ahead of ``against`` by ...", "behind ... by ..." or, where the interval
    holds zero, "not told apart from ...", with its mean and both ends."""
    low, high = difference.interval
    level = f"{difference.confidence:.0%} interval"
    if difference.sign > 0:
        return f"ahead of {against} by {difference.mean:.3f} ({level} {low:.3f} to {high:.3f})"
    if difference.sign < 0:
        return f"behind {against} by {-difference.mean:.3f} ({level} {-high:.3f} to {-low:.3f})"
    return f"not told apart from {against} ({difference.mean:+.3f}, {level} {low:+.3f} to {high:+.3f})"


def followup_state(rate, same, control, warmup_adam, warmup):
    """What the sweep's follow-up at one ``rate`` found, in one sentence without markup (chapter 8's intro and
    summary paste it): RAdam against Adam (``same``) and against the summed-rate control (``control``) with the
    verdict of :func:`sweep_rule` there, the untuned warmup against Adam (``warmup_adam``) and RAdam against the
    untuned warmup (``warmup``), each a PairedDifference at ``rate`` over the follow-up's seeds."""
    holds, fails, _ = sweep_rule({rate: same}, {rate: control})
    verdict = ("RAdam tolerates this rate better than Adam" if holds else
               "RAdam tolerates this rate worse than Adam" if fails else "it gives no verdict at this rate")
    return (f"a follow-up on {same.n} new seeds at lr = {rate:g}, a rate chosen after the sweep, puts RAdam "
            f"{interval_words(same, 'Adam')} and {interval_words(control, 'the summed-rate control')}, so by the "
            f"sweep's rule {verdict}; Adam with the untuned warmup is {interval_words(warmup_adam, 'Adam')}, and "
            f"RAdam is {interval_words(warmup, 'the untuned warmup')}")
