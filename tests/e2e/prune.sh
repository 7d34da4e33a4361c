#!/usr/bin/env bash
# Bounded model storage: `recsys-tui models prune --keep N` (which versions
# go, which stay: the active one and those a running A/B experiment serves,
# whatever their age), its bad input, and the scheduled retraining of a
# serving process pruning after each cycle (retrain_keep), with every
# request answered meanwhile and the outcome in /api/v1/health.
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
stored() { sqlite3 "$1" 'SELECT group_concat(version) FROM (SELECT version FROM models ORDER BY version)'; }

DB=$TMP/s.db
T="--algo popularity --no-eval"
sample_db "$DB" 300 11 "$T" "$T" "$T" "$T" "$T" || { fail "sample database"; exit 1; }
check_eq "five versions stored" "$(stored "$DB")" "1,2,3,4,5"
"$BIN" models activate 2 --db "$DB" >/dev/null
check_grep "models --help documents prune" "models prune --keep N" <("$BIN" models --help)

# --- the command ----------------------------------------------------------------
"$BIN" models prune --keep 2 --db "$DB" >"$TMP/p1.txt" 2>&1
check_eq "prune exits 0" "$?" 0
check_grep "it names what it removed, newest first" "^removed 2 model versions: 3, 1; 3 kept$" "$TMP/p1.txt"
check_eq "the 2 newest and the active one stay" "$(stored "$DB")" "2,4,5"
check_eq "the blobs went with them" \
  "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM model_parts WHERE version IN (1, 3)')" 0
check_eq "the active version is unchanged" \
  "$(sqlite3 "$DB" 'SELECT version FROM models WHERE active = 1')" 2
"$BIN" models prune --keep 2 --db "$DB" --json >"$TMP/p2.json"
check_eq "nothing more to remove (JSON)" "$(tr -d ' \n' <"$TMP/p2.json")" '{"removed":[],"kept":3}'

"$BIN" models prune --db "$DB" >/dev/null 2>"$TMP/e1"
check_eq "prune without --keep is a usage error" "$?" 2
check_grep "saying so" "prune needs --keep N" "$TMP/e1"
"$BIN" models prune --keep 0 --db "$DB" >/dev/null 2>"$TMP/e2"
check_eq "--keep 0 is a usage error" "$?" 2
check_grep "naming the value" "1000000: 0$" "$TMP/e2"
"$BIN" models list --keep 2 --db "$DB" >/dev/null 2>"$TMP/e3"
check_eq "--keep with another subcommand is a usage error" "$?" 2
"$BIN" models prune --keep 1 --db "$TMP/missing/olist.db" >/dev/null 2>"$TMP/e4"
check_eq "a database that cannot be opened exits 1" "$?" 1
check_grep "naming it" "missing/olist.db" "$TMP/e4"

# --- in the serving process: an experiment pins its versions ----------------------
one_region_conf "$TMP/srv.conf" "$DB" "log = $TMP/srv.log" "retrain_every = 1s" \
  "retrain_tolerance = 1" "retrain_keep = 2"
serve_start srv 1 --config "$TMP/srv.conf" || { fail "server starts"; exit 1; }
URL=http://127.0.0.1:$(serve_port srv us-west)
U=$(sqlite3 "$DB" "SELECT user_id FROM interactions ORDER BY ts DESC LIMIT 1")
code=$(curl -s -o "$TMP/x.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"name":"pin","variants":[{"name":"old","model_version":2,"share":50},{"name":"new","model_version":4,"share":50}],"traffic":100}' \
  "$URL/api/v1/experiments")
check_eq "an experiment on versions 2 and 4 starts" "$code" 201
: >"$TMP/codes"
for _ in $(seq 1 400); do
  curl -s -o /dev/null -w '%{http_code}\n' "$URL/api/v1/recommendations/user/$U?count=5" >>"$TMP/codes"
  curl -s "$URL/api/v1/health" >"$TMP/h.json"
  [ "$(jget "$TMP/h.json" retrain.runs)" -ge 4 ] 2>/dev/null && break
  sleep 0.05
done
check "four cycles ran" test "$(jget "$TMP/h.json" retrain.runs)" -ge 4
check_eq "health shows the bound" "$(jget "$TMP/h.json" retrain.keep)" 2
check "and what the last cycle pruned" test "$(jget "$TMP/h.json" retrain.last.pruned)" -ge 0
check_eq "every request meanwhile was answered 200" "$(sort -u "$TMP/codes")" 200
kill "$PID_srv"; wait "$PID_srv" 2>/dev/null
check_eq "the server stops cleanly" "$?" 0
ACTIVE=$(sqlite3 "$DB" 'SELECT version FROM models WHERE active = 1')
NEWEST=$(sqlite3 "$DB" 'SELECT MAX(version) FROM models')
WANT=$(printf '%s\n' 2 4 "$ACTIVE" "$NEWEST" $((NEWEST - 1)) | sort -nu | paste -sd,)
check_eq "what stays: the experiment's 2 and 4, the active, the 2 newest" "$(stored "$DB")" "$WANT"
check_grep "the log has each prune" '"event":"retrain".*"phase":"prune".*"removed":' "$TMP/srv.log"
