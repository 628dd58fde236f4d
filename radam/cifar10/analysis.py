"""Reading results: per-seed final values, sweeps over learning rates, the paired differences of a sweep.

Every verdict the CIFAR-10 chapter prints is computed here or in :mod:`radam.cifar10.questions` from the
records, so no conclusion is typed in by hand that the numbers could contradict.
"""

import numpy as np

from radam.cifar10 import stats
from radam.cifar10.arms import sweep_name


def final_accuracies(results, arm, metric="val_accuracy"):
    """{seed: the arm's last-epoch value of ``metric``} over the seeds whose run is complete (reached the results'
    ``epochs``); runs still training are left out."""
    by_seed = {}
    for record in results.records:
        if record["arm"] == arm:
            value = record[metric]  # None where the run diverged
            by_seed.setdefault(record["seed"], {})[record["epoch"]] = np.nan if value is None else value
    last = results.settings["epochs"]
    return {seed: epochs[last] for seed, epochs in sorted(by_seed.items()) if len(epochs) >= last}


def learning_rate_sweep(results_list, bases, seeds=None, metric="val_accuracy"):
    """{base arm: {learning rate: {seed: final value of ``metric``}}} over several results.

    An arm named ``BASE-lrLR`` counts at LR; an arm named ``BASE`` itself (e.g. the reference run's ``radam``)
    counts at its own learning rate, so the reference run's lr = 1e-3 joins the sweep. ``seeds`` keeps those
    seeds only (the sweep's, so that every rate is judged on the same seeds), None keeps all.
    """
    sweep = {base: {} for base in bases}
    for results in results_list:
        for arm in results.arms:
            base, rate = sweep_name(arm.name)
            if base not in sweep:
                continue
            values = final_accuracies(results, arm.name, metric)
            if seeds is not None:
                values = {seed: value for seed, value in values.items() if seed in seeds}
            if values:
                sweep[base].setdefault(rate if rate is not None else arm.learning_rate, {}).update(values)
    return {base: dict(sorted(rates.items())) for base, rates in sweep.items()}


def endpoint_sweep(results_list, bases, metric="val_accuracy", last=stats.LAST_EPOCHS):
    """{base arm: {learning rate: {seed: endpoint}}} over several results, the endpoint being
    :func:`radam.cifar10.stats.endpoint` (the mean of ``metric`` over the last ``last`` epochs of each complete
    run). Arms count as in :func:`learning_rate_sweep`: ``BASE-lrLR`` at LR, ``BASE`` at its own rate."""
    sweep = {base: {} for base in bases}
    for results in results_list:
        for arm in results.arms:
            base, rate = sweep_name(arm.name)
            if base in sweep:
                values = stats.endpoint(results.records, arm.name, metric, last, results.settings["epochs"])
                if values:
                    sweep[base].setdefault(rate if rate is not None else arm.learning_rate, {}).update(values)
    return {base: dict(sorted(rates.items())) for base, rates in sweep.items()}


def at_rate(by_rate, rate):
    """The value of ``by_rate`` ({learning rate: value}) at ``rate``, matched to a relative 1e-6 (a rate computed
    as 0.9 * 0.01 is the arm named ``-lr0.009``); None where it has no such rate."""
    found = [value for lr, value in by_rate.items() if np.isclose(lr, rate, rtol=1e-6, atol=0.0)]
    return found[0] if found else None


def paired_at_rates(sweep, a, b, rate_of_b=None):
    """{learning rate: :class:`radam.cifar10.stats.PairedDifference` of base arm ``a`` at that rate minus
    base arm ``b`` at ``rate_of_b(rate)`` (the same rate by default)} for every rate of ``a`` where ``b`` has
    that rate (to a relative 1e-6) and the two share at least two seeds. A rate where a shared seed's value is
    not a number (a run that diverged) gets no interval: :func:`stopped_seeds` names it instead."""
    out = {}
    for lr, values_a in sweep[a].items():
        target = lr if rate_of_b is None else rate_of_b(lr)
        match = at_rate({rate: rate for rate in sweep[b]}, target)
        if match is None:
            continue
        values_b = sweep[b][match]
        shared = set(values_a) & set(values_b)
        finite = all(np.isfinite(values_a[s]) and np.isfinite(values_b[s]) for s in shared)
        if len(shared) >= 2 and finite:
            out[lr] = stats.paired(f"{a} at {lr:g}", f"{b} at {match:g}", values_a, values_b)
    return out


