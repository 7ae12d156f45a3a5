/* Running out of memory anywhere in a whole flow through the public C API.
 * Three flows: a session with a store (build, open, a turn with a tool call and
 * progress and final commits to a fake host store, close, open again from what
 * the store holds, a turn over the history mirrored from the load, read view,
 * close); a session in core memory only (a batch with a failing child, a fresh
 * open, a turn); a turn whose model is reached over the host's HTTP. Mode 0 fails
 * only the k-th allocation, mode 1 every one from the k-th on. Once the host sees
 * a failure (a call returning OutOfMemory, a turn ending with an OutOfMemory
 * error) memory comes back and the host retries: every call must then work,
 * nothing half-built may have reached the host or the store, the session must
 * agree with the store, and nothing may leak. */
#include <stdint.h>
#include <stdlib.h>

#include "cJSON.h"
#include "lash/lash_host.h"
#include "util/alloc.h"
#include "budget_alloc.h" /* B, BUDGET: the failing allocator */
#include "test.h"

/* Millions of allocations under ASan: shallow allocation stacks keep the sweep
 * near 15 s (a leak still names its run: see B.live). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "malloc_context_size=5"; }

/* ================================================================ fake host */

#define MAXP 32
#define MAXM 16
typedef struct {
  uint32_t id;
  char kind[16];
  cJSON *msg;
  char *body;
  char *reply; /* once answered: a delivery the core refused is retried as it was */
  int status;
} pend_t;

typedef struct {
  lash_core *core;
  long k;
  int mode;
  const char *sid;       /* the session */
  const char *call;      /* the model's tool call (before any tool result) */
  int turns;             /* the turn index the view should show */
  const char *http;      /* the turn's provider_http, or NULL (the host's llm.call) */
  int traced;            /* the core is built with a trace sink (TraceRecords go out) */
  pend_t p[MAXP];
  int n;
  char *mirror[MAXM]; /* the host's copy of the committed renderings */
  int nmirror;
  cJSON *done;        /* the last turn.done's "done" */
  /* the store: its graph and head, what the core committed */
  cJSON *nodes, *checkpoint, *ledger, *config;
  char leaf[64];
  int head; /* 0: nothing committed */
  char committed[16]; /* roles of the committed transcript ("UAUA"), as the test expects it */
} host_t;

static void bad(host_t *h, int line, const char *what, const char *text) {
  t_failed++;
  fprintf(stderr, "%s:%d: mode %d k %ld: %s%s%.300s\n", __FILE__, line, h->mode, h->k, what, text ? ": " : "",
          text ? text : "");
}
#define BAD(what, text) bad(h, __LINE__, what, text)

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}
static const cJSON *obj(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsObject(v) ? v : NULL;
}
static const cJSON *arr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsArray(v) ? v : NULL;
}

/* An LlmMessage the model sees; returns its role letter or 0. */
static char llm_message_ok(const cJSON *m) {
  const char *role = str(m, "role");
  const cJSON *blocks = arr(m, "blocks");
  if (!role || !blocks || !blocks->child) return 0;
  for (const cJSON *b = blocks->child; b; b = b->next) {
    const cJSON *in = b->child;
    if (!cJSON_IsObject(b) || !in || in->next || !cJSON_IsObject(in)) return 0;
    if (!strcmp(in->string, "Text") && !str(in, "text")) return 0;
    if (!strcmp(in->string, "ToolCall") && (!str(in, "call_id") || !str(in, "tool_name") || !str(in, "input_json"))) return 0;
    if (!strcmp(in->string, "ToolResult") && (!str(in, "call_id") || !str(in, "content"))) return 0;
  }
  return role[0];
}

#define TEXT(t) "{\"parts\":[{\"Text\":{\"text\":\"" t "\"}}],\"usage\":{\"input_tokens\":5,\"output_tokens\":2},\"terminal_reason\":\"stop\"}"
#define CALL1 "{\"parts\":[{\"ToolCall\":{\"call_id\":\"a\",\"tool_name\":\"t1\",\"input_json\":\"{}\"}}],\"terminal_reason\":\"tool_use\"}"
#define BATCH "{\"parts\":[{\"ToolCall\":{\"call_id\":\"b\",\"tool_name\":\"batch\",\"input_json\":\"{\\\"tool_calls\\\":[" \
  "{\\\"tool\\\":\\\"t1\\\",\\\"parameters\\\":{}},{\\\"tool\\\":\\\"boom\\\",\\\"parameters\\\":{}}]}\"}}],\"terminal_reason\":\"tool_use\"}"

