#include "turn/trace.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/state.h"
#include "lash/lash_ops.h"
#include "store/commit.h"
#include "turn/machine.h"
#include "util/alloc.h"
#include "util/ids.h"
#include "util/sha256.h"

int lash__trace_on(const lash_core *c) {
  return c && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(c->config, "trace"));
}

size_t lash__utf8_chars(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

cJSON *lash__trace_ctx(const char *session_id, const char *turn_id, double turn_index, double protocol_iteration,
                       const char *llm_call_id) {
  cJSON *c = cJSON_CreateObject();
  if (session_id) cJSON_AddStringToObject(c, "session_id", session_id);
  if (turn_id && *turn_id) cJSON_AddStringToObject(c, "turn_id", turn_id);
  if (turn_index >= 0) cJSON_AddNumberToObject(c, "turn_index", turn_index);
  if (protocol_iteration >= 0) cJSON_AddNumberToObject(c, "protocol_iteration", protocol_iteration);
  if (llm_call_id) cJSON_AddStringToObject(c, "llm_call_id", llm_call_id);
  return c;
}

/* TraceContext fields in lash's declaration order (lash-trace/src/lib.rs:37-69). */
static const char *const CTX_KEYS[] = {"run_id", "experiment_id", "candidate_id", "candidate_parent_id", "example_id",
                                       "split", "session_id", "turn_id", "graph_node_id", "parent_graph_node_id",
                                       "turn_index", "protocol_iteration", "effect_id", "llm_call_id", NULL};

static int usable(const cJSON *v, const char *key) {
  if (!v) return 0;
  if (!strcmp(key, "turn_index") || !strcmp(key, "protocol_iteration"))
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble == floor(v->valuedouble);
  return cJSON_IsString(v);
}

/* metadata is a BTreeMap: keys in sorted order */
static cJSON *sorted(cJSON *obj /* owned */) {
  cJSON *out = cJSON_CreateObject();
  while (obj && obj->child) {
    cJSON *min = obj->child;
    for (cJSON *it = min->next; it; it = it->next)
      if (strcmp(it->string, min->string) < 0) min = it;
    cJSON_DetachItemViaPointer(obj, min);
    char *k = min->string;
    min->string = NULL;
    lash__json_put(out, k, min);
    cJSON_free(k);
  }
  cJSON_Delete(obj);
  return out;
}

/* lash merge_context (lash-core/src/trace.rs:41-85): overlay fields win; metadata extends. */
static cJSON *merged_context(const cJSON *base, const cJSON *overlay) {
  cJSON *c = cJSON_CreateObject();
  for (int i = 0; CTX_KEYS[i]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(overlay, CTX_KEYS[i]);
    if (!usable(v, CTX_KEYS[i])) v = cJSON_GetObjectItemCaseSensitive(base, CTX_KEYS[i]);
    if (usable(v, CTX_KEYS[i])) lash__json_put(c, CTX_KEYS[i], cJSON_Duplicate(v, 1));
  }
  cJSON *meta = cJSON_CreateObject();
  const cJSON *sources[2] = {cJSON_GetObjectItemCaseSensitive(base, "metadata"),
                             cJSON_GetObjectItemCaseSensitive(overlay, "metadata")};
  for (int s = 0; s < 2; s++) {
    const cJSON *kv;
    if (!cJSON_IsObject(sources[s])) continue;
    cJSON_ArrayForEach(kv, sources[s]) {
      cJSON_DeleteItemFromObjectCaseSensitive(meta, kv->string);
      lash__json_put(meta, kv->string, cJSON_Duplicate(kv, 1));
    }
  }
  meta = sorted(meta);
  if (meta && meta->child) lash__json_put(c, "metadata", meta); /* skip_serializing_if BTreeMap::is_empty */
  else cJSON_Delete(meta);
  return c;
}

/* chrono DateTime<Utc>::to_rfc3339(): "+00:00", fraction digits as needed (AutoSi). */
static void trace_timestamp(const lash_core *c, char out[48]) {
  double ms = c->sched.now_ms; /* the host's clock is epoch time (js/driver.js) */
  char ts[48];
  lash__rfc3339(floor(ms), ts); /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
  size_t n = strlen(ts);
  if (n >= 5 && ts[n - 1] == 'Z') {
    ts[n - 1] = 0;
    if (!strcmp(ts + n - 5, ".000")) ts[n - 5] = 0;
  }
  snprintf(out, 48, "%.40s+00:00", ts);
}

void lash__trace_emit(lash_core *c, unsigned long since, cJSON *ctx, const char *type, cJSON *fields) {
  const cJSON *tr = cJSON_GetObjectItemCaseSensitive(c->config, "trace");
  char id[37], ts[48];
  lash__uuid4(&c->rng, id);
  trace_timestamp(c, ts);
  cJSON *rec = cJSON_CreateObject();
  cJSON_AddNumberToObject(rec, "schema_version", 2);
  cJSON_AddStringToObject(rec, "id", id);
  cJSON_AddStringToObject(rec, "timestamp", ts);
  lash__json_put(rec, "context", merged_context(cJSON_GetObjectItemCaseSensitive(tr, "context"), ctx));
  cJSON_Delete(ctx);
  cJSON_AddStringToObject(rec, "type", type);
  if (fields) { /* #[serde(flatten)] event fields */
    while (fields->child) {
      cJSON *it = cJSON_DetachItemViaPointer(fields, fields->child);
      char *k = it->string;
      it->string = NULL;
      lash__json_put(rec, k, it);
      cJSON_free(k);
    }
    cJSON_Delete(fields);
  }
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "op", LASH_OP(TRACE));
  lash__json_put(m, "record", rec);
  char *text = cJSON_PrintUnformatted(m);
  cJSON_Delete(m);
  if (text && lash__alloc_failures() == since) lash__sched_notify(&c->sched, text, strlen(text));
  cJSON_free(text);
}

