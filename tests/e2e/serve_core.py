#!/usr/bin/env python3
"""Clients for tests/e2e/serve_core.sh (standard library only): pipelining,
half-close, slow readers and memory, drain, parser leniency, 100-continue.
Every subcommand talks to 127.0.0.1:PORT and prints one line of key=value.

  pipeline PORT N HALF        N x GET /openapi.json in one write (HALF=1: then
                              SHUT_WR); "answers=A eof=0|1 secs=S"
  slowreaders PORT PID N REQS DB   N connections each send REQS pipelined GET
                              /openapi.json and never read, while recommendations
                              churn the cache; the server's RSS (PID) before, at
                              its peak, and after they close; "n=N baseline=KB
                              peak=KB after=KB bound=KB answer=SECS"
  drain PORT PID THREADS      THREADS keep-alive clients loop on health; SIGTERM
                              to PID meanwhile; "answered=A lost=L refused=R":
                              lost = sent on an open connection, never answered
  expect PORT                 Expect: 100-continue, body held back: "continue=SECS
                              final=STATUS" (continue=none when no 100 came in 2 s)
  expect_with_body PORT       the same with the body in the same write: "first=LINE"
  raw PORT PYTHON_BYTES       one request (a Python bytes literal); its status line
"""
import http.client
import os
import resource
import signal
import socket
import sqlite3
import sys
import threading
import time

OPENAPI = b"GET /openapi.json HTTP/1.1\r\nHost: t\r\n\r\n"


