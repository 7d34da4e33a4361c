#!/bin/bash
# End-to-end tests of the global router: four regions as separate
# `recsys-tui --serve --region NAME` processes on ephemeral ports, plus a
# `--serve --router-only` process forwarding to them. One region is killed
# (SIGKILL) under load and the router must fail over to the nearest one by
# coordinates with no 5xx, then route back once it is restarted.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
HC="$PY $ROOT/tests/e2e/httpclient.py"
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

DB=$TMP/db.sqlite
if ! { "$BIN" gen-sample --out "$TMP/data" --customers 2000 --seed 1 >/dev/null 2>&1 &&
       "$BIN" ingest --data "$TMP/data" --db "$DB" --quiet >/dev/null 2>&1 &&
       "$BIN" train --db "$DB" --quiet >/dev/null 2>&1; }; then
  skip "router" "no database (gen-sample/ingest/train unavailable)"
  exit 0
fi
KNOWN=$(sqlite3 "$DB" "SELECT customer_unique_id FROM customers LIMIT 1")

NAMES="us-west us-east eu-west ap-south"
coords() { case $1 in us-west) echo "37.77 -122.42" ;; us-east) echo "38.03 -78.48" ;;
                      eu-west) echo "53.35 -6.26" ;; ap-south) echo "19.08 72.88" ;; esac; }
# conf FILE PORT_OF_FN: the four regions with the ports the function prints.
conf() {
  f=$1 pf=$2; shift 2
  { echo "[global]"; echo "rate_limit = 0"; echo "database = $DB"; printf '%s\n' "$@"
    for r in $NAMES; do
      set -- $(coords $r)
      echo "[region $r]"; echo "port = $($pf $r)"; echo "latitude = $1"; echo "longitude = $2"
    done; } >"$f"
}
zero() { echo 0; }
port_var() { eval "echo \$PORT_${1//-/_}"; }

# start NAME ARGS...: a --serve process, waits for its "listening" line.
start() {
  name=$1; shift
  serve_start "$name" 1 "$@"
}
listen_port() { sed -n 's/.*listening on .*://p' "$TMP/$1.err" | head -1; }
req() {
  p=$1 path=$2; shift 2
  curl -s -o "$TMP/b" -D "$TMP/h" -w '%{http_code}' "$@" "http://127.0.0.1:$p$path"
}
json() { $PY -c "import json,sys; d=json.load(open('$TMP/b')); print($1)"; }
header() { grep -i "^$1:" "$TMP/h" | tr -d '\r' | sed 's/^[^:]*: *//'; }
# wait_health NAME true|false: until the router's status says so (at most 5 s).
wait_health() {
  for _ in $(seq 1 50); do
    req $PR /api/v1/router >/dev/null
    [ "$(json "str([r['healthy'] for r in d['regions'] if r['name']=='$1'][0]).lower()")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
# nearest FROM EXCLUDED...: the nearest other region by great-circle distance.
nearest() {
  from=$1; shift
  $PY - "$from" "$@" <<'PYEOF'
import math, sys
c = {"us-west": (37.77, -122.42), "us-east": (38.03, -78.48),
     "eu-west": (53.35, -6.26), "ap-south": (19.08, 72.88)}
def km(a, b):
    (la1, lo1), (la2, lo2) = [(math.radians(x), math.radians(y)) for x, y in (a, b)]
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))
src, skip = sys.argv[1], set(sys.argv[1:])
print(min((km(c[src], c[n]), n) for n in c if n not in skip)[1])
PYEOF
}

# --- four regions, one process each -------------------------------------------------
conf "$TMP/regions.conf" zero
for r in $NAMES; do
  start "$r" --config "$TMP/regions.conf" --region "$r" || { fail "region $r starts"; exit 1; }
  eval "PORT_${r//-/_}=$(listen_port "$r")"
done
ok "four region processes start"

"$BIN" --serve --config "$TMP/regions.conf" --router-only 2>"$TMP/bad.err"
check_eq "router over port-0 regions exits 1" "$?" 1
check_grep "and says the region needs a fixed port" 'needs a fixed port' "$TMP/bad.err"
"$BIN" --serve --config "$TMP/regions.conf" --router-only --region us-west 2>/dev/null
check_eq "--router-only with --region exits 2" "$?" 2