/* An llm.call: the request whole, the mirrored history aligned with the
 * transcript. The model's answer: after a tool result "done", to "hi" "ok",
 * else a call of t1. */
static const char *check_llm_call(host_t *h, const cJSON *m, const char *body) {
  cJSON *r = cJSON_Parse(body);
  const cJSON *msgs = arr(r, "messages"), *tools = arr(r, "tools");
  if (!r || !str(r, "model") || !msgs || !tools || !arr(r, "attachments") || !str(r, "session_id") || !msgs->child) {
    BAD("malformed model request", body);
    cJSON_Delete(r);
    return "{}";
  }
  char *last = cJSON_PrintUnformatted(msgs->child->prev);
  const char *answer = strstr(last, "\"ToolResult\"") ? TEXT("done") : strstr(last, "\"text\":\"hi\"") ? TEXT("ok") : h->call;
  cJSON_free(last);
  int ntools = 0;
  for (const cJSON *t = tools->child; t; t = t->next, ntools++)
    if (!str(t, "name") || !str(t, "description") || !obj(t, "input_schema")) BAD("malformed tool spec", body);
  if (ntools != 3) BAD("the model does not see batch, t1 and boom", body);
  /* the full history: the mirror's first `history` entries spliced in at history_at */
  char roles[32] = "";
  size_t nr = 0;
  const cJSON *hist = cJSON_GetObjectItemCaseSensitive(m, "history");
  int count = cJSON_IsNumber(hist) ? (int)hist->valuedouble : -1;
  int at = count >= 0 ? (int)cJSON_GetObjectItemCaseSensitive(m, "history_at")->valuedouble : -1;
  if (count > h->nmirror) { BAD("the request names more history than the host was given", NULL); count = h->nmirror; }
  int i = 0;
  for (const cJSON *x = msgs->child;; x = x->next, i++) {
    if (i == at)
      for (int j = 0; j < count; j++) {
        cJSON *hm = cJSON_Parse(h->mirror[j]);
        char c = llm_message_ok(hm);
        if (!c) BAD("malformed mirrored message", h->mirror[j]);
        if (nr < sizeof roles - 1) roles[nr++] = c;
        cJSON_Delete(hm);
      }
    if (!x) break;
    char c = llm_message_ok(x);
    if (!c) BAD("malformed request message", body);
    if (nr < sizeof roles - 1) roles[nr++] = c;
  }
  roles[nr] = 0;
  char a[24], b[24];
  snprintf(a, sizeof a, "S%.16sU", h->committed);
  snprintf(b, sizeof b, "S%.16sUAU", h->committed);
  if (strcmp(roles, a) && strcmp(roles, b)) {
    char got[96];
    snprintf(got, sizeof got, "%s (expected %s or %s)", roles, a, b);
    BAD("the model sees the wrong history", got);
  }
  cJSON_Delete(r);
  return answer;
}

/* A stored node: {node_id, timestamp, kind, event:{Conversation:Message}}. */
static int node_ok(const cJSON *n) {
  const cJSON *msg = obj(obj(n, "event"), "Conversation");
  if (!str(n, "node_id") || !str(n, "timestamp") || !str(n, "kind") || !str(msg, "id") || !str(msg, "role")) return 0;
  const cJSON *parts = arr(msg, "parts");
  if (!parts || !parts->child) return 0;
  for (const cJSON *p = parts->child; p; p = p->next)
    if (!str(p, "id") || !str(p, "kind") || !str(p, "content") || !str(p, "prune_state")) return 0;
  return 1;
}

