#!/usr/bin/env bash
# The package as a user installs it: build the wheel (.ci/build_dist.sh), install it without -e into a new
# virtual environment in a temporary folder (outside the checkout), and run the fast tests against it from a
# copy of tests/ in that folder, so that every import of radam comes from the installed wheel. The plugin
# .ci/wheel_conftest.py refuses any other radam and leaves out the test modules that read the checkout (the
# book, README.md, pyproject.toml); tests/test_packaging.py imports every module of the source package from
# the installed one. The rest of the environment is requirements.txt, as in the README's install.
#   bash .ci/test_wheel.sh                  PYTHON=python3.11 picks the Python (default: python3)
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$PWD"
work="$(mktemp -d "${TMPDIR:-/tmp}/radam-wheel.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The tests and the source package's modules (which tests/test_packaging.py lists; never on sys.path) first,
# then the wheel: all from the same state of the checkout.
cp -r tests "$work/tests"
mkdir "$work/source" && cp -r radam "$work/source/radam"
find "$work/tests" "$work/source" -name __pycache__ -prune -exec rm -rf {} +
cp .ci/wheel_conftest.py "$work/conftest.py"
cp pyproject.toml "$work/pyproject.toml"  # pytest's settings: markers and warning filters

start=$SECONDS
bash .ci/build_dist.sh "$work/dist"
wheel="$(ls "$work"/dist/radam-*.whl)"
echo "== wheel: built $(basename "$wheel") in $((SECONDS - start)) s"

start=$SECONDS
"${PYTHON:-python3}" -m venv "$work/venv"
grep -v '^-e ' requirements.txt >"$work/requirements.txt"  # everything but the editable install of the checkout
"$work/venv/bin/python" -m pip install -q "${wheel}[keras,widgets]" -r "$work/requirements.txt"
echo "== wheel: installed in $((SECONDS - start)) s"

cd "$work"
unset PYTHONPATH
"$work/venv/bin/python" -c 'import radam, sys; print("radam.__file__ =", radam.__file__, "; sys.prefix =", sys.prefix)'
start=$SECONDS
RADAM_CHECKOUT="$checkout" RADAM_SOURCE_PACKAGE="$work/source/radam" \
  "$work/venv/bin/python" -m pytest -m "not slow and not source_tree" -q -p no:cacheprovider tests
echo "== wheel: fast tests took $((SECONDS - start)) s"
