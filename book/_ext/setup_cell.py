"""The set-up cell that opens every chapter, written once, here.

The cell installs the release of ``radam`` that the book was built from, only where ``radam`` is missing (a
fresh Colab runtime), from ``git+URL@REF``: URL is ``repository.url`` in ``_config.yml``, REF the tag
``v<radam.__version__>``, which is also the ``repository.branch`` that Colab's launch buttons open. pip gets
the installed NumPy, ipywidgets, TensorFlow and Keras as constraints (a file in a temporary folder, removed
afterwards), so it never changes them; when the install fails the cell prints the command that failed, pip's
last lines of output and one paragraph (how to install by hand, that nothing else changed), and stops the
notebook there. A ``radam`` that is there but fails on import gets one sentence (the error, then: restart
the runtime, else reinstall) and the original traceback. In the HTML book the cell's code is folded away (tag
``hide-input``); what it prints, the environment, shows.

    python book/_ext/setup_cell.py     # after changing the version or the URL: rewrite every chapter's cell

``tests/test_book.py`` checks that every chapter starts with :func:`expected_cell` and that ``_config.yml``
and the README name the same tag; ``tests/test_setup_cell.py`` runs the cell in each of those cases.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TEMPLATE = r"""# Set-up. In Colab (or any fresh kernel) this installs the radam release
# this book was built from, only when radam is missing. pip must keep the
# NumPy, ipywidgets, TensorFlow and Keras already installed.
import importlib.metadata, importlib.util, pathlib, shlex, subprocess, sys
import tempfile
URL, REF = "@URL@", "@REF@"
RADAM = f"radam[keras,widgets] @ git+{URL}@{REF}"
if importlib.util.find_spec("radam") is None:
    print(f"Installing {RADAM} ...")
    keep = []
    for name in ("numpy", "ipywidgets", "tensorflow", "keras"):
        try:
            keep.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    with tempfile.TemporaryDirectory() as folder:  # removed afterwards
        constraints = pathlib.Path(folder, "constraints.txt")
        constraints.write_text("\n".join(keep))
        command = [sys.executable, "-m", "pip", "install", "-q",
                   "-c", str(constraints), RADAM]
        pip = subprocess.run(command, capture_output=True, text=True)
    if pip.returncode != 0:
        said = [line for line in (pip.stderr or pip.stdout).splitlines()
                if line.strip()]
        print(f"\nCould not install radam: pip exited with status "
              f"{pip.returncode} running\n  {shlex.join(command)}\n"
              "Its last lines of output:\n  " + "\n  ".join(said[-12:]) +
              "\nNothing else was installed, upgraded or removed: NumPy, "
              "ipywidgets, TensorFlow and Keras are as they were. To install "
              f'radam by hand, run  !pip install "{RADAM}"  in a cell (or '
              f"download the repository at {REF} and run  pip install -e .  "
              "in it), then run this cell again. The later cells need radam.")
        raise RuntimeError("radam is not installed (see the message above)")
try:
    from radam.environment import report
except Exception as error:  # e.g. a broken or half-upgraded install
    print(f"\nradam is installed but importing it failed "
          f"({type(error).__name__}: {error}). Restart the runtime (in Colab: "
          "Runtime > Restart session) and run this cell again; if it still "
          "fails, reinstall radam by running  !pip install --no-deps "
          f'--force-reinstall "{RADAM}"  in a cell.')
    raise RuntimeError("radam does not import (see above)") from error
print(report())
"""


def repository_url(config_text=None):
    """``repository.url`` of ``_config.yml``."""
    config_text = config_text if config_text is not None else (ROOT / "_config.yml").read_text()
    match = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", config_text, re.MULTILINE)
    if match is None:
        raise ValueError("_config.yml has no repository.url")
    return match.group(1)


def release_ref():
    """The tag of the release the book is built from: ``v`` and ``radam.__version__``."""
    text = (ROOT / "radam" / "__init__.py").read_text()
    return "v" + re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE).group(1)


def render(url, ref):
    """The cell's source for the repository ``url`` and the git ref ``ref``."""
    return TEMPLATE.replace("@URL@", url).replace("@REF@", ref)


def expected_cell():
    """The set-up cell every chapter must start with."""
    return render(repository_url(), release_ref())


def chapters():
    return sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def rewrite():
    """Put :func:`expected_cell` first in every chapter, and the release tag into ``_config.yml`` and the
    README's install commands."""
    source = expected_cell()
    for path in chapters():
        notebook = json.loads(path.read_text())
        cell = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
        cell["source"] = source.splitlines(keepends=True)
        cell["metadata"]["tags"] = ["hide-input"]  # the HTML book shows what it printed, the code on request
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    readme = ROOT / "README.md"
    url = re.escape(repository_url())
    readme.write_text(re.sub(rf'git\+{url}(@[^"\s]+)?"', f'git+{repository_url()}@{release_ref()}"', readme.read_text()))
    config = ROOT / "_config.yml"
    text = config.read_text()
    text = re.sub(r"^(repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+branch:\s*)\S+", rf"\g<1>{release_ref()}", text,
                  flags=re.MULTILINE)
    config.write_text(text)


if __name__ == "__main__":
    rewrite()
    print(f"{len(chapters())} chapters now install {repository_url()}@{release_ref()}", file=sys.stderr)
