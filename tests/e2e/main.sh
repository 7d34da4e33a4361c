#!/bin/bash
# The main job, `recsys-tui` with no command: builds what is missing (sample
# data when there is no Olist data, then a model), serves every region in one
# process, and in a terminal opens the dashboard whose fault-injection keys
# stop and restart a region's server. Also: an interrupted first ingest
# leaves nothing behind; headless, SIGHUP reloads the model.
. "$(dirname "$0")/lib.sh"

REGIONS="us-west us-east eu-west ap-south"
TM="tmux -L recsys-main-e2e-$$"
MAIN_PID=""
cleanup() {
  $TM kill-server >/dev/null 2>&1
  [ -n "$MAIN_PID" ] && kill "$MAIN_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

check "--help exits 0" "$BIN" --help
"$BIN" --no-such-option >"$TMP/out" 2>&1
check_eq "an unknown option is a usage error" "$?" 2
# --interval: one range for the main job and --monitor (cli/opts.h)
for bad in 0.01 3601 1x; do
  "$BIN" --interval "$bad" --config /nonexistent >"$TMP/out" 2>&1
  check_eq "--interval $bad is a usage error" "$?" 2
  check_grep "... whose message states the range 0.05..3600" "between 0.05 and 3600" "$TMP/out"
  "$BIN" --monitor --interval "$bad" --config /nonexistent >"$TMP/out" 2>&1
  check_eq "--monitor --interval $bad is a usage error" "$?" 2
  check_grep "... with the same range" "0.05..3600" "$TMP/out"
done
# Past the option parser (the config is read next, and fails): 61 s was
# refused by the main job before the two ranges became one.
"$BIN" --interval 61 --config /nonexistent >"$TMP/out" 2>&1
check_eq "--interval 61 is accepted (then the missing config fails)" "$?" 1

CONF=$TMP/regions.conf
DB=$TMP/olist.db
{
  printf '[global]\ndatabase = %s\nlog = off\nrate_limit = 0\n' "$DB"
  lat=10
  for r in $REGIONS; do
    printf '[region %s]\nport = %s\nlocation = Test %s\nlatitude = %s\nlongitude = 0\n' \
      "$r" "$(free_port)" "$r" "$lat"
    lat=$((lat + 10))
  done
} >"$CONF"
port_of() { awk -v r="[region $1]" '$0 == r {f = 1} f && $1 == "port" {print $3; exit}' "$CONF"; }

# --- headless: no data directory -> generated sample, ingest, train, serve ----
samples_before=$(ls -d /tmp/recsys-sample.* 2>/dev/null | wc -l)
"$BIN" --data "$TMP/no-olist-here" --config "$CONF" </dev/null >"$TMP/main.out" 2>"$TMP/main.err" &
MAIN_PID=$!
for _ in $(seq 600); do
  grep -q "serving headless" "$TMP/main.err" && break
  kill -0 "$MAIN_PID" 2>/dev/null || break
  sleep 0.1
done
check_grep "without Olist data it generates sample data" "generating sample data" "$TMP/main.err"
check_grep "it trains a model when none is active" "training the hybrid" "$TMP/main.err"
check_grep "it reports every region listening" "region ap-south listening on 127.0.0.1:$(port_of ap-south)" "$TMP/main.err"
check "the database was built" test -s "$DB"
check_eq "the generated sample directory was removed" "$(ls -d /tmp/recsys-sample.* 2>/dev/null | wc -l)" "$samples_before"
check_eq "no temporary database is left" "$(ls "$TMP" | grep -c 'olist.db.tmp')" 0
for r in $REGIONS; do
  curl -s -m 5 "http://127.0.0.1:$(port_of "$r")/api/v1/health/" >"$TMP/h.json"
  check_eq "$r answers health UP with model v1" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["model"]["version"])' "$TMP/h.json" 2>&1)" "UP 1"
done
kill -TERM "$MAIN_PID"
wait "$MAIN_PID"
check_eq "SIGTERM stops the headless main job with status 0" "$?" 0
MAIN_PID=""

# --- second start: database and model exist, nothing is rebuilt ---------------
"$BIN" --data "$TMP/no-olist-here" --config "$CONF" </dev/null >"$TMP/main.out" 2>"$TMP/main2.err" &
MAIN_PID=$!
for _ in $(seq 300); do grep -q "serving headless" "$TMP/main2.err" && break; sleep 0.1; done
check_eq "a second start neither ingests nor trains" \
  "$(grep -c 'generating\|ingesting\|training' "$TMP/main2.err")" 0
