#!/bin/bash
# Rolling evaluation, the paired comparison, GET /api/v1/insights and the
# dashboard's Data & evaluation view (tmux, 80x24) on a small sample
# database: every figure checked against sqlite3 on the same file.
. "$(dirname "$0")/lib.sh"

T0=$SECONDS
DB=$TMP/sample.db
if ! sample_db "$DB" 2000 1 "--cutoff 2018-01-01"; then
  fail "sample database"
  echo "# insights.sh: setup failed"
  exit 1
fi

# --- rolling evaluation --------------------------------------------------------
"$BIN" eval --db "$DB" --rolling monthly --from 2018-01 --to 2018-04 --json \
  >"$TMP/rolling.json" 2>"$TMP/rolling.err"
check_eq "eval --rolling monthly --json exits 0" "$?" 0
check "the JSON has 4 months x (usercf, itemcf, popularity, oracle), oracle >= popularity" \
  python3 - "$TMP/rolling.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = d["rows"]
months = sorted({r["month"] for r in rows})
assert months == ["2018-01", "2018-02", "2018-03", "2018-04"], months
for m in months:
    by = {r["algorithm"]: r for r in rows if r["month"] == m}
    assert set(by) == {"usercf", "itemcf", "popularity", "oracle"}, by.keys()
    for r in by.values():
        for seg in ("all", "warm"):
            c = r[seg]
            assert c["low"] <= c["hit_rate"] <= c["high"], (m, r["algorithm"], c)
            assert c["hits"] == round(c["hit_rate"] * c["users"])
    assert by["oracle"]["all"]["hit_rate"] >= by["popularity"]["all"]["hit_rate"], m
    assert by["oracle"]["all"]["users"] > 0
assert d["interval"] == "wilson95" and d["run_id"] >= 1
PY
# the buyers of a month are the distinct people with an interaction in it
users=$(sqlite3 "$DB" "SELECT COUNT(DISTINCT user_id) FROM interactions WHERE ts >= '2018-02-01' AND ts < '2018-03-01'")
got=$(python3 -c 'import json,sys; print([r for r in json.load(open(sys.argv[1]))["rows"] if r["month"]=="2018-02" and r["algorithm"]=="oracle"][0]["all"]["users"])' "$TMP/rolling.json")
check_eq "2018-02 evaluates every buyer of the month (sqlite3: $users)" "$got" "$users"
check_eq "the run is stored: 4 months x 4 algorithms x 2 segments" \
  "$(sqlite3 "$DB" "SELECT COUNT(*) FROM eval_rolling WHERE run_id = (SELECT MAX(run_id) FROM eval_rolling)")" 32

"$BIN" eval --db "$DB" --rolling monthly --from 2018-01 --to 2018-03 --algo popularity --no-store \
  >"$TMP/rolling.txt" 2>"$TMP/rolling.err"
check_eq "eval --rolling with a table exits 0" "$?" 0
check_grep "the table lists each month" '^2018-03 +popularity' "$TMP/rolling.txt"
check_grep "the table has the oracle and the pooled rows" 'All months pooled' "$TMP/rolling.txt"
check_eq "--no-store stores nothing" "$(sqlite3 "$DB" 'SELECT COUNT(DISTINCT run_id) FROM eval_rolling')" 1
check_grep "progress goes to stderr" 'rolling eval: 2018-03 oracle' "$TMP/rolling.err"
"$BIN" eval --db "$DB" --rolling monthly --from 2018-13 --to 2018-04 >"$TMP/out" 2>&1
check_eq "a bad --from month is a usage error (2)" "$?" 2
check_grep "the error names --from" '[-][-]from' "$TMP/out"
"$BIN" eval --db "$DB" --rolling weekly >"$TMP/out" 2>&1
check_eq "--rolling weekly is a usage error" "$?" 2
"$BIN" eval --db "$DB" --rolling monthly --from 2018-04 --to 2018-01 --no-store >"$TMP/out" 2>&1
check_eq "--from after --to is a usage error" "$?" 2

