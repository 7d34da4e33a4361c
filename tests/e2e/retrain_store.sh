#!/usr/bin/env bash
# Scheduled retraining with an S3 model store (s3rver behind the verifying
# SigV4 proxy, tests/e2e/s3lib.sh): `recsys-tui retrain --publish URL` on the
# training host publishes an activated candidate and makes it the store's
# active version, publishes nothing when it keeps the candidate; a region fed
# by the store does not retrain itself (its database is the cached artifact)
# and says so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"
if ! why=$(s3_available); then
  skip "retrain with a model store" "$why"
  exit 0
fi
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
s3_start recs || { fail "s3rver and the SigV4 proxy start"; exit 1; }
STORE=s3://recs/shop
DB=$TMP/s.db
sample_db "$DB" 400 7 "--algo popularity --publish $STORE" || { fail "sample database"; exit 1; }
check_eq "version 1 is published and active in the store" \
  "$("$BIN" models list --store "$STORE" 2>/dev/null | grep -cE '^ +1 \* +popularity')" 1

"$BIN" retrain --db "$DB" --tolerance -1 --publish "$STORE" >"$TMP/keep.out" 2>&1
check_eq "a kept candidate exits 0" "$?" 0
"$BIN" models list --store "$STORE" >"$TMP/list1.out" 2>&1
check_eq "and is not published" "$(grep -cE '^ +2 ' "$TMP/list1.out")" 0
"$BIN" retrain --db "$DB" --tolerance 1 --publish "$STORE" >"$TMP/win.out" 2>&1
check_eq "an activated candidate is published (exit 0)" "$?" 0
check_grep "the decision is printed" "decision: activated" "$TMP/win.out"
"$BIN" models list --store "$STORE" >"$TMP/list2.out" 2>&1
check_grep "and is the store's active version" "^ +3 \* +hybrid" "$TMP/list2.out"
check_eq "every request to the store was signed correctly" "$(s3_stat rejected)" 0

# a region fed by the store does not retrain
P=$(free_port)
printf '[global]\nmodel_store = %s\nstore_cache = %s\nlog = %s\nretrain_every = 2s\n[region r]\nport = %s\n' \
  "$STORE" "$TMP/cache" "$TMP/r.log" "$P" >"$TMP/r.conf"
serve_start r 1 --config "$TMP/r.conf" || fail "a store-fed region starts"
curl -s "http://127.0.0.1:$P/api/v1/health" >"$TMP/h.json"
check_eq "it serves the store's version and reports retraining off" \
  "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["model"]["version"], d["retrain"]["enabled"])' "$TMP/h.json")" \
  "3 False"
check_grep "and logs why" '"event":"retrain".*retrain_every is ignored with model_store set' "$TMP/r.log"
kill "$PID_r"
wait "$PID_r" 2>/dev/null
check_eq "it stops cleanly" "$?" 0
