#!/usr/bin/env bash
# End-to-end: `recsys-tui gen-sample` and `recsys-tui ingest` through the real
# binary: determinism, sample ingest, exit codes and messages, atomicity, and
# the real Olist data from $OLIST_DIR with exact counts (skipped without it).
. "$(dirname "$0")/lib.sh"

count() { sqlite3 "$1" "$2"; }

# --- help and usage ---------------------------------------------------------
check "ingest --help exits 0" "$BIN" ingest --help
"$BIN" ingest --help >"$TMP/help.txt"
check_grep "ingest --help names --data, --db and --quiet" '--data DIR.*' "$TMP/help.txt"
check_grep "ingest --help names --db" '--db PATH' "$TMP/help.txt"
check "gen-sample --help exits 0" "$BIN" gen-sample --help
"$BIN" ingest --no-such-option >/dev/null 2>&1
check_eq "unknown ingest option exits 2" "$?" 2
"$BIN" gen-sample --customers 3 --out "$TMP/x" >/dev/null 2>&1
check_eq "gen-sample --customers out of range exits 2" "$?" 2
"$BIN" gen-sample >/dev/null 2>&1
check_eq "gen-sample without --out exits 2" "$?" 2

# --- gen-sample determinism -------------------------------------------------
check "gen-sample seed 1" "$BIN" gen-sample --out "$TMP/a" --customers 1500 --seed 1
check "gen-sample seed 1 again" "$BIN" gen-sample --out "$TMP/b" --customers 1500 --seed 1
check "gen-sample seed 2" "$BIN" gen-sample --out "$TMP/c" --customers 1500 --seed 2
check "same seed gives byte-identical files" diff -r "$TMP/a" "$TMP/b"
check_fails "a different seed gives different orders" cmp -s "$TMP/a/olist_orders_dataset.csv" "$TMP/c/olist_orders_dataset.csv"
n=$(ls "$TMP/a"/*.csv | wc -l)
check_eq "gen-sample writes all nine files" "$n" 9
check_eq "translation file starts with a UTF-8 BOM" "$(head -c 3 "$TMP/a/product_category_name_translation.csv" | od -An -tx1 | tr -d ' ')" "efbbbf"
check_grep "translation file uses CRLF" $'\r$' "$TMP/a/product_category_name_translation.csv"

# --- ingest the sample --------------------------------------------------------
check "ingest sample data" "$BIN" ingest --quiet --data "$TMP/a" --db "$TMP/s.db"
"$BIN" ingest --data "$TMP/a" --db "$TMP/s.db" >"$TMP/out.txt" 2>"$TMP/err.txt"
check_grep "summary reports duplicates removed" 'exact duplicate rows removed +[0-9]+' "$TMP/out.txt"
check_grep "summary reports outros" "empty category set to 'outros' +[1-9]" "$TMP/out.txt"
check_grep "summary reports outliers" 'price outliers flagged \(> [0-9.]+\) +[1-9]' "$TMP/out.txt"
check_eq "no progress lines when stderr is not a terminal" "$(tr -cd '\r' <"$TMP/err.txt" | wc -c)" 0
check_eq "sample: 1500 people" "$(count "$TMP/s.db" 'SELECT count(DISTINCT customer_unique_id) FROM customers')" 1500
check_eq "sample: meta says sample" "$(count "$TMP/s.db" "SELECT value FROM meta WHERE key='dataset'")" sample
check_eq "sample: report counts match the summary" \
  "$(count "$TMP/s.db" "SELECT count FROM ingest_report WHERE rule='empty_category_outros'")" \
  "$(sed -n "s/.*empty category set to 'outros' *//p" "$TMP/out.txt")"
rep=$(count "$TMP/s.db" "SELECT round(100.0 * sum(n > 1) / count(*)) FROM (SELECT count(*) n FROM customers GROUP BY customer_unique_id)")
check "sample: 1-10% of people buy again (got $rep%)" test "${rep%.*}" -ge 1 -a "${rep%.*}" -le 10
# repeat buyers stay in their taste: their second product shares a category group
# with the first far more often than chance would give
same=$(count "$TMP/s.db" "WITH p AS (SELECT user_id, product_id, ts FROM interactions),
  firsts AS (SELECT user_id, min(ts) t FROM p GROUP BY user_id HAVING count(DISTINCT ts) > 1)
  SELECT count(*) FROM firsts f JOIN p a ON a.user_id = f.user_id AND a.ts = f.t
  JOIN p b ON b.user_id = f.user_id AND b.ts > f.t
  WHERE b.product_id IN (SELECT product_id FROM p WHERE user_id IN (SELECT user_id FROM p WHERE product_id = a.product_id AND user_id <> f.user_id))")
check "sample: repeat buyers buy what others who bought the same thing bought ($same pairs)" test "$same" -gt 0

# --- bad input: exit 1, message names file line column, old db kept --------------
cp -r "$FIXTURES/ingest/good" "$TMP/bad"
cp "$FIXTURES/ingest/bad/bad_price/olist_order_items_dataset.csv" "$TMP/bad/"
before=$(sha256sum <"$TMP/s.db")
"$BIN" ingest --quiet --data "$TMP/bad" --db "$TMP/s.db" >/dev/null 2>"$TMP/bad.err"
check_eq "non-numeric price exits 1" "$?" 1
check_grep "message names file, line and column" 'olist_order_items_dataset.csv line 3 column 6 \(price\)' "$TMP/bad.err"
check_eq "old database unchanged after failure" "$(sha256sum <"$TMP/s.db")" "$before"
check_eq "no temporary file left" "$(ls "$TMP" | grep -c '\.tmp-')" 0
"$BIN" ingest --quiet --data "$TMP/nowhere" --db "$TMP/s.db" >/dev/null 2>&1
check_eq "missing data directory exits 1" "$?" 1

# --- a live server writing the database (its events writer, WAL): re-ingest refuses
# instead of renaming a new file over a database whose -wal another process holds
# (SQLite's corruption case); once the server stops, re-ingest works again.
cp "$TMP/s.db" "$TMP/live.db"
"$BIN" train --quiet --db "$TMP/live.db" >/dev/null 2>&1
printf '[global]\nrate_limit = 0\nlog = off\n[region r1]\nport = 0\nlatitude = 0\nlongitude = 0\n' >"$TMP/live.conf"
if serve_start live 1 --config "$TMP/live.conf" --db "$TMP/live.db"; then
  for _ in $(seq 100); do [ -e "$TMP/live.db-wal" ] && break; sleep 0.05; done
  check "the serving database has a write-ahead log (events writer)" test -e "$TMP/live.db-wal"
  before=$(sqlite3 "$TMP/live.db" .sha3sum) # content: a checkpoint may move pages
  "$BIN" ingest --quiet --data "$TMP/a" --db "$TMP/live.db" >/dev/null 2>"$TMP/live.err"
  check_eq "re-ingest under a live writer exits 1" "$?" 1
  check_grep "the message names the database and says to stop the server" 'live.db is open by a running process.*stop it' "$TMP/live.err"
  check_eq "the live database's content is unchanged" "$(sqlite3 "$TMP/live.db" .sha3sum)" "$before"
  check_eq "no temporary file left beside it" "$(ls "$TMP" | grep -c 'live.db.tmp-')" 0
  kill "$PID_live"; wait "$PID_live" 2>/dev/null
  check "after the server stopped, re-ingest works" "$BIN" ingest --quiet --data "$TMP/a" --db "$TMP/live.db"
  check_eq "and the trained model was carried over" "$(count "$TMP/live.db" 'SELECT count(*) FROM models')" 1
else
  fail "a server on the sample database starts"
fi

# --- a killed ingest (kill -9) leaves its temporary file; the next run removes it
# Sample data with a long geolocation file, so the run lasts a second or two
# and the temporary database exists while it does.
check "gen-sample for the kill -9 test" "$BIN" gen-sample --out "$TMP/k" --customers 20000 --seed 3
awk 'BEGIN { for (i = 0; i < 600000; i++)
  printf "%05d,-23.%06d,-46.%06d,sao paulo,SP\n", i % 99999, i, i }' >>"$TMP/k/olist_geolocation_dataset.csv"
mkdir "$TMP/kill"
KDB=$TMP/kill/k.db
check "ingest a first database" "$BIN" ingest --quiet --data "$TMP/a" --db "$KDB"
# start_slow_ingest: the long ingest in the background ($slow_pid), back once
# its temporary file exists ($slow_tmp; empty when it never appeared).
start_slow_ingest() {
  "$BIN" ingest --quiet --data "$TMP/k" --db "$KDB" >/dev/null 2>"$TMP/slow.err" &
  slow_pid=$!
  slow_tmp=
  for _ in $(seq 1000); do
    slow_tmp=$(ls "$KDB".tmp-* 2>/dev/null | head -1)
    [ -n "$slow_tmp" ] && break
    kill -0 "$slow_pid" 2>/dev/null || break
    sleep 0.005
  done
}
start_slow_ingest
sleep 0.1
kill -9 "$slow_pid"; wait "$slow_pid" 2>/dev/null
check "kill -9 mid-ingest leaves its temporary file (${slow_tmp##*/})" test -n "$slow_tmp" -a -f "$slow_tmp"
# Files that only look like ours are never touched: other databases, other
# lengths, characters mkstemp does not use, a directory.
decoys="k.db.tmp-abc k.db.tmp-ABCDEFG k.db.tmp-AB_123 k.db.tmp-AB.123 other.db.tmp-AbC123 k.dbx.tmp-AbC123 xk.db.tmp-AbC123 k.db.tmp-"
for f in $decoys; do echo decoy >"$TMP/kill/$f"; done
mkdir "$TMP/kill/k.db.tmp-Dir123"
echo "not a database" >"$TMP/kill/k.db.tmp-Zz9999" # stale too: made by hand, unlocked
"$BIN" ingest --quiet --data "$TMP/a" --db "$KDB" >"$TMP/k.out" 2>"$TMP/k.err"
check_eq "the next ingest succeeds" "$?" 0
check_eq "it removed the killed run's temporary file" "$(ls "$TMP/kill" | grep -c "^${slow_tmp##*/}\$")" 0
check_eq "... and the unlocked one made by hand" "$(ls "$TMP/kill" | grep -c '^k.db.tmp-Zz9999$')" 0
check_grep "... and said so, naming them" "removed stale temporary files .*(${slow_tmp##*/}.*k.db.tmp-Zz9999|k.db.tmp-Zz9999.*${slow_tmp##*/})" "$TMP/k.err"
left=0; for f in $decoys k.db.tmp-Dir123; do [ -e "$TMP/kill/$f" ] && left=$((left + 1)); done
check_eq "files that do not match the exact pattern are kept" "$left" 9
check_eq "nothing else is left beside the database" "$(ls "$TMP/kill" | grep -c '^k\.db\.tmp-[A-Za-z0-9]\{6\}$')" 1 # the directory
for f in $decoys k.db.tmp-Dir123; do rm -rf "${TMP:?}/kill/$f"; done
# A live ingest's temporary file is locked: a concurrent run leaves it alone.
start_slow_ingest
kill -STOP "$slow_pid"
"$BIN" ingest --quiet --data "$TMP/a" --db "$KDB" >/dev/null 2>"$TMP/k2.err"
check_eq "an ingest next to a live (stopped) one succeeds" "$?" 0
check "... and leaves the live one's temporary file (${slow_tmp##*/})" test -n "$slow_tmp" -a -f "$slow_tmp"
check_fails "... without claiming it removed anything" grep -q "stale" "$TMP/k2.err"
kill -CONT "$slow_pid"; wait "$slow_pid"
check_eq "the live ingest then finishes" "$?" 0
check "... with its own temporary file renamed into place" test ! -e "$slow_tmp"
check "... and its data in place" test "$(count "$KDB" 'SELECT count(*) FROM geolocation')" -gt 600000

# --- the real dataset ---------------------------------------------------------
if [ -n "${OLIST_DIR:-}" ] && [ -d "$OLIST_DIR" ] && ls "$OLIST_DIR"/olist_orders_dataset.csv* >/dev/null 2>&1; then
  db=$TMP/real.db
  check "ingest the real Olist data" "$BIN" ingest --quiet --data "$OLIST_DIR" --db "$db"
  check_eq "orders" "$(count "$db" 'SELECT count(*) FROM orders')" 99441
  check_eq "order_items" "$(count "$db" 'SELECT count(*) FROM order_items')" 112650
  check_eq "customers" "$(count "$db" 'SELECT count(*) FROM customers')" 99441
  check_eq "distinct customer_unique_id" "$(count "$db" 'SELECT count(DISTINCT customer_unique_id) FROM customers')" 96096
  check_eq "products" "$(count "$db" 'SELECT count(*) FROM products')" 32951
  check_eq "sellers" "$(count "$db" 'SELECT count(*) FROM sellers')" 3095
  check_eq "payments" "$(count "$db" 'SELECT count(*) FROM order_payments')" 103886
  check_eq "category translations" "$(count "$db" 'SELECT count(*) FROM product_category_name_translation')" 71
  # The cleaning counts, recomputed independently from the CSVs with Python.
  python3 - "$OLIST_DIR" >"$TMP/expect.txt" <<'PY'
import csv, gzip, os, statistics, sys
d = sys.argv[1]
def rows(base):
    p = os.path.join(d, base + ".csv")
    f = open(p, newline="", encoding="utf-8-sig") if os.path.exists(p) else gzip.open(p + ".gz", "rt", newline="", encoding="utf-8-sig")
    r = csv.reader(f); h = next(r); return h, list(r)
def have(base):
    return os.path.exists(os.path.join(d, base + ".csv")) or os.path.exists(os.path.join(d, base + ".csv.gz"))
h, prods = rows("olist_products_dataset")
print("outros", sum(1 for p in prods if p[1] == ""))
h, items = rows("olist_order_items_dataset")
prices = [float(i[5]) for i in items]
m, sd = statistics.mean(prices), statistics.stdev(prices)
print("outliers", sum(1 for p in prices if p > m + 3 * sd))
nulls = 0
h, orders = rows("olist_orders_dataset"); nulls += sum(1 for o in orders for v in o[3:] if v == "")
nulls += sum(1 for i in items if i[4] == "")
revs = 0
if have("olist_order_reviews_dataset"):
    h, rv = rows("olist_order_reviews_dataset"); nulls += sum(1 for r in rv for v in r[5:] if v == "")
    revs = len(set((r[0], r[1]) for r in rv))
print("nulls", nulls)
print("reviews", revs)
PY
  exp() { sed -n "s/^$1 //p" "$TMP/expect.txt"; }
  check_eq "reviews (distinct review_id, order_id)" "$(count "$db" 'SELECT count(*) FROM order_reviews')" "$(exp reviews)"
  check_eq "empty category -> outros" "$(count "$db" "SELECT count FROM ingest_report WHERE rule='empty_category_outros'")" "$(exp outros)"
  check_eq "price outliers flagged" "$(count "$db" 'SELECT count(*) FROM order_items WHERE price_outlier = 1')" "$(exp outliers)"
  check_eq "empty timestamps -> NULL" "$(count "$db" "SELECT sum(count) FROM ingest_report WHERE rule='empty_timestamp_null'")" "$(exp nulls)"
  check_eq "no exact duplicates in the real data" "$(count "$db" "SELECT count(*) FROM ingest_report WHERE rule='duplicate_removed'")" 0
  check_eq "foreign keys hold" "$(count "$db" 'SELECT count(*) FROM pragma_foreign_key_check')" 0
  check_eq "interactions exclude canceled, unavailable and outliers" \
    "$(count "$db" 'SELECT count(*) FROM interactions')" \
    "$(count "$db" "SELECT count(*) FROM order_items i JOIN orders o USING(order_id) WHERE o.order_status NOT IN ('canceled','unavailable') AND i.price_outlier = 0 AND o.order_purchase_timestamp IS NOT NULL")"

  # Atomicity on real data: a corrupted copy ingested over the good database.
  mkdir "$TMP/corrupt"
  cp "$OLIST_DIR"/*.csv* "$TMP/corrupt/"
  f=$(ls "$TMP/corrupt"/olist_order_payments_dataset.csv*)
  size=$(stat -c %s "$f")
  head -c $((size / 2)) "$f" >"$f.cut" && mv "$f.cut" "$f"
  before=$(sha256sum <"$db")
  "$BIN" ingest --quiet --data "$TMP/corrupt" --db "$db" >/dev/null 2>"$TMP/corrupt.err"
  check_eq "truncated payments file: exit 1" "$?" 1
  check_grep "the message names the payments file" 'olist_order_payments_dataset.csv' "$TMP/corrupt.err"
  check_eq "real database checksum unchanged" "$(sha256sum <"$db")" "$before"
  check_eq "no temporary file beside the real database" "$(ls "$TMP" | grep -c '\.tmp-')" 0

  # Interrupted mid-way (Ctrl-C, then SIGTERM): exit 128 + signal, the message
  # says so, the old database is byte-identical and no temporary file is left.
  for sig in INT TERM; do
    before=$(sha256sum <"$db")
    rm -f "$TMP"/real.db.tmp-*
    "$BIN" ingest --quiet --data "$OLIST_DIR" --db "$db" >/dev/null 2>"$TMP/sig.err" &
    pid=$!
    # the temporary file appears once the load has begun (handlers installed)
    for _ in $(seq 500); do
      ls "$TMP"/real.db.tmp-* >/dev/null 2>&1 && break
      sleep 0.01
    done
    sleep 0.2
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    want=130; [ "$sig" = TERM ] && want=143
    check_eq "SIG$sig during the real ingest: exit $want" "$rc" "$want"
    check_grep "SIG$sig: the message says it was interrupted" 'interrupted' "$TMP/sig.err"
    check_eq "SIG$sig: old database checksum unchanged" "$(sha256sum <"$db")" "$before"
    check_eq "SIG$sig: no temporary file left" "$(ls "$TMP" | grep -c '\.tmp-')" 0
  done
else
  skip "real Olist data" "no data in ${OLIST_DIR:-\$OLIST_DIR}"
fi
