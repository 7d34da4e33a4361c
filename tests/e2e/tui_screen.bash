# Screen helpers for the dashboard tests in tmux (sourced by tui.sh and
# tui_fleet.sh after lib.sh; not a test itself). The caller sets TM (the tmux
# command with its own socket), PANE (the session to read) and SCREENS (a
# directory for saved screens, or empty). Each capture lands in
# $TMP/screen.txt, where a failed check shows it.

screen() { $TM capture-pane -p -t "$PANE"; }
# wait_screen PATTERN [SECONDS]: polls the pane until the regex matches.
wait_screen() {
  local end=$((SECONDS + ${2:-10}))
  while [ $SECONDS -le "$end" ]; do
    screen >"$TMP/screen.txt"
    grep -Eq -- "$1" "$TMP/screen.txt" && return 0
    sleep 0.1
  done
  return 1
}
save_screen() { [ -n "$SCREENS" ] && mkdir -p "$SCREENS" && screen >"$SCREENS/$1.txt"; }
# check_screen "description" PATTERN [SECONDS]: passes when the pane shows
# PATTERN within SECONDS (default 5). Every check on the screen waits for its
# own text: answers arrive one request at a time (the purchase history comes
# from one region, the agreement line needs only two), and a capture can
# catch a frame half drawn, so seeing one thing says nothing about another.
check_screen() {
  if wait_screen "$2" "${3:-5}"; then
    ok "$1"
  else
    fail "$1: /$2/ not on screen"; sed 's/^/#   /' "$TMP/screen.txt"
  fi
}
# check_gone "description" PATTERN [SECONDS]: passes when the pane stops
# showing PATTERN within SECONDS (default 5).
check_gone() {
  local end=$((SECONDS + ${3:-5}))
  while [ $SECONDS -le "$end" ]; do
    screen >"$TMP/screen.txt"
    grep -Eq -- "$2" "$TMP/screen.txt" || { ok "$1"; return; }
    sleep 0.1
  done
  fail "$1: /$2/ still on screen"; sed 's/^/#   /' "$TMP/screen.txt"
}
# wait_count N PATTERN [SECONDS]: polls until PATTERN occurs exactly N times.
wait_count() {
  local end=$((SECONDS + ${3:-10}))
  while [ $SECONDS -le "$end" ]; do
    screen >"$TMP/screen.txt"
    [ "$(grep -Eo -- "$2" "$TMP/screen.txt" | wc -l)" -eq "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