def connect(port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:  # before connect, so the window is small from the start
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def responses(buf):
    """Splits buf into complete Content-Length framed responses: (statuses, rest)."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        head = buf[:end].decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v)
        if head[0].split(" ")[1].startswith("1"):  # interim: no body
            length = 0
        if len(buf) < end + 4 + length:
            return out, buf
        out.append(int(head[0].split(" ")[1]))
        buf = buf[end + 4 + length:]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pipeline(port, n, half):
    s = connect(port)
    t0 = time.time()
    s.sendall(OPENAPI * n)
    if half:
        s.shutdown(socket.SHUT_WR)
    buf, answers, eof = b"", 0, 0
    s.settimeout(0.5)
    deadline = t0 + 8
    while time.time() < deadline:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            if answers >= n and not half:
                break
            continue
        except ConnectionResetError:
            break
        if not chunk:
            eof = 1
            break
        buf += chunk
        got, buf = responses(buf)
        answers += len(got)
    print("answers=%d eof=%d secs=%.2f" % (answers, eof, time.time() - t0))


def settle(pid, secs):
    """Waits until the RSS of pid stops moving (or secs pass); its last value."""
    last, stable, end = rss_kb(pid), 0, time.time() + secs
    while time.time() < end and stable < 5:
        time.sleep(0.1)
        now = rss_kb(pid)
        stable = stable + 1 if abs(now - last) < 256 else 0
        last = now
    return last


def slowreaders(port, pid, n, reqs, db):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
    # one full answer, to size the bound: OUT_BOUND (16 KiB) + one response,
    # rounded up to the power of two the output buffer grows to, + the 4 KiB
    # input buffer + 1 KiB for the connection and allocator overhead
    s = connect(port)
    s.sendall(OPENAPI)
    buf = b""
    while not responses(buf)[0]:
        buf += s.recv(1 << 20)
    resp = len(buf)
    s.close()
    cap = 1
    while cap < 16384 + resp + 1:
        cap *= 2
    per_conn = 4096 + cap + 1024
    # Recommendations for ever new (user, count) keys keep the region's
    # cache (cache_size entries) churning: entries allocated between the
    # connections' buffers are what keeps freed memory from the system when
    # nothing trims it. The cache is full before the baseline.
    users = [r[0] for r in sqlite3.connect(db).execute(
        "SELECT customer_unique_id FROM customers ORDER BY 1")]
    keys = ("/api/v1/recommendations/user/%s?count=%d" % (u, c)
            for c in range(1, 101) for u in users)
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=5)

    def recommend():
        h.request("GET", next(keys))
        r = h.getresponse()
        r.read()
        return r.status

    warm = [recommend() for _ in range(600)]
    baseline = settle(pid, 2)
    socks = []
    for i in range(n):
        c = connect(port, rcvbuf=8192)
        c.sendall(OPENAPI * reqs)
        socks.append(c)
        if i % 2 == 0:
            recommend()
    peak = max(settle(pid, 20), rss_kb(pid))
    # the region still answers others while they hold their connections
    t0 = time.time()
    answer = time.time() - t0 if recommend() == 200 else -1
    for c in socks:
        c.close()
    after = rss_kb(pid)
    end = time.time() + 5
    while time.time() < end and after > baseline + 8192:
        time.sleep(0.1)
        after = rss_kb(pid)
    bound = baseline + n * per_conn // 1024 + 16384
    print("n=%d baseline=%d peak=%d after=%d bound=%d per_conn=%d answer=%.3f warm=%s"
          % (n, baseline, peak, after, bound, per_conn, answer,
             "ok" if warm.count(200) == len(warm) else "failed"))


def drain(port, pid, threads):
    tally = {"answered": 0, "lost": 0, "refused": 0}
    lock = threading.Lock()
    stop = time.time() + 6
    errors = []

    def run():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while time.time() < stop:
            try:
                c.request("GET", "/api/v1/health/")
            except ConnectionRefusedError:
                with lock:
                    tally["refused"] += 1
                return
            except OSError as e:  # the request could not even be sent
                with lock:
                    tally["lost"] += 1
                    errors.append(repr(e))
                c.close()
                continue
            try:
                r = c.getresponse()
                r.read()
                with lock:
                    tally["answered"] += 1
            except (http.client.HTTPException, OSError) as e:
                with lock:
                    tally["lost"] += 1
                    errors.append(repr(e))
                c.close()

    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    time.sleep(0.8)
    os.kill(pid, signal.SIGTERM)
    for t in ts:
        t.join()
    print("answered=%d lost=%d refused=%d %s" % (tally["answered"], tally["lost"],
                                                 tally["refused"], "; ".join(errors[:3])))


def expect(port, with_body):
    body = b'{"count": 3}'
    head = (b"POST /api/v1/recommendations/user/" + b"f" * 32 + b" HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    s = connect(port)
    if with_body:
        s.sendall(head + body)
        s.settimeout(3)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        print("first=%s" % data.split(b"\r\n")[0].decode("latin-1").replace(" ", "_"))
        return
    t0 = time.time()
    s.sendall(head)
    s.settimeout(2)
    data = b""
    took = None
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        if data.startswith(b"HTTP/1.1 100 "):
            took = time.time() - t0
    except socket.timeout:
        pass
    data = data[data.find(b"\r\n\r\n") + 4:] if took is not None else data
    s.sendall(body)
    s.settimeout(5)
    while not responses(data)[0]:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    got = responses(data)[0]
    print("continue=%s final=%s" % ("none" if took is None else "%.3f" % took,
                                    got[0] if got else "none"))


def raw(port, literal):
    req = eval(literal)  # a bytes literal written by the test script itself
    s = connect(port)
    s.sendall(req)
    s.settimeout(3)
    data = b""
    try:
        while b"\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    line = data.split(b"\n")[0].strip().decode("latin-1")
    print(line.split(" ")[1] if line.startswith("HTTP/") else "none")


def main(argv):
    cmd, port = argv[1], int(argv[2])
    if cmd == "pipeline":
        pipeline(port, int(argv[3]), argv[4] == "1")
    elif cmd == "slowreaders":
        slowreaders(port, int(argv[3]), int(argv[4]), int(argv[5]), argv[6])
    elif cmd == "drain":
        drain(port, int(argv[3]), int(argv[4]))
    elif cmd == "expect":
        expect(port, False)
    elif cmd == "expect_with_body":
        expect(port, True)
    elif cmd == "raw":
        raw(port, argv[3])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
