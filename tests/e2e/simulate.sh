#!/usr/bin/env bash
# recsys-tui simulate: replaying the test period of the generated sample data
# against two running regions, with events not fed back, measures exactly
# eval's hit-rate@10 for the served model (the user hit rate: customers with
# a purchase that was in the list shown at their order); the per-purchase
# conversion is reported with its 95% Wilson interval, which holds eval's
# figure. Plus --to, feedback (or its clear error before the events route
# exists) and the error cases.
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

sample_db "$TMP/s.db" 400 7 || { fail "sample database"; exit 1; }
check "train hybrid with cutoff 2018-01-01" "$BIN" train --cutoff 2018-01-01 --db "$TMP/s.db" --quiet
"$BIN" eval --cutoff 2018-01-01 --algo hybrid --db "$TMP/s.db" --json >"$TMP/eval.json"
read -r EVAL_HR EVAL_USERS <<<"$(python3 -c 'import json,sys
r=[x for x in json.load(open(sys.argv[1]))["results"] if x["algorithm"]=="hybrid" and not x["allow_repurchase"]][0]
print(r["all"]["hit_rate"], r["all"]["users"])' "$TMP/eval.json")"

P1=$(free_port) P2=$(free_port)
cat >"$TMP/r.conf" <<CONF
[global]
database = $TMP/s.db
rate_limit = 0
[region west]
port = $P1
latitude = 37.77
longitude = -122.42
[region east]
port = $P2
latitude = 38.03
longitude = -78.48
CONF
serve_start srv 2 --config "$TMP/r.conf" || fail "the regions start"

"$BIN" simulate --from 2018-01-01 --config "$TMP/r.conf" --no-feedback --json \
  >"$TMP/sim.json" 2>"$TMP/sim.err"
check_eq "simulate --no-feedback exits 0" "$?" 0
SIM_HR=$(jget "$TMP/sim.json" total.user_hit_rate)
check_eq "simulate's customers are eval's test users" "$(jget "$TMP/sim.json" total.users)" "$EVAL_USERS"
check "simulate's user hit rate equals eval's hit-rate@10 ($SIM_HR vs $EVAL_HR)" \
  python3 -c 'import sys; sys.exit(abs(float(sys.argv[1])-float(sys.argv[2]))>1e-9)' "$SIM_HR" "$EVAL_HR"
check "eval's hit rate lies in the 95% Wilson interval of simulate's per-purchase conversion" \
  python3 -c 'import json,sys
t=json.load(open(sys.argv[1]))["total"]; lo,hi=t["conversion_ci95"]; e=float(sys.argv[2])
assert abs(t["conversion"]-t["hits"]/t["purchases"])<1e-12 and lo<=t["conversion"]<=hi
sys.exit(not (lo<=e<=hi))' "$TMP/sim.json" "$EVAL_HR"
check_eq "every order got one list, spread over both regions" \
  "$(jget "$TMP/sim.json" orders) $(jget "$TMP/sim.json" total.lists)" \
  "$(sqlite3 "$TMP/s.db" "SELECT COUNT(DISTINCT order_id), COUNT(DISTINCT order_id) FROM interactions WHERE ts >= '2018-01-01'" | tr '|' ' ')"
check_eq "purchases are the distinct (order, product) pairs" "$(jget "$TMP/sim.json" total.purchases)" \
  "$(sqlite3 "$TMP/s.db" "SELECT COUNT(*) FROM (SELECT DISTINCT order_id, product_id FROM interactions WHERE ts >= '2018-01-01')")"
check_grep "progress on stderr" "orders/s, conversion" "$TMP/sim.err"
W=$(curl -s "http://127.0.0.1:$P1/api/v1/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"]["total"])')
check "both regions served lists" test "$W" -ge 10

"$BIN" simulate --from 2018-01-01 --to 2018-03-01 --regions east --config "$TMP/r.conf" \
  --no-feedback --count 5 >"$TMP/sim.txt" 2>/dev/null
check_grep "the text table has the columns" "variant +lists +purchases +hits +conversion" "$TMP/sim.txt"
check_grep "--to and --count are reported" "from 2018-01-01 to 2018-03-01 .*k = 5" "$TMP/sim.txt"
N_TO=$(sed -n 's/^Replayed \([0-9]*\) orders.*/\1/p' "$TMP/sim.txt")
check_eq "--to stops before the date" "$N_TO" \
  "$(sqlite3 "$TMP/s.db" "SELECT COUNT(DISTINCT order_id) FROM interactions WHERE ts >= '2018-01-01' AND ts < '2018-03-01'")"

# with feedback: the events route, or a clear error naming it while it is missing
"$BIN" simulate --from 2018-09-01 --config "$TMP/r.conf" --json >"$TMP/fb.json" 2>"$TMP/fb.err"
rc=$?
if grep -q "answered 404" "$TMP/fb.err"; then
  check_eq "feedback without an events route exits 1" "$rc" 1
  check_grep "and says to use --no-feedback, naming the region's URL" \
    "region (west|east) \(http://127.0.0.1:[0-9]+\).*--no-feedback" "$TMP/fb.err"
else
  check_eq "simulate with feedback exits 0" "$rc" 0
  check_eq "one purchase event per purchase" "$(jget "$TMP/fb.json" events_posted)" \
    "$(jget "$TMP/fb.json" total.purchases)"
fi

