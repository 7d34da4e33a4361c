#!/bin/bash
# End-to-end tests of feedback events (issue 11, part 1) through the real
# binary, on generated sample data: POST /api/v1/events answers 202 once the
# events are in the database's events table; 422 names the field (unknown
# product, bad type, bad timestamp) and a batch stores its good entries;
# more than 1,000 events is 413; a full queue (events_queue = 1 and a slow
# writer, RECSYS_EVENTS_DELAY_MS) answers 503 with Retry-After; a kill -9
# right after the acknowledgements loses none of them (with every commit
# synced by the syncer thread); a batch's rows each hold their own values
# (multi-row INSERTs); /metrics counts the fdatasyncs; a new user's purchase
# shows in GET /api/v1/users/{id} in all four regions within 1 s, makes the
# user known to the recommender (cached answers dropped, the bought item
# excluded) and survives a restart (the overlay is rebuilt from the table).
# Loopback only; every loop is bounded.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
command -v sqlite3 >/dev/null || { skip "events e2e" "no sqlite3 shell (scripts/deps.sh test)"; exit 0; }

DB=$TMP/olist.db
if ! sample_db "$DB" 2000 5 ""; then
  fail "ingest and train the sample data"
  exit 0
fi
conf() { # conf FILE [extra global lines...]
  f=$1; shift
  { echo "[global]"; echo "database = $DB"; echo "rate_limit = 0"; echo "log = off"
    for l in "$@"; do echo "$l"; done
    echo "[region us-west]";  echo "port = 0"; echo "latitude = 37.77"; echo "longitude = -122.42"
    echo "[region us-east]";  echo "port = 0"; echo "latitude = 38.03"; echo "longitude = -78.48"
    echo "[region eu-west]";  echo "port = 0"; echo "latitude = 53.35"; echo "longitude = -6.26"
    echo "[region ap-south]"; echo "port = 0"; echo "latitude = 19.07"; echo "longitude = 72.87"
  } >"$f"
}
conf "$TMP/regions.conf"
serve_start ev 4 --config "$TMP/regions.conf" || { fail "serve 4 regions"; exit 0; }
P=$(serve_port ev us-west)
PORTS="$P $(serve_port ev us-east) $(serve_port ev eu-west) $(serve_port ev ap-south)"
PROD=$(sqlite3 "$DB" "SELECT product_id FROM order_items GROUP BY product_id ORDER BY count(*) DESC LIMIT 1")
PROD2=$(sqlite3 "$DB" "SELECT product_id FROM order_items GROUP BY product_id ORDER BY count(*) DESC LIMIT 1 OFFSET 1")
NEWU=00000000000000000000000000e11e11
rows() { sqlite3 "$DB" "PRAGMA busy_timeout=5000; SELECT count(*) FROM events $1" | tail -1; }

