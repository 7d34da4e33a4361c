#!/bin/bash
# End-to-end tests of the serving core (issue 9, items 1, 6, 10c and 11)
# through the real binary: pipelining and half-close, bounded memory with
# thousands of slow readers, SIGTERM drain, RFC 9112 parser leniency and
# Expect: 100-continue. A small generated database (500 customers).
# Environment: SLOW_CONNS (2000) and SLOW_REQS (30) size the slow-reader test.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
SC="$PY $ROOT/tests/e2e/serve_core.py"
SLOW_CONNS=${SLOW_CONNS:-2000} SLOW_REQS=${SLOW_REQS:-30}
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

# Descriptors for the slow readers: the server and the client each hold one per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((SLOW_CONNS + 200)) ]; then
  SLOW_CONNS=$(($(ulimit -n) - 200))
fi

DB=$TMP/db.sqlite
if ! sample_db "$DB" 500 1 ""; then
  fail "sample database"; exit 1
fi

# start NAME CONF: --serve in the background (region us-west only); PID_NAME, PORT_NAME.
start() {
  serve_start "$1" 1 --config "$2" --db "$DB" || return 1
  eval "PORT_$1=$(serve_port "$1" us-west)"
}
conf() { # conf FILE [global lines...]
  f=$1; shift
  { echo "[global]"; echo "rate_limit = 0"; printf '%s\n' "$@"
    echo "[region us-west]"; echo "port = 0"; echo "location = California"
    echo "latitude = 37.77"; echo "longitude = -122.42"; } >"$f"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

conf "$TMP/c.conf" "max_connections = $((SLOW_CONNS + 100))" "read_timeout = 30" "idle_timeout = 30" \
  "cache_size = 200"
if ! start core "$TMP/c.conf"; then
  fail "server starts"; exit 1
fi
P=$PORT_core

# --- item 1: pipelining ----------------------------------------------------------------------
# 200 x /openapi.json is ~3 MB of answers, far over the output bound: every one must come,
# and the connection stay open for more.
out=$($SC pipeline "$P" 200 0)
check_eq "200 pipelined GET /openapi.json in one write: 200 answers, connection kept" \
  "$(field "$out" answers) $(field "$out" eof)" "200 0"
out=$($SC pipeline "$P" 100 1)
check_eq "half-close after 100 pipelined requests: 100 answers, then the close" \
  "$(field "$out" answers) $(field "$out" eof)" "100 1"
out=$($SC pipeline "$P" 1 1)
check_eq "half-close after one request: its answer, then the close" \
  "$(field "$out" answers) $(field "$out" eof)" "1 1"

# --- item 11: RFC 9112 leniency as nginx and h2o ---------------------------------------------
check_eq "bare LF line endings: 200" "$($SC raw "$P" 'b"GET /api/v1/health/ HTTP/1.1\nHost: t\n\n"')" 200
check_eq "absolute-form target: 200" \
  "$($SC raw "$P" 'b"GET http://127.0.0.1/api/v1/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"')" 200
check_eq "HTTP/1.1 without Host: 400" "$($SC raw "$P" 'b"GET /api/v1/health/ HTTP/1.1\r\n\r\n"')" 400
check_eq "HTTP/1.0 without Host: 200" "$($SC raw "$P" 'b"GET /api/v1/health/ HTTP/1.0\r\n\r\n"')" 200
check_eq "duplicate Host: 400" \
  "$($SC raw "$P" 'b"GET /api/v1/health/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"')" 400
check_eq "curl without Host (-H Host:): 400" \
  "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host:' "http://127.0.0.1:$P/api/v1/health/")" 400
check_eq "an expectation other than 100-continue: 417" \
  "$($SC raw "$P" 'b"POST /api/v1/recommendations/user/" + b"f" * 32 + b" HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}"')" 417
out=$($SC expect "$P")
c=$(field "$out" continue)
check_eq "Expect: 100-continue: interim 100 before the body (within 0.5 s), then the answer" \
  "$([ "$c" != none ] && awk -v c="$c" 'BEGIN { exit !(c < 0.5) }' && echo early) $(field "$out" final)" "early 200"
check_eq "Expect: 100-continue with the body already sent: no interim 100" \
  "$($SC expect_with_body "$P")" "first=HTTP/1.1_200_OK"
printf '{"count": 3, "pad": "%01000d"}' 0 >"$TMP/body.json"
read -r code t <<<"$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H 'Expect: 100-continue' \
  -H 'Content-Type: application/json' --data-binary @"$TMP/body.json" \
  "http://127.0.0.1:$P/api/v1/recommendations/user/ffffffffffffffffffffffffffffffff")"
check "curl with Expect: 100-continue gets its answer ($code) without waiting its 1 s timeout (${t}s)" \
  awk -v c="$code" -v t="$t" 'BEGIN { exit !(c == 200 && t < 0.5) }'

# --- item 6: bounded memory per connection ---------------------------------------------------
# Meanwhile recommendations churn the region's cache (200 entries, full before the baseline),
# so entries allocated between the connections' buffers pin the heap unless it is trimmed.
out=$($SC slowreaders "$P" "$PID_core" "$SLOW_CONNS" "$SLOW_REQS" "$DB")
echo "# slow readers: $out"
n=$(field "$out" n) base=$(field "$out" baseline) peak=$(field "$out" peak)
after=$(field "$out" after) bound=$(field "$out" bound) h=$(field "$out" answer)
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|t)san'; then # a sanitizer's allocator: other sizes
  skip "RSS bound of $n slow readers" "sanitizer build"
  skip "RSS returns near the baseline" "sanitizer build"
else
  check "$n slow readers x $SLOW_REQS pipelined requests: RSS ${base} -> ${peak} KB, under the bound ${bound} KB" \
    test "$peak" -le "$bound"
  check "after they close RSS returns near the baseline (${after} KB <= ${base} + 8 MB)" \
    test "$after" -le $((base + 8192))
fi
check "a recommendation answered (${h}s) while the slow readers hold their connections" \
  awk -v h="$h" 'BEGIN { exit !(h >= 0 && h < 1) }'
check_eq "the cache was warm before the baseline (600 recommendations answered)" "$(field "$out" warm)" ok
out=$($SC pipeline "$P" 50 0)
check_eq "and pipelining still works after them" "$(field "$out" answers)" 50

# --- item 10c: SIGTERM drain answers every request already received ------------------------
out=$($SC drain "$P" "$PID_core" 8)
echo "# drain: $out"
check_eq "SIGTERM under keep-alive load: no request lost" "$(field "$out" lost)" 0
check "and the clients were answered before it (answered > 0)" test "$(field "$out" answered)" -gt 0
wait "$PID_core"
check_eq "the server exits 0 after the drain" "$?" 0