/* The store's commitRuntimeState: checks the commit whole, CAS on the head. */
static void store_commit(host_t *h, const cJSON *m, const char *body, int *status, char *reply, size_t cap) {
  cJSON *c = cJSON_Parse(body);
  const cJSON *graph = obj(c, "graph"), *ts = obj(obj(c, "checkpoint"), "turn_state");
  const cJSON *variant = graph ? graph->child : NULL;
  int final = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "final"));
  const cJSON *stamp = obj(c, "turn_commit");
  int ok = c && str(c, "session_id") && variant && !variant->next && cJSON_IsObject(variant) && ts &&
           cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ts, "turn_index")) && obj(ts, "token_usage") &&
           str(obj(c, "config"), "provider_id") && obj(obj(c, "config"), "model") && arr(c, "usage_deltas") &&
           arr(c, "committed_attachment_ids") && cJSON_HasObjectItem(c, "expected_head_revision");
  if (ok && final) ok = stamp && str(stamp, "turn_id") && str(stamp, "turn_commit_hash") && strlen(str(stamp, "turn_commit_hash")) == 64;
  const cJSON *nodes = ok ? cJSON_GetObjectItemCaseSensitive(variant, "nodes") : NULL;
  if (ok && strcmp(variant->string, "Unchanged")) {
    ok = cJSON_IsArray(nodes);
    for (const cJSON *n = ok ? nodes->child : NULL; n; n = n->next) ok &= node_ok(n);
  }
  if (!ok) {
    BAD("malformed commit", body);
    *status = LASH_OP_ERROR;
    snprintf(reply, cap, "{\"message\":\"malformed commit\"}");
    cJSON_Delete(c);
    return;
  }
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "expected_head_revision");
  if (cJSON_IsNumber(exp) && (int)exp->valuedouble != h->head) {
    *status = LASH_OP_ERROR;
    snprintf(reply, cap, "{\"message\":\"head revision conflict: expected %d, actual %d\"}", (int)exp->valuedouble, h->head);
    cJSON_Delete(c);
    return;
  }
  if (!strcmp(variant->string, "ReplaceFull")) {
    cJSON_Delete(h->nodes);
    h->nodes = cJSON_Duplicate(nodes, 1);
  } else if (!strcmp(variant->string, "Append")) {
    for (const cJSON *n = nodes->child; n; n = n->next) cJSON_AddItemToArray(h->nodes, cJSON_Duplicate(n, 1));
  }
  const char *leaf = str(variant, "leaf_node_id");
  snprintf(h->leaf, sizeof h->leaf, "%s", leaf ? leaf : "");
  h->head++;
  cJSON_Delete(h->checkpoint);
  h->checkpoint = cJSON_Duplicate(obj(c, "checkpoint"), 1);
  cJSON_Delete(h->config);
  h->config = cJSON_Duplicate(obj(c, "config"), 1);
  for (const cJSON *d = arr(c, "usage_deltas")->child; d; d = d->next) cJSON_AddItemToArray(h->ledger, cJSON_Duplicate(d, 1));
  *status = LASH_OP_OK;
  snprintf(reply, cap, "{\"head_revision\":%d}", h->head);
  cJSON_Delete(c);
}

static void drop(host_t *h, int i) {
  cJSON_Delete(h->p[i].msg);
  free(h->p[i].body);
  free(h->p[i].reply);
  h->p[i] = h->p[--h->n];
}

