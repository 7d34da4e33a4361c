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

# jget FILE PATH: the value at PATH (keys joined by dots, numbers index arrays)
# in the JSON file FILE, as Python prints it ("None" once a step is null).
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=None if d is None else d[int(k)] if k.isdigit() else d[k]
print(d)' "$@"; }

# serve_start NAME WANT ARGS...: runs `recsys-tui --serve ARGS` in the background
# with its stderr in $TMP/NAME.err and waits until WANT listeners have said
# "listening on". Sets PID_<NAME> (dashes as underscores) and adds the pid to
# PIDS (the caller's trap kills them). Returns 1, after printing the stderr,
# when they did not come up or the process died.
serve_start() {
  name=$1 want=$2; shift 2
  "$BIN" --serve "$@" 2>"$TMP/$name.err" &
  pid=$!
  PIDS="${PIDS:-} $pid"
  eval "PID_$(echo "$name" | tr - _)=$pid"
  for _ in $(seq 1 200); do
    [ "$(grep -c 'listening on' "$TMP/$name.err")" -ge "$want" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$TMP/$name.err"
  return 1
}
# serve_port NAME REGION: the port REGION of server NAME listens on.
serve_port() { sed -n "s/^region $2 listening on .*://p" "$TMP/$1.err" | head -1; }

# sample_db DB CUSTOMERS SEED [TRAIN...]: a database DB from generated sample
# data: `gen-sample --customers CUSTOMERS --seed SEED` into $TMP/data, then
# ingest_train DB $TMP/data TRAIN... Returns non-zero at the first step that fails.
sample_db() {
  _db=$1 _customers=$2 _seed=$3; shift 3
  : >"$TMP/sample_db.log"
  "$BIN" gen-sample --out "$TMP/data" --customers "$_customers" --seed "$_seed" \
    >>"$TMP/sample_db.log" 2>&1 || { sample_db_failed gen-sample; return 1; }
  ingest_train "$_db" "$TMP/data" "$@"
}

# ingest_train DB DATA [TRAIN...]: `ingest --data DATA --db DB`, then one
# `train --db DB --quiet` per TRAIN argument, which holds that run's extra
# options split at spaces ("" for none, "--algo popularity --no-eval").
# Output goes to $TMP/sample_db.log; returns 1 at the first step that fails,
# after printing the log's last lines as "#" comments.
ingest_train() {
  _db=$1 _data=$2; shift 2
  "$BIN" ingest --data "$_data" --db "$_db" --quiet >>"$TMP/sample_db.log" 2>&1 ||
    { sample_db_failed ingest; return 1; }
  for _opts in "$@"; do
    # shellcheck disable=SC2086 # _opts is several words
    "$BIN" train --db "$_db" --quiet $_opts >>"$TMP/sample_db.log" 2>&1 ||
      { sample_db_failed "train${_opts:+ $_opts}"; return 1; }
  done
}
sample_db_failed() {
  echo "# sample database: $1 failed"
  tail -5 "$TMP/sample_db.log" | sed 's/^/#   /'
}

# one_region_conf FILE DB [LINE...]: a regions.conf with one region, us-west on an
# ephemeral port (port = 0: serve_port reads it back), serving DB without rate
# limits; each LINE is one more [global] key ("retrain_every = 2s").
one_region_conf() {
  _f=$1 _db=$2; shift 2
  { printf '[global]\ndatabase = %s\nrate_limit = 0\n' "$_db"
    for _l in "$@"; do printf '%s\n' "$_l"; done
    printf '[region us-west]\nport = 0\n'; } >"$_f"
}
