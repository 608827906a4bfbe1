#!/usr/bin/env bash
# The benchmark suite in one command: builds rill_bench (release preset),
# runs every workload on every peer built in, prints the table, and writes
# bench/results/latest.{json,md,txt,dat,png}.
#
#   bench/run.sh                  the whole suite (5 runs per figure)
#   bench/run.sh --runs 7         more runs per figure
#   bench/run.sh --filter W3      some rows or peers only (see --help)
#   bench/run.sh --quick          tiny counts, 1 run: the CI smoke test
#   RILL_BENCH_EXTERNAL=OFF bench/run.sh   without the peers in other languages
#   bench/plot.sh                 redraw the chart from bench/results
#
# Runs with --quick or --filter write to build/release/bench/results instead,
# so that bench/results keeps the last full run (the one the guide's performance page, docs/guide/performance.md, shows).
# Progress goes to stderr, the table to stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=bench/results
for arg in "$@"; do
  case "$arg" in
    --quick|--filter|--filter=*|--list|--help|-h) out=build/release/bench/results ;;
  esac
done

# The release preset leaves the peers in other languages out (CI need not
# build them); the suite wants them, where their toolchains are installed.
cmake --preset release -DRILL_BENCH_EXTERNAL="${RILL_BENCH_EXTERNAL:-ON}" >/dev/null
cmake --build --preset release --target rill_bench -j2

mkdir -p "$out"
start=$(date +%s)
status=0
build/release/bench/rill_bench --out "$out" --git "$(git rev-parse --short HEAD)" "$@" | tee "$out/latest.txt" \
  || status=$?
echo "run.sh: suite took $(( $(date +%s) - start )) s" >&2

if [[ -f "$out/latest.dat" ]]; then
  bench/plot.sh "$out" || echo "run.sh: no chart" >&2
fi
exit "$status"
