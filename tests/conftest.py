"""Fixtures shared by the test modules, and the minimal install: test modules that need a package the install
lacks (Keras, TensorFlow, ipywidgets: the ``keras`` and ``widgets`` extras) are skipped, each with its reason."""

import ast
import importlib
import importlib.util

import pytest

OPTIONAL = {"keras": "keras", "tensorflow": "keras", "ml_dtypes": "keras", "ipywidgets": "widgets"}
"""The packages of radam's extras: package -> the extra that installs it."""
MISSING = {name for name in OPTIONAL if importlib.util.find_spec(name) is None}


def _import(module, name=None):
    """What ``import module`` or ``from module import name`` gives (a lazy attribute imports its module)."""
    imported = importlib.import_module(module)
    if name is None:
        return imported
    try:
        return getattr(imported, name)
    except AttributeError:
        return importlib.import_module(f"{module}.{name}")


def _missing_import(path):
    """The missing optional package that a top-level import of the test module at ``path`` needs, or None."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            imports = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imports = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in imports:
            try:
                _import(module, name)
            except ImportError as error:
                root = (getattr(error, "name", None) or "").split(".")[0]
                if root in MISSING:
                    return root
                # Any other missing module (a test tool): a later import may still need an extra, and collecting
                # the module reports the rest.
    return None


class _NeedsExtra(pytest.File):
    """A test module whose imports need a package this install lacks: one skipped item saying which."""

    def __init__(self, *, package, **kwargs):
        super().__init__(**kwargs)
        self.package = package

    def collect(self):
        yield _Skipped.from_parent(self, name=self.path.name, package=self.package)


class _Skipped(pytest.Item):
    def __init__(self, *, package, **kwargs):
        super().__init__(**kwargs)
        self.package = package

    def runtest(self):
        pytest.skip(f"needs {self.package}, which this install lacks (pip install 'radam[{OPTIONAL[self.package]}]')")


def pytest_pycollect_makemodule(module_path, parent):
    if MISSING:
        package = _missing_import(module_path)
        if package:
            return _NeedsExtra.from_parent(parent, path=module_path, package=package)
    return None


@pytest.fixture(params=["float32", "float64"])
def floatx(request):
    """keras.config.floatx() set to float32 or float64 for the test, restored afterwards."""
    import keras  # only the tests that ask for this fixture pay for importing Keras

    previous = keras.config.floatx()
    keras.config.set_floatx(request.param)
    yield request.param
    keras.config.set_floatx(previous)


def _register_hypothesis_profiles():
    """hypothesis's profiles for the property tests (test_optimizer_properties.py): "default", a few examples per
    property for the fast tier, and "ci", many more; HYPOTHESIS_PROFILE=ci selects it."""
    import os

    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # the minimal install: the property tests are not collected without hypothesis
        return
    quiet = [HealthCheck.too_slow, HealthCheck.filter_too_much]
    # no example database (nothing written into the checkout); the fast tier draws the same examples every run
    settings.register_profile(
        "default", max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=quiet
    )
    settings.register_profile("ci", max_examples=300, deadline=None, database=None, suppress_health_check=quiet)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


_register_hypothesis_profiles()