static void call(void *ud, uint32_t op, const char *msg, size_t len, const char *body, size_t blen) {
  host_t *h = ud;
  int armed = B.armed;
  B.armed = 0; /* the host's own allocations never fail */
  if (getenv("OOM_TRACE")) fprintf(stderr, "[%ld denied %ld] %u %.*s\n", B.count, B.denied, op, (int)(len > 200 ? 200 : len), msg);
  cJSON *m = cJSON_ParseWithLength(msg, len);
  const char *kind = str(m, "op");
  if (!kind) {
    BAD("malformed host message", msg);
  } else if (op == 0) {
    if (!strcmp(kind, "turn.done")) {
      const cJSON *done = obj(m, "done");
      const cJSON *res = obj(done, "result"), *err = obj(done, "error");
      if (!(res && obj(res, "outcome") && obj(res, "state") && arr(res, "tool_calls")) && !(err && str(err, "code") && str(err, "message")))
        BAD("malformed turn.done", msg);
      cJSON_Delete(h->done);
      h->done = cJSON_DetachItemFromObject(m, "done");
    } else if (!strcmp(kind, "activity")) {
      const cJSON *a = obj(m, "activity");
      if (!str(a, "id") || !str(a, "correlation_id") || !str(a, "type")) BAD("malformed activity", msg);
    } else if (!strcmp(kind, "cancel")) { /* an op the core abandoned: nothing to answer */
      uint32_t id = (uint32_t)cJSON_GetObjectItemCaseSensitive(m, "id")->valuedouble;
      for (int i = 0; i < h->n; i++) if (h->p[i].id == id) { drop(h, i); break; }
    } else if (!strcmp(kind, "trace")) { /* a TraceRecord goes out whole or not at all */
      const cJSON *r = obj(m, "record");
      const cJSON *v = r ? cJSON_GetObjectItemCaseSensitive(r, "schema_version") : NULL;
      if (!cJSON_IsNumber(v) || v->valuedouble != 2 || !str(r, "id") || !str(r, "timestamp") || !str(r, "type") ||
          !str(obj(r, "context"), "session_id") || !str(obj(r, "context"), "run_id"))
        BAD("malformed trace record", msg);
    } else if (!strcmp(kind, "history.reset")) {
      for (int i = 0; i < h->nmirror; i++) free(h->mirror[i]);
      h->nmirror = 0;
    } else if (!strcmp(kind, "history.push")) {
      cJSON *x = cJSON_ParseWithLength(body, blen);
      if (!llm_message_ok(x)) BAD("malformed history.push", body);
      cJSON_Delete(x);
      if (h->nmirror < MAXM) {
        h->mirror[h->nmirror] = calloc(1, blen + 1);
        memcpy(h->mirror[h->nmirror++], body, blen);
      }
    } else {
      BAD("unexpected notification", msg);
    }
    cJSON_Delete(m);
    B.armed = armed;
    return;
  }
  if (h->n == MAXP) {
    BAD("too many ops", NULL);
    cJSON_Delete(m);
  } else {
    h->p[h->n].id = op;
    snprintf(h->p[h->n].kind, sizeof h->p[h->n].kind, "%s", kind ? kind : "?");
    h->p[h->n].msg = m;
    h->p[h->n].body = body ? calloc(1, blen + 1) : NULL;
    h->p[h->n].reply = NULL;
    if (body) memcpy(h->p[h->n].body, body, blen);
    h->n++;
  }
  B.armed = armed;
}

/* ================================================================ the flow */

static const char *CFG =
    "{\"kind\":\"standard\",\"provider\":{\"kind\":\"scripted\"},\"effect_host\":{\"tier\":\"inline\"},"
    "\"attachment_store\":{\"tier\":\"inline\"},\"process_env_store\":{\"tier\":\"inline\"},"
    "\"session_spec\":{\"provider_id\":\"scripted\",\"model\":{\"id\":\"m\",\"limits\":{\"context_window_tokens\":1000}},\"max_turns\":3},"
    "\"prompt\":{\"slots\":{\"guidance\":{\"contributions\":[{\"slot\":\"guidance\",\"title\":\"House rules\",\"content\":\"Be brief.\"}]}}},"
    "\"plugins\":[{\"id\":\"tool_output_budget\",\"config\":null}],"
    "\"tools\":[{\"name\":\"t1\",\"description\":\"a tool\",\"input_schema\":{\"type\":\"object\"},\"scheduling\":\"parallel\"},"
    "{\"name\":\"boom\",\"input_schema\":{\"type\":\"object\"},\"scheduling\":\"serial\"}]}";

/* A call refused for want of memory: only when an allocation failed, with an
 * OutOfMemory error (static, when even the error could not be written). */
static void refused(host_t *h, int line, const char *what, int rc) {
  size_t n;
  int op = !strncmp(what, "lash_op_", 8); /* the host ops answer with the status alone */
  const char *err = h->core && !op ? lash_core_last_error(h->core, &n) : "";
  if (rc != LASH_E_NOMEM || !B.denied || (!op && !strstr(err, "\"code\":\"OutOfMemory\""))) {
    char d[400];
    snprintf(d, sizeof d, "%s returned %d: %s", what, rc, err);
    bad(h, line, "a call failed other than for want of memory", d);
  }
  B.armed = 0; /* memory is back; the host retries */
}

