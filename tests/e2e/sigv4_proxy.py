#!/usr/bin/env python3
"""A verifying AWS Signature V4 proxy in front of a test S3 server (standard library only).

s3rver checks the access key but not the signature, so the e2e tests put this in front of
it: every request is verified the way S3 does it and only then forwarded.

  sigv4_proxy.py --upstream HOST:PORT [--port N] [--port-file F] [--region R]

The secret comes from $SIGV4_SECRET (default "S3RVER", s3rver's) for access key
$SIGV4_ACCESS_KEY (default "S3RVER"); it is never printed. With $SIGV4_SESSION_TOKEN set
(temporary credentials) every request must carry it, signed, as x-amz-security-token
(403 InvalidToken otherwise). Per request:
  - the Authorization header is parsed (AWS4-HMAC-SHA256, Credential, SignedHeaders,
    Signature); host, x-amz-date and x-amz-content-sha256 must be signed; the date must be
    within 15 minutes of now and the credential scope must be DATE/REGION/s3/aws4_request;
  - x-amz-content-sha256 must equal the sha256 of the body actually received
    (400 XAmzContentSHA256Mismatch otherwise, as S3 answers);
  - the canonical request is rebuilt from the raw request line and headers (path decoded
    then encoded once, S3's rule; query decoded, encoded and sorted), the signature
    recomputed from the secret and compared (403 SignatureDoesNotMatch otherwise).
A rejected request gets an S3-style XML error body and is not forwarded. When the S3 server
cannot be reached the answer is 503 ServiceUnavailable, as from a load balancer.

GET /__stats answers JSON {"verified": N, "rejected": N, "injected": N, "ops": {"UploadPart":
N, ...}, "reasons": [...]} (not forwarded, not counted); the same line goes to stderr on SIGTERM.
POST /__fail?op=OP&nth=N&status=S[&count=C] injects faults: from now on, the Nth verified OP
request (an S3 operation name as in "ops") and the C-1 after it (default C=1) are answered
with status S and an S3 error body (500 InternalError, 503 SlowDown, 403 AccessDenied, else
InternalError) instead of being forwarded; DELETE /__fail clears them.
The listening port is printed as "listening on PORT" on stdout (and to --port-file).
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNRESERVED = "-_.~"  # plus ASCII letters and digits, which quote() always keeps


def uri_encode(s, keep_slash):
    """SigV4 URI encoding: unreserved characters kept, the rest %XX upper-case (UTF-8)."""
    return urllib.parse.quote(s, safe=UNRESERVED + ("/" if keep_slash else ""))


def canonical_uri(raw_path):
    """S3's canonical URI: the path decoded and then encoded once, '/' kept, no
    normalisation of '.' or '//' segments."""
    return uri_encode(urllib.parse.unquote(raw_path or "/"), True) or "/"


def canonical_query(raw_query):
    """Each name and value decoded and re-encoded, sorted by name then value; a
    parameter without '=' has an empty value."""
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((uri_encode(urllib.parse.unquote(name), False),
                      uri_encode(urllib.parse.unquote(value), False)))
    pairs.sort()
    return "&".join(f"{n}={v}" for n, v in pairs)


def canonical_request(method, raw_path, raw_query, headers, signed, payload_hash):
    """headers: list of (name, value) as received; signed: lower-case names in order."""
    lines = []
    for name in signed:
        values = [" ".join(v.strip().split()) for n, v in headers if n.lower() == name]
        lines.append(f"{name}:{','.join(values)}\n")
    return "\n".join([method, canonical_uri(raw_path), canonical_query(raw_query),
                      "".join(lines), ";".join(signed), payload_hash])


def signing_key(secret, date, region, service):
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(secret, amz_date, scope, creq):
    """scope is DATE/REGION/SERVICE/aws4_request."""
    date, region, service, _ = scope.split("/")
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    return hmac.new(signing_key(secret, date, region, service), sts.encode(),
                    hashlib.sha256).hexdigest()


def parse_authorization(value):
    """Returns dict(access, scope, signed, signature) or raises ValueError."""
    algo, _, rest = value.partition(" ")
    if algo != "AWS4-HMAC-SHA256":
        raise ValueError(f"algorithm {algo!r} is not AWS4-HMAC-SHA256")
    fields = {}
    for item in rest.split(","):
        k, eq, v = item.strip().partition("=")
        if not eq:
            raise ValueError(f"malformed Authorization item {item.strip()!r}")
        fields[k] = v
    for k in ("Credential", "SignedHeaders", "Signature"):
        if k not in fields:
            raise ValueError(f"Authorization has no {k}")
    access, _, scope = fields["Credential"].partition("/")
    return {"access": access, "scope": scope, "signed": fields["SignedHeaders"].split(";"),
            "signature": fields["Signature"]}


def verify(method, target, headers, body, access_key, secret, region, now=None, token=None):
    """Verifies one request as S3 would. Returns None when it is good, else
    (status, code, reason). token: the session token temporary credentials need."""
    auth = [v for n, v in headers if n.lower() == "authorization"]
    if len(auth) != 1:
        return (403, "AccessDenied", "no Authorization header")
    try:
        a = parse_authorization(auth[0])
    except ValueError as e:
        return (403, "AuthorizationHeaderMalformed", str(e))
    if a["access"] != access_key:
        return (403, "InvalidAccessKeyId", f"unknown access key {a['access']!r}")
    if a["signed"] != sorted(a["signed"]):
        return (403, "SignatureDoesNotMatch", "SignedHeaders not sorted")
    for need in ("host", "x-amz-date", "x-amz-content-sha256"):
        if need not in a["signed"]:
            return (403, "SignatureDoesNotMatch", f"{need} is not signed")
    for name in a["signed"]:
        if not any(n.lower() == name for n, _ in headers):
            return (403, "SignatureDoesNotMatch", f"signed header {name} was not sent")
    hv = {n.lower(): v.strip() for n, v in headers}
    if token is not None:
        if hv.get("x-amz-security-token") != token:
            return (403, "InvalidToken", "x-amz-security-token is missing or wrong")
        if "x-amz-security-token" not in a["signed"]:
            return (403, "SignatureDoesNotMatch", "x-amz-security-token is not signed")
    amz_date = hv["x-amz-date"]
    try:
        t = time.mktime(time.strptime(amz_date, "%Y%m%dT%H%M%SZ")) - time.timezone
    except ValueError:
        return (403, "AccessDenied", f"bad x-amz-date {amz_date!r}")
    if now is not None and abs(now - t) > 900:
        return (403, "RequestTimeTooSkewed", f"x-amz-date {amz_date} is off by {now - t:.0f} s")
    want_scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    if a["scope"] != want_scope:
        return (403, "SignatureDoesNotMatch", f"scope {a['scope']!r}, expected {want_scope!r}")
    payload = hv["x-amz-content-sha256"]
    real = hashlib.sha256(body).hexdigest()
    if payload != real:
        return (400, "XAmzContentSHA256Mismatch",
                f"x-amz-content-sha256 {payload} but the body's sha256 is {real}")
    path, _, query = target.partition("?")
    creq = canonical_request(method, path, query, headers, a["signed"], payload)
    want = signature(secret, amz_date, a["scope"], creq)
    if not hmac.compare_digest(want, a["signature"]):
        return (403, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided."
                " Check your key and signing method.\nCanonical request:\n" + creq)
    return None


def operation(method, target, host=""):
    """The S3 operation's name, for the statistics. A Host of BUCKET.s3.DOMAIN is
    virtual-host addressing: the whole path is the key."""
    path, _, query = target.partition("?")
    q = urllib.parse.parse_qs(query, keep_blank_values=True)
    if ".s3." in host.split(":")[0]:
        has_key = path.strip("/") != ""
    else:
        has_key = path.strip("/").count("/") >= 1
    if "uploadId" in q:
        return {"PUT": "UploadPart", "POST": "CompleteMultipartUpload",
                "DELETE": "AbortMultipartUpload", "GET": "ListParts"}.get(method, method)
    if "uploads" in q:
        return "CreateMultipartUpload" if method == "POST" else "ListMultipartUploads"
    if not has_key:
        return {"GET": "ListObjectsV2" if q.get("list-type") == ["2"] else "ListObjects",
                "PUT": "CreateBucket", "DELETE": "DeleteBucket",
                "HEAD": "HeadBucket"}.get(method, method)
    return {"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject",
            "HEAD": "HeadObject"}.get(method, method)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.verified = 0
        self.rejected = 0
        self.ops = {}
        self.reasons = []
        self.injected = 0
        self.faults = {}  # op -> [requests to let through first, status, failures left]

    def fault(self, op):
        """The status to answer instead of forwarding, or None."""
        with self.lock:
            f = self.faults.get(op)
            if not f or f[2] <= 0:
                return None
            if f[0] > 0:
                f[0] -= 1
                return None
            f[2] -= 1
            self.injected += 1
            return f[1]

    def add(self, ok, op, reason=None):
        with self.lock:
            if ok:
                self.verified += 1
                self.ops[op] = self.ops.get(op, 0) + 1
            else:
                self.rejected += 1
                self.reasons.append(f"{op}: {reason}"[:2000])

    def json(self):
        with self.lock:
            return json.dumps({"verified": self.verified, "rejected": self.rejected,
                               "injected": self.injected, "ops": self.ops,
                               "reasons": self.reasons[-20:]})


HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-connection", "content-length"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue handled by the base class
    server_version = "sigv4-proxy"

    def log_message(self, *args):
        pass

    def _send(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status, code, message):
        msg = message.split("\n")[0].replace("&", "&amp;").replace("<", "&lt;")
        xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + code
               + "</Code><Message>" + msg + "</Message><Resource>"
               + self.path.split("?")[0].replace("&", "&amp;").replace("<", "&lt;")
               + "</Resource></Error>")
        self._send(status, xml.encode(), "application/xml")

    def _control(self, stats):
        path, _, query = self.path.partition("?")
        if path == "/__stats" and self.command == "GET":
            self._send(200, stats.json().encode(), "application/json")
        elif path == "/__fail" and self.command == "DELETE":
            with stats.lock:
                stats.faults.clear()
            self._send(200, b"cleared\n", "text/plain")
        elif path == "/__fail" and self.command == "POST":
            q = {k: v[0] for k, v in urllib.parse.parse_qs(query).items()}
            with stats.lock:
                stats.faults[q["op"]] = [int(q.get("nth", "1")) - 1, int(q["status"]),
                                         int(q.get("count", "1"))]
            self._send(200, b"armed\n", "text/plain")
        else:
            self._send(404, b"unknown control path\n", "text/plain")

    def _handle(self):
        cfg = self.server.cfg
        if self.path.startswith("/__"):
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            self._control(cfg["stats"])
            return
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send(411, b"<Error><Code>MissingContentLength</Code></Error>",
                       "application/xml")
            self.close_connection = True
            return
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        headers = list(self.headers.items())
        op = operation(self.command, self.path, self.headers.get("Host", ""))
        bad = verify(self.command, self.path, headers, body, cfg["access"], cfg["secret"],
                     cfg["region"], now=time.time(), token=cfg["token"])
        if bad:
            status, code, reason = bad
            cfg["stats"].add(False, op, f"{code}: {reason}")
            self._error(status, code, reason)
            return
        cfg["stats"].add(True, op)
        injected = cfg["stats"].fault(op)
        if injected:
            code = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied"}
            self._error(injected, code.get(injected, "InternalError"),
                        f"injected by the test proxy ({op})")
            return
        self._forward(body, headers)

    def _forward(self, body, headers):
        up = http.client.HTTPConnection(*self.server.cfg["upstream"], timeout=60)
        try:
            up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for n, v in headers:
                if n.lower() not in HOP and n.lower() != "expect":
                    up.putheader(n, v)
            up.putheader("Content-Length", str(len(body)))
            try:
                up.endheaders(body)
                r = up.getresponse()
            except OSError as e:  # the S3 server is down: answer as a load balancer would
                self._error(503, "ServiceUnavailable", f"the S3 server is unreachable: {e}")
                return
            length = r.getheader("Content-Length")
            data = None if length is not None or self.command == "HEAD" else r.read()
            self.send_response(r.status, r.reason)
            for n, v in r.getheaders():
                if n.lower() not in HOP:
                    self.send_header(n, v)
            self.send_header("Content-Length", length if data is None else str(len(data)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if data is not None:
                self.wfile.write(data)
                return
            while True:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                self.wfile.write(chunk)
        finally:
            up.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the S3 server")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--region", default=os.environ.get("SIGV4_REGION", "us-east-1"))
    args = ap.parse_args()
    host, _, port = args.upstream.rpartition(":")
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.cfg = {"upstream": (host, int(port)), "region": args.region, "stats": Stats(),
               "access": os.environ.get("SIGV4_ACCESS_KEY", "S3RVER"),
               "secret": os.environ.get("SIGV4_SECRET", "S3RVER"),
               "token": os.environ.get("SIGV4_SESSION_TOKEN") or None}

    def stop(*_):
        print(srv.cfg["stats"].json(), file=sys.stderr, flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.rename(args.port_file + ".tmp", args.port_file)
    print(f"listening on {port}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