conf "$TMP/router.conf" port_var "router_port = 0"
start router --config "$TMP/router.conf" --router-only || { fail "router starts"; exit 1; }
PR=$(listen_port router)
ok "router process starts"
check "router sees every region healthy" wait_health ap-south true
check_eq "router status lists 4 healthy regions" "$(json "sum(r['healthy'] for r in d['regions'])")" 4

# --- routing ------------------------------------------------------------------------
check_eq "no Region-Hint: the first region serves" \
  "$(req $PR /api/v1/health/) $(header X-Region) $(json 'd["served_by"]')" "200 us-west us-west"
check_eq "no failover header when the asked region served" "$(header X-Failover)" ""
for r in us-east eu-west ap-south; do
  check_eq "Region-Hint $r reaches $r" \
    "$(req $PR /api/v1/health/ -H "Region-Hint: $r") $(header X-Region) $(json 'd["served_by"]')" "200 $r $r"
done
R=/api/v1/recommendations/user/$KNOWN
check_eq "recommendation through the router" "$(req $PR "$R?count=3" -H 'Region-Hint: eu-west')" 200
check_eq "with 3 items, served by eu-west" "$(json 'len(d["recommendations"]), d["served_by"]')" "3 eu-west"
check_eq "POST body forwarded" "$(req $PR "$R" -X POST -d '{"count": 4}' -H 'Region-Hint: us-east')" 200
check_eq "POST gives 4 items" "$(json 'len(d["recommendations"])')" 4
check_eq "a region's error is relayed (404)" "$(req $PR /api/v1/nope -H 'Region-Hint: us-east') $(json 'd["error"]["status"]')" "404 404"
check_eq "unknown Region-Hint is 400" "$(req $PR /api/v1/health/ -H 'Region-Hint: mars')" 400
check_eq "router checks its own limits (431)" "$($HC raw $PR 9000 0 0)" 431
check_eq "pipelined requests through the router answer in order" \
  "$($HC pipeline $PR 4 /api/v1/health/)" "200 200 200 200"
check_eq "keep-alive to the router" "$($HC keepalive $PR 5 /api/v1/health/)" "5 reused"
check_eq "the router's own status route answers HEAD without a body" \
  "$($HC head $PR /api/v1/router | awk '{print $1, ($2 > 20), $3, $5}')" "200 1 200 rest=0"
check_eq "POST to the router's status route is 405 with Allow" \
  "$(req $PR /api/v1/router -X POST) $(header Allow)" "405 GET, HEAD"
check_eq "HEAD through the router: the region's length, no body, connection still in step" \
  "$($HC head $PR /api/v1/health/ | awk '{print $1, ($2 > 100), $3, ($4 > 100), $5}')" "200 1 200 1 rest=0"

# Pooled connections: 200 requests from 4 clients must not open 200 connections.
out=$($HC hintload $PR 4 1 ap-south "$R?count=2")
check_grep "4 clients for 1 s via the router: no failure" '^ok=[1-9][0-9]* fail=0 ' <(echo "$out")
conns=$(ss -Htn state established "( dport = :$PORT_ap_south )" 2>/dev/null | wc -l)
check_eq "connections to the region stay pooled (<= 4 + 1 health, got $conns)" \
  "$([ "$conns" -ge 1 ] && [ "$conns" -le 5 ] && echo pooled)" pooled
served=$(echo "$out" | sed -n 's/.*served=\([^ ]*\).*/\1/p')
check_eq "all served by ap-south" "$served" "ap-south:$(echo "$out" | sed -n 's/^ok=\([0-9]*\).*/\1/p')"

# --- failover: kill us-east under load ------------------------------------------------
NEAR=$(nearest us-east)
$HC hintload $PR 4 3 us-east /api/v1/health/ >"$TMP/kill.out" &
lp=$!
sleep 1
kill -9 "$PID_us_east"
wait "$PID_us_east" 2>/dev/null
wait $lp
check_grep "SIGKILL of us-east under load: no 5xx, no failed request" '^ok=[1-9][0-9]* fail=0 5xx=0 ' "$TMP/kill.out"
check_grep "and the load moved to $NEAR (nearest by coordinates)" "served=.*$NEAR:[1-9]" "$TMP/kill.out"
check "health check marks us-east down" wait_health us-east false
out=$($HC hintload $PR 4 1 us-east /api/v1/health/)
check_grep "after detection: zero 5xx" '^ok=[1-9][0-9]* fail=0 5xx=0 ' <(echo "$out")
check_grep "every request served by $NEAR with X-Failover" \
  "served=$NEAR:([0-9]+) failover=\\1( |$)" <(echo "$out")