# SIGHUP reloads the model, as it does for --serve (it used to kill the job).
"$BIN" train --db "$DB" --algo popularity --no-eval --quiet >/dev/null 2>&1
check_eq "a second model is trained and active" "$(sqlite3 "$DB" 'SELECT max(version) FROM models WHERE active')" 2
kill -HUP "$MAIN_PID"
for _ in $(seq 100); do grep -q "model reloaded" "$TMP/main2.err" && break; sleep 0.05; done
check "SIGHUP does not stop the headless main job" kill -0 "$MAIN_PID"
check_grep "SIGHUP reloads the model" "model reloaded" "$TMP/main2.err"
curl -s -m 5 "http://127.0.0.1:$(port_of us-east)/api/v1/health/" >"$TMP/h.json"
check_eq "after SIGHUP the regions serve the new model (v2)" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["model"]["version"])' "$TMP/h.json" 2>&1)" "UP 2"
kill -INT "$MAIN_PID"
wait "$MAIN_PID"
check_eq "SIGINT stops it with status 0" "$?" 0
MAIN_PID=""

# --- the dashboard, with the servers in the same process ----------------------
if command -v tmux >/dev/null 2>&1; then
  $TM new-session -d -x 120 -y 40 \
    "'$BIN' --config '$CONF' --interval 0.2; echo \"main exited \$?\" > '$TMP/tui.exit'; sleep 60"
  screen() { $TM capture-pane -p -t 0 >"$TMP/screen.txt"; }
  # wait_screen PATTERN: until the screen matches (at most ~10 s)
  wait_screen() {
    for _ in $(seq 100); do screen; grep -Eq -- "$1" "$TMP/screen.txt" && return 0; sleep 0.1; done
    return 1
  }
  if wait_screen "4/4 regions UP"; then ok "the dashboard shows four regions UP"; else
    fail "the dashboard shows four regions UP"; sed 's/^/#   /' "$TMP/screen.txt" | head -20; fi
  $TM send-keys -t 0 s
  if wait_screen "3/4 regions UP"; then ok "s stops the selected region's server"; else
    fail "s stops the selected region's server"; sed 's/^/#   /' "$TMP/screen.txt" | head -8; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$(port_of us-west)/api/v1/health/")
  check_eq "the stopped region refuses connections" "$code" 000
  if wait_screen "\[x\] DOWN"; then ok "its card turns DOWN"; else fail "its card turns DOWN"; fi
  $TM send-keys -t 0 r
  if wait_screen "4/4 regions UP"; then ok "r restarts it and the card is UP again"; else
    fail "r restarts it and the card is UP again"; sed 's/^/#   /' "$TMP/screen.txt" | head -8; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$(port_of us-west)/api/v1/health/")
  check_eq "the restarted region answers again" "$code" 200
  $TM send-keys -t 0 q
  for _ in $(seq 50); do [ -f "$TMP/tui.exit" ] && break; sleep 0.1; done
  check_eq "q quits the main job with status 0" "$(cat "$TMP/tui.exit" 2>/dev/null)" "main exited 0"
  code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$(port_of us-east)/api/v1/health/")
  check_eq "quitting stopped the servers" "$code" 000
else
  skip "dashboard of the main job" "tmux is not installed"
fi

# --- an interrupted first ingest leaves nothing behind -------------------------
if [ -f "$OLIST_DIR/olist_orders_dataset.csv.gz" ] || [ -f "$OLIST_DIR/olist_orders_dataset.csv" ]; then
  DB2=$TMP/real.db
  "$BIN" --data "$OLIST_DIR" --db "$DB2" --config "$CONF" </dev/null >/dev/null 2>"$TMP/int.err" &
  MAIN_PID=$!
  for _ in $(seq 200); do ls "$TMP" | grep -q 'real.db.tmp' && break; sleep 0.05; done
  sleep 0.2
  kill -INT "$MAIN_PID"
  wait "$MAIN_PID"
  check_eq "SIGINT during the first ingest exits 130" "$?" 130
  MAIN_PID=""
  check_eq "no database and no temporary file are left" "$(ls "$TMP" | grep -c 'real.db')" 0
else
  skip "interrupted first ingest" "no Olist data in $OLIST_DIR"
fi