/* A JSON call, retried once memory is back. */
static int api(host_t *h, int line, int (*fn)(lash_core *, const char *, size_t), const char *what, const char *json) {
  int rc = fn(h->core, json, strlen(json));
  if (rc == LASH_OK) return 1;
  refused(h, line, what, rc);
  rc = fn(h->core, json, strlen(json));
  if (rc != LASH_OK) { bad(h, line, "the retry failed", what); return 0; }
  return 1;
}
#define API(fn, json) api(h, __LINE__, fn, #fn, json)

/* Chat Completions streams: a call of t1, then (after its result) the answer. */
#define SSE_USAGE "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3}}\n\n"
static const char SSE_CALL[] =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":"
    "[{\"index\":0,\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"t1\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n"
    SSE_USAGE "data: [DONE]\n\n";
static const char SSE_TEXT[] =
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"do\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ne\"},\"finish_reason\":\"stop\"}]}\n\n"
    SSE_USAGE "data: [DONE]\n\n";

/* A host call that may be refused for want of memory: retried once memory is
 * back. Returns 0 when the core abandoned the op (it stopped the turn). */
static int deliver(host_t *h, int line, const char *what, int rc, int (*again)(host_t *, uint32_t, const char *, size_t, int),
                   uint32_t op, const char *bytes, size_t len, int arg) {
  if (rc == LASH_E_NOMEM) {
    refused(h, line, what, rc);
    rc = again(h, op, bytes, len, arg);
  }
  if (rc != LASH_OK && rc != LASH_E_UNKNOWN_OP) bad(h, line, "the core refused a delivery", what);
  lash_run(h->core, 0);
  return rc == LASH_OK;
}
static int data(host_t *h, uint32_t op, const char *b, size_t n, int ch) { return lash_op_data(h->core, op, ch, b, n); }
static int complete(host_t *h, uint32_t op, const char *b, size_t n, int st) { return lash_op_complete(h->core, op, st, b, n); }
#define DATA(op, b, n, ch) deliver(h, __LINE__, "lash_op_data", data(h, op, b, n, ch), data, op, b, n, ch)
#define COMPLETE(op, b, n, st) deliver(h, __LINE__, "lash_op_complete", complete(h, op, b, n, st), complete, op, b, n, st)

/* An http.stream: the head, the body in two pieces, the completion. */
static void serve_http(host_t *h, uint32_t op, const char *body) {
  int armed = B.armed;
  B.armed = 0;
  cJSON *r = cJSON_Parse(body);
  const cJSON *msgs = arr(r, "messages"), *tools = arr(r, "tools");
  if (!str(r, "model") || !msgs || !msgs->child || cJSON_GetArraySize(tools) != 3) BAD("malformed wire request", body);
  cJSON_Delete(r);
  const char *sse = strstr(body, "\"role\":\"tool\"") ? SSE_TEXT : SSE_CALL;
  B.armed = armed;
  size_t half = strlen(sse) / 2;
  if (DATA(op, "{\"status\":200}", 14, LASH_DATA_HEAD) && DATA(op, sse, half, LASH_DATA_BODY) &&
      DATA(op, sse + half, strlen(sse) - half, LASH_DATA_BODY))
    COMPLETE(op, "{}", 2, LASH_OP_OK);
}

