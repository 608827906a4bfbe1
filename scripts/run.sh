#!/usr/bin/env bash
# Installs what is missing, builds the tour (release preset) and runs it:
# every chapter of the tutorial, checked as it runs.
#
#   bash scripts/run.sh              all chapters
#   bash scripts/run.sh select       one chapter or section (--help lists them)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target tour
exec build/release/examples/tour "$@"
