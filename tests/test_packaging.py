"""What pyproject.toml declares is what CI tests: the oldest versions, the Pythons, and Colab's runtime; and
the installed package holds every module of the source package (in CI, the wheel: .ci/test_wheel.sh).

The tests marked ``source_tree`` read the checkout's files; the wheel run deselects them."""

import functools
import importlib
import importlib.util
import os
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import radam

try:
    import tomllib
except ImportError:  # Python 3.10, the oldest we support
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
MAIN_CI_PYTHON = "3.11"
"""The Python of the main CI environment (the README's commands, on the CI machine's python3)."""


@functools.cache
def project():
    """The [project] table of pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared():
    """{name: Requirement} of the package's dependencies and extras."""
    requirements = [Requirement(text) for text in project()["dependencies"]]
    for extra in project()["optional-dependencies"].values():
        requirements += [Requirement(text) for text in extra]
    return {requirement.name: requirement for requirement in requirements}


def pins(name):
    """The Python and {package: specifier} of .ci/NAME.txt."""
    text = (ROOT / ".ci" / f"{name}.txt").read_text()
    python = re.search(r"^# python: *(\S+)", text, re.MULTILINE).group(1)
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    return python, {Requirement(line).name: Requirement(line).specifier for line in lines if line}


def lower_bound(requirement):
    (specifier,) = requirement.specifier
    assert specifier.operator == ">=", f"{requirement}: the package declares lower bounds only"
    return specifier.version


@pytest.mark.source_tree
def test_every_declared_lower_bound_is_pinned_exactly_in_the_oldest_environment():
    python, pinned = pins("oldest")
    for name, requirement in declared().items():
        (pin,) = pinned[name]
        assert pin.operator == "==" and Version(pin.version) == Version(lower_bound(requirement)), (
            f"{name}: .ci/oldest.txt must pin exactly the lower bound of {requirement}, not {pin}"
        )


@pytest.mark.source_tree
def test_the_oldest_environment_runs_the_oldest_python_declared():
    python, _ = pins("oldest")
    assert project()["requires-python"] == f">={python}"


@pytest.mark.source_tree
def test_the_classifiers_name_exactly_the_pythons_ci_tests():
    classified = {
        line.rsplit(" :: ", 1)[1]
        for line in project()["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", line)
    }
    assert classified == {pins("oldest")[0], MAIN_CI_PYTHON, pins("colab")[0]}


@pytest.mark.source_tree
def test_colab_installs_the_package_without_upgrading_anything():
    """Every version the Colab environment pins satisfies the package's requirement on it."""
    python, pinned = pins("colab")
    assert Version(python + ".0") in SpecifierSet(project()["requires-python"])
    for name, requirement in declared().items():
        specifier = str(pinned[name]).replace(".*", ".0")
        assert specifier.startswith("=="), f"{name}: .ci/colab.txt pins Colab's version"
        assert Version(specifier[2:]) in requirement.specifier, f"Colab's {name} {specifier[2:]} fails {requirement}"
    assert str(pinned["ipywidgets"]) == "==7.7.1", "Colab breaks with ipywidgets 8"


@pytest.mark.source_tree
def test_the_license_is_an_spdx_expression_with_its_file():
    assert project()["license"] == "MIT"
    assert (ROOT / project()["license-files"][0]).read_text().startswith("MIT License")


def source_modules(package):
    """The dotted name of every module in the source folder ``package`` (a folder named radam)."""
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_of_the_source_package_imports_from_the_installed_package():
    """Each module of the source package (RADAM_SOURCE_PACKAGE, which the wheel run sets; else the checkout's)
    imports, and from the installed package's own folder: in the wheel run, a module the wheel left out fails."""
    source = Path(os.environ.get("RADAM_SOURCE_PACKAGE", ROOT / "radam"))
    names = source_modules(source)
    assert {"radam", "radam.keras", "radam.cifar10", "radam.widgets.core"} <= set(names), f"no radam in {source}"
    installed = Path(radam.__file__).resolve().parent
    extras = ("keras", "tensorflow", "ml_dtypes", "ipywidgets")  # what the keras and widgets extras install
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if (error.name or "").split(".")[0] in extras and importlib.util.find_spec(error.name) is None:
                continue  # an install without that extra (the minimal one): the module needs it
            raise
        relative = Path(*name.split(".")[1:])
        is_package = (source / relative).is_dir()
        expected = installed / relative / "__init__.py" if is_package else installed / f"{relative}.py"
        assert Path(module.__file__).resolve() == expected, f"{name} comes from {module.__file__}, not {expected}"
