"""Chapter 9 (the playground) quotes its answers' numbers through myst-nb glue, and its momentum hint holds.

Every ``{glue:text}`name``` in the chapter's Markdown must be glued by one of its code cells, and the answer
boxes must not type numbers that the dashboards compute (they would drift when the code changes).
"""

import json
import re
from pathlib import Path

import numpy as np

from radam import problems
from radam.numpy import SGD

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "09_playground.ipynb"
ROLE = re.compile(r"\{glue:text\}`([^`:]+)(?::[^`]*)?`")
CALL = re.compile(r"\bglue\(\s*(f?)\"([^\"]+)\"")
TYPED = re.compile(r"\b\d{1,3}(?:,\d{3})+\b|\b\d+\.\d{2,}\b")
SETTINGS = {"0.99", "0.999", "0.9999", "1,000", "3,000"}  # slider positions the questions name, not results


def cells(kind):
    notebook = json.loads(CHAPTER.read_text())
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == kind]


def glued():
    patterns = []
    for source in cells("code"):
        for f, name in CALL.findall(source):
            patterns.append(re.sub(r"\\\{[^}]*\\\}", r"\\w+", re.escape(name)) if f else re.escape(name))
    return patterns


def answers():
    found = []
    for text in cells("markdown"):
        found += re.findall(r":::\{admonition\} Answer\n:class: dropdown\n(.*?)\n:::", text, re.DOTALL)
    return found


def test_every_number_the_text_pastes_is_glued_by_the_chapter():
    pasted = {name for text in cells("markdown") for name in ROLE.findall(text)}
    assert len(pasted) > 20
    patterns = glued()
    missing = sorted(name for name in pasted if not any(re.fullmatch(p, name) for p in patterns))
    assert not missing, f"nothing glues {missing}"


def test_the_answers_type_no_computed_number():
    boxes = answers()
    assert len(boxes) == 5
    for box in boxes:
        typed = set(TYPED.findall(ROLE.sub("", box))) - SETTINGS
        assert not typed, f"typed numbers {sorted(typed)} in an answer: glue them"


def test_the_check_for_typed_numbers_finds_them():
    assert TYPED.findall("lasts 1,749 steps, r = 0.307, about 30 steps, beta 0.9") == ["1,749", "0.307"]


def test_momentum_moves_the_stability_limit_to_2_1_plus_beta_over_L():
    """Exercise 4's hint: with momentum 0.9 rates up to 2 (1 + 0.9) / 4 = 0.95 converge on the bowl."""
    quadratic = problems.quadratic()
    below = problems.run(SGD(0.94, momentum=0.9), quadratic, steps=2000)
    above = problems.run(SGD(0.96, momentum=0.9), quadratic, steps=2000)
    assert below.losses[-1] < 1e-6 * below.losses[0]
    assert above.diverged or above.losses[-1] > above.losses[0]
    plain = problems.run(SGD(0.51), quadratic, steps=200)  # without momentum the limit is 2 / L = 0.5
    assert plain.diverged or plain.losses[-1] > plain.losses[0]
    assert not np.isnan(below.losses).any()
