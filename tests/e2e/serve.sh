#!/bin/bash
# End-to-end tests of `recsys-tui --serve`: real processes, real sockets on
# 127.0.0.1 with ephemeral ports (port = 0 in a test regions.conf; the bound
# ports are read from the "region NAME listening on HOST:PORT" lines).
. "$(dirname "$0")/lib.sh"
# /usr/bin/python3 directly: a pyenv shim in PATH can cost a second per start.
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
HC="$PY $ROOT/tests/e2e/httpclient.py"
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

# --- a database: generated sample data, ingested and trained -----------------
DB=$TMP/db.sqlite
if sample_db "$DB" 2000 1; then
  HAVE_DB=1
  # two versions, so rollback has somewhere to go
  "$BIN" train --db "$DB" --quiet >/dev/null 2>&1 && "$BIN" train --db "$DB" --quiet >/dev/null 2>&1 &&
    HAVE_MODEL=1 || HAVE_MODEL=0
  KNOWN=$(sqlite3 "$DB" "SELECT customer_unique_id FROM customers LIMIT 1" 2>/dev/null)
  PRODUCT=$(sqlite3 "$DB" "SELECT product_id FROM products LIMIT 1" 2>/dev/null)
else
  HAVE_DB=0 HAVE_MODEL=0
fi
UNKNOWN=ffffffffffffffffffffffffffffffff

# write_conf FILE [global lines...]: four regions on ephemeral ports.
write_conf() {
  f=$1; shift
  { echo "[global]"; printf '%s\n' "$@"
    echo "[region us-west]";  echo "port = 0"; echo "location = California"; echo "latitude = 37.77"; echo "longitude = -122.42"
    echo "[region us-east]";  echo "port = 0"; echo "location = Virginia"; echo "latitude = 38.03"; echo "longitude = -78.48"
    echo "[region eu-west]";  echo "port = 0"; echo "location = Ireland"; echo "latitude = 53.35"; echo "longitude = -6.26"
    echo "[region ap-south]"; echo "port = 0"; echo "location = Mumbai"; echo "latitude = 19.08"; echo "longitude = 72.88"
  } >"$f"
}

# start NAME ARGS...: runs --serve in the background, waits for its regions;
# sets PID_<NAME> and the stderr file $TMP/NAME.err.
start() {
  name=$1; shift
  want=$(printf '%s\n' "$@" | grep -c -- '^--region$')
  [ "$want" -eq 0 ] && want=4
  serve_start "$name" "$want" "$@"
}
port_of() { grep "region $2 listening" "$TMP/$1.err" | sed 's/.*://'; }

# req PORT METHOD PATH [curl args...]: prints the status; headers in $TMP/h, body in $TMP/b.
req() {
  p=$1 m=$2 path=$3; shift 3
  curl -s -o "$TMP/b" -D "$TMP/h" -w '%{http_code}' -X "$m" "$@" "http://127.0.0.1:$p$path"
}
json() { $PY -c "import json,sys; d=json.load(open('$TMP/b')); print($1)"; }
# same_recs HTTP_BODY CLI_OUTPUT: the part of a recommendation body that both
# render through net/render.c (user_id .. recommendations) is the same bytes;
# only HTTP adds region, served_by, cache, request_id (with experiment and
# variant for users in an A/B experiment) and latency_ms, only the CLI adds
# algorithm and history.
same_recs() {
  $PY - "$1" "$2" <<'PY'
import json, sys
h, c = open(sys.argv[1]).read(), open(sys.argv[2]).read()
json.loads(h), json.loads(c)
hs = h[h.index('{"region":'):].split(',"cache":', 1)[1].split(',', 1)[1].rsplit(',"request_id":', 1)[0]
cs = c[1:c.rindex(',"algorithm":')]
assert hs.startswith('"user_id":') and '"recommendations":[' in hs, hs
if hs != cs:
    sys.exit("HTTP: %s\nCLI:  %s" % (hs, cs))
PY
}
header() { grep -i "^$1:" "$TMP/h" | tr -d '\r' | sed 's/^[^:]*: *//'; }

# --- command line ------------------------------------------------------------
check "--serve --help exits 0" "$BIN" --serve --help
"$BIN" --serve --bogus >/dev/null 2>&1; check_eq "unknown option exits 2" "$?" 2
printf '[region a]\nport = 0\nbogus = 1\n' >"$TMP/bad.conf"
"$BIN" --serve --config "$TMP/bad.conf" 2>"$TMP/bad.err"; check_eq "bad config exits 1" "$?" 1
check_grep "config error names file, line and key" "bad.conf:3: key 'bogus'" "$TMP/bad.err"
write_conf "$TMP/r.conf" "rate_limit = 0" "read_timeout = 1" "idle_timeout = 2" "log = $TMP/access.log" "database = $DB"
"$BIN" --serve --config "$TMP/r.conf" --region mars 2>/dev/null; check_eq "unknown --region exits 2" "$?" 2

