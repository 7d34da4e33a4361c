#!/bin/bash
# HAProxy as the global router (issue 10): `recsys-tui haproxy-config` output
# run by the real haproxy in front of four region hosts.
#   - network namespaces (root, `ip netns`): four region hosts, one HAProxy
#     host, one client host, joined by veth links; every name carries this
#     run's pid, and the trap removes all of it, failed or not;
#   - without namespaces: the same scenario with every process on loopback
#     ports (a cut link is then a frozen region: SIGSTOP).
# Each region runs under deploy/recsys-tui@.service: with systemd as PID 1 the
# real unit (a copy under /run/systemd/system), else tests/e2e/unit_supervise.py,
# which applies the unit's ExecStart, Restart= and RestartSec (+ drop-ins).
# Scenario: routing by Region-Hint, by client network, round-robin; us-east's
# link cut under a client loop: us-west answers with zero failed requests;
# link restored: us-east takes its traffic back; us-east killed (SIGKILL): the
# unit's restart brings it back and HAProxy returns traffic to it, again with
# zero failed requests; a second kill waits longer (RestartSteps drop-in).
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
UNIT=$ROOT/deploy/recsys-tui@.service
TAG=rt$$
MODE=${HAPROXY_E2E_MODE:-}
PIDS="" NSS="" SD_UNITS=""
# spawn NS COMMAND...: COMMAND in the background in namespace NS ("" = here),
# as a direct child (ip netns exec execs it), so its pid joins PIDS.
spawn() {
  ns=$1; shift
  if [ -n "$ns" ]; then ip netns exec "$ns" "$@" & else "$@" & fi
  PIDS="$PIDS $!"
}
cleanup() {
  for u in $SD_UNITS; do systemctl stop "$u" 2>/dev/null; done
  [ -n "$SD_UNITS" ] && { rm -f /run/systemd/system/recsys-tui-$TAG@.service; rm -rf "/run/systemd/system/recsys-tui-$TAG@.service.d"; systemctl daemon-reload; }
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.2
  for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
  for ns in $NSS; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  if [ -n "${HAPROXY_E2E_KEEP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

if ! command -v haproxy >/dev/null 2>&1; then
  skip "haproxy" "haproxy is not installed (scripts/deps.sh test installs it)"
  exit 0
fi

# --- the generator alone: errors and haproxy -c -----------------------------------
cat >"$TMP/bad1.conf" <<'EOF'
[global]
rate_limit = 0
[region a]
port = 8000
EOF
"$BIN" haproxy-config --config "$TMP/bad1.conf" >"$TMP/out" 2>"$TMP/err"
check_eq "haproxy-config without router_port exits 1" "$?" 1
check_grep "the message names the file and router_port" "bad1.conf: key 'router_port' in \[global\]" "$TMP/err"
printf '[global]\nrouter_port = 9000\n\n[region a]\nport = 8000\n[region b]\nport = 0\n' >"$TMP/bad2.conf"
"$BIN" haproxy-config --config "$TMP/bad2.conf" >"$TMP/out" 2>"$TMP/err"
check_eq "a region on port 0 exits 1" "$?" 1
check_grep "the message names file, line, key and region" "bad2.conf:6: key 'port' in \[region b\]" "$TMP/err"
printf '[global]\nrouter_port = 9000\n[region a]\nport = 8000\nclients = 10.0.0.0/8, europe\n' >"$TMP/bad3.conf"
"$BIN" haproxy-config --config "$TMP/bad3.conf" >"$TMP/out" 2>"$TMP/err"
check_eq "a bad clients entry exits 1" "$?" 1
check_grep "the message names file, line and key" "bad3.conf:5: key 'clients': 'europe'" "$TMP/err"
"$BIN" haproxy-config --config "$TMP/bad3.conf" --bogus >"$TMP/out" 2>"$TMP/err"
check_eq "an unknown option exits 2" "$?" 2
"$BIN" haproxy-config --config "$TMP/nonexistent.conf" >"$TMP/out" 2>"$TMP/err"
check_eq "a missing regions file exits 1" "$?" 1
check_grep "the message names the missing file" "nonexistent.conf" "$TMP/err"

# --- mode: namespaces when we may create them ------------------------------------
if [ -z "$MODE" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ip netns add "${TAG}probe" 2>/dev/null; then
    ip netns del "${TAG}probe"; MODE=netns
  else
    skip "haproxy network namespaces" "cannot create network namespaces (needs root and ip netns); running on loopback ports"
    MODE=loopback
  fi
fi
echo "# mode: $MODE"

DB=$TMP/db.sqlite
if ! sample_db "$DB" 1000 3 --no-eval; then
  fail "sample database (gen-sample, ingest, train)"; exit 1
fi
USER_ID=$(sqlite3 "$DB" "SELECT user_id FROM interactions LIMIT 1")
RPATH="/api/v1/recommendations/user/$USER_ID?count=5"

NAMES="us-west us-east eu-west ap-south"
coords() { case $1 in us-west) echo "37.77 -122.42" ;; us-east) echo "38.03 -78.48" ;;
                      eu-west) echo "53.35 -6.26" ;; ap-south) echo "19.08 72.88" ;; esac; }
