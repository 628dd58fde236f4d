"""A results folder on disk: its lock, atomic writes, the partial files a killed write leaves, and checkpoints.

Only NumPy: the runner hands a checkpoint its arrays, so reading or writing a folder needs no TensorFlow.
"""

import io
import json
import os
import re
import time
import zipfile

try:
    import fcntl
except ImportError:  # Windows: no folder lock
    fcntl = None

import numpy as np

from radam.cifar10.provenance import now

PARTIAL_SUFFIX = ".partial"
"""The suffix of the temporary files that :func:`atomic_write` renames into place (a kill can leave one behind)."""
_PARTIAL_NAME = re.compile(r"\.(?P<target>.+)\.\d+\.\d+" + re.escape(PARTIAL_SUFFIX))
"""The names :func:`atomic_write` gives its temporary files: .TARGET.PID.NANOSECONDS.partial."""
CHECKPOINTS = "checkpoints"
"""The sub-folder of a results folder that holds one checkpoint per run."""


class FolderInUse(ValueError):
    """Another runner holds the results folder's lock."""


def atomic_write(path, data):
    """Write bytes to a new file next to ``path``, then os.replace it over ``path``: readers see old or new, whole.

    An OSError (a full disk, a read-only folder) names ``path``; the temporary file is removed.
    """
    partial = os.path.join(
        os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.{time.time_ns()}{PARTIAL_SUFFIX}"
    )
    try:
        with open(partial, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException as error:
        if os.path.exists(partial):
            os.unlink(partial)
        if isinstance(error, OSError):
            raise OSError(error.errno, f"could not write {path}: {error.strerror or error}") from None
        raise


def remove_partial_files(folder, targets):
    """Remove the temporary files that a killed :func:`atomic_write` of one of ``targets`` (file names in
    ``folder``) left behind; their names. Files of any other name, the reader's, stay."""
    removed = []
    for name in sorted(os.listdir(folder)):
        match = _PARTIAL_NAME.fullmatch(name)
        if match and match["target"] in targets and os.path.isfile(os.path.join(folder, name)):
            os.unlink(os.path.join(folder, name))
            removed.append(name)
    return removed


def lock(out_dir):
    """Hold out_dir/.lock for this process (released when the process ends or the handle closes), or raise
    FolderInUse."""
    handle = open(os.path.join(out_dir, ".lock"), "a+")
    if fcntl is not None:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise FolderInUse(
                f"results folder {out_dir} is in use by another runner ({holder}); wait for it to finish, "
                "or use another --out"
            ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, since {now()}")
    handle.flush()
    return handle


def check_unlocked(out_dir):
    """Raise FolderInUse if another runner holds out_dir's lock; writes nothing (a folder without a lock file,
    or a missing folder, is free)."""
    path = os.path.join(out_dir, ".lock")
    if fcntl is None or not os.path.isfile(path):
        return
    with open(path, encoding="utf-8", errors="replace") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = handle.read().strip() or "another process"
            raise FolderInUse(
                f"results folder {out_dir} is in use by another runner ({holder}); wait for it to finish, "
                "or use another --out"
            ) from None


def checkpoint_name(arm_name, seed):
    """The file name of the checkpoint of run (arm, seed), in the folder's ``checkpoints`` sub-folder."""
    return f"{arm_name}-seed{seed}.npz"


def save_checkpoint(path, model_values, optimizer_values, meta):
    """Model variables (weights and dropout seed states), optimizer variables and the run's records (``meta``,
    JSON), atomically."""
    arrays = {f"model_{i}": value for i, value in enumerate(model_values)}
    arrays.update({f"optimizer_{i}": value for i, value in enumerate(optimizer_values)})
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    atomic_write(path, buffer.getvalue())


def load_checkpoint(path):
    """(meta, model values, optimizer values) of a checkpoint; a damaged file raises a ValueError naming it."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            model = [saved[f"model_{i}"] for i in range(sum(k.startswith("model_") for k in saved.files))]
            optimizer = [saved[f"optimizer_{i}"] for i in range(sum(k.startswith("optimizer_") for k in saved.files))]
    except (zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError) as e:
        raise ValueError(
            f"checkpoint {path} is damaged ({type(e).__name__}: {' '.join(str(e).split())}); rerun with --restart "
            f"(restart=True) to discard the saved runs, or delete {path} to retrain that run"
        ) from None
    return meta, model, optimizer
