#!/bin/bash
# The S3 client (src/store/s3.c) through `recsys-tui s3`, against s3rver behind the
# verifying SigV4 proxy (s3lib.sh): every request the client sends is signature-checked.
# Round trips with sha256, a 70 MiB multipart upload, ListObjectsV2 paging over 1000 keys,
# retries of injected 5xx, aborts of failed multipart uploads, and the error sentences for
# a wrong secret, a missing bucket or key, a dead or hung server and an oversized object.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/s3lib.sh"

why=$(s3_available)
case $? in
  0) ;;
  1) skip "s3 client e2e" "$why"; echo "# s3.sh: skipped"; exit 0 ;;
  *) fail "the S3 test peer: $why"; echo "# s3.sh: failed"; exit 1 ;;
esac
if ! s3_start bkt; then
  fail "s3rver and the SigV4 proxy start"
  exit 1
fi
ok "s3rver and the SigV4 proxy start (s3rver :$S3_DIRECT_PORT, proxy :$S3_PROXY_PORT)"
S3() { "$BIN" s3 "$@"; }
now_ms() { date +%s%3N; }
mbps() { python3 -c "import sys; print(f'{$1 / 1048576 / max($2, 1) * 1000:.0f}')"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- small round trip, with a key that needs encoding ---------------------------------
head -c 100000 /dev/urandom >"$TMP/small"
KEY="dir/we+ird&k=ey=ü(1)~!*'.bin"
v0=$(s3_stat verified)
check "put a small file under a key with + & = ü ( ) ! * '" S3 put "s3://bkt/$KEY" "$TMP/small"
check "get it back" S3 get "s3://bkt/$KEY" "$TMP/small.back"
check_eq "the round trip keeps the bytes (sha256)" "$(sha "$TMP/small.back")" "$(sha "$TMP/small")"
S3 get "s3://bkt/$KEY" "$TMP/small.back2" >"$TMP/get.out"
check_grep "get prints the size and the sha256 of what it wrote" \
  "100000 bytes, sha256 $(sha "$TMP/small")" "$TMP/get.out"
check_eq "the listing decodes the key's XML entities" \
  "$(S3 ls s3://bkt/dir/ 2>/dev/null)" "100000 $KEY"
check_eq "the proxy verified all 4 requests and rejected none" \
  "$(($(s3_stat verified) - v0)) $(s3_stat rejected)" "4 0"

# --- virtual-host addressing (BUCKET.s3.localhost) ------------------------------------
v0=$(s3_stat verified)
VH="env RECSYS_S3_PATH_STYLE=0 AWS_ENDPOINT_URL=http://s3.localhost:$S3_PROXY_PORT $BIN s3"
check "virtual-host style: put" $VH put s3://bkt/vhost/a.bin "$TMP/small"
check "virtual-host style: get" $VH get s3://bkt/vhost/a.bin "$TMP/vh.back"
check_eq "virtual-host style: same bytes, listed, 3 verified requests" \
  "$(sha "$TMP/vh.back") $($VH ls s3://bkt/vhost/ 2>/dev/null) $(($(s3_stat verified) - v0))" \
  "$(sha "$TMP/small") 100000 vhost/a.bin 3"
check_eq "and it landed in the same bucket as path style sees it" \
  "$(S3 ls s3://bkt/vhost/ 2>/dev/null)" "100000 vhost/a.bin"

# --- 70 MiB: multipart up, streamed down -----------------------------------------------
# maxrss_mib CMD...: runs CMD (stdout dropped) and prints its peak RSS in MiB, or "failed".
maxrss_mib() {
  python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024 if rc == 0 else "failed")' "$@"
}
dd if=/dev/urandom of="$TMP/big" bs=1M count=70 status=none
parts0=$(s3_stat UploadPart)
rss_small=$(maxrss_mib "$BIN" s3 put s3://bkt/rss-baseline.bin "$TMP/small")
t0=$(now_ms)
rss_put=$(maxrss_mib "$BIN" s3 put s3://bkt/big.bin "$TMP/big")
t1=$(now_ms)
rss_get=$(maxrss_mib "$BIN" s3 get s3://bkt/big.bin "$TMP/big.back")
t2=$(now_ms)
check "put 70 MiB" test "$rss_put" != failed
check "get 70 MiB" test "$rss_get" != failed
check_eq "70 MiB comes back identical" "$(sha "$TMP/big.back")" "$(sha "$TMP/big")"
check_eq "it went up as 5 UploadParts of 16 MiB and one Complete, all verified" \
  "$(($(s3_stat UploadPart) - parts0)) $(s3_stat CompleteMultipartUpload) $(s3_stat rejected)" \
  "5 1 0"
# Streamed both ways: neither the 70 MiB file nor one 16 MiB part is ever held in memory,
# so the peak RSS stays within 12 MiB of a 100 KB put's (the sanitizer builds' shadow
# memory included: it is in the baseline).
if [ "$rss_put" != failed ] && [ "$rss_put" -le $((rss_small + 12)) ] &&
   [ "$rss_get" != failed ] && [ "$rss_get" -le $((rss_small + 12)) ]; then
  ok "70 MiB streamed: peak RSS put $rss_put MiB, get $rss_get MiB (a 100 KB put: $rss_small MiB)"
else
  fail "70 MiB streamed: peak RSS put $rss_put MiB, get $rss_get MiB (a 100 KB put: $rss_small MiB; limit +12)"
fi
big=$((70 << 20))
echo "# 70 MiB through the SigV4 proxy: up $(mbps $big $((t1 - t0))) MB/s," \
  "down $(mbps $big $((t2 - t1))) MB/s"
t0=$(now_ms)
AWS_ENDPOINT_URL=$S3_DIRECT_URL S3 put s3://bkt/big-direct.bin "$TMP/big" >/dev/null
t1=$(now_ms)
AWS_ENDPOINT_URL=$S3_DIRECT_URL S3 get s3://bkt/big-direct.bin "$TMP/big.direct" >/dev/null
t2=$(now_ms)
echo "# 70 MiB direct to s3rver: up $(mbps $big $((t1 - t0))) MB/s," \
  "down $(mbps $big $((t2 - t1))) MB/s"
rm -f "$TMP/big.back" "$TMP/big.direct"

# --- failures inside a multipart upload -------------------------------------------------
parts0=$(s3_stat UploadPart)
s3_fail UploadPart 3 503
check "a 503 on part 3 is retried and the upload completes" S3 put s3://bkt/retried.bin "$TMP/big"
check_eq "part 3 was sent twice (6 UploadParts)" "$(($(s3_stat UploadPart) - parts0))" 6
s3_fail UploadPart 2 403
S3 put s3://bkt/aborted.bin "$TMP/big" >/dev/null 2>"$TMP/abort.err"
check_eq "a 403 on part 2 fails the put with exit 1" "$?" 1
check_grep "the error names the part's URL and the 403" \
  "PUT http://127\.0\.0\.1:$S3_PROXY_PORT/bkt/aborted\.bin\?partNumber=2&uploadId=.*: 403 AccessDenied" \
  "$TMP/abort.err"
check_eq "the failed multipart upload was aborted" "$(s3_stat AbortMultipartUpload)" 1
check_fails "no object appears under the aborted key" S3 get s3://bkt/aborted.bin "$TMP/x"
rm -f "$TMP/big"

# --- retries on GET ----------------------------------------------------------------------
s3_fail GetObject 1 500 2
check "two 500s on a GET are retried through" S3 get "s3://bkt/$KEY" "$TMP/r1"
s3_fail GetObject 1 503 3
start=$(now_ms)
S3 get "s3://bkt/$KEY" "$TMP/r2" 2>"$TMP/retry.err" >/dev/null
check_eq "three 503s fail the GET" "$?" 1
check_grep "the error says 503 SlowDown after 3 attempts" "503 SlowDown: .*\(3 attempts\)" \
  "$TMP/retry.err"
check "no partial file is left behind" test ! -e "$TMP/r2" -a ! -e "$TMP/r2.part"
s3_fail_clear

# --- ListObjectsV2 paging ----------------------------------------------------------------
printf x >"$TMP/one"
for i in $(seq -w 1 1001); do
  printf 'upload-file = "%s"\nurl = "%s/bkt/many/k%s"\noutput = "/dev/null"\n' \
    "$TMP/one" "$AWS_ENDPOINT_URL" "$i"
done >"$TMP/curl.cfg"
check "1001 objects uploaded by curl --aws-sigv4 through the proxy" \
  curl -sf -Z --parallel-max 8 --aws-sigv4 "aws:amz:us-east-1:s3" -u "S3RVER:$S3_SECRET" \
  -H "x-amz-content-sha256: $(sha "$TMP/one")" -K "$TMP/curl.cfg"
lists0=$(s3_stat ListObjectsV2)
S3 ls s3://bkt/many/ >"$TMP/ls.out" 2>/dev/null
check_eq "ls lists all 1001 keys, in order, once each" \
  "$(wc -l <"$TMP/ls.out") $(sort -u "$TMP/ls.out" | wc -l) $(sort -c "$TMP/ls.out" && echo sorted)" \
  "1001 1001 sorted"
check_eq "in 2 pages of the server's 1000 (continuation token followed)" \
  "$(($(s3_stat ListObjectsV2) - lists0))" 2
lists0=$(s3_stat ListObjectsV2)
check_eq "with RECSYS_S3_LIST_PAGE=100: the same 1001 keys in 11 pages" \
  "$(RECSYS_S3_LIST_PAGE=100 S3 ls s3://bkt/many/ 2>/dev/null | cmp - "$TMP/ls.out" && echo same) $(($(s3_stat ListObjectsV2) - lists0))" \
  "same 11"
check_eq "a prefix narrows the listing" "$(S3 ls s3://bkt/many/k100 2>/dev/null | wc -l)" 2

# --- delete ------------------------------------------------------------------------------
check "rm deletes an object" S3 rm s3://bkt/retried.bin
check_fails "it is gone" S3 get s3://bkt/retried.bin "$TMP/x"
check "rm of a missing key succeeds (S3's rule)" S3 rm s3://bkt/retried.bin
check_eq "every request so far was verified; none rejected" "$(s3_stat rejected)" 0

# --- errors ------------------------------------------------------------------------------
SECRET=not-the-secret-7f3e
AWS_SECRET_ACCESS_KEY=$SECRET S3 get "s3://bkt/$KEY" "$TMP/x" >"$TMP/wrong.out" 2>"$TMP/wrong.err"
check_eq "a wrong secret: exit 1" "$?" 1
check_grep "the error names the method, URL, 403 and SignatureDoesNotMatch" \
  "GET http://127\.0\.0\.1:$S3_PROXY_PORT/bkt/dir/we%2Bird%26k%3Dey%3D%C3%BC%281%29~%21%2A%27\.bin: 403 SignatureDoesNotMatch" \
  "$TMP/wrong.err"
check "the secret is printed nowhere" sh -c "! grep -q -- '$SECRET' '$TMP/wrong.out' '$TMP/wrong.err'"
check_eq "the proxy rejected exactly that request" "$(s3_stat rejected)" 1
AWS_SECRET_ACCESS_KEY=$SECRET S3 put s3://bkt/forged.bin "$TMP/one" 2>/dev/null
check_eq "a put with a wrong secret fails" "$?" 1
check_fails "and stores nothing" S3 get s3://bkt/forged.bin "$TMP/x"

S3 get s3://no-such-bucket/k "$TMP/x" 2>"$TMP/nob.err"
check_eq "an unknown bucket: exit 1" "$?" 1
check_grep "the error names the URL and NoSuchBucket" \
  "GET http://127\.0\.0\.1:$S3_PROXY_PORT/no-such-bucket/k: 404 NoSuchBucket" "$TMP/nob.err"
S3 get s3://bkt/no/such/key "$TMP/x" 2>"$TMP/nok.err"
check_grep "a missing key: 404 NoSuchKey naming the URL" \
  "GET http://127\.0\.0\.1:$S3_PROXY_PORT/bkt/no/such/key: 404 NoSuchKey" "$TMP/nok.err"

# AWS_REGION is the signature's scope: the proxy (us-east-1) refuses a request signed for
# eu-west-1, and a second proxy that verifies for eu-west-1 accepts it.
AWS_REGION=eu-west-1 S3 get "s3://bkt/$KEY" "$TMP/x" 2>"$TMP/region.err" >/dev/null
check_eq "AWS_REGION=eu-west-1 against a us-east-1 server: exit 1" "$?" 1
check_grep "... 403 SignatureDoesNotMatch naming the URL" \
  "GET http://127\.0\.0\.1:$S3_PROXY_PORT/bkt/.*: 403 SignatureDoesNotMatch" "$TMP/region.err"
check_grep "... because it was signed for eu-west-1 (the proxy's reason)" \
  "scope '[0-9]{8}/eu-west-1/s3/aws4_request', expected '[0-9]{8}/us-east-1/" <(s3_stats)
SIGV4_SECRET=$S3_SECRET SIGV4_ACCESS_KEY=S3RVER python3 "$ROOT/tests/e2e/sigv4_proxy.py" \
  --upstream "127.0.0.1:$S3_DIRECT_PORT" --region eu-west-1 --port-file "$TMP/eu.port" \
  >/dev/null 2>"$TMP/eu.err" &
eu_pid=$!
for _ in $(seq 1 200); do [ -s "$TMP/eu.port" ] && break; sleep 0.05; done
check "AWS_REGION=eu-west-1 with AWS_ENDPOINT_URL at a server verifying eu-west-1: get works" \
  env AWS_REGION=eu-west-1 AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$TMP/eu.port")" \
  "$BIN" s3 get "s3://bkt/$KEY" "$TMP/eu.back"
check_eq "... the same bytes, 1 request verified there, none rejected" \
  "$(sha "$TMP/eu.back") $(curl -sf "http://127.0.0.1:$(cat "$TMP/eu.port")/__stats" |
    python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["verified"], s["rejected"])')" \
  "$(sha "$TMP/small") 1 0"
kill "$eu_pid"
wait "$eu_pid" 2>/dev/null

# Temporary (STS) credentials: AWS_SESSION_TOKEN goes with every request as a signed
# x-amz-security-token. A proxy that demands a token (1,200 characters, as STS's are long)
# refuses a request without it and accepts the same request with it.
TOKEN=$(python3 -c 'print("FwoGZXIvYXdzE" + "tokenpart" * 133)')
SIGV4_SESSION_TOKEN=$TOKEN SIGV4_SECRET=$S3_SECRET SIGV4_ACCESS_KEY=S3RVER \
  python3 "$ROOT/tests/e2e/sigv4_proxy.py" --upstream "127.0.0.1:$S3_DIRECT_PORT" \
  --port-file "$TMP/sts.port" >/dev/null 2>"$TMP/sts.err" &
sts_pid=$!
for _ in $(seq 1 200); do [ -s "$TMP/sts.port" ] && break; sleep 0.05; done
STS_URL=http://127.0.0.1:$(cat "$TMP/sts.port")
AWS_ENDPOINT_URL=$STS_URL "$BIN" s3 get "s3://bkt/$KEY" "$TMP/sts.back" 2>"$TMP/sts1.err" >/dev/null
check_eq "no AWS_SESSION_TOKEN where the server wants one: exit 1" "$?" 1
check_grep "... 403 InvalidToken naming the URL" "GET $STS_URL/bkt/.*: 403 InvalidToken" "$TMP/sts1.err"
AWS_ENDPOINT_URL=$STS_URL AWS_SESSION_TOKEN=$TOKEN "$BIN" s3 get "s3://bkt/$KEY" "$TMP/sts.back" \
  >"$TMP/sts2.out" 2>&1
check_eq "with AWS_SESSION_TOKEN: get works" "$?" 0
check_eq "... the same bytes, verified with the token signed, none rejected after" \
  "$(sha "$TMP/sts.back") $(curl -sf "$STS_URL/__stats" |
    python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["verified"], s["rejected"])')" \
  "$(sha "$TMP/small") 1 1"
check "... and the token is in no output" sh -c "! grep -qF -e '$TOKEN' '$TMP/sts1.err' '$TMP/sts2.out'"
kill "$sts_pid"
wait "$sts_pid" 2>/dev/null

S3 get --max-bytes 99999 "s3://bkt/$KEY" "$TMP/cap" 2>"$TMP/cap.err"
check_eq "an object over --max-bytes: exit 1" "$?" 1
check_grep "the error says so" "larger than the 99999-byte limit" "$TMP/cap.err"
check "and leaves no file" test ! -e "$TMP/cap" -a ! -e "$TMP/cap.part"
check "an object of exactly --max-bytes is fine" S3 get --max-bytes 100000 "s3://bkt/$KEY" "$TMP/cap"

dead=$(free_port)
start=$(now_ms)
AWS_ENDPOINT_URL=http://127.0.0.1:$dead S3 get s3://bkt/k "$TMP/x" 2>"$TMP/dead.err"
rc=$?
took=$(($(now_ms) - start))
check_eq "a server that is down: exit 1" "$rc" 1
check_grep "the error names the URL, the refusal and the 3 attempts" \
  "GET http://127\.0\.0\.1:$dead/bkt/k: .*(refused|connect).*\(3 attempts\)" "$TMP/dead.err"
check "it gives up within 5 s (took ${took} ms)" test "$took" -lt 5000

# A server that accepts and then says nothing: the stall limit ends the wait.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$TMP/mute.port" &
mute=$!
for _ in $(seq 1 100); do [ -s "$TMP/mute.port" ] && break; sleep 0.05; done
start=$(now_ms)
RECSYS_S3_STALL_SECONDS=2 AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$TMP/mute.port") \
  S3 get s3://bkt/k "$TMP/x" 2>"$TMP/mute.err"
rc=$?
took=$(($(now_ms) - start))
kill $mute 2>/dev/null
check_eq "a server that never answers: exit 1" "$rc" 1
check "it gives up after the 2 s stall limit, not retried (took ${took} ms)" \
  test "$took" -ge 1900 -a "$took" -lt 6000
check_grep "the error names the URL and the stall" "GET http://127\.0\.0\.1:[0-9]+/bkt/k: .*(too slow|[Tt]imeout)" \
  "$TMP/mute.err"

check_grep "recsys-tui --help lists the s3 command" "^  s3 " <("$BIN" --help)
S3 --help >"$TMP/help.out"
check_grep "recsys-tui s3 --help names the environment it reads" \
  "AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY" "$TMP/help.out"
check_fails "a usage error: no key in the URL" S3 get s3://bkt "$TMP/x"
S3 put s3://bkt/k 2>/dev/null
check_eq "a usage error exits 2" "$?" 2
AWS_ACCESS_KEY_ID= S3 ls s3://bkt 2>"$TMP/nokey.err"
check_grep "no credentials: the variable is named" "AWS_ACCESS_KEY_ID is not set" "$TMP/nokey.err"

kill "$S3RVER_PID"
wait "$S3RVER_PID" 2>/dev/null
S3 get "s3://bkt/$KEY" "$TMP/x" 2>"$TMP/down.err"
check_eq "S3 down behind the proxy: exit 1" "$?" 1
check_grep "the error says 503 ServiceUnavailable after 3 attempts" \
  "GET http://127\.0\.0\.1:$S3_PROXY_PORT/bkt/.*: 503 ServiceUnavailable: .*\(3 attempts\)" \
  "$TMP/down.err"

s3_stop
# The secret (s3lib.sh's S3_SECRET, found nowhere else) in no output, error or file the
# client wrote.
check_fails "the secret is in no output of this test" \
  grep -rlF --exclude-dir=s3rver -- "$S3_SECRET" "$TMP"
echo "# s3.sh: done"
