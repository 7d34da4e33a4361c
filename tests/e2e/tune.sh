#!/bin/bash
# End-to-end: `recsys-tui tune` chooses the default configuration on
# validation cutoffs before the training cutoff and stores it with its table;
# `train` uses the latest run (options on top, --no-tune for the defaults) and
# stores it with the model; `models show V` prints why. The test period never
# changes the choice (orders after the cutoff deleted: the same table). The
# API's repurchase default follows the model's tuned policy and
# "allow_repurchase" overrides it both ways. Generated sample data, real
# binary, loopback.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
cleanup() { for p in $PIDS; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$TMP"; }
trap cleanup EXIT

DB=$TMP/s.db
sample_db "$DB" 1500 7
check "a sample database" test -s "$DB"

check "tune --help" "$BIN" tune --help
"$BIN" tune --db "$DB" --cutoff 2018-13-01 >/dev/null 2>&1
check_eq "tune: a bad cutoff is a usage error" "$?" 2
"$BIN" tune --db "$DB" --only window_days,nope >/dev/null 2>"$TMP/only.err"
check_eq "tune: an unknown --only parameter is a usage error" "$?" 2
check_grep "... naming it" "nope" "$TMP/only.err"
"$BIN" tune --db "$DB" --cutoff 2016-09-01 >/dev/null 2>"$TMP/early.err"
check_eq "tune: no validation month before the cutoff fails (exit 1)" "$?" 1
check_grep "... saying so" "no validation month" "$TMP/early.err"

"$BIN" tune --db "$DB" --cutoff 2018-01-01 --quiet >"$TMP/tune.txt" 2>&1
check_eq "tune: exit 0" "$?" 0
check_grep "tune prints the validation table" "^base +- " "$TMP/tune.txt"
check_grep "tune prints the choice" "^chosen: window_days=" "$TMP/tune.txt"
check_grep "tune prints why" "^why: mean HR@10 over all validation users on 4 cutoffs" "$TMP/tune.txt"
check_grep "tune stored run 1" "stored as tune run 1 " "$TMP/tune.txt"
check_eq "tune_runs holds it" "$(sqlite3 "$DB" 'SELECT id, algorithm, cutoff FROM tune_runs')" \
  "1|hybrid|2018-01-01"

"$BIN" tune --db "$DB" --cutoff 2018-01-01 --json >"$TMP/tune.json" 2>/dev/null
check_eq "tune --json: exit 0, run 2" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"])' "$TMP/tune.json")" 2
check "tune --json: 4 cutoffs, all before the training cutoff, the table and its choice" \
  "$PY" - "$TMP/tune.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["report"]
c = r["cutoffs"]
assert [x["from"] for x in c] == ["2017-09-01", "2017-10-01", "2017-11-01", "2017-12-01"], c
assert all(x["to"] <= "2018-01-01" for x in c), c
t = r["table"]
assert t[0]["dim"] == "base" and len(t) > 20 and t[r["chosen"]]["kept"], t[0]
assert all(len(row["cutoffs"]) == 4 for row in t)
best = t[r["chosen"]]["mean"]["hr_all"]
assert best >= t[0]["mean"]["hr_all"], (best, t[0]["mean"])
PY

# the test period never changes the choice: drop every order from the cutoff on
cp "$DB" "$TMP/cut.db"
sqlite3 "$TMP/cut.db" "DELETE FROM order_items WHERE order_id IN (SELECT order_id FROM orders
  WHERE order_purchase_timestamp >= '2018-01-01'); DELETE FROM orders
  WHERE order_purchase_timestamp >= '2018-01-01';"
"$BIN" tune --db "$TMP/cut.db" --cutoff 2018-01-01 --json --no-store >"$TMP/cut.json" 2>/dev/null
check "the same choice and table without any purchase after the cutoff" \
  "$PY" - "$TMP/tune.json" "$TMP/cut.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["report"] for p in sys.argv[1:3])
for r in (a, b):
    r.pop("seconds")
assert a == b, "the test period changed the tuning"
PY
check_eq "--no-store stores nothing" "$(sqlite3 "$TMP/cut.db" 'SELECT COUNT(*) FROM tune_runs')" 2

# train uses the latest run and stores it with the model
"$BIN" train --db "$DB" --cutoff 2018-01-01 --quiet --no-eval >"$TMP/train.txt" 2>&1
check_grep "train says it used tune run 2" "^configuration: tune run 2 \(.*cutoff 2018-01-01\)$" "$TMP/train.txt"
check "the model's params are the chosen ones, with the run" "$PY" - "$DB" "$TMP/tune.json" <<'PY'
import json, sqlite3, sys
p = json.loads(sqlite3.connect(sys.argv[1]).execute("SELECT params FROM models WHERE version = 1").fetchone()[0])
chosen = json.load(open(sys.argv[2]))["report"]["params"]
assert all(abs(p[k] - v) < 1e-9 for k, v in chosen.items()), (p, chosen)
assert p["tuning"]["run"] == 2 and p["tuning"]["report"]["table"], p["tuning"].keys()
PY
"$BIN" models show 1 --db "$DB" >"$TMP/show.txt" 2>&1
check_eq "models show: exit 0" "$?" 0
check_grep "models show prints the params" "^params: window_days=" "$TMP/show.txt"
check_grep "models show names the tune run" "^chosen by tune run 2 " "$TMP/show.txt"
check_grep "models show prints the validation table" "^repurchase_weight +[0-9.]+ " "$TMP/show.txt"
check_grep "models show prints why" "^why: " "$TMP/show.txt"
"$BIN" models show 9 --db "$DB" >/dev/null 2>&1
check_eq "models show of an unknown version: exit 1" "$?" 1
"$BIN" models show x --db "$DB" >/dev/null 2>&1
check_eq "models show without a number: usage error" "$?" 2

