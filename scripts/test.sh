#!/usr/bin/env bash
# The one test command: installs what is missing, then configures, builds and
# runs the tests for each preset (g++ release, ThreadSanitizer,
# AddressSanitizer+UBSan, clang++-19 release header-only with the portable
# parking fallback, and Windows cross-compiled and run under wine64), and
# builds and checks the documentation (step `docs`: scripts/docs.sh; the
# guide's programs run as tests in every preset). Goes on after a failure,
# prints a summary, and exits non-zero if any step failed.
#
#   bash scripts/test.sh              all presets
#   bash scripts/test.sh release      only the named presets (or `docs`)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh || { echo "test.sh: setup failed" >&2; exit 1; }

presets=("$@")
if (( ${#presets[@]} == 0 )); then
  presets=(docs release tsan asan clang windows)
fi

log_dir=build/logs
mkdir -p "$log_dir"

summary=()
failed_steps=0
total_passed=0
total_failed=0

for preset in "${presets[@]}"; do
  echo
  echo "==================== ${preset} ===================="
  result="ok"
  step_start=$SECONDS
  if [[ "$preset" == docs ]]; then
    bash scripts/docs.sh || result="FAILED (scripts/docs.sh)"
  elif ! cmake --preset "$preset"; then
    result="FAILED (configure)"
  elif ! cmake --build --preset "$preset"; then
    result="FAILED (build)"
  else
    log="$log_dir/ctest-${preset}.log"
    ctest --preset "$preset" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    # ctest's closing line: "NN% tests passed, F tests failed out of T"
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
    if [[ -n "$line" ]]; then
      f=$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
      t=$(sed -E 's/.*failed out of ([0-9]+).*/\1/' <<<"$line")
      total_failed=$((total_failed + f))
      total_passed=$((total_passed + t - f))
      result="$((t - f))/${t} tests passed"
    fi
    if (( rc != 0 )); then
      result="FAILED (tests: ${result})"
    fi
  fi
  [[ "$result" == FAILED* ]] && failed_steps=$((failed_steps + 1))
  step_seconds=$((SECONDS - step_start))
  summary+=("$(printf '  %-8s %-32s %3d min %02d s' "$preset" "$result" $((step_seconds / 60)) $((step_seconds % 60)))")
done

echo
echo "==================== summary ===================="
printf '%s\n' "${summary[@]}"
if (( failed_steps > 0 )); then
  echo "test.sh: ${failed_steps} preset(s) failed"
fi
echo "total: ${total_passed} passed, ${total_failed} failed, in $((SECONDS / 60)) min $((SECONDS % 60)) s"
(( failed_steps == 0 ))
