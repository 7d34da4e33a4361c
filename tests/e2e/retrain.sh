#!/usr/bin/env bash
# Scheduled retraining: `recsys-tui retrain` (one cycle: compare, decide,
# store, activate) on the generated sample data, purchase events from the
# events table, and the background cycle of a serving process
# (retrain_every = 2s) that keeps answering requests while it runs, shows
# the outcome in /api/v1/health and the log, activates a candidate that is
# not worse and keeps a worse one (tolerance -1: an improvement of a whole
# hit rate is demanded) inactive.
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
active() { sqlite3 "$1" 'SELECT version FROM models WHERE active = 1'; }

sample_db "$TMP/s.db" 400 7 "--algo popularity" || { fail "sample database"; exit 1; }
check "retrain --help" "$BIN" retrain --help

# --- the command --------------------------------------------------------------
"$BIN" retrain --db "$TMP/s.db" >"$TMP/r1.txt" 2>&1
check_eq "retrain exits 0" "$?" 0
check_grep "it prints both hit rates on the holdout" "candidate +hybrid +0\.[0-9]{4}" "$TMP/r1.txt"
check_grep "and the active model's" "active +popularity \(v1\) +0\.[0-9]{4}" "$TMP/r1.txt"
check_grep "and the holdout month" "holdout: 20[0-9-]+ \.\. 2018-10-15, [0-9]+ customers" "$TMP/r1.txt"
check_grep "a worse candidate is kept inactive, with the reason" \
  "decision: kept inactive: candidate hit-rate .* worse than tolerance 0.01" "$TMP/r1.txt"
check_eq "the popularity model stays active" "$(active "$TMP/s.db")" 1
check_eq "the kept candidate is stored inactive as version 2" \
  "$(sqlite3 "$TMP/s.db" "SELECT algorithm, active FROM models WHERE version = 2")" "hybrid|0"
"$BIN" retrain --db "$TMP/s.db" --tolerance 1 >"$TMP/r2.txt" 2>&1
check_grep "with tolerance 1 the candidate is activated" "decision: activated" "$TMP/r2.txt"
check_eq "and is the active version" "$(active "$TMP/s.db")" 3
"$BIN" retrain --db "$TMP/s.db" --json >"$TMP/r3.json" 2>/dev/null
check_eq "the same configuration ties, and a tie is not worse: activated" \
  "$(jget "$TMP/r3.json" decision) $(jget "$TMP/r3.json" active.version)" "activate 3"
check "a tie compares equal hit rates" python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); sys.exit(d["candidate"]["hit_rate"]!=d["active"]["hit_rate"])' "$TMP/r3.json"
"$BIN" retrain --db "$TMP/s.db" --json --tolerance -1 --dry-run >"$TMP/r4.json" 2>/dev/null
check_eq "tolerance -1 keeps it" "$(jget "$TMP/r4.json" decision)" keep
"$BIN" retrain --db "$TMP/s.db" --tolerance 5% --dry-run >"$TMP/r5.txt" 2>&1
check_grep "a relative tolerance is accepted" "tolerance 5%" "$TMP/r5.txt"
check_eq "--dry-run never activates" "$(active "$TMP/s.db")" 4
"$BIN" retrain --db "$TMP/s.db" --tolerance lots >/dev/null 2>"$TMP/e1"
check_eq "a bad tolerance is a usage error" "$?" 2
check_grep "naming it" "lots" "$TMP/e1"
"$BIN" retrain --db "$TMP/nope.db" >/dev/null 2>"$TMP/e2"
check_eq "a missing database exits 1" "$?" 1

# --- purchase events join the training data -------------------------------------
U=$(sqlite3 "$TMP/s.db" "SELECT user_id FROM interactions ORDER BY ts DESC LIMIT 1")
P=$(sqlite3 "$TMP/s.db" "SELECT product_id FROM products ORDER BY product_id LIMIT 1")
read -r OU OP OT <<<"$(sqlite3 -separator ' ' "$TMP/s.db" "SELECT user_id, product_id, ts FROM interactions ORDER BY ts LIMIT 1")"
sqlite3 "$TMP/s.db" "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL,
  product_id TEXT NOT NULL, type TEXT NOT NULL, ts INTEGER NOT NULL, request_id TEXT, region TEXT,
  received_at INTEGER NOT NULL);
 INSERT INTO events(user_id, product_id, type, ts, received_at) VALUES
  ('$U', '$P', 'purchase', strftime('%s', '2018-10-16 10:00:00'), 0),
  ('$U', '$P', 'click', strftime('%s', '2018-10-16 10:00:00'), 0),
  ('ffffffffffffffffffffffffffffffff', '$P', 'purchase', strftime('%s', '2018-10-16'), 0),
  ('$U', 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 'purchase', strftime('%s', '2018-10-16'), 0),
  ('$OU', '$OP', 'purchase', strftime('%s', '$OT'), 0);"
"$BIN" retrain --db "$TMP/s.db" --json --dry-run >"$TMP/r6.json" 2>/dev/null
check_eq "purchase events counted (a new customer's too), a replayed order not twice, an unknown product skipped" \
  "$(jget "$TMP/r6.json" event_purchases) $(jget "$TMP/r6.json" new_users) $(jget "$TMP/r6.json" events_skipped)" "2 1 1"