idx() { case $1 in us-west) echo 0 ;; us-east) echo 1 ;; eu-west) echo 2 ;; ap-south) echo 3 ;; esac; }
if [ "$MODE" = netns ]; then
  HAP_ADDR=10.77.100.1 HAP_PORT=8080 NEAR=10.77.100.2 OTHER=10.77.100.3 PROXIES=10.77.0.0/16
  host_of() { echo "10.77.$(idx "$1").2"; }
  port_of() { echo 8000; }
  ns_of() { echo "$TAG-$1"; }
  run_in() { ns=$1; shift; ip netns exec "$ns" "$@"; }
  CLI=$TAG-client HAP=$TAG-haproxy
  for ns in $HAP $CLI; do ip netns add "$ns" && NSS="$NSS $ns" && ip -n "$ns" link set lo up; done
  for r in $NAMES; do
    ns=$(ns_of "$r") i=$(idx "$r")
    ip netns add "$ns" && NSS="$NSS $ns" && ip -n "$ns" link set lo up
    ip link add "to-$r" netns "$HAP" type veth peer name eth0 netns "$ns"
    ip -n "$HAP" addr add "10.77.$i.1/24" dev "to-$r" && ip -n "$HAP" link set "to-$r" up
    ip -n "$ns" addr add "10.77.$i.2/24" dev eth0 && ip -n "$ns" link set eth0 up
  done
  ip link add to-client netns "$HAP" type veth peer name eth0 netns "$CLI"
  ip -n "$HAP" addr add 10.77.100.1/24 dev to-client && ip -n "$HAP" link set to-client up
  ip -n "$CLI" addr add 10.77.100.2/24 dev eth0 && ip -n "$CLI" addr add 10.77.100.3/24 dev eth0
  ip -n "$CLI" link set eth0 up
  cut() { ip -n "$(ns_of "$1")" link set eth0 down; }
  uncut() { ip -n "$(ns_of "$1")" link set eth0 up; }
else
  HAP_ADDR=127.0.0.1 HAP_PORT=$(free_port) NEAR=127.0.0.2 OTHER=127.0.0.1 PROXIES=127.0.0.1
  for r in $NAMES; do eval "PORT_${r//-/_}=$(free_port)"; done
  host_of() { echo 127.0.0.1; }
  port_of() { eval "echo \$PORT_${1//-/_}"; }
  ns_of() { echo ""; }
  run_in() { shift; "$@"; }
  CLI="" HAP=""
  cut() { kill -STOP "$(cat "$TMP/$1.pid")"; }
  uncut() { kill -CONT "$(cat "$TMP/$1.pid")"; }
