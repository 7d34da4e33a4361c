#!/bin/bash
# The dashboard end to end: the real binary in tmux (send-keys, capture-pane)
# against four real regions, each its own `--serve --region NAME` process on
# an ephemeral loopback port, so one can be killed and restarted.
. "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
  skip "dashboard in tmux" "tmux is not installed"
  exit 0
fi
if ! command -v curl >/dev/null 2>&1; then
  skip "dashboard in tmux" "curl is not installed"
  exit 0
fi

INTERVAL=0.2
REGIONS="us-west us-east eu-west ap-south"
TM="tmux -L recsys-tui-e2e-$$"
SCREENS=${SCREENS_DIR:-}
PIDS=""
cleanup() {
  $TM kill-server >/dev/null 2>&1
  for r in $REGIONS; do
    [ -f "$TMP/$r.pid" ] && kill "$(cat "$TMP/$r.pid")" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# --- command line ------------------------------------------------------------
check "--monitor --help exits 0" "$BIN" --monitor --help
"$BIN" --monitor --interval nope >"$TMP/out" 2>&1
check_eq "--monitor with a bad --interval is a usage error" "$?" 2
"$BIN" --monitor --config "$TMP/missing.conf" </dev/null >"$TMP/out" 2>&1
check_eq "--monitor with a missing config fails" "$?" 1

# --- data and regions --------------------------------------------------------
DB=$TMP/olist.db
if ! sample_db "$DB" 2000 1 "" ""; then
  fail "sample database for the dashboard"
  exit 1
fi

CONF=$TMP/regions.conf
{
  printf '[global]\ndatabase = %s\nlog = off\nrate_limit = 0\n' "$DB"
  lat=10
  for r in $REGIONS; do
    port=$(free_port)
    printf '[region %s]\nport = %s\nlocation = Test %s\nlatitude = %s\nlongitude = 0\n' "$r" "$port" "$r" "$lat"
    eval "PORT_${r//-/_}=$port"
    lat=$((lat + 10))
  done
} >"$CONF"
port_of() { local v="PORT_${1//-/_}"; echo "${!v}"; }

start_region() {
  "$BIN" --serve --config "$CONF" --region "$1" >"$TMP/$1.log" 2>&1 &
  echo $! >"$TMP/$1.pid"
}
stop_region() {
  kill "$(cat "$TMP/$1.pid")" 2>/dev/null
  wait "$(cat "$TMP/$1.pid")" 2>/dev/null
}
# Waits until the region answers its health route (at most ~10 s).
wait_region() {
  for _ in $(seq 100); do
    curl -fsS -m 1 "http://127.0.0.1:$(port_of "$1")/api/v1/health/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
for r in $REGIONS; do start_region "$r"; done
for r in $REGIONS; do
  if ! wait_region "$r"; then
    fail "region $r did not come up"
    sed 's/^/#   /' "$TMP/$r.log" | head -10
    exit 1
  fi
done

# --- the dashboard ------------------------------------------------------------
PANE=dash
. "$(dirname "$0")/tui_screen.bash"
# wait_rows FILE [SECONDS]: polls until the product ids of the
# recommendation table, in order, are the lines of FILE (left in $TMP/shown).
wait_rows() {
  local end=$((SECONDS + ${2:-10}))
  while [ $SECONDS -le "$end" ]; do
    screen >"$TMP/screen.txt"
    grep -Eo '^ +[0-9]+ [0-9a-f]{32}' "$TMP/screen.txt" | awk '{print $2}' >"$TMP/shown"
    [ -s "$1" ] && cmp -s "$TMP/shown" "$1" && return 0
    sleep 0.1
  done
  return 1
}

$TM new-session -d -s dash -x 120 -y 40 \
  "'$BIN' --monitor --config '$CONF' --interval $INTERVAL; echo \$? >'$TMP/rc'; stty -a >'$TMP/stty'; sleep 30"

if wait_count 4 '\[\+\] UP' 10; then
  ok "four region cards show UP"
else
  fail "four region cards show UP"; sed 's/^/#   /' "$TMP/screen.txt" | head -30
fi
sleep 1
save_screen overview-120x40
# the cards say which figures are the last stats_window (10 s) and which are lifetime
check_screen "cards label the windowed latency" 'last 10 s: p99 [0-9.]+ m?s p50'
check_screen "cards label the windowed rate" 'last 10 s: [0-9.]+k? req/s'
check_screen "cards show lifetime figures apart" 'lifetime: p99 [0-9.]+ m?s [0-9.]+k? req'

# Recommendations: the table shows the products the HTTP API returns.
USER_ID=$(curl -fsS -m 5 "http://127.0.0.1:$(port_of us-west)/api/v1/users/random?with_history=1" 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["user_id"])' 2>/dev/null)
if [ -z "$USER_ID" ]; then
  USER_ID=$(sqlite3 "$DB" "SELECT c.customer_unique_id FROM customers c JOIN orders o USING (customer_id)
    JOIN order_items i USING (order_id) WHERE o.order_status = 'delivered'
    GROUP BY 1 ORDER BY count(DISTINCT i.product_id) DESC, 1 LIMIT 1")
fi
curl -fsS -m 5 "http://127.0.0.1:$(port_of eu-west)/api/v1/recommendations/user/$USER_ID?count=10" >"$TMP/recs.json"
python3 -c 'import json,sys; [print(r["product_id"]) for r in json.load(open(sys.argv[1]))["recommendations"]]' \
  "$TMP/recs.json" >"$TMP/expected" 2>/dev/null
$TM send-keys -t dash 3 / "$USER_ID" Enter
first=$(head -1 "$TMP/expected")
if [ -n "$first" ] && wait_rows "$TMP/expected" 10; then
  check_eq "lookup of user ${USER_ID:0:8}.. shows the API's products in order" \
    "$(tr '\n' ' ' <"$TMP/shown")" "$(tr '\n' ' ' <"$TMP/expected")"
else
  fail "lookup of a known user shows the API's products in order: got '$(tr '\n' ' ' <"$TMP/shown")'"
  sed 's/^/#   /' "$TMP/screen.txt" | head -20
fi
check_screen "the user's purchase history is shown" '[0-9]+ orders, [0-9]+ products'
check_screen "every region's latency is listed" 'us-west [0-9.]+ m?s.*ap-south [0-9.]+ m?s'
check_screen "all four regions return the same products" 'same products in all answering regions'
check_screen "a known user gets personalised results" '^ known user'
save_screen recommendations-120x40

# R: a random user with purchase history (GET /api/v1/users/random), looked
# up at once; the table must be that user's recommendations as the API gives
# them, and the history that user's purchases.
$TM send-keys -t dash R
RAND_ID=""
for _ in $(seq 100); do
  screen >"$TMP/screen.txt"
  RAND_ID=$(sed -n 's/^ User id: *\([0-9a-f]\{32\}\).*/\1/p' "$TMP/screen.txt" | head -1)
  [ -n "$RAND_ID" ] && [ "$RAND_ID" != "$USER_ID" ] && grep -q 'orders, [0-9]* products' "$TMP/screen.txt" &&
    grep -Eq '^ +1 [0-9a-f]{32}' "$TMP/screen.txt" && break
  sleep 0.1
done
if [ -n "$RAND_ID" ] && [ "$RAND_ID" != "$USER_ID" ]; then
  ok "R picks a random user (${RAND_ID:0:8}..)"
  curl -fsS -m 5 "http://127.0.0.1:$(port_of us-east)/api/v1/recommendations/user/$RAND_ID?count=10" |
    python3 -c 'import json,sys; [print(r["product_id"]) for r in json.load(sys.stdin)["recommendations"]]' >"$TMP/rexpected"
  wait_rows "$TMP/rexpected" 5
  check_eq "R: the table is the API's recommendations for that user, in order" \
    "$(tr '\n' ' ' <"$TMP/shown")" "$(tr '\n' ' ' <"$TMP/rexpected")"
  check_screen "R: a user with history gets personalised results" '^ known user'
  curl -fsS -m 5 "http://127.0.0.1:$(port_of us-east)/api/v1/users/$RAND_ID" >"$TMP/ruser.json"
  R_ORDERS=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["orders"])' "$TMP/ruser.json")
  check_screen "R: the history is that user's ($R_ORDERS orders, as the API says)" "[ |]$R_ORDERS orders, "
  save_screen recommendations-random-120x40
  first=$(head -1 "$TMP/rexpected") # the table now shows this user
  # - lowers the count (the lookup is redone), a narrows to one region.
  $TM send-keys -t dash -
  check "- sets count 9 and the table has 9 rows" wait_count 9 '^ +[0-9]+ [0-9a-f]{32}' 5
  $TM send-keys -t dash a
  check "a picks one region (us-west)" wait_screen 'region us-west' 5
  wait_screen '^ us-west [0-9.]+ m?s' 5
  check_fails "only us-west is asked then" grep -q 'us-east [0-9.]* m\?s' "$TMP/screen.txt"
  $TM send-keys -t dash + a a a a
  check "back to count 10 and all regions" wait_screen 'count 10  region all regions' 5
else
  fail "R picks a random user and shows its recommendations"; sed 's/^/#   /' "$TMP/screen.txt" | head -20
fi
$TM send-keys -t dash 2
wait_screen 'p99 latency, last 10 s: ' 5
check_screen "performance view has labelled ms axes" '[0-9.]+ ms \|'
check_screen "performance view has a time axis" '-[0-9]+s .*now'
save_screen performance-120x40
$TM send-keys -t dash 4
check_screen "system view lists the model versions" '^ \* v[0-9]+' 10
check_screen "system view shows model statistics" 'interactions +[0-9]'
save_screen system-120x40
# Activate the other model version from the dashboard: the API agrees.
models_active() {
  curl -fsS -m 5 "http://127.0.0.1:$(port_of us-west)/api/v1/models" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["active"])'
}
before=$(models_active)
# Rows are in the API's order and the selection starts on the first one:
# move down to the first version that is not active.
downs=$(curl -fsS -m 5 "http://127.0.0.1:$(port_of us-west)/api/v1/models" | python3 -c '
import json, sys
m = json.load(sys.stdin)["models"]
print(next(i for i, v in enumerate(m) if not v["active"]))')
wait_screen '^ +v[0-9]+ ' 5
for _ in $(seq "$downs"); do $TM send-keys -t dash Down; done
$TM send-keys -t dash a
if wait_screen 'active model is now v' 10; then
  after=$(models_active)
  check_screen "the dashboard says which version is active" "active model is now v$after"
  if [ -n "$before" ] && [ "$before" != "$after" ]; then ok "activating a model version from the dashboard changes the API's active model ($before -> $after)"
  else fail "activating a model version from the dashboard changes the API's active model ($before -> $after)"; fi
  $TM send-keys -t dash b
  check "rolling back from the dashboard restores v$before" wait_screen "active model is now v$before" 10
else
  fail "model activation from the dashboard"; sed 's/^/#   /' "$TMP/screen.txt" | tail -12
fi
$TM send-keys -t dash '?'
check "help overlay lists the keys" wait_screen 'stop / restart the selected region' 5
$TM send-keys -t dash x
$TM send-keys -t dash 1
check "any key closes the help" wait_screen '^ recsys-tui' 5

# Colour: the 256/16-colour terminal gets colour escapes (NO_COLOR is checked below).
$TM capture-pane -e -p -t dash >"$TMP/escapes.txt"
check_grep "status words are coloured on a colour terminal" $'\e\\[[0-9;]*3[0-8]m|38;5;' "$TMP/escapes.txt"
$TM send-keys -t dash s
check "fault keys explain they need the in-process servers" wait_screen 'not available in monitor mode' 5

# Stop a region: DOWN within 3 poll intervals (+ time to draw), UP again after restart.
stop_region us-east
t0=$(date +%s.%N)
if wait_screen '\[x\] DOWN' 10; then
  dt=$(python3 -c "print(round($(date +%s.%N) - $t0, 2))")
  echo "# us-east shown DOWN ${dt}s after its process was killed (interval ${INTERVAL}s)"
  # 3 intervals plus slack for process exit, redraw and this polling loop.
  check "killed region turns DOWN within 3 poll intervals (+1 s slack)" \
    python3 -c "import sys; sys.exit(0 if $dt <= 3 * $INTERVAL + 1.0 else 1)"
else
  fail "killed region turns DOWN"; sed 's/^/#   /' "$TMP/screen.txt" | head -20
fi
check_screen "the DOWN card says why" 'last error .*health'
check_fails "one region down raises no alert banner" grep -q 'ALERT' "$TMP/screen.txt"
stop_region ap-south
check "two unhealthy regions raise the alert banner" wait_screen 'ALERT: 2 of 4 regions unhealthy' 10
save_screen overview-alert-120x40
start_region us-east
start_region ap-south
wait_region us-east && wait_region ap-south
if wait_screen '4/4 regions UP' 10; then
  ok "restarted regions come back UP"
else
  fail "restarted regions come back UP"; sed 's/^/#   /' "$TMP/screen.txt" | head -10
fi
check_fails "the banner clears" grep -q 'ALERT' "$TMP/screen.txt"

# A hung region (process stopped: the kernel still accepts, nothing answers)
# neither freezes the screen nor the keys, and turns DOWN after 3 timed-out checks.
kill -STOP "$(cat "$TMP/eu-west.pid")"
$TM send-keys -t dash 2
check "keys still work while a region hangs" wait_screen 'p99 latency, last 10 s: ' 3
$TM send-keys -t dash 1
check "a hung region turns DOWN" wait_screen 'ALERT|\[x\] DOWN' 10
check_screen "the hung region's card says it timed out" 'last error .*(imeout|timed out)'
kill -CONT "$(cat "$TMP/eu-west.pid")"
check "the hung region recovers to UP" wait_screen '4/4 regions UP' 10

# Resize: every view stays readable at 80x24 and 200x60.
for size in 80x24 200x60; do
  $TM resize-window -t dash -x "${size%x*}" -y "${size#*x}"
  $TM send-keys -t dash 1
  check "$size overview shows four UP cards" wait_count 4 '\[\+\] UP' 5
  check_eq "$size screen has the new size" "$(wc -l <"$TMP/screen.txt")" "${size#*x}"
  save_screen "overview-$size"
  $TM send-keys -t dash 2
  check "$size performance view readable" wait_screen 'ap-south .*[0-9.]+ ms' 5
  save_screen "performance-$size"
  $TM send-keys -t dash 3
  check "$size recommendations view shows the first product" wait_screen "^ +1 $first" 5
  save_screen "recommendations-$size"
  $TM send-keys -t dash 4
  check "$size system view readable" wait_screen 'Model versions' 5
  check "$size system view still lists the model versions" wait_screen '^ [* ] v[0-9]+ +[a-z]' 5
  $TM send-keys -t dash '?'
  check "$size help fits: its last line shows" wait_screen "DIFFERS: not the fleet's version" 5
  $TM send-keys -t dash x
  save_screen "system-$size"
done

# q quits with status 0 and gives the terminal back.
$TM send-keys -t dash q
for _ in $(seq 50); do [ -s "$TMP/stty" ] && break; sleep 0.1; done
check_eq "q exits with status 0" "$(cat "$TMP/rc" 2>/dev/null)" 0
check_grep "terminal is back in canonical mode with echo" '(^| )icanon .*( )echo ' "$TMP/stty"
check_eq "alternate screen is left" "$($TM display -p -t dash '#{alternate_on}')" 0

# The main job (no subcommand): six regions in this process at 80x24. Every
# card stays visible (they shrink), and the fault keys stop and restart the
# selected region's server for real (its port refuses, then answers again).
CONF6=$TMP/regions6.conf
{
  printf '[global]\ndatabase = %s\nlog = off\nrate_limit = 0\n' "$DB"
  n=0
  for r in r-one r-two r-three r-four r-five r-six; do
    port=$(free_port)
    [ $n -eq 0 ] && P6=$port
    printf '[region %s]\nport = %s\nlocation = L%s\nlatitude = %s\nlongitude = 0\n' "$r" "$port" "$n" "$((n * 10))"
    n=$((n + 1))
  done
} >"$CONF6"
$TM new-session -d -s six -x 80 -y 24 \
  "'$BIN' --db '$DB' --config '$CONF6' --interval $INTERVAL; echo \$? >'$TMP/rc6'; sleep 30"
screen6() { $TM capture-pane -p -t six >"$TMP/screen6.txt"; }
wait6() {
  local end=$((SECONDS + ${2:-10}))
  while [ $SECONDS -le "$end" ]; do
    screen6
    grep -Eq -- "$1" "$TMP/screen6.txt" && return 0
    sleep 0.1
  done
  return 1
}
# wait6_count N PATTERN [SECONDS]: polls until PATTERN occurs exactly N times.
wait6_count() {
  local end=$((SECONDS + ${3:-5}))
  while [ $SECONDS -le "$end" ]; do
    screen6
    [ "$(grep -Eo -- "$2" "$TMP/screen6.txt" | wc -l)" -eq "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
if wait6 '6/6 regions UP' 20; then
  wait6_count 6 '\[\+\] UP' 5
  check_eq "six in-process regions at 80x24: six UP cards on one screen" \
    "$(grep -Eo '\[\+\] UP' "$TMP/screen6.txt" | wc -l)" 6
  check "the last card (r-six) is on screen" wait6 'r-six - L5' 5
  # the cards are 5 text rows high here: host and model source still make it
  check_eq "main job at 80x24: every card names its host" \
    "$(grep -Eo "host $(python3 -c 'import socket; print(socket.gethostname())')  up " "$TMP/screen6.txt" | wc -l)" 6
  check_eq "main job at 80x24: every card says where its model came from" \
    "$(grep -Eo 'from [^ ]*olist\.db' "$TMP/screen6.txt" | wc -l)" 6
  [ -n "$SCREENS" ] && cp "$TMP/screen6.txt" "$SCREENS/overview-6-regions-80x24.txt"
  $TM send-keys -t six s
  check "s stops the selected region (flash)" wait6 'stopped r-one' 5
  check_fails "the stopped region's port refuses connections" curl -fsS -m 2 "http://127.0.0.1:$P6/api/v1/health/"
  check "the stopped region's card turns DOWN" wait6 '\[x\] DOWN' 10
  $TM send-keys -t six r
  check "r restarts it: the port answers again" curl -fsS -m 2 --retry 5 --retry-connrefused "http://127.0.0.1:$P6/api/v1/health/"
  check "the restarted region's card is UP again" wait6 '6/6 regions UP' 10
  $TM resize-window -t six -x 80 -y 14
  $TM send-keys -t six Left
  if wait6 'off screen' 5; then
    ok "too short for six cards: the grid scrolls and names the regions off screen"
    check "the selected (last) region is scrolled into view" wait6 '> r-six' 5
  else
    fail "too short for six cards: the grid scrolls"; sed 's/^/#   /' "$TMP/screen6.txt"
  fi
  $TM send-keys -t six q
  for _ in $(seq 50); do [ -s "$TMP/rc6" ] && break; sleep 0.1; done
  check_eq "q ends the main job with status 0" "$(cat "$TMP/rc6" 2>/dev/null)" 0
  check_fails "quitting stopped the in-process servers" curl -fsS -m 2 "http://127.0.0.1:$P6/api/v1/health/"
else
  fail "six in-process regions come up"; sed 's/^/#   /' "$TMP/screen6.txt" | head -24
fi

# SIGTERM also restores the terminal; NO_COLOR turns colour off.
# At the default 1 s interval, this idle dashboard also shows its CPU use.
$TM new-session -d -s term -x 100 -y 30 \
  "sh -c 'echo \$\$ >$TMP/dash.pid; NO_COLOR=1 exec $BIN --monitor --config $CONF'; echo \$? >'$TMP/rc2'; stty -a >'$TMP/stty2'; sleep 30"
for _ in $(seq 100); do $TM capture-pane -p -t term | grep -Eq '\[\+\] UP|\[!\] DEGRADED' && break; sleep 0.1; done
$TM capture-pane -e -p -t term >"$TMP/escapes2.txt"
# CPU time of the dashboard over 4 idle seconds, as % of a core. The
# scheduler's own count (schedstat, ns) is exact: about 0.1% here. utime +
# stime are sampled at clock ticks and charge a whole tick to whoever runs
# when it fires, so for a process that wakes for a few hundred microseconds
# at a time they read 0, 0.25, 0.5% and, on a busy machine, once 2.5%.
cpu_ns() {
  local p=/proc/$(cat "$TMP/dash.pid")
  if [ -r "$p/schedstat" ]; then awk '{print $1}' "$p/schedstat" 2>/dev/null
  else awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1e9 / hz}' "$p/stat" 2>/dev/null; fi
}
c0=$(cpu_ns); sleep 4; c1=$(cpu_ns)
if [ -n "$c0" ] && [ -n "$c1" ]; then
  pct=$(python3 -c "print(round(100.0 * ($c1 - $c0) / 1e9 / 4, 2))")
  echo "# idle dashboard (4 regions, 1 s interval): ${pct}% of a core"
  # Sanitizer builds run several times slower: the 2% target is for the plain build.
  limit=2; [ -n "${SAN:-}" ] && limit=10
  check "idle dashboard uses under ${limit}% of a core (${pct}%)" python3 -c "import sys; sys.exit(0 if $pct < $limit else 1)"
else
  skip "idle CPU" "no /proc/PID/stat"
fi
check_grep "NO_COLOR still shows the status words" '\[\+\] UP|\[!\] DEGRADED' "$TMP/escapes2.txt"
check_fails "NO_COLOR: no colour escapes" grep -Eq $'\e\\[[0-9;]*3[0-8]m|38;5;' "$TMP/escapes2.txt"
kill -TERM "$(cat "$TMP/dash.pid")" 2>/dev/null
for _ in $(seq 50); do [ -s "$TMP/stty2" ] && break; sleep 0.1; done
check_eq "SIGTERM ends the dashboard with status 0" "$(cat "$TMP/rc2" 2>/dev/null)" 0
check_grep "terminal restored after SIGTERM" '(^| )icanon .*( )echo ' "$TMP/stty2"
