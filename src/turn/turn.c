#include "turn/turn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "plugins/budget.h"
#include "prompt/prompt.h"
#include "provider/http.h"
#include "session/session.h"
#include "store/commit.h"
#include "tools/schema.h"
#include "turn/render.h"
#include "turn/trace.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/ids.h"
#include "util/sha256.h"

#define BATCH_MAX 25

enum { T_INPUT, T_ATTACH_WAIT, T_LLM_START, T_PROGRESS_WAIT, T_HTTP_ATTACH, T_LLM_WAIT, T_TOOLS, T_DONE, T_COMMIT_WAIT };
enum { SLOT_PENDING, SLOT_RUNNING, SLOT_DONE };

/* One tool call: a model call (parent < 0) or a batch child (parent = index of
 * the batch slot). A batch slot runs nothing itself: it completes when its
 * children have, and its output is their results. */
typedef struct {
  char *call_id, *name;
  cJSON *args;      /* owned */
  cJSON *output;    /* ToolCallOutput, owned once done */
  int parent, index, serial, is_batch, state, children_left;
  const char *immediate; /* static: a batch entry refused before dispatch (reported as a string) */
  uint32_t op;
  double duration_ms;
} tool_slot;

typedef struct {
  lash_task task;
  lash_core *core;
  lash_session *s;
  uint32_t no;
  int state, cancelled, tool_phase;
  char turn_id[64];
  cJSON *input, *blob_ids, *turn_prompt, *model;
  cJSON *msgs;             /* this turn's new messages */
  const cJSON *tool_specs; /* borrowed from the core */
  const char *tools_json;  /* borrowed from the core */
  char *system_prompt;
  char *system_json;       /* the System LLM message (or NULL) */
  int iteration, max_turns;
  lash_usage usage;
  uint32_t op;             /* llm / attachment op in flight */
  tool_slot *slots;
  int nslots, cap;
  cJSON *outcome, *errors, *tool_records;
  char *final_text;
  int had_tools, commit;
  /* persistence (§2.9): what this turn has put in the store so far */
  int persisted;           /* t->msgs already committed (progress commits) */
  cJSON *done_nodes;       /* node records committed by this turn */
  cJSON *pending_nodes;    /* node records of the commit in flight */
  char leaf[40];           /* the active path's leaf as this turn sees it */
  char pending_leaf[40];
  double head;             /* the store's head revision as this turn knows it */
  int replaced, pending_replace, progress_failed, tools_started;
  /* running out of memory (see oom()); what the final commit lands needs no allocation */
  unsigned long failures;  /* lash__alloc_failures() when this step began */
  int oom, reported;       /* reported: turn.done went out */
  lash_buf done_msg;       /* the turn.done message, open for its head revision */
  char **rendered;         /* the renderings of t->msgs for the session's cache */
  int nrendered;
  char *final_leaf;        /* the session's leaf once the final commit lands */
  cJSON *ledger_entry;     /* the session's ledger entry for this turn, or NULL */
  cJSON *http_cfg;         /* an HTTP wire provider's config, or NULL (the host's complete()) */
  lash_http_call *http;    /* the model call in flight over HTTP */
  cJSON *http_req;         /* its LlmRequest while image bytes are fetched */
  uint32_t *att_ops;       /* attachment.get per request attachment (0: has data) */
  int natt_ops;
  char stream_corr[37];    /* correlation id of this call's streamed prose */
  /* tracing (turn/trace.h): all of it only when the core has a trace sink */
  int trace, traced_start, llm_ordinal;
  double trace_turn_index;  /* the turn's index once committed (lash: state.turn_index + 1) */
  char llm_call_id[400];    /* the traced model call in flight, "" when none */
  double llm_started_ms;
  /* lash LlmStreamSummary (lash-core/src/runtime/assembly.rs:77-153) */
  double ss_first, ss_last, ss_deltas, ss_chunks, ss_chars, ss_max;
  const char *trace_status, *trace_reason; /* static; set as the turn finishes */
} turn_t;

/* ---- small JSON helpers -------------------------------------------------- */


static cJSON *failure_output(const char *klass, const char *code, const char *message, const char *source) {
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "class", klass);
  cJSON_AddStringToObject(f, "code", code);
  cJSON_AddStringToObject(f, "message", message);
  cJSON_AddStringToObject(f, "source", source);
  cJSON *retry = cJSON_AddObjectToObject(f, "retry");
  cJSON_AddStringToObject(retry, "type", "never");
  cJSON *out = cJSON_CreateObject();
  cJSON *oc = cJSON_AddObjectToObject(out, "outcome");
  cJSON_AddStringToObject(oc, "status", "failure");
  lash__json_put(oc, "payload", f);
  return out;
}

static cJSON *tool_error_output(const char *message) { /* lash ToolResult::err_fmt */
  cJSON *out = failure_output("execution", "tool_error", message, "tool");
  cJSON *payload = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "outcome"), "payload");
  cJSON_AddStringToObject(payload, "raw", message);
  return out;
}

static cJSON *cancelled_output(void) {
  cJSON *out = cJSON_CreateObject();
  cJSON *oc = cJSON_AddObjectToObject(out, "outcome");
  cJSON_AddStringToObject(oc, "status", "cancelled");
  cJSON *p = cJSON_AddObjectToObject(oc, "payload");
  cJSON_AddStringToObject(p, "message", "tool call cancelled");
  cJSON_AddStringToObject(p, "source", "runtime");
  return out;
}

static cJSON *success_output(cJSON *value /* owned */) {
  cJSON *out = cJSON_CreateObject();
  cJSON *oc = cJSON_AddObjectToObject(out, "outcome");
  cJSON_AddStringToObject(oc, "status", "success");
  lash__json_put(oc, "payload", value);
  return out;
}

static int output_success(const cJSON *out) {
  const char *st = lash__json_str(cJSON_GetObjectItemCaseSensitive(out, "outcome"), "status");
  return st && !strcmp(st, "success");
}

/* ---- running out of memory ----------------------------------------------- */

/* cJSON's builders drop what they cannot allocate without a word, so whatever a
 * step built is whole only if no allocation failed meanwhile. A turn that ran out
 * sends nothing it built from then on (no request, commit or activity goes out
 * half-built) and stops with OutOfMemory (turn_resume). */
static int oom(turn_t *t) {
  if (lash__alloc_failures() != t->failures) t->oom = 1;
  return t->oom;
}

/* ---- activities -------------------------------------------------------- */

/* 1 if it went out. */
static int notify(turn_t *t, const char *op, const char *key, cJSON *payload /* owned */) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "op", op);
  cJSON_AddNumberToObject(m, "turn", t->no);
  lash__json_put(m, key, payload);
  char *text = cJSON_PrintUnformatted(m);
  int sent = text && !oom(t);
  if (sent) lash__sched_notify(&t->core->sched, text, strlen(text));
  cJSON_free(text);
  cJSON_Delete(m);
  return sent;
}

/* {id, correlation_id, type, ...fields}; fields (owned) is merged after them. */
static void emit(turn_t *t, const char *correlation, const char *type, cJSON *fields) {
  char id[37], corr[37];
  lash__uuid4(&t->core->rng, id);
  if (!correlation) { lash__uuid4(&t->core->rng, corr); correlation = corr; }
  cJSON *a = cJSON_CreateObject();
  cJSON_AddStringToObject(a, "id", id);
  cJSON_AddStringToObject(a, "correlation_id", correlation);
  cJSON_AddStringToObject(a, "type", type);
  if (fields) {
    while (fields->child) {
      cJSON *it = fields->child;
      cJSON_DetachItemViaPointer(fields, it);
      char *k = it->string;
      it->string = NULL;
      lash__json_put(a, k, it);
      cJSON_free(k);
    }
    cJSON_Delete(fields);
  }
  notify(t, "activity", "activity", a);
}

/* ---- tracing (lash-core/src/runtime/turn_driver/trace.rs, turn_loop.rs) ---- */

/* A record in the turn's context: session_id, turn_id, turn_index, then
 * protocol_iteration (< 0: none) and llm_call_id (NULL: none). Callers check
 * t->trace first so that a core without a sink builds nothing. Like an activity,
 * a record goes out only if no allocation failed in this step (see oom()): the
 * fields were built before this call. */
static void trace(turn_t *t, double turn_index, double iteration, const char *llm_call_id, const char *type, cJSON *fields) {
  lash__trace_emit(t->core, t->failures, lash__trace_ctx(t->s->id, t->turn_id, turn_index, iteration, llm_call_id), type,
                   fields);
}

/* turn_started (turn_loop.rs:822-839) then prompt_built (turn_driver/tool_catalog.rs:133-152),
 * once the input is normalised and its images stored. */
static void trace_turn_started(turn_t *t) {
  if (!t->trace || t->traced_start) return;
  t->traced_start = 1;
  int items = 0; /* NormalizedItem count: merged non-empty texts and images */
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(t->msgs, 0), "parts")) {
    const char *kind = lash__json_str(p, "kind"), *content = lash__json_str(p, "content");
    if ((kind && !strcmp(kind, "Image")) || (content && *content)) items++;
  }
  cJSON *f = cJSON_CreateObject();
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(f, "metadata"), "input_item_count", items);
  trace(t, t->trace_turn_index, -1, NULL, "turn_started", f);

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
  trace(t, t->trace_turn_index, 0 /* protocol_run_offset */, NULL, "prompt_built", f);
}

/* llm_call_started (turn_driver/streaming.rs:199-209): the neutral LlmRequest
 * (TraceLlmRequest), never a provider's HTTP body or headers. */
static void trace_llm_started(turn_t *t, const cJSON *req) {
  if (!t->trace) return;
  /* llm_call_id: "{session}:{turn_index}:{protocol_iteration}:{ordinal}" (turn_driver/trace.rs:12-19) */
  snprintf(t->llm_call_id, sizeof t->llm_call_id, "%.300s:%.0f:%d:%d", t->s->id, t->trace_turn_index, t->iteration,
           t->llm_ordinal++);
  t->llm_started_ms = t->core->sched.now_ms;
  t->ss_first = t->ss_last = -1;
  t->ss_deltas = t->ss_chunks = t->ss_chars = t->ss_max = 0;
  cJSON *f = cJSON_CreateObject();
  lash__json_put(f, "request", lash__trace_llm_request(req));
  trace(t, t->trace_turn_index, t->iteration, t->llm_call_id, "llm_call_started", f);
}

/* LlmStreamSummary::record_text_chunk (assembly.rs:108-125) for a streamed prose delta. */
static void trace_stream_chunk(turn_t *t, const char *text, size_t len) {
  if (!t->trace || !t->llm_call_id[0]) return;
  double elapsed = floor(t->core->sched.now_ms - t->llm_started_ms);
  if (elapsed < 0) elapsed = 0;
  t->ss_deltas++;
  double chars = (double)lash__utf8_chars(text, len);
  if (chars == 0) return;
  if (t->ss_first < 0) t->ss_first = elapsed;
  t->ss_last = elapsed;
  t->ss_chunks++;
  t->ss_chars += chars;
  if (chars > t->ss_max) t->ss_max = chars;
}

static cJSON *opt_num(double v) { return v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(v); }

