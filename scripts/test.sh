#!/usr/bin/env bash
# Installs what is missing, builds lapa, and runs every test: the lit suite
# and the unit tests on the release build, then again on the Debug build with
# AddressSanitizer and UndefinedBehaviorSanitizer.
#   scripts/test.sh              both builds
#   scripts/test.sh --quick      the release build only
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
modes=(release sanitize)
if [ "${1:-}" = "--quick" ]; then
  modes=(release)
fi

"$root/scripts/setup-deps.sh"

total_passed=0
total_failed=0
for mode in "${modes[@]}"; do
  "$root/scripts/build.sh" "$mode"
  build_dir="$root/build"
  [ "$mode" = sanitize ] && build_dir="$root/build-sanitize"

  echo "test: running the lit suite ($mode)"
  lit_log="$build_dir/lit-results.txt"
  set +e
  /usr/lib/llvm-22/bin/lit -sv "$build_dir/test" 2>&1 | tee "$lit_log"
  lit_status=${PIPESTATUS[0]}
  echo "test: running the unit tests ($mode)"
  ctest_log="$build_dir/ctest-results.txt"
  ctest --test-dir "$build_dir" --output-on-failure 2>&1 | tee "$ctest_log"
  ctest_status=${PIPESTATUS[0]}
  set -e

  # Counts from the runners' summaries. grep finds no "Failed" line when
  # nothing failed, so each count falls back to 0 instead of ending the
  # script under pipefail.
  lit_passed=$( { grep -Eo '^ *Passed *: *[0-9]+' "$lit_log" || true; } | awk -F: '{sum += $2} END {print sum + 0}')
  lit_failed=$( { grep -Eo '^ *(Failed|Unresolved|Timed Out|Unexpectedly Passed) *: *[0-9]+' "$lit_log" || true; } \
    | awk -F: '{sum += $2} END {print sum + 0}')
  ctest_total=$( { grep -Eo 'out of [0-9]+' "$ctest_log" || true; } | awk '{sum += $3} END {print sum + 0}')
  ctest_failed=$( { grep -Eo '[0-9]+ tests failed' "$ctest_log" || true; } | awk '{sum += $1} END {print sum + 0}')
  total_passed=$((total_passed + lit_passed + ctest_total - ctest_failed))
  total_failed=$((total_failed + lit_failed + ctest_failed))
  if [ "$lit_status" -ne 0 ] || [ "$ctest_status" -ne 0 ]; then
    [ "$lit_failed" -eq 0 ] && [ "$ctest_failed" -eq 0 ] && total_failed=$((total_failed + 1))
    echo "test: $mode build has failures (lit exit $lit_status, ctest exit $ctest_status)"
  fi
done

echo "lapa tests: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
