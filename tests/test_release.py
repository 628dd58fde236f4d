"""Releases: the tag rule (.ci/check_tag.py), the CHANGELOG entry of the current version, the workflows that
publish the book and the package, and what the README says about them."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import radam

pytestmark = pytest.mark.source_tree
ROOT = Path(__file__).resolve().parents[1]
DATED = """# Changelog

## [Unreleased]

## [0.1.0] - 2026-12-06

### Added

- The first release.

[Unreleased]: https://example.org/compare/v0.1.0...HEAD
[0.1.0]: https://example.org/releases/tag/v0.1.0
"""


@pytest.fixture(scope="module")
def check_tag():
    spec = importlib.util.spec_from_file_location("check_tag", ROOT / ".ci" / "check_tag.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workflow(name):
    """A workflow's YAML; its `on` key (YAML 1.1 reads it as True) as "on"."""
    loaded = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    loaded["on"] = loaded.pop(True)
    return loaded


def runs(job):
    return "\n".join(step.get("run", "") for step in job["steps"])


def section(text, heading):
    """The text of the README section ``heading`` (up to the next ``## `` heading)."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


def test_the_version_is_the_one_the_package_reports(check_tag):
    assert check_tag.package_version() == radam.__version__


def test_the_current_version_has_a_changelog_entry(check_tag):
    text = (ROOT / "CHANGELOG.md").read_text()
    assert re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)[:2] == ["Unreleased", radam.__version__]
    date, body = check_tag.changelog_entry(text, radam.__version__)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}|unreleased", date), f"the entry's date is {date!r}"
    assert body.count("\n- ") >= 1, "the entry lists what the version holds"


def test_the_tag_rule_accepts_v_and_the_version(check_tag):
    assert check_tag.tag_problem("v0.1.0", "0.1.0") is None


@pytest.mark.parametrize("tag", ["0.1.0", "v0.1.1", "v0.1", "v0.1.0rc1", "V0.1.0", "refs/tags/v0.1.0", "v0.1.0 "])
def test_the_tag_rule_refuses_any_other_tag_and_names_the_right_one(check_tag, tag):
    problem = check_tag.tag_problem(tag, "0.1.0")
    assert problem is not None and repr(tag) in problem and "'v0.1.0'" in problem, problem


def test_a_release_needs_a_dated_nonempty_changelog_entry(check_tag):
    assert check_tag.release_problem("v0.1.0", "0.1.0", DATED) is None
    assert check_tag.changelog_entry(DATED, "0.1.0") == ("2026-12-06", "### Added\n\n- The first release.")
    undated = DATED.replace("] - 2026-12-06", "] - unreleased")
    assert "no release date (unreleased)" in check_tag.release_problem("v0.1.0", "0.1.0", undated)
    assert "no entry for 0.2.0" in check_tag.release_problem("v0.2.0", "0.2.0", DATED)
    empty = DATED.replace("### Added\n\n- The first release.\n", "")
    assert "entry for 0.1.0 is empty" in check_tag.release_problem("v0.1.0", "0.1.0", empty)
    assert "does not match the package" in check_tag.release_problem("v0.2.0", "0.1.0", DATED)


def test_the_command_line_refuses_with_the_reason_and_writes_the_release_notes(tmp_path):
    version = radam.__version__
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(DATED.replace("0.1.0", version))
    script = [sys.executable, str(ROOT / ".ci" / "check_tag.py")]

    refused = subprocess.run([*script, f"v{version}.post1", "--changelog", str(changelog)], capture_output=True,
                             text=True)
    assert refused.returncode == 1 and f"must be 'v{version}'" in refused.stderr, refused.stderr

    notes = tmp_path / "notes.md"
    accepted = subprocess.run([*script, f"v{version}", "--changelog", str(changelog), "--notes", str(notes)],
                              capture_output=True, text=True)
    assert accepted.returncode == 0, accepted.stderr
    assert notes.read_text() == "### Added\n\n- The first release.\n"

    printed = subprocess.run([*script, "--print"], capture_output=True, text=True, check=True)
    assert printed.stdout == f"v{version}\n"


def test_the_release_workflow_checks_the_tag_before_it_builds_and_attaches_the_files():
    release = workflow("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    (job,) = release["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    steps = runs(job)
    rule = steps.index('python .ci/check_tag.py "$GITHUB_REF_NAME" --notes "$RUNNER_TEMP/notes.md"')
    build = steps.index("bash .ci/build_dist.sh dist")
    assert rule < build < steps.index('gh release create "$GITHUB_REF_NAME" dist/*')
    assert "--notes-file \"$RUNNER_TEMP/notes.md\"" in steps


def test_the_book_workflow_builds_as_the_readme_says_and_deploys_only_tags():
    quickstart = subprocess.run(["bash", str(ROOT / ".ci" / "quickstart.sh")], capture_output=True, text=True,
                                check=True).stdout.splitlines()
    assert len(quickstart) == 2 and quickstart[0].endswith("jupyter-book build -W -n --keep-going .")

    book = workflow("book.yml")
    assert book["on"]["push"]["tags"] == ["v*"] and "pull_request" in book["on"]
    build, deploy = book["jobs"]["build"], book["jobs"]["deploy"]
    assert 'bash -euo pipefail -c "${commands[0]}"' in runs(build) and "bash .ci/quickstart.sh" in runs(build)
    (rule,) = [step for step in build["steps"] if "check_tag.py" in step.get("run", "")]
    assert rule["run"] == 'python .ci/check_tag.py "$GITHUB_REF_NAME"'
    uses = {step.get("uses", "").split("@")[0]: step for step in build["steps"]}
    cached = uses["actions/cache"]["with"]["path"]
    assert cached == "_build/.jupyter_cache" and yaml.safe_load((ROOT / "_config.yml").read_text())[
        "execute"]["cache"] == "", "jupyter-book keeps its cache in _build/.jupyter_cache when execute.cache is ''"
    assert uses["actions/setup-python"]["with"]["cache"] == "pip"
    upload = uses["actions/upload-pages-artifact"]
    assert upload["with"]["path"] == "_build/html" and upload["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert rule["if"] == upload["if"] and build["steps"].index(rule) < build["steps"].index(upload)
    assert deploy["if"] == upload["if"] and deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    assert "RADAM_CIFAR10_DIR" not in (ROOT / ".github" / "workflows" / "book.yml").read_text()


def test_the_readme_gives_the_pages_address_of_the_configured_repository():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    owner, name = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", url).groups()
    readme = (ROOT / "README.md").read_text()
    pages = f"https://{owner.lower()}.github.io/{name}/"
    assert pages in section(readme, "Reading the book")
    assert re.findall(r"https://[^\s/]+\.github\.io/\S*", readme) == [pages], "one Pages address, the right one"


def test_the_readme_cuts_a_release_in_three_commands_with_the_checked_tag():
    releasing = section((ROOT / "README.md").read_text(), "Releasing")
    commands = re.search(r"```bash\n(.*?)```", releasing, re.DOTALL).group(1).splitlines()
    assert len(commands) == 3
    assert commands[0].startswith("python book/_ext/setup_cell.py && git commit")
    assert commands[1].startswith("git tag") and commands[2].startswith("git push")
    assert all("$(python .ci/check_tag.py --print)" in command for command in commands)
