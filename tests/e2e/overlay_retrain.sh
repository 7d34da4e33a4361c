#!/bin/bash
# The overlay after a retraining that learnt its purchases: 20 buyers (10
# customers the model knows, 10 it does not) post 40 purchases as events; a
# retraining takes them and is activated in the live process, whose overlay
# still holds them; then a process started afresh on the same database
# (the overlay replayed from the events table) must answer every buyer
# exactly as the live one does: the same lists (the overlay's leftovers
# neither exclude nor score anything the model does not) and the same
# profiles, which list each purchase posted as an event once (profiles come
# from the database's orders, not the model: without the overlay a restart
# would show none of them, and the new customers not at all).
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

DB=$TMP/db.sqlite
if ! sample_db "$DB" 400 7 "--algo hybrid --no-eval"; then
  fail "sample database (gen-sample, ingest, train: our own binary, so a failure)"
  exit 1
fi
one_region_conf "$TMP/ov.conf" "$DB"
# 10 customers the model knows and 10 it does not, each buying 2 products the
# day after the data ends (a retraining's holdout reaches them)
sqlite3 "$DB" "SELECT user_id FROM interactions GROUP BY user_id ORDER BY max(ts) DESC LIMIT 10" >"$TMP/users"
$PY -c "
import random
r = random.Random(3)
for _ in range(10): print('%032x' % r.getrandbits(128))" >>"$TMP/users"
sqlite3 "$DB" "SELECT product_id FROM products ORDER BY product_id LIMIT 40" >"$TMP/products"

# snapshot PORT OUT: every buyer's top 10 (ids, scores, sources) and profile
# (purchases, orders, products), one line each
snapshot() {
  $PY - "$1" "$TMP/users" >"$2" <<'PYEOF'
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
for u in open(sys.argv[2]).read().split():
    c.request("GET", "/api/v1/recommendations/user/%s?count=10" % u)
    d = json.loads(c.getresponse().read())
    recs = [(x["product_id"], round(x["score"], 5), x.get("source")) for x in d["recommendations"]]
    c.request("GET", "/api/v1/users/%s" % u)
    r = c.getresponse()
    p = json.loads(r.read())
    prof = (r.status, sorted((x["product_id"], x["timestamp"][:10]) for x in p.get("purchases", [])),
            p.get("orders"), p.get("products")) if r.status == 200 else (r.status,)
    print(u, d["known"], d["model_version"], recs, prof)
PYEOF
}

serve_start live 1 --config "$TMP/ov.conf" || { fail "server starts"; exit 0; }
P=$(serve_port live us-west)
$PY - "$P" "$TMP/users" "$TMP/products" <<'PYEOF' >"$TMP/post.out"
import http.client, json, sys
users = open(sys.argv[2]).read().split()
prods = open(sys.argv[3]).read().split()
ev = [{"user_id": u, "product_id": prods[(2 * i + k) % len(prods)], "type": "purchase",
       "ts": 1539684000 + i} for i, u in enumerate(users) for k in (0, 1)]
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("POST", "/api/v1/events", json.dumps({"events": ev}), {"Content-Type": "application/json"})
r = c.getresponse()
print(r.status, json.loads(r.read()).get("accepted"))
PYEOF
check_eq "40 purchase events accepted" "$(cat "$TMP/post.out")" "202 40"
snapshot "$P" "$TMP/before"
check_eq "before the retraining the new buyers are known through the overlay" \
  "$(awk '{print $2}' "$TMP/before" | sort | uniq -c | awk '{print $1, $2}')" "20 True"
sleep 1 # the model's created_at after every event's received_at (second resolution)
"$BIN" retrain --db "$DB" --tolerance 1 --json >"$TMP/retrain.json" 2>"$TMP/retrain.err"
check_eq "a retraining takes the 40 purchases and the 10 new customers, and is activated" \
  "$($PY -c "import json; d=json.load(open('$TMP/retrain.json')); print(d['event_purchases'], d['new_users'], d['decision'])")" \
  "40 10 activate"
V=$($PY -c "import json; print(json.load(open('$TMP/retrain.json'))['version'])")
check_eq "the live server activates version $V" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$P/api/v1/models/$V/activate")" 200
for _ in $(seq 1 100); do
  curl -s "http://127.0.0.1:$P/api/v1/health" | grep -q "\"version\":$V" && break
  sleep 0.05
done
snapshot "$P" "$TMP/live"
kill -TERM "$PID_live"; wait "$PID_live"
check_eq "the live server exits 0" "$?" 0

serve_start fresh 1 --config "$TMP/ov.conf" || { fail "server restarts"; exit 0; }
P=$(serve_port fresh us-west)
snapshot "$P" "$TMP/fresh"
kill -TERM "$PID_fresh"; wait "$PID_fresh"
check_eq "the fresh one too" "$?" 0
check_eq "no sanitizer report" "$(cat "$TMP/live.err" "$TMP/fresh.err" | grep -c Sanitizer)" 0
check_eq "both serve version $V to every buyer" "$(awk '{print $3}' "$TMP/live" "$TMP/fresh" | sort -u)" "$V"
if diff "$TMP/live" "$TMP/fresh" >"$TMP/diff"; then
  ok "a fresh process answers every buyer as the live one: lists and profiles"
else
  fail "a fresh process answers the buyers otherwise"; sed 's/^/#   /' "$TMP/diff" | head -20
fi
check_eq "every profile lists its two purchases posted as events, once each" "$($PY - "$TMP/fresh" "$TMP/products" <<'PYEOF'
import ast, sys
prods = open(sys.argv[2]).read().split()
bad = 0
for i, line in enumerate(open(sys.argv[1])):
    prof = ast.literal_eval(line[line.index("] (") + 2:])
    want = {prods[(2 * i) % len(prods)], prods[(2 * i + 1) % len(prods)]}
    got = [p for p, day in prof[1]] if prof[0] == 200 else []
    bad += any(got.count(p) != 1 for p in want)
print(bad)
PYEOF
)" 0
