#!/usr/bin/env python3
"""Raw-socket HTTP helpers for tests/e2e/serve.sh (standard library only).

Subcommands (all talk to 127.0.0.1:PORT and print one summary line):
  pipeline PORT N PATH          N requests in one write; prints the statuses
  keepalive PORT N PATH         N requests on one connection; "N reused"
  slowloris PORT SECONDS        a request trickled for SECONDS; "closed"/"open"
  idle PORT SECONDS             one request, then idle; "closed"/"open" after SECONDS
  raw PORT HEADBYTES NHEADERS BODYBYTES   one oversized request; prints the status
  load PORT THREADS SECONDS PATH [PATH2]  keep-alive load; "ok=N fail=M"
  maxconn PORT N                N idle connections, then one request; its status
  head PORT PATH                HEAD then GET of PATH pipelined on one connection;
                                "HEADSTATUS HEADLEN GETSTATUS GETLEN": HEAD must carry
                                the GET's Content-Length and no body, or the GET after
                                it is misread
  hintload PORT THREADS SECONDS HINT PATH   keep-alive load with Region-Hint HINT
                                ("-" = none); "ok=N fail=M 5xx=K served=A:n,B:n failover=F"
"""
import http.client
import socket
import sys
import threading
import time


def read_responses(sock, n, timeout=5.0):
    """Reads n HTTP responses (Content-Length framed); returns their statuses."""
    sock.settimeout(timeout)
    buf = b""
    statuses = []
    while len(statuses) < n:
        head_end = buf.find(b"\r\n\r\n")
        if head_end < 0:
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
            continue
        head = buf[:head_end].decode("latin-1")
        length = 0
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        total = head_end + 4 + length
        while len(buf) < total:
            chunk = sock.recv(65536)
            if not chunk:
                return statuses
            buf += chunk
        statuses.append(int(head.split(" ")[1]))
        buf = buf[total:]
    return statuses


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def is_closed(sock, wait):
    """True when the peer closed within `wait` seconds (EOF or reset)."""
    sock.settimeout(wait)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except socket.timeout:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True


def main(argv):
    cmd, port = argv[1], int(argv[2])
    if cmd == "pipeline":
        n, path = int(argv[3]), argv[4]
        s = connect(port)
        req = ("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode()
        s.sendall(req * n)
        print(" ".join(str(x) for x in read_responses(s, n)))
    elif cmd == "keepalive":
        n, path = int(argv[3]), argv[4]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        reused, first = 0, None
        for _ in range(n):
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            if r.status == 200 and first is not None and c.sock is first:
                reused += 1
            first = c.sock
        print("%d reused" % (reused + 1))
    elif cmd == "slowloris":
        secs = float(argv[3])
        s = connect(port)
        part = b"GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\nX-Slow: "
        end = time.time() + secs
        closed = False
        for i, b in enumerate(part * 10):
            try:
                s.sendall(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if is_closed(s, 0.05):
                closed = True
                break
            if time.time() > end:
                break
        print("closed" if closed else "open")
    elif cmd == "idle":
        secs = float(argv[3])
        s = connect(port)
        s.sendall(b"GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\n\r\n")
        read_responses(s, 1)
        print("closed" if is_closed(s, secs) else "open")
    elif cmd == "raw":
        head, nheaders, body = int(argv[3]), int(argv[4]), int(argv[5])
        req = b"POST /api/v1/recommendations/user/" + b"0" * 32 + b" HTTP/1.1\r\nHost: t\r\n"
        if head:
            req += b"X-Big: " + b"a" * head + b"\r\n"
        for i in range(nheaders):
            req += b"X-H%d: %d\r\n" % (i, i)
        req += b"Content-Length: %d\r\n\r\n" % body
        s = connect(port)
        try:
            s.sendall(req + b"{" + b" " * max(0, body - 2) + b"}" if body else req)
        except (BrokenPipeError, ConnectionResetError):
            pass
        st = read_responses(s, 1)
        print(st[0] if st else "none")
    elif cmd == "load":
        threads, secs, paths = int(argv[3]), float(argv[4]), argv[5:]
        ok = [0] * threads
        fail = [0] * threads
        errors = []

        def run(i):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            end = time.time() + secs
            k = 0
            while time.time() < end:
                path = paths[k % len(paths)].replace("{i}", "%032x" % (i * 1000 + k % 50))
                k += 1
                try:
                    c.request("GET", path)
                    r = c.getresponse()
                    r.read()
                    if r.status == 200:
                        ok[i] += 1
                    else:
                        fail[i] += 1
                        errors.append("%s -> %d" % (path, r.status))
                except Exception as e:  # a failed request is what we count
                    fail[i] += 1
                    errors.append("%s -> %r" % (path, e))
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print("ok=%d fail=%d %s" % (sum(ok), sum(fail), "; ".join(errors[:3])))
    elif cmd == "hintload":
        threads, secs, hint, path = int(argv[3]), float(argv[4]), argv[5], argv[6]
        lock = threading.Lock()
        tally = {"ok": 0, "fail": 0, "5xx": 0, "failover": 0}
        served = {}
        errors = []

        def run_hint(i):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            headers = {} if hint == "-" else {"Region-Hint": hint}
            end = time.time() + secs
            while time.time() < end:
                try:
                    c.request("GET", path, headers=headers)
                    r = c.getresponse()
                    r.read()
                    with lock:
                        key = "ok" if r.status == 200 else "fail"
                        tally[key] += 1
                        if r.status >= 500:
                            tally["5xx"] += 1
                            errors.append("%d %s" % (r.status, r.getheader("X-Region")))
                        reg = r.getheader("X-Region") or "?"
                        served[reg] = served.get(reg, 0) + 1
                        if r.getheader("X-Failover"):
                            tally["failover"] += 1
                except Exception as e:  # a failed request is what we count
                    with lock:
                        tally["fail"] += 1
                        errors.append(repr(e))
                    c.close()
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        ts = [threading.Thread(target=run_hint, args=(i,)) for i in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print("ok=%d fail=%d 5xx=%d served=%s failover=%d %s" % (
            tally["ok"], tally["fail"], tally["5xx"],
            ",".join("%s:%d" % kv for kv in sorted(served.items())), tally["failover"],
            "; ".join(errors[:3])))
    elif cmd == "head":
        path = argv[3]
        s = connect(port)
        s.sendall(("HEAD %s HTTP/1.1\r\nHost: t\r\n\r\nGET %s HTTP/1.1\r\nHost: t\r\n"
                   "Connection: close\r\n\r\n" % (path, path)).encode())
        s.settimeout(5)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        out = []
        for _ in range(2):  # HEAD: no body whatever Content-Length says
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                out += ["-", "-"]
                break
            head = buf[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v.strip())
            out += [head.split(" ")[1], str(length)]
            buf = buf[head_end + 4 + (length if out and len(out) > 2 else 0):]
        print(" ".join(out), "rest=%d" % len(buf))
    elif cmd == "maxconn":
        held = [connect(port) for _ in range(int(argv[3]))]
        time.sleep(0.3)  # let the server accept them all
        s = connect(port)
        try:
            s.sendall(b"GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        st = read_responses(s, 1)
        print(st[0] if st else "none")
        for h in held:
            h.close()
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
