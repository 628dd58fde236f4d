"""The package's layout (ARCHITECTURE.md): modules of a few hundred lines, no import cycle, no private name
imported from another module, and reading results needs NumPy only."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "radam"
MODULES = {
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): path
    for path in sorted(PACKAGE.rglob("*.py"))
}


def imports(name, path):
    """The radam modules that module ``name`` imports anywhere in its code (lazy imports too), with the names
    it takes from each."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative
                base = name.split(".")[: len(name.split(".")) - node.level + (path.name == "__init__.py")]
                module = ".".join(base + ([module] if module else []))
            for alias in node.names:
                if f"{module}.{alias.name}" in MODULES:
                    found.append((f"{module}.{alias.name}", None))
                else:
                    found.append((module, alias.name))
    return [(module, taken) for module, taken in found if module in MODULES]


def test_no_module_is_over_400_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > 400}
    assert not long, f"modules over 400 lines: {long}"


def test_no_private_name_is_imported_from_another_module():
    crossing = [
        f"{name} imports {taken} from {module}"
        for name, path in MODULES.items()
        for module, taken in imports(name, path)
        if taken and taken.startswith("_") and not taken.endswith("__") and module != name
    ]
    assert not crossing


def test_the_package_has_no_import_cycle():
    graph = {name: {module for module, _ in imports(name, path) if module != name} for name, path in MODULES.items()}
    # A package imports its parent package on the way: that edge is Python's, not a cycle of the code.
    graph = {name: {m for m in targets if not name.startswith(m + ".")} for name, targets in graph.items()}
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, f"import cycles: {cycles}"


BLOCK_KERAS = """
import sys


class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras"):
            raise ModuleNotFoundError(f"{name} is blocked", name=name)


sys.meta_path.insert(0, Blocked())
"""


@pytest.mark.parametrize(
    "code",
    [
        "import radam.cifar10.results, radam.cifar10.analysis, radam.cifar10.schema, radam.cifar10.store",
        "from radam.cifar10 import Results, ResultsError, summary_table, analysis, provenance",
        "import radam.cifar10.live_check, radam.cifar10.live_slice, radam.cifar10.stats",
        "import radam, radam.numpy, radam.theory, radam.schedules, radam.problems, radam.warmup_evidence",
    ],
)
def test_reading_results_and_the_numpy_layer_need_no_tensorflow(code):
    check = (
        f"{BLOCK_KERAS}\n{code}\n"
        "from radam.cifar10 import Results, summary_table\n"
        f"rows = summary_table(Results.load({str(PACKAGE.parent / 'book' / 'results' / 'reference')!r}))\n"
        "assert len(rows) == 6, rows\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]\n"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_blocker_does_block():
    """The check above can fail: with Keras blocked, the runner does not import."""
    check = f"{BLOCK_KERAS}\nimport radam.cifar10.runner\n"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "keras is blocked" in result.stderr


def test_the_three_radams_keep_the_same_defaults():
    """numpy.RAdam, keras.RAdam and variants.RAdamVariant type their defaults each in its signature (the book
    prints them); this keeps them from drifting apart. RAdamVariant's epsilon is the paper's 1e-8 on purpose."""
    pytest.importorskip("keras", reason="radam.keras needs Keras")
    import inspect

    import radam.keras
    from radam import numpy as rnp
    from radam import variants

    def defaults(cls):
        parameters = inspect.signature(cls.__init__).parameters.items()
        return {name: p.default for name, p in parameters if p.default is not inspect.Parameter.empty}

    numpy_defaults, keras_defaults = defaults(rnp.RAdam), defaults(radam.keras.RAdam)
    variant = defaults(variants.RAdamVariant)
    assert {name: keras_defaults[name] for name in numpy_defaults} == numpy_defaults
    shared = ("learning_rate", "beta_1", "beta_2", "weight_decay")
    assert {name: variant[name] for name in shared} == {name: numpy_defaults[name] for name in shared}
    assert variant["threshold"] == numpy_defaults["sma_threshold"] and variant["epsilon"] == 1e-8
