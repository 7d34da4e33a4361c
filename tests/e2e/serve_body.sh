#!/bin/bash
# End-to-end: request bodies are parsed strictly, and a fault on the server's
# side is a 500, not the client's 400 (issue 9, item 11). Real binary, real
# sockets on 127.0.0.1, ephemeral ports.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PID=""
IMMUTABLE=""
RO_MOUNT=""
cleanup() {
  [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
  [ -n "$IMMUTABLE" ] && chattr -i $IMMUTABLE 2>/dev/null
  [ -n "$RO_MOUNT" ] && umount "$RO_MOUNT" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

DB=$TMP/db.sqlite
sample_db "$DB" 1500 7 "--algo popularity --no-eval" "--algo popularity --no-eval"
check_eq "a database with two model versions" "$(sqlite3 "$DB" 'SELECT count(*) FROM models' 2>&1)" 2
USER_ID=$(sqlite3 "$DB" "SELECT customer_unique_id FROM customers LIMIT 1")

# serve CONF_DB: starts --serve on one region over database CONF_DB; sets PID, PORT.
serve() {
  printf '[global]\ndatabase = %s\nlog = off\nrate_limit = 0\n[region us-west]\nport = 0\nlocation = Test\nlatitude = 0\nlongitude = 0\n' \
    "$1" >"$TMP/regions.conf"
  "$BIN" --serve --config "$TMP/regions.conf" 2>"$TMP/serve.err" &
  PID=$!
  PORT=
  for _ in $(seq 200); do
    PORT=$(sed -n 's/^region us-west listening on .*://p' "$TMP/serve.err")
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$PORT" ]
}
stop() { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=""; }
# post PATH BODY: prints the status; the body is in $TMP/b.
post() {
  curl -s -o "$TMP/b" -w '%{http_code}' -m 10 -X POST -H 'Content-Type: application/json' \
    --data-binary "$2" "http://127.0.0.1:$PORT$1"
}
# err_msg STATUS: the message of a body {"error":{"status":STATUS,"message":...}};
# "(not a JSON error with status STATUS)" for any other body.
err_msg() {
  $PY -c 'import json,sys
try:
    d = json.load(open(sys.argv[1]))["error"]
    assert d["status"] == int(sys.argv[2])
    print(d["message"])
except Exception:
    print("(not a JSON error with status %s)" % sys.argv[2])' "$TMP/b" "$1"
}

if ! serve "$DB"; then
  fail "the server starts"; sed 's/^/#   /' "$TMP/serve.err"
  exit 0
fi
R=/api/v1/recommendations/user/$USER_ID

# --- strict JSON bodies -------------------------------------------------------
check_eq "a JSON object body is accepted" "$(post "$R" '{"count":5}')" 200
check_eq "... and read (5 items)" "$($PY -c 'import json; print(len(json.load(open("'"$TMP/b"'"))["recommendations"]))')" 5
check_eq "trailing whitespace after the object is fine" "$(post "$R" $'{"count":3} \r\n\t')" 200
check_eq "garbage after the object is 400 (it was accepted)" "$(post "$R" '{"count":5}garbage')" 400
check_grep "... naming the problem" "unexpected bytes after the JSON object" <(err_msg 400)
check_eq "a second object after the first is 400" "$(post "$R" '{"count":5}{"count":6}')" 400
check_eq "a duplicate member is 400" "$(post "$R" '{"count":5,"count":7}')" 400
check_grep "... naming the member" 'member "count" appears more than once' <(err_msg 400)
check_eq "invalid JSON is 400" "$(post "$R" '{"count":')" 400
check_grep "... saying where" 'not valid JSON \(at byte [0-9]+\)' <(err_msg 400)
check_eq "a JSON array is 400" "$(post "$R" '[1,2]')" 400
check_grep "... saying it is not an object" 'not a JSON object' <(err_msg 400)
check_eq "count out of range is still 400" "$(post "$R" '{"count":0}')" 400
check_eq "the server still answers" "$(post "$R" '{"allow_repurchase":true}')" 200

# --- a fault on the server's side is 500 --------------------------------------
# The database becomes read-only under the running server: chattr +i (root on
# ext4 and the like), else a read-only tmpfs holding a copy of it.
stop
ACT=/api/v1/models/1/activate
RO_DB=
if chattr +i "$DB" 2>/dev/null; then
  IMMUTABLE=$DB RO_DB=$DB how="chattr +i"
  chattr -i "$DB"; IMMUTABLE=""
elif mkdir "$TMP/ro" && mount -t tmpfs -o size=64m tmpfs "$TMP/ro" 2>/dev/null; then
  RO_MOUNT=$TMP/ro
  cp "$DB" "$TMP/ro/db.sqlite" && mount -o remount,ro "$TMP/ro" 2>/dev/null && RO_DB=$TMP/ro/db.sqlite how="read-only tmpfs"
fi
if [ -z "$RO_DB" ]; then
  skip "a read-only database answers 500" "neither chattr +i nor a read-only tmpfs works here (not root?)"
else
  if [ "$how" = "chattr +i" ]; then
    # the events writer keeps the database in WAL mode: writes go to its -wal file too
    serve "$DB" && IMMUTABLE=$DB && { [ ! -e "$DB-wal" ] || IMMUTABLE="$DB $DB-wal"; } &&
      chattr +i $IMMUTABLE
  else
    serve "$RO_DB"
  fi
  check_eq "the models list still reads from the read-only database ($how)" \
    "$(curl -s -o "$TMP/b" -w '%{http_code}' -m 10 "http://127.0.0.1:$PORT/api/v1/models")" 200
  check_eq "activate on a read-only database is 500, not 400 ($how)" "$(post "$ACT" '')" 500
  check_grep "... with a JSON error naming the cause" 'readonly|read-only' <(err_msg 500)
  check_eq "rollback on a read-only database is 500 too" "$(post /api/v1/models/rollback '')" 500
  check_eq "the server keeps serving" "$(post "$R" '{"count":2}')" 200
  if [ -n "$IMMUTABLE" ]; then
    chattr -i $IMMUTABLE && IMMUTABLE=""
    check_eq "once writable again, activate is 200" "$(post "$ACT" '')" 200
  fi
fi
stop
