#!/usr/bin/env python3
"""Checks the verifier in sigv4_proxy.py against published AWS Signature V4 examples, then
shows it rejects tampered requests. Prints "ok - ..." / "not ok - ..." lines (tests/run.sh).

Two sources of expected values, copied as published (not computed here):
  - the aws-sig-v4-test-suite (AKIDEXAMPLE, secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
    us-east-1, service "service", 20150830T123600Z, host example.amazonaws.com);
  - the Amazon S3 API reference's "signature calculation" examples (AKIAIOSFODNN7EXAMPLE,
    secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, us-east-1, s3, 20130524T000000Z,
    host examplebucket.s3.amazonaws.com): these go through the proxy's whole verify().
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigv4_proxy as p  # noqa: E402

failed = 0


def check(desc, cond, detail=""):
    global failed
    if cond:
        print(f"ok - {desc}")
    else:
        failed += 1
        print(f"not ok - {desc}" + (f": {detail}" if detail else ""))


SUITE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SUITE_SCOPE = "20150830/us-east-1/service/aws4_request"
SUITE_HEADERS = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]
SUITE = [  # name, method, raw target, expected signature
    ("get-vanilla", "GET", "/",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("post-vanilla", "POST", "/",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("post-vanilla-query", "POST", "/?Param1=value1",
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    ("get-utf8", "GET", "/\u1234",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
]
for name, method, target, want in SUITE:
    path, _, query = target.partition("?")
    creq = p.canonical_request(method, path, query, SUITE_HEADERS, ["host", "x-amz-date"],
                               p.EMPTY_SHA256)
    got = p.signature(SUITE_SECRET, "20150830T123600Z", SUITE_SCOPE, creq)
    check(f"aws-sig-v4-test-suite {name}", got == want, f"got {got}")

S3_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
S3_ACCESS = "AKIAIOSFODNN7EXAMPLE"
S3_HOST = ("Host", "examplebucket.s3.amazonaws.com")
S3_DATE = ("x-amz-date", "20130524T000000Z")


def s3_request(method, target, extra, signed, body, sig, payload=None):
    payload = payload or hashlib.sha256(body).hexdigest()
    auth = (f"AWS4-HMAC-SHA256 Credential={S3_ACCESS}/20130524/us-east-1/s3/aws4_request,"
            f"SignedHeaders={signed},Signature={sig}")
    headers = [S3_HOST, S3_DATE, ("x-amz-content-sha256", payload)] + extra
    headers.append(("Authorization", auth))
    return [method, target, headers, body]


S3_EXAMPLES = [
    ("S3 example GET object with Range",
     s3_request("GET", "/test.txt", [("Range", "bytes=0-9")],
                "host;range;x-amz-content-sha256;x-amz-date", b"",
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")),
    ("S3 example PUT object (key test$file.text, signed body)",
     s3_request("PUT", "/test%24file.text",
                [("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                 ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                b"Welcome to Amazon S3.",
                "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")),
    ("S3 example GET bucket list (max-keys=2&prefix=J)",
     s3_request("GET", "/?max-keys=2&prefix=J", [], "host;x-amz-content-sha256;x-amz-date", b"",
                "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")),
]


def verify(req, secret=S3_SECRET):
    method, target, headers, body = req
    return p.verify(method, target, headers, body, S3_ACCESS, secret, "us-east-1")


for name, req in S3_EXAMPLES:
    res = verify(req)
    check(f"{name} verifies", res is None, str(res))
check("the PUT example's body hashes to the published 44ce7dd6...",
      hashlib.sha256(b"Welcome to Amazon S3.").hexdigest() ==
      "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")


def tampered(desc, req, want_code, secret=S3_SECRET):
    res = verify(req, secret)
    check(f"tampered: {desc} is rejected with {want_code}",
          res is not None and res[1] == want_code, str(res))


def copy(i):
    m, t, h, b = S3_EXAMPLES[i][1]
    return [m, t, list(h), b]


r = copy(1)
r[3] = b"Welcome to Amazon S4."
tampered("a changed PUT body (hash header left)", r, "XAmzContentSHA256Mismatch")
r = copy(1)
r[3] = b"Welcome to Amazon S4."
r[2] = [(n, hashlib.sha256(r[3]).hexdigest() if n == "x-amz-content-sha256" else v)
        for n, v in r[2]]
tampered("a changed PUT body with its hash header updated", r, "SignatureDoesNotMatch")
r = copy(0)
r[1] = "/test2.txt"
tampered("another key", r, "SignatureDoesNotMatch")
r = copy(0)
r[2] = [(n, "bytes=0-99" if n == "Range" else v) for n, v in r[2]]
tampered("a changed signed header (Range)", r, "SignatureDoesNotMatch")
r = copy(2)
r[1] = "/?max-keys=3&prefix=J"
tampered("a changed query value", r, "SignatureDoesNotMatch")
r = copy(2)
r[1] = "/?prefix=J&max-keys=2"
check("the same query in another order still verifies (it is canonicalised)",
      verify(r) is None, str(verify(r)))
tampered("the right request signed with another secret", copy(0), "SignatureDoesNotMatch",
         secret="S3RVER")
r = copy(0)
r[2] = [(n, v.replace("host;range;", "host;")) if n == "Authorization" else (n, v)
        for n, v in r[2]]
tampered("Range dropped from SignedHeaders", r, "SignatureDoesNotMatch")
r = copy(0)
r[2] = [(n, v) for n, v in r[2] if n != "Range"]
tampered("a signed header that was not sent", r, "SignatureDoesNotMatch")
r = copy(0)
r[2] = [(n, v.replace(";x-amz-content-sha256", "")) if n == "Authorization" else (n, v)
        for n, v in r[2]]
tampered("x-amz-content-sha256 left unsigned", r, "SignatureDoesNotMatch")
r = copy(0)
r[2] = [(n, v) for n, v in r[2] if n != "Authorization"]
tampered("no Authorization header", r, "AccessDenied")
check("the S3 canonical URI encodes a key once, '/' kept, RFC 3986 unreserved only",
      p.canonical_uri("/b/a%20b/c+d/%C3%BC!'()*~") == "/b/a%20b/c%2Bd/%C3%BC%21%27%28%29%2A~",
      p.canonical_uri("/b/a%20b/c+d/%C3%BC!'()*~"))
check("a parameter without '=' has an empty value in the canonical query",
      p.canonical_query("uploads") == "uploads=", p.canonical_query("uploads"))
print(f"# sigv4 vectors: {'all passed' if not failed else f'{failed} failed'}")
sys.exit(1 if failed else 0)