check_eq "single request: X-Failover names us-east, served by $NEAR" \
  "$(req $PR /api/v1/health/ -H 'Region-Hint: us-east') $(header X-Failover) $(header X-Region) $(json 'd["served_by"]')" \
  "200 us-east $NEAR $NEAR"
NEAR2=$(nearest us-east "$NEAR")
kill -9 "$(eval echo \$PID_${NEAR//-/_})"; wait "$(eval echo \$PID_${NEAR//-/_})" 2>/dev/null
check_eq "with $NEAR also down, the next nearest ($NEAR2) serves" \
  "$(req $PR /api/v1/health/ -H 'Region-Hint: us-east') $(header X-Region) $(header X-Failover)" "200 $NEAR2 us-east"

# --- restart: the router routes back -------------------------------------------------------
conf "$TMP/back.conf" port_var
start us-east2 --config "$TMP/back.conf" --region us-east || fail "us-east restarts on its port"
PID_us_east=$PID_us_east2
check "health check marks us-east up again" wait_health us-east true
check_eq "us-east serves its own traffic again, no failover" \
  "$(req $PR /api/v1/health/ -H 'Region-Hint: us-east') $(header X-Region) x$(header X-Failover)" "200 us-east x"

# --- nothing healthy -------------------------------------------------------------------------
for r in us-west eu-west ap-south us-east; do
  pid=$(eval echo \$PID_${r//-/_}); kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
done
wait_health us-east false
check_eq "no healthy region: 503" "$(req $PR /api/v1/health/)" 503
check_eq "503 is JSON and says why" "$(json 'd["error"]["status"], "no healthy region" in d["error"]["message"]')" "503 True"
check_eq "503 carries Retry-After" "$(header Retry-After)" 1
check_eq "HEAD with no healthy region: 503 without a body, connection still in step" \
  "$($HC head $PR /api/v1/health/ | awk '{print $1, ($2 > 20), $3, $5}')" "503 1 503 rest=0"

kill -TERM "$PID_router"; wait "$PID_router"
check_eq "router exits 0 on SIGTERM" "$?" 0

# --- router and regions in one process (--router) -------------------------------------------
for r in $NAMES; do eval "PORT_${r//-/_}=$(free_port)"; done
conf "$TMP/one.conf" port_var
if start one --config "$TMP/one.conf" --router --router-port 0; then
  PR=$(sed -n 's/^router listening on .*://p' "$TMP/one.err")
  check "in-process router sees its regions" wait_health ap-south true
  check_eq "in-process router forwards by Region-Hint" \
    "$(req $PR /api/v1/health/ -H 'Region-Hint: eu-west') $(header X-Region)" "200 eu-west"
  kill -TERM "$PID_one"; wait "$PID_one"; check_eq "regions + router exit 0 on SIGTERM" "$?" 0
else
  fail "regions + router in one process start"
fi

# --- the real client behind the router (trusted_proxies) -------------------------------------
# Clients bind their own loopback addresses (127.0.0.2, 127.0.0.3): to the regions
# they are different clients only when the router's X-Forwarded-For is believed.
cat >"$TMP/raw.py" <<'PYEOF'
import re, socket, sys
def conn(port, src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s
def answers(s):
    buf = b""
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        buf += d
    return " ".join(m.decode() for m in re.findall(rb"HTTP/1.1 (\d+) ", buf)) or "none"
cmd, port, src, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
if cmd == "head":  # one GET whose head (request line to blank line) is exactly N bytes
    s = conn(port, src)
    base = b"GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Pad: \r\n\r\n"
    s.sendall(base.replace(b"X-Pad: ", b"X-Pad: " + b"p" * (n - len(base))))
    print(answers(s))
elif cmd == "headers":  # one GET with N header lines (Host and Connection included)
    s = conn(port, src)
    s.sendall(b"GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" +
              b"".join(b"X-H%d: v\r\n" % i for i in range(n - 2)) + b"\r\n")
    print(answers(s))
elif cmd == "halfclose":  # REPS connections: N pipelined requests (the last one
    got = []              # HTTP/1.0), then SHUT_WR; every status of every answer
    for _ in range(int(sys.argv[5])):
        s = conn(port, src)
        s.sendall(b"GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\n\r\n" * (n - 1) +
                  b"GET /api/v1/health/ HTTP/1.0\r\nHost: t\r\n\r\n")
        s.shutdown(socket.SHUT_WR)
        got.append(answers(s))
    print(" ".join(got))
PYEOF
RAW="$PY $TMP/raw.py"
for r in $NAMES; do eval "PORT_${r//-/_}=$(free_port)"; done
conf "$TMP/xff.conf" port_var "trusted_proxies = 127.0.0.1" "rate_limit = 1" "rate_burst = 3" \
  "log = $TMP/xff.log"
sed -i 's/^rate_limit = 0$//' "$TMP/xff.conf"
if start xff --config "$TMP/xff.conf" --router --router-port 0; then
  PR=$(sed -n 's/^router listening on .*://p' "$TMP/xff.err")
  wait_health ap-south true
  W=$PORT_us_west
  for n in 8170 8192; do
    check_eq "a $n-byte request head: 200 direct and 200 through the router" \
      "$($RAW head $W 127.0.0.2 $n) $($RAW head $PR 127.0.0.2 $n)" "200 200"
  done
  check_eq "8193 bytes: 431 direct and through the router (the same limit)" \
    "$($RAW head $W 127.0.0.2 8193) $($RAW head $PR 127.0.0.2 8193)" "431 431"
  check_eq "64 header lines: 200 direct and through the router (which adds some)" \
    "$($RAW headers $W 127.0.0.2 64) $($RAW headers $PR 127.0.0.2 64)" "200 200"
  check_eq "65 header lines: 431 direct and through the router" \
    "$($RAW headers $W 127.0.0.2 65) $($RAW headers $PR 127.0.0.2 65)" "431 431"
  check_eq "10 half-closed HTTP/1.0 clients: each gets its answer through the router" \
    "$($RAW halfclose $PR 127.0.0.2 1 10)" "$(echo 200 200 200 200 200 200 200 200 200 200)"
  check_eq "5 x 20 pipelined requests, then a half-close: 100 answers through the router" \
    "$($RAW halfclose $PR 127.0.0.2 20 5 | tr ' ' '\n' | grep -c '^200$')" 100
  codes=""
  for _ in 1 2 3 4; do codes="$codes $(req $PR /openapi.json --interface 127.0.0.2)"; done
  check_eq "client 127.0.0.2 through the router: a burst of 3, then 429" "$codes" " 200 200 200 429"
  check_eq "client 127.0.0.3 through the same router still gets 200 (its own bucket)" \
    "$(req $PR /openapi.json --interface 127.0.0.3)" 200
  check_eq "a forged X-Forwarded-For is appended to, not believed: 127.0.0.3 is still 127.0.0.3" \
    "$(req $PR /docs --interface 127.0.0.3 -H 'X-Forwarded-For: 127.0.0.2')" 200
  kill -TERM "$PID_xff"; wait "$PID_xff"
  check "the access log names the real clients" $PY -c "
import json
lines = [json.loads(l) for l in open('$TMP/xff.log')]
acc = [(d['path'], d['status'], d.get('client')) for d in lines if d.get('event') == 'access']
assert ('/openapi.json', 429, '127.0.0.2') in acc, acc
assert ('/openapi.json', 200, '127.0.0.3') in acc, acc
assert ('/docs', 200, '127.0.0.3') in acc, acc
assert not any(c == '127.0.0.1' and p in ('/openapi.json', '/docs') for p, s, c in acc), acc"
else
  fail "regions + router with trusted_proxies start"
fi
# Without trusted_proxies (the default) nobody's X-Forwarded-For is believed:
# every client behind the router is the router.
for r in $NAMES; do eval "PORT_${r//-/_}=$(free_port)"; done
conf "$TMP/noxff.conf" port_var "rate_limit = 1" "rate_burst = 3"
sed -i 's/^rate_limit = 0$//' "$TMP/noxff.conf"
if start noxff --config "$TMP/noxff.conf" --router --router-port 0; then
  PR=$(sed -n 's/^router listening on .*://p' "$TMP/noxff.err")
  wait_health ap-south true
  for _ in 1 2 3; do req $PR /openapi.json --interface 127.0.0.2 >/dev/null; done
  check_eq "no trusted_proxies: 127.0.0.3 shares the router's bucket (429)" \
    "$(req $PR /openapi.json --interface 127.0.0.3)" 429
  kill -TERM "$PID_noxff"; wait "$PID_noxff"
else
  fail "regions + router without trusted_proxies start"
fi
