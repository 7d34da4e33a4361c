#!/bin/bash
# The S3 model store (issue 10 part 1) through the real binary, against s3rver behind the
# verifying SigV4 proxy (s3lib.sh): `train --publish`, `models publish|list|activate|
# rollback --store`, and region processes started in EMPTY directories with model_store
# set (store_poll = 1) that follow the store's active version:
#   - one started before the first publish is DEGRADED ("empty"), then serves it;
#   - they serve the store's active version and nothing but their cache appears;
#   - an activation switches both within 2 x store_poll (store_poll = 2 there), under a
#     request stream on each that runs from before the pointer is written until after both
#     have switched, with no request failing;
#   - a corrupted artifact and a manifest of an unknown format are refused (health
#     DEGRADED with the reason) while the last good version keeps serving, and a later
#     good poll clears it;
#   - a publish cut short before its manifest or pointer is never active;
#   - a wrong secret and an unknown bucket give errors naming the URL;
#   - the proxy rejected nothing on the good paths;
#   - S3 down keeps them serving, and a restart with S3 still down serves the cache.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"

if ! why=$(s3_available); then
  skip "s3 model store e2e" "$why"
  echo "# s3store.sh: skipped"
  exit 0
fi
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
if ! s3_start recs; then
  fail "s3rver and the SigV4 proxy start"
  exit 1
fi
STORE=s3://recs/shop
DB=$TMP/olist.db
if ! sample_db "$DB" 2000 5; then
  fail "ingest sample data"
  exit 1
fi

# region_start DIR [LOG]: `recsys-tui --serve` in DIR (holding only regions.conf), its
# stderr in $TMP/LOG.err (default DIR); sets PID_DIR and PORT_DIR.
region_start() {
  log=$TMP/${2:-$1}.err
  (cd "$TMP/$1" && exec "$BIN" --serve) 2>"$log" &
  PIDS="$PIDS $!"
  eval "PID_$1=$!"
  for _ in $(seq 1 300); do
    grep -q "listening on" "$log" && break
    sleep 0.05
  done
  eval "PORT_$1=$(sed -n 's/^region .* listening on .*://p' "$log" | head -1)"
}
health() { curl -s "http://127.0.0.1:$1/api/v1/health"; }
# field PORT EXPR: a value of the health JSON, e.g. field 8000 '["model"]["version"]'
field() { health "$1" | python3 -c "import json,sys; v=json.load(sys.stdin)$2; print(v)"; }
# wait_version PORT V SECONDS: 0 once the region serves V
wait_version() {
  for _ in $(seq 1 $(($3 * 20))); do
    [ "$(field "$1" '["model"]["version"]' 2>/dev/null)" = "$2" ] && return 0
    sleep 0.05
  done
  return 1
}
# region_conf DIR NAME [POLL]: an otherwise empty directory with a regions.conf following
# the store, polled every POLL seconds (default 1)
region_conf() {
  mkdir -p "$TMP/$1"
  cat >"$TMP/$1/regions.conf" <<EOF
[global]
model_store = $STORE
store_poll  = ${3:-1}
store_cache = cache
log         = stderr
rate_limit  = 0
[region $2]
port      = 0
location  = test
latitude  = 0
longitude = 0
EOF
}

# --- a region started before anything is published ----------------------------------
region_conf r0 ap-south
region_start r0
check_eq "before the first publish: the region starts, DEGRADED" "$(field "$PORT_r0" '["status"]')" \
  DEGRADED
check_eq "before the first publish: store status empty" "$(field "$PORT_r0" '["store"]["status"]')" \
  empty
check_eq "before the first publish: no model" "$(field "$PORT_r0" '["model"]["status"]')" unavailable

# --- publishing ------------------------------------------------------------------------
"$BIN" train --db "$DB" --algo popularity --quiet --no-eval --publish "$STORE" \
  >"$TMP/train1.out" 2>"$TMP/train1.err"
check_eq "train --publish: exit 0" "$?" 0
check_grep "train --publish: published and active" "published version 1 to $STORE/v1: .*; active" \
  "$TMP/train1.out"
"$BIN" train --db "$DB" --algo itemcf --quiet --no-eval >/dev/null 2>&1
"$BIN" models publish 2 --db "$DB" --store "$STORE" >"$TMP/pub2.out" 2>"$TMP/pub2.err"
check_eq "models publish 2: exit 0" "$?" 0
check_grep "models publish: progress on stderr names the store" "uploading to $STORE/v2" \
  "$TMP/pub2.err"
