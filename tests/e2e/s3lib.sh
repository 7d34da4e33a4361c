# A real S3 server for the e2e scripts: s3rver (npm, installed into tests/.node by
# `make deps-test`) behind the verifying SigV4 proxy (tests/e2e/sigv4_proxy.py), both on
# free loopback ports with their files under $TMP. Source it after lib.sh (bash).
#
#   s3_available          0 when node and s3rver are installed (s3rver is installed into
#                         tests/.node first when only it is missing); else prints why and
#                         returns 1 when node or npm is absent (skip the test), 2 when the
#                         npm install failed (fail it)
#   s3_start [BUCKET...]  starts s3rver with the buckets (data in $TMP/s3rver) and the proxy
#                         in front of it, then exports what the client reads:
#                           AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$S3_SECRET
#                           AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:PROXY
#                         S3_SECRET is not s3rver's default secret (S3RVER, also its access
#                         key) but a string found nowhere else, so a test can grep every
#                         output for it; s3rver does not check V4 signatures, the proxy
#                         does, with this secret.
#                         and sets S3_PROXY_PORT, S3_DIRECT_PORT and S3_DIRECT_URL (s3rver
#                         itself: it checks the access key, not the signature), S3RVER_PID and
#                         S3_PROXY_PID (kill S3RVER_PID for "S3 is down": the proxy then
#                         answers 503 ServiceUnavailable). Virtual-host
#                         addressing works too: RECSYS_S3_PATH_STYLE=0 and
#                         AWS_ENDPOINT_URL=http://s3.localhost:$S3_PROXY_PORT (curl resolves
#                         BUCKET.s3.localhost to loopback; s3rver is told its domain). Replaces the
#                         EXIT trap with one that runs s3_stop and then the previous trap.
#                         Returns 1, after printing the logs, when either did not come up.
#   s3_mkbucket NAME      creates a bucket with a signed PUT through the proxy (curl)
#   s3_stats              the proxy's statistics, one JSON line:
#                           {"verified": N, "rejected": N, "ops": {"UploadPart": N, ...},
#                            "reasons": ["why the last rejections failed", ...]}
#   s3_stat FIELD         one number from it: verified, rejected, or an operation name
#                         (PutObject, GetObject, UploadPart, CompleteMultipartUpload,
#                         AbortMultipartUpload, ListObjectsV2, DeleteObject, ...); 0 when absent
#   s3_fail OP N STATUS [COUNT]  the proxy answers the Nth next verified OP request (and the
#                         COUNT-1 after it) with STATUS and an S3 error body instead of
#                         forwarding it: 500/503 exercise retries, 403 a hard failure
#   s3_fail_clear         no more injected failures
#   s3_stop               stops s3rver and the proxy (idempotent)
#
# Every request the client sends through AWS_ENDPOINT_URL is verified: a test that wants to
# prove it asserts `s3_stat rejected` is 0 and `s3_stat verified` grew.

S3_NODE_DIR=$ROOT/tests/.node
S3RVER_BIN=$S3_NODE_DIR/node_modules/.bin/s3rver
S3_SECRET=s3rver-test-secret-4Qz7wK
S3_PIDS=""

s3_available() {
  if ! command -v node >/dev/null 2>&1; then
    echo "node is not installed (make deps-test installs nodejs and s3rver)"
    return 1
  fi
  [ -x "$S3RVER_BIN" ] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is not installed (make deps-test installs it and s3rver)"
    return 1
  fi
  # node and npm are here, so a missing s3rver (tests run without `make deps-test`) is
  # installed now, the version scripts/deps.sh names; failing that is an error, not a skip.
  s3_pkg=$(sh "$ROOT/scripts/deps.sh" --print test | sed -n 's/^npm://p')
  if ! npm install --prefix "$S3_NODE_DIR" --no-audit --no-fund --loglevel=error "$s3_pkg" \
    >"$TMP/npm.log" 2>&1 || [ ! -x "$S3RVER_BIN" ]; then
    echo "npm install $s3_pkg into tests/.node failed: $(tail -3 "$TMP/npm.log" | tr '\n' ' ')"
    return 2
  fi
  return 0
}

