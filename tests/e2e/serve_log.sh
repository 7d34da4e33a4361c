#!/bin/bash
# End-to-end tests of the structured log and of /health's rolling window, through the real
# binary (issue 9, items 7, 8 and 12):
#  - log = stderr into a pipe nobody reads: serving and health go on, SIGTERM still exits
#    within seconds, and /metrics counts the dropped lines;
#  - log = FILE: JSON lines with time, level, region, event for config, start, errors,
#    reload, drain, stop and every request;
#  - /health per_second, p50 and p99 cover the last stats_window seconds; "lifetime" keeps
#    the figures since the start.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

# one region on a fixed free port (with stderr never read, the listening line cannot be)
one_region_conf() {
  f=$1 port=$2; shift 2
  { echo "[global]"; printf '%s\n' "$@"
    echo "[region us-west]"; echo "port = $port"; echo "location = California"
    echo "latitude = 37.77"; echo "longitude = -122.42"
  } >"$f"
}

# --- item 7: a stuck stderr log never blocks serving or shutdown ---------------------------
P=$(free_port)
one_region_conf "$TMP/stuck.conf" "$P" "database = $TMP/none.db" "log = stderr" "rate_limit = 0"
$PY - "$BIN" "$TMP/stuck.conf" "$P" <<'PY'
import http.client, re, signal, socket, subprocess, sys, time
binary, conf, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
def say(ok, desc):
    print(("ok - " if ok else "not ok - ") + desc, flush=True)
# stderr is a pipe this script never reads until the process is gone: after 64 KB every
# write to it would block
p = subprocess.Popen([binary, "--serve", "--config", conf], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
try:
    up = False
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            up = True
            break
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.05)
    say(up, "stuck log: server starts")
    if not up:
        sys.exit(0)
    def get(conn, path):
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    # ~4,000 requests: about 750 KB of access lines, far over the pipe (64 KB) and the queue
    flood = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    sent, worst, failed = 0, 0.0, None
    t0 = time.monotonic()
    try:
        while sent < 4000 and time.monotonic() - t0 < 20:
            st, _ = get(flood, "/api/v1/health?pad=" + "x" * 100)
            sent += 1
            if sent % 250 == 0:  # health on another connection, timed
                t = time.monotonic()
                st, _ = get(probe, "/api/v1/health")
                worst = max(worst, time.monotonic() - t)
    except (OSError, http.client.HTTPException) as e:
        failed = "%s after %d requests" % (type(e).__name__, sent)
    say(failed is None and sent == 4000,
        "stuck log: 4000 requests answered (%s)" % (failed or "%.1fs" % (time.monotonic() - t0)))
    say(failed is None and worst < 1.0,
        "stuck log: health answers fast throughout (worst %.0f ms)" % (worst * 1e3))
    dropped = None
    try:
        st, body = get(probe, "/metrics")
        m = re.search(rb"^recsys_log_dropped_total (\d+)$", body, re.M)
        dropped = int(m.group(1)) if m else None
    except (OSError, http.client.HTTPException):
        pass
    say(dropped is not None and dropped > 0, "stuck log: /metrics counts dropped lines (%s)" % dropped)
    flood.close(); probe.close()
    t = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=6)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.monotonic() - t
    say(rc == 0 and took < 5, "stuck log: SIGTERM exits 0 within 5 s (rc %s, %.1fs)" % (rc, took))
    if rc is None:
        say(False, "stuck log: what reached the pipe is JSON lines (the process did not exit)")
    else:
        lines = p.stderr.read().split(b"\n")
        import json
        bad = 0
        for l in lines[:-2]:  # the last line written may be cut where the writer gave up
            if l.startswith(b"region us-west listening on"):
                continue
            try:
                d = json.loads(l)
                bad += not {"time", "level", "region", "event"} <= set(d)
            except ValueError:
                bad += 1
        say(bad == 0 and len(lines) > 100, "stuck log: what reached the pipe is JSON lines")
finally:
    if p.poll() is None:
        p.kill()
        p.wait()
PY

# --- item 12: the events of a run, to a file ------------------------------------------------
P=$(free_port)
one_region_conf "$TMP/file.conf" "$P" "database = $TMP/none.db" "log = $TMP/events.log" \
  "rate_limit = 0"
"$BIN" --serve --config "$TMP/file.conf" 2>"$TMP/file.err" &
pid=$!; PIDS="$PIDS $pid"
for _ in $(seq 1 100); do grep -qs 'listening on' "$TMP/file.err" && break; sleep 0.05; done
curl -s -o /dev/null "http://127.0.0.1:$P/api/v1/health"
curl -s -o /dev/null "http://127.0.0.1:$P/api/v1/recommendations/user/ffffffffffffffffffffffffffffffff"
kill -HUP $pid; sleep 0.3
kill -TERM $pid; wait $pid; rc=$?
check_eq "events: SIGTERM exits 0" "$rc" 0
check "events: every line is JSON with time, level, region, event; the run's events are there" \
  $PY - "$TMP/events.log" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
for d in ev:
    assert list(d)[:4] == ["time", "level", "region", "event"], d
    assert d["level"] in ("info", "warn", "error"), d
names = [d["event"] for d in ev]
def one(pred, what):
    assert any(pred(d) for d in ev), "no %s in %s" % (what, names)
one(lambda d: d["event"] == "config" and d["region"] is None and d["stats_window"] == 10
    and d["log"].endswith("events.log") and "rate_limit" in d, "global config")
