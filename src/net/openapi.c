/* OpenAPI document and /docs page (see openapi.h). Keep the document in step
 * with docs/API.md and the routes in api.c: tests/e2e/serve.sh checks that
 * every served path is listed. */
#include "net/openapi.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char spec[] =
    "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"recsys-tui region API\",\"version\":\"1.0.0\",\"description\""
    ":\"Every region serves the same API. Errors are {\\\"error\\\":{\\\"status\\\":N,\\\"message\\\":\\\"...\\"
    "\"}}. Every response carries X-Region; Region-Hint routes to a region or the nearest health"
    "y one.\"},\"paths\":{\"/api/v1/health/\":{\"get\":{\"summary\":\"Region health: status, uptime, requ"
    "ests, latency, cache, model, database\",\"operationId\":\"health\",\"parameters\":[{\"$ref\":\"#/com"
    "ponents/parameters/RegionHint\"}],\"responses\":{\"200\":{\"description\":\"Health\",\"content\":{\"ap"
    "plication/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Health\"}}}},\"405\":{\"description\":\""
    "Method not allowed (see Allow)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/compone"
    "nts/schemas/Error\"}}}},\"429\":{\"description\":\"Rate limited (see Retry-After)\",\"content\":{\"a"
    "pplication/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}}}},\"/api/v1/recommenda"
    "tions/user/{user_id}\":{\"get\":{\"summary\":\"Top-N recommendations for a user\",\"operationId\":\""
    "recommendGet\",\"security\":[{\"ApiKey\":[]},{}],\"parameters\":[{\"name\":\"user_id\",\"in\":\"path\",\"r"
    "equired\":true,\"description\":\"customer_unique_id or customer_id (32 hex characters)\",\"schem"
    "a\":{\"type\":\"string\",\"pattern\":\"^[0-9a-f]{32}$\"}},{\"name\":\"count\",\"in\":\"query\",\"required\":f"
    "alse,\"schema\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":100,\"default\":10}},{\"$ref\":\"#/compon"
    "ents/parameters/RegionHint\"}],\"responses\":{\"200\":{\"description\":\"Top-N recommendations\",\"c"
    "ontent\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Recommendations\"}}}},\""
    "400\":{\"description\":\"Bad JSON, count or id\",\"content\":{\"application/json\":{\"schema\":{\"$ref"
    "\":\"#/components/schemas/Error\"}}}},\"401\":{\"description\":\"Missing or wrong X-API-Key (only "
    "when keys are configured)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/s"
    "chemas/Error\"}}}},\"405\":{\"description\":\"Method not allowed (see Allow)\",\"content\":{\"applic"
    "ation/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"429\":{\"description\":\"Rate "
    "limited (see Retry-After)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/s"
    "chemas/Error\"}}}},\"503\":{\"description\":\"No model and no fallback\",\"content\":{\"application/"
    "json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}}},\"post\":{\"summary\":\"Top-N recomm"
    "endations for a user (JSON body)\",\"operationId\":\"recommendPost\",\"security\":[{\"ApiKey\":[]},"
    "{}],\"parameters\":[{\"name\":\"user_id\",\"in\":\"path\",\"required\":true,\"description\":\"customer_un"
    "ique_id or customer_id (32 hex characters)\",\"schema\":{\"type\":\"string\",\"pattern\":\"^[0-9a-f]"
    "{32}$\"}},{\"$ref\":\"#/components/parameters/RegionHint\"}],\"requestBody\":{\"required\":false,\"c"
    "ontent\":{\"application/json\":{\"schema\":{\"type\":\"object\",\"properties\":{\"count\":{\"type\":\"inte"
    "ger\",\"minimum\":1,\"maximum\":100,\"default\":10},\"allow_repurchase\":{\"type\":\"boolean\",\"default"
    "\":false}}}}}},\"responses\":{\"200\":{\"description\":\"Top-N recommendations\",\"content\":{\"applic"
    "ation/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Recommendations\"}}}},\"400\":{\"descripti"
    "on\":\"Bad JSON, count or id\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/"
    "schemas/Error\"}}}},\"401\":{\"description\":\"Missing or wrong X-API-Key (only when keys are co"
    "nfigured)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}"
    "},\"405\":{\"description\":\"Method not allowed (see Allow)\",\"content\":{\"application/json\":{\"sc"
    "hema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"429\":{\"description\":\"Rate limited (see Ret"
    "ry-After)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}"
    "},\"503\":{\"description\":\"No model and no fallback\",\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}},\"413\":{\"description\":\"Body too large\",\"content\":{"
    "\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}}}},\"/api/v1/recommen"
    "dations/stats\":{\"get\":{\"summary\":\"Model, cache and request statistics\",\"operationId\":\"stat"
    "s\",\"security\":[{\"ApiKey\":[]},{}],\"parameters\":[{\"$ref\":\"#/components/parameters/RegionHint"
    "\"}],\"responses\":{\"200\":{\"description\":\"Statistics\",\"content\":{\"application/json\":{\"schema\""
    ":{\"type\":\"object\"}}}},\"401\":{\"description\":\"Missing or wrong X-API-Key (only when keys are"
    " configured)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\""
    "}}}},\"405\":{\"description\":\"Method not allowed (see Allow)\",\"content\":{\"application/json\":{"
    "\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"429\":{\"description\":\"Rate limited (see "
    "Retry-After)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\""
    "}}}},\"503\":{\"description\":\"No model and no fallback\",\"content\":{\"application/json\":{\"schem"
    "a\":{\"$ref\":\"#/components/schemas/Error\"}}}}}}},\"/api/v1/users/{user_id}\":{\"get\":{\"summary\""
    ":\"A user's purchase history and RFM features\",\"operationId\":\"user\",\"security\":[{\"ApiKey\":["
    "]},{}],\"parameters\":[{\"name\":\"user_id\",\"in\":\"path\",\"required\":true,\"description\":\"customer"
    "_unique_id or customer_id (32 hex characters)\",\"schema\":{\"type\":\"string\",\"pattern\":\"^[0-9a"
    "-f]{32}$\"}},{\"$ref\":\"#/components/parameters/RegionHint\"}],\"responses\":{\"200\":{\"descriptio"
    "n\":\"User\",\"content\":{\"application/json\":{\"schema\":{\"type\":\"object\"}}}},\"404\":{\"description"
    "\":\"Unknown user\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Err"
    "or\"}}}},\"400\":{\"description\":\"Bad JSON, count or id\",\"content\":{\"application/json\":{\"schem"
    "a\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"401\":{\"description\":\"Missing or wrong X-API-K"
    "ey (only when keys are configured)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/com"
    "ponents/schemas/Error\"}}}},\"405\":{\"description\":\"Method not allowed (see Allow)\",\"content\""
    ":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"429\":{\"descriptio"
    "n\":\"Rate limited (see Retry-After)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/com"
    "ponents/schemas/Error\"}}}},\"503\":{\"description\":\"No model and no fallback\",\"content\":{\"app"
    "lication/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}}}},\"/api/v1/products/{pr"
    "oduct_id}\":{\"get\":{\"summary\":\"Product details, popularity and similar products\",\"operation"
    "Id\":\"product\",\"security\":[{\"ApiKey\":[]},{}],\"parameters\":[{\"name\":\"product_id\",\"in\":\"path\""
    ",\"required\":true,\"schema\":{\"type\":\"string\",\"pattern\":\"^[0-9a-f]{32}$\"}},{\"$ref\":\"#/compone"
    "nts/parameters/RegionHint\"}],\"responses\":{\"200\":{\"description\":\"Product\",\"content\":{\"appli"
    "cation/json\":{\"schema\":{\"type\":\"object\"}}}},\"404\":{\"description\":\"Unknown product\",\"conten"
    "t\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"400\":{\"descript"
    "ion\":\"Bad JSON, count or id\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components"
    "/schemas/Error\"}}}},\"401\":{\"description\":\"Missing or wrong X-API-Key (only when keys are c"
    "onfigured)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}"
    "}},\"405\":{\"description\":\"Method not allowed (see Allow)\",\"content\":{\"application/json\":{\"s"
    "chema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"429\":{\"description\":\"Rate limited (see Re"
    "try-After)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}"
    "}},\"503\":{\"description\":\"No model and no fallback\",\"content\":{\"application/json\":{\"schema\""
    ":{\"$ref\":\"#/components/schemas/Error\"}}}}}}},\"/api/v1/models\":{\"get\":{\"summary\":\"Stored mo"
    "del versions\",\"operationId\":\"modelsList\",\"security\":[{\"ApiKey\":[]},{}],\"responses\":{\"200\":"
    "{\"description\":\"Models\",\"content\":{\"application/json\":{\"schema\":{\"type\":\"object\"}}}},\"401\""
    ":{\"description\":\"Missing or wrong X-API-Key (only when keys are configured)\",\"content\":{\"a"
    "pplication/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"405\":{\"description\":\""
    "Method not allowed (see Allow)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/compone"
    "nts/schemas/Error\"}}}},\"429\":{\"description\":\"Rate limited (see Retry-After)\",\"content\":{\"a"
    "pplication/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"503\":{\"description\":\""
    "No model and no fallback\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/sc"
    "hemas/Error\"}}}}}}},\"/api/v1/models/{version}/activate\":{\"post\":{\"summary\":\"Activate a mod"
    "el version; every region in the process reloads\",\"operationId\":\"modelActivate\",\"security\":"
    "[{\"ApiKey\":[]},{}],\"parameters\":[{\"name\":\"version\",\"in\":\"path\",\"required\":true,\"schema\":{\""
    "type\":\"integer\",\"minimum\":1}}],\"responses\":{\"200\":{\"description\":\"New active version\",\"con"
    "tent\":{\"application/json\":{\"schema\":{\"type\":\"object\"}}}},\"404\":{\"description\":\"Unknown ver"
    "sion\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"40"
    "0\":{\"description\":\"Bad JSON, count or id\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":"
    "\"#/components/schemas/Error\"}}}},\"401\":{\"description\":\"Missing or wrong X-API-Key (only wh"
    "en keys are configured)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/sch"
    "emas/Error\"}}}},\"405\":{\"description\":\"Method not allowed (see Allow)\",\"content\":{\"applicat"
    "ion/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"429\":{\"description\":\"Rate li"
    "mited (see Retry-After)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/sch"
    "emas/Error\"}}}},\"503\":{\"description\":\"No model and no fallback\",\"content\":{\"application/js"
    "on\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}}}},\"/api/v1/models/rollback\":{\"post"
    "\":{\"summary\":\"Back to the previously active version; every region reloads\",\"operationId\":\""
    "modelRollback\",\"security\":[{\"ApiKey\":[]},{}],\"responses\":{\"200\":{\"description\":\"New active"
    " version\",\"content\":{\"application/json\":{\"schema\":{\"type\":\"object\"}}}},\"400\":{\"description"
    "\":\"Bad JSON, count or id\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/sc"
    "hemas/Error\"}}}},\"401\":{\"description\":\"Missing or wrong X-API-Key (only when keys are conf"
    "igured)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"405\":{\"description\":\"Method not allowed (see Allow)\",\"content\":{\"application/json\":{\"sche"
    "ma\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"429\":{\"description\":\"Rate limited (see Retry"
    "-After)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"503\":{\"description\":\"No model and no fallback\",\"content\":{\"application/json\":{\"schema\":{\""
    "$ref\":\"#/components/schemas/Error\"}}}}}}},\"/metrics\":{\"get\":{\"summary\":\"Prometheus metrics"
    " of this region\",\"operationId\":\"metrics\",\"responses\":{\"200\":{\"description\":\"Prometheus tex"
    "t format 0.0.4\",\"content\":{\"text/plain\":{\"schema\":{\"type\":\"string\"}}}},\"405\":{\"description"
    "\":\"Method not allowed (see Allow)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/comp"
    "onents/schemas/Error\"}}}}}}},\"/openapi.json\":{\"get\":{\"summary\":\"This document\",\"operationI"
    "d\":\"openapi\",\"responses\":{\"200\":{\"description\":\"OpenAPI 3.0 document\",\"content\":{\"applicat"
    "ion/json\":{\"schema\":{\"type\":\"object\"}}}},\"405\":{\"description\":\"Method not allowed (see All"
    "ow)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"429"
    "\":{\"description\":\"Rate limited (see Retry-After)\",\"content\":{\"application/json\":{\"schema\":"
    "{\"$ref\":\"#/components/schemas/Error\"}}}}}}},\"/docs\":{\"get\":{\"summary\":\"Self-contained HTML"
    " rendering of this document\",\"operationId\":\"docs\",\"responses\":{\"200\":{\"description\":\"HTML "
    "page\",\"content\":{\"text/html\":{\"schema\":{\"type\":\"string\"}}}},\"405\":{\"description\":\"Method n"
    "ot allowed (see Allow)\",\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/sche"
    "mas/Error\"}}}},\"429\":{\"description\":\"Rate limited (see Retry-After)\",\"content\":{\"applicati"
    "on/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}}}}},\"components\":{\"parameters\""
    ":{\"RegionHint\":{\"name\":\"Region-Hint\",\"in\":\"header\",\"required\":false,\"description\":\"Serve f"
    "rom this region, or the nearest healthy one when it is down\",\"schema\":{\"type\":\"string\"}}},"
    "\"securitySchemes\":{\"ApiKey\":{\"type\":\"apiKey\",\"in\":\"header\",\"name\":\"X-API-Key\"}},\"schemas\":"
    "{\"Error\":{\"type\":\"object\",\"required\":[\"error\"],\"properties\":{\"error\":{\"type\":\"object\",\"req"
    "uired\":[\"status\",\"message\"],\"properties\":{\"status\":{\"type\":\"integer\"},\"message\":{\"type\":\"s"
    "tring\"}}}}},\"Item\":{\"type\":\"object\",\"properties\":{\"rank\":{\"type\":\"integer\"},\"product_id\":{"
    "\"type\":\"string\"},\"category\":{\"type\":\"string\"},\"price\":{\"type\":\"number\",\"nullable\":true},\"a"
    "vg_rating\":{\"type\":\"number\"},\"n_ratings\":{\"type\":\"integer\"},\"score\":{\"type\":\"number\"},\"sou"
    "rce\":{\"type\":\"string\"}}},\"Recommendations\":{\"type\":\"object\",\"properties\":{\"user_id\":{\"type"
    "\":\"string\"},\"known\":{\"type\":\"boolean\"},\"state\":{\"type\":\"string\"},\"region\":{\"type\":\"string\""
    "},\"served_by\":{\"type\":\"string\"},\"latency_ms\":{\"type\":\"number\"},\"cache\":{\"type\":\"string\",\"e"
    "num\":[\"HIT\",\"MISS\"]},\"model_version\":{\"type\":\"integer\"},\"recommendations\":{\"type\":\"array\","
    "\"items\":{\"$ref\":\"#/components/schemas/Item\"}}}},\"Health\":{\"type\":\"object\",\"properties\":{\"r"
    "egion\":{\"type\":\"string\"},\"location\":{\"type\":\"string\"},\"status\":{\"type\":\"string\",\"enum\":[\"U"
    "P\",\"DEGRADED\"]},\"uptime_s\":{\"type\":\"number\"},\"requests\":{\"type\":\"object\"},\"latency_ms\":{\"t"
    "ype\":\"object\"},\"cache\":{\"type\":\"object\"},\"model\":{\"type\":\"object\"},\"database\":{\"type\":\"obj"
    "ect\"}}}}}}"
    ;

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>recsys-tui API</title><style>"
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
    "h2{border-bottom:1px solid #ccc}.op{border:1px solid #ddd;border-radius:4px;margin:1em 0;"
    "padding:.5em 1em}.m{display:inline-block;min-width:4em;font-weight:bold;color:#fff;"
    "padding:.1em .4em;border-radius:3px;text-align:center}.get{background:#2a7ab0}"
    ".post{background:#3a9a4a}code{background:#f3f3f3;padding:0 .2em}table{border-collapse:"
    "collapse}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left}</style></head>"
    "<body><h1 id=\"title\">recsys-tui API</h1><p id=\"desc\"></p><div id=\"ops\"></div>"
    "<noscript><p>JavaScript is off: the raw document follows.</p></noscript>"
    "<script type=\"application/json\" id=\"spec\">";