fi

CONF=$TMP/regions.conf
{ printf '[global]\ndatabase = %s\nrate_limit = 0\nlog = stderr\nrouter_port = %s\n' "$DB" "$HAP_PORT"
  printf 'router_host = %s\nhealth_interval = 0.5\ntrusted_proxies = %s\n' "$HAP_ADDR" "$PROXIES"
  for r in $NAMES; do
    set -- $(coords "$r")
    printf '[region %s]\nhost = %s\nport = %s\nlatitude = %s\nlongitude = %s\n' \
      "$r" "$(host_of "$r")" "$(port_of "$r")" "$1" "$2"
    [ "$r" = eu-west ] && printf 'clients = %s/32\n' "$NEAR"
  done; } >"$CONF"
check "haproxy-config writes the file" "$BIN" haproxy-config --config "$CONF" --out "$TMP/haproxy.cfg"
check "haproxy -c accepts the generated configuration" haproxy -c -q -f "$TMP/haproxy.cfg"
check_grep "us-east's backend: us-west is its first backup (nearest)" \
  "server us-east .*check$" "$TMP/haproxy.cfg"
awk '/^backend region_us-east/{b=1;next} /^backend/{b=0} b && /backup/{print $2}' "$TMP/haproxy.cfg" | tr '\n' ' ' >"$TMP/order"
check_eq "us-east's backups nearest first" "$(cat "$TMP/order")" "us-west eu-west ap-south "
check_grep "health checks, fall 3 rise 1, inter 500ms" "inter 500ms fall 3 rise 1" "$TMP/haproxy.cfg"

