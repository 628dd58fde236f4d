"""A Transformer results folder: results.json (strict JSON) with the settings, one record per run, the
provenance of every invocation and a fingerprint; the failure counts and the paired verdicts; the grid the
experiment's setting was chosen from (grid.json) and its rule; where a chapter finds the committed files.
NumPy only.

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
BOOK_FOLDER = "transformer"
"""The committed results' folder under the book's results (``book/results/transformer``)."""
BOOK_GRID_FOLDER = "transformer-grid"
"""The committed grid's folder under the book's results (``book/results/transformer-grid``)."""


def _strict(value):
    """``value`` with every non-finite float replaced by None (a diverged loss), so the JSON stays strict."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def failure_line(vocab):
    """(chance, line): the token accuracy of a uniform guess, 1 / ``vocab``, and the line a run's endpoint must
    reach not to fail, halfway from chance to a perfect score."""
    if isinstance(vocab, bool) or not isinstance(vocab, int) or vocab < 2:
        raise ValueError(f"vocab must be a whole number >= 2, got {vocab!r}")
    chance = 1.0 / vocab
    return chance, chance + (1.0 - chance) / 2


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


GRID_FILE = "grid.json"
"""The file of the grid the experiment's setting was chosen from (``book/results/transformer-grid``)."""


def load_grid(folder):
    """The grid record in ``folder``: the depths and rates tried, seed 0's runs of Adam and Adam + warmup at
    each cell trained (``cells``), the rule that chose the setting and the provenance."""
    path = os.path.join(folder, GRID_FILE)
    with open(path, encoding="utf-8") as f:
        grid = json.load(f)
    if not isinstance(grid, dict) or grid.get("schema") != SCHEMA or "cells" not in grid:
        raise ValueError(f"{path} is not a Transformer grid record of schema {SCHEMA}")
    return grid


def grid_endpoints(grid, arm="Adam"):
    """{(depth, learning rate): endpoint} of ``arm`` at every cell of ``grid`` it trained."""
    return {(c["depth"], c["learning_rate"]): c["endpoint"] for c in grid["cells"] if c["arm"] == arm}


def chosen_setting(grid, vocab):
    """(depth, learning rate) that the grid's rule picks: the shallowest depth at which plain Adam's run failed
    (its endpoint below :func:`failure_line`), and there the smallest such rate; None where Adam never failed."""
    line = failure_line(vocab)[1]
    failed = sorted(cell for cell, endpoint in grid_endpoints(grid).items() if not endpoint >= line)
    return failed[0] if failed else None


def book_folder(name, file, folder="results"):
    """The folder that holds the book's committed ``name/file``: ``folder/name`` in a checkout of the book (its
    build); where ``folder`` does not exist (a chapter opened alone, as in Colab), a temporary folder with the
    file downloaded from the book's published results (``radam.cifar10.results.BOOK_RESULTS_URL``).
    Raises FileNotFoundError when the file is in neither place."""
    local = os.path.join(folder, name)
    if os.path.exists(os.path.join(local, file)):
        return local
    if os.path.isdir(folder):
        raise FileNotFoundError(f"the book's results {name!r} are not in {local} (not computed yet)")
    import tempfile
    import urllib.request

    from radam.cifar10.results import BOOK_RESULTS_URL

    url = f"{BOOK_RESULTS_URL}/{name}/{file}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as e:
        raise FileNotFoundError(f"the book's results {name!r} are neither in {local} nor reachable at {url} "
                                f"({e})") from None
    target = tempfile.mkdtemp(prefix=f"radam-{name}-")
    with open(os.path.join(target, file), "wb") as f:
        f.write(data)
    return target