# --- main server: three of the four regions ------------------------------------
if ! start main --config "$TMP/r.conf" --region us-west --region us-east --region eu-west; then
  fail "server starts"; exit 1
fi
ok "server starts and prints its ports"
P=$(port_of main us-west); PE=$(port_of main us-east)

check_eq "health 200" "$(req $P GET /api/v1/health/)" 200
check_eq "health region" "$(json 'd["region"]')" us-west
check_eq "X-Region header" "$(header X-Region)" us-west
check_grep "health has status, latency, cache, model, database" \
  '"status":"(UP|DEGRADED)".*"latency_ms":\{"p50".*"cache".*"model".*"database"' "$TMP/b"
if [ "$HAVE_DB" = 1 ]; then
  check_eq "health database ok" "$(json 'd["database"]["ok"]')" True
  [ "$HAVE_MODEL" = 1 ] && check_eq "health UP with a trained model" "$(json 'd["status"]')" UP
fi

if [ "$HAVE_DB" = 1 ]; then
  R=/api/v1/recommendations/user/$KNOWN
  check_eq "recommend GET 200" "$(req $P GET "$R?count=3")" 200
  check_eq "first request is a cache MISS" "$(json 'd["cache"]')" MISS
  check_eq "count=3 gives 3 items" "$(json 'len(d["recommendations"])')" 3
  check_eq "items carry product details" "$(json 'sorted(d["recommendations"][0])')" \
    "['avg_rating', 'category', 'n_ratings', 'price', 'product_id', 'rank', 'score', 'source']"
  check_eq "known user" "$(json 'd["known"]')" True
  req $P GET "$R?count=3" >/dev/null
  check_eq "second request is a cache HIT" "$(json 'd["cache"]')" HIT
  check_eq "POST with count 5" "$(req $P POST "$R" -H 'Content-Type: application/json' -d '{"count": 5}')" 200
  check_eq "POST gives 5 items" "$(json 'len(d["recommendations"])')" 5
  check_eq "default count is 10" "$(req $P POST "$R")" 200
  check_eq "default gives 10 items" "$(json 'len(d["recommendations"])')" 10
  check_eq "unknown user gets cold start 200" "$(req $P GET /api/v1/recommendations/user/$UNKNOWN)" 200
  check_eq "unknown user known=false" "$(json 'd["known"]')" False
  check_eq "unknown user: state null, not \"\"" "$(json 'd["state"]')" None
  # recommend --json renders with the same code as the HTTP API: same bytes
  for args in "$KNOWN 5 GET" "$UNKNOWN 4 GET" "$KNOWN 3 REPURCHASE"; do
    read -r u n how <<<"$args"
    if [ "$how" = REPURCHASE ]; then
      req $P POST "/api/v1/recommendations/user/$u" -d "{\"count\": $n, \"allow_repurchase\": true}" >/dev/null
      "$BIN" recommend "$u" -n "$n" --repurchase --json --db "$DB" >"$TMP/cli.json" 2>/dev/null
    else
      req $P GET "/api/v1/recommendations/user/$u?count=$n" >/dev/null
      "$BIN" recommend "$u" -n "$n" --json --db "$DB" >"$TMP/cli.json" 2>/dev/null
    fi
    check "recommend --json and HTTP give the same bytes ($how, count $n, $([ "$u" = "$UNKNOWN" ] && echo unknown || echo known) user)" \
      same_recs "$TMP/b" "$TMP/cli.json"
  done
  check_eq "stats 200" "$(req $P GET /api/v1/recommendations/stats)" 200
  check_eq "stats has model, cache, requests" "$(json 'sorted(k for k in d if k in ("model","cache","requests"))')" \
    "['cache', 'model', 'requests']"
  check_eq "user 200" "$(req $P GET /api/v1/users/$KNOWN)" 200
  check_eq "unknown user 404" "$(req $P GET /api/v1/users/$UNKNOWN)" 404
  # random user: matched before /api/v1/users/{id} (which would say 400 malformed id)
  RU=/api/v1/users/random
  code=$(req $P GET "$RU?with_history=1")
  check_eq "users/random is its own route, not a malformed id" "$([ "$code" != 400 ] && echo routed)" routed
  check_eq "users/random 200" "$code" 200
  U=$(json 'd["user_id"]')
  check_grep "users/random gives a 32-hex id" '^[0-9a-f]{32}$' <(echo "$U")
  check_eq "that user has purchase history in the database" "$(sqlite3 "$DB" \
    "SELECT COUNT(*) > 0 FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE c.customer_unique_id = '$U'")" 1
  check_eq "and the user route knows them" "$(req $P GET /api/v1/users/$U)" 200
  req $P GET "$RU?with_history=1&seed=7" >/dev/null; U1=$(json 'd["user_id"]')
  req $P GET "$RU?with_history=1&seed=7" >/dev/null; U2=$(json 'd["user_id"]')
  check_eq "same seed, same user" "$U2" "$U1"
  seen=$(for s in 1 2 3 4 5 6 7 8; do req $P GET "$RU?seed=$s" >/dev/null; json 'd["user_id"]'; done | sort -u | wc -l)
  check_eq "different seeds spread over users (8 seeds, >1 user)" "$([ "$seen" -gt 1 ] && echo spread)" spread
  check_eq "users/random with_history=0 is 400" "$(req $P GET "$RU?with_history=0")" 400
  check_eq "users/random seed=abc is 400" "$(req $P GET "$RU?seed=abc")" 400
  check_eq "POST users/random is 405" "$(req $P POST "$RU")" 405
  check_eq "product 200" "$(req $P GET /api/v1/products/$PRODUCT)" 200
  check_eq "unknown product 404" "$(req $P GET /api/v1/products/$UNKNOWN)" 404
  check_eq "models list 200" "$(req $P GET /api/v1/models)" 200
  check_grep "models list has models" '"models":\[' "$TMP/b"
  if [ "$HAVE_MODEL" = 1 ]; then
    V=$(json 'd["active"]')
    check_eq "activate the active version 200" "$(req $P POST /api/v1/models/$V/activate)" 200
    check_eq "activate says active and reloaded" "$(json 'd["active"], d["reloaded"]')" "$V True"
    check_eq "rollback 200" "$(req $P POST /api/v1/models/rollback)" 200
    W=$(json 'd["active"]')
    check_eq "rollback goes to an older version" "$([ "$W" -lt "$V" ] && echo older)" older
    req $P GET /api/v1/health/ >/dev/null
    check_eq "health reports the rolled-back version" "$(json 'd["model"]["version"]')" "$W"
    check_eq "re-activate the newer version" "$(req $P POST /api/v1/models/$V/activate)" 200
  else
    skip "activate a model version" "train is not available"
  fi
  check_eq "activate unknown version 404" "$(req $P POST /api/v1/models/999999/activate)" 404
  check_eq "activate bad version 400" "$(req $P POST /api/v1/models/x1/activate)" 400