check_eq "the holdout now ends on the event's day" "$(jget "$TMP/r6.json" holdout.to)" 2018-10-16
check_eq "purchases include it" "$(jget "$TMP/r6.json" purchases)" \
  "$(($(sqlite3 "$TMP/s.db" 'SELECT COUNT(*) FROM interactions') + 2))"
"$BIN" recommend ffffffffffffffffffffffffffffffff --json --db "$TMP/s.db" >"$TMP/new0.json"
check_eq "the new customer is unknown to the active model" "$(jget "$TMP/new0.json" known)" False
"$BIN" retrain --db "$TMP/s.db" --tolerance 1 >/dev/null 2>&1
"$BIN" recommend ffffffffffffffffffffffffffffffff --no-repurchase --json --db "$TMP/s.db" >"$TMP/new1.json"
check_eq "and known to the retrained one, which (--no-repurchase) excludes the product bought" \
  "$(jget "$TMP/new1.json" known) $(grep -c "$P" "$TMP/new1.json")" "True 0"

# --- in the serving process ---------------------------------------------------------
serve_cycle() { # NAME TOLERANCE: serve with retrain_every = 2s until a cycle has run
  name=$1 port=$(free_port)
  cat >"$TMP/$name.conf" <<CONF
[global]
database = $TMP/s.db
rate_limit = 0
log = $TMP/$name.log
retrain_every = 2s
retrain_tolerance = $2
[region west]
port = $port
latitude = 37.77
longitude = -122.42
CONF
  serve_start "$name" 1 --config "$TMP/$name.conf" || return 1
  URL=http://127.0.0.1:$port
  curl -s "$URL/api/v1/health" >"$TMP/$name.h0.json"
  # requests keep being answered while the cycle runs: 2-6 s of them
  codes=$TMP/$name.codes
  : >"$codes"
  t0=$(date +%s)
  while [ $(($(date +%s) - t0)) -lt 15 ]; do
    curl -s -o /dev/null -w '%{http_code}\n' "$URL/api/v1/recommendations/user/$U?count=5" >>"$codes"
    curl -s "$URL/api/v1/health" >"$TMP/$name.h.json"
    [ "$(jget "$TMP/$name.h.json" retrain.runs)" -ge 1 ] 2>/dev/null && break
    sleep 0.05
  done
}
"$BIN" train --algo popularity --db "$TMP/s.db" --quiet >/dev/null
V0=$(active "$TMP/s.db")
serve_cycle keep -1
check_eq "health shows the schedule before the first run" \
  "$(jget "$TMP/keep.h0.json" retrain.enabled) $(jget "$TMP/keep.h0.json" retrain.every_s) $(jget "$TMP/keep.h0.json" retrain.last)" \
  "True 2 None"
check_eq "a background cycle ran within 15 s" "$(jget "$TMP/keep.h.json" retrain.runs)" 1
check_eq "a worse candidate is kept (tolerance -1)" "$(jget "$TMP/keep.h.json" retrain.last.outcome)" kept
check_grep "the reason is in health" "worse than tolerance -1" "$TMP/keep.h.json"
check "the next run is scheduled" python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))["retrain"]; sys.exit(not (0 <= r["next_in_s"] <= 2))' "$TMP/keep.h.json"
check_eq "the active version is unchanged" "$(active "$TMP/s.db")" "$V0"
check_eq "every request during the cycle was answered 200" "$(sort -u "$TMP/keep.codes")" 200
kill "$PID_keep"; wait "$PID_keep" 2>/dev/null
check_eq "the server stops cleanly" "$?" 0
check_grep "the log has the decision and reason" '"event":"retrain".*"outcome":"kept".*"reason":"candidate hit-rate' "$TMP/keep.log"

serve_cycle win 1
check_eq "a candidate within the tolerance is activated" "$(jget "$TMP/win.h.json" retrain.last.outcome)" activated
V1=$(jget "$TMP/win.h.json" retrain.last.version)
# a tie activates again at every cycle (new data would be in each), so later cycles may
# have activated newer versions meanwhile: the one served is V1 or a later retrained one
for _ in $(seq 1 100); do
  curl -s "http://127.0.0.1:$(serve_port win west)/api/v1/health" >"$TMP/win.h2.json"
  [ "$(jget "$TMP/win.h2.json" model.version)" -ge "$V1" ] && break
  sleep 0.05
done
SERVED=$(jget "$TMP/win.h2.json" model.version)
check "the region serves it or a later cycle's (swapped through the activation path)" \
  test "$SERVED" -ge "$V1" -a "$(jget "$TMP/win.h2.json" model.algorithm)" = hybrid
kill "$PID_win"; wait "$PID_win" 2>/dev/null
check_eq "the server stops cleanly" "$?" 0
LAST=$(grep '"outcome":"activated"' "$TMP/win.log" | tail -1 | sed 's/.*"version":\([0-9]*\).*/\1/')
check_eq "the database's active version is the last one the cycles activated" \
  "$(active "$TMP/s.db")" "$LAST"
check "which is V1 or later" test "$LAST" -ge "$V1"
check_eq "requests were answered 200 throughout" "$(sort -u "$TMP/win.codes")" 200
printf '[global]\nretrain_every = 1w\n[region r]\nport = 0\n' >"$TMP/bad.conf"
"$BIN" --serve --config "$TMP/bad.conf" >/dev/null 2>"$TMP/bad.err"
check_grep "a bad retrain_every names the file, line and key" "bad.conf:2: key 'retrain_every'" "$TMP/bad.err"
