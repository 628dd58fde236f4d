"""Execute every chapter of the book with nbclient, as a Colab kernel would run it, and time each one.

Usage: python .ci/execute_notebooks.py [NOTEBOOK ...]   (default: book/*.ipynb)

Fails (exit 1) when a cell raises or when running the chapters changed the versions of NumPy, ipywidgets,
TensorFlow, Keras or IPython: the set-up cell must never upgrade what Colab has.
"""

import os
import sys
import time
from importlib import metadata
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

BOOK = Path(__file__).resolve().parent.parent / "book"
KEPT = ("numpy", "ipywidgets", "tensorflow", "tensorflow-cpu", "keras", "ipython")


def versions():
    found = {}
    for name in KEPT:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def main(paths):
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # IPython 7's debugger notice on Python 3.11+
    before = versions()
    print("versions:", ", ".join(f"{name} {version}" for name, version in before.items()), flush=True)
    failed = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}})
        start = time.perf_counter()
        try:
            client.execute()
            status = "ok"
        except CellExecutionError as error:
            failed.append(path.name)
            status = "FAILED\n" + str(error)[-3000:]
        print(f"{path.name}: {time.perf_counter() - start:.0f} s {status}", flush=True)
    after = versions()
    if after != before:
        print(f"the chapters changed installed versions: {before} before, {after} after", file=sys.stderr)
        return 1
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    chosen = [Path(arg).resolve() for arg in sys.argv[1:]] or sorted(BOOK.glob("[0-9]*.ipynb"))
    sys.exit(main(chosen))