/* ---- TraceLlmRequest ------------------------------------------------------ */

static const char *lower_role(const char *role) {
  if (role && !strcmp(role, "Assistant")) return "assistant";
  if (role && !strcmp(role, "System")) return "system";
  return "user";
}

static cJSON *str_or_null(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

static int replay_bool(const cJSON *replay, const char *a, const char *b) {
  if (!cJSON_IsObject(replay)) return 0;
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(replay, a);
  const cJSON *y = b ? cJSON_GetObjectItemCaseSensitive(replay, b) : NULL;
  return (x && !cJSON_IsNull(x)) || (y && !cJSON_IsNull(y));
}

/* trace_content_block (lash-core/src/trace.rs:182-230) */
static cJSON *trace_block(const cJSON *block) {
  cJSON *o = cJSON_CreateObject();
  const cJSON *in;
  if ((in = cJSON_GetObjectItemCaseSensitive(block, "Text"))) {
    cJSON_AddStringToObject(o, "kind", "text");
    const char *text = lash__json_str(in, "text");
    cJSON_AddStringToObject(o, "text", text ? text : "");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "cache_breakpoint"))) cJSON_AddTrueToObject(o, "cache_breakpoint");
  } else if ((in = cJSON_GetObjectItemCaseSensitive(block, "Image"))) {
    cJSON_AddStringToObject(o, "kind", "image");
    cJSON_AddNumberToObject(o, "attachment_idx", lash__json_num(in, "attachment_idx", 0));
  } else if ((in = cJSON_GetObjectItemCaseSensitive(block, "ToolCall"))) {
    const cJSON *replay = cJSON_GetObjectItemCaseSensitive(in, "replay");
    const char *input = lash__json_str(in, "input_json");
    cJSON *parsed = input ? cJSON_Parse(input) : NULL;
    cJSON_AddStringToObject(o, "kind", "tool_call");
    lash__json_put(o, "call_id", str_or_null(lash__json_str(in, "call_id")));
    const char *tn = lash__json_str(in, "tool_name");
    cJSON_AddStringToObject(o, "tool_name", tn ? tn : "");
    lash__json_put(o, "input_json", parsed ? parsed : cJSON_CreateString(input ? input : ""));
    lash__json_put(o, "item_id", str_or_null(lash__json_str(replay, "item_id")));
    cJSON_AddBoolToObject(o, "has_signature", replay_bool(replay, "opaque", NULL));
  } else if ((in = cJSON_GetObjectItemCaseSensitive(block, "ToolResult"))) {
    cJSON_AddStringToObject(o, "kind", "tool_result");
    lash__json_put(o, "call_id", str_or_null(lash__json_str(in, "call_id")));
    lash__json_put(o, "tool_name", str_or_null(lash__json_str(in, "tool_name")));
    const char *content = lash__json_str(in, "content");
    cJSON_AddStringToObject(o, "content", content ? content : "");
  } else if ((in = cJSON_GetObjectItemCaseSensitive(block, "Reasoning"))) {
    const cJSON *replay = cJSON_GetObjectItemCaseSensitive(in, "replay");
    const char *text = lash__json_str(in, "text");
    cJSON_AddStringToObject(o, "kind", "reasoning");
    cJSON_AddStringToObject(o, "text", text ? text : "");
    lash__json_put(o, "item_id", str_or_null(lash__json_str(replay, "item_id")));
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(replay, "summary");
    lash__json_put(o, "summary", cJSON_IsArray(summary) ? cJSON_Duplicate(summary, 1) : cJSON_CreateArray());
    cJSON_AddBoolToObject(o, "has_encrypted", replay_bool(replay, "encrypted_content", "signature"));
    cJSON_AddBoolToObject(o, "redacted", cJSON_IsObject(replay) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(replay, "redacted")));
  } else {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int b64val(int ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+' || ch == '-') return 62;
  if (ch == '/' || ch == '_') return 63;
  return -1;
}

/* trace_attachment (lash-core/src/trace.rs:232-239): mime, sha256 and length of
 * the bytes. Bytes the core holds arrive as a serde Vec<u8> (array) or as base64
 * (an HTTP provider's request, once fetched); an unresolved reference (a JS
 * provider's request: the host resolves it) carries no bytes, so no digest. */
static cJSON *trace_attachment(const cJSON *att) {
  cJSON *o = cJSON_CreateObject();
  const char *mime = lash__json_str(att, "mime");
  cJSON_AddStringToObject(o, "mime", mime ? mime : "");
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(att, "data");
  lash_sha256 h;
  lash__sha256_init(&h);
  size_t n = 0;
  int have = 0;
  if (cJSON_IsArray(data) && data->child) {
    const cJSON *b;
    cJSON_ArrayForEach(b, data) {
      uint8_t byte = (uint8_t)(cJSON_IsNumber(b) ? b->valueint : 0);
      lash__sha256_update(&h, &byte, 1);
      n++;
    }
    have = 1;
  } else if (cJSON_IsString(data)) {
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = data->valuestring; *p; p++) {
      int v = b64val((unsigned char)*p);
      if (v < 0) continue; /* padding, whitespace */
      acc = (acc << 6) | (unsigned)v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        uint8_t byte = (uint8_t)(acc >> bits);
        lash__sha256_update(&h, &byte, 1);
        n++;
      }
    }
    have = 1;
  }
  if (have) {
    uint8_t digest[32];
    char hex[65];
    lash__sha256_final(&h, digest);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    cJSON_AddStringToObject(o, "bytes_sha256", hex);
    cJSON_AddNumberToObject(o, "bytes_len", (double)n);
  }
  return o;
}