# an A/B experiment: simulate's per-variant counts are the experiment's own
"$BIN" train --algo popularity --cutoff 2018-01-01 --db "$TMP/s.db" --quiet >/dev/null
"$BIN" models activate 1 --db "$TMP/s.db" >/dev/null
curl -s -o "$TMP/exp.json" -w '%{http_code}' -X POST "http://127.0.0.1:$P1/api/v1/experiments" \
  -d '{"name":"sim","variants":[{"name":"A","model_version":1,"share":50},{"name":"B","model_version":2,"share":50}]}' \
  >"$TMP/exp.code"
check_eq "an experiment over versions 1 and 2 starts" "$(cat "$TMP/exp.code")" 201
"$BIN" simulate --from 2018-01-01 --config "$TMP/r.conf" --json >"$TMP/ab.json" 2>"$TMP/ab.err"
check_eq "simulate with feedback through the experiment exits 0" "$?" 0
check_grep "live per-variant conversion on stderr" "conversion [0-9.]+ A [0-9.]+ B [0-9.]+" "$TMP/ab.err"
curl -s "http://127.0.0.1:$P2/api/v1/experiments/sim" >"$TMP/expstats.json"
check "per variant: lists = impressions, hits = attributed clicks = purchases, converted lists = lists_converted" \
  python3 - "$TMP/ab.json" "$TMP/expstats.json" <<'PY'
import json, sys
sim = {v["variant"]: v for v in json.load(open(sys.argv[1]))["variants"]}
exp = {v["name"]: v for v in json.load(open(sys.argv[2]))["experiment"]["variants"]}
assert sorted(sim) == ["A", "B"], sorted(sim)
for name, v in sim.items():
    e = exp[name]
    got = (e["impressions"], e["clicks"], e["purchases"], e["lists_converted"])
    want = (v["lists"], v["hits"], v["hits"], v["converted_lists"])
    assert got == want, (name, got, want)
    assert v["experiment"] == "sim"
PY
check "the two variants split the customers near 50/50" python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))["variants"]; a,b=v[0]["users"],v[1]["users"]; sys.exit(not (0.35 < a/(a+b) < 0.65))' "$TMP/ab.json"
"$BIN" simulate --from 2018-01-01 --config "$TMP/r.conf" --no-feedback >"$TMP/ab.txt" 2>/dev/null
check_grep "the table has a row per variant" "^  sim/A +[0-9]+" "$TMP/ab.txt"
check_grep "and the total" "^  total " "$TMP/ab.txt"
curl -s -o /dev/null -X POST "http://127.0.0.1:$P1/api/v1/experiments/sim/stop"

# errors
"$BIN" simulate --from 2018-01-01 --url "http://127.0.0.1:$(free_port)" --db "$TMP/s.db" \
  --no-feedback --quiet >/dev/null 2>"$TMP/e1"
check_eq "an unreachable region exits 1" "$?" 1
check_grep "and the error names its URL" "unreachable at http://127.0.0.1:[0-9]+/api/v1/recommendations" "$TMP/e1"
"$BIN" simulate --config "$TMP/r.conf" >/dev/null 2>"$TMP/e2"
check_eq "--from is required (exit 2)" "$?" 2
"$BIN" simulate --from 2018-13-01 --config "$TMP/r.conf" >/dev/null 2>&1
check_eq "a bad --from is a usage error" "$?" 2
"$BIN" simulate --from 2018-01-01 --speed fast --config "$TMP/r.conf" >/dev/null 2>&1
check_eq "a bad --speed is a usage error" "$?" 2
"$BIN" simulate --from 2018-01-01 --regions nowhere --config "$TMP/r.conf" >/dev/null 2>"$TMP/e3"
check_eq "an unknown region is a usage error" "$?" 2
check_grep "naming it" "nowhere" "$TMP/e3"
"$BIN" simulate --from 2030-01-01 --config "$TMP/r.conf" --no-feedback >/dev/null 2>"$TMP/e4"
check_eq "no purchases in the period exits 1" "$?" 1
check_grep "and says so" "no purchases" "$TMP/e4"
check "simulate --help" "$BIN" simulate --help
"$BIN" simulate --from 2018-10-01 --speed 200000 --config "$TMP/r.conf" --no-feedback --quiet \
  --json >"$TMP/sp.json" 2>/dev/null
check "--speed 200000 replays the last weeks in real time, shrunk (under 20 s)" \
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["seconds"]; sys.exit(not (0.5 < s < 20))' "$TMP/sp.json"
kill "$PID_srv"
wait "$PID_srv" 2>/dev/null
check_eq "the regions stop cleanly" "$?" 0

# a rate-limited region: 429s are waited out (Retry-After) and retried
P3=$(free_port)
printf '[global]\ndatabase = %s\nrate_limit = 20\nrate_burst = 20\n[region slow]\nport = %s\n' \
  "$TMP/s.db" "$P3" >"$TMP/slow.conf"
serve_start slow 1 --config "$TMP/slow.conf" || fail "the rate-limited region starts"
"$BIN" simulate --from 2018-09-01 --config "$TMP/slow.conf" --no-feedback --json --quiet \
  >"$TMP/slow.json" 2>"$TMP/slow.err"
check_eq "simulate against a rate-limited region exits 0" "$?" 0
check "after retrying the 429s" python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); sys.exit(not (d["retries"] > 0 and d["total"]["lists"] == d["orders"] > 20))' "$TMP/slow.json"
kill "$PID_slow"
wait "$PID_slow" 2>/dev/null