"$BIN" models publish 2 --db "$DB" --store "$STORE" >"$TMP/pub2b.out" 2>&1
check_grep "publishing the same version again changes nothing" "already in $STORE" "$TMP/pub2b.out"
"$BIN" models list --store "$STORE" >"$TMP/list1.out" 2>&1
check_grep "models list --store: version 1 active" "^ +1 \* +popularity" "$TMP/list1.out"
check_grep "models list --store: version 2 published, not active" "^ +2 +itemcf" "$TMP/list1.out"
"$BIN" models list --json --store "$STORE" 2>&1 | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["store"], d["active"], [(m["version"], m["active"], m["parts"][0]["name"]) for m in d["models"]])
' >"$TMP/listjson.out" 2>&1
check_grep "models list --json --store: the manifests and the active version" \
  "^$STORE 1 \[\(1, True, 'artifact.db'\), \(2, False, 'artifact.db'\)\]" "$TMP/listjson.out"
ok0=1
wait_version "$PORT_r0" 1 4 || ok0=0
check_eq "the region started before the first publish serves it" "$ok0" 1
check_eq "and is UP" "$(field "$PORT_r0" '["status"]')" UP
kill "$PID_r0"

# --- regions in empty directories ------------------------------------------------------
POLL=2 # r1 and r2: the switch is timed against 2 x store_poll
region_conf r1 us-west $POLL
region_start r1
region_conf r2 eu-west $POLL
region_start r2
check "a region with model_store starts in an empty directory" test -n "$PORT_r1"
check_eq "it serves the store's active version" "$(field "$PORT_r1" '["model"]["version"]')" 1
check_eq "health names where the model came from" "$(field "$PORT_r1" '["model"]["source"]')" \
  "$STORE/v1"
check_eq "health: status UP" "$(field "$PORT_r1" '["status"]')" UP
check_eq "health: store status ok" "$(field "$PORT_r1" '["store"]["status"]')" ok
user=$(curl -s "http://127.0.0.1:$PORT_r1/api/v1/users/random?with_history=1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["user_id"])' 2>/dev/null)
code=$(curl -s -o "$TMP/rec.json" -w '%{http_code}' \
  "http://127.0.0.1:$PORT_r1/api/v1/recommendations/user/$user?count=5")
check_eq "it recommends from the artifact" "$code" 200
# Everything a region serves comes from the artifact: histories, product details,
# popularity (a user it does not know gets popular products).
check_eq "the artifact holds the users' histories (the user's purchases, from memory)" \
  "$(curl -s "http://127.0.0.1:$PORT_r1/api/v1/users/$user" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["known"], len(d["purchases"]) > 0)')" \
  "True True"
prod=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["recommendations"][0]["product_id"])' \
  "$TMP/rec.json" 2>/dev/null)
check_eq "the artifact holds the product details (category, purchases, popularity rank)" \
  "$(curl -s "http://127.0.0.1:$PORT_r1/api/v1/products/$prod" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(bool(d["category"]), d["purchases"] > 0, d["popularity_rank"] is not None)')" \
  "True True True"
check_eq "the artifact holds the popularity tables (an unknown user gets popular products)" \
  "$(curl -s "http://127.0.0.1:$PORT_r1/api/v1/recommendations/user/$(printf '%032d' 7)?count=3" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["known"], len(d["recommendations"]), sorted({r["source"].split(":")[0] for r in d["recommendations"]}))')" \
  "False 3 ['popularity']"
check_eq "nothing but regions.conf and its cache in its directory" "$(ls -A "$TMP/r1" | tr '\n' ' ')" \
  "cache regions.conf "
check_eq "... and the cache holds the artifact and its manifest (beside the events journal)" \
  "$(cd "$TMP/r1/cache" && find . -type f ! -name 'events.db*' | sort | tr '\n' ' ')" \
  "./s3/recs/shop/artifact.db ./s3/recs/shop/manifest.json "
check_eq "the second region serves version 1 too" "$(field "$PORT_r2" '["model"]["version"]')" 1