# --- paired comparison ----------------------------------------------------------
"$BIN" eval --db "$DB" --algo itemcf,popularity --json >"$TMP/p1.json" 2>"$TMP/p.err"
"$BIN" eval --db "$DB" --algo itemcf,popularity --json >"$TMP/p2.json" 2>>"$TMP/p.err"
check "two algorithms give a paired comparison, the same on every run" python3 - "$TMP/p1.json" "$TMP/p2.json" <<'PY'
import json, sys
a, b = (json.load(open(f))["paired"] for f in sys.argv[1:3])
assert a == b, (a, b)
assert a["a"] == "itemcf" and a["b"] == "popularity" and a["resamples"] == 1000
for s in ("all", "warm"):
    p = a[s]
    assert p["a_only"] + p["b_only"] + p["both"] + p["neither"] == p["users"], p
    assert abs(p["diff"] - (p["a_only"] - p["b_only"]) / max(p["users"], 1)) < 1e-9
    assert p["low"] <= p["diff"] <= p["high"] or p["users"] == 0, p
PY
"$BIN" eval --db "$DB" --algo usercf --paired >"$TMP/paired.txt" 2>&1
check_grep "--paired with one algorithm compares it with popularity" \
  'Paired: usercf \(A\) against popularity \(B\)' "$TMP/paired.txt"

# --- GET /api/v1/insights --------------------------------------------------------
PORT=$(free_port)
printf '[global]\ndatabase = %s\nlog = off\nrate_limit = 0\n[region ins]\nport = %s\n' "$DB" "$PORT" >"$TMP/r.conf"
PIDS=""
TM="tmux -L recsys-tui-ins-$$"
cleanup() {
  $TM kill-server >/dev/null 2>&1
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
if ! serve_start srv 1 --config "$TMP/r.conf" --region ins; then
  fail "server for the insights route"
  echo "# insights.sh: server failed"
  exit 1
fi
URL=http://127.0.0.1:$PORT/api/v1/insights
code=000
for _ in $(seq 100); do
  code=$(curl -s -o "$TMP/ins.json" -w '%{http_code}' -m 5 "$URL")
  [ "$code" = 200 ] && break
  sleep 0.1
done
check_eq "GET /api/v1/insights answers 200 once built" "$code" 200
sqlite3 -json "$DB" "SELECT substr(order_purchase_timestamp,1,7) AS month, COUNT(*) AS orders FROM orders WHERE order_purchase_timestamp IS NOT NULL GROUP BY 1 ORDER BY 1" >"$TMP/months.json"
{
  echo "orders=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM orders')"
  echo "customers=$(sqlite3 "$DB" 'SELECT COUNT(DISTINCT customer_unique_id) FROM customers')"
  echo "top_cat=$(sqlite3 "$DB" "SELECT c.category || '|' || COUNT(*) FROM order_items i JOIN product_catalog c USING (product_id) GROUP BY c.category ORDER BY COUNT(*) DESC, c.category LIMIT 1")"
  echo "top_state=$(sqlite3 "$DB" "SELECT customer_state || '|' || COUNT(DISTINCT customer_unique_id) FROM customers GROUP BY customer_state ORDER BY COUNT(DISTINCT customer_unique_id) DESC, customer_state LIMIT 1")"
  echo "state_orders=$(sqlite3 "$DB" "SELECT COUNT(*) FROM orders o JOIN customers c USING (customer_id) WHERE c.customer_state = (SELECT customer_state FROM customers GROUP BY customer_state ORDER BY COUNT(DISTINCT customer_unique_id) DESC, customer_state LIMIT 1)")"
  echo "cleaning=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM ingest_report')"
  echo "rolling=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM eval_rolling WHERE run_id = (SELECT MAX(run_id) FROM eval_rolling)')"
  echo "version=$(sqlite3 "$DB" 'SELECT version FROM models WHERE active = 1')"
} >"$TMP/expect.txt"
check "the insights agree with sqlite3 on the same database" python3 - "$TMP/ins.json" "$TMP/months.json" "$TMP/expect.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
months = json.load(open(sys.argv[2]))
e = dict(l.strip().split("=", 1) for l in open(sys.argv[3]) if "=" in l)
for k in ("orders_per_month", "top_categories", "states", "cleaning", "dataset", "model", "rolling"):
    assert k in d, k
assert d["orders_per_month"] == months, "orders per month differ"
assert d["dataset"]["orders"] == int(e["orders"]) and d["dataset"]["customers"] == int(e["customers"])
assert d["dataset"]["dataset"] == "sample"
cat, items = e["top_cat"].split("|")
assert d["top_categories"][0]["category"] == cat and d["top_categories"][0]["items"] == int(items)
assert len(d["top_categories"]) <= 10
st, cust = e["top_state"].split("|")
s0 = d["states"][0]
assert s0["state"] == st and s0["customers"] == int(cust) and s0["orders"] == int(e["state_orders"]), s0
assert sum(s["orders"] for s in d["states"]) <= d["dataset"]["orders"]
assert len(d["cleaning"]) == int(e["cleaning"]) and all("rule" in c and "count" in c for c in d["cleaning"])
assert d["model"]["version"] == int(e["version"]) and d["model"]["cutoff"] == "2018-01-01"
assert 0 <= d["model"]["metrics"]["model"]["all"]["hit_rate"] <= 1
r = d["rolling"]
assert len(r["rows"]) == int(e["rolling"]) and r["interval"] == "wilson95" and r["k"] == 10
assert {x["segment"] for x in r["rows"]} == {"all", "warm"}
for x in r["rows"]:
    assert x["low"] <= x["hit_rate"] <= x["high"]
PY
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -m 5 "$URL")
check_eq "POST /api/v1/insights is 405" "$code" 405
curl -s -m 5 "http://127.0.0.1:$PORT/openapi.json" >"$TMP/openapi.json"
check "openapi.json documents GET /api/v1/insights and the Insights schema" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert "get" in d["paths"]["/api/v1/insights"]
assert "rolling" in d["components"]["schemas"]["Insights"]["properties"]' "$TMP/openapi.json"

