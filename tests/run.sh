#!/bin/sh
# Runs every unit test binary and end-to-end script, prints their output, and
# ends with one line: "N passed, N failed, N skipped".
# Environment: BUILD (build tree), BIN (binary), OLIST_DIR (real data, optional),
# ONLY (space-separated substrings: run only the tests whose file name has one),
# WRAP (a command the unit test binaries run under, e.g. valgrind).
set -u
BUILD=${BUILD:-build}
BIN=${BIN:-$BUILD/recsys-tui}
export BIN OLIST_DIR="${OLIST_DIR:-../shared/olist}" BUILD
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {
  name=$1; shift
  if [ -n "${ONLY:-}" ]; then
    hit=0
    for pat in $ONLY; do case "$name" in *"$pat"*) hit=1 ;; esac; done
    [ "$hit" -eq 1 ] || return
  fi
  echo "# --- $name"
  start=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  cat "$log"
  p=$(grep -c '^ok - ' "$log")
  f=$(grep -c '^not ok - ' "$log")
  s=$(grep -c '^skip - ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "not ok - $name exited with status $rc"
    f=$((f + 1))
  fi
  if [ $((p + f + s)) -eq 0 ]; then
    echo "not ok - $name ran no test"
    f=1
  fi
  echo "# $name: $p passed, $f failed, $s skipped ($(($(date +%s) - start))s)"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# One binary per tests/unit/test_*.c: a stale binary left in the build tree
# by a test file that was removed or renamed is not run.
for src in tests/unit/test_*.c; do
  t="$BUILD/tests/$(basename "$src" .c)"
  if [ ! -x "$t" ]; then
    run_one "$(basename "$t")" sh -c "echo 'not ok - $t is not built (make unit)'; exit 1"
    continue
  fi
  # shellcheck disable=SC2086
  run_one "$(basename "$t")" ${WRAP:-} "$t"
done
for t in tests/layout/test_*.sh tests/e2e/*.sh; do
  [ -f "$t" ] || continue
  case "$(basename "$t")" in *lib.sh) continue ;; esac # sourced helpers: lib.sh, s3lib.sh
  run_one "$(basename "$t")" bash "$t"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
