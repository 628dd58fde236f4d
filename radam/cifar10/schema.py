"""The schema of a results folder's results.json, checked in full when it is read (book/results/README.md
documents it): a reader's folder, or a damaged one, stops with one :class:`ResultsError` that names the file,
the record and the field, instead of a verdict computed from impossible numbers.

Reading is bounded: a regular file only (not a FIFO, a device or a link to one), at most ``MAX_BYTES``, JSON
nested at most ``MAX_DEPTH`` deep, strict JSON (no NaN or Infinity). Writing is strict JSON too: a record whose
loss is not finite keeps null there and says ``"diverged": true``.
"""

import json
import math
import os
import re
import stat

SCHEMA_VERSION = 3
"""The version of results.json that the runner writes. 1: before versions (no ``schema_version`` key, no
``diverged`` flag); 2: ``schema_version``, and ``diverged`` in every record; 3: ``test_loss`` and
``test_accuracy`` in every record and ``validation_images`` and ``augment`` in the settings (``val_`` is the
held-out validation split where ``validation_images`` > 0). :func:`migrate` reads 1 and 2 as 3."""
MAX_BYTES = 64 * 2**20
"""The largest results.json read (the book's largest is about 0.35 MB: 792 records)."""
MAX_DEPTH = 16
"""The deepest nesting of JSON arrays and objects read (the runner writes 6)."""
MAX_SEED = 2**32 - 1
METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")
"""The fields of a record that a diverged run may hold as null."""
_NUMBERS = {
    "train_loss": (0.0, math.inf),
    "train_accuracy": (0.0, 1.0),
    "val_loss": (0.0, math.inf),
    "val_accuracy": (0.0, 1.0),
    "test_loss": (0.0, math.inf),
    "test_accuracy": (0.0, 1.0),
    "learning_rate": (0.0, math.inf),
    "train_time_s": (0.0, math.inf),
    "eval_time_s": (0.0, math.inf),
    "images_per_second": (0.0, math.inf),
}
"""Each number of a record and its closed range (finite)."""
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


class ResultsError(ValueError):
    """A results folder or file that does not hold what the runner writes: the message names the file, the
    record and the field."""


def mark_diverged(record):
    """``record`` with each non-finite metric (a loss that overflowed) as None and ``diverged`` set: what strict
    JSON can hold. A record without such a metric gets ``diverged`` False."""
    bad = [key for key in METRICS if not math.isfinite(record[key])]
    return {**record, **{key: None for key in bad}, "diverged": bool(bad)}