"$BIN" train --db "$DB" --cutoff 2018-01-01 --quiet --no-eval --window 21 >"$TMP/t2.txt" 2>&1
check_grep "an option on top of the tuned configuration is said" "^configuration: tune run 2 .*options on top" "$TMP/t2.txt"
check_eq "... and wins" "$(sqlite3 "$DB" "SELECT json_extract(params, '\$.window_days') FROM models WHERE version = 2")" 21
"$BIN" train --db "$DB" --cutoff 2018-01-01 --quiet --no-eval --no-tune >"$TMP/t3.txt" 2>&1
check_grep "train --no-tune: the built-in defaults" "^configuration: built-in defaults$" "$TMP/t3.txt"
"$BIN" models show 3 --db "$DB" >"$TMP/show3.txt" 2>&1
check_grep "models show of an untuned model says so" "^not tuned" "$TMP/show3.txt"

# the API's repurchase default is the model's policy: version 3 (defaults, weight 1)
# allows owned products; a version with weight 0 leaves them out; the body overrides
"$BIN" train --db "$DB" --quiet --no-eval --no-tune --repurchase-weight 0 >/dev/null 2>&1
printf '[global]\ndatabase = %s\nlog = off\nrate_limit = 0\n[region us-west]\nport = 0\nlocation = Test\nlatitude = 0\nlongitude = 0\n' \
  "$DB" >"$TMP/regions.conf"
"$BIN" models activate 3 --db "$DB" >/dev/null
serve_start srv 1 --config "$TMP/regions.conf" && PORT=$(serve_port srv us-west)
check "the server starts" test -n "$PORT"
# api_check MODE BEFORE: for the 20 heaviest buyers, false never lists an owned
# product (bought before BEFORE), true lists them only as source repurchase, and the
# default is true's answer (MODE allow) or false's (MODE forbid)
cat >"$TMP/api_check.py" <<'PY'
import json, sqlite3, sys, urllib.request
port, db, mode, before = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
con = sqlite3.connect(db)
users = [u for (u,) in con.execute("SELECT user_id FROM interactions WHERE ts < ? GROUP BY "
         "user_id ORDER BY COUNT(DISTINCT product_id) DESC, user_id LIMIT 20", (before,))]
def recs(u, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/recommendations/user/{u}",
                                 data=json.dumps(body).encode(), method="POST")
    return json.load(urllib.request.urlopen(req, timeout=10))["recommendations"]
back = 0
for u in users:
    owned = {p for (p,) in con.execute("SELECT product_id FROM interactions WHERE user_id = ? "
             "AND ts < ?", (u, before))}
    d = recs(u, {"count": 20})
    t = recs(u, {"count": 20, "allow_repurchase": True})
    f = recs(u, {"count": 20, "allow_repurchase": False})
    assert not any(x["product_id"] in owned for x in f), "false: an owned product"
    assert all((x["product_id"] in owned) == (x["source"] == "repurchase") for x in t), t
    assert d == (t if mode == "allow" else f), "the default is not the model's policy"
    back += any(x["source"] == "repurchase" for x in t)
assert back > 0, "true never brought an owned product back"
PY
check "weight 1: the default allows owned products (source repurchase); false leaves them out" \
  "$PY" "$TMP/api_check.py" "$PORT" "$DB" allow 2018-01-01
"$BIN" models activate 4 --db "$DB" >/dev/null && kill -HUP "$PID_srv"
for _ in $(seq 1 100); do
  v=$($PY -c "import json,urllib.request as u; print(json.load(u.urlopen('http://127.0.0.1:$PORT/api/v1/recommendations/user/$(printf '%032d' $RANDOM)'))['model_version'])" 2>/dev/null)
  [ "$v" = 4 ] && break
  sleep 0.1
done
check_eq "reloaded onto version 4 (repurchase_weight 0)" "$v" 4
check "weight 0: the default leaves owned products out; true lets them back" \
  "$PY" "$TMP/api_check.py" "$PORT" "$DB" forbid 2100-01-01

# the scheduled retraining starts from the latest tune run too
"$BIN" retrain --db "$DB" --tolerance 1 >/dev/null 2>&1
check "retrain's candidate has the tuned parameters, with the run (models show)" "$PY" - "$DB" "$TMP/tune.json" <<'PY'
import json, sqlite3, sys
p = json.loads(sqlite3.connect(sys.argv[1]).execute("SELECT params FROM models ORDER BY version DESC LIMIT 1").fetchone()[0])
chosen = json.load(open(sys.argv[2]))["report"]["params"]
assert all(abs(p[k] - v) < 1e-9 for k, v in chosen.items()), (p, chosen)
assert p["tuning"]["run"] == 2 and p["tuning"]["report"]["table"], p.keys()
PY
