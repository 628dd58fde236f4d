"""A Sphinx extension for the book: bibliography labels in author-year form ("Liu et al. 2020"), matching the
author-year citations of the text (sphinxcontrib-bibtex's default "alpha" labels garble accented names)."""

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _last_name(person):
    return "".join(part.render_as("text") for part in person.rich_last_names)


class AuthorYearLabels(BaseLabelStyle):
    """Label = first author's last name (and "et al." for three or more, "and" for two) and the year, with "a",
    "b", ... after the year where two works would get the same label."""

    def format_labels(self, sorted_entries):
        labels = [self._label(entry) for entry in sorted_entries]
        seen = {}
        for label in labels:
            if labels.count(label) > 1:  # two works of one first author in one year: "2020a", "2020b"
                seen[label] = seen.get(label, -1) + 1
                yield f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label]]}"
            else:
                yield label

    @staticmethod
    def _label(entry):
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_last_name(person) for person in people]
        if len(names) >= 3:
            who = f"{names[0]} et al."
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = names[0] if names else entry.key
        return f"{who} {entry.fields.get('year', '')}".strip()


class AuthorYearStyle(UnsrtStyle):
    """The unsrt formatting with author-year labels, sorted by author."""

    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