/* Answer every pending op; a delivery refused for want of memory stays pending. */
static int answer_all(host_t *h) {
  int progress = 0;
  for (int i = h->n - 1; i >= 0; i--) {
    pend_t *p = &h->p[i];
    if (!strcmp(p->kind, "http.stream")) { /* served alone: the runs between its pieces change the list */
      uint32_t op = p->id;
      char *body = p->body ? p->body : strdup("");
      p->body = NULL;
      drop(h, i);
      serve_http(h, op, body);
      free(body);
      return 1;
    }
    int status = LASH_OP_OK;
    char buf[256];
    const char *reply = buf;
    int armed = B.armed;
    B.armed = 0;
    if (p->reply) {
      reply = p->reply;
      status = p->status;
    } else if (!strcmp(p->kind, "llm.call")) {
      reply = check_llm_call(h, p->msg, p->body ? p->body : "");
    } else if (!strcmp(p->kind, "tool.call")) {
      const char *name = str(p->msg, "name");
      if (!name || (strcmp(name, "t1") && strcmp(name, "boom")) || !str(p->msg, "call_id") || !obj(p->msg, "args") ||
          !str(p->msg, "session_id") || strcmp(str(p->msg, "session_id"), h->sid))
        BAD("malformed tool.call", NULL);
      if (name && !strcmp(name, "boom")) {
        status = LASH_OP_ERROR;
        snprintf(buf, sizeof buf, "{\"message\":\"kaput\"}");
      } else {
        snprintf(buf, sizeof buf, "{\"output\":{\"outcome\":{\"status\":\"success\",\"payload\":\"ran t1\"}},\"duration_ms\":3}");
      }
    } else if (!strcmp(p->kind, "store.commit")) {
      store_commit(h, p->msg, p->body ? p->body : "", &status, buf, sizeof buf);
    } else if (!strcmp(p->kind, "timer")) {
      snprintf(buf, sizeof buf, "{}");
    } else {
      BAD("unexpected op", p->kind);
      snprintf(buf, sizeof buf, "{\"message\":\"no\"}");
      status = LASH_OP_ERROR;
    }
    if (!p->reply) {
      p->reply = strdup(reply);
      p->status = status;
    }
    B.armed = armed;
    int rc = lash_op_complete(h->core, p->id, status, reply, strlen(reply));
    if (rc == LASH_E_NOMEM) { refused(h, __LINE__, "lash_op_complete", rc); continue; }
    if (rc != LASH_OK) BAD("lash_op_complete refused", NULL);
    drop(h, i);
    progress = 1;
  }
  return progress;
}

/* Run a turn until it is done; a turn stopped for want of memory is started
 * again. Returns 1 once it finished with `expect` as its answer. */
static int turn(host_t *h, const char *text, const char *expect, int tool_calls, const char *roles) {
  char req[256];
  snprintf(req, sizeof req, "{\"session_id\":\"%s\",\"provider_kind\":\"scripted\",\"input\":{\"items\":[{\"type\":\"text\",\"text\":\"%s\"}]}%s%s}",
           h->sid, text, h->http ? ",\"provider_http\":" : "", h->http ? h->http : "");
  for (int attempt = 0; attempt < 3; attempt++) {
    cJSON_Delete(h->done);
    h->done = NULL;
    uint32_t no;
    int rc = lash_turn_start(h->core, req, strlen(req), &no);
    if (rc != LASH_OK) { refused(h, __LINE__, "lash_turn_start", rc); continue; }
    lash_run(h->core, 0);
    for (int guard = 0; !h->done && guard < 64; guard++) {
      if (!h->n) { BAD("the turn neither finished nor waits on the host", NULL); return 0; }
      answer_all(h);
      lash_run(h->core, 0);
    }
    int armed = B.armed;
    B.armed = 0; /* the host's own checks */
    const cJSON *err = obj(h->done, "error"), *res = obj(h->done, "result");
    if (err) {
      const char *code = str(err, "code");
      if (!code || strcmp(code, "OutOfMemory") || !B.denied) BAD("the turn failed other than for want of memory", str(err, "message"));
      continue; /* memory is back; the host starts the turn again */
    }
    char *o = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(res, "outcome"));
    char want[128];
    snprintf(want, sizeof want, "{\"finished\":{\"assistant_message\":{\"text\":\"%s\"}}}", expect);
    int ok = o && !strcmp(o, want) && cJSON_GetArraySize(arr(res, "tool_calls")) == tool_calls;
    if (!ok) {
      char *r = cJSON_PrintUnformatted(res);
      BAD("the turn finished wrongly", r);
      cJSON_free(r);
    }
    cJSON_free(o);
    if (ok) snprintf(h->committed + strlen(h->committed), sizeof h->committed - strlen(h->committed), "%s", roles);
    B.armed = armed;
    return ok;
  }
  BAD("the turn did not finish", NULL);
  return 0;
}

