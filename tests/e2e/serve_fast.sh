#!/bin/bash
# End-to-end tests of the serving fast paths (issue 9 targets): GET
# /api/v1/models is answered from the list copy the bio thread keeps
# (net/modelsnap.c) and must never be stale: after an activation or a
# rollback over HTTP, and after `train` or `models activate` run by another
# process, the next list already shows the change, byte for byte what the
# bio path gives. User and product bodies (rendered without cJSON or printf
# now) must be canonical compact JSON, as cJSON printed them (serve.sh
# compares recommendations with `recommend --json` byte for byte).
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
DB=$TMP/shop.db
if ! sample_db "$DB" 1500 5 --no-eval "--algo itemcf --no-eval"; then
  fail "ingest and train two versions"
  exit 0
fi
ok "ingest sample data and train two versions"
{ echo "[global]"; echo "database = $DB"; echo "rate_limit = 0"; echo "log = off"
  echo "[region one]"; echo "port = 0"; echo "latitude = 1"; echo "longitude = 1"
} >"$TMP/regions.conf"
if ! serve_start srv 1 --config "$TMP/regions.conf"; then
  fail "the server starts"
  exit 0
fi
P=$(serve_port srv one)
req() { curl -s -m 30 -o "$TMP/b" -w '%{http_code}' -X "$1" "http://127.0.0.1:$P$2"; }
active() { req GET /api/v1/models >/dev/null; $PY -c "import json; d=json.load(open('$TMP/b')); print(d['active'], len(d['models']))"; }

check_eq "models list: version 2 of 2 active" "$(active)" "2 2"
cp "$TMP/b" "$TMP/first"
check_eq "again (from the copy): the same bytes" "$(active) $(cmp -s "$TMP/b" "$TMP/first" && echo same)" "2 2 same"
check_eq "activate 1 over HTTP: 200" "$(req POST /api/v1/models/1/activate)" 200
check_eq "the next list shows 1 active" "$(active)" "1 2"
check_eq "rollback over HTTP: 200" "$(req POST /api/v1/models/rollback)" 200
check_eq "the next list shows 2 active" "$(active)" "2 2"
"$BIN" train --db "$DB" --algo popularity --quiet --no-eval >/dev/null 2>&1
check_eq "train by another process: the next list has version 3, active" "$(active)" "3 3"
cp "$TMP/b" "$TMP/after_train"
"$BIN" models activate 1 --db "$DB" >/dev/null 2>&1
check_eq "models activate by another process: the next list shows 1 active" "$(active)" "1 3"
"$BIN" models activate 3 --db "$DB" >/dev/null 2>&1
active >/dev/null
check_eq "back on 3: the copy's bytes equal the bio path's" \
  "$(active) $(cmp -s "$TMP/b" "$TMP/after_train" && echo same)" "3 3 same"

# --- bodies rendered without cJSON / printf --------------------------------
USERS=$(sqlite3 "$DB" "SELECT user_id FROM interactions GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 20")
PRODS=$(sqlite3 "$DB" "SELECT product_id FROM interactions GROUP BY product_id ORDER BY COUNT(*) DESC LIMIT 20")
bad=0
for u in $USERS; do
  [ "$(req GET "/api/v1/users/$u")" = 200 ] || bad=$((bad + 1))
  # cJSON's own separators: re-encoding the parsed body compactly gives it back
  $PY -c "import json,sys; s=open('$TMP/b').read(); d=json.loads(s); sys.exit(json.dumps(d, separators=(',', ':'), ensure_ascii=False) != s)" || bad=$((bad + 1))
done
check_eq "20 user profiles: 200 and canonical JSON" "$bad" 0
bad=0
for p in $PRODS; do
  [ "$(req GET "/api/v1/products/$p")" = 200 ] || bad=$((bad + 1))
  $PY -c "import json; json.load(open('$TMP/b'))" || bad=$((bad + 1))
done
check_eq "20 products: 200 and valid JSON" "$bad" 0
kill "$PID_srv" 2>/dev/null
wait "$PID_srv" 2>/dev/null
ok "server stops"
