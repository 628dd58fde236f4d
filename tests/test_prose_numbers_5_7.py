"""Chapters 5-7 quote computed numbers only through myst-nb glue: every ``{glue:text}`name:format``` (or other
glue role or directive) in a chapter's Markdown must be glued by a code cell of the same chapter, so the text
cannot drift from the code.

Glue calls are read from the code: ``glue("name", ...)`` and, where the name is built in a loop,
``glue(f"sweep_{lr:g}_dead_min", ...)``, whose placeholders match any run of word characters and dots;
``glue_range(f"ev_{key}_dead", ...)`` (a chapter's helper) glues ``<name>_min`` and ``<name>_max``.
"""

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = ["05_variance_and_warmup.ipynb", "06_radam.ipynb", "07_radam_in_keras.ipynb"]

ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")
DIRECTIVE = re.compile(r"^[`:]{3,}\{glue(?::\w+)?\}\s+(\S+)", re.MULTILINE)
CALL = re.compile(r"\b(glue|glue_range)\(\s*(f?)(['\"])(.+?)\3")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def cells(name, kind):
    notebook = json.loads((BOOK / name).read_text())
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == kind]


def referenced(name):
    """Glue keys the Markdown of a chapter uses (the part of a role before its format)."""
    keys = set()
    for text in cells(name, "markdown"):
        keys |= {match.split(":", 1)[0].strip() for match in ROLE.findall(text)}
        keys |= {match.split(":", 1)[0] for match in DIRECTIVE.findall(text)}
    return keys


def glued(name):
    """Regular expressions of the keys the code cells of a chapter glue."""
    patterns = []
    for source in cells(name, "code"):
        for function, f, _, key in CALL.findall(source):
            if f:
                parts = PLACEHOLDER.split(key)
                if not any(parts):  # a helper's own generic call, glue(f"{name}_min"): not a key
                    continue
                if not parts[0]:
                    continue
                key = r"[\w.]+".join(map(re.escape, parts))
            else:
                key = re.escape(key)
            if function == "glue_range":
                key += "_(?:min|max)"
            patterns.append(re.compile(key + r"\Z"))
    return patterns


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_glued_number_in_the_text_is_glued_by_the_chapter(chapter):
    keys, patterns = referenced(chapter), glued(chapter)
    assert keys, f"{chapter}: the text quotes no glued number"
    missing = sorted(key for key in keys if not any(p.match(key) for p in patterns))
    assert not missing, f"{chapter}: the text quotes {missing}, which no code cell glues"


def test_the_patterns_read_literal_and_formatted_names():
    source = 'glue("a", 1)\nglue(f"b_{x:g}_c", 2)\nglue_range(f"d_{k}", r)\nglue(f"{name}_min", 3)'
    patterns = [p.pattern for p in glued_from(source)]
    assert any(re.fullmatch(p, "a") for p in patterns)
    assert any(re.fullmatch(p, "b_0.01_c") for p in patterns)
    assert any(re.fullmatch(p, "d_adam_max") for p in patterns)
    assert not any(re.fullmatch(p, "anything_min") for p in patterns)


def glued_from(source, name="_test.ipynb"):
    path = BOOK / name
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": [source]}]}))
    try:
        return glued(name)
    finally:
        path.unlink()


TEXT_MACRO = re.compile(r"\\text\{([^{}]*)\}")


@pytest.mark.parametrize("chapter", CHAPTERS[:2])
def test_math_text_never_holds_an_escaped_underscore(chapter):
    # MathJax shows \text{a\_b} with a literal backslash; the chapters write names as \mathrm{a\_b}
    found = [match for text in cells(chapter, "markdown") for match in TEXT_MACRO.findall(text) if "\\_" in match]
    assert not found, f"{chapter}: \\text{{...}} with an escaped underscore: {found}"


def test_the_math_text_pattern_finds_an_escaped_underscore():
    assert TEXT_MACRO.findall(r"$\text{warmup\_steps} = 2$") == [r"warmup\_steps"]
    assert not [m for m in TEXT_MACRO.findall(r"$\mathrm{warmup\_steps}$, $\text{if }$") if "\\_" in m]
