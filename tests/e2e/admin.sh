#!/bin/bash
# End-to-end tests of admin safety and the cache's byte bound (issue 9):
#   - without admin_keys_file, admin routes (activate, rollback) answer only
#     loopback clients, as X-Forwarded-For from trusted_proxies names them;
#   - with it, only its keys, from anywhere; failed keys spend the client's
#     rate limit (9,000 wrong tries get 429s);
#   - every admin request is logged with who sent it, never the key;
#   - cache_bytes bounds the cache in bytes.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

DB=$TMP/db.sqlite
if ! sample_db "$DB" 2000 1 "" ""; then
  fail "sample database (gen-sample, ingest, train: our own binary, so a failure)"
  exit 1
fi

# conf FILE [global lines...]: one region on an ephemeral port.
conf() {
  f=$1; shift
  { echo "[global]"; echo "database = $DB"; printf '%s\n' "$@"
    echo "[region us-west]"; echo "port = 0"; } >"$f"
}
# start NAME ARGS...: a --serve process; waits for its "listening" line, sets P.
start() {
  name=$1; shift
  serve_start "$name" 1 "$@" || return 1
  P=$(serve_port "$name" us-west)
}
stop() { pid=$(eval echo \$PID_$1); kill -TERM "$pid"; wait "$pid"; }
req() {
  p=$1 m=$2 path=$3; shift 3
  curl -s -o "$TMP/b" -D "$TMP/h" -w '%{http_code}' -X "$m" "$@" "http://127.0.0.1:$p$path"
}
json() { $PY -c "import json,sys; d=json.load(open('$TMP/b')); print($1)"; }
# admin_lines LOG: the admin events as "action status client via key" lines.
admin_lines() {
  $PY -c "
import json
for l in open('$1'):
    d = json.loads(l)
    if d.get('event') == 'admin':
        print(d['action'], d['status'], d['client'], d['via'], d['key'])"
}
FAR="X-Forwarded-For: 203.0.113.5" # a client on the internet, named by the local proxy

# --- no admin keys: loopback clients only ----------------------------------------------------
conf "$TMP/open.conf" "trusted_proxies = 127.0.0.1" "log = $TMP/open.log"
if start open --config "$TMP/open.conf" --region us-west; then
  check_eq "loopback client activates version 1: 200" "$(req $P POST /api/v1/models/1/activate)" 200
  check_eq "a non-loopback client behind a trusted proxy may not activate: 403" \
    "$(req $P POST /api/v1/models/2/activate -H "$FAR")" 403
  check_eq "the 403 is JSON and says why" \
    "$(json 'd["error"]["status"], "loopback" in d["error"]["message"]')" "403 True"
  check_eq "nor roll back: 403" "$(req $P POST /api/v1/models/rollback -H "$FAR")" 403
  check_eq "the model did not change" "$(req $P GET /api/v1/models) $(json 'd["active"]')" "200 1"
  check_eq "a local peer that is no trusted proxy cannot vouch for loopback: 403" \
    "$(req $P POST /api/v1/models/2/activate --interface 127.0.0.2 -H 'X-Forwarded-For: 127.0.0.1')" 403
  check_eq "127.0.0.2 itself (loopback, no proxy) may: 200" \
    "$(req $P POST /api/v1/models/2/activate --interface 127.0.0.2)" 200
  check_eq "reading the model list stays open to anyone: 200" \
    "$(req $P GET /api/v1/models -H "$FAR")" 200
  stop open
  admin_lines "$TMP/open.log" >"$TMP/open.admin"
  check_grep "admin actions are logged with the client (activate, 200, 127.0.0.1)" \
    '^model_activate 200 127.0.0.1 None None$' "$TMP/open.admin"
  check_grep "and refusals with the real client and the proxy it came through" \
    '^model_activate 403 203.0.113.5 127.0.0.1 None$' "$TMP/open.admin"
  check_grep "rollback refusal logged" '^model_rollback 403 203.0.113.5 ' "$TMP/open.admin"
else
  fail "server without admin keys starts"
fi

# --- admin keys: the key decides; failed keys spend the rate limit ---------------------------
printf '# admins\nadmin-secret-1\n' >"$TMP/admin.keys"
conf "$TMP/keyed.conf" "trusted_proxies = 127.0.0.1" "admin_keys_file = $TMP/admin.keys" \
  "log = $TMP/keyed.log" "rate_limit = 200" "rate_burst = 400"
