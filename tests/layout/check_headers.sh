#!/bin/sh
# Checks that every function a header under src/ declares is defined in that
# header's own .c file (x.h declares what x.c defines, nothing else), so a
# reader who sees a call finds it by its header's name. Uses gcc -aux-info,
# which lists each declaration with the file and line it came from.
# Usage: check_headers.sh [SRC_DIR]; prints one line per misplaced
# declaration and exits 1 when there is any.
set -u
src=${1:-src}
CC=${CC:-cc}
cflags="-std=c11 -D_GNU_SOURCE -I$src $(pkg-config --cflags sqlite3 libcurl ncursesw libcjson openblas 2>/dev/null)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for c in $(find "$src" -name '*.c' | sort); do
  # shellcheck disable=SC2086
  $CC $cflags -fsyntax-only -aux-info "$tmp/one" "$c" 2>"$tmp/err" || {
    echo "$c: does not compile:"; cat "$tmp/err"; exit 1; }
  cat "$tmp/one" >>"$tmp/all"
done
# Declarations: "/* src/x/y.h:12:NC */ extern int y_fn (...);" (not static inline).
# Definitions:  "/* src/x/y.c:40:NF */ int y_fn (...)".
awk -v src="$src/" '
  function fname(line,   s) {
    s = line; sub(/ *\(.*$/, "", s); sub(/^.* \**/, "", s); return s
  }
  {
    loc = $2; sub(/:[0-9]+:[A-Z]+$/, "", loc)
    if (index(loc, src) != 1) next
    rest = $0; sub(/^\/\* [^ ]+ \*\/ /, "", rest)
    if (rest ~ /(^| )static /) next
    name = fname(rest)
    if (loc ~ /\.h$/ && $2 ~ /:N?C$|:[NO]C$/) decl[loc SUBSEP name] = 1
    if (loc ~ /\.c$/ && $2 ~ /F$/) def[name] = loc
  }
  END {
    bad = 0
    for (k in decl) {
      split(k, p, SUBSEP); h = p[1]; n = p[2]
      own = h; sub(/\.h$/, ".c", own)
      if (def[n] != own) {
        printf "%s declares %s, defined in %s\n", h, n, (n in def) ? def[n] : "no .c"
        bad = 1
      }
    }
    exit bad
  }' "$tmp/all" >"$tmp/out"
rc=$?
sort "$tmp/out"
exit $rc