/* LlmStreamSummary::to_json (assembly.rs:127-152) */
static cJSON *stream_summary(turn_t *t) {
  cJSON *s = cJSON_CreateObject();
  lash__json_put(s, "first_visible_token_latency_ms", opt_num(t->ss_first));
  lash__json_put(s, "stream_duration_ms", opt_num(t->ss_first >= 0 && t->ss_last >= 0 ? t->ss_last - t->ss_first : -1));
  cJSON_AddNumberToObject(s, "text_delta_count", t->ss_deltas);
  cJSON_AddNumberToObject(s, "visible_chunk_count", t->ss_chunks);
  lash__json_put(s, "avg_visible_chunk_chars", t->ss_chunks ? cJSON_CreateNumber(t->ss_chars / t->ss_chunks) : cJSON_CreateNull());
  lash__json_put(s, "max_visible_chunk_chars", t->ss_chunks ? cJSON_CreateNumber(t->ss_max) : cJSON_CreateNull());
  return s;
}

/* llm_call_failed (effect/outcome.rs:98-120): error {message, retryable,
 * terminal_reason, code?, raw?} and the stream summary. */
static void trace_llm_failed(turn_t *t, const char *message, int retryable, const char *terminal, const char *code,
                             const char *raw) {
  if (!t->trace || !t->llm_call_id[0]) return;
  cJSON *f = cJSON_CreateObject();
  cJSON *err = cJSON_AddObjectToObject(f, "error");
  cJSON_AddStringToObject(err, "message", message);
  cJSON_AddBoolToObject(err, "retryable", retryable);
  cJSON_AddStringToObject(err, "terminal_reason", terminal);
  if (code) cJSON_AddStringToObject(err, "code", code);
  if (raw) cJSON_AddStringToObject(err, "raw", raw);
  lash__json_put(f, "stream_summary", stream_summary(t));
  trace(t, t->trace_turn_index, t->iteration, t->llm_call_id, "llm_call_failed", f);
  t->llm_call_id[0] = 0;
}

/* The select loop's cancel branch (streaming.rs:246-255). */
static void trace_llm_cancelled(turn_t *t) { trace_llm_failed(t, "cancelled", 0, "cancelled", "cancelled", NULL); }

/* llm_call_completed (effect/outcome.rs:40-64): response {text, duration_ms,
 * terminal_reason, parts?}, usage, provider_usage?, stream_summary. */
static void trace_llm_completed(turn_t *t, const cJSON *r) {
  if (!t->trace || !t->llm_call_id[0]) return;
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
  double dur = floor(t->core->sched.now_ms - t->llm_started_ms);
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
  trace(t, t->trace_turn_index, t->iteration, t->llm_call_id, "llm_call_completed", f);
  t->llm_call_id[0] = 0;
}

/* tool_call_started / tool_call_completed (turn_driver/handlers.rs:126-157, trace.rs:30-62) */
static void trace_tool(turn_t *t, const tool_slot *sl, int completed) {
  if (!t->trace) return;
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
  trace(t, t->trace_turn_index, t->iteration, NULL, completed ? "tool_call_completed" : "tool_call_started", f);
}

/* trace_fields_from_outcome (turn_loop.rs:3-42), read before the report takes the outcome. */
static void trace_outcome(turn_t *t) {
  if (!t->trace) return;
  const cJSON *o = t->outcome;
  const cJSON *fin = cJSON_GetObjectItemCaseSensitive(o, "finished");
  const cJSON *stop = cJSON_GetObjectItemCaseSensitive(o, "stopped");
  static const char *const stops[] = {"cancelled", "incomplete", "invalid_input", "max_turns", "tool_failure",
                                      "provider_error", "plugin_abort", "runtime_error", "submitted_error", "tool_error", NULL};
  t->trace_status = "failed";
  t->trace_reason = "runtime_error";
  if (cJSON_IsObject(fin) && fin->child) {
    static const char *const fins[] = {"assistant_message", "submitted_value", "tool_value", NULL};
    t->trace_status = "completed";
    for (int i = 0; fins[i]; i++) if (!strcmp(fin->child->string, fins[i])) t->trace_reason = fins[i];
  } else if (stop) {
    const char *why = cJSON_IsString(stop) ? stop->valuestring : cJSON_IsObject(stop) && stop->child ? stop->child->string : NULL;
    for (int i = 0; why && stops[i]; i++) if (!strcmp(why, stops[i])) t->trace_reason = stops[i];
  }
}

/* turn_completed (turn_loop.rs:341-373): after the turn is persisted, in the
 * returned state's turn index. */
static void trace_turn_completed(turn_t *t) {
  if (!t->trace || !t->trace_status) return;
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "status", t->trace_status);
  cJSON_AddStringToObject(f, "done_reason", t->trace_reason);
  trace(t, (double)t->s->turn_index, -1, NULL, "turn_completed", f);
}

static void emit_error(turn_t *t, const char *kind, const char *code, const char *terminal, const char *message) {
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "message", message);
  emit(t, NULL, "error", f);
  cJSON *issue = cJSON_CreateObject();
  cJSON_AddStringToObject(issue, "kind", kind);
  if (code) cJSON_AddStringToObject(issue, "code", code);
  if (terminal) cJSON_AddStringToObject(issue, "terminal_reason", terminal);
  cJSON_AddStringToObject(issue, "message", message);
  lash__json_push(t->errors, issue);
}

static void finish_stopped(turn_t *t, const char *why) {
  cJSON_Delete(t->outcome);
  t->outcome = cJSON_CreateObject();
  cJSON_AddStringToObject(t->outcome, "stopped", why);
}

static void finish_text(turn_t *t, const char *text) {
  cJSON_Delete(t->outcome);
  t->outcome = cJSON_CreateObject();
  cJSON *f = cJSON_AddObjectToObject(t->outcome, "finished");
  cJSON *am = cJSON_AddObjectToObject(f, "assistant_message");
  cJSON_AddStringToObject(am, "text", text);
  lash__free(&t->core->alloc, t->final_text);
  t->final_text = lash__strndup(&t->core->alloc, text, strlen(text));
}

/* ---- request projection (lash ChatContextProjector + structured prompt) -- */

/* The LlmRequest JSON text: committed history comes from the session's cache,
 * so a request costs one copy per message however long the session grows. */
static char *project_request(turn_t *t, int full, size_t *len) {
  lash_session *s = t->s;
  lash_buf b;
  lash__buf_init(&b, &t->core->alloc);
  cJSON *atts = cJSON_CreateArray();
  lash__buf_puts(&b, "{\"model\":");
  const char *model = lash__json_str(t->model, "id") ? lash__json_str(t->model, "id") : "";
  lash__buf_json_string(&b, model, strlen(model));
  lash__buf_puts(&b, ",\"messages\":[");
  int first = 1;
  if (t->system_json) { lash__buf_puts(&b, t->system_json); first = 0; }
  /* a mirrored history is named in the header, not copied (see session.h) */
  const cJSON *msg = s->messages && (full || !s->mirrored) ? s->messages->child : NULL;
  for (size_t i = 0; msg; i++, msg = msg->next) {
    char *fresh = NULL;
    const char *text = i < s->nrendered ? s->rendered[i] : NULL;
    if (!text) {
      int refs;
      text = fresh = lash__render_message_text(&t->core->alloc, msg, atts, &refs);
    }
    if (text && *text) {
      if (!first) lash__buf_puts(&b, ",");
      lash__buf_puts(&b, text);
      first = 0;
    }
    lash__free(&t->core->alloc, fresh);
  }
  cJSON_ArrayForEach(msg, t->msgs) {
    int refs;
    char *text = lash__render_message_text(&t->core->alloc, msg, atts, &refs);
    if (text && *text) {
      if (!first) lash__buf_puts(&b, ",");
      lash__buf_puts(&b, text);
      first = 0;
    }
    lash__free(&t->core->alloc, text);
  }
  char *att_text = cJSON_PrintUnformatted(atts);
  cJSON_Delete(atts);
  lash__buf_puts(&b, "],\"attachments\":");
  lash__buf_puts(&b, att_text ? att_text : "[]");
  cJSON_free(att_text);
  lash__buf_puts(&b, ",\"tools\":");
  lash__buf_puts(&b, t->tools_json ? t->tools_json : "[]");
  lash__buf_puts(&b, ",\"tool_choice\":\"Auto\",\"model_variant\":");
  const char *variant = lash__json_str(t->model, "variant");
  if (variant) lash__buf_json_string(&b, variant, strlen(variant));
  else lash__buf_puts(&b, "null");
  const cJSON *cap = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(t->model, "limits"), "output_token_capacity");
  if (cJSON_IsNumber(cap)) lash__buf_printf(&b, ",\"generation\":{\"output_token_cap\":%.0f}", cap->valuedouble);
  else lash__buf_puts(&b, ",\"generation\":{}");
  lash__buf_puts(&b, ",\"session_id\":");
  lash__buf_json_string(&b, s->id, strlen(s->id));
  lash__buf_puts(&b, ",\"output_spec\":null}");
  return lash__buf_take(&b, len);
}

/* ---- tools --------------------------------------------------------------- */

static const cJSON *find_tool(turn_t *t, const char *name) {
  const cJSON *tool;
  cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(t->core->config, "tools"))
    if (lash__json_str(tool, "name") && !strcmp(lash__json_str(tool, "name"), name)) return tool;
  return NULL;
}

/* The spec the model saw (input_schema included), batch's among them. */
static const cJSON *find_spec(turn_t *t, const char *name) {
  const cJSON *spec;
  cJSON_ArrayForEach(spec, t->tool_specs)
    if (lash__json_str(spec, "name") && !strcmp(lash__json_str(spec, "name"), name)) return spec;
  return NULL;
}

static int add_slot(turn_t *t, const char *call_id, const char *name, cJSON *args, int parent, int index) {
  if (t->nslots == t->cap) {
    int cap = t->cap ? t->cap * 2 : 8;
    tool_slot *n = lash__realloc(&t->core->alloc, t->slots, (size_t)cap * sizeof *n);
    if (!n) { cJSON_Delete(args); return -1; }
    t->slots = n;
    t->cap = cap;
  }
  tool_slot *sl = &t->slots[t->nslots];
  memset(sl, 0, sizeof *sl);
  sl->call_id = lash__strndup(&t->core->alloc, call_id, strlen(call_id));
  sl->name = lash__strndup(&t->core->alloc, name, strlen(name));
  if (!sl->call_id || !sl->name) { /* the turn stops for want of memory (oom()) */
    lash__free(&t->core->alloc, sl->call_id);
    lash__free(&t->core->alloc, sl->name);
    cJSON_Delete(args);
    return -1;
  }
  sl->args = args;
  sl->parent = parent;
  sl->index = index;
  return t->nslots++;
}

static void slot_done(turn_t *t, int i, cJSON *output, double duration_ms);

/* lash's preparation: unknown tool and argument validation fail without running. */
static void prepare_slot(turn_t *t, int i) {
  tool_slot *sl = &t->slots[i];
  const cJSON *tool = find_tool(t, sl->name);
  const cJSON *spec = find_spec(t, sl->name);
  if (!strcmp(sl->name, "batch") && sl->parent < 0 && spec) sl->is_batch = 1;
  if (!spec || (!tool && !sl->is_batch)) {
    slot_done(t, i, failure_output("unavailable", "tool_unavailable", "Tool is unavailable in this session", "runtime"), 0);
    return;
  }
  sl->serial = tool && lash__json_str(tool, "scheduling") && !strcmp(lash__json_str(tool, "scheduling"), "serial");
  lash_buf err;
  lash__buf_init(&err, &t->core->alloc);
  const cJSON *schema = cJSON_GetObjectItemCaseSensitive(spec, "input_schema");
  if (schema && !lash__schema_validate(schema, sl->args, &err)) {
    slot_done(t, i, failure_output("invalid_request", "invalid_tool_args", err.data ? err.data : "invalid arguments", "runtime"), 0);
  }
  lash__buf_free(&err);
}

