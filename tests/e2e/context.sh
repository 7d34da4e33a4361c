#!/bin/bash
# End-to-end: a recommendation request's context (state, category, exclude)
# filters and boosts, and GET /api/v1/products/{id}/audience lists likely
# buyers; bad input is refused naming the field (issue 12). Real binary,
# real sockets on 127.0.0.1, ephemeral ports.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
PIDS=""
cleanup() { for p in $PIDS; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

DB=$TMP/db.sqlite
sample_db "$DB" 1500 7 --no-eval
check_eq "a database with a hybrid model" "$(sqlite3 "$DB" 'SELECT algorithm FROM models' 2>&1)" hybrid
printf '[global]\ndatabase = %s\nlog = off\nrate_limit = 0\n[region us-west]\nport = 0\nlocation = Test\nlatitude = 0\nlongitude = 0\n' \
  "$DB" >"$TMP/regions.conf"
serve_start srv 1 --config "$TMP/regions.conf" && PORT=$(serve_port srv us-west)
check "the server starts" test -n "$PORT"

# Every check runs in one Python process: the facts it needs from the database
# (a user with history, a category with several products, a state, a cold
# user) are read with sqlite3, and the answers are checked against them.
"$PY" - "$PORT" "$DB" <<'PYEOF'
import json, sqlite3, sys, urllib.request, urllib.error
port, db = int(sys.argv[1]), sys.argv[2]
con = sqlite3.connect(db)
base = f"http://127.0.0.1:{port}"

def req(method, path, body=None):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    r = urllib.request.Request(base + path, data=data, method=method,
                               headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(r, timeout=10) as f:
            return f.status, json.loads(f.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")

def say(ok, what):
    print(("ok - " if ok else "not ok - ") + what)

def msg(doc):
    return json.dumps(doc)

cat_of = dict(con.execute(
    "SELECT p.product_id, COALESCE(t.product_category_name_english, p.product_category_name)"
    " FROM products p LEFT JOIN product_category_name_translation t"
    " ON t.product_category_name = p.product_category_name"))
warm = con.execute("SELECT user_id FROM interactions GROUP BY user_id"
                   " ORDER BY COUNT(*) DESC, user_id LIMIT 1").fetchone()[0]
cold = "0" * 31 + "1"
top_cat = con.execute(
    "SELECT c FROM (SELECT COALESCE(t.product_category_name_english, p.product_category_name) c,"
    " COUNT(*) n FROM products p LEFT JOIN product_category_name_translation t"
    " ON t.product_category_name = p.product_category_name GROUP BY c) ORDER BY n DESC LIMIT 1"
).fetchone()[0]
state = con.execute("SELECT customer_state FROM customers GROUP BY customer_state"
                    " ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
state_pop = [p for (p,) in con.execute(
    "SELECT i.product_id FROM interactions i JOIN customers c ON c.customer_unique_id = i.user_id"
    " WHERE c.customer_state = ? GROUP BY i.product_id ORDER BY COUNT(*) DESC", (state,))]

def recs(user, body):
    s, d = req("POST", f"/api/v1/recommendations/user/{user}", body)
    return s, d, [x["product_id"] for x in d.get("recommendations", [])] if s == 200 else []

# plain request: the list the filters start from
s, d, plain = recs(warm, {"count": 10})
say(s == 200 and len(plain) == 10, f"a warm user gets 10 recommendations (status {s})")

# category: every item in it, count kept, filled past the algorithm's list
s, d, got = recs(warm, {"count": 8, "context": {"category": top_cat}})
say(s == 200 and len(got) == 8 and all(cat_of.get(p) == top_cat for p in got),
    f"context.category keeps only {top_cat} ({len(got)} items, status {s})")
say(all(x["source"] for x in d.get("recommendations", [])),
    "every filtered item keeps its source")

# exclude: the plain list's first three are gone, the rest still come
s, d, got = recs(warm, {"count": 10, "context": {"exclude": plain[:3]}})
say(s == 200 and len(got) == 10 and not set(plain[:3]) & set(got)
    and got[:7] == plain[3:10], "context.exclude drops exactly the listed products")
s, d, got = recs(warm, {"count": 10, "context": {"exclude": [plain[0].upper(), "f" * 32]}})
say(s == 200 and plain[0] not in got,
    "exclude ids are case-insensitive; an unknown well-formed id is ignored")

# state: a cold user gets products popular in that state (its recent window) first
s, d, got = recs(cold, {"count": 3, "context": {"state": state}})
say(s == 200 and len(got) == 3 and set(got) <= set(state_pop) and
    all(x["source"] == "popularity:state" for x in d["recommendations"]),
    f"context.state {state}: a cold user gets products bought in {state}, source popularity:state")
s, d, got2 = recs(cold, {"count": 3})
say(s == 200 and got2 != got, "without the context the cold list differs")

# the context is not cached under the plain key: the plain list comes back
s, d, again = recs(warm, {"count": 10})
say(again == plain, "a plain request after context requests still gets the plain list")

# bad input: 422 naming the field
bad = [
    ({"state": "ZZ"}, "context.state", 422),
    ({"state": "sp"}, "context.state", 422),
    ({"state": 5}, "context.state", 422),
    ({"category": "no_such_category"}, "context.category", 422),
    ({"category": ""}, "context.category", 422),
    ({"exclude": ["abc"]}, "context.exclude[0]", 422),
    ({"exclude": [plain[0], "g" * 32]}, "context.exclude[1]", 422),
    ({"exclude": "abc"}, "context.exclude", 422),
    ({"exclude": [plain[0]] * 101}, "context.exclude", 422),
    ({"colour": "red"}, "context.colour", 422),
    ("SP", "context", 422),
]
for ctx, field, want in bad:
    s, d = req("POST", f"/api/v1/recommendations/user/{warm}", {"count": 5, "context": ctx})
    m = d.get("error", {}).get("message", "") if isinstance(d, dict) else str(d)
    say(s == want and field in m, f"context {json.dumps(ctx)[:40]}: {want} naming {field} (got {s}: {m[:70]})")
s, d = req("POST", f"/api/v1/recommendations/user/{warm}", b'{"count": 5, "context": {"state": "SP"')
say(s == 400, f"a truncated body is still a 400 (got {s})")

# audience of a product with buyers: recent buyers of similar products
pid = con.execute("SELECT product_id FROM interactions GROUP BY product_id"
                  " ORDER BY COUNT(*) DESC, product_id LIMIT 1").fetchone()[0]
owners = {u for (u,) in con.execute("SELECT user_id FROM interactions WHERE product_id = ?", (pid,))}
s, d = req("GET", f"/api/v1/products/{pid}/audience?count=5")
aud = d.get("audience", []) if isinstance(d, dict) else []
say(s == 200 and 1 <= len(aud) <= 5 and d.get("count") == len(aud) and d.get("product_id") == pid,
    f"audience: 200 with up to 5 customers (got {s}, {len(aud)})")
times = [a["last_purchase"] for a in aud]
say(times == sorted(times, reverse=True), "audience: most recent purchase first")
ok = True
for a in aud:
    ts = con.execute("SELECT MAX(ts) FROM interactions WHERE user_id = ? AND product_id = ?",
                     (a["user_id"], a["via"])).fetchone()[0]
    ok &= ts is not None and ts[:19] == a["last_purchase"][:19] and a["user_id"] not in owners \
        and a["via"] != pid
say(ok, "audience: each customer bought the 'via' product then, and not the product itself")
s, d = req("GET", f"/api/v1/products/{pid}/audience")
say(s == 200 and len(d.get("audience", [])) <= 10, "audience: count defaults to 10")
s, d = req("GET", f"/api/v1/products/{'e' * 32}/audience")
say(s == 404, f"audience: unknown product is 404 (got {s})")
for path, what in [(f"/api/v1/products/xyz/audience", "malformed id"),
                   (f"/api/v1/products/{pid}/audience?count=0", "count 0"),
                   (f"/api/v1/products/{pid}/audience?count=101", "count 101"),
                   (f"/api/v1/products/{pid}/audience?count=abc", "count abc")]:
    s, d = req("GET", path)
    m = d.get("error", {}).get("message", "") if isinstance(d, dict) else ""
    say(s == 400 and ("count" in m or "product_id" in m), f"audience: {what} is 400 naming it (got {s}: {m[:60]})")
s, d = req("POST", f"/api/v1/products/{pid}/audience")
say(s == 405, f"audience: POST is 405 (got {s})")
# the served OpenAPI document describes both
s, d = req("GET", "/openapi.json")
post = d["paths"]["/api/v1/recommendations/user/{user_id}"]["post"]
props = post["requestBody"]["content"]["application/json"]["schema"]["properties"]
say(s == 200 and set(props["context"]["properties"]) == {"state", "category", "exclude"}
    and "422" in post["responses"] and "/api/v1/products/{product_id}/audience" in d["paths"],
    "openapi.json documents the context, its 422 and the audience route")
get = d["paths"]["/api/v1/recommendations/user/{user_id}"]["get"]
say({"state", "category", "exclude"} <= {x.get("name") for x in get["parameters"]}
    and "422" in get["responses"], "openapi.json documents the GET context parameters")
# the same context as GET query parameters
s, d = req("GET", f"/api/v1/recommendations/user/{warm}?count=6&category={top_cat}")
got = [x["product_id"] for x in d.get("recommendations", [])] if s == 200 else []
say(s == 200 and len(got) == 6 and all(cat_of.get(p) == top_cat for p in got),
    f"GET ?category= filters too (got {s}, {len(got)})")
s, d = req("GET", f"/api/v1/recommendations/user/{warm}?count=10&exclude={plain[0]},{plain[1]}")
got = [x["product_id"] for x in d.get("recommendations", [])] if s == 200 else []
say(s == 200 and got[:8] == plain[2:10], "GET ?exclude=a,b drops both")
for qs, field in [("state=ZZ", "context.state"), ("state=" + "S" * 20, "context.state"),
                  ("category=nope", "context.category"), ("category=" + "c" * 200, "context.category"),
                  ("exclude=" + plain[0] + ",xyz", "context.exclude[1]"),
                  ("exclude=" + ",".join([plain[0]] * 101), "context.exclude")]:
    s, d = req("GET", f"/api/v1/recommendations/user/{warm}?{qs}")
    m = d.get("error", {}).get("message", "") if isinstance(d, dict) else ""
    say(s == 422 and field in m, f"GET ?{qs[:30]}: 422 naming {field} (got {s}: {m[:60]})")
PYEOF
# the server stops cleanly on SIGTERM
kill -TERM $PIDS 2>/dev/null
wait $PIDS 2>/dev/null
check_eq "the server exits 0 on SIGTERM" "$?" 0
PIDS=""
