#!/bin/sh
# Install the Debian packages recsys-tui needs to build, test and benchmark.
# Idempotent: asks apt only for what is missing, so a warm machine pays ~0.1 s.
set -eu
PKGS="build-essential pkg-config libsqlite3-dev libcsv-dev libncurses-dev libopenblas-dev
liblapacke-dev libcurl4-openssl-dev libcjson-dev zlib1g-dev sqlite3 tmux curl python3
wrk nginx-light python3-sklearn python3-pandas clang time valgrind"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >&2
