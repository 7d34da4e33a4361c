#!/bin/bash
# End-to-end tests of A/B experiments (issue 11 part 2) through the real
# binary on the sample data, two regions in one process:
#   - creation answers 201; bad shares, an unknown model version (naming
#     variants[1].model_version), a second overlapping experiment (409), an
#     unknown name (404) and a non-admin client (403) are refused;
#   - 2,000 users split 50/50 within 5%, every user gets the same variant
#     from both regions, each variant is served by its own model version,
#     and every response has its own request_id;
#   - click and purchase events (POST /api/v1/events with the request_id)
#     are counted in the variant that served the list, with Wilson
#     intervals and a p-value, in GET and in /metrics;
#   - a restart keeps the experiment, its counters and the assignment;
#   - promote activates the winner's version and stops the experiment.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

DB=$TMP/db.sqlite
if ! sample_db "$DB" 2000 1 "--algo popularity --no-eval" --no-eval; then
  fail "sample database (gen-sample, ingest, train: our own binary, so a failure)"
  exit 1
fi
# version 1: popularity, version 2: hybrid (active)

cat >"$TMP/exp.conf" <<EOF
[global]
database = $DB
trusted_proxies = 127.0.0.1
rate_limit = 0
[region us-west]
port = 0
[region eu-west]
port = 0
EOF

start() {
  serve_start "$1" 2 --config "$TMP/exp.conf" || return 1
  P=$(serve_port "$1" us-west)
  Q=$(serve_port "$1" eu-west)
}
# stop NAME: SIGTERM, and the server must exit 0 with no sanitizer report
stop() {
  pid=$(eval echo \$PID_$1)
  kill -TERM "$pid"
  wait "$pid"
  check_eq "$1 exits 0 on SIGTERM (experiments saved, no sanitizer report)" "$?" 0
  if grep -q 'Sanitizer' "$TMP/$1.err"; then fail "$1: sanitizer report"; grep -A5 Sanitizer "$TMP/$1.err" | sed 's/^/#   /'; fi
}
req() {
  p=$1 m=$2 path=$3; shift 3
  curl -s -o "$TMP/b" -w '%{http_code}' -X "$m" "$@" "http://127.0.0.1:$p$path"
}
json() { $PY -c "import json,sys; d=json.load(open('$TMP/b')); print($1)"; }
variant() { # variant NAME: "$TMP/b" holds an experiment; prints fields of variant NAME
  $PY -c "
import json
d = json.load(open('$TMP/b'))['experiment']
v = [x for x in d['variants'] if x['name'] == '$1'][0]
print($2)"
}

if ! start one; then fail "server starts"; exit 0; fi
ok "server starts with two regions"

BODY='{"name":"pop-vs-hybrid","variants":[{"name":"A","model_version":1,"share":50},{"name":"B","model_version":2,"share":50}]}'
check_eq "an experiment with shares 50/40 is 422" \
  "$(req $P POST /api/v1/experiments -d '{"name":"x","variants":[{"name":"A","model_version":1,"share":50},{"name":"B","model_version":2,"share":40}]}')" 422
check_eq "  and says the shares sum to 90" "$(json '"sum to 90" in d["error"]["message"]')" True
check_eq "an unknown model version is 422" \
  "$(req $P POST /api/v1/experiments -d '{"name":"x","variants":[{"name":"A","model_version":1,"share":50},{"name":"B","model_version":99,"share":50}]}')" 422
check_eq "  naming variants[1].model_version" \
  "$(json '"variants[1].model_version" in d["error"]["message"]')" True
check_eq "creating from a non-loopback client is 403" \
  "$(req $P POST /api/v1/experiments -H 'X-Forwarded-For: 203.0.113.5' -d "$BODY")" 403
check_eq "creating pop-vs-hybrid is 201" "$(req $P POST /api/v1/experiments -d "$BODY")" 201
check_eq "  running, two variants" "$(json 'd["experiment"]["status"], len(d["experiment"]["variants"])')" "running 2"
check_eq "a second experiment on the same traffic is 409" \
  "$(req $Q POST /api/v1/experiments -d '{"name":"other","variants":[{"name":"A","model_version":1,"share":50},{"name":"B","model_version":2,"share":50}]}')" 409