/* batch args -> child slots, or a failure of the batch call itself (lash batch.rs). */
static void expand_batch(turn_t *t, int bi) {
  const cJSON *calls = cJSON_GetObjectItemCaseSensitive(t->slots[bi].args, "tool_calls");
  char msg[96];
  if (!cJSON_IsArray(calls)) { slot_done(t, bi, tool_error_output("Missing required parameter: tool_calls"), 0); return; }
  int n = cJSON_GetArraySize(calls);
  if (n == 0) { slot_done(t, bi, tool_error_output("Invalid tool_calls: expected at least one call"), 0); return; }
  int idx = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, calls) { /* validate all before running any */
    const char *tool = cJSON_IsObject(item) ? lash__json_str(item, "tool") : NULL;
    if (!cJSON_IsObject(item)) {
      snprintf(msg, sizeof msg, "Invalid tool_calls[%d]: expected object with tool and parameters", idx);
      slot_done(t, bi, tool_error_output(msg), 0);
      return;
    }
    if (!tool || !tool[strspn(tool, " \t\n\r")]) {
      snprintf(msg, sizeof msg, "Invalid tool_calls[%d].tool: expected non-empty string", idx);
      slot_done(t, bi, tool_error_output(msg), 0);
      return;
    }
    idx++;
  }
  t->slots[bi].children_left = n;
  idx = 0;
  cJSON_ArrayForEach(item, calls) {
    char cid[160];
    const char *tool = lash__json_str(item, "tool");
    while (*tool == ' ' || *tool == '\t' || *tool == '\n') tool++;
    char name[128];
    snprintf(name, sizeof name, "%s", tool);
    for (size_t k = strlen(name); k && (name[k - 1] == ' ' || name[k - 1] == '\t' || name[k - 1] == '\n'); k--) name[k - 1] = 0;
    snprintf(cid, sizeof cid, "%s:%02d", t->slots[bi].call_id, idx);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(item, "parameters");
    int ci = add_slot(t, cid, name, params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject(), bi, idx);
    if (ci < 0) break;
    const char *refused = idx >= BATCH_MAX ? "Maximum of 25 tool calls allowed in batch"
                          : !strcmp(name, "batch") ? "Tool 'batch' is not allowed inside batch" : NULL;
    if (refused) {
      t->slots[ci].immediate = refused;
      slot_done(t, ci, tool_error_output(refused), 0);
    } else {
      prepare_slot(t, ci);
    }
    idx++;
  }
}

static void batch_complete(turn_t *t, int bi) {
  cJSON *results = cJSON_CreateArray();
  for (int i = 0; i < t->nslots; i++) {
    tool_slot *c = &t->slots[i];
    if (c->parent != bi) continue; /* children were added in index order */
    int ok = output_success(c->output);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "index", c->index);
    cJSON_AddStringToObject(r, "tool", c->name);
    cJSON_AddBoolToObject(r, "success", ok);
    cJSON_AddNumberToObject(r, "duration_ms", floor(c->duration_ms));
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->output, "outcome"), "payload");
    /* lash: output.value_for_projection(): the value, or the failure/cancellation JSON;
     * entries refused before dispatch carry just their message */
    lash__json_put(r, ok ? "result" : "error",
                          c->immediate ? cJSON_CreateString(c->immediate) : cJSON_Duplicate(payload, 1));
    lash__json_push(results, r);
  }
  cJSON *v = cJSON_CreateObject();
  lash__json_put(v, "results", results);
  double dur = 0;
  for (int i = 0; i < t->nslots; i++) if (t->slots[i].parent == bi && t->slots[i].duration_ms > dur) dur = t->slots[i].duration_ms;
  slot_done(t, bi, success_output(v), dur);
}

static void emit_tool(turn_t *t, const tool_slot *sl, int completed) {
  char corr[200];
  snprintf(corr, sizeof corr, "tool:%s", sl->call_id);
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "call_id", sl->call_id);
  cJSON_AddStringToObject(f, "name", sl->name);
  lash__json_put(f, "args", cJSON_Duplicate(sl->args, 1));
  if (completed) {
    lash__json_put(f, "output", cJSON_Duplicate(sl->output, 1));
    cJSON_AddNumberToObject(f, "duration_ms", floor(sl->duration_ms));
  }
  emit(t, corr, completed ? "tool_call_completed" : "tool_call_started", f);
}

static void slot_done(turn_t *t, int i, cJSON *output, double duration_ms) {
  tool_slot *sl = &t->slots[i];
  if (sl->state == SLOT_DONE) { cJSON_Delete(output); return; }
  sl->state = SLOT_DONE;
  sl->output = output ? output : tool_error_output("out of memory");
  sl->duration_ms = duration_ms;
  if (sl->parent < 0) emit_tool(t, sl, 1);
  else if (--t->slots[sl->parent].children_left == 0) batch_complete(t, sl->parent);
}

static void start_slot(turn_t *t, int i) {
  tool_slot *sl = &t->slots[i];
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "op", "tool.call");
  cJSON_AddNumberToObject(m, "turn", t->no);
  cJSON_AddStringToObject(m, "session_id", t->s->id);
  cJSON_AddStringToObject(m, "call_id", sl->call_id);
  cJSON_AddStringToObject(m, "name", sl->name);
  lash__json_put(m, "args", cJSON_Duplicate(sl->args, 1));
  char *text = cJSON_PrintUnformatted(m);
  cJSON_Delete(m);
  sl->state = SLOT_RUNNING;
  sl->op = text && !oom(t) ? lash__task_start_op(&t->task, text, strlen(text)) : 0;
  cJSON_free(text);
  if (!sl->op) slot_done(t, i, tool_error_output("too many operations in flight"), 0);
}

/* Collect finished ops; start what may start. Returns 1 when every slot is done. */
static int pump_tools(turn_t *t) {
  for (int i = 0; i < t->nslots; i++) {
    tool_slot *sl = &t->slots[i];
    if (sl->state != SLOT_RUNNING || !sl->op) continue;
    int st;
    char *payload = NULL;
    size_t len;
    if (lash__task_take_op(&t->task, sl->op, &st, &payload, &len) != 1) continue;
    sl->op = 0;
    cJSON *r = cJSON_ParseWithLength(payload, len);
    lash__free(&t->core->alloc, payload);
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(r, "output");
    const cJSON *dur = cJSON_GetObjectItemCaseSensitive(r, "duration_ms");
    double d = cJSON_IsNumber(dur) && dur->valuedouble >= 0 ? dur->valuedouble : 0;
    if (st == LASH_OP_OK && cJSON_IsObject(out) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(out, "outcome")))
      slot_done(t, i, cJSON_Duplicate(out, 1), d);
    else if (st == LASH_OP_CANCELLED)
      slot_done(t, i, cancelled_output(), d);
    else {
      const char *msg = lash__json_str(r, "message");
      slot_done(t, i, tool_error_output(msg ? msg : "tool host returned an unreadable result"), d);
    }
    cJSON_Delete(r);
  }
  /* phase 0: every parallel leaf at once; phase 1: serial leaves one at a time, in order */
  int running = 0;
  for (int i = 0; i < t->nslots; i++) {
    tool_slot *sl = &t->slots[i];
    if (sl->is_batch) continue;
    if (sl->state == SLOT_RUNNING) running++;
    if (sl->state == SLOT_PENDING && !sl->serial) { start_slot(t, i); if (t->slots[i].state == SLOT_RUNNING) running++; }
  }
  if (!running) {
    for (int i = 0; i < t->nslots; i++) {
      tool_slot *sl = &t->slots[i];
      if (!sl->is_batch && sl->state == SLOT_PENDING) { start_slot(t, i); if (t->slots[i].state == SLOT_RUNNING) break; }
    }
  }
  for (int i = 0; i < t->nslots; i++) if (t->slots[i].state != SLOT_DONE) return 0;
  return 1;
}

static void cancel_tools(turn_t *t) {
  for (int i = 0; i < t->nslots; i++) {
    tool_slot *sl = &t->slots[i];
    if (sl->is_batch || sl->state == SLOT_DONE) continue;
    if (sl->op) lash__task_cancel_op(&t->task, sl->op);
    sl->op = 0;
    slot_done(t, i, cancelled_output(), 0);
  }
}

static void free_slots(turn_t *t) {
  for (int i = 0; i < t->nslots; i++) {
    lash__free(&t->core->alloc, t->slots[i].call_id);
    lash__free(&t->core->alloc, t->slots[i].name);
    cJSON_Delete(t->slots[i].args);
    cJSON_Delete(t->slots[i].output);
  }
  lash__free(&t->core->alloc, t->slots);
  t->slots = NULL;
  t->nslots = t->cap = 0;
}

/* All tools done: records, the tool-result message, terminal control, next iteration. */
static int tools_finished(turn_t *t) {
  lash_budget_cfg budget;
  lash__budget_default(&budget);
  const cJSON *plugin;
  int budget_on = 0;
  cJSON_ArrayForEach(plugin, cJSON_GetObjectItemCaseSensitive(t->core->config, "plugins")) {
    if (lash__json_str(plugin, "id") && !strcmp(lash__json_str(plugin, "id"), "tool_output_budget")) {
      budget_on = 1;
      lash_err e;
      if (lash__budget_from_json(cJSON_GetObjectItemCaseSensitive(plugin, "config"), &budget, &e)) lash__budget_default(&budget);
    }
  }
  char mid[34];
  lash__message_id(&t->core->rng, mid);
  cJSON *msg = lash__message_new(mid, "User");
  cJSON *terminal = NULL;
  for (int i = 0; i < t->nslots; i++) {
    tool_slot *sl = &t->slots[i];
    if (sl->parent >= 0) continue;
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddStringToObject(rec, "call_id", sl->call_id);
    cJSON_AddStringToObject(rec, "tool", sl->name);
    lash__json_put(rec, "args", cJSON_Duplicate(sl->args, 1));
    lash__json_put(rec, "output", cJSON_Duplicate(sl->output, 1));
    cJSON_AddNumberToObject(rec, "duration_ms", floor(sl->duration_ms));
    lash__json_push(t->tool_records, rec);
    trace_tool(t, sl, 1);
    const cJSON *control = cJSON_GetObjectItemCaseSensitive(sl->output, "control");
    if (!terminal && output_success(sl->output) && cJSON_IsObject(control)) {
      const char *type = lash__json_str(control, "type");
      if (type && !strcmp(type, "finish")) {
        terminal = cJSON_CreateObject();
        cJSON *tv = cJSON_AddObjectToObject(cJSON_AddObjectToObject(terminal, "finished"), "tool_value");
        cJSON_AddStringToObject(tv, "tool_name", sl->name);
        lash__json_put(tv, "value", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(control, "value"), 1));
      } else if (type && !strcmp(type, "fail")) {
        terminal = cJSON_CreateObject();
        cJSON *te = cJSON_AddObjectToObject(cJSON_AddObjectToObject(terminal, "stopped"), "tool_error");
        cJSON_AddStringToObject(te, "tool_name", sl->name);
        lash__json_put(te, "value", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(control, "failure"), 1));
      }
    }
    cJSON *parts = budget_on ? lash__budget_project(&budget, sl->name, sl->output) : NULL;
    if (!budget_on) { /* without the budget plugin the model sees the plain rendering */
      lash_budget_cfg open = {LASH_BUDGET_BYTES, (size_t)-1 / 2, (size_t)-1 / 2};
      parts = lash__budget_project(&open, sl->name, sl->output);
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, parts) {
      const char *type = lash__json_str(p, "type");
      if (type && !strcmp(type, "text")) {
        const char *text = lash__json_str(p, "text");
        if (!text || !*text) continue;
        cJSON *part = lash__part_new(mid, 0, "ToolResult", text);
        cJSON_AddStringToObject(part, "tool_call_id", sl->call_id);
        cJSON_AddStringToObject(part, "tool_name", sl->name);
        lash__message_add_part(msg, part);
      } else if (type && !strcmp(type, "attachment")) {
        cJSON *part = lash__part_new(mid, 0, "Image", "");
        cJSON *ref = cJSON_Duplicate(p, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(ref, "type");
        cJSON *att = cJSON_CreateObject();
        lash__json_put(att, "reference", ref);
        lash__json_put(part, "attachment", att);
        cJSON_AddStringToObject(part, "tool_call_id", sl->call_id);
        cJSON_AddStringToObject(part, "tool_name", sl->name);
        lash__message_add_part(msg, part);
      }
    }
    cJSON_Delete(parts);
  }
  if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(msg, "parts"))) lash__json_push(t->msgs, msg);
  else cJSON_Delete(msg);
  free_slots(t);
  t->tools_started = 0;
  if (terminal) { cJSON_Delete(t->outcome); t->outcome = terminal; return T_DONE; }
  if (t->cancelled) { finish_stopped(t, "cancelled"); return T_DONE; }
  t->iteration++;
  if (t->max_turns > 0 && t->iteration >= t->max_turns) {
    char text[96];
    snprintf(text, sizeof text, "Turn limit reached (%d) before a final assistant response.", t->max_turns);
    lash__message_id(&t->core->rng, mid);
    cJSON *sys = lash__message_new(mid, "System");
    lash__message_add_part(sys, lash__part_new(mid, 0, "Error", text));
    lash__json_push(t->msgs, sys);
    finish_stopped(t, "max_turns");
    return T_DONE;
  }
  return T_LLM_START;
}