cJSON *lash__trace_llm_request(const cJSON *req) {
  cJSON *o = cJSON_CreateObject();
  const char *model = lash__json_str(req, "model");
  cJSON_AddStringToObject(o, "model", model ? model : "");
  const char *variant = lash__json_str(req, "model_variant");
  if (variant) cJSON_AddStringToObject(o, "model_variant", variant);
  cJSON *msgs = cJSON_AddArrayToObject(o, "messages");
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(req, "messages")) {
    cJSON *tm = cJSON_CreateObject();
    cJSON_AddStringToObject(tm, "role", lower_role(lash__json_str(m, "role")));
    cJSON *blocks = cJSON_AddArrayToObject(tm, "blocks");
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(m, "blocks")) {
      cJSON *tb = trace_block(b);
      if (tb) lash__json_push(blocks, tb);
    }
    lash__json_push(msgs, tm);
  }
  const cJSON *atts = cJSON_GetObjectItemCaseSensitive(req, "attachments");
  if (cJSON_GetArraySize(atts)) { /* skip_serializing_if Vec::is_empty */
    cJSON *ta = cJSON_AddArrayToObject(o, "attachments");
    const cJSON *a;
    cJSON_ArrayForEach(a, atts) lash__json_push(ta, trace_attachment(a));
  }
  const cJSON *tools = cJSON_GetObjectItemCaseSensitive(req, "tools");
  if (cJSON_GetArraySize(tools)) {
    cJSON *tt = cJSON_AddArrayToObject(o, "tools");
    const cJSON *t;
    cJSON_ArrayForEach(t, tools) {
      cJSON *s = cJSON_CreateObject();
      const char *name = lash__json_str(t, "name"), *desc = lash__json_str(t, "description");
      cJSON_AddStringToObject(s, "name", name ? name : "");
      cJSON_AddStringToObject(s, "description", desc ? desc : "");
      const cJSON *in = cJSON_GetObjectItemCaseSensitive(t, "input_schema");
      const cJSON *out = cJSON_GetObjectItemCaseSensitive(t, "output_schema");
      lash__json_put(s, "input_schema", in ? cJSON_Duplicate(in, 1) : cJSON_CreateNull());
      lash__json_put(s, "output_schema", out ? cJSON_Duplicate(out, 1) : cJSON_CreateNull());
      lash__json_push(tt, s);
    }
  }
  const char *choice = lash__json_str(req, "tool_choice");
  cJSON_AddStringToObject(o, "tool_choice", choice && !strcmp(choice, "None") ? "none"
                                            : choice && !strcmp(choice, "Required") ? "required"
                                                                                   : "auto");
  /* trace_output_spec (lash-core/src/trace.rs:241-251) */
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(req, "output_spec");
  if (cJSON_IsString(spec) && !strcmp(spec->valuestring, "JsonObject")) {
    cJSON *s = cJSON_AddObjectToObject(o, "output_spec");
    cJSON_AddStringToObject(s, "type", "json_object");
  } else if (cJSON_IsObject(spec) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(spec, "JsonSchema"))) {
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(spec, "JsonSchema");
    cJSON *s = cJSON_AddObjectToObject(o, "output_spec");
    cJSON_AddStringToObject(s, "type", "json_schema");
    lash__json_put(s, "name", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(js, "name"), 1));
    lash__json_put(s, "schema", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(js, "schema"), 1));
    lash__json_put(s, "strict", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(js, "strict"), 1));
  }
  /* stream: req.stream_events.is_some() on the request the machine built — the
   * runtime attaches its event sender to a copy after tracing (streaming.rs:199-220) */
  cJSON_AddFalseToObject(o, "stream");
  return o;
}

