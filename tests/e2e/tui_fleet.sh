#!/bin/bash
# The dashboard across hosts and model sources, in tmux (send-keys,
# capture-pane): each card names the region's host and where its model came
# from, and regions serving different model versions are flagged on their
# card, in the System view and in the alert line. Two real regions run on two
# databases (each its own `--serve --region NAME --db PATH` process); a third
# is a stand-in answering /api/v1/health/ as a region fed by the S3 model
# store does (source s3://..., DEGRADED with the store's warning).
. "$(dirname "$0")/lib.sh"

for tool in tmux curl python3; do
  if ! command -v $tool >/dev/null 2>&1; then
    skip "dashboard fleet view" "$tool is not installed"
    exit 0
  fi
done

INTERVAL=0.2
TM="tmux -L recsys-tui-fleet-$$"
SCREENS=${SCREENS_DIR:-}
PIDS=""
cleanup() {
  $TM kill-server >/dev/null 2>&1
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- two databases, both with versions 1 and 2 (2 active) ---------------------
mkdir -p "$TMP/a" "$TMP/b"
A=$TMP/a/olist.db B=$TMP/b/olist.db
if ! sample_db "$A" 1500 3 "" ""; then
  fail "sample database for the fleet view"
  exit 1
fi
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' "$A" "$B"

P_WEST=$(free_port) P_EAST=$(free_port) P_FAKE=$(free_port)
CONF=$TMP/regions.conf
cat >"$CONF" <<CONF
[global]
database = $A
log = off
rate_limit = 0
[region us-west]
port = $P_WEST
location = West
[region us-east]
port = $P_EAST
location = East
[region eu-store]
port = $P_FAKE
location = Store
CONF

# The stand-in: the health answer of a region whose store download failed, in
# the shape a real one gives (net/health.c, net/storepoll.c): it keeps serving
# v2 from s3, its model has no warning, and the store object says why it is
# DEGRADED (tests/e2e/s3store.sh checks those fields on real regions).
cat >"$TMP/fake.py" <<'PY'
import http.server, json, sys
HEALTH = {"region": "eu-store", "location": "Store", "host": "store-host-7", "status": "DEGRADED",
          "uptime_s": 5.0, "requests": {"total": 3, "errors": 0, "per_second": 0.5},
          "latency_ms": {"p50": 0.1, "p99": 0.2},
          "model": {"status": "ok", "version": 2, "algorithm": "hybrid",
                    "source": "s3://recsys-models/prod/v2", "warning": None},
          "database": {"ok": True, "path": "/var/cache/recsys-tui/eu-store/s3/recsys-models/prod/artifact.db"},
          "store": {"url": "s3://recsys-models/prod", "status": "unreachable", "active": 3,
                    "serving": 2, "last_ok": "2026-12-02T10:00:00Z",
                    "last_error": "s3://recsys-models/prod/v3: download failed: HTTP 503",
                    "cache": "/var/cache/recsys-tui/eu-store/s3/recsys-models/prod/artifact.db"},
          "served_by": "eu-store"}
STATS = {"model": {"algorithm": "hybrid", "version": 2, "users": 10, "products": 5}}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ans = HEALTH if self.path.startswith("/api/v1/health") else \
            STATS if self.path.startswith("/api/v1/recommendations/stats") else None
        body = json.dumps(ans or {"error": {"message": "no such route"}}).encode()
        self.send_response(200 if ans else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$TMP/fake.py" "$P_FAKE" 2>"$TMP/fake.err" &
PIDS="$PIDS $!"
"$BIN" --serve --config "$CONF" --region us-west --db "$A" >"$TMP/west.log" 2>&1 &
PIDS="$PIDS $!"
"$BIN" --serve --config "$CONF" --region us-east --db "$B" >"$TMP/east.log" 2>&1 &
EAST_PID=$!
PIDS="$PIDS $EAST_PID"
for port in $P_WEST $P_EAST $P_FAKE; do
  for _ in $(seq 100); do
    curl -fsS -m 1 "http://127.0.0.1:$port/api/v1/health/" >/dev/null 2>&1 && break
    sleep 0.1
  done
done
HOST=$(curl -fsS -m 2 "http://127.0.0.1:$P_WEST/api/v1/health/" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["host"])' 2>/dev/null)
check_eq "health names the region's host (gethostname)" "$HOST" "$(python3 -c 'import socket; print(socket.gethostname())')"
SRC=$(curl -fsS -m 2 "http://127.0.0.1:$P_EAST/api/v1/health/" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["model"]["source"])' 2>/dev/null)
check_eq "health names where the model came from (the database path)" "$SRC" "$B"

# --- the dashboard --------------------------------------------------------------
PANE=fleet
. "$(dirname "$0")/tui_screen.bash"
activate() { # activate PORT VERSION: the admin route (loopback needs no key)
  curl -fsS -m 10 -X POST -H 'Content-Type: application/json' -d '{}' \
    "http://127.0.0.1:$1/api/v1/models/$2/activate" >/dev/null
}

$TM new-session -d -s fleet -x 120 -y 40 \
  "'$BIN' --monitor --config '$CONF' --interval $INTERVAL; echo \$? >'$TMP/rc'; sleep 30"
check_screen "both real regions come UP, the stand-in DEGRADED" '2/3 regions UP .* 1 region unhealthy' 10
check_screen "the cards name the host" "host $HOST  up "
check_screen "the stand-in's card names its host" 'host store-host-7  up '
# a path too long for the card keeps its end
check_screen "us-west's model came from its database" 'from [^ ]*/a/olist\.db'
check_screen "us-east's model came from its own database" 'from [^ ]*/b/olist\.db'
check_screen "the store-fed region shows its s3:// source" 'from s3://recsys-models/prod/v2'
check_screen "... is DEGRADED (in words)" '\[!\] DEGRADED'
check_screen "... and says why, from the store's last_error (on two lines when the card is narrow)" 'warning: s3://recsys-models/prod/v3: ?'
check_screen "... all of it" ' +download failed: HTTP 503 '
check_fails "the stand-in answers every route the dashboard asks" grep -q 'last error [0-9]' "$TMP/screen.txt"
check_fails "all on v2: no version alert" grep -q 'ALERT' "$TMP/screen.txt"
check_fails "all on v2: nothing flagged" grep -q 'DIFFERS' "$TMP/screen.txt"
save_screen fleet-agree-120x40

# us-east's database activates v1: it alone serves another version.
check "activate v1 on us-east's database (admin route)" activate "$P_EAST" 1
check_screen "the alert line names the odd region and the fleet's version" \
  'ALERT: model versions differ: us-east v1; the others v2' 10
check_screen "us-east's card flags it" 'model v1 DIFFERS \(fleet v2\)'
check_eq "only one card is flagged" "$(grep -c 'DIFFERS' "$TMP/screen.txt")" 1
save_screen fleet-differ-120x40
$TM send-keys -t fleet 4
check_screen "the System view flags it too" '^ us-east .* v1 DIFFERS' 5
check_screen "the System view lists host and source" "^ us-west .* v2 +$HOST $A"
$TM send-keys -t fleet 1
$TM resize-window -t fleet -x 80 -y 24
check_screen "80x24: the flag is still on the card" 'model v1 DIFFERS' 5
check_screen "80x24: and in the alert line" 'ALERT: model versions differ: us-east v1' 5
check_screen "80x24: the cards still show host and source" "host $HOST .*host $HOST" 5
check_screen "80x24: every card shows where its model came from" 'from .*olist\.db.*from .*olist\.db' 5
save_screen fleet-differ-80x24
# A region that is DOWN serves nothing: it is not counted against the others.
kill -STOP "$EAST_PID"
check_gone "a DOWN region is left out of the version check" 'DIFFERS' 10
kill -CONT "$EAST_PID"
check_screen "back UP, it is flagged again" 'model v1 DIFFERS' 10
# Back on v2: the flag and the alert clear.
check "activate v2 on us-east again" activate "$P_EAST" 2
check_gone "the flag clears" 'DIFFERS' 10
check_fails "the alert clears" grep -q 'ALERT' "$TMP/screen.txt"
$TM send-keys -t fleet q
for _ in $(seq 50); do [ -s "$TMP/rc" ] && break; sleep 0.1; done
check_eq "q ends the dashboard with status 0 (a sanitizer report would not)" "$(cat "$TMP/rc" 2>/dev/null)" 0
