"""The book's mechanics: the table of contents, the notebooks' set-up cell, and (slow) the -W build itself."""

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
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
def test_first_cell_installs_radam_from_the_configured_repository(notebook):
    first = "".join(code_cells(notebook)[0]["source"])
    url = CONFIG["repository"]["url"]
    assert f'"radam @ git+{url}"' in first, f"{notebook.name}: the first cell must install radam from {url}"
    assert 'importlib.util.find_spec("radam") is None' in first, "install only when radam is missing"
    assert not re.search(r"-U\b|--upgrade", first), "the set-up cell must never upgrade what Colab has"


def test_all_notebooks_share_one_setup_cell():
    firsts = {"".join(code_cells(nb)[0]["source"]) for nb in NOTEBOOKS}
    assert len(firsts) == 1, "every notebook must start with the same set-up cell"


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
        colab = f"https://colab.research.google.com/github/{repository}/blob/main/{notebook.relative_to(ROOT).as_posix()}"
        assert colab in page, f"{notebook.name}: no Colab launch link {colab}"