cJSON *lash__trace_output_parts(const cJSON *parts) {
  cJSON *out = cJSON_CreateArray();
  const cJSON *p;
  cJSON_ArrayForEach(p, parts) {
    const cJSON *in;
    cJSON *o = cJSON_CreateObject();
    if ((in = cJSON_GetObjectItemCaseSensitive(p, "Text"))) {
      const char *text = lash__json_str(in, "text");
      cJSON_AddStringToObject(o, "type", "text");
      cJSON_AddStringToObject(o, "text", text ? text : "");
    } else if ((in = cJSON_GetObjectItemCaseSensitive(p, "Reasoning"))) {
      const cJSON *replay = cJSON_GetObjectItemCaseSensitive(in, "replay");
      const char *text = lash__json_str(in, "text");
      const cJSON *summary = cJSON_GetObjectItemCaseSensitive(replay, "summary");
      cJSON_AddStringToObject(o, "type", "reasoning");
      lash__json_put(o, "id", str_or_null(lash__json_str(replay, "item_id")));
      /* replay.map(|meta| &meta.summary): the list (default []) when there is replay metadata */
      lash__json_put(o, "summary", !cJSON_IsObject(replay) ? cJSON_CreateNull()
                                   : cJSON_IsArray(summary) ? cJSON_Duplicate(summary, 1)
                                                            : cJSON_CreateArray());
      cJSON_AddStringToObject(o, "text", text ? text : "");
      cJSON_AddBoolToObject(o, "has_encrypted", replay_bool(replay, "encrypted_content", "signature"));
      cJSON_AddBoolToObject(o, "redacted", cJSON_IsObject(replay) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(replay, "redacted")));
    } else if ((in = cJSON_GetObjectItemCaseSensitive(p, "ToolCall"))) {
      const cJSON *replay = cJSON_GetObjectItemCaseSensitive(in, "replay");
      cJSON_AddStringToObject(o, "type", "tool_call");
      lash__json_put(o, "call_id", str_or_null(lash__json_str(in, "call_id")));
      lash__json_put(o, "tool_name", str_or_null(lash__json_str(in, "tool_name")));
      lash__json_put(o, "input_json", str_or_null(lash__json_str(in, "input_json")));
      lash__json_put(o, "id", str_or_null(lash__json_str(replay, "item_id")));
      cJSON_AddBoolToObject(o, "has_opaque", replay_bool(replay, "opaque", NULL));
    } else {
      cJSON_Delete(o);
      continue;
    }
    lash__json_push(out, o);
  }
  if (!cJSON_GetArraySize(out)) { cJSON_Delete(out); return NULL; }
  return out;
}

