"""Chapters 5-7 quote computed numbers only through myst-nb glue: every ``{glue:text}`name:format``` (or other
glue role or directive) in a chapter's Markdown must be glued by a code cell of the same chapter, so the text
cannot drift from the code.

Glue calls are read from the code: ``glue("name", ...)`` and, where the name is built in a loop,
``glue(f"sweep_{lr:g}_dead_min", ...)``, whose placeholders match any run of word characters and dots;
``glue_range(f"ev_{key}_dead", ...)`` (a chapter's helper) glues ``<name>_min`` and ``<name>_max``.

Where a sentence says what its glued numbers mean (chapter 5 on the first step of Adam with v known), a test
recomputes them independently and holds the sentence's words to them.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.source_tree  # every test here reads the chapters, which the wheel does not ship

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


def v_known_first_gradient(batch_size):
    """Seed 0's first gradient g_1 on chapter 5's network (the first batch mlp.train draws, or all images for
    None) and the v_0 = E[g^2] that Adam with v known starts from, flattened."""
    from radam import mlp, warmup_evidence

    data = mlp.synthetic_images(seed=0)
    if batch_size is None:
        X, y = data.X, data.y
    else:
        batch = np.random.default_rng(0).integers(0, len(data.y), batch_size)
        X, y = data.X[batch], data.y[batch]
    g = np.concatenate([g.ravel() for g in mlp.MLP(256, seed=0).loss_and_gradients(X, y)[1]])
    v_0 = np.concatenate([v.ravel() for v in warmup_evidence.second_moment(data, 0, batch_size)])
    return g[g != 0], v_0[g != 0]


def v_known_first_steps(batch_size, epsilon=0.0):
    """|first step| / lr of Adam with v known where g_1 is not zero: |g_1| / (sqrt(beta_2 v_0 + (1 - beta_2)
    g_1^2) + epsilon), from m_1 / (1 - beta_1) = g_1 and v_1 = beta_2 v_0 + (1 - beta_2) g_1^2."""
    g, v_0 = v_known_first_gradient(batch_size)
    return np.abs(g) / (np.sqrt(0.99 * v_0 + 0.01 * g**2) + epsilon)


def test_the_v_known_sentence_holds_for_the_chapters_network():
    # chapter 5 says that Adam with v known does not step +-lr: (epsilon aside) more than lr where g_1^2 > E[g^2],
    # up to lr / sqrt(1 - beta_2), less elsewhere, and lr at full batch; it glues the median, the share above lr
    # and the largest, which the chapter computes with PrimedAdam's own step
    text = "\n".join(cells(CHAPTERS[0], "markdown"))
    sentence = re.search(r"Adam with \$v\$ known does not step.*?as plain Adam's\.\)", text, re.DOTALL)
    assert sentence, "chapter 5 no longer states the first step of Adam with v known"
    sentence = " ".join(sentence.group().split())
    for key in ("known_step_bound", "known_step_median", "known_step_above", "known_step_max"):
        assert f"{{glue:text}}`{key}" in sentence
    assert "more than $\\mathrm{lr}$ wherever the first gradient's $g_1^2$ exceeds $\\mathrm{E}[g^2]$" in sentence
    assert "and less elsewhere" in sentence and "At full batch $v_0 = g_1^2$" in sentence
    g, v_0 = v_known_first_gradient(64)
    steps = v_known_first_steps(64)
    assert np.array_equal(steps > 1, g**2 > v_0)  # more than lr exactly where g_1^2 > E[g^2]
    assert steps.max() > 2 and steps.min() < 1 and 0 < np.mean(steps > 1) < 1  # more in some, less in others
    assert steps.max() <= 10 * (1 + 1e-12)  # lr / sqrt(1 - beta_2)
    np.testing.assert_allclose(v_known_first_steps(None), 1.0, rtol=1e-12)  # full batch: v_0 = g_1^2
    # the claims it replaced: first updates "as large" as plain Adam's, with nothing on how they are spread
    assert not re.search(r"v\$ known \(their first updates are as\s+large\)", text)
    assert "about as large as plain Adam's" not in text


def test_primed_adams_first_step_is_the_formula_the_test_uses():
    from radam import mlp, warmup_evidence

    data = mlp.synthetic_images(seed=0)
    batch = np.random.default_rng(0).integers(0, len(data.y), 64)
    _, grads = mlp.MLP(256, seed=0).loss_and_gradients(data.X[batch], data.y[batch])
    model, start = mlp.MLP(256, seed=0), mlp.MLP(256, seed=0).params
    warmup_evidence.make_optimizer("Adam, v known", data, 0, 64).step(model.params, [g.copy() for g in grads])
    moved = np.concatenate([np.abs(p - p0)[g != 0] for p, p0, g in zip(model.params, start, grads)])
    np.testing.assert_allclose(moved / warmup_evidence.LR, v_known_first_steps(64, epsilon=1e-7), rtol=1e-9)
