#!/bin/bash
# Feedback events with a model store (issue 11, part 1): two hosts serving
# from an S3 store (s3rver behind the verifying SigV4 proxy, tests/e2e/s3lib.sh)
# keep their events in an events-only database in their store cache, and ship
# them to the store as objects (PREFIX/events/DBID/FIRST-LAST.jsonl) every
# events_ship seconds; `retrain --events-from` imports every host's objects
# into the training database once, and the customers only those events know
# join the retrained model. Loopback only; every wait is bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"
if ! why=$(s3_available); then
  skip "events with a model store" "$why"
  exit 0
fi
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
s3_start recs || { fail "s3rver and the SigV4 proxy start"; exit 1; }
STORE=s3://recs/shop
DB=$TMP/olist.db
if ! sample_db "$DB" 2000 5 "--no-eval --publish $STORE"; then
  fail "ingest, train and publish the sample data"
  exit 1
fi
PROD=$(sqlite3 "$DB" "SELECT product_id FROM order_items GROUP BY product_id ORDER BY count(*) DESC LIMIT 1")

host_start() { # host_start NAME REGION: a host directory with only regions.conf
  mkdir -p "$TMP/$1"
  printf '[global]\nmodel_store = %s\nstore_poll = 1\nstore_cache = cache\nevents_ship = 1\nlog = off\nrate_limit = 0\n[region %s]\nport = 0\nlatitude = 0\nlongitude = 0\n' \
    "$STORE" "$2" >"$TMP/$1/regions.conf"
  (cd "$TMP/$1" && exec "$BIN" --serve) 2>"$TMP/$1.err" &
  PIDS="$PIDS $!"
  eval "PID_$1=$!"
  for _ in $(seq 1 300); do grep -q "listening on" "$TMP/$1.err" && break; sleep 0.05; done
  eval "PORT_$1=$(sed -n 's/^region .* listening on .*://p' "$TMP/$1.err" | head -1)"
}
post() { curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$1/api/v1/events" -d "$2"; }
purchase() { printf '{"user_id":"%s","product_id":"%s","type":"purchase"}' "$1" "$PROD"; }
model_up() { # model_up PORT: the region serves the store's model within 10 s
  for _ in $(seq 1 200); do
    curl -s "http://127.0.0.1:$1/api/v1/health" | grep -q '"model":{"status":"ok"' && return 0
    sleep 0.05
  done
  return 1
}
host_start a us-west
host_start b eu-west
check "host a serves the store's model" model_up "$PORT_a"
check "host b serves the store's model" model_up "$PORT_b"
UA=aaaaaaaa00000000000000000000000a UB=bbbbbbbb00000000000000000000000b
check_eq "host a: a purchase by a new customer is acknowledged" "$(post "$PORT_a" "$(purchase $UA)")" 202
check_eq "host b: a batch of 3 events" \
  "$(post "$PORT_b" "{\"events\":[$(purchase $UB),$(purchase $UB | sed 's/purchase"/click"/'),$(purchase $UB | sed 's/purchase"/view"/')]}")" 202
check_eq "the events are in host a's own events database (no olist.db there)" \
  "$(sqlite3 "$TMP/a/cache/events.db" "SELECT count(*) FROM events") $(ls "$TMP/a" | grep -c olist.db)" "1 0"
objects() { curl -s "$S3_DIRECT_URL/recs?list-type=2&prefix=shop/events/" | grep -o '<Key>[^<]*</Key>' | wc -l; }
for _ in $(seq 1 100); do [ "$(objects)" -ge 2 ] && break; sleep 0.1; done
check_eq "within events_ship seconds each host shipped an object" "$(objects)" 2
kill "$PID_a"; wait "$PID_a" 2>/dev/null
check_eq "host a stopped: nothing new to ship, no new object" "$(objects)" 2

"$BIN" retrain --db "$DB" --events-from "$STORE" --json >"$TMP/rt.json" 2>"$TMP/rt.err"
check_eq "retrain --events-from: exit 0" "$?" 0
check_eq "both hosts' 4 events were imported into the training database" \
  "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE region LIKE 'store:%'")" 4
check_grep "the new customers of both hosts joined the model" '"new_users":2' "$TMP/rt.json"
"$BIN" retrain --db "$DB" --events-from "$STORE" --dry-run --json >/dev/null 2>"$TMP/rt2.err"
check_eq "a second import takes nothing twice" \
  "$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE region LIKE 'store:%'")" 4
check_eq "every S3 request was signed correctly" "$(s3_stat rejected)" 0
kill "$PID_b"; wait "$PID_b" 2>/dev/null
check_eq "the hosts stopped with no sanitizer report" \
  "$(cat "$TMP/a.err" "$TMP/b.err" | grep -c 'Sanitizer\|runtime error')" 0