/* ---- the turn's records (lash-core/src/runtime/turn_driver/trace.rs, turn_loop.rs) ---- */

/* A record in the turn's context: session_id, turn_id, turn_index, then
 * protocol_iteration (< 0: none) and llm_call_id (NULL: none). Callers check
 * tr.on first so that a core without a sink builds nothing. Like an activity,
 * a record goes out only if no allocation failed in this step (see
 * lash__turn_oom): the fields were built before this call. */
static void trace(lash_turn *t, double turn_index, double iteration, const char *llm_call_id, const char *type, cJSON *fields) {
  lash__trace_emit(t->core, t->failures, lash__trace_ctx(t->s->id, t->turn_id, turn_index, iteration, llm_call_id), type,
                   fields);
}

/* turn_started (turn_loop.rs:822-839) then prompt_built (turn_driver/tool_catalog.rs:133-152),
 * once the input is normalised and its images stored. */
void lash__turn_trace_started(lash_turn *t) {
  if (!t->tr.on || t->tr.traced_start) return;
  t->tr.traced_start = 1;
  int items = 0; /* NormalizedItem count: merged non-empty texts and images */
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(t->msgs, 0), "parts")) {
    const char *kind = lash__json_str(p, "kind"), *content = lash__json_str(p, "content");
    if ((kind && !strcmp(kind, "Image")) || (content && *content)) items++;
  }
  cJSON *f = cJSON_CreateObject();
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(f, "metadata"), "input_item_count", items);
  trace(t, t->tr.turn_index, -1, NULL, "turn_started", f);

  const char *sp = t->system_prompt ? t->system_prompt : "";
  char hash[65];
  lash__sha256_hex(sp, strlen(sp), hash);
  double chars = (double)lash__utf8_chars(sp, strlen(sp));
  f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "prompt_hash", hash);
  cJSON_AddNumberToObject(f, "prompt_chars", chars);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "id", "system_prompt");
  cJSON_AddStringToObject(c, "kind", "rendered_prompt");
  cJSON_AddStringToObject(c, "hash", hash);
  cJSON_AddNumberToObject(c, "chars", chars);
  lash__json_push(cJSON_AddArrayToObject(f, "components"), c);
  trace(t, t->tr.turn_index, 0 /* protocol_run_offset */, NULL, "prompt_built", f);
}

/* llm_call_started (turn_driver/streaming.rs:199-209): the neutral LlmRequest
 * (TraceLlmRequest), never a provider's HTTP body or headers. */
void lash__turn_trace_llm_started(lash_turn *t, const cJSON *req) {
  if (!t->tr.on) return;
  /* llm_call_id: "{session}:{turn_index}:{protocol_iteration}:{ordinal}" (turn_driver/trace.rs:12-19) */
  snprintf(t->tr.llm_call_id, sizeof t->tr.llm_call_id, "%.300s:%.0f:%d:%d", t->s->id, t->tr.turn_index, t->iteration,
           t->tr.llm_ordinal++);
  t->tr.llm_started_ms = t->core->sched.now_ms;
  t->tr.ss_first = t->tr.ss_last = -1;
  t->tr.ss_deltas = t->tr.ss_chunks = t->tr.ss_chars = t->tr.ss_max = 0;
  cJSON *f = cJSON_CreateObject();
  lash__json_put(f, "request", lash__trace_llm_request(req));
  trace(t, t->tr.turn_index, t->iteration, t->tr.llm_call_id, "llm_call_started", f);
}