else
  fail "sample database for the engine routes (gen-sample, ingest: our own binary)"
fi

# --- errors ----------------------------------------------------------------------
check_eq "count=0 is 400" "$(req $P GET "/api/v1/recommendations/user/$UNKNOWN?count=0")" 400
check_eq "error JSON shape" "$(json 'd["error"]["status"], bool(d["error"]["message"])')" "400 True"
check_eq "count=abc is 400" "$(req $P GET "/api/v1/recommendations/user/$UNKNOWN?count=abc")" 400
check_eq "count 101 in body is 400" "$(req $P POST /api/v1/recommendations/user/$UNKNOWN -d '{"count":101}')" 400
check_eq "bad JSON body is 400" "$(req $P POST /api/v1/recommendations/user/$UNKNOWN -d '{bad')" 400
check_eq "malformed id is 400" "$(req $P GET /api/v1/recommendations/user/xyz)" 400
check_eq "unknown route is 404" "$(req $P GET /api/v1/nope)" 404
check_eq "404 is JSON" "$(json 'd["error"]["status"]')" 404
check_eq "DELETE is 405" "$(req $P DELETE /api/v1/recommendations/user/$UNKNOWN)" 405
check_eq "405 carries Allow" "$(header Allow)" "GET, HEAD, POST"
check_eq "HEAD health: GET's Content-Length, no body (the GET after it parses)" \
  "$($HC head $P /api/v1/health/ | awk '{print $1, ($2 > 100), $3, ($4 > 100), $5}')" "200 1 200 1 rest=0"
check_eq "HEAD of an unknown route is a bodiless 404" "$($HC head $P /api/v1/nope | awk '{print $1, $3, $5}')" "404 404 rest=0"
check_eq "count 1e300 in body is 400 (no undefined cast)" \
  "$(req $P POST /api/v1/recommendations/user/$UNKNOWN -d '{"count":1e300}')" 400