static const char html_tail[] =
    "</script><script>\n"
    "(function(){var s=JSON.parse(document.getElementById('spec').textContent);\n"
    "function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;"
    "if(x!==undefined)e.textContent=x;return e;}\n"
    "document.getElementById('title').textContent=s.info.title+' '+s.info.version;\n"
    "document.getElementById('desc').textContent=s.info.description;\n"
    "var ops=document.getElementById('ops');\n"
    "Object.keys(s.paths).forEach(function(p){var h=el('h2',null,p);ops.appendChild(h);\n"
    " Object.keys(s.paths[p]).forEach(function(m){var o=s.paths[p][m],d=el('div','op');\n"
    "  var hd=el('div');hd.appendChild(el('span','m '+m,m.toUpperCase()));\n"
    "  hd.appendChild(document.createTextNode(' '+(o.summary||'')));d.appendChild(hd);\n"
    "  if(o.security)d.appendChild(el('p',null,'X-API-Key required when keys are configured'));\n"
    "  var ps=(o.parameters||[]).map(function(x){return x.$ref?s.components.parameters["
    "x.$ref.split('/').pop()]:x;});\n"
    "  if(ps.length){var t=el('table');t.appendChild(el('tr')).innerHTML="
    "'<th>parameter</th><th>in</th><th>description</th>';\n"
    "   ps.forEach(function(x){var r=el('tr');r.appendChild(el('td',null,x.name));"
    "r.appendChild(el('td',null,x.in));r.appendChild(el('td',null,x.description||"
    "JSON.stringify(x.schema)));t.appendChild(r);});d.appendChild(t);}\n"
    "  if(o.requestBody)d.appendChild(el('p',null,'Body: '+JSON.stringify(o.requestBody."
    "content['application/json'].schema.properties)));\n"
    "  var rs=el('ul');Object.keys(o.responses).forEach(function(c){rs.appendChild(el('li',"
    "null,c+' '+o.responses[c].description));});d.appendChild(rs);ops.appendChild(d);});});\n"
    "})();\n</script></body></html>\n";

static char *docs;
static size_t docs_len;
static pthread_once_t docs_once = PTHREAD_ONCE_INIT;

const char *openapi_json(size_t *len)
{
    if (len)
        *len = sizeof spec - 1;
    return spec;
}

static void build_docs(void)
{
    size_t n = sizeof html_head - 1 + sizeof spec - 1 + sizeof html_tail - 1;
    docs = malloc(n + 1);
    if (!docs)
        return;
    memcpy(docs, html_head, sizeof html_head - 1);
    memcpy(docs + sizeof html_head - 1, spec, sizeof spec - 1);
    memcpy(docs + sizeof html_head - 1 + sizeof spec - 1, html_tail, sizeof html_tail);
    docs_len = n;
}

/* The page lives for the whole process (one small allocation, built once). */
const char *openapi_docs_html(size_t *len)
{
    pthread_once(&docs_once, build_docs);
    if (len)
        *len = docs ? docs_len : 0;
    return docs ? docs : "";
}