/* LlmStreamSummary::record_text_chunk (assembly.rs:108-125) for a streamed prose delta. */
void lash__turn_trace_chunk(lash_turn *t, const char *text, size_t len) {
  if (!t->tr.on || !t->tr.llm_call_id[0]) return;
  double elapsed = floor(t->core->sched.now_ms - t->tr.llm_started_ms);
  if (elapsed < 0) elapsed = 0;
  t->tr.ss_deltas++;
  double chars = (double)lash__utf8_chars(text, len);
  if (chars == 0) return;
  if (t->tr.ss_first < 0) t->tr.ss_first = elapsed;
  t->tr.ss_last = elapsed;
  t->tr.ss_chunks++;
  t->tr.ss_chars += chars;
  if (chars > t->tr.ss_max) t->tr.ss_max = chars;
}

static cJSON *opt_num(double v) { return v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(v); }

/* LlmStreamSummary::to_json (assembly.rs:127-152) */
static cJSON *stream_summary(lash_turn *t) {
  cJSON *s = cJSON_CreateObject();
  lash__json_put(s, "first_visible_token_latency_ms", opt_num(t->tr.ss_first));
  lash__json_put(s, "stream_duration_ms", opt_num(t->tr.ss_first >= 0 && t->tr.ss_last >= 0 ? t->tr.ss_last - t->tr.ss_first : -1));
  cJSON_AddNumberToObject(s, "text_delta_count", t->tr.ss_deltas);
  cJSON_AddNumberToObject(s, "visible_chunk_count", t->tr.ss_chunks);
  lash__json_put(s, "avg_visible_chunk_chars", t->tr.ss_chunks ? cJSON_CreateNumber(t->tr.ss_chars / t->tr.ss_chunks) : cJSON_CreateNull());
  lash__json_put(s, "max_visible_chunk_chars", t->tr.ss_chunks ? cJSON_CreateNumber(t->tr.ss_max) : cJSON_CreateNull());
  return s;
}

/* llm_call_failed (effect/outcome.rs:98-120): error {message, retryable,
 * terminal_reason, code?, raw?} and the stream summary. */
void lash__turn_trace_llm_failed(lash_turn *t, const char *message, int retryable, const char *terminal, const char *code,
                                 const char *raw) {
  if (!t->tr.on || !t->tr.llm_call_id[0]) return;
  cJSON *f = cJSON_CreateObject();
  cJSON *err = cJSON_AddObjectToObject(f, "error");
  cJSON_AddStringToObject(err, "message", message);
  cJSON_AddBoolToObject(err, "retryable", retryable);
  cJSON_AddStringToObject(err, "terminal_reason", terminal);
  if (code) cJSON_AddStringToObject(err, "code", code);
  if (raw) cJSON_AddStringToObject(err, "raw", raw);
  lash__json_put(f, "stream_summary", stream_summary(t));
  trace(t, t->tr.turn_index, t->iteration, t->tr.llm_call_id, "llm_call_failed", f);
  t->tr.llm_call_id[0] = 0;
}

/* The select loop's cancel branch (streaming.rs:246-255). */
void lash__turn_trace_llm_cancelled(lash_turn *t) { lash__turn_trace_llm_failed(t, "cancelled", 0, "cancelled", "cancelled", NULL); }

/* llm_call_completed (effect/outcome.rs:40-64): response {text, duration_ms,
 * terminal_reason, parts?}, usage, provider_usage?, stream_summary. */