if start keyed --config "$TMP/keyed.conf" --region us-west; then
  check_eq "admin keys set: no key, even from loopback: 401" \
    "$(req $P POST /api/v1/models/1/activate)" 401
  check_eq "the 401 is JSON" "$(json 'd["error"]["status"]')" 401
  check_eq "wrong key: 401" "$(req $P POST /api/v1/models/1/activate -H 'X-API-Key: guess')" 401
  check_eq "the admin key from a non-loopback client: 200" \
    "$(req $P POST /api/v1/models/1/activate -H 'X-API-Key: admin-secret-1' -H "$FAR")" 200
  check_eq "rollback with the admin key: 200" \
    "$(req $P POST /api/v1/models/rollback -H 'X-API-Key: admin-secret-1')" 200
  # 9,000 wrong keys from 127.0.0.2, 100 pipelined per write on one connection.
  out=$($PY - "$P" <<'PYEOF'
import re, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.2", 0))
s.settimeout(5)
s.connect(("127.0.0.1", int(sys.argv[1])))
req = b"POST /api/v1/models/1/activate HTTP/1.1\r\nHost: t\r\nX-API-Key: guess\r\nContent-Length: 0\r\n\r\n"
counts, buf, t0 = {}, b"", time.monotonic()
for _ in range(90):
    s.sendall(req * 100)
    got = 0
    while got < 100:
        buf += s.recv(1 << 20)
        while True:
            m = re.match(rb"HTTP/1.1 (\d+) [^\r]*\r\n(?:[^\r]*\r\n)*?Content-Length: (\d+)\r\n(?:[^\r]*\r\n)*?\r\n", buf)
            if not m or len(buf) < m.end() + int(m.group(2)):
                break
            counts[m.group(1).decode()] = counts.get(m.group(1).decode(), 0) + 1
            buf = buf[m.end() + int(m.group(2)):]
            got += 1
print("401=%d 429=%d other=%d secs=%.1f" % (counts.get("401", 0), counts.get("429", 0),
      sum(counts.values()) - counts.get("401", 0) - counts.get("429", 0), time.monotonic() - t0))
PYEOF
)
  echo "# $out"
  check_grep "9,000 wrong keys: 429s appear, at most burst + rate x time are 401" \
    '^401=[0-9]+ 429=[1-9][0-9]* other=0 ' <(echo "$out")
  check "  (401s bounded by the token bucket)" $PY -c "
import re; d = dict(re.findall(r'(\w+)=([\d.]+)', '$out'))
assert int(d['401']) <= 400 + 200 * (float(d['secs']) + 1), d"
  check_eq "another client is not affected: the admin key still works from 127.0.0.1" \
    "$(req $P POST /api/v1/models/2/activate -H 'X-API-Key: admin-secret-1')" 200
  stop keyed
  admin_lines "$TMP/keyed.log" >"$TMP/keyed.admin"
  kid=sha256:$(printf '%s' admin-secret-1 | sha256sum | cut -c1-8)
  check_grep "an admin action is logged with the client and the key's name ($kid)" \
    "^model_activate 200 203.0.113.5 127.0.0.1 $kid\$" "$TMP/keyed.admin"
  check_grep "rollback logged with the key's name" "^model_rollback 200 127.0.0.1 None $kid\$" \
    "$TMP/keyed.admin"
  check_fails "the key itself is never logged" grep -q 'admin-secret-1' "$TMP/keyed.log"
else
  fail "server with admin keys starts"
fi

# --- cache_bytes: the cache is bounded in bytes ----------------------------------------------
conf "$TMP/cache.conf" "rate_limit = 0" "cache_bytes = 4K" "cache_size = 10000"
if start cache --config "$TMP/cache.conf" --region us-west; then
  for u in $(sqlite3 "$DB" "SELECT customer_unique_id FROM customers LIMIT 40"); do
    req $P GET "/api/v1/recommendations/user/$u?count=10" >/dev/null
  done
  req $P GET /api/v1/recommendations/stats >/dev/null
  check_eq "40 answers of ~2 KB each with cache_bytes = 4K: bytes held within 4096" \
    "$(json 'd["cache"]["max_bytes"], 0 < d["cache"]["bytes"] <= 4096, d["cache"]["size"] < 40')" \
    "4096 True True"
  check_grep "/metrics has the recsys_cache_bytes gauge" \
    '^recsys_cache_bytes\{region="us-west"\} [1-9][0-9]*$' <(curl -s "http://127.0.0.1:$P/metrics")
  stop cache
else
  fail "server with cache_bytes starts"
fi