if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$TMP/units"
  for f in "$ROOT"/deploy/*.service; do sed "s#/usr/local/bin/recsys-tui#$BIN#" "$f" >"$TMP/units/$(basename "$f")"; done
  check "systemd-analyze verify: the region unit and the HAProxy unit" \
    systemd-analyze verify --man=no "$TMP/units/recsys-tui@us-east.service" "$TMP/units/recsys-tui-haproxy.service"
else
  skip "systemd-analyze verify" "systemd-analyze is not installed"
fi

# --- regions under the unit, then HAProxy ----------------------------------------
# start_region NAME: one region as deploy/recsys-tui@.service runs it; the
# service's pid lands in $TMP/NAME.pid, supervisor events in $TMP/NAME.events.
SYSTEMD=0
[ -d /run/systemd/system ] && [ "$MODE" = netns ] && command -v systemctl >/dev/null && SYSTEMD=1
if [ "$SYSTEMD" -eq 1 ]; then
  U=/run/systemd/system/recsys-tui-$TAG@.service
  sed "s#/usr/local/bin/recsys-tui#$BIN#" "$UNIT" >"$U"
  mkdir -p "$U.d"
  cp "$ROOT"/deploy/recsys-tui@.service.d/*.conf "$U.d/" 2>/dev/null
  printf '[Service]\nUser=root\nGroup=root\nStateDirectory=\nWorkingDirectory=%s\nEnvironment=RECSYS_CONFIG=%s\nNetworkNamespacePath=/run/netns/%s-%%i\n' \
    "$TMP" "$CONF" "$TAG" >"$U.d/zz-test.conf"
  systemctl daemon-reload
fi
start_region() {
  r=$1
  if [ "$SYSTEMD" -eq 1 ]; then
    SD_UNITS="$SD_UNITS recsys-tui-$TAG@$r.service"
    systemctl start "recsys-tui-$TAG@$r.service" || return 1
    systemctl show -P MainPID "recsys-tui-$TAG@$r.service" >"$TMP/$r.pid"
    return 0
  fi
  spawn "$(ns_of "$r")" "$PY" "$ROOT/tests/e2e/unit_supervise.py" "$UNIT" "$r" --exe "$BIN" \
    --env "RECSYS_CONFIG=$CONF" --pidfile "$TMP/$r.pid" --events "$TMP/$r.events" \
    --log "$TMP/$r.log" >/dev/null 2>&1
}
# pid_of NAME: the region's current pid (the unit's MainPID under systemd).
pid_of() {
  if [ "$SYSTEMD" -eq 1 ]; then systemctl show -P MainPID "recsys-tui-$TAG@$1.service"; else cat "$TMP/$1.pid" 2>/dev/null; fi
}
for r in $NAMES; do start_region "$r" || fail "region $r starts"; done
spawn "$HAP" haproxy -db -f "$TMP/haproxy.cfg" >/dev/null 2>"$TMP/haproxy.log"

# get ADDR HINT: one request from client address ADDR ("" = no Region-Hint);
# prints "STATUS X-REGION X-FAILOVER".
get() {
  run_in "$CLI" curl -s -m 20 --interface "$1" -o "$TMP/body" -D "$TMP/head" \
    ${2:+-H "Region-Hint: $2"} -w '%{http_code}' "http://$HAP_ADDR:$HAP_PORT$RPATH" >"$TMP/code"
  printf '%s %s %s\n' "$(cat "$TMP/code")" \
    "$(sed -n 's/^X-Region: *//Ip' "$TMP/head" | tr -d '\r' | head -1)" \
    "$(sed -n 's/^X-Failover: *//Ip' "$TMP/head" | tr -d '\r' | head -1)"
}
# until_served HINT REGION SECONDS: until a request with HINT is answered by REGION.
until_served() {
  end=$(($(date +%s) + $3))
  while [ "$(date +%s)" -le "$end" ]; do
    set -- "$1" "$2" "$3" $(get "$OTHER" "$1")
    [ "$4" = 200 ] && [ "$5" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
up=1
for r in $NAMES; do until_served "$r" "$r" 30 || up=0; done
if [ "$up" -ne 1 ]; then
  fail "four regions answer through HAProxy"
  tail -20 "$TMP/haproxy.log" | sed 's/^/#   /'; tail -5 "$TMP"/*.log | sed 's/^/#   /'
  exit 1
fi
ok "four regions answer through HAProxy, each for its own Region-Hint"

read -r st rg fo <<<"$(get "$OTHER" mars)"
check_eq "an unknown Region-Hint: 400, as a region answers" "$st" 400
check_grep "the 400 is the regions' JSON error" '"message":"Region-Hint names no region' "$TMP/body"
read -r st rg fo <<<"$(get "$NEAR" "")"
check_eq "no hint from a client network of eu-west: eu-west serves" "$st $rg" "200 eu-west"
seen=""
for _ in 1 2 3 4 5 6 7 8; do read -r st rg fo <<<"$(get "$OTHER" "")"; seen="$seen $rg"; done
n=$(echo $seen | tr ' ' '\n' | sort -u | wc -l)
[ "$n" -ge 3 ] && ok "no hint from elsewhere: round-robin ($n regions in 8 requests)" ||
  fail "no hint from elsewhere: round-robin (saw:$seen)"
get "$NEAR" us-west >/dev/null
sleep 0.3
check_grep "us-west sees the client behind HAProxy (X-Forwarded-For, trusted_proxies)" \
  "\"client\":\"$NEAR\"" "$TMP/us-west.log"

# loop_start NAME HINT: a client loop in the background; loop_stop NAME ends it.
loop_start() {
  rm -f "$TMP/$1.stop"
  spawn "$CLI" "$PY" "$ROOT/tests/e2e/haproxy_client.py" "$HAP_ADDR" "$HAP_PORT" "$RPATH" "$2" \
    "$TMP/$1.out" "$TMP/$1.stop" 60 0.02
  LOOP_PID=$!
}
loop_stop() { touch "$TMP/$1.stop"; wait "$LOOP_PID" 2>/dev/null; }
# wait_loop NAME REGION SECONDS [AFTER_LINE]: until the loop's output has an
# answer from REGION after line AFTER_LINE.
wait_loop() {
  for _ in $(seq 1 $(($3 * 10))); do
    tail -n +"$((${4:-0} + 1))" "$TMP/$1.out" 2>/dev/null | awk -v r="$2" '$2==200 && $3==r {f=1} END {exit !f}' && return 0
    sleep 0.1
  done
  return 1
}
lines() { wc -l <"$TMP/$1.out"; }
failed() { awk '$2 != 200' "$TMP/$1.out" | wc -l; }

# --- cut us-east's link ------------------------------------------------------------
loop_start cut us-east
wait_loop cut us-east 10 || fail "the loop reaches us-east before the cut"
cut us-east
t0=$(date +%s.%N)
if wait_loop cut us-west 15; then
  ok "us-east cut off: Region-Hint us-east is answered by us-west (after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s)"
else
  fail "us-east cut off: Region-Hint us-east is answered by us-west"
fi
sleep 1
mark=$(lines cut)
uncut us-east
wait_loop cut us-east 15 "$mark" && ok "link restored: us-east takes its traffic back" ||
  fail "link restored: us-east takes its traffic back"
loop_stop cut
check_eq "zero failed requests across the cut and the restore ($(lines cut) requests)" "$(failed cut)" 0
awk '$3=="us-west" && $4!="us-east"' "$TMP/cut.out" | wc -l >"$TMP/nofo"
check_eq "every us-west answer for us-east carries X-Failover: us-east" "$(cat "$TMP/nofo")" 0

# --- kill us-east: the unit restarts it ------------------------------------------------
loop_start kill us-east
wait_loop kill us-east 10 || fail "the loop reaches us-east before the kill"
old=$(pid_of us-east)
kill -9 "$old"
wait_loop kill us-west 10 && ok "us-east killed: us-west answers for it" ||
  fail "us-east killed: us-west answers for it"
mark=$(lines kill)
if wait_loop kill us-east 20 "$mark"; then
  new=$(pid_of us-east)
  [ -n "$new" ] && [ "$new" != "$old" ] && ok "the unit restarted us-east (pid $old -> $new) and HAProxy returned its traffic" ||
    fail "the unit restarted us-east (pid $old -> $new)"
else
  fail "us-east restarted and back in HAProxy"
fi
if [ "$SYSTEMD" -eq 0 ]; then
  sec=$(sed -n 's/^RestartSec= *//p' "$UNIT")
  check_grep "the first restart waited RestartSec ($sec)" "^restart 1 1.000$" "$TMP/us-east.events"
  # A second crash: the RestartSteps drop-in makes the wait grow.
  sleep 0.5
  kill -9 "$(pid_of us-east)"
  mark=$(lines kill)
  wait_loop kill us-east 25 "$mark" || fail "us-east back after a second kill"
  d2=$(sed -n 's/^restart 2 //p' "$TMP/us-east.events")
  awk -v d="$d2" 'BEGIN {exit !(d > 1.5)}' && ok "the second restart waited longer (${d2} s)" ||
    fail "the second restart waited longer (got '${d2}')"
fi
loop_stop kill
check_eq "zero failed requests across the kill and the restart ($(lines kill) requests)" "$(failed kill)" 0

# --- a clean stop is not a failure -------------------------------------------------
if [ "$SYSTEMD" -eq 0 ]; then
  kill -TERM "$(pid_of ap-south)"
  for _ in $(seq 1 50); do grep -q '^stop$' "$TMP/ap-south.events" && break; sleep 0.1; done
  check_eq "SIGTERM (a stop): the region drains, exits 0 and is not restarted" \
    "$(grep -c '^restart' "$TMP/ap-south.events")$(grep -c '^stop$' "$TMP/ap-south.events")" "01"
fi
echo "# haproxy ($MODE): done"
