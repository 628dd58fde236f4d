#!/usr/bin/env bash
# Build the sdist and wheel of radam into OUTDIR (python -m build) and check them (twine check --strict), as a
# release does: the release workflow runs this, and CI (.ci/test_wheel.sh) tests the wheel it builds.
#   bash .ci/build_dist.sh OUTDIR        PYTHON=python3.11 picks the Python (default: python3)
# The build tools live in a temporary virtual environment, removed at the end.
set -euo pipefail
out="$(mkdir -p "${1:?usage: .ci/build_dist.sh OUTDIR}" && cd "$1" && pwd)"
cd "$(dirname "$0")/.."
tools="$(mktemp -d "${TMPDIR:-/tmp}/radam-build-tools.XXXXXX")"
trap 'rm -rf "$tools"' EXIT
"${PYTHON:-python3}" -m venv "$tools"
"$tools/bin/python" -m pip install -q "build>=1.2,<2" "twine>=6.1,<8"
"$tools/bin/python" -m build --outdir "$out" . >"$tools/build.log" 2>&1 || { cat "$tools/build.log" >&2; exit 1; }
version="$(python3 .ci/check_tag.py --print)"
version="${version#v}"
for file in "radam-$version.tar.gz" "radam-$version-py3-none-any.whl"; do
  [ -f "$out/$file" ] || { echo "CI: the build made no $file: $(ls "$out")" >&2; exit 1; }
done
"$tools/bin/python" -m twine check --strict "$out/radam-$version.tar.gz" "$out/radam-$version-py3-none-any.whl"
