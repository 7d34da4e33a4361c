#!/bin/bash
# The dashboard's Experiments view (5) end to end: the real binary in tmux
# at 80x24 (`--monitor`) against two real regions with an experiment that
# has traffic, clicks and purchases: the variants, shares, counts, interval
# bars and p-value show; the keys promote the leader (pressed twice) with
# the admin POST, and the region then serves the leader's version.
. "$(dirname "$0")/lib.sh"

if ! command -v tmux >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  skip "experiments view in tmux" "tmux or curl is not installed"
  exit 0
fi
TM="tmux -L recsys-exp-e2e-$$"
SCREENS=${SCREENS_DIR:-}
PIDS=""
trap '$TM kill-server >/dev/null 2>&1; for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

DB=$TMP/db.sqlite
if ! sample_db "$DB" 2000 1 "--algo popularity --no-eval" --no-eval; then
  fail "sample database"
  exit 1
fi
P1=$(free_port)
P2=$(free_port)
cat >"$TMP/exp.conf" <<EOF
[global]
database = $DB
rate_limit = 0
log = off
[region us-west]
port = $P1
[region eu-west]
port = $P2
EOF
if ! serve_start srv 2 --config "$TMP/exp.conf"; then
  fail "regions start"
  exit 1
fi
curl -s -o /dev/null -X POST "http://127.0.0.1:$P1/api/v1/experiments" \
  -d '{"name":"pop-vs-hybrid","variants":[{"name":"A","model_version":1,"share":50},{"name":"B","model_version":2,"share":50}]}'
# 400 users; B's lists are clicked and bought twice as often as A's
python3 - "$P1" <<'EOF'
import http.client, json, random, sys
rnd = random.Random(3)
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
ev = []
for i in range(400):
    u = "%032x" % rnd.getrandbits(128)
    c.request("GET", "/api/v1/recommendations/user/" + u)
    d = json.loads(c.getresponse().read())
    top = d["recommendations"][0]["product_id"]
    b = d["variant"] == "B"
    if rnd.random() < (0.3 if b else 0.15):
        ev.append({"user_id": u, "product_id": top, "type": "click", "request_id": d["request_id"]})
    if rnd.random() < (0.1 if b else 0.05):
        ev.append({"user_id": u, "product_id": top, "type": "purchase"})
c.request("POST", "/api/v1/events", json.dumps({"events": ev}))
c.getresponse().read()
EOF

PANE=exp
. "$(dirname "$0")/tui_screen.bash"
$TM new-session -d -s exp -x 80 -y 24 "'$BIN' --monitor --config '$TMP/exp.conf' --interval 0.3; sleep 30"
check_screen "the header lists view 5 at 80 columns" ' 5 Exp ' 10
$TM send-keys -t exp 5
check_screen "view 5 lists the experiment" '> pop-vs-hybrid +running +100% of users' 10
check_screen "variant A: version 1, share 50%, lists served" '^ A +v1 +50% +[0-9]+ ' 5
check_screen "variant B: version 2, share 50%, the leader" '^ B +v2 +50% +[0-9]+ .*leader' 5
check_screen "click-through with its interval and bar" '^   ctr +[0-9.]+% +\[ *[0-9.]+% \.\. *[0-9.]+%\] +-*=+\|?=*-*' 5
check_screen "conversion with its interval" '^   conv +[0-9.]+% +\[' 5
check_screen "the p-value of B against A" '^ p-value B vs A: +ctr [0-9.]+\*? +conv [0-9.]+' 5
check_screen "the footer names the keys" 's stop +P promote leader' 5
save_screen experiments-80x24
$TM send-keys -t exp P
check_screen "P asks for confirmation" 'press P again to promote pop-vs-hybrid.s leader B \(activates v2\)' 5
$TM send-keys -t exp P
check_screen "the second P promotes (admin POST)" 'promote pop-vs-hybrid: done \(HTTP 200\)' 10
check_screen "the list shows it stopped and promoted" '> pop-vs-hybrid +stopped .*promoted B' 10
check_eq "the region now serves version 2 and no experiment" \
  "$(curl -s "http://127.0.0.1:$P2/api/v1/recommendations/user/0123456789abcdef0123456789abcdef" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["model_version"], "experiment" in d)')" "2 False"
$TM send-keys -t exp s
check_screen "s on a stopped experiment says so" 'pop-vs-hybrid is not running' 5
$TM send-keys -t exp q
