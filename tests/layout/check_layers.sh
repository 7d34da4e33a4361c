#!/bin/sh
# Checks the layering rules of src/ (README "Architecture"): which folders a
# file may include from, and which system headers a layer may not touch.
# Usage: check_layers.sh [SRC_DIR]   (default: src)
# Prints one line per violation, "FILE:LINE: LAYER may not include HEADER",
# and exits 1 when there is any; 0 and no output when the tree is clean.
#
#   cli    -> net tui store ingest engine conf util     (main.c is cli)
#   net    -> store engine conf util
#   store  -> util        (S3 over libcurl: model artifacts, manifests, pointers)
#   tui    -> conf util        (talks to regions over HTTP only)
#   ingest -> util
#   engine -> util
#   conf   -> util
#   util   -> nothing
set -u
src=${1:-src}
allowed() {
  case "$1" in
    cli) echo "cli net tui store ingest engine conf util" ;;
    net) echo "net store engine conf util" ;;
    store) echo "store util" ;;
    tui) echo "tui conf util" ;;
    ingest) echo "ingest util" ;;
    engine) echo "engine util" ;;
    conf) echo "conf util" ;;
    util) echo "util" ;;
    *) echo "" ;;
  esac
}
# System headers a layer must not see: sockets and curses stay out of the
# engine, curses out of the server, SQLite and sockets out of the dashboard.
forbidden_system() {
  case "$1" in
    engine | ingest | conf | util) echo "sys/socket.h netinet/ arpa/ curses.h ncurses curl/" ;;
    net) echo "curses.h ncurses" ;;
    tui) echo "sqlite3.h sys/socket.h netinet/" ;;
    store) echo "curses.h ncurses sqlite3.h" ;;
    *) echo "" ;;
  esac
}
bad=0
for f in $(find "$src" -name '*.[ch]' | sort); do
  rel=${f#"$src"/}
  case "$rel" in
    */*) layer=${rel%%/*} ;;
    *) layer=cli ;;
  esac
  ok=$(allowed "$layer")
  if [ -z "$ok" ]; then
    echo "$f: folder '$layer' is not a known layer"
    bad=1
    continue
  fi
  sys=$(forbidden_system "$layer")
  out=$(awk -v ok=" $ok " -v sys="$sys" -v layer="$layer" -v file="$f" '
    /^[ \t]*#[ \t]*include[ \t]*"/ {
      h = $0; sub(/^[^"]*"/, "", h); sub(/".*$/, "", h)
      if (h ~ /\//) {
        dir = h; sub(/\/.*$/, "", dir)
        if (index(ok, " " dir " ") == 0)
          printf "%s:%d: %s may not include \"%s\"\n", file, NR, layer, h
      }
    }
    /^[ \t]*#[ \t]*include[ \t]*</ {
      h = $0; sub(/^[^<]*</, "", h); sub(/>.*$/, "", h)
      n = split(sys, s, " ")
      for (i = 1; i <= n; i++)
        if (index(h, s[i]) == 1)
          printf "%s:%d: %s may not include <%s>\n", file, NR, layer, h
    }' "$f")
  if [ -n "$out" ]; then
    echo "$out"
    bad=1
  fi
done
exit $bad
