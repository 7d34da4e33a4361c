#!/bin/sh
# Runs libFuzzer targets built by `make fuzz` (BUILD/fuzz/fuzz_NAME), each for
# FUZZ_SECONDS, FUZZ_JOBS of them at a time, then prints one line per target:
# runs, executions per second, corpus size, and whether it crashed. Each
# starts from its seed corpus fuzz/corpus/NAME; new inputs go to
# BUILD/fuzz/corpus/NAME (not committed), crashes to BUILD/fuzz/artifacts/,
# the full output to BUILD/fuzz/NAME.log. Exit status 1 when any crashed.
# Usage: BUILD=build FUZZ_SECONDS=600 FUZZ_JOBS=2 fuzz/run.sh http csv ...
set -u
BUILD=${BUILD:-build}
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-2}
mkdir -p "$BUILD/fuzz/artifacts"

# The largest input worth trying, per target.
max_len() {
  case $1 in
    http) echo 16384 ;; csv) echo 8192 ;; model) echo 65536 ;; *) echo 4096 ;;
  esac
}

run_one() {
  name=$1
  mkdir -p "$BUILD/fuzz/corpus/$name"
  "$BUILD/fuzz/fuzz_$name" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$name")" \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz/artifacts/$name-" \
    "$BUILD/fuzz/corpus/$name" "fuzz/corpus/$name" >"$BUILD/fuzz/$name.log" 2>&1
  echo $? >"$BUILD/fuzz/$name.rc"
}

echo "fuzzing $* for ${SECONDS_EACH}s each, $JOBS at a time"
running=0
for t in "$@"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait
    running=0
  fi
done
wait

status=0
printf '%-8s %8s %12s %10s %8s  %s\n' target seconds runs exec/s corpus result
for t in "$@"; do
  log=$BUILD/fuzz/$t.log
  rc=$(cat "$BUILD/fuzz/$t.rc" 2>/dev/null || echo 1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(ls "$BUILD/fuzz/corpus/$t" "fuzz/corpus/$t" 2>/dev/null | grep -vc ':$\|^$')
  if [ "$rc" -eq 0 ]; then result="no crash"; else result="CRASH (see $log)"; status=1; fi
  printf '%-8s %8s %12s %10s %8s  %s\n' "$t" "$SECONDS_EACH" "${runs:-?}" "${rate:-?}" "$corpus" "$result"
done
exit $status