s3_trap_arg() { printf '%s' "$2"; }

s3_stop() {
  for p in $S3_PIDS; do kill "$p" 2>/dev/null; done
  for p in $S3_PIDS; do wait "$p" 2>/dev/null; done
  S3_PIDS=""
}

s3_start() {
  s3_available >/dev/null || { s3_available; return 1; }
  mkdir -p "$TMP/s3rver"
  # The caller's EXIT trap ("trap -- 'CMD' EXIT") runs after ours.
  s3_prev=$(trap -p EXIT)
  S3_PREV_TRAP=""
  [ -n "$s3_prev" ] && S3_PREV_TRAP=$(eval "s3_trap_arg ${s3_prev#trap }")
  trap 's3_stop; eval "$S3_PREV_TRAP"' EXIT
  # shellcheck disable=SC2046
  set -- $(for b in "$@"; do echo "--configure-bucket $b"; done)
  # s3rver's ListObjectsV2 continuation tokens are DES-encrypted: OpenSSL 3 keeps DES in
  # its legacy provider.
  NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--openssl-legacy-provider" \
    "$S3RVER_BIN" -d "$TMP/s3rver" -a 127.0.0.1 -p 0 --service-endpoint localhost "$@" \
    >"$TMP/s3rver.log" 2>&1 &
  S3RVER_PID=$!
  S3_PIDS="$S3_PIDS $!"
  S3_DIRECT_PORT=""
  for _ in $(seq 1 200); do
    S3_DIRECT_PORT=$(sed -n 's/.*S3rver listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/s3rver.log" | head -1)
    [ -n "$S3_DIRECT_PORT" ] && break
    sleep 0.05
  done
  if [ -z "$S3_DIRECT_PORT" ]; then
    echo "# s3rver did not start:"; sed 's/^/#   /' "$TMP/s3rver.log" | head -20
    return 1
  fi
  rm -f "$TMP/sigv4.port"
  SIGV4_SECRET=$S3_SECRET SIGV4_ACCESS_KEY=S3RVER python3 "$ROOT/tests/e2e/sigv4_proxy.py" \
    --upstream "127.0.0.1:$S3_DIRECT_PORT" --port-file "$TMP/sigv4.port" \
    >"$TMP/sigv4.out" 2>"$TMP/sigv4.err" &
  S3_PROXY_PID=$!
  S3_PIDS="$S3_PIDS $!"
  for _ in $(seq 1 200); do
    [ -s "$TMP/sigv4.port" ] && break
    sleep 0.05
  done
  if [ ! -s "$TMP/sigv4.port" ]; then
    echo "# the SigV4 proxy did not start:"; sed 's/^/#   /' "$TMP/sigv4.err" | head -20
    return 1
  fi
  S3_PROXY_PORT=$(cat "$TMP/sigv4.port")
  S3_DIRECT_URL=http://127.0.0.1:$S3_DIRECT_PORT
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$S3_SECRET AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PROXY_PORT
  unset AWS_DEFAULT_REGION RECSYS_S3_PATH_STYLE
  return 0
}

s3_mkbucket() {
  curl -sf -o /dev/null -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" -u "S3RVER:$S3_SECRET" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$AWS_ENDPOINT_URL/$1"
}

s3_stats() {
  curl -sf "http://127.0.0.1:$S3_PROXY_PORT/__stats" && echo
}

s3_stat() {
  s3_stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
f = sys.argv[1]
print(s[f] if f in ("verified", "rejected") else s["ops"].get(f, 0))' "$1"
}

# s3_fail OP N STATUS [COUNT]: the proxy answers the Nth next verified OP request, and the
# COUNT-1 after it, with STATUS instead of forwarding it (sigv4_proxy.py /__fail).
s3_fail() {
  curl -sf -o /dev/null -X POST \
    "http://127.0.0.1:$S3_PROXY_PORT/__fail?op=$1&nth=$2&status=$3&count=${4:-1}"
}

# s3_fail_clear: no more injected failures.
s3_fail_clear() {
  curl -sf -o /dev/null -X DELETE "http://127.0.0.1:$S3_PROXY_PORT/__fail"
}