/* ---- the LLM step -------------------------------------------------------- */

static int last_message_has_tool_result(turn_t *t) {
  int n = cJSON_GetArraySize(t->msgs);
  const cJSON *last = n ? cJSON_GetArrayItem(t->msgs, n - 1) : NULL;
  if (!last && t->s->messages && t->s->messages->child) last = t->s->messages->child->prev; /* cJSON's tail */
  if (!last || !lash__json_str(last, "role") || strcmp(lash__json_str(last, "role"), "User")) return 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(last, "parts"))
    if (lash__json_str(p, "kind") && !strcmp(lash__json_str(p, "kind"), "ToolResult")) return 1;
  return 0;
}

static double num(const cJSON *o, const char *k) { return lash__json_num(o, k, 0); }

static int handle_llm(turn_t *t, int status, const char *payload, size_t len) {
  cJSON *r = cJSON_ParseWithLength(payload, len);
  if (status != LASH_OP_OK || !cJSON_IsObject(r) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "parts"))) {
    const char *code = lash__json_str(r, "code"), *terminal = lash__json_str(r, "terminal_reason");
    if (t->trace) {
      if (t->cancelled || status == LASH_OP_CANCELLED) trace_llm_cancelled(t);
      else {
        const char *m = lash__json_str(r, "message");
        trace_llm_failed(t, m ? m : (status == LASH_OP_OK ? "provider returned an unreadable response" : "provider call failed"),
                         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "retryable")), terminal ? terminal : "provider_error",
                         code, lash__json_str(r, "raw"));
      }
    }
    if (t->cancelled || status == LASH_OP_CANCELLED || (code && !strcmp(code, "cancelled"))) {
      cJSON_Delete(r);
      finish_stopped(t, "cancelled");
      return T_DONE;
    }
    const char *m = lash__json_str(r, "message");
    lash_buf b;
    lash__buf_init(&b, &t->core->alloc);
    lash__buf_printf(&b, "LLM error: %s", m ? m : (status == LASH_OP_OK ? "provider returned an unreadable response" : "provider call failed"));
    emit_error(t, "llm_provider", code, terminal ? terminal : "provider_error", b.data ? b.data : "LLM error");
    lash__buf_free(&b);
    cJSON_Delete(r);
    finish_stopped(t, "provider_error");
    return T_DONE;
  }
  trace_llm_completed(t, r);
  /* lash's runtime hands the response parts to the stream before the machine
   * records usage: prose/reasoning deltas first (unless already streamed), then usage */
  int streamed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "text_streamed"));
  char corr[37];
  lash__uuid4(&t->core->rng, corr);
  if (!streamed) {
    const cJSON *part;
    cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(r, "parts")) {
      const cJSON *tp = cJSON_GetObjectItemCaseSensitive(part, "Text");
      const cJSON *rp = cJSON_GetObjectItemCaseSensitive(part, "Reasoning");
      const char *s = lash__json_str(tp ? tp : rp, "text");
      if (!s || !*s) continue;
      cJSON *f = cJSON_CreateObject();
      cJSON_AddStringToObject(f, "text", s);
      emit(t, tp ? corr : NULL, tp ? "assistant_prose_delta" : "reasoning_delta", f);
    }
  }
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(r, "usage");
  lash_usage call = {num(u, "input_tokens"), num(u, "output_tokens"), num(u, "cached_input_tokens"), num(u, "reasoning_tokens")};
  lash__usage_add(&t->usage, &call);
  cJSON *uf = cJSON_CreateObject();
  cJSON_AddNumberToObject(uf, "protocol_iteration", t->iteration);
  lash__json_put(uf, "usage", lash__usage_json(&call));
  lash__json_put(uf, "cumulative", lash__usage_json(&t->usage));
  emit(t, NULL, "usage", uf);

  const char *terminal = lash__json_str(r, "terminal_reason");
  /* lash refine_terminal_reason_for_context_window: a zero-output OutputLimit with
   * the prompt at >= 95% of the window is a context overflow */
  const cJSON *limits = cJSON_GetObjectItemCaseSensitive(t->model, "limits");
  double window = num(limits, "context_window_tokens");
  const char *diagnostic = lash__json_str(r, "terminal_diagnostic");
  if (terminal && !strcmp(terminal, "output_limit") && call.output == 0 && window > 0 &&
      call.input + call.cached >= floor(window * 95 / 100)) {
    terminal = "context_overflow";
    diagnostic = "Model produced no output because the prompt reached the configured context window.";
  }
  if (terminal && strcmp(terminal, "stop") && strcmp(terminal, "tool_use") && strcmp(terminal, "unknown")) {
    static const char *const names[][2] = {{"output_limit", "OutputLimit"}, {"context_overflow", "ContextOverflow"},
                                           {"content_filter", "ContentFilter"}, {"provider_error", "ProviderError"},
                                           {"cancelled", "Cancelled"}};
    const char *debug = "ProviderError";
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) if (!strcmp(terminal, names[i][0])) debug = names[i][1];
    const char *why = !strcmp(terminal, "output_limit") ? "incomplete"
                      : !strcmp(terminal, "cancelled")  ? "cancelled"
                                                         : "provider_error";
    char msg[128];
    if (!diagnostic) { snprintf(msg, sizeof msg, "Model call ended with terminal reason %s.", debug); diagnostic = msg; }
    char term[32];
    snprintf(term, sizeof term, "%s", terminal);
    emit_error(t, "llm_provider", term, term, diagnostic);
    cJSON_Delete(r);
    finish_stopped(t, why);
    return T_DONE;
  }
  /* text, reasoning and tool calls in provider order */
  lash_buf text;
  lash__buf_init(&text, &t->core->alloc);
  char mid[34];
  lash__message_id(&t->core->rng, mid);
  cJSON *asst = lash__message_new(mid, "Assistant");
  int ncalls = 0, has_reasoning = 0;
  const cJSON *part;
  cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(r, "parts")) {
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(part, "Text");
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(part, "Reasoning");
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(part, "ToolCall");
    if (tp && lash__json_str(tp, "text") && *lash__json_str(tp, "text")) {
      const char *s = lash__json_str(tp, "text");
      lash__buf_puts(&text, s);
      if (s[strspn(s, " \n\t\r")]) lash__message_add_part(asst, lash__part_new(mid, 0, "Prose", s));
    } else if (rp && lash__json_str(rp, "text")) {
      const char *s = lash__json_str(rp, "text");
      const cJSON *replay = cJSON_GetObjectItemCaseSensitive(rp, "replay");
      if (!s[strspn(s, " \n\t\r")] && !(cJSON_IsObject(replay) && replay->child)) continue;
      has_reasoning = 1;
      cJSON *p = lash__part_new(mid, 0, "Reasoning", s);
      if (cJSON_IsObject(replay) && replay->child) lash__json_put(p, "reasoning_meta", cJSON_Duplicate(replay, 1));
      lash__message_add_part(asst, p);
    } else if (cp && lash__json_str(cp, "call_id") && lash__json_str(cp, "tool_name")) {
      const char *input = lash__json_str(cp, "input_json") ? lash__json_str(cp, "input_json") : "{}";
      cJSON *p = lash__part_new(mid, 0, "ToolCall", input);
      cJSON_AddStringToObject(p, "tool_call_id", lash__json_str(cp, "call_id"));
      cJSON_AddStringToObject(p, "tool_name", lash__json_str(cp, "tool_name"));
      const cJSON *replay = cJSON_GetObjectItemCaseSensitive(cp, "replay");
      if (cJSON_IsObject(replay)) lash__json_put(p, "tool_replay", cJSON_Duplicate(replay, 1));
      lash__message_add_part(asst, p);
      cJSON *args = cJSON_Parse(input);
      if (!cJSON_IsObject(args)) { cJSON_Delete(args); args = cJSON_CreateObject(); } /* lash: invalid JSON -> {} */
      add_slot(t, lash__json_str(cp, "call_id"), lash__json_str(cp, "tool_name"), args, -1, ncalls++);
    }
  }
  cJSON_Delete(r);
  const char *all = text.data ? text.data : "";
  if (!ncalls) {
    cJSON_Delete(asst);
    if (!all[strspn(all, " \n\t\r")] && !has_reasoning) {
      if (last_message_has_tool_result(t)) finish_text(t, "");
      else {
        emit_error(t, "llm_provider", "empty_response", NULL, "Model returned no assistant text or tool calls.");
        finish_stopped(t, "provider_error");
      }
    } else {
      finish_text(t, all);
    }
    lash__buf_free(&text);
    return t->cancelled ? (finish_stopped(t, "cancelled"), T_DONE) : T_DONE;
  }
  lash__buf_free(&text);
  lash__json_push(t->msgs, asst);
  t->had_tools = 1;
  int n = t->nslots;
  for (int i = 0; i < n; i++) emit_tool(t, &t->slots[i], 0);
  if (t->trace) for (int i = 0; i < n; i++) trace_tool(t, &t->slots[i], 0);
  for (int i = 0; i < n; i++) {
    if (t->slots[i].state == SLOT_DONE) continue;
    prepare_slot(t, i);
    if (t->slots[i].is_batch && t->slots[i].state != SLOT_DONE) expand_batch(t, i);
  }
  return T_TOOLS;
}

/* ---- input normalisation (§2.3) ------------------------------------------ */