check_eq "a parameter merely ending in count= is ignored" \
  "$(req $P GET "/api/v1/recommendations/user/$UNKNOWN?discount=5&count=3" | sed 's/^400$/bad/; s/^[0-9]*$/not 400/')" "not 400"
check_eq "POST health is 405" "$(req $P POST /api/v1/health/)" 405
check_eq "GET rollback is 405 Allow POST" "$(req $P GET /api/v1/models/rollback) $(header Allow)" "405 POST"
check_eq "body over 256 KiB is 413" "$($HC raw $P 0 0 270000)" 413
check_eq "header over 8 KiB is 431" "$($HC raw $P 9000 0 0)" 431
check_eq "more than 64 headers is 431" "$($HC raw $P 0 70 0)" 431

# --- documents -----------------------------------------------------------------
check_eq "metrics 200" "$(req $P GET /metrics)" 200
check_grep "metrics is Prometheus text" '^# TYPE recsys_requests_total counter' "$TMP/b"
check_grep "metrics counts requests by route and status" \
  '^recsys_requests_total\{region="us-west",route="health",status="200"\} [0-9]+$' "$TMP/b"
check_grep "metrics has the latency histogram" '^recsys_request_duration_seconds_bucket\{region="us-west",le="\+Inf"\} [0-9]+$' "$TMP/b"
check_grep "metrics has cache, model, uptime" 'recsys_cache_hits_total.*' "$TMP/b"
check "every metrics line is well formed" $PY -c "
import re,sys
for l in open('$TMP/b'):
    l=l.rstrip('\n')
    if l.startswith('#'): assert re.match(r'# (HELP|TYPE) recsys_\w+ ', l), l; continue
    assert re.match(r'^recsys_\w+(\{[^}]*\})? [-+0-9.eE]+$', l), l"
check_eq "openapi 200" "$(req $P GET /openapi.json)" 200
check "openapi parses and lists every path" $PY -c "
import json; d=json.load(open('$TMP/b')); assert d['openapi'].startswith('3.')
want={'/api/v1/health/','/api/v1/recommendations/user/{user_id}','/api/v1/recommendations/stats','/api/v1/users/random',
'/api/v1/users/{user_id}','/api/v1/products/{product_id}','/api/v1/models','/api/v1/models/{version}/activate',
'/api/v1/models/rollback','/metrics','/openapi.json','/docs'}
assert want <= set(d['paths']), want - set(d['paths'])"
check_eq "docs 200" "$(req $P GET /docs)" 200
check_grep "docs is HTML with the spec inline" '<script type="application/json" id="spec">\{"openapi"' "$TMP/b"
check_fails "docs loads no external asset" grep -Eq '(src|href)="(https?:)?//' "$TMP/b"

# --- connections ---------------------------------------------------------------------
check_eq "keep-alive: 5 requests on one connection" "$($HC keepalive $P 5 /api/v1/health/)" "5 reused"
check_eq "pipelining: 4 requests in one write" "$($HC pipeline $P 4 /api/v1/health/)" "200 200 200 200"
check_eq "slowloris client is cut off (read_timeout 1 s)" "$($HC slowloris $P 4)" closed
check_eq "idle keep-alive closed (idle_timeout 2 s)" "$($HC idle $P 4)" closed

# --- Region-Hint ------------------------------------------------------------------------
check_eq "Region-Hint us-east served by us-east" \
  "$(req $P GET /api/v1/health/ -H 'Region-Hint: us-east') $(header X-Region) $(json 'd["served_by"]')" "200 us-east us-east"
check_eq "Region-Hint to a down region: nearest healthy (ap-south -> eu-west)" \
  "$(req $P GET /api/v1/health/ -H 'Region-Hint: ap-south') $(header X-Region) $(json 'd["served_by"]')" "200 eu-west eu-west"
check_eq "Region-Hint unknown is 400" "$(req $P GET /api/v1/health/ -H 'Region-Hint: mars')" 400

# --- concurrency and reload ---------------------------------------------------------------
if [ "$HAVE_DB" = 1 ]; then
  out=$($HC load $P 16 2 '/api/v1/recommendations/user/{i}?count=5' /api/v1/health/ /metrics)
  check_grep "16 concurrent clients, no failure" '^ok=[1-9][0-9]* fail=0 ' <(echo "$out")
  R=/api/v1/recommendations/user/$KNOWN
  req $P GET "$R?count=4" >/dev/null; req $P GET "$R?count=4" >/dev/null
  check_eq "HIT before reload" "$(json 'd["cache"]')" HIT
  $HC load $PE 8 3 '/api/v1/recommendations/user/{i}?count=5' "$R?count=2" >"$TMP/load.out" &
  lp=$!
  for _ in 1 2 3 4 5; do sleep 0.4; kill -HUP "$PID_main"; done
  wait $lp
  check_grep "SIGHUP x5 during load: zero failed requests" '^ok=[1-9][0-9]* fail=0 ' "$TMP/load.out"
  check_grep "SIGHUP reloads" 'model reloaded' "$TMP/main.err"
  req $P GET "$R?count=4" >/dev/null
  check_eq "cache invalidated by the reload (MISS)" "$(json 'd["cache"]')" MISS
