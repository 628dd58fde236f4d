"""The API page (book/api.md) documents every module of radam that a chapter imports, each under its own heading."""

import ast
import importlib.util
import json
import re
from pathlib import Path

import ipywidgets  # noqa: F401  (finding radam.widgets' modules imports radam.widgets: the book's install only)

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "book" / "api.md"


def _is_module(name):
    """Whether ``name`` is a module, found without importing it or its parent (a name inside a plain module,
    e.g. radam.keras.RAdam, would otherwise import radam.keras, and TensorFlow with it)."""
    if "." in name:
        parent = name.rsplit(".", 1)[0]
        if not _is_module(parent) or importlib.util.find_spec(parent).submodule_search_locations is None:
            return False
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def chapter_modules(notebook):
    """The radam modules whose names a notebook's code imports (``import radam.x``, ``from radam.x import y``,
    ``from radam import x`` where x is a module) or spells out (``radam.x.y.f``)."""
    found = set()
    for cell in json.loads(Path(notebook).read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "\n".join(line for line in "".join(cell["source"]).splitlines()
                         if not line.lstrip().startswith(("!", "%")))  # shell and magic lines are not Python
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "radam")
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "radam":
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names
                             if _is_module(f"{node.module}.{alias.name}"))
        for dotted in re.findall(r"\bradam(?:\.\w+)+", code):
            parts = dotted.split(".")
            found.update(".".join(parts[:n]) for n in range(2, len(parts) + 1) if _is_module(".".join(parts[:n])))
    return found


def documented_sections():
    """{module: the heading line above its first directive} for every automodule / autoclass / autofunction."""
    sections, heading = {}, None
    for line in API.read_text().splitlines():
        if line.startswith("#"):
            heading = line
        match = re.match(r"\.\. auto(?:module|class|function):: ([\w.]+)", line.strip())
        if match:
            name = match.group(1)
            module = name if line.strip().startswith(".. automodule::") else name.rsplit(".", 1)[0]
            sections.setdefault(module, heading)
    return sections


def test_every_module_a_chapter_imports_is_on_the_api_page():
    used = set()
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        used |= chapter_modules(notebook)
    assert {"radam.numpy", "radam.widgets", "radam.frames"} <= used  # the scan sees the chapters' imports
    missing = sorted(used - set(documented_sections()))
    assert not missing, f"book/api.md does not document {missing}"


def test_every_module_on_the_api_page_has_its_own_heading():
    for module, heading in documented_sections().items():
        assert heading is not None and f"`{module}`" in heading, f"{module} is documented under {heading!r}"


def test_the_scan_finds_every_kind_of_import(tmp_path):
    notebook = tmp_path / "n.ipynb"
    code = ("import radam.keras\nfrom radam.cifar10.figures import arm_style\nfrom radam import frames, COLORS_X\n"
            "!pip install radam\nx = radam.widgets.core.slider\n")
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "source": [code]},
                                              {"cell_type": "markdown", "source": ["import radam.mlp"]}]}))
    assert chapter_modules(notebook) == {"radam", "radam.keras", "radam.cifar10", "radam.cifar10.figures",
                                         "radam.frames", "radam.widgets", "radam.widgets.core"}