static int normalize_input(turn_t *t, const char **error) {
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(t->input, "items");
  char mid[34];
  lash__message_id(&t->core->rng, mid);
  cJSON *msg = lash__message_new(mid, "User");
  lash_buf text;
  lash__buf_init(&text, &t->core->alloc);
  int has_text = 0;
  const cJSON *it;
  static char errbuf[320];
  cJSON_ArrayForEach(it, items) {
    const char *type = lash__json_str(it, "type");
    if (type && !strcmp(type, "text")) {
      const char *s = lash__json_str(it, "text");
      if (s && *s) { lash__buf_puts(&text, s); has_text = 1; }
      continue;
    }
    if (has_text) { lash__message_add_part(msg, lash__part_new(mid, 0, "Text", text.data)); lash__buf_free(&text); lash__buf_init(&text, &t->core->alloc); has_text = 0; }
    const char *id = lash__json_str(it, "id");
    if (!id || !*id) { *error = "Invalid image_ref: id cannot be empty"; goto fail; }
    int found = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, t->blob_ids) if (cJSON_IsString(b) && !strcmp(b->valuestring, id)) found = 1;
    if (!found) {
      snprintf(errbuf, sizeof errbuf, "Invalid image_ref: missing blob for id '%.200s'", id);
      *error = errbuf;
      goto fail;
    }
    cJSON *p = lash__part_new(mid, 0, "Image", "");
    cJSON_AddStringToObject(p, "label", id); /* replaced by the attachment once stored */
    lash__message_add_part(msg, p);
  }
  if (has_text) lash__message_add_part(msg, lash__part_new(mid, 0, "Text", text.data));
  lash__buf_free(&text);
  if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(msg, "parts")))
    lash__message_add_part(msg, lash__part_new(mid, 0, "Text", ""));
  lash__json_push(t->msgs, msg);
  return 1;
fail:
  lash__buf_free(&text);
  cJSON_Delete(msg);
  return 0;
}

/* Next image part still waiting for its attachment, or NULL. */
static cJSON *next_image(turn_t *t) {
  cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(t->msgs, 0), "parts"))
    if (cJSON_GetObjectItemCaseSensitive(p, "label")) return p;
  return NULL;
}

/* ---- commits ------------------------------------------------------------- */

/* The RuntimeCommit for this turn's not-yet-persisted messages (§2.9). Final
 * commits carry the turn state, usage delta and the (session, turn, hash) stamp. */
/* Node records for this turn's not-yet-persisted messages, chained from the leaf. */
static void make_pending_nodes(turn_t *t) {
  cJSON_Delete(t->pending_nodes);
  t->pending_nodes = cJSON_CreateArray();
  snprintf(t->pending_leaf, sizeof t->pending_leaf, "%s", t->leaf);
  char ts[48];
  lash__rfc3339(t->core->sched.now_ms, ts);
  int i = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, t->msgs) {
    if (i++ < t->persisted) continue;
    char nid[34];
    lash__message_id(&t->core->rng, nid);
    nid[0] = 'n';
    lash__json_push(t->pending_nodes, lash__node_for_message(nid, t->pending_leaf, ts, m));
    snprintf(t->pending_leaf, sizeof t->pending_leaf, "%s", nid);
  }
}

static cJSON *build_commit(turn_t *t, int final) {
  lash_session *s = t->s;
  make_pending_nodes(t);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "session_id", s->id);
  if (t->head < 0) cJSON_AddNullToObject(c, "expected_head_revision");
  else cJSON_AddNumberToObject(c, "expected_head_revision", t->head);
  cJSON *config = cJSON_AddObjectToObject(c, "config");
  cJSON_AddStringToObject(config, "provider_id", s->provider_id ? s->provider_id : "");
  lash__json_put(config, "model", cJSON_Duplicate(t->model, 1));
  lash__json_put(c, "agent_frames", cJSON_CreateArray());
  cJSON_AddStringToObject(c, "current_agent_frame_id", "");
  cJSON *graph = cJSON_AddObjectToObject(c, "graph");
  t->pending_replace = (s->replace_required && !t->replaced) || t->head < 0;
  if (t->pending_replace) { /* first commit, or after open_fresh: the whole graph */
    cJSON *rf = cJSON_AddObjectToObject(graph, "ReplaceFull");
    cJSON *nodes = cJSON_AddArrayToObject(rf, "nodes");
    const cJSON *n;
    if (!s->replace_required) cJSON_ArrayForEach(n, s->nodes) lash__json_push(nodes, cJSON_Duplicate(n, 1));
    cJSON_ArrayForEach(n, t->done_nodes) lash__json_push(nodes, cJSON_Duplicate(n, 1));
    cJSON_ArrayForEach(n, t->pending_nodes) lash__json_push(nodes, cJSON_Duplicate(n, 1));
    if (*t->pending_leaf) cJSON_AddStringToObject(rf, "leaf_node_id", t->pending_leaf);
    else cJSON_AddNullToObject(rf, "leaf_node_id");
  } else if (!cJSON_GetArraySize(t->pending_nodes)) {
    cJSON *u = cJSON_AddObjectToObject(graph, "Unchanged");
    if (*t->pending_leaf) cJSON_AddStringToObject(u, "leaf_node_id", t->pending_leaf);
    else cJSON_AddNullToObject(u, "leaf_node_id");
  } else {
    cJSON *ap = cJSON_AddObjectToObject(graph, "Append");
    lash__json_put(ap, "nodes", cJSON_Duplicate(t->pending_nodes, 1));
    cJSON_AddStringToObject(ap, "leaf_node_id", t->pending_leaf);
  }
  cJSON *ts_obj = cJSON_AddObjectToObject(cJSON_AddObjectToObject(c, "checkpoint"), "turn_state");
  lash_usage total = s->usage;
  if (final) lash__usage_add(&total, &t->usage);
  cJSON_AddNumberToObject(ts_obj, "turn_index", (double)(s->turn_index + (final ? 1 : 0)));
  lash__json_put(ts_obj, "token_usage", lash__usage_json(&total));
  lash__json_put(ts_obj, "protocol_turn_options", cJSON_CreateObject());
  cJSON *deltas = cJSON_AddArrayToObject(c, "usage_deltas");
  if (final && lash__usage_nonzero(&t->usage)) {
    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "source", "turn");
    cJSON_AddStringToObject(entry, "model", lash__json_str(t->model, "id") ? lash__json_str(t->model, "id") : "");
    lash__json_put(entry, "usage", lash__usage_json(&t->usage));
    lash__json_push(deltas, entry);
  }
  cJSON_AddNullToObject(c, "turn_commit");
  lash__json_put(c, "completed_queue_claims", cJSON_CreateArray());
  cJSON *atts = cJSON_AddArrayToObject(c, "committed_attachment_ids");
  const cJSON *node;
  cJSON_ArrayForEach(node, t->pending_nodes) {
    const cJSON *part;
    cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(lash__node_message(node), "parts")) {
      const cJSON *ref = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(part, "attachment"), "reference");
      if (lash__json_str(ref, "id")) lash__json_push(atts, cJSON_CreateString(lash__json_str(ref, "id")));
    }
  }
  if (final) {
    char hash[65];
    if (lash__commit_hash(&t->core->alloc, c, hash)) {
      cJSON *stamp = cJSON_CreateObject();
      cJSON_AddStringToObject(stamp, "session_id", s->id);
      cJSON_AddStringToObject(stamp, "turn_id", t->turn_id);
      cJSON_AddStringToObject(stamp, "turn_commit_hash", hash);
      lash__json_replace(c, "turn_commit", stamp);
    }
  }
  return c;
}

/* The commit as JSON text (a cJSON allocation), or NULL. */
static char *commit_text(turn_t *t, int final) {
  cJSON *c = build_commit(t, final);
  char *body = cJSON_PrintUnformatted(c);
  cJSON_Delete(c);
  return body;
}

/* Send a commit to the store (body is freed); 0 if it could not be started. */
static uint32_t send_commit(turn_t *t, int final, char *body) {
  uint32_t op = 0;
  if (body && !oom(t)) { /* a commit with a part lost to a failed allocation never reaches the store */
    char header[96];
    int hn = snprintf(header, sizeof header, "{\"op\":\"store.commit\",\"turn\":%u,\"final\":%s}", t->no,
                      final ? "true" : "false");
    op = lash__task_start_op_body(&t->task, header, (size_t)hn, body, strlen(body));
  }
  cJSON_free(body);
  return op;
}

static uint32_t start_commit(turn_t *t, int final) { return send_commit(t, final, commit_text(t, final)); }

/* The pending nodes are in the store: remember them. payload NULL: no store. */
static void commit_landed(turn_t *t, const char *payload, size_t len) {
  unsigned long failures = lash__alloc_failures();
  cJSON *r = payload ? cJSON_ParseWithLength(payload, len) : NULL;
  const cJSON *rev = cJSON_GetObjectItemCaseSensitive(r, "head_revision");
  /* a head lost to a failed allocation is unknown (< 0): the next commit replaces the whole graph */
  t->head = cJSON_IsNumber(rev) ? rev->valuedouble : lash__alloc_failures() != failures ? -1 : t->head + 1;
  cJSON_Delete(r);
  while (cJSON_GetArraySize(t->pending_nodes))
    lash__json_push(t->done_nodes, cJSON_DetachItemFromArray(t->pending_nodes, 0));
  snprintf(t->leaf, sizeof t->leaf, "%s", t->pending_leaf);
  t->persisted = cJSON_GetArraySize(t->msgs);
  if (t->pending_replace) t->replaced = 1;
}

/* Collect a progress commit's answer: 1 when it has settled (landed or failed,
 * failures are ignored as lash ignores them: the final commit carries the nodes). */
static int progress_settled(turn_t *t) {
  int st;
  char *payload = NULL;
  size_t len;
  if (lash__task_take_op(&t->task, t->op, &st, &payload, &len) != 1) return 0;
  t->op = 0;
  if (st == LASH_OP_OK) commit_landed(t, payload, len);
  else t->progress_failed = 1;
  lash__free(&t->core->alloc, payload);
  return 1;
}

/* ---- finish: assemble, commit, report ------------------------------------ */

/* Materialise the terminal assistant message (§2.9) before the final commit. */
static void prepare_final(turn_t *t) {
  if (!t->outcome) finish_stopped(t, "runtime_error");
  if (t->commit && t->final_text && *t->final_text) {
    char mid[34];
    lash__message_id(&t->core->rng, mid);
    cJSON *m = lash__message_new(mid, "Assistant");
    lash__message_add_part(m, lash__part_new(mid, 0, "Prose", t->final_text));
    lash__json_push(t->msgs, m);
  }
}

/* Everything the session takes from the turn, made before the final commit goes
 * out: once the store has the turn, applying it must not fail. */
static void prepare_apply(turn_t *t) {
  lash_session *s = t->s;
  int n = cJSON_GetArraySize(t->msgs);
  t->final_leaf = *t->pending_leaf ? lash__strndup(&t->core->alloc, t->pending_leaf, strlen(t->pending_leaf)) : NULL;
  t->rendered = n ? lash__alloc(&t->core->alloc, (size_t)n * sizeof *t->rendered) : NULL;
  if (t->rendered) memset(t->rendered, 0, (size_t)n * sizeof *t->rendered);
  const cJSON *m = t->msgs->child;
  for (int i = 0; t->rendered && m; i++, m = m->next) {
    cJSON *atts = cJSON_CreateArray();
    int refs = 0;
    char *text = atts ? lash__render_message_text(&t->core->alloc, m, atts, &refs) : NULL;
    cJSON_Delete(atts);
    if (refs) { lash__free(&t->core->alloc, text); text = NULL; }
    t->rendered[t->nrendered++] = text;
  }
  lash__session_cache_reserve(t->core, s, (size_t)cJSON_GetArraySize(s->messages) + (size_t)n);
  if (lash__usage_nonzero(&t->usage)) {
    cJSON *entry = t->ledger_entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "source", "turn");
    cJSON_AddStringToObject(entry, "model", lash__json_str(t->model, "id") ? lash__json_str(t->model, "id") : "");
    lash__json_put(entry, "usage", lash__usage_json(&t->usage));
  }
}