# The client: `post PORT BODY` prints "STATUS BODY" (with "retry=N" when a
# Retry-After came); `get PORT PATH` likewise; `flood ...` see below.
cat >"$TMP/cl.py" <<'PYEOF'
import http.client, json, os, sys, threading, time
def req(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    h = {"Content-Type": "application/json"}
    if os.environ.get("KEY"): h["X-API-Key"] = os.environ["KEY"]
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode()
    ra = r.getheader("Retry-After")
    c.close()
    return r.status, data, ra
cmd = sys.argv[1]
if cmd in ("post", "get"):
    st, data, ra = req(sys.argv[2], "POST" if cmd == "post" else "GET", sys.argv[3] if cmd == "get" else "/api/v1/events", sys.argv[3] if cmd == "post" else None)
    print(st, (("retry=%s " % ra) if ra else "") + data)
elif cmd == "flood":
    # flood PORT THREADS REQUESTS_EACH BATCH PRODUCT: posts batches of
    # purchases by distinct users on keep-alive connections; prints
    # "acked=A events=E s503=B retry=R other=O" (E: events acknowledged)
    port, nth, each, batch, prod = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    lock = threading.Lock(); tot = {"acked": 0, "events": 0, "s503": 0, "retry": 0, "other": 0}
    def work(t):
        c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        for i in range(each):
            evs = [{"user_id": "%016x%016x" % (t + 1, i * batch + k), "product_id": prod, "type": "purchase"} for k in range(batch)]
            c.request("POST", "/api/v1/events", body=json.dumps({"events": evs}), headers={"Content-Type": "application/json"})
            r = c.getresponse(); r.read()
            with lock:
                if r.status == 202: tot["acked"] += 1; tot["events"] += batch
                elif r.status == 503:
                    tot["s503"] += 1
                    if r.getheader("Retry-After"): tot["retry"] += 1
                else: tot["other"] += 1
            if r.getheader("Connection", "") == "close":
                c.close(); c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        c.close()
    th = [threading.Thread(target=work, args=(t,)) for t in range(nth)]
    [x.start() for x in th]; [x.join() for x in th]
    print(" ".join("%s=%d" % (k, v) for k, v in tot.items()))
elif cmd == "visible":
    # visible USER PRODUCT PORTS...: seconds until every region's profile of
    # USER lists PRODUCT (polls every 20 ms for up to 5 s); "never" otherwise
    user, prod, ports = sys.argv[2], sys.argv[3], sys.argv[4:]
    t0 = time.monotonic(); left = set(ports)
    while left and time.monotonic() - t0 < 5:
        for p in list(left):
            st, data, _ = req(p, "GET", "/api/v1/users/" + user)
            if st == 200 and prod in data: left.discard(p)
        time.sleep(0.02)
    print("never" if left else "%.3f" % (time.monotonic() - t0))
PYEOF
CL="$PY $TMP/cl.py"
ev() { printf '{"user_id":"%s","product_id":"%s","type":"%s"%s}' "$1" "$2" "$3" "${4:-}"; }

# ---- 202 and durable ----
out=$($CL post $P "$(ev 0123456789abcdef0123456789abcdef "$PROD" click ',"ts":"2018-03-01T10:00:00Z","request_id":"req-1"')")
check_eq "one event: 202 accepted 1" "${out%% *} $(echo "$out" | grep -o '"accepted":1')" '202 "accepted":1'
check_eq "it is in the events table before the answer (type, ts, request_id, region)" \
  "$(sqlite3 "$DB" "SELECT type, ts, request_id, region FROM events WHERE user_id = '0123456789abcdef0123456789abcdef'")" \
  "click|1519898400|req-1|us-west"
check_eq "the database is in WAL mode" "$(sqlite3 "$DB" "PRAGMA journal_mode")" wal
out=$($CL post $P "$(ev 0123456789ABCDEF0123456789ABCDEF "$PROD" view ',"ts":1519898400')")
check_eq "unix seconds and upper-case ids are fine (stored lower case)" "${out%% *} $(rows "WHERE user_id = '0123456789abcdef0123456789abcdef'")" "202 2"

# ---- 422 naming the field ----
field() { echo "$1" | grep -o '"field":"[a-z_]*"' | head -1; }
out=$($CL post $P "$(ev "$NEWU" ffffffffffffffffffffffffffffffff click)")
check_eq "unknown product: 422 naming product_id" "${out%% *} $(field "$out")" '422 "field":"product_id"'
check_grep "its message names the product" 'product_id: unknown product ffffffffffffffffffffffffffffffff' <(echo "$out")
out=$($CL post $P "$(ev "$NEWU" "$PROD" buy)")
check_eq "bad type: 422 naming type" "${out%% *} $(field "$out")" '422 "field":"type"'
out=$($CL post $P "$(ev "$NEWU" "$PROD" click ',"ts":"yesterday"')")
check_eq "bad timestamp: 422 naming ts" "${out%% *} $(field "$out")" '422 "field":"ts"'
out=$($CL post $P "$(ev "$NEWU" "$PROD" click ',"ts":4102444800')")
check_eq "a timestamp years ahead: 422 naming ts" "${out%% *} $(field "$out")" '422 "field":"ts"'
out=$($CL post $P "$(ev nothex "$PROD" click)")
check_eq "malformed user id: 422 naming user_id" "${out%% *} $(field "$out")" '422 "field":"user_id"'
out=$($CL post $P "$(ev "$NEWU" "$PROD" click ',"request_id":"has space"')")
check_eq "bad request_id: 422 naming request_id" "${out%% *} $(field "$out")" '422 "field":"request_id"'
check_eq "not JSON: 400" "$($CL post $P '{"user_id":' | cut -d' ' -f1)" 400
check_eq "GET on the route: 405" "$($CL get $P /api/v1/events | cut -c1-3)" 405
before=$(rows)
out=$($CL post $P "{\"events\":[$(ev aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "$PROD" view),$(ev aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ffffffffffffffffffffffffffffffff view),$(ev aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "$PROD" nope),$(ev aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "$PROD" add_to_cart)]}")
check_eq "batch with 2 bad entries: 202, 2 accepted, 2 rejected" \
  "${out%% *} $(echo "$out" | grep -o '"accepted":2,"rejected":2')" '202 "accepted":2,"rejected":2'
check_grep "the failures are listed with index and field" \
  '"index":1,"field":"product_id".*"index":2,"field":"type"' <(echo "$out")
check_eq "the good ones are stored, the bad ones not" "$(( $(rows) - before ))" 2
out=$($CL post $P "{\"events\":[$(ev "$NEWU" f0000000000000000000000000000000 view),$(ev "$NEWU" "$PROD" nope)]}")
check_eq "batch with no good entry: 422" "${out%% *}" 422
big=$($PY -c "import json; print(json.dumps({'events':[{'user_id':'$NEWU','product_id':'$PROD','type':'view'}]*1001}))")
check_eq "1,001 events: 413" "$($CL post $P "$big" | cut -c1-3)" 413
big=$($PY -c "import json; print(json.dumps({'events':[{'user_id':'b'*32,'product_id':'$PROD','type':'view'}]*1000}))")
before=$(rows)
check_eq "1,000 events: 202, all stored" "$($CL post $P "$big" | cut -c1-3) $(( $(rows) - before ))" "202 1000"
# 70 distinct events: statements of 32 rows and single rows, each row its own values
big=$($PY -c "import json; T=['view','click','add_to_cart','purchase']; print(json.dumps({'events':[dict(user_id='%032x' % (0xd0000 + i), product_id='$PROD', type=T[i % 4], ts=1519898400 + i, **({'request_id': 'rq-%d' % i} if i % 3 else {})) for i in range(70)]}))")
want=$($PY -c "T=['view','click','add_to_cart','purchase']; print('\n'.join('%032x|%s|%d|%s' % (0xd0000 + i, T[i % 4], 1519898400 + i, ('rq-%d' % i) if i % 3 else '') for i in range(70)))")
check_eq "70 distinct events: 202" "$($CL post $P "$big" | cut -c1-3)" 202
check_eq "each row holds its own event's user, type, ts and request_id, in order" \
  "$(sqlite3 "$DB" "SELECT user_id, type, ts, ifnull(request_id, '') FROM events WHERE user_id LIKE '000000000000000000000000000d%' ORDER BY id")" "$want"

# ---- a new user's purchase: every region, within 1 s, known, cache dropped ----
out=$($CL get $P "/api/v1/recommendations/user/$NEWU?count=10")
check_grep "before: the new user is unknown" '"known":false' <(echo "$out")
$CL get $P "/api/v1/recommendations/user/$NEWU?count=10" >"$TMP/cached"
check_grep "and that answer is cached" '"cache":"HIT"' "$TMP/cached"
check_eq "before: no profile (404)" "$($CL get $P /api/v1/users/$NEWU | cut -c1-3)" 404
check_eq "the purchase: 202" "$($CL post $(serve_port ev eu-west) "$(ev "$NEWU" "$PROD" purchase)" | cut -c1-3)" 202
secs=$($CL visible "$NEWU" "$PROD" $PORTS)
check "its profile lists the purchase in all four regions within 1 s ($secs s)" \
  $PY -c "import sys; sys.exit(0 if '$secs' != 'never' and float('$secs') <= 1.0 else 1)"
out=$($CL get $P "/api/v1/recommendations/user/$NEWU?count=10")
check_grep "the recommender knows the user now (the cached answer was dropped)" '"cache":"MISS".*"known":true' <(echo "$out")
check_eq "the bought product is not recommended again" "$(echo "$out" | grep -c "$PROD")" 0
check_grep "neighbours of the purchase lead the list" '"rank":1,[^}]*"source":"(itemcf|content):recent"' <(echo "$out")
check_eq "user profile: orders 1, products 1" \
  "$($CL get $(serve_port ev us-east) /api/v1/users/$NEWU | grep -o '"orders":1,"products":1')" '"orders":1,"products":1'
out=$($CL get $P "/api/v1/recommendations/user/cccccccccccccccccccccccccccccccc?count=8")
check_grep "cold start: real-time popularity leads" '"rank":1,[^}]*"source":"popularity:realtime"' <(echo "$out")

$CL get $P /metrics >"$TMP/metrics"
check_grep "/metrics counts the stored events" '^recsys_events_stored_total\{region="us-west"\} [1-9]' \
  "$TMP/metrics"
check_grep "the acknowledged events were fdatasynced (the WAL, by the events writer or syncer)" \
  '^recsys_events_syncs_total\{region="us-west"\} [1-9]' "$TMP/metrics"

# ---- restart: the overlay comes back from the table ----
kill $PID_ev; wait $PID_ev 2>/dev/null
serve_start ev2 4 --config "$TMP/regions.conf" || { fail "restart"; exit 0; }
P=$(serve_port ev2 us-east)
secs=$($CL visible "$NEWU" "$PROD" $P)
check "after a restart the purchase is still in the profile ($secs s)" test "$secs" != never
$CL get $P "/api/v1/recommendations/user/$NEWU" >"$TMP/after_restart"
check_grep "and the user still known" '"known":true' "$TMP/after_restart"
kill $PID_ev2; wait $PID_ev2 2>/dev/null

# ---- API keys: events is a key route (not an admin one) ----
echo "k-events-1" >"$TMP/keys"
conf "$TMP/keys.conf" "api_keys_file = $TMP/keys"
serve_start keys 1 --config "$TMP/keys.conf" --region us-west || { fail "serve with keys"; exit 0; }
P=$(serve_port keys us-west)
check_eq "with api_keys_file: no key is 401" "$($CL post $P "$(ev "$NEWU" "$PROD" view)" | cut -c1-3)" 401
check_eq "with the key: 202" "$(KEY=k-events-1 $CL post $P "$(ev "$NEWU" "$PROD" view)" | cut -c1-3)" 202
kill $PID_keys; wait $PID_keys 2>/dev/null

# ---- full queue: 503 with Retry-After; nothing acknowledged is lost ----
conf "$TMP/tiny.conf" "events_queue = 1"
RECSYS_EVENTS_DELAY_MS=200 serve_start tiny 4 --config "$TMP/tiny.conf" || { fail "serve tiny queue"; exit 0; }
P=$(serve_port tiny us-west)
before=$(rows)
out=$($CL flood $P 6 3 1 "$PROD")
acked=$(echo "$out" | sed 's/.*events=\([0-9]*\).*/\1/')
check_grep "a full queue answers 503 ($out)" 's503=[1-9]' <(echo "$out")
check_eq "every 503 carries Retry-After" "$(echo "$out" | sed 's/.*s503=\([0-9]*\) retry=\([0-9]*\).*/\1 \2/' | awk '{print ($1 == $2)}')" 1
check_eq "acknowledged events are all stored, refused ones not" "$(( $(rows) - before ))" "$acked"
kill $PID_tiny; wait $PID_tiny 2>/dev/null
check_eq "the servers stopped cleanly with no sanitizer report" \
  "$(cat "$TMP/ev.err" "$TMP/ev2.err" "$TMP/tiny.err" | grep -c 'Sanitizer\|runtime error\|WARNING: ThreadSanitizer')" 0

# ---- kill -9 after the acknowledgements loses nothing ----
# every group goes through the syncer thread (fdatasync of the WAL, then the answers)
RECSYS_EVENTS_PIPELINE=2 serve_start k9 4 --config "$TMP/regions.conf" || { fail "serve for kill -9"; exit 0; }
before=$(rows)
out=$($CL flood $(serve_port k9 us-west) 8 25 10 "$PROD")
disown $PID_k9 2>/dev/null # no "Killed" line from the shell
kill -9 $PID_k9
for _ in $(seq 1 200); do # gone, or a zombie: either way it writes nothing more
  [ -e /proc/$PID_k9 ] && ! grep -q ') Z' /proc/$PID_k9/stat 2>/dev/null || break
  sleep 0.01
done
acked=$(echo "$out" | sed 's/.*events=\([0-9]*\).*/\1/')
check_eq "flood: 200 requests of 10 events, all acknowledged ($out)" "$acked" 2000
check_eq "after kill -9 the table holds every acknowledged event" "$(( $(rows) - before ))" "$acked"
check_eq "the database is intact" "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok
