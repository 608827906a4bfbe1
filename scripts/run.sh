#!/usr/bin/env bash
# Installs what is missing, builds the demo program (release preset) and runs it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

demo=rill_demo

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target "$demo"
exec "build/release/examples/${demo}" "$@"
