"""The book's mechanics: the table of contents, the notebooks' set-up cell, and (slow) the -W build itself."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
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


def run_set_up_cell(cell, tmp_path, fake_pip=False):
    """Run ``cell`` in a fresh Python that cannot find radam (as in a new Colab runtime), optionally with a pip
    that only records what it was asked; the completed process and what the fake pip recorded."""
    prelude = (
        "import importlib.util\n"
        "find_spec = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'radam' else find_spec(name, *a)\n"
    )
    env = {**os.environ, "PIP_NO_INPUT": "1", "GIT_TERMINAL_PROMPT": "0"}
    record = tmp_path / "pip.json"
    if fake_pip:
        package = tmp_path / "fake" / "pip"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "__main__.py").write_text(
            "import json, os, sys\n"
            "args = sys.argv[1:]\n"
            "keep = open(args[args.index('-c') + 1]).read().split()\n"
            f"json.dump({{'args': args, 'keep': keep}}, open({str(record)!r}, 'w'))\n"
        )
        env["PYTHONPATH"] = str(tmp_path / "fake")
    done = subprocess.run([sys.executable, "-c", prelude + cell], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    return done, (json.loads(record.read_text()) if record.exists() else None)


def test_the_set_up_cell_asks_pip_to_keep_numpy_ipywidgets_tensorflow_and_keras(tmp_path):
    done, pip = run_set_up_cell(setup_cell.expected_cell(), tmp_path, fake_pip=True)
    assert done.returncode == 0, done.stderr
    assert pip["args"][:2] == ["install", "-q"] and pip["args"][-1].endswith(f"@{setup_cell.release_ref()}")
    installed = {}
    for name in ("numpy", "ipywidgets", "tensorflow", "keras"):
        try:
            installed[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    assert sorted(pip["keep"]) == sorted(f"{name}=={version}" for name, version in installed.items())
    assert f"radam {radam.__version__} | Python" in done.stdout  # then the cell reports what the kernel runs


def test_an_unreachable_repository_gets_one_clear_paragraph_and_changes_nothing(tmp_path):
    freeze = [sys.executable, "-m", "pip", "freeze", "--all"]
    before = subprocess.run(freeze, capture_output=True, text=True, check=True).stdout
    cell = setup_cell.render("http://127.0.0.1:9/radam-book", "v0.0.0")
    done, _ = run_set_up_cell(cell, tmp_path)
    assert done.returncode != 0, "the notebook must stop at the set-up cell"
    message = done.stdout
    assert "Could not install radam: pip failed on 'radam[keras,widgets] @ git+http://127.0.0.1:9/radam-book@v0.0.0'" in message
    assert re.search(r"\((.*fatal:|.*ERROR:)", message), f"pip's reason is quoted: {message}"
    assert "Nothing else was installed, upgraded or removed" in message
    assert '!pip install "radam[keras,widgets] @ git+http://127.0.0.1:9/radam-book@v0.0.0"' in message
    assert "repository at v0.0.0 and run  pip install -e ." in message
    assert done.stderr.strip().splitlines()[-1] == "RuntimeError: radam is not installed (see the message above)"
    assert subprocess.run(freeze, capture_output=True, text=True, check=True).stdout == before


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