/* The final commit landed (or there is no store): the session takes the turn,
 * from what prepare_apply made (nothing here allocates but the host mirror's
 * notices, which turn the mirror off when they fail). */
static void apply_to_session(turn_t *t) {
  lash_session *s = t->s;
  if (t->replaced && s->replace_required)
    while (s->nodes->child) cJSON_Delete(cJSON_DetachItemViaPointer(s->nodes, s->nodes->child));
  while (t->done_nodes->child) lash__json_push(s->nodes, cJSON_DetachItemViaPointer(t->done_nodes, t->done_nodes->child));
  lash__free(&t->core->alloc, s->leaf);
  s->leaf = t->final_leaf;
  t->final_leaf = NULL;
  if (s->has_store) s->head_revision = t->head;
  if (t->replaced) s->replace_required = 0;
  size_t count = (size_t)cJSON_GetArraySize(s->messages); /* once: cJSON counts by walking */
  for (int i = 0; t->msgs->child; i++) {
    cJSON *m = cJSON_DetachItemViaPointer(t->msgs, t->msgs->child);
    char *text = i < t->nrendered ? t->rendered[i] : NULL;
    if (i < t->nrendered) t->rendered[i] = NULL;
    /* keep the cache aligned with messages: one entry per committed message */
    lash__session_cache_push(t->core, s, count, text);
    lash__json_push(s->messages, m);
    count++;
  }
  s->turn_index++;
  lash__usage_add(&s->usage, &t->usage);
  if (t->ledger_entry) lash__json_push(s->ledger, t->ledger_entry);
  t->ledger_entry = NULL;
}

/* The turn.done message, made before the final commit goes out (its state is the
 * session's once the commit lands); send_report closes it with the head revision. */
static void prepare_report(turn_t *t) {
  lash_session *s = t->s;
  const char *text = t->final_text ? t->final_text : "";
  lash_usage total = s->usage;
  if (t->commit) lash__usage_add(&total, &t->usage);
  cJSON *res = cJSON_CreateObject();
  cJSON *state = cJSON_AddObjectToObject(res, "state");
  cJSON_AddStringToObject(state, "session_id", s->id);
  lash__json_put(state, "policy", cJSON_Duplicate(s->policy, 1));
  lash__json_put(state, "agent_frames", cJSON_CreateArray());
  cJSON_AddNumberToObject(state, "turn_index", (double)(s->turn_index + (t->commit ? 1 : 0)));
  lash__json_put(state, "token_usage", lash__usage_json(&total));
  lash__json_put(state, "protocol_turn_options", cJSON_CreateObject());
  lash__json_put(res, "outcome", t->outcome);
  t->outcome = NULL;
  cJSON *ao = cJSON_AddObjectToObject(res, "assistant_output");
  cJSON_AddStringToObject(ao, "safe_text", text);
  cJSON_AddStringToObject(ao, "raw_text", text);
  cJSON_AddStringToObject(ao, "state", *text ? "usable" : "empty_output");
  lash__json_put(res, "usage", lash__usage_json(&t->usage));
  lash__json_put(res, "children_usage", cJSON_CreateArray());
  lash__json_put(res, "tool_calls", t->tool_records);
  t->tool_records = NULL;
  cJSON *ex = cJSON_AddObjectToObject(res, "execution");
  cJSON_AddBoolToObject(ex, "had_tool_calls", t->had_tools);
  cJSON_AddFalseToObject(ex, "had_code_execution");
  lash__json_put(res, "errors", t->errors);
  t->errors = NULL;
  char *json = cJSON_PrintUnformatted(res);
  cJSON_Delete(res);
  lash_buf *b = &t->done_msg;
  lash__buf_free(b);
  lash__buf_init(b, &t->core->alloc);
  lash__buf_printf(b, "{\"op\":\"turn.done\",\"turn\":%u,\"done\":{\"result\":", t->no);
  if (json) lash__buf_puts(b, json);
  else b->oom = 1;
  lash__buf_reserve(b, 48); /* ,"head_revision":<n>}} */
  cJSON_free(json);
}

static void send_report(turn_t *t) {
  lash_buf *b = &t->done_msg;
  if (t->s->head_revision >= 0) lash__buf_printf(b, ",\"head_revision\":%.17g}}", t->s->head_revision);
  else lash__buf_puts(b, "}}");
  if (b->data && !b->oom) {
    lash__sched_notify(&t->core->sched, b->data, b->len);
    t->reported = 1;
  }
  lash__buf_free(b);
}

/* A turn that ends in an error commits nothing more. What its progress commits
 * put in the store stays there, off the session's active path; the session takes
 * the store's head so that its next commit is not refused as stale. */
static void abandon(turn_t *t) {
  if (t->s->has_store && t->persisted) t->s->head_revision = t->head;
}

/* A final commit the store refused: the turn fails, the session keeps its state. */
static void report_commit_failure(turn_t *t, const char *payload, size_t len) {
  abandon(t);
  cJSON *r = cJSON_ParseWithLength(payload, len);
  const char *m = lash__json_str(r, "message");
  lash_buf b;
  lash__buf_init(&b, &t->core->alloc);
  lash__buf_printf(&b, "runtime turn error: store_commit_failed: %s", m ? m : "the session store rejected the commit");
  cJSON *err = cJSON_CreateObject();
  cJSON_AddStringToObject(err, "code", "Runtime");
  cJSON_AddStringToObject(err, "runtime_code", "store_commit_failed");
  cJSON_AddStringToObject(err, "message", b.data ? b.data : "runtime turn error: store_commit_failed");
  const char *store_code = lash__json_str(r, "code");
  if (store_code) cJSON_AddStringToObject(err, "store_code", store_code);
  lash__buf_free(&b);
  cJSON_Delete(r);
  cJSON *done = cJSON_CreateObject();
  lash__json_put(done, "error", err);
  t->reported = notify(t, "turn.done", "done", done);
}

/* ---- the task ------------------------------------------------------------ */

/* ---- the model over HTTP (provider/http.c) ------------------------------------ */

/* A streamed delta activity, written directly: the one activity a long answer
 * emits many times (what emit() would print, without building a tree). */
static void http_delta(void *ud, const char *kind, const char *text, size_t len) {
  turn_t *t = ud;
  int prose = !strcmp(kind, "text");
  if (prose) trace_stream_chunk(t, text, len);
  char id[37], corr[37];
  lash__uuid4(&t->core->rng, id);
  if (!prose) lash__uuid4(&t->core->rng, corr);
  lash_buf b;
  lash__buf_init(&b, &t->core->alloc);
  lash__buf_printf(&b, "{\"op\":\"activity\",\"turn\":%u,\"activity\":{\"id\":\"%s\",\"correlation_id\":\"%s\",\"type\":\"%s\",\"text\":",
                   t->no, id, prose ? t->stream_corr : corr, prose ? "assistant_prose_delta" : "reasoning_delta");
  lash__buf_json_string(&b, text, len);
  lash__buf_puts(&b, "}}");
  if (!b.oom && b.data && !oom(t)) lash__sched_notify(&t->core->sched, b.data, b.len);
  lash__buf_free(&b);
}

static void http_retry(void *ud, double wait_seconds, uint32_t attempt, uint32_t max_attempts, const char *reason) {
  turn_t *t = ud;
  cJSON *f = cJSON_CreateObject();
  cJSON_AddNumberToObject(f, "wait_seconds", wait_seconds);
  cJSON_AddNumberToObject(f, "attempt", attempt);
  cJSON_AddNumberToObject(f, "max_attempts", max_attempts);
  cJSON_AddStringToObject(f, "reason", reason);
  emit(t, NULL, "retry_status", f);
}

static int http_failed(turn_t *t, const char *message) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "message", message);
  char *payload = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  int next = handle_llm(t, LASH_OP_ERROR, payload ? payload : "{}", payload ? strlen(payload) : 2);
  cJSON_free(payload);
  return next;
}

/* Hand the request to the HTTP call (request images already filled in). */
static int send_http(turn_t *t, lash_task *task) {
  lash_err e = {0};
  lash__uuid4(&t->core->rng, t->stream_corr);
  lash_http_events ev = {http_delta, http_retry, t};
  if (t->trace && !oom(t)) trace_llm_started(t, t->http_req); /* images resolved, as in lash */
  /* a request with a part lost to a failed allocation is not sent */
  t->http = oom(t) ? NULL : lash__http_start(&t->core->alloc, task, t->no, t->http_cfg, t->http_req, &ev, &e);
  cJSON_Delete(t->http_req);
  t->http_req = NULL;
  if (t->http) return T_LLM_WAIT;
  /* the request could not be built (e.g. an image type the dialect refuses): a provider error */
  return http_failed(t, e.detail[0] ? e.detail : "could not build the provider request");
}

/* Build the full LlmRequest (history included: the host mirror is for JS
 * providers); images the history references are read from the attachment
 * store first (op attachment.get), since the wire carries their bytes. */
static int start_http(turn_t *t, lash_task *task) {
  size_t len;
  char *text = project_request(t, 1, &len);
  t->http_req = text && !oom(t) ? cJSON_ParseWithLength(text, len) : NULL;
  lash__free(&t->core->alloc, text);
  if (!t->http_req) return http_failed(t, "out of memory");
  cJSON *atts = cJSON_GetObjectItemCaseSensitive(t->http_req, "attachments");
  int n = cJSON_GetArraySize(atts), need = 0;
  if (n) t->att_ops = lash__alloc(&t->core->alloc, (size_t)n * sizeof *t->att_ops);
  if (n && !t->att_ops) return http_failed(t, "out of memory");
  t->natt_ops = n;
  for (int i = 0; i < n; i++) {
    const cJSON *att = cJSON_GetArrayItem(atts, i);
    const char *id = lash__json_str(cJSON_GetObjectItemCaseSensitive(att, "reference"), "id");
    t->att_ops[i] = 0;
    if (!id || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(att, "data"))) continue;
    lash_buf b;
    lash__buf_init(&b, &t->core->alloc);
    lash__buf_printf(&b, "{\"op\":\"attachment.get\",\"turn\":%u,\"id\":", t->no);
    lash__buf_json_string(&b, id, strlen(id));
    lash__buf_puts(&b, "}");
    t->att_ops[i] = b.data && !b.oom && !oom(t) ? lash__task_start_op(task, b.data, b.len) : 0;
    lash__buf_free(&b);
    if (!t->att_ops[i]) return http_failed(t, "could not read an image attachment");
    need = 1;
  }
  return need ? T_HTTP_ATTACH : send_http(t, task);
}

