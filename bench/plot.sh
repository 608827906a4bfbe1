#!/usr/bin/env bash
# Draws DIR/latest.png from the files rill_bench --out DIR wrote
# (latest.dat, latest-ratio.dat, latest.md) with bench/plot.gp.
#   bench/plot.sh [DIR]           DIR defaults to bench/results
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bench/results}
if ! command -v gnuplot >/dev/null; then
  echo "plot.sh: gnuplot not found: no chart (install gnuplot-nox)" >&2
  exit 1
fi
npeers=$(( ($(head -n 1 "$out/latest.dat" | wc -w) - 1) / 3 ))
# Two subtitle lines: date and machine; revision and runs.
when=$(sed -n '1s/^rill_bench — //p' "$out/latest.md")
machine=$(sed -n '2s/^machine: //p' "$out/latest.md")
rev=$(sed -n '3p' "$out/latest.md" | cut -d';' -f1-2 | sed 's/working tree has uncommitted changes/plus uncommitted changes/')
subtitle=$(printf '%s, %s\\n%s' "$when" "$machine" "$rev" | sed 's/"/\\"/g')
gnuplot -e "dir='$out'; npeers=$npeers; subtitle=\"$subtitle\"" bench/plot.gp
echo "plot.sh: chart in $out/latest.png" >&2