check_eq "the same name again is 409" "$(req $P POST /api/v1/experiments -d "$BODY")" 409
check_eq "an unknown experiment is 404" "$(req $P GET /api/v1/experiments/nope)" 404
check_eq "the list has it" "$(req $Q GET /api/v1/experiments)" 200
check_eq "  by name" "$(json '[e["name"] for e in d["experiments"]]')" "['pop-vs-hybrid']"

# 2,000 users (random ids: unknown users are served too) through both
# regions; the events for 100 of them name the list they clicked.
$PY - "$P" "$Q" "$TMP" <<'EOF' >"$TMP/split.out"
import http.client, json, random, sys
p, q, tmp = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rnd = random.Random(11)
users = ["%032x" % rnd.getrandbits(128) for _ in range(2000)]
def get_all(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = {}
    for u in users:
        c.request("GET", "/api/v1/recommendations/user/%s?count=5" % u)
        r = c.getresponse()
        out[u] = json.loads(r.read())
    return out
a, b = get_all(p), get_all(q)
n = {"A": 0, "B": 0}
sticky = all(a[u].get("variant") == b[u].get("variant") for u in users)
for u in users:
    n[a[u]["variant"]] += 1
versions = {(a[u]["variant"], a[u]["model_version"]) for u in users}
ids = [a[u]["request_id"] for u in users] + [b[u]["request_id"] for u in users]
print("share_A %.3f" % (n["A"] / len(users)))
print("sticky", sticky)
print("versions", sorted(versions))
print("unique_ids", len(set(ids)) == len(ids))
print("experiment", {a[u]["experiment"] for u in users} == {"pop-vs-hybrid"})
# clicks: 60 users of A, 40 of B, on the first product, naming the list;
# purchases: 10 of A's, 20 of B's, by the last list (no request_id)
ev, want = [], {"A": [0, 0], "B": [0, 0]}
for var, clicks, buys in (("A", 60, 10), ("B", 40, 20)):
    us = [u for u in users if a[u]["variant"] == var and a[u]["recommendations"]]
    for i, u in enumerate(us[:clicks]):
        ev.append({"user_id": u, "product_id": a[u]["recommendations"][0]["product_id"],
                   "type": "click", "request_id": a[u]["request_id"]})
        want[var][0] += 1
    for u in us[:buys]:
        ev.append({"user_id": u, "product_id": b[u]["recommendations"][-1]["product_id"],
                   "type": "purchase"})
        want[var][1] += 1
c = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
c.request("POST", "/api/v1/events", json.dumps({"events": ev}),
          {"Content-Type": "application/json"})
r = c.getresponse()
print("events", r.status, json.loads(r.read()).get("accepted"))
print("want_A", *want["A"], "impressions", 2 * n["A"], "users", n["A"])
print("want_B", *want["B"], "impressions", 2 * n["B"], "users", n["B"])
EOF
share=$(awk '/^share_A/ {print $2}' "$TMP/split.out")
check "2,000 users split 50/50 within 5% (A: $share)" \
  awk -v s="$share" 'BEGIN { exit !(s >= 0.45 && s <= 0.55) }'
check_grep "every user gets the same variant in both regions" "^sticky True" "$TMP/split.out"
check_grep "variant A is served by version 1, B by version 2" \
  "^versions \[\('A', 1\), \('B', 2\)\]" "$TMP/split.out"
check_grep "every response has its own request_id" "^unique_ids True" "$TMP/split.out"
check_grep "and names the experiment" "^experiment True" "$TMP/split.out"
check_grep "the click and purchase events are accepted" "^events 202 130" "$TMP/split.out"

# outcomes: the events are durable when acknowledged, attribution follows at once
read -r _ wca wpa _ ia _ ua < <(grep '^want_A' "$TMP/split.out")
read -r _ wcb wpb _ ib _ ub < <(grep '^want_B' "$TMP/split.out")
req $P GET /api/v1/experiments/pop-vs-hybrid >/dev/null
check_eq "A: impressions, clicks, purchases" "$(variant A 'v["impressions"], v["clicks"], v["purchases"]')" \
  "$ia $wca $wpa"
check_eq "B: impressions, clicks, purchases" "$(variant B 'v["impressions"], v["clicks"], v["purchases"]')" \
  "$ib $wcb $wpb"
check "users exposed within 2% (HyperLogLog)" $PY -c "
import json
d = json.load(open('$TMP/b'))['experiment']
u = {v['name']: v['users'] for v in d['variants']}
assert abs(u['A'] - $ua) <= 0.02 * $ua and abs(u['B'] - $ub) <= 0.02 * $ub, u"
check "click-through has a Wilson interval around it, and a p-value" $PY -c "
import json, math
d = json.load(open('$TMP/b'))['experiment']
for v in d['variants']:
    c = v['ctr']
    assert c['low'] < c['value'] < c['high'], c
    assert abs(c['value'] - v['lists_clicked'] / v['impressions']) < 1e-6
p = d['p_value']['ctr']
a, b = d['variants']
n1, n2, x1, x2 = a['impressions'], b['impressions'], a['lists_clicked'], b['lists_clicked']
pool = (x1 + x2) / (n1 + n2)
z = (x2 / n2 - x1 / n1) / math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
assert abs(p - math.erfc(abs(z) / math.sqrt(2))) < 1e-4, (p, z)"
req $Q GET /metrics >/dev/null
check_grep "/metrics counts clicks per variant" \
  "^recsys_experiment_clicks_total\{experiment=\"pop-vs-hybrid\",variant=\"A\"\} $wca\$" "$TMP/b"
check_grep "/metrics has the conversion interval" \
  "^recsys_experiment_conversion_low\{experiment=\"pop-vs-hybrid\",variant=\"B\"\} " "$TMP/b"

# a restart keeps the experiment, its counters and the assignment
U=$(awk 'NR==1' <<<"$($PY -c "
import random
rnd = random.Random(11)
print('%032x' % rnd.getrandbits(128))")")
req $P GET "/api/v1/recommendations/user/$U" >/dev/null
before=$(json 'd["variant"]')
stop one
if start two; then
  req $Q GET /api/v1/experiments/pop-vs-hybrid >/dev/null
  check_eq "after a restart the experiment runs, with its clicks" \
    "$(json 'd["experiment"]["status"]') $(variant A 'v["clicks"]')" "running $wca"
  req $Q GET "/api/v1/recommendations/user/$U" >/dev/null
  check_eq "  and the user keeps variant $before" "$(json 'd["variant"]')" "$before"
  check_eq "promoting A (version 1) is 200" \
    "$(req $P POST /api/v1/experiments/pop-vs-hybrid/promote -d '{"variant":"A"}')" 200
  check_eq "  it activated version 1" "$(json 'd["active"], d["experiment"]["status"], d["experiment"]["promoted"]')" \
    "1 stopped A"
  req $P GET /api/v1/models >/dev/null
  check_eq "  the models list says version 1 is active" \
    "$(json '[m["version"] for m in d["models"] if m["active"]]')" "[1]"
  req $Q GET "/api/v1/recommendations/user/$U" >/dev/null
  check_eq "  recommendations leave the experiment and serve version 1" \
    "$(json '"experiment" in d, d["model_version"]')" "False 1"
  check_eq "stopping it again is 409" "$(req $P POST /api/v1/experiments/pop-vs-hybrid/stop)" 409
  check_eq "a new experiment may take the traffic now: 201" \
    "$(req $P POST /api/v1/experiments -d '{"name":"next","traffic":30,"variants":[{"name":"A","model_version":1,"share":70},{"name":"B","model_version":2,"share":30}]}')" 201
  check_eq "  stopping it is 200" "$(req $Q POST /api/v1/experiments/next/stop)" 200
  stop two
else
  fail "server restarts"
fi
