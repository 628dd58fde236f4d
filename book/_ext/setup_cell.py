"""The set-up cell that opens every chapter, written once, here.

The cell installs the release of ``radam`` that the book was built from, only where ``radam`` is missing (a
fresh Colab runtime), from ``git+URL@REF``: URL is ``repository.url`` in ``_config.yml``, REF the tag
``v<radam.__version__>``, which is also the ``repository.branch`` that Colab's launch buttons open. pip gets
the installed NumPy, ipywidgets, TensorFlow and Keras as constraints, so it never changes them; when the
install fails the cell prints one paragraph (what failed, how to install by hand, that nothing else changed)
and stops the notebook there. In the HTML book the cell's code is folded away (tag ``hide-input``); what
it prints, the environment, shows.

    python book/_ext/setup_cell.py     # after changing the version or the URL: rewrite every chapter's cell

``tests/test_book.py`` checks that every chapter starts with :func:`expected_cell` and that ``_config.yml``
and the README name the same tag.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TEMPLATE = r"""# Set-up. In Colab (or any fresh kernel) this installs the radam release
# this book was built from, only when radam is missing. pip must keep the
# NumPy, ipywidgets, TensorFlow and Keras already installed.
import importlib.metadata, importlib.util, subprocess, sys, tempfile
URL, REF = "@URL@", "@REF@"
RADAM = f"radam[keras,widgets] @ git+{URL}@{REF}"
if importlib.util.find_spec("radam") is None:
    print(f"Installing {RADAM} ...")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as keep:
        for name in ("numpy", "ipywidgets", "tensorflow", "keras"):
            try:
                version = importlib.metadata.version(name)
            except importlib.metadata.PackageNotFoundError:
                continue
            keep.write(f"{name}=={version}\n")
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "-c", keep.name, RADAM],
        capture_output=True, text=True,
    )
    if pip.returncode != 0:
        said = [line.strip() for line in (pip.stderr + pip.stdout).splitlines()
                if "fatal:" in line or "ERROR:" in line]
        reason = " / ".join(said[-2:]) or f"exit status {pip.returncode}"
        print(f"\nCould not install radam: pip failed on {RADAM!r} ({reason})."
              "\nNothing else was installed, upgraded or removed: NumPy, "
              "ipywidgets, TensorFlow and Keras are as they were. To install "
              f'radam by hand, run  !pip install "{RADAM}"  in a cell (or '
              f"download the repository at {REF} and run  pip install -e .  "
              "in it), then run this cell again. The later cells need radam.")
        raise RuntimeError("radam is not installed (see the message above)")
from radam.environment import report
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