one(lambda d: d["event"] == "config" and d["region"] == "us-west" and "port" in d, "region config")
one(lambda d: d["event"] == "error" and d["level"] == "error" and "none.db" in d["message"],
    "engine error")
one(lambda d: d["event"] == "start" and d["region"] == "us-west" and d["port"] > 0, "start")
one(lambda d: d["event"] == "access" and d["path"] == "/api/v1/health" and d["status"] == 200,
    "access line")
one(lambda d: d["event"] == "access" and d["status"] == 503 and d["level"] == "error",
    "5xx access line at level error")
one(lambda d: d["event"] == "reload", "reload")
one(lambda d: d["event"] == "drain", "drain")
assert names[-1] == "stop", names[-3:]
assert names.index("config") < names.index("start") < names.index("drain"), names
PY
check_grep "events: the plain stderr lines remain when the log is a file" 'stopped' "$TMP/file.err"

# --- item 8: "now" figures are the last stats_window seconds ---------------------------------
P=$(free_port)
one_region_conf "$TMP/w0.conf" "$P" "database = $TMP/none.db" "stats_window = 0"
"$BIN" --serve --config "$TMP/w0.conf" 2>"$TMP/w0.err"
check_eq "stats_window = 0 is a config error" "$?" 1
check_grep "the error names the key" "w0.conf:3: key 'stats_window'" "$TMP/w0.err"
one_region_conf "$TMP/w3.conf" "$P" "database = $TMP/none.db" "stats_window = 3"
"$BIN" --serve --config "$TMP/w3.conf" 2>"$TMP/w3.err" &
pid=$!; PIDS="$PIDS $pid"
for _ in $(seq 1 100); do grep -qs 'listening on' "$TMP/w3.err" && break; sleep 0.05; done
check_eq "health reports the configured window" \
  "$(curl -s "http://127.0.0.1:$P/api/v1/health" | $PY -c 'import json,sys; print(json.load(sys.stdin).get("window",{}).get("seconds"))')" 3
kill -TERM $pid; wait $pid

DB=$TMP/db.sqlite
if sample_db "$DB" 1000 1 ""; then
  P=$(free_port)
  # the default window (10 s): the test waits it out once
  one_region_conf "$TMP/win.conf" "$P" "database = $DB" "log = off" "rate_limit = 0" \
    "cache_size = 0"
  "$BIN" --serve --config "$TMP/win.conf" 2>"$TMP/win.err" &
  pid=$!; PIDS="$PIDS $pid"
  for _ in $(seq 1 100); do grep -qs 'listening on' "$TMP/win.err" && break; sleep 0.05; done
  $PY - "$P" "$DB" <<'PY'
import http.client, json, sqlite3, sys, time
port, db = int(sys.argv[1]), sys.argv[2]
def say(ok, desc):
    print(("ok - " if ok else "not ok - ") + desc, flush=True)
users = [r[0] for r in sqlite3.connect(db).execute(
    "SELECT customer_unique_id FROM customers LIMIT 200")]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
try:
    c.connect()
except OSError as e:
    say(False, "window: server starts (%s)" % e)
    sys.exit(0)
def get(path):
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.read()
def health():
    st, b = get("/api/v1/health")
    return json.loads(b)
# the burst: 200 uncached recommendations of 100 items, the slowest route
for u in users:
    get("/api/v1/recommendations/user/%s?count=100" % u)
burst = health()
now_p99, life_p99 = burst["latency_ms"]["p99"], burst.get("lifetime", {}).get("latency_ms", {}).get("p99")
say(burst["requests"]["per_second"] > 20 and now_p99 > 0,
    "window: right after a burst, per_second and p99 show it (%.1f/s, p99 %.3f ms)"
    % (burst["requests"]["per_second"], now_p99))
say(burst.get("window", {}).get("seconds") == 10,
    "window: health names its window (default 10 s)")
# quiet: nothing for longer than the window
time.sleep(10.3)
quiet = health()
life = quiet.get("lifetime", {})
say(quiet["latency_ms"]["p99"] == 0 and quiet["requests"]["per_second"] == 0
    and quiet.get("window", {}).get("requests") == 0,
    "window: after the window of quiet, per_second and p99 are 0 (got %.3f/s, p99 %.3f ms)"
    % (quiet["requests"]["per_second"], quiet["latency_ms"]["p99"]))
# one more request (the first health call) is in the lifetime histogram since
# life_p99 was read, so the 99th percentile may move by a bucket: it must still
# be the burst's order of magnitude, not the quiet window's 0
life_now = life.get("latency_ms", {}).get("p99") or 0
say(life.get("requests") == 201 and life_p99 and life_p99 > 0
    and life_p99 / 2 <= life_now <= life_p99 * 2 and life.get("per_second", 0) > 0,
    "window: lifetime keeps the burst (requests %s, p99 %s ms)"
    % (life.get("requests"), life.get("latency_ms", {}).get("p99")))
say(quiet["requests"]["total"] == 201, "window: requests.total stays the lifetime count")
# a few new requests: the window counts exactly those
for _ in range(5):
    get("/api/v1/health")
w = health()
say(w.get("window", {}).get("requests") == 5 + 1,
    "window: counts only the requests of the last 10 s (%s)" % w.get("window", {}).get("requests"))
PY
  kill -TERM $pid; wait $pid
else
  skip "window tests" "could not build a sample database"
fi