# --- activation switches every region within 2 x store_poll, no request failing ----------
# One client per region sends health and recommendation requests in turn on a keep-alive
# connection, from 0.5 s before `models activate 2` until 0.5 s after the last region's
# health says version 2; the switch is timed from just before the command. Prints
# "rc=EXIT ms=SLOWEST ok=N fail=N before=N after=N gap_ms=LONGEST errors" (before/after:
# the fewest answers a region gave before the command and after its switch).
cat >"$TMP/switch.py" <<'PY'
import http.client, json, subprocess, sys, threading, time
target, timeout, path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
cmd, ports = sys.argv[4].split("\x1f"), [int(p) for p in sys.argv[5:]]
st = {p: {"ok": 0, "fail": 0, "before": 0, "after": 0, "at": None, "gap": 0.0, "err": ""}
      for p in ports}
t_cmd = [None]
stop = threading.Event()


def run(port):
    s, last, k = st[port], time.monotonic(), 0
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not stop.is_set():
        k += 1
        health = k % 2 == 1
        try:
            c.request("GET", "/api/v1/health" if health else path)
            r = c.getresponse()
            body = r.read()
            good = r.status == 200
            if good and health and s["at"] is None and t_cmd[0] is not None and \
                    json.loads(body)["model"]["version"] == target:
                s["at"] = time.monotonic()
        except Exception as e:  # a failed request is what we count
            good = False
            s["err"] = repr(e)
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        now = time.monotonic()
        s["gap"], last = max(s["gap"], now - last), now
        s["ok" if good else "fail"] += 1
        if t_cmd[0] is None:
            s["before"] += 1
        elif s["at"] is not None:
            s["after"] += 1


ts = [threading.Thread(target=run, args=(p,)) for p in ports]
for t in ts:
    t.start()
time.sleep(0.5)
t_cmd[0] = time.monotonic()
rc = subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while time.monotonic() < t_cmd[0] + timeout and any(st[p]["at"] is None for p in ports):
    time.sleep(0.01)
time.sleep(0.5)
stop.set()
for t in ts:
    t.join()
ms = [round((st[p]["at"] - t_cmd[0]) * 1000) if st[p]["at"] else -1 for p in ports]
print("rc=%d ms=%d ok=%d fail=%d before=%d after=%d gap_ms=%d %s" % (
    rc, -1 if -1 in ms else max(ms), sum(st[p]["ok"] for p in ports),
    sum(st[p]["fail"] for p in ports), min(st[p]["before"] for p in ports),
    min(st[p]["after"] for p in ports), max(st[p]["gap"] for p in ports) * 1000,
    " ".join(st[p]["err"] for p in ports)))
PY
limit=$((2 * POLL * 1000))
[ -n "${SAN:-}" ] && limit=$((2 * limit)) # a sanitizer build opens the artifact slower
python3 "$TMP/switch.py" 2 $((limit / 1000 + 5)) "/api/v1/recommendations/user/$user?count=5" \
  "$BIN"$'\x1f'models$'\x1f'activate$'\x1f'2$'\x1f'--store$'\x1f'"$STORE" \
  "$PORT_r1" "$PORT_r2" >"$TMP/switch.out" 2>&1
echo "# switch: $(cat "$TMP/switch.out")"
read -r rc ms okn failn before after _ <<<"$(sed 's/[a-z_]*=//g' "$TMP/switch.out")"
check_eq "models activate 2 --store: exit 0" "$rc" 0
check "models activate 2 --store: both regions serve version 2" test "${ms:--1}" -ge 0
if [ "${ms:--1}" -ge 0 ] && [ "$ms" -le "$limit" ]; then
  ok "both switched within 2 x store_poll (${ms} ms, limit $limit)"
else fail "both switched within 2 x store_poll (${ms} ms, limit $limit)"; fi
check_eq "no request failed during the switch ($okn answered)" "$failn" 0
check "each region answered before the pointer moved and after it switched ($before, $after)" \
  test "${before:-0}" -gt 0 -a "${after:-0}" -gt 0
check_eq "health names version 2's source" "$(field "$PORT_r2" '["model"]["source"]')" "$STORE/v2"
kill -HUP "$PID_r2" # reloads the cached artifact: still named after the store
for _ in $(seq 1 100); do
  grep -q "model reloaded" "$TMP/r2.err" && break
  sleep 0.05
done
check_grep "SIGHUP: the region reloads" "model reloaded" "$TMP/r2.err"
check_eq "SIGHUP: the reloaded model keeps its store source" \
  "$(field "$PORT_r2" '["model"]["version"]') $(field "$PORT_r2" '["model"]["source"]')" \
  "2 $STORE/v2"