void lash__turn_trace_llm_completed(lash_turn *t, const cJSON *r) {
  if (!t->tr.on || !t->tr.llm_call_id[0]) return;
  cJSON *f = cJSON_CreateObject();
  cJSON *resp = cJSON_AddObjectToObject(f, "response");
  const char *full = lash__json_str(r, "full_text");
  lash_buf text;
  lash__buf_init(&text, &t->core->alloc);
  if (!full) { /* the Text parts joined */
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(r, "parts")) {
      const char *s = lash__json_str(cJSON_GetObjectItemCaseSensitive(p, "Text"), "text");
      if (s) lash__buf_puts(&text, s);
    }
  }
  cJSON_AddStringToObject(resp, "text", full ? full : text.data ? text.data : "");
  lash__buf_free(&text);
  double dur = floor(t->core->sched.now_ms - t->tr.llm_started_ms);
  cJSON_AddNumberToObject(resp, "duration_ms", dur > 0 ? dur : 0);
  const char *terminal = lash__json_str(r, "terminal_reason");
  cJSON_AddStringToObject(resp, "terminal_reason", terminal ? terminal : "stop");
  cJSON *parts = lash__trace_output_parts(cJSON_GetObjectItemCaseSensitive(r, "parts"));
  if (parts) lash__json_put(resp, "parts", parts);
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(r, "usage");
  cJSON *usage = cJSON_AddObjectToObject(f, "usage");
  static const char *const uk[] = {"input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens"};
  for (int i = 0; i < 4; i++) cJSON_AddNumberToObject(usage, uk[i], lash__json_num(u, uk[i], 0));
  const cJSON *pu = cJSON_GetObjectItemCaseSensitive(r, "provider_usage");
  if (pu && !cJSON_IsNull(pu)) lash__json_put(f, "provider_usage", cJSON_Duplicate(pu, 1));
  lash__json_put(f, "stream_summary", stream_summary(t));
  trace(t, t->tr.turn_index, t->iteration, t->tr.llm_call_id, "llm_call_completed", f);
  t->tr.llm_call_id[0] = 0;
}

/* tool_call_started / tool_call_completed (turn_driver/handlers.rs:126-157, trace.rs:30-62) */
void lash__turn_trace_tool(lash_turn *t, const turn_slot *sl, int completed) {
  if (!t->tr.on) return;
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "call_id", sl->call_id);
  cJSON_AddStringToObject(f, "name", sl->name);
  lash__json_put(f, "args", cJSON_Duplicate(sl->args, 1));
  if (completed) { /* trace_tool_call_output (lash-core/src/trace.rs:149-168) */
    cJSON *out = cJSON_AddObjectToObject(f, "output");
    lash__json_put(out, "outcome", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(sl->output, "outcome"), 1));
    const cJSON *control = cJSON_GetObjectItemCaseSensitive(sl->output, "control");
    if (control && !cJSON_IsNull(control)) lash__json_put(out, "control", cJSON_Duplicate(control, 1));
    cJSON_AddNumberToObject(f, "duration_ms", floor(sl->duration_ms));
  }
  trace(t, t->tr.turn_index, t->iteration, NULL, completed ? "tool_call_completed" : "tool_call_started", f);
}

/* trace_fields_from_outcome (turn_loop.rs:3-42), read before the report takes the outcome. */
void lash__turn_trace_outcome(lash_turn *t) {
  if (!t->tr.on) return;
  const cJSON *o = t->outcome;
  const cJSON *fin = cJSON_GetObjectItemCaseSensitive(o, "finished");
  const cJSON *stop = cJSON_GetObjectItemCaseSensitive(o, "stopped");
  static const char *const stops[] = {"cancelled", "incomplete", "invalid_input", "max_turns", "tool_failure",
                                      "provider_error", "plugin_abort", "runtime_error", "submitted_error", "tool_error", NULL};
  t->tr.status = "failed";
  t->tr.reason = "runtime_error";
  if (cJSON_IsObject(fin) && fin->child) {
    static const char *const fins[] = {"assistant_message", "submitted_value", "tool_value", NULL};
    t->tr.status = "completed";
    for (int i = 0; fins[i]; i++) if (!strcmp(fin->child->string, fins[i])) t->tr.reason = fins[i];
  } else if (stop) {
    const char *why = cJSON_IsString(stop) ? stop->valuestring : cJSON_IsObject(stop) && stop->child ? stop->child->string : NULL;
    for (int i = 0; why && stops[i]; i++) if (!strcmp(why, stops[i])) t->tr.reason = stops[i];
  }
}

/* turn_completed (turn_loop.rs:341-373): after the turn is persisted, in the
 * returned state's turn index. */
void lash__turn_trace_completed(lash_turn *t) {
  if (!t->tr.on || !t->tr.status) return;
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "status", t->tr.status);
  cJSON_AddStringToObject(f, "done_reason", t->tr.reason);
  trace(t, (double)t->s->turn_index, -1, NULL, "turn_completed", f);
}
