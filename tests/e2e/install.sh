#!/bin/bash
# `make install` and the regions file lookup, end to end: a staged install
# (DESTDIR, PREFIX=/usr) puts the config in /etc/recsys-tui, the installed
# binary run from an empty directory finds it there, an edited config
# survives a second install and an uninstall, and the "not found" error
# names every path tried. The Makefile runs on a copy of the build tree, so
# only cli/conffile.o (the compiled-in path) is rebuilt and the binary the
# other tests use is left alone.
. "$(dirname "$0")/lib.sh"

case "$BUILD" in /*) SRC_BUILD=$BUILD ;; *) SRC_BUILD=$ROOT/$BUILD ;; esac
if [ ! -d "$SRC_BUILD/lib" ]; then
  skip "make install" "no build tree at $SRC_BUILD"
  exit 0
fi
mkdir -p "$TMP/build"
tar -C "$SRC_BUILD" --exclude=./tests --exclude=./fuzz -cf - . | tar -C "$TMP/build" -xf -
# make_in ARGS...: the project's make on the copied tree, not the caller's
# (a `make test` exports its own variables in MAKEFLAGS).
make_in() {
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" BUILD="$TMP/build" SAN="${SAN:-}" "$@"
}

# --- staged install, as a package build does ---------------------------------
D=$TMP/dest
if ! make_in install DESTDIR="$D" PREFIX=/usr >"$TMP/install.log" 2>&1; then
  fail "make install DESTDIR=... PREFIX=/usr"; sed 's/^/#   /' "$TMP/install.log" | tail -20
  exit 1
fi
ok "make install DESTDIR=... PREFIX=/usr"
check "the binary is in /usr/bin" test -x "$D/usr/bin/recsys-tui"
check "the man page is in /usr/share/man/man1" test -f "$D/usr/share/man/man1/recsys-tui.1"
check "regions.conf is installed to /etc/recsys-tui (PREFIX=/usr: SYSCONFDIR=/etc)" \
  cmp "$ROOT/regions.conf" "$D/etc/recsys-tui/regions.conf"
check "the shipped regions.conf is kept under /usr/share/recsys-tui" \
  cmp "$ROOT/regions.conf" "$D/usr/share/recsys-tui/regions.conf"
check_fails "nothing is installed outside DESTDIR's /usr and /etc" \
  sh -c "ls -A '$D' | grep -Evx 'usr|etc'"

INST=$D/usr/bin/recsys-tui
"$INST" --monitor --help >"$TMP/help" 2>&1
check_grep "--help names the installed regions file" '/etc/recsys-tui/regions\.conf' "$TMP/help"

# The installed binary from an empty directory: no ./regions.conf, so it
# reads /etc/recsys-tui/regions.conf. A private mount namespace lays the
# staged /etc over the real one (nothing is written to the real /etc).
mkdir -p "$TMP/empty"
if unshare -rm sh -c "mount -t overlay overlay -o lowerdir='$D/etc':/etc /etc" 2>/dev/null; then
  (cd "$TMP/empty" && unshare -rm sh -c "mount -t overlay overlay -o lowerdir='$D/etc':/etc /etc &&
    exec '$INST' --serve --region no-such-region") >"$TMP/found" 2>&1
  check_eq "installed binary in an empty directory: usage error for the unknown region" "$?" 2
  check_grep "... which it looked up in /etc/recsys-tui/regions.conf" \
    "no region 'no-such-region' in /etc/recsys-tui/regions\.conf" "$TMP/found"
  (cd "$TMP/empty" && unshare -rm sh -c "mount -t overlay overlay -o lowerdir='$D/etc':/etc /etc &&
    exec '$INST' --monitor" </dev/null) >"$TMP/found" 2>&1
  check_grep "--monitor from an empty directory reads the installed config (then wants a tty)" \
    'needs a terminal' "$TMP/found"
else
  skip "installed binary finds /etc/recsys-tui/regions.conf" "no mount namespace with overlayfs here"
fi
# Without the installed file: every path tried is named.
if [ ! -e /etc/recsys-tui/regions.conf ]; then
  (cd "$TMP/empty" && "$INST" --serve) >"$TMP/notfound" 2>&1
  check_eq "no regions file anywhere: exit status 1" "$?" 1
  check_grep "the error names ./regions.conf and /etc/recsys-tui/regions.conf" \
    "no regions file: tried \./regions\.conf, /etc/recsys-tui/regions\.conf" "$TMP/notfound"
  (cd "$TMP/empty" && "$INST" --monitor </dev/null) >"$TMP/notfound" 2>&1
  check_grep "--monitor names the same paths" 'tried \./regions\.conf, /etc/recsys-tui/regions\.conf' \
    "$TMP/notfound"
else
  skip "not-found error" "this machine has /etc/recsys-tui/regions.conf"
fi

# An edited config survives a second install and the uninstall.
echo "# edited by the operator" >>"$D/etc/recsys-tui/regions.conf"
make_in install DESTDIR="$D" PREFIX=/usr >"$TMP/install2.log" 2>&1
check_grep "a second install says it kept the edited config" 'kept the edited .*/etc/recsys-tui/regions\.conf' "$TMP/install2.log"
check_grep "... and the edit is still there" '^# edited by the operator' "$D/etc/recsys-tui/regions.conf"
make_in uninstall DESTDIR="$D" PREFIX=/usr >"$TMP/uninstall.log" 2>&1
check_fails "uninstall removes the binary" test -e "$INST"
check_fails "uninstall removes the man page" test -e "$D/usr/share/man/man1/recsys-tui.1"
check_fails "uninstall removes /usr/share/recsys-tui" test -e "$D/usr/share/recsys-tui"
check_grep "uninstall keeps the edited config" '^# edited by the operator' "$D/etc/recsys-tui/regions.conf"
# An untouched config goes with the uninstall, and its directory too.
D2=$TMP/dest2
make_in install DESTDIR="$D2" PREFIX=/usr >"$TMP/install3.log" 2>&1
make_in uninstall DESTDIR="$D2" PREFIX=/usr >>"$TMP/install3.log" 2>&1
check_fails "uninstall removes an unedited config and /etc/recsys-tui" test -e "$D2/etc/recsys-tui"