/* Images arrived? {mime, data: base64} per attachment.get. */
static int http_attachments(turn_t *t, lash_task *task) {
  for (int i = 0; i < t->natt_ops; i++)
    if (t->att_ops[i] && !lash__task_op_done(task, t->att_ops[i])) return T_HTTP_ATTACH;
  cJSON *atts = cJSON_GetObjectItemCaseSensitive(t->http_req, "attachments");
  const char *problem = NULL;
  for (int i = 0; i < t->natt_ops; i++) {
    if (!t->att_ops[i]) continue;
    int st;
    char *payload = NULL;
    size_t len;
    lash__task_take_op(task, t->att_ops[i], &st, &payload, &len);
    t->att_ops[i] = 0;
    cJSON *r = st == LASH_OP_OK ? cJSON_ParseWithLength(payload, len) : NULL;
    lash__free(&t->core->alloc, payload);
    cJSON *att = cJSON_GetArrayItem(atts, i);
    const char *mime = lash__json_str(r, "mime");
    cJSON *data = cJSON_DetachItemFromObjectCaseSensitive(r, "data");
    if (!mime || !cJSON_IsString(data)) problem = "could not read an image attachment from the attachment store";
    else {
      lash__json_replace(att, "mime", cJSON_CreateString(mime));
      lash__json_replace(att, "data", data);
      data = NULL;
    }
    cJSON_Delete(data);
    cJSON_Delete(r);
  }
  lash__free(&t->core->alloc, t->att_ops);
  t->att_ops = NULL;
  t->natt_ops = 0;
  if (problem) {
    cJSON_Delete(t->http_req);
    t->http_req = NULL;
    return http_failed(t, problem);
  }
  return send_http(t, task);
}

static int turn_step(turn_t *t, lash_task *task) {
  for (;;) {
    switch (t->state) {
      case T_INPUT: {
        const char *error = NULL;
        if (!normalize_input(t, &error)) {
          emit_error(t, "input_validation", "invalid_turn_input", NULL, error);
          finish_stopped(t, "invalid_input");
          t->commit = 0;
          t->state = T_DONE;
          break;
        }
        t->state = T_ATTACH_WAIT;
        t->op = 0;
        break;
      }
      case T_ATTACH_WAIT: {
        cJSON *img = next_image(t);
        if (!img) { trace_turn_started(t); t->state = T_LLM_START; break; }
        if (!t->op) {
          char msg[400];
          int n = snprintf(msg, sizeof msg, "{\"op\":\"attachment.put\",\"turn\":%u,\"label\":", t->no);
          lash_buf b;
          lash__buf_init(&b, &t->core->alloc);
          lash__buf_append(&b, msg, (size_t)n);
          const char *label = lash__json_str(img, "label");
          lash__buf_json_string(&b, label, strlen(label));
          lash__buf_puts(&b, "}");
          t->op = b.data && !b.oom && !oom(t) ? lash__task_start_op(task, b.data, b.len) : 0;
          lash__buf_free(&b);
          if (!t->op) { emit_error(t, "invalid_input", NULL, NULL, "could not store image attachment"); finish_stopped(t, "invalid_input"); t->commit = 0; t->state = T_DONE; break; }
        }
        int st;
        char *payload = NULL;
        size_t len;
        if (lash__task_take_op(task, t->op, &st, &payload, &len) != 1) return LASH_TASK_PARKED;
        t->op = 0;
        cJSON *ref = st == LASH_OP_OK ? cJSON_ParseWithLength(payload, len) : NULL;
        lash__free(&t->core->alloc, payload);
        if (!cJSON_IsObject(ref) || !lash__json_str(ref, "id")) {
          cJSON_Delete(ref);
          emit_error(t, "invalid_input", NULL, NULL, "Invalid image_ref: attachment store rejected the image");
          finish_stopped(t, "invalid_input");
          t->commit = 0;
          t->state = T_DONE;
          break;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(img, "label");
        cJSON *att = cJSON_CreateObject();
        lash__json_put(att, "reference", ref);
        cJSON *prune = cJSON_DetachItemFromObjectCaseSensitive(img, "prune_state");
        lash__json_put(img, "attachment", att);
        lash__json_put(img, "prune_state", prune);
        break;
      }
      case T_LLM_START: {
        if (t->cancelled) { finish_stopped(t, "cancelled"); t->state = T_DONE; break; }
        /* progress commit (inline tier): resume-safe messages reach the store before
         * the model is asked, so a crash loses nothing already decided */
        if (t->s->has_store && !t->progress_failed && t->persisted < cJSON_GetArraySize(t->msgs)) {
          t->op = start_commit(t, 0);
          if (t->op) { t->state = T_PROGRESS_WAIT; return LASH_TASK_PARKED; }
        }
        cJSON *f = cJSON_CreateObject();
        cJSON_AddNumberToObject(f, "protocol_iteration", t->iteration);
        emit(t, NULL, "model_request_started", f);
        if (t->http_cfg) {
          t->state = start_http(t, task);
          if (t->state == T_LLM_WAIT || t->state == T_HTTP_ATTACH) return LASH_TASK_PARKED;
          break;
        }
        char header[160];
        int hn = t->s->mirrored
                     ? snprintf(header, sizeof header, "{\"op\":\"llm.call\",\"turn\":%u,\"history\":%zu,\"history_at\":%d}",
                                t->no, t->s->nrendered, t->system_json ? 1 : 0)
                     : snprintf(header, sizeof header, "{\"op\":\"llm.call\",\"turn\":%u}", t->no);
        if (t->trace) { /* the whole request (a mirrored history is only named in the body) */
          size_t tlen;
          char *full = project_request(t, 1, &tlen);
          cJSON *req = full && !oom(t) ? cJSON_ParseWithLength(full, tlen) : NULL;
          lash__free(&t->core->alloc, full);
          if (req) trace_llm_started(t, req);
          cJSON_Delete(req);
        }
        size_t blen;
        char *body = project_request(t, 0, &blen);
        t->op = body && !oom(t) ? lash__task_start_op_body(task, header, (size_t)hn, body, blen) : 0;
        lash__free(&t->core->alloc, body);
        if (!t->op) trace_llm_failed(t, "too many operations in flight", 0, "provider_error", NULL, NULL);
        if (!t->op) { emit_error(t, "llm_provider", NULL, NULL, "LLM error: too many operations in flight"); finish_stopped(t, "provider_error"); t->state = T_DONE; break; }
        t->state = T_LLM_WAIT;
        return LASH_TASK_PARKED;
      }
      case T_PROGRESS_WAIT:
        if (!progress_settled(t)) return LASH_TASK_PARKED;
        t->state = T_LLM_START;
        break;
      case T_HTTP_ATTACH:
        if (t->cancelled) { finish_stopped(t, "cancelled"); t->state = T_DONE; break; }
        t->state = http_attachments(t, task);
        if (t->state == T_HTTP_ATTACH || t->state == T_LLM_WAIT) return LASH_TASK_PARKED;
        break;
      case T_LLM_WAIT: {
        int st;
        char *payload = NULL;
        size_t len;
        if (t->cancelled && (t->http || t->op)) trace_llm_cancelled(t);
        if (t->cancelled && t->http) { lash__http_free(t->http); t->http = NULL; finish_stopped(t, "cancelled"); t->state = T_DONE; break; }
        if (t->cancelled && t->op) { lash__task_cancel_op(task, t->op); t->op = 0; finish_stopped(t, "cancelled"); t->state = T_DONE; break; }
        if (t->http) {
          int r = lash__http_poll(t->http, &payload, &len);
          if (r == LASH_HTTP_PENDING) return LASH_TASK_PARKED;
          lash__http_free(t->http);
          t->http = NULL;
          st = r == LASH_HTTP_OK ? LASH_OP_OK : r == LASH_HTTP_CANCELLED ? LASH_OP_CANCELLED : LASH_OP_ERROR;
          t->state = handle_llm(t, st, payload ? payload : "", payload ? len : 0);
          lash__free(&t->core->alloc, payload);
          break;
        }
        if (lash__task_take_op(task, t->op, &st, &payload, &len) != 1) return LASH_TASK_PARKED;
        t->op = 0;
        t->state = handle_llm(t, st, payload, len);
        lash__free(&t->core->alloc, payload);
        break;
      }
      case T_TOOLS: {
        /* progress commit before the tools run: the assistant's calls are decided */
        if (t->s->has_store && !t->progress_failed && !t->tools_started && t->persisted < cJSON_GetArraySize(t->msgs)) {
          if (!t->op) t->op = start_commit(t, 0);
          if (t->op && !progress_settled(t)) return LASH_TASK_PARKED;
        }
        t->tools_started = 1;
        if (t->cancelled) cancel_tools(t);
        if (!pump_tools(t)) return LASH_TASK_PARKED;
        t->state = tools_finished(t);
        break;
      }
      case T_DONE: {
        prepare_final(t);
        trace_outcome(t);
        if (!t->commit) {
          prepare_report(t);
          if (!oom(t)) { trace_turn_completed(t); send_report(t); }
          return LASH_TASK_DONE;
        }
        /* the final commit, and all the session and the host take from it once it lands */
        char *body = t->s->has_store ? commit_text(t, 1) : NULL;
        if (!t->s->has_store) make_pending_nodes(t); /* node records for the in-memory graph */
        prepare_apply(t);
        prepare_report(t);
        if (oom(t)) { /* nothing of it goes out */
          cJSON_free(body);
          return LASH_TASK_DONE;
        }
        if (t->s->has_store) {
          t->op = send_commit(t, 1, body);
          if (t->op) { t->state = T_COMMIT_WAIT; return LASH_TASK_PARKED; }
          report_commit_failure(t, "{\"message\":\"could not start the commit\"}", 41);
          return LASH_TASK_DONE;
        }
        commit_landed(t, NULL, 0);
        apply_to_session(t);
        trace_turn_completed(t);
        send_report(t);
        return LASH_TASK_DONE;
      }
      case T_COMMIT_WAIT: {
        int st;
        char *payload = NULL;
        size_t len;
        if (lash__task_take_op(task, t->op, &st, &payload, &len) != 1) return LASH_TASK_PARKED;
        t->op = 0;
        if (st == LASH_OP_OK) {
          commit_landed(t, payload, len);
          apply_to_session(t);
          trace_turn_completed(t);
          send_report(t);
        } else {
          report_commit_failure(t, payload, len);
        }
        lash__free(&t->core->alloc, payload);
        return LASH_TASK_DONE;
      }
    }
  }
}

static int turn_resume(lash_task *task) {
  turn_t *t = (turn_t *)task;
  t->failures = lash__alloc_failures(); /* failures before this step were not the turn's */
  int r = turn_step(t, task);
  if (t->reported || !oom(t)) return r;
  /* out of memory: the turn stops with an error written without allocating; its
   * ops in flight are cancelled as the task ends */
  abandon(t);
  char msg[128];
  int n = snprintf(msg, sizeof msg,
                   "{\"op\":\"turn.done\",\"turn\":%u,\"done\":{\"error\":{\"code\":\"OutOfMemory\",\"message\":\"out of memory\"}}}",
                   t->no);
  lash__sched_notify(&t->core->sched, msg, (size_t)n);
  t->reported = 1;
  return LASH_TASK_DONE;
}

static void turn_destroy(lash_task *task) {
  turn_t *t = (turn_t *)task;
  lash_allocator *a = &t->core->alloc;
  if (t->s && t->s->running > 0) t->s->running--;
  free_slots(t);
  cJSON_Delete(t->input);
  cJSON_Delete(t->blob_ids);
  cJSON_Delete(t->turn_prompt);
  cJSON_Delete(t->model);
  cJSON_Delete(t->msgs);
  cJSON_Delete(t->outcome);
  cJSON_Delete(t->errors);
  cJSON_Delete(t->tool_records);
  cJSON_Delete(t->done_nodes);
  cJSON_Delete(t->pending_nodes);
  cJSON_Delete(t->http_cfg);
  lash__http_free(t->http);
  cJSON_Delete(t->http_req);
  lash__free(a, t->att_ops);
  lash__free(a, t->system_prompt);
  lash__free(a, t->system_json);
  lash__free(a, t->final_text);
  lash__buf_free(&t->done_msg);
  for (int i = 0; i < t->nrendered; i++) lash__free(a, t->rendered[i]);
  lash__free(a, t->rendered);
  lash__free(a, t->final_leaf);
  cJSON_Delete(t->ledger_entry);
  lash__free(a, t);
}

/* Tool specs the model sees: the protocol's batch tool, then the embedded tools. */
static cJSON *tool_specs(lash_core *c) {
  cJSON *specs = cJSON_CreateArray();
  static const char batch_schema[] =
      "{\"type\":\"object\",\"properties\":{\"tool_calls\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":25,"
      "\"items\":{\"type\":\"object\",\"properties\":{\"tool\":{\"type\":\"string\"},\"parameters\":{\"type\":"
      "\"object\",\"additionalProperties\":true}},\"required\":[\"tool\",\"parameters\"],\"additionalProperties\":false},"
      "\"description\":\"Array of 1-25 objects like { tool: \\\"read_file\\\", parameters: { path: \\\"src/main.rs\\\" } }. "
      "Use only for independent calls. Do not include another batch call. More than 25 calls is rejected as a tool error.\"}},"
      "\"required\":[\"tool_calls\"],\"additionalProperties\":false}";
  static const char batch_out[] =
      "{\"type\":\"object\",\"properties\":{\"results\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":"
      "{\"index\":{\"type\":\"integer\",\"minimum\":0},\"tool\":{\"type\":\"string\"},\"success\":{\"type\":\"boolean\"},"
      "\"duration_ms\":{\"type\":\"integer\",\"minimum\":0},\"result\":{},\"error\":{}},\"required\":[\"index\",\"tool\","
      "\"success\",\"duration_ms\"],\"additionalProperties\":false}}},\"required\":[\"results\"],\"additionalProperties\":false}";
  const char *proto = lash__json_str(c->config, "protocol");
  const char *kind = lash__json_str(c->config, "kind");
  int standard = (proto && !strcmp(proto, "standard")) || (kind && !strcmp(kind, "standard"));
  if (standard) {
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "name", "batch");
    cJSON_AddStringToObject(b, "description", "Execute up to 25 independent tool calls concurrently. Calls start in parallel; ordering is not guaranteed. Calls past index 25 are rejected.");
    lash__json_put(b, "input_schema", cJSON_Parse(batch_schema));
    lash__json_put(b, "output_schema", cJSON_Parse(batch_out));
    lash__json_put(b, "input_schema_projections", cJSON_CreateArray());
    lash__json_put(b, "output_schema_projections", cJSON_CreateArray());
    lash__json_push(specs, b);
  }
  const cJSON *tool;
  cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(c->config, "tools")) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "name", lash__json_str(tool, "name") ? lash__json_str(tool, "name") : "");
    cJSON_AddStringToObject(s, "description", lash__json_str(tool, "description") ? lash__json_str(tool, "description") : "");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(tool, "input_schema");
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(tool, "output_schema");
    lash__json_put(s, "input_schema", cJSON_IsObject(in) ? cJSON_Duplicate(in, 1) : cJSON_Parse("{\"type\":\"object\"}"));
    lash__json_put(s, "output_schema", cJSON_IsObject(out) ? cJSON_Duplicate(out, 1) : cJSON_CreateObject());
    lash__json_put(s, "input_schema_projections", cJSON_CreateArray());
    lash__json_put(s, "output_schema_projections", cJSON_CreateArray());
    lash__json_push(specs, s);
  }
  return specs;
}