/* The committed view: the expected transcript, the same as the store's active path. */
static void check_view(host_t *h, const char *req) {
  if (!API(lash_session_read_view, req)) return;
  size_t n;
  const char *text = lash_core_result(h->core, &n);
  int armed = B.armed;
  B.armed = 0;
  cJSON *v = cJSON_ParseWithLength(text, n);
  const cJSON *msgs = arr(v, "messages");
  const cJSON *ti = cJSON_GetObjectItemCaseSensitive(v, "turn_index");
  char roles[16] = "";
  size_t nr = 0;
  for (const cJSON *m = msgs ? msgs->child : NULL; m && nr < sizeof roles - 1; m = m->next)
    roles[nr++] = str(m, "role") ? str(m, "role")[0] : '?';
  roles[nr] = 0;
  if (!msgs || strcmp(roles, h->committed) || !cJSON_IsNumber(ti) || ti->valuedouble != h->turns) BAD("wrong view", text);
  /* the store's active path, leaf to root, names the same messages */
  const char *ids[16];
  int nid = 0;
  for (const cJSON *m = msgs ? msgs->child : NULL; m && nid < 16; m = m->next) ids[nid++] = str(m, "id");
  const char *want = h->leaf;
  for (int guard = 0; *want && guard < 64; guard++) {
    const cJSON *node = NULL;
    for (const cJSON *x = h->nodes ? h->nodes->child : NULL; x; x = x->next)
      if (str(x, "node_id") && !strcmp(str(x, "node_id"), want)) node = x;
    if (!node) { BAD("the store's leaf names no node", want); break; }
    const char *id = str(obj(obj(node, "event"), "Conversation"), "id");
    if (!nid || !id || !ids[nid - 1] || strcmp(id, ids[--nid])) { BAD("the store and the session disagree", id); break; }
    want = str(node, "parent_node_id") ? str(node, "parent_node_id") : "";
  }
  if (nid && h->head) BAD("the store's active path is shorter than the session", NULL);
  cJSON_Delete(v);
  B.armed = armed;
}

static int new_core(host_t *h, const lash_host *host) {
  h->core = lash_core_new(host, &BUDGET);
  if (!h->core) {
    if (!B.denied) BAD("lash_core_new failed without a failed allocation", NULL);
    B.armed = 0;
    h->core = lash_core_new(host, &BUDGET);
  }
  if (!h->traced) return API(lash_core_build, CFG);
  static char traced[2048]; /* CFG with a trace sink */
  snprintf(traced, sizeof traced, "%.*s,\"trace\":{\"context\":{\"run_id\":\"r\",\"metadata\":{\"b\":1,\"a\":2}}}}",
           (int)strlen(CFG) - 1, CFG);
  return API(lash_core_build, traced);
}

/* A session with a store: a tool call, progress and final commits, a close
 * and an open from what the store holds, a turn over the loaded history. */
static void store_flow(host_t *h, const lash_host *host) {
  h->sid = "s";
  h->call = CALL1;
  h->turns = 2;
  if (!new_core(h, host)) return;
  if (!API(lash_session_open, "{\"session_id\":\"s\",\"has_store\":true}")) return;
  if (!turn(h, "go", "done", 1, "UAUA")) return;
  /* close, and open again from the store (lash's PersistedSessionRead) */
  if (!API(lash_session_close, "{\"session_id\":\"s\"}")) return;
  int armed = B.armed;
  B.armed = 0;
  cJSON *open = cJSON_CreateObject(), *loaded = cJSON_AddObjectToObject(open, "loaded");
  cJSON_AddStringToObject(open, "session_id", "s");
  cJSON_AddTrueToObject(open, "has_store");
  cJSON_AddStringToObject(loaded, "session_id", "s");
  cJSON *graph = cJSON_AddObjectToObject(loaded, "graph");
  cJSON_AddItemToObject(graph, "nodes", cJSON_Duplicate(h->nodes, 1));
  cJSON_AddStringToObject(graph, "leaf_node_id", h->leaf);
  cJSON_AddNumberToObject(loaded, "head_revision", h->head);
  cJSON_AddItemToObject(loaded, "checkpoint", cJSON_Duplicate(h->checkpoint, 1));
  cJSON_AddItemToObject(loaded, "token_ledger", cJSON_Duplicate(h->ledger, 1));
  cJSON_AddItemToObject(loaded, "config", cJSON_Duplicate(h->config, 1));
  char *text = cJSON_PrintUnformatted(open);
  cJSON_Delete(open);
  B.armed = armed;
  int opened = API(lash_session_open, text);
  cJSON_free(text);
  if (!opened) return;
  /* the next turn sees the loaded history through the host's mirror */
  if (!turn(h, "hi", "ok", 0, "UA")) return;
  check_view(h, "{\"session_id\":\"s\"}");
  API(lash_session_close, "{\"session_id\":\"s\"}");
}