def epoch_to_epoch_change(results, arm, metric="val_accuracy", first_epoch=2):
    """{seed: the mean absolute change of ``metric`` from one epoch to the next, over the changes into epochs
    ``first_epoch`` .. the last} for the complete runs of ``arm``: how much its curve jitters (the blog's
    "more stable")."""
    last = results.settings["epochs"]
    if not 2 <= first_epoch <= last:
        raise ValueError(f"first_epoch must be in [2, {last}] (a change needs the epoch before), got {first_epoch!r}")
    by_seed = {}
    for record in results.records:
        if record["arm"] == arm:
            value = record[metric]
            by_seed.setdefault(record["seed"], {})[record["epoch"]] = np.nan if value is None else value
    return {
        seed: float(np.abs(np.diff([values[e] for e in range(first_epoch - 1, last + 1)])).mean())
        for seed, values in sorted(by_seed.items())
        if all(e in values for e in range(1, last + 1))
    }


def best_learning_rates(sweep):
    """{base arm: (learning rate, mean accuracy)} with the highest mean over seeds (a rate where a seed's value
    is not a number, a diverged run, is never the best)."""
    out = {}
    for base, rates in sweep.items():
        means = {lr: np.mean(list(seeds.values())) for lr, seeds in rates.items()}
        finite = [lr for lr, mean in means.items() if np.isfinite(mean)]
        if finite:
            rate = max(finite, key=means.get)
            out[base] = rate, float(np.mean(list(rates[rate].values())))
    return out


def stopped_seeds(loss_sweep, classes=10, within=0.01):
    """{base arm: {learning rate: the seeds (ascending) whose training loss ended above ln(classes) - ``within``}},
    ``loss_sweep`` being :func:`learning_rate_sweep` (or :func:`endpoint_sweep`) of ``train_loss``.

    A cross-entropy of ln(classes) is what a network that gives every class the same probability scores: a run
    that ends there, or above it, has stopped learning (a learning rate too high for it), whatever its accuracy;
    so has a run whose loss is not a number (it diverged)."""
    chance = np.log(classes)

    def stopped(loss):
        return not np.isfinite(loss) or loss > chance - within

    return {
        base: {lr: sorted(seed for seed, loss in seeds.items() if stopped(loss)) for lr, seeds in rates.items()}
        for base, rates in loss_sweep.items()
    }


def provenance_rows(results):
    """(what, value) rows describing where ``results`` came from: the distinct commands that trained into them
    (each with the commits it ran at), versions, machine, time and data."""
    invocations = results.provenance
    first, last = invocations[0], invocations[-1]
    commits = {}
    for entry in invocations:
        commit = (entry["commit"] or "unknown")[:12] + (" (uncommitted changes)" if entry["uncommitted_changes"] else "")
        commits.setdefault(entry["command"], [])
        if commit not in commits[entry["command"]]:
            commits[entry["command"]].append(commit)
    hours = sum(entry["wall_time_s"] for entry in invocations) / 3600
    data = results.settings["data"]
    rows = [
        [f"command {i}" if len(commits) > 1 else "command", f"{command}, at commit {', '.join(at)}"]
        for i, (command, at) in enumerate(commits.items(), 1)
    ]
    return rows + [
        ["versions", ", ".join(f"{name} {version}" for name, version in last["versions"].items())],
        ["machine", f"{last['cpu']}, {last['cores']} cores, {last['platform']}"],
        ["run", f"{first['started']} to {last['finished']}: {hours:.1f} h of wall time in "
                f"{len(invocations)} invocation(s) (the runner resumes)"],
        ["data", f"{data['used_train']:,} training"
                 + (f", {data['used_validation']:,} validation (held out of the training images)"
                    if data.get("used_validation") else "")
                 + f" and {data['used_test']:,} test images (digest {data['digest']})"],
    ]


def arm_rows(results, step, rectification):
    """Per arm: name, optimizer, lr, its schedule in steps, lr_t at ``step`` and RAdam's r_t there
    (``rectification(t, beta_2)``, e.g. :func:`radam.theory.rectification`)."""
    rows = []
    for arm in results.arms:
        if arm.total_steps:
            warmup = arm.total_steps * arm.warmup_proportion
            schedule = f"warmup {warmup:g}, min_lr {arm.min_lr:g} from step {arm.total_steps:,}"
        elif arm.warmup_steps:
            schedule = f"warmup {arm.warmup_steps:g} steps"
        else:
            schedule = "constant"
        r_t = f"{rectification(step, arm.beta_2):.3f}" if arm.optimizer == "radam" else "-"
        rows.append([arm.name, arm.optimizer, f"{arm.learning_rate:g}", schedule, f"{arm.lr_at(step):.2e}", r_t])
    return rows
