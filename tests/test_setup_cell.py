"""What the chapters' set-up cell (book/_ext/setup_cell.py) does when run: each test runs the cell's code in a
fresh Python, as a new Colab runtime would, with a stand-in for what it meets there (no radam, a pip that only
records, a pip that fails, no pip, a radam that fails on import) and a temporary folder of its own to keep clean.
That every chapter starts with this cell is tests/test_book.py's."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import radam

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "book" / "_ext" / "setup_cell.py")
setup_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup_cell)

HIDE_RADAM = (
    "import importlib.util\n"
    "find_spec = importlib.util.find_spec\n"
    "importlib.util.find_spec = lambda name, *a: None if name == 'radam' else find_spec(name, *a)\n"
)
"""Put before the cell: the fresh Python cannot find radam, as in a new Colab runtime."""

RECORDING_PIP = (
    "import json, os, sys\n"
    "args = sys.argv[1:]\n"
    "keep = open(args[args.index('-c') + 1]).read().split()\n"
    "json.dump({'args': args, 'keep': keep}, open(os.environ['PIP_RECORD'], 'w'))\n"
)
"""A pip (its ``__main__``) that only records what it was asked, and the constraints it was given."""


def run_set_up_cell(cell, tmp_path, *, prelude=HIDE_RADAM, python=sys.executable, fake=None):
    """Run ``prelude`` and ``cell`` in a fresh ``python`` whose temporary folder is ``tmp_path / "tmp"``, with
    the packages ``fake`` ({name: {file: text}}) found first; the completed process, what a recording pip
    recorded (or None) and what the cell left in its temporary folder."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "PIP_NO_INPUT": "1", "GIT_TERMINAL_PROMPT": "0", "TMPDIR": str(temporary),
           "PIP_RECORD": str(tmp_path / "pip.json")}
    if fake:
        for package, files in fake.items():
            (tmp_path / "fake" / package).mkdir(parents=True)
            for name, text in files.items():
                (tmp_path / "fake" / package / name).write_text(text)
        env["PYTHONPATH"] = str(tmp_path / "fake")
    done = subprocess.run([python, "-c", prelude + cell], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300)
    record = tmp_path / "pip.json"
    return done, (json.loads(record.read_text()) if record.exists() else None), sorted(temporary.iterdir())


def test_the_set_up_cell_asks_pip_to_keep_numpy_ipywidgets_tensorflow_and_keras(tmp_path):
    fake = {"pip": {"__init__.py": "", "__main__.py": RECORDING_PIP}}
    done, pip, left = run_set_up_cell(setup_cell.expected_cell(), tmp_path, fake=fake)
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
    assert left == [], "the constraints file is removed after the install"


def test_an_unreachable_repository_gets_one_clear_paragraph_and_changes_nothing(tmp_path):
    freeze = [sys.executable, "-m", "pip", "freeze", "--all"]
    before = subprocess.run(freeze, capture_output=True, text=True, check=True).stdout
    cell = setup_cell.render("http://127.0.0.1:9/radam-book", "v0.0.0")
    done, _, left = run_set_up_cell(cell, tmp_path)
    assert done.returncode != 0, "the notebook must stop at the set-up cell"
    message = done.stdout
    assert "Could not install radam: pip exited with status 1 running\n  " in message
    assert f"{sys.executable} -m pip install -q -c " in message
    assert "'radam[keras,widgets] @ git+http://127.0.0.1:9/radam-book@v0.0.0'\n" in message
    assert re.search(r"\n  .*fatal: unable to access 'http://127\.0\.0\.1:9/radam-book/'", message), message
    assert "Nothing else was installed, upgraded or removed" in message
    assert '!pip install "radam[keras,widgets] @ git+http://127.0.0.1:9/radam-book@v0.0.0"' in message
    assert "repository at v0.0.0 and run  pip install -e ." in message
    assert done.stderr.strip().splitlines()[-1] == "RuntimeError: radam is not installed (see the message above)"
    assert subprocess.run(freeze, capture_output=True, text=True, check=True).stdout == before
    assert left == [], "the constraints file is removed after a failed install too"


def test_a_failing_pip_is_quoted_with_the_command_and_its_last_lines(tmp_path):
    failing = "import sys\nfor i in range(1, 21):\n    print(f'pip line {i}', file=sys.stderr)\nsys.exit(3)\n"
    done, _, left = run_set_up_cell(setup_cell.expected_cell(), tmp_path,
                                    fake={"pip": {"__init__.py": "", "__main__.py": failing}})
    assert done.returncode != 0
    message = done.stdout
    command = re.search(r"pip exited with status 3 running\n  (.*)\n", message)
    assert command, message
    assert command.group(1).startswith(f"{sys.executable} -m pip install -q -c {tmp_path / 'tmp'}")
    assert command.group(1).endswith(f"'radam[keras,widgets] @ git+{setup_cell.repository_url()}"
                                     f"@{setup_cell.release_ref()}'")
    shown = re.findall(r"^  pip line (\d+)$", message, re.MULTILINE)
    assert shown == [str(i) for i in range(9, 21)], "pip's last twelve lines, in order"
    assert done.stderr.strip().splitlines()[-1] == "RuntimeError: radam is not installed (see the message above)"
    assert left == []


def test_a_python_without_pip_says_so(tmp_path):
    """A Python without pip (a bare virtual environment) fails the same way, with Python's own words."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    done, _, left = run_set_up_cell(setup_cell.expected_cell(), tmp_path, python=str(python))
    assert done.returncode != 0
    assert re.search(rf"pip exited with status 1 running\n  {re.escape(str(python))} -m pip install ", done.stdout)
    assert re.search(r"\n  .*No module named pip\n", done.stdout), done.stdout
    assert left == []


def test_a_radam_that_fails_on_import_is_explained_and_its_error_kept(tmp_path):
    """radam is there but broken (a half-finished upgrade, NumPy changed under it): the cell installs nothing,
    says what failed and what to do, and the original traceback stays for whoever debugs it."""
    broken = {"radam": {"__init__.py": "raise ImportError('numpy.core.multiarray failed to import')\n"},
              "pip": {"__init__.py": "", "__main__.py": RECORDING_PIP}}
    done, pip, left = run_set_up_cell(setup_cell.expected_cell(), tmp_path, prelude="", fake=broken)
    assert done.returncode != 0 and pip is None and left == []
    assert ("radam is installed but importing it failed (ImportError: numpy.core.multiarray failed to import). "
            "Restart the runtime") in " ".join(done.stdout.split())
    assert '--no-deps --force-reinstall "radam[keras,widgets] @ git+' in done.stdout
    stderr = done.stderr.strip().splitlines()
    assert f'File "{tmp_path / "fake" / "radam" / "__init__.py"}", line 1' in done.stderr
    assert "ImportError: numpy.core.multiarray failed to import" in stderr
    assert stderr[-1] == "RuntimeError: radam does not import (see above)"
