#!/usr/bin/env python3
"""A client loop for tests/e2e/haproxy.sh: GET PATH from HOST:PORT with a
Region-Hint, a new connection per request (as many independent clients),
until STOPFILE exists or MAX_SECONDS pass. Each answer is one line of
OUTFILE: "SECONDS STATUS X-REGION X-FAILOVER" (status 0 = no answer: a
connection error or a timeout, which counts as failed).

usage: haproxy_client.py HOST PORT PATH HINT OUTFILE STOPFILE [MAX_SECONDS] [PAUSE]
"""
import http.client
import os
import sys
import time


def main():
    host, port, path, hint, outfile, stopfile = sys.argv[1:7]
    max_s = float(sys.argv[7]) if len(sys.argv) > 7 else 60
    pause = float(sys.argv[8]) if len(sys.argv) > 8 else 0.02
    t0 = time.monotonic()
    with open(outfile, "w", buffering=1) as out:
        while not os.path.exists(stopfile) and time.monotonic() - t0 < max_s:
            status, region, failover = 0, "-", "-"
            try:
                c = http.client.HTTPConnection(host, int(port), timeout=30)
                c.request("GET", path, headers={"Region-Hint": hint})
                r = c.getresponse()
                r.read()
                status = r.status
                region = r.getheader("X-Region", "-")
                failover = r.getheader("X-Failover", "-")
                c.close()
            except (OSError, http.client.HTTPException) as e:
                region = type(e).__name__
            out.write("%.3f %d %s %s\n" % (time.monotonic() - t0, status, region, failover))
            time.sleep(pause)


if __name__ == "__main__":
    main()
