"""What pyproject.toml declares is what CI tests: the oldest versions, the Pythons, and Colab's runtime."""

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10, the oldest we support
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
MAIN_CI_PYTHON = "3.11"
"""The Python of the main CI environment (the README's commands, on the CI machine's python3)."""


def declared():
    """{name: Requirement} of the package's dependencies and extras."""
    requirements = [Requirement(text) for text in PROJECT["dependencies"]]
    for extra in PROJECT["optional-dependencies"].values():
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


def test_every_declared_lower_bound_is_pinned_exactly_in_the_oldest_environment():
    python, pinned = pins("oldest")
    for name, requirement in declared().items():
        (pin,) = pinned[name]
        assert pin.operator == "==" and Version(pin.version) == Version(lower_bound(requirement)), (
            f"{name}: .ci/oldest.txt must pin exactly the lower bound of {requirement}, not {pin}"
        )


def test_the_oldest_environment_runs_the_oldest_python_declared():
    python, _ = pins("oldest")
    assert PROJECT["requires-python"] == f">={python}"


def test_the_classifiers_name_exactly_the_pythons_ci_tests():
    classified = {
        line.rsplit(" :: ", 1)[1]
        for line in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", line)
    }
    assert classified == {pins("oldest")[0], MAIN_CI_PYTHON, pins("colab")[0]}


def test_colab_installs_the_package_without_upgrading_anything():
    """Every version the Colab environment pins satisfies the package's requirement on it."""
    python, pinned = pins("colab")
    assert Version(python + ".0") in SpecifierSet(PROJECT["requires-python"])
    for name, requirement in declared().items():
        specifier = str(pinned[name]).replace(".*", ".0")
        assert specifier.startswith("=="), f"{name}: .ci/colab.txt pins Colab's version"
        assert Version(specifier[2:]) in requirement.specifier, f"Colab's {name} {specifier[2:]} fails {requirement}"
    assert str(pinned["ipywidgets"]) == "==7.7.1", "Colab breaks with ipywidgets 8"


def test_the_license_is_an_spdx_expression_with_its_file():
    assert PROJECT["license"] == "MIT"
    assert (ROOT / PROJECT["license-files"][0]).read_text().startswith("MIT License")
