"""A Transformer results folder: results.json (strict JSON) with the settings, one record per run, the
provenance of every invocation and a fingerprint; the failure counts and the paired verdicts. NumPy only.

The verdicts follow chapter 8's rules (:mod:`radam.cifar10.stats`): for arms a and b, the per-seed differences
of the endpoint (mean held-out token accuracy of the last evaluations), their mean and 95% t-interval.
"""

import json
import math
import os

from radam.cifar10.stats import paired
from radam.cifar10.store import atomic_write

SCHEMA = 1
"""The version of results.json's layout."""
FILE = "results.json"


def _strict(value):
    """``value`` with every non-finite float replaced by None (a diverged loss), so the JSON stays strict."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def new(settings, fingerprint):
    """The content of an empty folder for ``settings`` (a dict)."""
    return {"schema": SCHEMA, "settings": settings, "fingerprint": fingerprint, "runs": [], "provenance": []}


def load(folder):
    """The content of ``folder``'s results.json, or None where there is none; a ValueError names a file that is
    not results of this schema."""
    path = os.path.join(folder, FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        try:
            content = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(content, dict) or content.get("schema") != SCHEMA:
        raise ValueError(f"{path} is not a Transformer results file of schema {SCHEMA}")
    return content


def save(folder, content):
    """Write ``content`` to ``folder``/results.json atomically, as strict JSON."""
    text = json.dumps(_strict(content), indent=1, allow_nan=False) + "\n"
    atomic_write(os.path.join(folder, FILE), text.encode())


def done(content):
    """The (arm, seed) pairs that ``content`` holds a complete run of."""
    return {(run["arm"], run["seed"]) for run in content["runs"]}


def endpoints(content, arm):
    """{seed: endpoint} of ``arm``'s runs (None for a run whose endpoint was not finite)."""
    return {run["seed"]: run["endpoint"] for run in content["runs"] if run["arm"] == arm}


def failures(content, arm):
    """(failed runs, runs) of ``arm``."""
    runs = [run for run in content["runs"] if run["arm"] == arm]
    return sum(bool(run["failed"]) for run in runs), len(runs)


def arms(content):
    """The arms of ``content``'s runs, in the order they first appear."""
    return list(dict.fromkeys(run["arm"] for run in content["runs"]))


def verdicts(content, against=("Adam", "Adam + warmup")):
    """[PairedDifference of arm - reference] for every reference of ``against`` and every arm but that reference
    and the references before it (each pair once), over the seeds both have (pairs with fewer than two shared
    seeds are left out)."""
    out = []
    for i, reference in enumerate(against):
        base = endpoints(content, reference)
        for arm in arms(content):
            values = endpoints(content, arm)
            if arm not in against[: i + 1] and len(set(values) & set(base)) >= 2:
                out.append(paired(arm, reference, values, base))
    return out