/* A session in core memory only: a batch (one child fails on the host), then
 * a fresh open and a plain turn. */
static void memory_flow(host_t *h, const lash_host *host) {
  h->sid = "m";
  h->traced = 1;
  h->call = BATCH;
  h->turns = 1;
  if (!new_core(h, host)) return;
  if (!API(lash_session_open, "{\"session_id\":\"m\"}")) return;
  if (!turn(h, "go", "done", 1, "UAUA")) return;
  if (!API(lash_session_open, "{\"session_id\":\"m\",\"fresh\":true}")) return;
  h->committed[0] = 0;
  if (!turn(h, "hi", "ok", 0, "UA")) return;
  check_view(h, "{\"session_id\":\"m\"}");
  API(lash_session_close, "{\"session_id\":\"m\"}");
}

/* A session with a store whose model is reached over the host's HTTP. */
static void http_flow(host_t *h, const lash_host *host) {
  h->sid = "w";
  h->traced = 1;
  h->turns = 1;
  h->http = "{\"kind\":\"openai-compatible\"}";
  if (!new_core(h, host)) return;
  if (!API(lash_session_open, "{\"session_id\":\"w\",\"has_store\":true}")) return;
  if (!turn(h, "go", "done", 1, "UAUA")) return;
  check_view(h, "{\"session_id\":\"w\"}");
  API(lash_session_close, "{\"session_id\":\"w\"}");
}

typedef void (*flow_fn)(host_t *h, const lash_host *host);

/* One run of the flow under the budget; 1 if an allocation was refused. */
static int run(flow_fn flow, int mode, long k, long *allocs) {
  B = (budget){0};
  B.fail_at = mode == 0 ? k : -1;
  B.left = mode == 1 ? k : -1;
  lash__install_json_hooks(&BUDGET);
  host_t *h = calloc(1, sizeof *h);
  h->k = k;
  h->mode = mode;
  h->nodes = cJSON_CreateArray();
  h->ledger = cJSON_CreateArray();
  lash_host host = {call, h};
  B.armed = 1;
  flow(h, &host);
  B.armed = 0;
  if (allocs) *allocs = B.count;
  lash_core_free(h->core);
  for (int i = h->n - 1; i >= 0; i--) drop(h, i);
  for (int i = 0; i < h->nmirror; i++) free(h->mirror[i]);
  cJSON_Delete(h->done);
  cJSON_Delete(h->nodes);
  cJSON_Delete(h->ledger);
  cJSON_Delete(h->checkpoint);
  cJSON_Delete(h->config);
  int denied = B.denied > 0;
  free(h);
  t_checks++;
  if (B.live != 0) {
    t_failed++;
    fprintf(stderr, "%s:%d: mode %d k %ld: %ld allocations live after lash_core_free\n", __FILE__, __LINE__, mode, k, B.live);
  }
  return denied;
}

/* Every allocation in mode 0 (every `stride`-th), mode 1 every `stride1`-th. */
static void sweep(flow_fn flow, long stride, long stride1) {
  long total = 0;
  if (getenv("OOM_K")) { /* one run, for debugging: OOM_K=k [OOM_MODE=1] [OOM_TRACE=1] */
    run(flow, atoi(getenv("OOM_MODE") ? getenv("OOM_MODE") : "0"), atol(getenv("OOM_K")), NULL);
    return;
  }
  run(flow, 0, -1, &total); /* nothing refused: the flow itself works */
  CHECK(total > 1000);
  for (int mode = 0; mode < 2; mode++) {
    long runs = 0;
    for (long k = 0;; k += mode == 0 ? stride : stride1, runs++)
      if (!run(flow, mode, k, NULL)) break;
    fprintf(stderr, "    mode %d: %ld runs over %ld allocations\n", mode, runs, total);
  }
  lash__install_json_hooks(NULL);
}

/* Mode 0 sweeps every allocation of the store flow, a stride of the others (the
 * same core code under different paths; full sweeps of each ran clean). */
static void with_store(void) { sweep(store_flow, 1, 37); }
static void in_memory(void) { sweep(memory_flow, 5, 37); }
static void over_http(void) { sweep(http_flow, 9, 37); }

TEST_MAIN(RUN(with_store); RUN(in_memory); RUN(over_http))
