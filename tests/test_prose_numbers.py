"""Numbers in the prose of chapters 1-4 come from the code, through myst-nb's glue.

A code cell computes a number and stores it with ``glue("name", value)`` (:func:`radam.prose.glue`);
the Markdown pastes it with ``{glue:text}`name:format```. The fast tests check, without running anything,
that every pasted name is glued by a code cell of the same notebook (and every glued name is pasted), and
that each format spec is valid. The slow test executes the chapters and formats every pasted value as the
book build does.
"""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("0[1-4]_*.ipynb"))
ROLE = re.compile(r"\{glue(?::(text|any|md|figure|math))?\}`([^`]*)`")
TYPES = {"s": str, "d": int, "e": float, "E": float, "f": float, "F": float, "g": float, "G": float, "%": float}


def cells(notebook, kind):
    return ["".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"] if cell["cell_type"] == kind]


def roles(notebook):
    """(role, name, format spec) of every glue role in the notebook's Markdown."""
    found = []
    for text in cells(notebook, "markdown"):
        for role, content in ROLE.findall(text):
            name, _, spec = content.partition(":")
            found.append((role or "any", name, spec))
    return found


def glued(notebook):
    """Regular expressions for the names that code cells glue (an f-string name matches any filling)."""
    patterns = []
    for source in cells(notebook, "code"):
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue" and node.args):
                continue
            name = node.args[0]
            if isinstance(name, ast.Constant):
                patterns.append(re.escape(name.value))
            elif isinstance(name, ast.JoinedStr):
                patterns.append("".join(re.escape(part.value) if isinstance(part, ast.Constant) else r"\w+"
                                        for part in name.values))
            else:
                raise AssertionError(f"{notebook.name}: glue needs a literal name, got {ast.unparse(name)}")
    return patterns


def test_chapters_1_to_4_are_here():
    assert [path.name[:3] for path in CHAPTERS] == ["01_", "02_", "03_", "04_"]


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda path: path.stem)
def test_every_pasted_number_is_glued_by_the_same_notebook(notebook):
    pasted = roles(notebook)
    assert pasted, f"{notebook.name} pastes no computed number"
    patterns = glued(notebook)
    for role, name, _ in pasted:
        assert role == "text", f"{notebook.name}: use {{glue:text}} for {name} (numbers in a sentence)"
        assert "::" not in name and name, f"{notebook.name}: {name!r} must name a value of this notebook"
        assert any(re.fullmatch(pattern, name) for pattern in patterns), f"{notebook.name}: nothing glues {name!r}"
    names = {name for _, name, _ in pasted}
    for pattern in patterns:
        assert any(re.fullmatch(pattern, name) for name in names), f"{notebook.name}: {pattern} is glued, never pasted"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda path: path.stem)
def test_format_specs_are_valid(notebook):
    for _, name, spec in roles(notebook):
        if spec:
            assert spec[-1] in TYPES, f"{notebook.name}: {name}:{spec} must end in a type character (myst-nb)"
            format(TYPES[spec[-1]](1), spec)  # raises ValueError on a malformed spec


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda path: path.stem)
def test_no_glue_role_is_malformed(notebook):
    """A role that the regular expression misses (a typo) would reach the page as raw text."""
    for text in cells(notebook, "markdown"):
        assert text.count("{glue") == len(ROLE.findall(text)), f"{notebook.name}: a malformed glue role in {text[:80]!r}"


@pytest.mark.slow
def test_pasted_numbers_format_after_executing_the_chapters():
    """Run chapters 1-4 (about four minutes) and format every pasted value exactly as the book build does."""
    import nbformat
    from myst_nb.core.variables import format_plain_text
    from nbclient import NotebookClient

    for notebook in CHAPTERS:
        executed = nbformat.read(notebook, as_version=4)
        NotebookClient(executed, timeout=1200, resources={"metadata": {"path": str(notebook.parent)}}).execute()
        values = {}
        for cell in executed.cells:
            for output in cell.get("outputs", []):
                record = output.get("metadata", {}).get("scrapbook")
                if record:
                    values[record["name"]] = next(v for k, v in output["data"].items() if k.endswith("text/plain"))
        for _, name, spec in roles(notebook):
            assert name in values, f"{notebook.name}: {name} was not glued when the notebook ran"
            text = format_plain_text(values[name], spec)
            assert "np." not in text and "array" not in text, f"{notebook.name}: {name} pasted as {text!r}"
            print(f"{notebook.stem}: {name} = {text}")
