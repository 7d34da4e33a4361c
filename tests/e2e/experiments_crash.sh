#!/bin/bash
# End-to-end test of the experiments' periodic save (net/exp.c autosave):
# a server counts impressions, clicks and purchases of a running
# experiment, the counters reach the database within the save interval
# (10 s) while the server runs, and a `kill -9` then loses none of them:
# the restarted server shows the same counts and counts on from them (no
# double counting). Counts made after the last save and before the kill
# are what the interval allows to be lost: at most those.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

DB=$TMP/db.sqlite
if ! sample_db "$DB" 1000 3 "--algo popularity --no-eval" --no-eval; then
  fail "sample database (gen-sample, ingest, train: our own binary, so a failure)"
  exit 1
fi
one_region_conf "$TMP/crash.conf" "$DB"

req() {
  p=$1 m=$2 path=$3; shift 3
  curl -s -o "$TMP/b" -w '%{http_code}' -X "$m" "$@" "http://127.0.0.1:$p$path"
}
# counts: impressions, clicks, purchases of both variants as GET shows them
counts() {
  req "$P" GET /api/v1/experiments/crash >/dev/null
  $PY -c "
import json
d = json.load(open('$TMP/b'))['experiment']
print(d['status'], *[' '.join(str(v[k]) for k in ('impressions', 'clicks', 'purchases'))
                     for v in d['variants']])"
}
# stored: the same counts as the table holds them
stored() {
  sqlite3 "$DB" "SELECT group_concat(impressions || ' ' || clicks || ' ' || purchases, ' ')
                 FROM (SELECT * FROM experiment_variants v JOIN experiments e
                       ON e.id = v.experiment_id WHERE e.name = 'crash' ORDER BY idx)"
}
# traffic N SEED: N users (random ids) get a list; a third click its first
# product naming the list, a sixth buy it
traffic() {
  $PY - "$P" "$1" "$2" <<'EOF'
import http.client, json, random, sys
port, n, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
ev = []
for i in range(n):
    u = "%032x" % rnd.getrandbits(128)
    c.request("GET", "/api/v1/recommendations/user/%s?count=5" % u)
    d = json.loads(c.getresponse().read())
    if not d.get("recommendations"):
        continue
    p = d["recommendations"][0]["product_id"]
    if i % 3 == 0:
        ev.append({"user_id": u, "product_id": p, "type": "click", "request_id": d["request_id"]})
    if i % 6 == 0:
        ev.append({"user_id": u, "product_id": p, "type": "purchase",
                   "request_id": d["request_id"]})
c.request("POST", "/api/v1/events", json.dumps({"events": ev}),
          {"Content-Type": "application/json"})
r = c.getresponse()
r.read()
sys.exit(0 if r.status == 202 else 1)
EOF
}
# wait_stored WANT SECONDS: until the table holds WANT; prints the seconds waited
wait_stored() {
  t0=$(date +%s.%N)
  for _ in $(seq 1 $(($2 * 10))); do
    [ "$(stored)" = "$1" ] && break
    sleep 0.1
  done
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

serve_start one 1 --config "$TMP/crash.conf" || { fail "server starts"; exit 0; }
P=$(serve_port one us-west)
check_eq "an experiment starts: 201" "$(req "$P" POST /api/v1/experiments -d \
  '{"name":"crash","variants":[{"name":"A","model_version":1,"share":50},{"name":"B","model_version":2,"share":50}]}')" 201
check "300 users get lists, 100 click and 50 buy" traffic 300 5
live=$(counts)
check_eq "the counts are live" "$(awk '{print $2 + $5, $3 + $6, $4 + $7}' <<<"$live")" "300 100 50"
saved=${live#running }
waited=$(wait_stored "$saved" 15)
check_eq "within 15 s the database holds them while the server runs (${waited}s)" "$(stored)" "$saved"

kill -9 "$PID_one"
wait "$PID_one" 2>/dev/null
serve_start two 1 --config "$TMP/crash.conf" || { fail "server restarts after kill -9"; exit 0; }
P=$(serve_port two us-west)
check_eq "after kill -9 and a restart: running, every count kept" "$(counts)" "running $saved"

# counts on from the saved values: 90 more lists, then a kill -9 before the
# next save may lose those, never the earlier ones, and never counts twice
check "90 users more" traffic 90 6
after=$(counts)
check_eq "  counted on top: 390 lists, 130 clicks, 65 purchases" \
  "$(awk '{print $2 + $5, $3 + $6, $4 + $7}' <<<"$after")" "390 130 65"
waited=$(wait_stored "${after#running }" 15)
check_eq "  saved again within 15 s (${waited}s)" "$(stored)" "${after#running }"
check "one user more, then kill -9 at once" traffic 1 7
kill -9 "$PID_two"
wait "$PID_two" 2>/dev/null
serve_start three 1 --config "$TMP/crash.conf" || { fail "server restarts again"; exit 0; }
P=$(serve_port three us-west)
got=$(awk '{print $2 + $5}' <<<"$(counts)")
check "  the restart has 390 or 391 lists: what the interval allows ($got)" \
  awk -v g="$got" 'BEGIN { exit !(g == 390 || g == 391) }'
kill -TERM "$PID_three"
wait "$PID_three"
check_eq "it exits 0 on SIGTERM" "$?" 0
if cat "$TMP"/one.err "$TMP"/two.err "$TMP"/three.err | grep -q Sanitizer; then
  fail "a sanitizer report"; grep -h -A5 Sanitizer "$TMP"/*.err | sed 's/^/#   /' | head -20
else
  ok "no sanitizer report from the three servers"
fi