code=$(curl -s -o "$TMP/act409.json" -w '%{http_code}' -X POST \
  "http://127.0.0.1:$PORT_r1/api/v1/models/1/activate")
check_eq "POST activate on a store-backed region: 409" "$code" 409
check_grep "the 409 names the CLI and the store" "models activate VERSION --store $STORE" \
  "$TMP/act409.json"

# --- a corrupted artifact is refused; the last good one keeps serving ------------------
"$BIN" train --db "$DB" --algo itemcf --quiet --no-eval >/dev/null 2>&1
"$BIN" models publish 3 --db "$DB" --store "$STORE" >/dev/null 2>&1
"$BIN" s3 get "$STORE/v3/artifact.db" "$TMP/a3" >/dev/null 2>&1
python3 - "$TMP/a3" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xFF  # same size, another sha256
open(p, "wb").write(b)
EOF
"$BIN" s3 put "$STORE/v3/artifact.db" "$TMP/a3" >/dev/null 2>&1
"$BIN" models activate 3 --store "$STORE" >/dev/null 2>&1
for _ in $(seq 1 200); do
  [ "$(field "$PORT_r1" '["store"]["status"]')" = refused ] && break
  sleep 0.05
done
check_eq "corrupted artifact: health DEGRADED" "$(field "$PORT_r1" '["status"]')" DEGRADED
field "$PORT_r1" '["store"]["last_error"]' >"$TMP/corrupt.why"
check_grep "the reason names the object and its checksum" "$STORE/v3/artifact.db fails its check" \
  "$TMP/corrupt.why"
check_eq "the last good version keeps serving" "$(field "$PORT_r1" '["model"]["version"]')" 2
code=$(curl -s -o /dev/null -w '%{http_code}' \
  "http://127.0.0.1:$PORT_r1/api/v1/recommendations/user/$user?count=5")
check_eq "and recommends" "$code" 200
check "nothing refused is left in the cache" test ! -e "$TMP/r1/cache/s3/recs/shop/artifact.db.tmp.$PID_r1"
"$BIN" models rollback --store "$STORE" >"$TMP/rb.out" 2>&1
check_grep "models rollback --store: back to version 2" "version 2 is active" "$TMP/rb.out"
for _ in $(seq 1 200); do
  [ "$(field "$PORT_r1" '["status"]')" = UP ] && break
  sleep 0.05
done
check_eq "a later good poll clears DEGRADED" "$(field "$PORT_r1" '["status"]')" UP

# --- a manifest of an unknown format is refused ---------------------------------------
"$BIN" train --db "$DB" --algo popularity --quiet --no-eval >/dev/null 2>&1 # version 4
"$BIN" models publish 4 --db "$DB" --store "$STORE" >/dev/null 2>&1
"$BIN" s3 get "$STORE/v4/manifest.json" "$TMP/m4" >/dev/null 2>&1
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["format"]=2; print(json.dumps(m))' \
  "$TMP/m4" >"$TMP/m4b"
"$BIN" s3 put "$STORE/v4/manifest.json" "$TMP/m4b" >/dev/null 2>&1
"$BIN" models activate 4 --store "$STORE" >"$TMP/fmt.out" 2>&1
check_eq "models activate: a manifest of format 2 is refused (exit 1)" "$?" 1
check_grep "the refusal names the manifest and its format" \
  "$STORE/v4/manifest.json has manifest format 2; this build reads format 1" "$TMP/fmt.out"
printf '{"format": 1, "active": 4, "history": [1, 2, 4], "updated_at": "x"}' >"$TMP/ptr"
"$BIN" s3 put "$STORE/active.json" "$TMP/ptr" >/dev/null 2>&1 # as a newer publisher would
for _ in $(seq 1 200); do
  field "$PORT_r2" '["store"]["last_error"]' | grep -q "format 2" && break
  sleep 0.05
done
field "$PORT_r2" '["store"]["last_error"]' >"$TMP/fmt.why"
check_grep "a region refuses it too (health names the format)" "manifest format 2" "$TMP/fmt.why"
check_eq "and keeps serving version 2" "$(field "$PORT_r2" '["model"]["version"]')" 2
"$BIN" models rollback --store "$STORE" >/dev/null 2>&1

