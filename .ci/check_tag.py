"""The release rule: a release tag is ``v`` + ``radam.__version__``, and CHANGELOG.md has a dated entry for it.

    python .ci/check_tag.py v0.1.0                    # exit 0, or 1 with the reason (the release workflow)
    python .ci/check_tag.py v0.1.0 --notes notes.md   # also write the version's CHANGELOG entry to notes.md
    python .ci/check_tag.py --print                   # print the tag of the current version

The chapters' set-up cell and Colab's launch buttons open the tag ``v`` + ``radam.__version__``
(book/_ext/setup_cell.py), so a release tagged otherwise would leave the book pointing at nothing. The version
is read from radam/__init__.py without importing the package (as setuptools reads it for the build), so the
check needs nothing installed.
"""

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENTRY = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?[ \t]*$", re.MULTILINE)
"""A version's heading in CHANGELOG.md (Keep a Changelog): ``## [0.1.0] - 2026-12-06``."""
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def package_version(init_path=ROOT / "radam" / "__init__.py"):
    """``__version__`` as radam/__init__.py assigns it."""
    for node in ast.parse(Path(init_path).read_text()).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
            return ast.literal_eval(node.value)
    raise ValueError(f"{init_path} assigns no __version__")


def tag_problem(tag, version):
    """Why ``tag`` cannot release ``version`` (a sentence), or None when it is ``v`` + ``version``."""
    if tag == f"v{version}":
        return None
    return (f"the tag {tag!r} does not match the package: radam.__version__ is {version!r}, so the release tag "
            f"must be 'v{version}'. Change __version__ in radam/__init__.py (and run book/_ext/setup_cell.py) "
            f"or tag the commit 'v{version}'.")


def changelog_entry(text, version):
    """(date, body) of ``version``'s entry in the CHANGELOG ``text``; date is None when the heading has none.
    Raises ValueError when there is no entry."""
    headings = list(ENTRY.finditer(text))
    for i, heading in enumerate(headings):
        if heading["version"] == version:
            end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
            body = text[heading.end():end]
            body = re.split(r"^\[[^\]]+\]: ", body, flags=re.MULTILINE)[0]  # not the link definitions after it
            return heading["date"], body.strip()
    raise ValueError(f"CHANGELOG.md has no entry for {version}: add a '## [{version}] - YYYY-MM-DD' section")


def release_problem(tag, version, changelog_text):
    """Why ``tag`` cannot be released (a sentence), or None: the tag rule, then a dated CHANGELOG entry."""
    problem = tag_problem(tag, version)
    if problem:
        return problem
    try:
        date, body = changelog_entry(changelog_text, version)
    except ValueError as e:
        return str(e)
    if date is None or not DATE.fullmatch(date):
        return (f"CHANGELOG.md's entry for {version} has no release date ({date or 'none'}): "
                f"write its heading as '## [{version}] - YYYY-MM-DD' in the release commit")
    if not body:
        return f"CHANGELOG.md's entry for {version} is empty"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tag", nargs="?", help="the git tag to release, e.g. v0.1.0")
    parser.add_argument("--notes", help="write the version's CHANGELOG entry to this file (the release notes)")
    parser.add_argument("--print", action="store_true", help="print the tag of the current version and stop")
    parser.add_argument("--changelog", default=ROOT / "CHANGELOG.md", help="the changelog (default: CHANGELOG.md)")
    args = parser.parse_args(argv)
    version = package_version()
    if args.print:
        print(f"v{version}")
        return 0
    if args.tag is None:
        parser.error("give the tag to check, or --print")
    changelog = Path(args.changelog).read_text()
    problem = release_problem(args.tag, version, changelog)
    if problem:
        print(f"release refused: {problem}", file=sys.stderr)
        return 1
    if args.notes:
        Path(args.notes).write_text(changelog_entry(changelog, version)[1] + "\n")
    print(f"{args.tag} releases radam {version}, with its CHANGELOG entry")
    return 0


if __name__ == "__main__":
    sys.exit(main())
