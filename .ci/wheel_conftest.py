"""pytest plugin of the wheel run (.ci/test_wheel.sh copies it as conftest.py beside its copy of tests/).

There the package is the installed wheel and the checkout is not on sys.path: this plugin stops the run when
``radam`` would be imported from anywhere but the virtual environment, and leaves out the test modules that
read the checkout, which a wheel does not ship. A test module reads the checkout when it finds files above its
own folder through its own location (``Path(__file__).resolve().parents[1]``, ``.parent.parent``); files beside it
(``Path(__file__).with_name(...)``) are in the copy of tests/. A module that marks such tests ``source_tree``
itself is collected, and ``-m "not source_tree"`` deselects just those tests.
"""

import os
import re
import sys
from pathlib import Path

import pytest

_LEFT_OUT = {}
"""{test module: the line by which it finds the checkout}, the modules the wheel run leaves out."""
_ABOVE_TESTS = re.compile(r"__file__.*(\.parents\[|\.parent\.parent)")


def _reads_the_checkout(path):
    """The first line of a test module that finds files above tests/ through ``__file__``, when it marks no
    test ``source_tree`` itself; else None."""
    text = path.read_text()
    if "pytest.mark.source_tree" in text:
        return None
    return next((line.strip() for line in text.splitlines() if _ABOVE_TESTS.search(line)), None)


def pytest_configure(config):
    import radam

    installed = Path(radam.__file__).resolve()
    checkout = Path(os.environ["RADAM_CHECKOUT"]).resolve()
    if not installed.is_relative_to(Path(sys.prefix).resolve()) or installed.is_relative_to(checkout):
        raise pytest.UsageError(f"radam is imported from {installed}, not from the wheel installed in {sys.prefix}")
    for path in sorted(Path(config.rootpath, "tests").glob("test_*.py")):
        line = _reads_the_checkout(path)
        if line:
            _LEFT_OUT[path.name] = line


def pytest_terminal_summary(terminalreporter):
    import radam

    terminalreporter.write_sep("-", "the wheel run")
    terminalreporter.write_line(f"radam {radam.__version__} imported from {radam.__file__}")
    for name, line in _LEFT_OUT.items():
        terminalreporter.write_line(f"left out, it reads the checkout (not in the wheel): {name}: {line}")


def pytest_ignore_collect(collection_path, config):
    return True if collection_path.name in _LEFT_OUT else None