# --- a publish cut short is never active ----------------------------------------------
"$BIN" train --db "$DB" --algo popularity --quiet --no-eval >/dev/null 2>&1 # version 5
s3_fail PutObject 2 403 # the artifact goes up, the manifest does not
"$BIN" models publish 5 --db "$DB" --store "$STORE" --activate >"$TMP/cut.out" 2>&1
check_eq "a publish whose manifest upload fails: exit 1" "$?" 1
s3_fail_clear
"$BIN" models list --store "$STORE" >"$TMP/list2.out" 2>&1
check_fails "the half-published version is not listed" grep -Eq "^ +5 " "$TMP/list2.out"
"$BIN" models activate 5 --store "$STORE" >"$TMP/act5.out" 2>&1
check_grep "and cannot be activated" "has no version 5 \(no manifest" "$TMP/act5.out"
sleep $((POLL + 1)) # a poll of each region since
check_eq "the regions still serve version 2" "$(field "$PORT_r1" '["model"]["version"]')/$(field \
  "$PORT_r2" '["model"]["version"]')" 2/2
check_eq "the proxy rejected no request on the good paths" "$(s3_stat rejected)" 0

# --- bad credentials and buckets ------------------------------------------------------
AWS_SECRET_ACCESS_KEY=wrong "$BIN" models list --store "$STORE" >"$TMP/secret.out" 2>&1
check_eq "a wrong secret: exit 1" "$?" 1
check_grep "a wrong secret: the error names the URL and the 403" \
  "http://127.0.0.1:$S3_PROXY_PORT/recs.*403" "$TMP/secret.out"
check_fails "the secret is never printed" grep -q wrong "$TMP/secret.out"
"$BIN" models list --store s3://nosuchbucket/x >"$TMP/nob.out" 2>&1
check_eq "an unknown bucket: exit 1" "$?" 1
check_grep "an unknown bucket: the error names the URL" \
  "http://127.0.0.1:$S3_PROXY_PORT/nosuchbucket.*NoSuchBucket" "$TMP/nob.out"

# --- S3 down -------------------------------------------------------------------------
s3_stop
for _ in $(seq 1 100); do # a poll retries a refused connection a few times first
  [ "$(field "$PORT_r1" '["store"]["status"]')" = unreachable ] && break
  sleep 0.1
done
check_eq "S3 down: the regions keep serving" "$(field "$PORT_r1" '["model"]["version"]')" 2
code=$(curl -s -o /dev/null -w '%{http_code}' \
  "http://127.0.0.1:$PORT_r1/api/v1/recommendations/user/$user?count=5")
check_eq "S3 down: recommendations answer" "$code" 200
check_eq "S3 down: health says the store is unreachable" \
  "$(field "$PORT_r1" '["store"]["status"]')" unreachable
check_eq "S3 down: health DEGRADED" "$(field "$PORT_r1" '["status"]')" DEGRADED
field "$PORT_r1" '["store"]["last_error"]' >"$TMP/down.why"
check_grep "S3 down: the reason names the pointer's URL" \
  "http://127\.0\.0\.1:$S3_PROXY_PORT/recs/shop/active\.json" "$TMP/down.why"
kill "$PID_r1"
wait "$PID_r1" 2>/dev/null
region_start r1 r1b
v=$(field "$PORT_r1" '["model"]["version"]')
check_eq "restart with S3 down: serves the cached version" "$v" 2
[ "$v" = 2 ] || { health "$PORT_r1"; echo; ls -la "$TMP/r1/cache/s3/recs/shop"; } | sed 's/^/#   /' 
check_eq "restart with S3 down: source names the store version" \
  "$(field "$PORT_r1" '["model"]["source"]')" "$STORE/v2"
check_eq "restart with S3 down: health DEGRADED" "$(field "$PORT_r1" '["status"]')" DEGRADED
health "$PORT_r1" >"$TMP/health.final.json"
for p in $PIDS; do kill "$p" 2>/dev/null; done
for p in $PIDS; do wait "$p" 2>/dev/null; done
PIDS=""
check_fails "no sanitizer report from the regions" grep -l "Sanitizer" "$TMP/r0.err" \
  "$TMP/r1.err" "$TMP/r2.err" "$TMP/r1b.err"
# The secret (s3lib.sh's S3_SECRET, found nowhere else): in no output, log (the regions
# log to stderr), health answer or cached file.
check_fails "the secret is in no output, log or file of this test" \
  grep -rlF --exclude-dir=s3rver -- "$S3_SECRET" "$TMP"
echo "# s3store.sh: done"
