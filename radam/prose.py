"""Numbers for the prose: :func:`glue` keeps a computed value for the Markdown of the built book.

In a chapter, ``glue("dead_at_10", 0.97)`` in a code cell and ``{glue:text}`dead_at_10:.0%``` in the text:
the book's build (myst-nb) pastes the value, formatted, into the sentence, so the text cannot drift from the
code that computed it. ``tests/test_prose_numbers_5_7.py`` checks that every number the text quotes is glued.
"""

import numpy as np


def glue(name, value):
    """Store ``value`` under ``name`` for ``{glue:text}`` (a plain int or float, so format specs apply).

    It returns nothing, so a cell that ends with it shows no output. Where myst-nb is missing (Colab, a plain
    Jupyter) nothing is stored and the cell still runs."""
    if isinstance(value, (bool, np.bool_)):
        value = bool(value)
    elif isinstance(value, np.integer):
        value = int(value)
    elif isinstance(value, np.floating):
        value = float(value)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=False)