# --- the dashboard view at 80x24 -------------------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
  skip "Data & evaluation view in tmux" "tmux is not installed"
else
  PANE=ins
  SCREENS=${SCREENS_DIR:-}
  . "$(dirname "$0")/tui_screen.bash"
  $TM new-session -d -s ins -x 80 -y 24 \
    "RECSYS_TUI_GLYPHS=ascii '$BIN' --monitor --config '$TMP/r.conf' --interval 0.3; sleep 30"
  wait_screen 'regions UP' 10
  $TM send-keys -t ins 6
  IFS='|' read -r cat items <<<"$(sed -n 's/^top_cat=//p' "$TMP/expect.txt")"
  orders=$(sed -n 's/^orders=//p' "$TMP/expect.txt")
  check_screen "view 6 shows the orders per month" 'Orders per month' 10
  check_screen "the totals are the database's ($orders orders)" "sample data: $orders orders"
  check_screen "top categories with the top one's count" "${cat:0:20} +$items"
  check_screen "customers and orders by state" 'Customers and orders by state'
  check_screen "the cleaning report" 'Cleaning report'
  save_screen insights-data-80x24
  $TM send-keys -t ins e
  pooled=$(python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))["rolling"]["rows"]
o=[x for x in r if x["algorithm"]=="oracle" and x["segment"]=="all"]
print("%.4f" % (sum(x["hits"] for x in o)/sum(x["users"] for x in o)))' "$TMP/ins.json")
  check_screen "the evaluation page shows the active model's hit rates" 'Active model v[0-9]+ \(hybrid, cutoff 2018-01-01\)'
  check_screen "the pooled rolling oracle hit rate ($pooled)" "oracle +all $pooled"
  check_screen "the rolling hit rate per month" 'Rolling hit rate per month'
  check_screen "the month axis runs from 2018-01 to 2018-04" '2018-01 +2018-04'
  save_screen insights-eval-80x24
  check_screen "the footer is still on row 24" '1-6/Tab view'
fi
echo "# insights.sh ran in $((SECONDS - T0)) s"