# --- a real install under PREFIX (no DESTDIR): SYSCONFDIR is PREFIX/etc -----
P=$TMP/prefix
make_in install PREFIX="$P" >"$TMP/install4.log" 2>&1
check "make install PREFIX=DIR puts regions.conf in DIR/etc/recsys-tui" \
  cmp "$ROOT/regions.conf" "$P/etc/recsys-tui/regions.conf"
(cd "$TMP/empty" && "$P/bin/recsys-tui" --serve --region no-such-region) >"$TMP/found2" 2>&1
check_grep "the binary finds DIR/etc/recsys-tui/regions.conf from an empty directory" \
  "no region 'no-such-region' in $P/etc/recsys-tui/regions\.conf" "$TMP/found2"
# ./regions.conf, when present, comes first.
printf '[region local-one]\nport = 0\n' >"$TMP/empty/regions.conf"
(cd "$TMP/empty" && "$P/bin/recsys-tui" --serve --region no-such-region) >"$TMP/found3" 2>&1
check_grep "./regions.conf wins over the installed one" "no region 'no-such-region' in regions\.conf" "$TMP/found3"
rm -f "$TMP/empty/regions.conf"
# --config names exactly one file: no fallback when it is missing.
(cd "$TMP/empty" && "$P/bin/recsys-tui" --serve --config "$TMP/missing.conf") >"$TMP/given" 2>&1
check_eq "a missing --config file fails (exit 1)" "$?" 1
check_grep "... naming that file, not the installed one" "$TMP/missing\.conf: cannot open" "$TMP/given"