fi
check_grep "access log is JSON lines" '^\{"time":"[0-9T:.-]+Z","level":"info","region":"us-west","event":"access","method":"GET","path":"/api/v1/health/","status":200,' "$TMP/access.log"
check "every log line parses; access lines carry the request" $PY -c "
import json
for l in open('$TMP/access.log'):
    d=json.loads(l); assert {'time','level','region','event'} <= set(d)
    assert d['event'] != 'access' or {'method','path','status','latency_ms','cache'} <= set(d)"

kill -TERM "$PID_main"; wait "$PID_main"; rc=$?
check_eq "SIGTERM drains and exits 0" "$rc" 0
check_grep "drain is reported" 'stopped' "$TMP/main.err"

# --- API keys and rate limit (second server) ----------------------------------------------
printf '# test keys\nsecret-key-1\nsecret-key-2\n' >"$TMP/keys"
write_conf "$TMP/k.conf" "rate_limit = 1" "rate_burst = 3" "api_keys_file = $TMP/keys" "database = $DB"
if start keys --config "$TMP/k.conf" --region us-west; then
  K=$(port_of keys us-west)
  # Failed keys spend the client's rate limit: these come from 127.0.0.2, so
  # the burst test below (from 127.0.0.1) starts with a full bucket.
  check_eq "no key: 401" "$(req $K GET /api/v1/recommendations/user/$UNKNOWN --interface 127.0.0.2)" 401
  check_eq "401 is JSON" "$(json 'd["error"]["status"]')" 401
  check_eq "wrong key: 401" "$(req $K GET /api/v1/users/$UNKNOWN -H 'X-API-Key: secret-key-3' --interface 127.0.0.2)" 401
  check_eq "models need a key too" "$(req $K GET /api/v1/models --interface 127.0.0.2)" 401
  check_eq "a 4th failed key after a burst of 3 is 429" \
    "$(req $K GET /api/v1/models -H 'X-API-Key: nope' --interface 127.0.0.2)" 429
  check_eq "health open without key" "$(req $K GET /api/v1/health/)" 200
  check_eq "metrics open without key" "$(req $K GET /metrics)" 200
  codes=""
  for _ in 1 2 3 4 5; do
    codes="$codes $(req $K GET "/api/v1/recommendations/user/$UNKNOWN?count=1" -H 'X-API-Key: secret-key-2')"
  done
  check_grep "burst of 3 then 429" '^ (200|503) (200|503) (200|503) 429 429$' <(echo "$codes")
  check_eq "429 carries Retry-After" "$(header Retry-After)" 1
  check_eq "429 is JSON" "$(json 'd["error"]["status"]')" 429
  check_eq "health is not rate limited" "$(req $K GET /api/v1/health/)" 200
  kill -TERM "$PID_keys"; wait "$PID_keys"
else
  fail "server with API keys starts"
fi

# --- no database: the regions still serve, DEGRADED, 503 ------------------------------------
write_conf "$TMP/n.conf" "rate_limit = 0" "max_connections = 3"
if start nodb --config "$TMP/n.conf" --region eu-west --db "$TMP/missing.db"; then
  N=$(port_of nodb eu-west)
  check_eq "no database: health 200" "$(req $N GET /api/v1/health/)" 200
  check_eq "no database: DEGRADED" "$(json 'd["status"], d["database"]["ok"]')" "DEGRADED False"
  check_eq "no database: recommend 503" "$(req $N GET /api/v1/recommendations/user/$UNKNOWN)" 503
  check_eq "503 is JSON" "$(json 'd["error"]["status"]')" 503
  check_eq "connection limit: 4th connection gets 503" "$($HC maxconn $N 3)" 503
  kill -HUP "$PID_nodb"; sleep 0.2
  check_eq "SIGHUP without database keeps serving" "$(req $N GET /api/v1/health/)" 200
  kill -TERM "$PID_nodb"; wait "$PID_nodb"; check_eq "no database: SIGTERM exits 0" "$?" 0
else
  fail "server without database starts"
fi