int lash__turn_start(lash_core *c, const cJSON *req, uint32_t *turn_no, lash_err *e) {
  const char *sid = lash__json_str(req, "session_id");
  lash_session *s = sid ? lash__session_find(c, sid) : NULL;
  if (!s) return lash__err(e, LASH_E_STATE, NULL, "session `%.200s` is not open", sid ? sid : "");
  const cJSON *input = cJSON_GetObjectItemCaseSensitive(req, "input");
  if (!cJSON_IsObject(input) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(input, "items")))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "input", "expected a string or { items: [...] }");
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(input, "items")) {
    const char *type = lash__json_str(it, "type");
    if (!type || (strcmp(type, "text") && strcmp(type, "image_ref")))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "input", "items must be {type:'text', text} or {type:'image_ref', id}");
    if (!strcmp(type, "text") && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(it, "text")))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "input", "a text item needs a string `text`");
  }
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(req, "model");
  if (lash__json_is_nullish(model)) model = cJSON_GetObjectItemCaseSensitive(s->policy, "model");
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(req, "prompt");
  int rc;
  if (!lash__json_is_nullish(prompt) && (rc = lash__prompt_check_layer(prompt, "prompt", e))) return rc;

  /* provider binding (§2.1): the recorded id must name the live provider */
  const char *live = lash__json_str(req, "provider_kind");
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "turn_provider"))) {
    const char *rec = s->provider_id ? s->provider_id : "";
    while (*rec == ' ') rec++;
    size_t rn = strlen(rec);
    while (rn && rec[rn - 1] == ' ') rn--;
    if (!live || !*live || rn != strlen(live) || strncmp(rec, live, rn)) {
      lash__err(e, LASH_E_RUNTIME, NULL, "llm_provider: session `%.100s` is bound to provider `%.*s` but the live provider is `%.100s`",
                s->id, (int)rn, rec, live ? live : "");
      e->runtime_code = "llm_provider";
      return e->code;
    }
  }

  const cJSON *http = cJSON_GetObjectItemCaseSensitive(req, "provider_http");
  if (!lash__json_is_nullish(http) && (rc = lash__http_config_check(http, e))) return rc;

  unsigned long failures = lash__alloc_failures();
  turn_t *t = lash__alloc(&c->alloc, sizeof *t);
  if (!t) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  memset(t, 0, sizeof *t);
  t->task.resume = turn_resume;
  t->task.destroy = turn_destroy;
  t->core = c;
  t->s = s;
  s->running++; /* from here, so that turn_destroy's decrement balances on every path */
  t->no = ++c->next_turn;
  t->commit = 1;
  t->input = cJSON_Duplicate(input, 1);
  const cJSON *blobs = cJSON_GetObjectItemCaseSensitive(req, "blob_ids");
  t->blob_ids = cJSON_IsArray(blobs) ? cJSON_Duplicate(blobs, 1) : cJSON_CreateArray();
  t->model = cJSON_Duplicate(model, 1);
  if (!lash__json_is_nullish(http)) t->http_cfg = cJSON_Duplicate(http, 1);
  t->msgs = cJSON_CreateArray();
  t->errors = cJSON_CreateArray();
  t->tool_records = cJSON_CreateArray();
  t->done_nodes = cJSON_CreateArray();
  t->head = s->head_revision;
  snprintf(t->leaf, sizeof t->leaf, "%s", s->leaf ? s->leaf : "");
  if (!c->tool_specs) { /* depends on the config only; kept only whole (a spec short of a
                         * field would fail every later turn) */
    unsigned long before = lash__alloc_failures();
    cJSON *specs = tool_specs(c);
    char *json = specs && lash__alloc_failures() == before ? cJSON_PrintUnformatted(specs) : NULL;
    if (json) {
      c->tool_specs = specs;
      c->tools_json = json;
    } else {
      cJSON_Delete(specs);
    }
  }
  t->tool_specs = c->tool_specs;
  t->tools_json = c->tools_json;
  const cJSON *mt = cJSON_GetObjectItemCaseSensitive(s->policy, "max_turns");
  t->max_turns = cJSON_IsNumber(mt) ? (int)mt->valuedouble : 0;
  t->cancelled = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "cancelled"));
  t->trace = lash__trace_on(c);
  t->trace_turn_index = (double)s->turn_index + 1;
  const char *tid = lash__json_str(req, "turn_id");
  if (tid) snprintf(t->turn_id, sizeof t->turn_id, "%s", tid);
  else lash__uuid4(&c->rng, t->turn_id);

  /* system prompt: protocol preamble -> core layer -> session layer -> turn layer;
   * without a turn layer the session's rendering is reused */
  int turn_layer = !lash__json_is_nullish(prompt);
  if (!turn_layer && s->system_prompt) {
    t->system_prompt = lash__strndup(&c->alloc, s->system_prompt, strlen(s->system_prompt));
    if (s->system_json) t->system_json = lash__strndup(&c->alloc, s->system_json, strlen(s->system_json));
  } else {
    const char *tools[128];
    size_t nt = 0;
    cJSON_ArrayForEach(it, t->tool_specs) if (nt < 127) tools[nt++] = lash__json_str(it, "name");
    tools[nt] = NULL;
    cJSON *preamble = lash__prompt_standard_preamble();
    lash_prompt_ctx pctx = {preamble, lash__prompt_standard_execution_text(), tools};
    const cJSON *layers[3] = {cJSON_GetObjectItemCaseSensitive(c->config, "prompt"), s->prompt, turn_layer ? prompt : NULL};
    size_t plen;
    t->system_prompt = lash__prompt_render(&c->alloc, &pctx, layers, 3, &plen, e);
    cJSON_Delete(preamble);
    if (!t->system_prompt) {
      int code = e->code ? e->code : LASH_E_NOMEM;
      turn_destroy(&t->task);
      return code;
    }
    if (t->system_prompt[strspn(t->system_prompt, " \n\t\r")]) { /* the prompt itself, no "Runtime note:" */
      cJSON *sys = cJSON_CreateObject();
      cJSON_AddStringToObject(sys, "role", "System");
      lash__json_push(cJSON_AddArrayToObject(sys, "blocks"), lash__text_block(t->system_prompt));
      char *text = cJSON_PrintUnformatted(sys);
      t->system_json = text ? lash__strndup(&c->alloc, text, strlen(text)) : NULL;
      cJSON_free(text);
      cJSON_Delete(sys);
    }
    if (!turn_layer && lash__alloc_failures() == failures) { /* later turns reuse it: cached only whole */
      char *sp = lash__strndup(&c->alloc, t->system_prompt, strlen(t->system_prompt));
      char *sj = t->system_json ? lash__strndup(&c->alloc, t->system_json, strlen(t->system_json)) : NULL;
      if (sp && (sj || !t->system_json)) {
        lash__free(&c->alloc, s->system_json);
        s->system_prompt = sp;
        s->system_json = sj;
      } else {
        lash__free(&c->alloc, sp);
        lash__free(&c->alloc, sj);
      }
    }
  }
  /* every copy made above (a lost provider_http copy must not fall back to the host's
   * llm.call), whole: cJSON drops a field it could not allocate without a word */
  if (!t->input || !t->blob_ids || !t->model || !t->msgs || !t->errors || !t->tool_records || !t->done_nodes ||
      !t->tool_specs || (!lash__json_is_nullish(http) && !t->http_cfg) || lash__alloc_failures() != failures) {
    turn_destroy(&t->task);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  t->state = T_INPUT;
  lash__sched_spawn(&c->sched, &t->task);
  *turn_no = t->no;
  return LASH_OK;
}

int lash__turn_cancel(lash_core *c, uint32_t no) {
  for (lash_task *task = c->sched.live; task; task = task->next_live) {
    if (task->resume != turn_resume) continue;
    turn_t *t = (turn_t *)task;
    if (t->no != no) continue;
    t->cancelled = 1;
    lash__task_wake(task);
    return 1;
  }
  return 0;
}
