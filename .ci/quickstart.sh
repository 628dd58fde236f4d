#!/usr/bin/env bash
# Print the two commands of README.md's Quick start (the first ```bash block under "## Quick start"), one a
# line: the first installs everything and builds the book, the second runs the tests. .ci/run runs both; the
# book workflow (.github/workflows/book.yml) runs the first, so the published book is built as a reader builds it.
set -euo pipefail
cd "$(dirname "$0")/.."
awk '/^## Quick start/{q=1} q&&/^```bash/{b=1;next} b&&/^```/{exit} b{print}' README.md
