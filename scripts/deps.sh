#!/bin/sh
# Install the Debian packages one purpose needs, and only those missing:
#   deps.sh run    build and run the product
#   deps.sh test   the test tools (tmux, sqlite3 shell, curl, python3, valgrind, haproxy
#                  and iproute2 for the router test), and s3rver (the S3 test peer)
#                  from npm into tests/.node (git-ignored)
#   deps.sh bench  the benchmark peers (wrk, nginx, haproxy, redis, scikit-learn, pandas)
#   deps.sh fuzz   clang for libFuzzer
# Several purposes may be named at once. Idempotent: a warm machine pays ~0.1 s.
# `deps.sh --print PURPOSE...` prints the package list and installs nothing.
set -eu
PKGS=""
print=0
S3RVER=s3rver@3.7.1 # npm, for the test purpose
npm_want=0
[ "${1:-}" = "--print" ] && { print=1; shift; }
[ $# -eq 0 ] && set -- run
for purpose in "$@"; do
  case "$purpose" in
    run) PKGS="$PKGS build-essential pkg-config libsqlite3-dev libcsv-dev libncurses-dev
              libopenblas-dev liblapacke-dev libcurl4-openssl-dev libcjson-dev zlib1g-dev" ;;
    test) PKGS="$PKGS sqlite3 tmux curl python3 valgrind nodejs haproxy iproute2"
          npm_want=1 ;;
    bench) PKGS="$PKGS sqlite3 curl python3 wrk nginx-light haproxy python3-sklearn python3-pandas
                time redis-server" ;;
    fuzz) PKGS="$PKGS clang" ;;
    *) echo "deps.sh: unknown purpose '$purpose' (run, test, bench, fuzz)" >&2; exit 2 ;;
  esac
done
# Debian's npm only when no npm came with nodejs (NodeSource's nodejs has its own).
[ "$npm_want" -eq 1 ] && ! command -v npm >/dev/null 2>&1 && PKGS="$PKGS npm"
if [ "$print" -eq 1 ]; then
  echo $PKGS | tr ' ' '\n' | sort -u
  [ "$npm_want" -eq 1 ] && echo "npm:$S3RVER"
  exit 0
fi
missing=""
for p in $PKGS; do
  case " $missing " in *" $p "*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "deps: installing$missing" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >&2
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $missing >&2
fi
# The S3 test peer, project-local so no global npm prefix is touched; the
# e2e tests run tests/.node/node_modules/.bin/s3rver.
if [ "$npm_want" -eq 1 ]; then
  node_dir=$(cd "$(dirname "$0")/.." && pwd)/tests/.node
  want=${S3RVER#*@}
  have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$node_dir/node_modules/s3rver/package.json" \
    2>/dev/null || true)
  if [ "$have" != "$want" ]; then
    echo "deps: npm install $S3RVER into $node_dir" >&2
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error "$S3RVER" >&2
  fi
fi