def read(path):
    """The checked content of the results.json at ``path`` (or in the folder ``path``), migrated to
    ``SCHEMA_VERSION``. Raises FileNotFoundError if there is none, ResultsError if it is not one."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "results.json")
    return check(migrate(_parse(path), path), path)


def _parse(path):
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ResultsError(f"{path} is not a regular file")
        if info.st_size > MAX_BYTES:
            raise ResultsError(f"{path} holds {info.st_size:,} bytes, more than the {MAX_BYTES:,} a results file may")
        data = f.read(MAX_BYTES + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ResultsError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start})") from None
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", _STRING.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            raise ResultsError(f"{path} nests JSON more than {MAX_DEPTH} deep; a results file nests 6")

    def refuse(constant):
        raise ValueError(f"{constant} is not strict JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError as e:
        raise ResultsError(f"{path} is not a whole JSON file ({' '.join(str(e).split())})") from None


def migrate(saved, path="results.json"):
    """``saved`` (the parsed results.json) in the current schema. Version 1 gains ``schema_version`` and a
    ``diverged`` flag per record (False: version 1 wrote only finite numbers); versions 1 and 2, which
    validated on the test set, gain ``test_loss`` and ``test_accuracy`` (their ``val_`` values), and
    ``validation_images`` 0 and ``augment`` false in the settings. Numbers are never changed."""
    if not isinstance(saved, dict):
        raise ResultsError(f"{path}: the top level must be a JSON object, got {_kind(saved)}")
    version = saved.get("schema_version", 1)
    if version not in (1, 2, SCHEMA_VERSION):
        raise ResultsError(
            f"{path}: schema_version {version!r} is not one this radam reads (1 to {SCHEMA_VERSION}); "
            "a newer radam wrote it?"
        )
    if version == SCHEMA_VERSION:
        return saved
    records, settings = saved.get("records"), saved.get("settings")
    if isinstance(records, list):
        records = [_migrate_record(r, version) if isinstance(r, dict) else r for r in records]
    if isinstance(settings, dict):
        settings = {"validation_images": 0, "augment": False, **settings}
    return {**saved, "schema_version": SCHEMA_VERSION, "settings": settings, "records": records}


def _migrate_record(record, version):
    extra = {"diverged": False} if version == 1 and "diverged" not in record else {}
    for name in ("loss", "accuracy"):
        if f"val_{name}" in record and f"test_{name}" not in record:
            extra[f"test_{name}"] = record[f"val_{name}"]
    return {**record, **extra}


def _kind(value):
    return "null" if value is None else type(value).__name__


def _field(where, container, key, kind):
    """container[key], which must be of ``kind`` (a type or a tuple of types; an int never a bool)."""
    if key not in container:
        raise ResultsError(f"{where}: the field {key!r} is missing")
    value = container[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ResultsError(f"{where}: {key!r} must be {_names(kind)}, got {value!r}")
    if not isinstance(value, kind):
        got = "null" if value is None else f"{_kind(value)} {_short(value)}"
        raise ResultsError(f"{where}: {key!r} must be {_names(kind)}, got {got}")
    return value


def _names(kind):
    names = {int: "a whole number", float: "a number", str: "a string", list: "a list", dict: "an object",
             bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(names[k] for k in kinds)


def _short(value):
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _whole(where, container, key, low, high=math.inf):
    value = _field(where, container, key, int)
    if not low <= value <= high:
        raise ResultsError(f"{where}: {key!r} must be in [{low}, {high}], got {value}")
    return value


def check(saved, path="results.json"):
    """``saved`` (a parsed results.json in the current schema), after checking every field; ResultsError names
    the first problem."""
    from radam.cifar10.arms import Arm  # NumPy only

    settings = _field(path, saved, "settings", dict)
    where = f"{path}: settings"
    epochs = _whole(where, settings, "epochs", 1)
    steps_per_epoch = _whole(where, settings, "steps_per_epoch", 1)
    _whole(where, settings, "batch_size", 1)
    _whole(where, settings, "validation_images", 0)
    _field(where, settings, "augment", bool)
    _field(where, settings, "data", dict)
    seeds = _field(where, settings, "seeds", list)
    for i, seed in enumerate(seeds):
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ResultsError(f"{where}: 'seeds'[{i}] must be a whole number in [0, 2**32), got {_short(seed)}")
    if len(set(seeds)) != len(seeds):
        raise ResultsError(f"{where}: 'seeds' must be distinct, got {seeds}")
    arms = {}
    for i, config in enumerate(_field(path, saved, "arms", list)):
        where = f"{path}: arms[{i}]"
        if not isinstance(config, dict):
            raise ResultsError(f"{where} must be an object, got {_kind(config)}")
        try:
            arm = Arm(**config)
        except TypeError:
            unknown = sorted(set(config) - set(Arm.__dataclass_fields__)) or ["name"]
            raise ResultsError(f"{where}: the field {unknown[0]!r} is not a field of an arm") from None
        except ValueError as e:
            raise ResultsError(f"{where}: {e}") from None
        if arm.name in arms:
            raise ResultsError(f"{where}: the arm {arm.name!r} is listed twice")
        arms[arm.name] = arm
    seen = set()
    for i, record in enumerate(_field(path, saved, "records", list)):
        seen.add(_check_record(f"{path}: records[{i}]", record, arms, seeds, epochs, steps_per_epoch, seen))
    runs = set()
    for i, run in enumerate(_field(path, saved, "runs", list)):
        where = f"{path}: runs[{i}]"
        if not isinstance(run, dict):
            raise ResultsError(f"{where} must be an object, got {_kind(run)}")
        key = _run_key(where, run, arms, seeds)
        if key in runs:
            raise ResultsError(f"{where}: the run of {key[0]} seed {key[1]} is listed twice")
        runs.add(key)
    for i, invocation in enumerate(_field(path, saved, "provenance", list)):
        if not isinstance(invocation, dict):
            raise ResultsError(f"{path}: provenance[{i}] must be an object, got {_kind(invocation)}")
        _field(f"{path}: provenance[{i}]", invocation, "command", str)
    _field(path, saved, "fingerprint", dict)
    return saved


def _run_key(where, item, arms, seeds):
    arm = _field(where, item, "arm", str)
    if arm not in arms:
        raise ResultsError(f"{where}: 'arm' {arm!r} is not in the results' arms ({', '.join(arms) or 'none'})")
    seed = _field(where, item, "seed", int)
    if seed not in seeds:
        raise ResultsError(f"{where}: 'seed' {seed} is not in settings.seeds {seeds}")
    return arm, seed


def _check_record(where, record, arms, seeds, epochs, steps_per_epoch, seen):
    """(arm, seed, epoch) of a checked record, new in ``seen``."""
    if not isinstance(record, dict):
        raise ResultsError(f"{where} must be an object, got {_kind(record)}")
    arm, seed = _run_key(where, record, arms, seeds)
    epoch = _whole(where, record, "epoch", 1, epochs)
    if (arm, seed, epoch) in seen:
        raise ResultsError(f"{where}: a second record of {arm} seed {seed} epoch {epoch}")
    step = _field(where, record, "step", int)
    if step != epoch * steps_per_epoch:
        raise ResultsError(
            f"{where}: 'step' must be epoch x settings.steps_per_epoch = {epoch * steps_per_epoch}, got {step}"
        )
    diverged = _field(where, record, "diverged", bool)
    for key, (low, high) in _NUMBERS.items():
        if key in METRICS and diverged and key in record and record[key] is None:
            continue
        value = _field(where, record, key, (int, float))
        if not (math.isfinite(value) and low <= value <= high):
            raise ResultsError(f"{where}: {key!r} must be a finite number in [{low:g}, {high:g}], got {value!r}")
    extra = sorted(set(record) - {"arm", "seed", "epoch", "step", "diverged", *_NUMBERS})
    if extra:
        raise ResultsError(f"{where}: the field {extra[0]!r} is not a field of a record")
    return arm, seed, epoch
