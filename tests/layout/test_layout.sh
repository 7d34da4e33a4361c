#!/bin/sh
# The layout rules of src/, checked on the real tree and shown to bite on a
# copy with one deliberate violation each (README "Architecture").
set -u
cd "$(dirname "$0")/../.."
here=tests/layout
pass() { echo "ok - $1"; }
fail() { echo "not ok - $1"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if out=$(sh $here/check_layers.sh src 2>&1); then
  pass "every include in src/ follows the layering rules"
else
  fail "layering violations:"; echo "$out" | sed 's/^/#   /'
fi

# A copy with a forbidden include must fail, naming file and header.
cp -r src "$tmp/up"
sed -i '1i #include "net/http.h"' "$tmp/up/engine/dataset.c"
if out=$(sh $here/check_layers.sh "$tmp/up" 2>&1); then
  fail "engine including net/http.h is not caught"
else
  case "$out" in
    *"engine/dataset.c:1: engine may not include \"net/http.h\""*) pass "engine including net/ is caught with file and line" ;;
    *) fail "engine including net/ is caught but not named: $out" ;;
  esac
fi
cp -r src "$tmp/curses"
sed -i '1i #include <ncurses.h>' "$tmp/curses/net/cache.c"
if sh $here/check_layers.sh "$tmp/curses" >/dev/null 2>&1; then
  fail "net including <ncurses.h> is not caught"
else
  pass "net including <ncurses.h> is caught"
fi
cp -r src "$tmp/tui"
sed -i '1i #include "engine/dataset.h"' "$tmp/tui/tui/series.c"
if sh $here/check_layers.sh "$tmp/tui" >/dev/null 2>&1; then
  fail "tui including engine/ is not caught"
else
  pass "tui including engine/ is caught"
fi

if out=$(sh $here/check_headers.sh src 2>&1); then
  pass "every function a header declares is defined in its own .c"
else
  fail "headers that declare other files' functions:"; echo "$out" | sed 's/^/#   /'
fi
cp -r src "$tmp/hdr"
printf '#include "util/error.h"\nint clock_stray(void) { return 0; }\n' >"$tmp/hdr/util/stray.c"
printf '#ifndef X\n#define X\nint clock_stray(void);\n#endif\n' >>"$tmp/hdr/util/clock.h"
if out=$(sh $here/check_headers.sh "$tmp/hdr" 2>&1); then
  fail "a header declaring another file's function is not caught"
else
  case "$out" in
    *"util/clock.h declares clock_stray, defined in "*"util/stray.c"*) pass "a header declaring another file's function is caught" ;;
    *) fail "misplaced declaration caught but not named: $out" ;;
  esac
fi

long=$(find src -name '*.[ch]' -exec awk 'END { if (NR > 800) print FILENAME " (" NR " lines)" }' {} \;)
if [ -z "$long" ]; then pass "no file under src/ is over 800 lines"; else fail "files over 800 lines: $long"; fi

ing=$(grep -l 'csv\.h\|ingest_\|keyset_\|rowbatch_\|readahead_' src/engine/*.c 2>/dev/null)
if [ -z "$ing" ]; then pass "nothing under src/engine/ is ingest code"; else fail "ingest code in src/engine/: $ing"; fi

# `make run` installs what building and running need, not the test tools or
# the benchmark peers; `make test` adds the test tools only.
run_pkgs=$(sh scripts/deps.sh --print run | tr '\n' ' ')
case " $run_pkgs " in
  *" wrk "* | *" nginx"* | *" python3-sklearn "* | *" valgrind "* | *" clang "*)
    fail "make run would install test or benchmark tools: $run_pkgs" ;;
  *" libsqlite3-dev "*) pass "make run installs build packages only (no wrk, nginx, sklearn, valgrind, clang)" ;;
  *) fail "make run's package list lacks the build packages: $run_pkgs" ;;
esac
test_pkgs=$(sh scripts/deps.sh --print run test | tr '\n' ' ')
case " $test_pkgs " in
  *" wrk "* | *" nginx"*) fail "make test would install benchmark peers: $test_pkgs" ;;
  *" tmux "*) pass "make test adds the test tools but not the benchmark peers" ;;
  *) fail "make test's package list lacks tmux: $test_pkgs" ;;
esac
grep -q '^run: deps-run ' Makefile && grep -q '^test: deps-test ' Makefile &&
  grep -q '^bench: deps-bench ' Makefile &&
  pass "make run, test and bench each install their own purpose's packages" ||
  fail "Makefile targets do not install by purpose"
