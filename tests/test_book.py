"""The book's mechanics: the table of contents, the notebooks' set-up cell (what it runs like:
tests/test_setup_cell.py), and (slow) the -W build itself."""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml

import radam
from radam.cifar10.results import BOOK_RESULTS_URL

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "book" / "_ext" / "setup_cell.py")
setup_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup_cell)
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def toc_files():
    files = [TOC["root"]]
    for part in TOC["parts"]:
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def resolve(entry):
    matches = [ROOT / f"{entry}{suffix}" for suffix in (".ipynb", ".md") if (ROOT / f"{entry}{suffix}").exists()]
    assert len(matches) == 1, f"{entry} must exist as exactly one of .ipynb / .md, found {matches}"
    return matches[0]


NOTEBOOKS = [path for path in map(resolve, toc_files()) if path.suffix == ".ipynb"]


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def test_every_chapter_of_the_plan_is_a_notebook():
    names = [path.name for path in NOTEBOOKS]
    expected = [f"{i:02d}_" for i in range(10)]
    assert [name[:3] for name in names] == expected, names


def test_book_folder_holds_only_pages_in_the_toc():
    listed = {resolve(entry) for entry in toc_files()}
    pages = {p for p in (ROOT / "book").glob("*") if p.suffix in (".ipynb", ".md", ".py")}
    assert pages <= listed, f"pages outside _toc.yml: {sorted(map(str, pages - listed))}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chapter_starts_with_the_set_up_cell(notebook):
    first = code_cells(notebook)[0]
    assert "".join(first["source"]) == setup_cell.expected_cell(), f"{notebook.name}: run python book/_ext/setup_cell.py"
    assert first["metadata"].get("tags") == ["hide-input"], "the HTML book folds the set-up code away"


def test_the_set_up_cell_fits_the_content_column():
    assert max(map(len, setup_cell.expected_cell().splitlines())) <= 80


def test_the_set_up_cell_installs_the_release_that_colab_opens():
    url, ref = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    assert ref == setup_cell.release_ref() == f"v{radam.__version__}"
    cell = setup_cell.expected_cell()
    assert f'URL, REF = "{url}", "{ref}"\nRADAM = f"radam[keras,widgets] @ git+{{URL}}@{{REF}}"' in cell
    assert 'importlib.util.find_spec("radam") is None' in cell, "install only when radam is missing"
    assert not re.search(r"-U\b|--upgrade", cell), "the set-up cell must never upgrade what Colab has"
    readme = (ROOT / "README.md").read_text()
    assert readme.count(f"git+{url}") == readme.count(f'git+{url}@{ref}"') > 0, "the README installs the release"
    raw = url.replace("https://github.com/", "https://raw.githubusercontent.com/")
    assert BOOK_RESULTS_URL == f"{raw}/{ref}/book/results", "chapter 8 reads the results of the same release"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_valid_nbformat_with_cell_ids(notebook):
    """nbformat 4.5 requires an id per cell; nbclient (Colab's runner among them) warns without, later fails."""
    data = json.loads(notebook.read_text())
    ids = [cell.get("id") for cell in data["cells"]]
    assert None not in ids and len(set(ids)) == len(ids), f"{notebook.name}: missing or repeated cell ids"
    nbformat.validate(data)  # (it would add missing ids itself, with a warning, so they are checked first)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_without_outputs(notebook):
    dirty = [i for i, cell in enumerate(code_cells(notebook)) if cell.get("outputs") or cell.get("execution_count")]
    assert not dirty, f"{notebook.name}: code cells {dirty} hold outputs; clear them (jupyter nbconvert --clear-output)"


@pytest.mark.slow
def test_book_builds_clean_with_warnings_as_errors():
    """Executes every chapter (cached between builds) and fails on any warning or raising cell."""
    jupyter_book = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or "jupyter-book"
    start = time.perf_counter()
    build = subprocess.run(
        [jupyter_book, "build", "-W", "-n", "--keep-going", str(ROOT)], capture_output=True, text=True
    )
    print(f"book build took {time.perf_counter() - start:.0f} s")
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-5000:]

    html = ROOT / "_build" / "html"
    repository = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    for notebook in NOTEBOOKS:
        page = (html / notebook.relative_to(ROOT)).with_suffix(".html").read_text()
        branch = CONFIG["repository"]["branch"]
        colab = f"https://colab.research.google.com/github/{repository}/blob/{branch}/{notebook.relative_to(ROOT).as_posix()}"
        assert colab in page, f"{notebook.name}: no Colab launch link {colab}"
