# Shared helpers for the end-to-end scripts (sourced, POSIX sh + bash).
# Each check prints "ok - desc", "not ok - desc" or "skip - desc # why";
# tests/run.sh adds them up. Scripts get BIN (the binary) and OLIST_DIR.
: "${BIN:?BIN must name the recsys-tui binary}"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIXTURES=$ROOT/tests/fixtures
TMP=$(mktemp -d "${TMPDIR:-/tmp}/recsys-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ok()   { echo "ok - $*"; }
fail() { echo "not ok - $*"; }
skip() { echo "skip - $1 # $2"; }

# check "description" command args... : passes when the command exits 0.
check() {
  desc=$1; shift
  if "$@" >"$TMP/check.out" 2>&1; then ok "$desc"; else fail "$desc"; sed 's/^/#   /' "$TMP/check.out" | head -20; fi
}

# check_fails "description" command args... : passes when the command exits non-zero.
check_fails() {
  desc=$1; shift
  if "$@" >"$TMP/check.out" 2>&1; then fail "$desc (unexpectedly succeeded)"; else ok "$desc"; fi
}

# check_eq "description" actual expected
check_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', expected '$3'"; fi
}

# check_grep "description" pattern file : passes when the extended regex matches.
check_grep() {
  if grep -Eq -- "$2" "$3"; then ok "$1"; else fail "$1: /$2/ not in $3"; sed 's/^/#   /' "$3" | head -10; fi
}

# A free TCP port on loopback (asks the kernel for an ephemeral one).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
