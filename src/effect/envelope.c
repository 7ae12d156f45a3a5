#include "effect/envelope.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

static int controller_err(lash_err *e, const char *code, const char *fmt, const char *a, const char *b) {
  lash__err(e, LASH_E_RUNTIME, "effect", fmt, a, b);
  if (e) e->runtime_code = code;
  return LASH_E_RUNTIME;
}
static int oom(lash_err *e) { return lash__err(e, LASH_E_NOMEM, NULL, NULL); }

void lash__invocation_free(const lash_allocator *a, lash_invocation *inv) {
  if (!inv) return;
  lash__free(a, inv->session_id);
  lash__free(a, inv->turn_id);
  lash__free(a, inv->effect_id);
  lash__free(a, inv->caused_by);
  lash__free(a, inv->replay_key);
  memset(inv, 0, sizeof *inv);
}

static char *dup(const lash_allocator *a, const char *s) { return s ? lash__strndup(a, s, strlen(s)) : NULL; }

/* Fill out from parts; the strings are copied. Frees what it made on failure. */
static int make(const lash_allocator *a, lash_invocation *out, const char *session_id, const char *turn_id,
                int64_t turn_index, int64_t protocol_iteration, const char *effect_id, lash_effect_kind kind,
                const char *caused_by, const char *replay_key, lash_err *e) {
  memset(out, 0, sizeof *out);
  out->turn_index = turn_index;
  out->protocol_iteration = protocol_iteration;
  out->kind = kind;
  out->session_id = dup(a, session_id ? session_id : "");
  out->turn_id = dup(a, turn_id);
  out->effect_id = dup(a, effect_id);
  out->caused_by = dup(a, caused_by);
  out->replay_key = dup(a, replay_key);
  if (!out->session_id || (turn_id && !out->turn_id) || !out->effect_id || (caused_by && !out->caused_by) ||
      !out->replay_key) {
    lash__invocation_free(a, out);
    return oom(e);
  }
  return LASH_OK;
}

int lash__invocation_turn(const lash_allocator *a, lash_invocation *out, const char *session_id,
                          const char *turn_id, uint64_t turn_index, uint64_t protocol_iteration,
                          uint64_t effect_no, lash_effect_kind kind, lash_err *e) {
  lash_buf key, id;
  lash__buf_init(&key, a);
  lash__buf_init(&id, a);
  lash__replay_turn_effect(&key, session_id, turn_id, turn_index, protocol_iteration, kind, effect_no);
  lash__buf_printf(&id, "%" PRIu64, effect_no);
  int rc = key.oom || id.oom ? oom(e)
                             : make(a, out, session_id, turn_id, (int64_t)turn_index, (int64_t)protocol_iteration,
                                    id.data, kind, NULL, key.data, e);
  lash__buf_free(&key);
  lash__buf_free(&id);
  return rc;
}

int lash__invocation_effect(const lash_allocator *a, lash_invocation *out, const char *session_id,
                            const char *turn_id, const char *effect_id, lash_effect_kind kind,
                            const char *replay_key, lash_err *e) {
  return make(a, out, session_id, turn_id, -1, -1, effect_id, kind, NULL, replay_key, e);
}

int lash__invocation_causal_ref_json(lash_buf *b, const lash_invocation *inv) {
  lash__buf_puts(b, "{\"type\":\"effect\",\"session_id\":");
  lash__buf_json_string(b, inv->session_id, strlen(inv->session_id));
  if (inv->turn_id) {
    lash__buf_puts(b, ",\"turn_id\":");
    lash__buf_json_string(b, inv->turn_id, strlen(inv->turn_id));
  }
  lash__buf_puts(b, ",\"effect_id\":");
  lash__buf_json_string(b, inv->effect_id, strlen(inv->effect_id));
  return lash__buf_puts(b, "}");
}

int lash__invocation_child(const lash_allocator *a, lash_invocation *out, const lash_invocation *parent,
                           const char *effect_id, lash_effect_kind kind, const char *replay_suffix,
                           lash_err *e) {
  lash_buf cause, key;
  lash__buf_init(&cause, a);
  lash__buf_init(&key, a);
  lash__invocation_causal_ref_json(&cause, parent);
  /* replay base: the parent's replay key, else its effect id (lash's fallback chain) */
  lash__replay_child(&key, parent->replay_key ? parent->replay_key : parent->effect_id, replay_suffix);
  int rc = cause.oom || key.oom ? oom(e)
                                : make(a, out, parent->session_id, parent->turn_id, parent->turn_index,
                                       parent->protocol_iteration, effect_id, kind, cause.data, key.data, e);
  lash__buf_free(&cause);
  lash__buf_free(&key);
  return rc;
}

/* A child whose effect id is "{parent effect id}:{suffix}" and whose replay
 * suffix is the same suffix: the common case. suffix is consumed. */
static int child_same_suffix(const lash_allocator *a, lash_invocation *out, const lash_invocation *parent,
                             lash_effect_kind kind, lash_buf *suffix, lash_err *e) {
  lash_buf id;
  lash__buf_init(&id, a);
  if (!suffix->oom) lash__replay_child(&id, parent->effect_id, suffix->data);
  int rc = suffix->oom || id.oom ? oom(e) : lash__invocation_child(a, out, parent, id.data, kind, suffix->data, e);
  lash__buf_free(&id);
  lash__buf_free(suffix);
  return rc;
}

int lash__invocation_tool_attempt(const lash_allocator *a, lash_invocation *out, const lash_invocation *batch,
                                  const char *child_suffix, uint32_t attempt, lash_err *e) {
  lash_buf s;
  lash__buf_init(&s, a);
  lash__replay_attempt_suffix(&s, child_suffix, attempt);
  return child_same_suffix(a, out, batch, LASH_EFFECT_TOOL_ATTEMPT, &s, e);
}

int lash__invocation_batch_retry_sleep(const lash_allocator *a, lash_invocation *out,
                                       const lash_invocation *batch, const char *child_suffix,
                                       uint32_t attempt, lash_err *e) {
  lash_buf s;
  lash__buf_init(&s, a);
  lash__replay_retry_sleep_suffix(&s, child_suffix, attempt);
  return child_same_suffix(a, out, batch, LASH_EFFECT_SLEEP, &s, e);
}

int lash__invocation_tool_retry_sleep(const lash_allocator *a, lash_invocation *out,
                                      const lash_invocation *parent, const char *tool_name,
                                      uint32_t attempt, lash_err *e) {
  lash_buf s;
  lash__buf_init(&s, a);
  lash__replay_retry_sleep_suffix(&s, tool_name, attempt);
  return child_same_suffix(a, out, parent, LASH_EFFECT_SLEEP, &s, e);
}

int lash__invocation_pending_tool_await(const lash_allocator *a, lash_invocation *out,
                                        const lash_invocation *batch, const char *call_id, lash_err *e) {
  lash_buf s;
  lash__buf_init(&s, a);
  lash__replay_await_suffix(&s, call_id);
  /* lash writes "{parent_effect_id.0}:..." with the batch's effect number,
   * which is the batch invocation's effect id. */
  return child_same_suffix(a, out, batch, LASH_EFFECT_AWAIT_EVENT, &s, e);
}

int lash__invocation_turn_phase(const lash_allocator *a, lash_invocation *out, const lash_invocation *parent,
                                lash_effect_kind phase_kind, lash_err *e) {
  lash_buf id;
  lash__buf_init(&id, a);
  lash__buf_printf(&id, "%s.%s", parent->effect_id, lash__effect_kind_str(phase_kind));
  int rc = id.oom ? oom(e) : lash__invocation_child(a, out, parent, id.data, phase_kind,
                                                    lash__effect_kind_str(phase_kind), e);
  lash__buf_free(&id);
  return rc;
}

int lash__invocation_turn_cancel_peek(const lash_allocator *a, lash_invocation *out, const char *session_id,
                                      const char *turn_id, lash_peek_gate which, uint64_t protocol_iteration,
                                      lash_err *e) {
  lash_buf s;
  lash__buf_init(&s, a);
  lash__replay_turn_cancel_peek(&s, which, protocol_iteration);
  int rc = s.oom ? oom(e)
                 : make(a, out, session_id, turn_id, -1, -1, s.data, LASH_EFFECT_PEEK_AWAIT_EVENT, NULL, s.data, e);
  lash__buf_free(&s);
  return rc;
}

static void str_member(lash_buf *b, const char *name, const char *v) {
  lash__buf_printf(b, "\"%s\":", name);
  lash__buf_json_string(b, v, strlen(v));
}

int lash__invocation_json(lash_buf *b, const lash_invocation *inv) {
  lash__buf_puts(b, "{\"scope\":{");
  str_member(b, "session_id", inv->session_id);
  if (inv->turn_id) {
    lash__buf_puts(b, ",");
    str_member(b, "turn_id", inv->turn_id);
  }
  if (inv->turn_index >= 0) lash__buf_printf(b, ",\"turn_index\":%" PRId64, inv->turn_index);
  if (inv->protocol_iteration >= 0) lash__buf_printf(b, ",\"protocol_iteration\":%" PRId64, inv->protocol_iteration);
  lash__buf_puts(b, "},\"subject\":{\"type\":\"effect\",");
  str_member(b, "effect_id", inv->effect_id);
  lash__buf_printf(b, ",\"kind\":\"%s\"}", lash__effect_kind_str(inv->kind));
  if (inv->caused_by) {
    lash__buf_puts(b, ",\"caused_by\":");
    lash__buf_puts(b, inv->caused_by);
  }
  if (inv->replay_key) {
    lash__buf_puts(b, ",\"replay\":{");
    str_member(b, "key", inv->replay_key);
    lash__buf_puts(b, "}");
  }
  return lash__buf_puts(b, "}");
}

/* ---- commands ---------------------------------------------------------------- */

int lash__command_sleep(lash_buf *b, uint64_t duration_ms) {
  return lash__buf_printf(b, "\"duration_ms\":%" PRIu64, duration_ms);
}

int lash__command_await_event(lash_buf *b, const lash_await_key *key) {
  lash__buf_puts(b, "\"key\":");
  return lash__await_key_json(b, key);
}

int lash__command_checkpoint(lash_buf *b, int before_completion) {
  return lash__buf_puts(b, before_completion ? "\"checkpoint\":\"before_completion\"" : "\"checkpoint\":\"after_work\"");
}

int lash__command_exec_code(lash_buf *b, const char *language, const char *code) {
  str_member(b, "language", language);
  lash__buf_puts(b, ",");
  str_member(b, "code", code);
  return !b->oom;
}

static void prepared_call(lash_buf *b, const lash_prepared_call *c) {
  lash__buf_puts(b, "{");
  str_member(b, "call_id", c->call_id);
  lash__buf_puts(b, ",");
  str_member(b, "tool_id", c->tool_id);
  lash__buf_puts(b, ",");
  str_member(b, "tool_name", c->tool_name);
  lash__buf_puts(b, ",\"args\":");
  lash__buf_puts(b, c->args_json ? c->args_json : "null");
  lash__buf_puts(b, "}");
}

int lash__command_tool_attempt(lash_buf *b, const lash_prepared_call *call, uint32_t attempt,
                               uint32_t max_attempts, lash_err *e) {
  if (lash__blank(call->call_id))
    return controller_err(e, "runtime_effect_tool_attempt_call_id",
                          "runtime effect tool attempt requires a non-empty call id%s%s", "", "");
  if (attempt == 0 || max_attempts == 0 || attempt > max_attempts) {
    char got[32];
    snprintf(got, sizeof got, "%" PRIu32 "/%" PRIu32, attempt, max_attempts);
    return controller_err(e, "runtime_effect_tool_attempt_index",
                          "runtime effect tool attempt must satisfy 1 <= attempt <= max_attempts, got %s%s", got, "");
  }
  lash__buf_puts(b, "\"call\":");
  prepared_call(b, call);
  lash__buf_printf(b, ",\"attempt\":%" PRIu32 ",\"max_attempts\":%" PRIu32, attempt, max_attempts);
  return b->oom ? oom(e) : LASH_OK;
}

int lash__command_tool_batch(lash_buf *b, const char *batch_id, const lash_prepared_call *calls, size_t n,
                             lash_err *e) {
  if (lash__blank(batch_id))
    return controller_err(e, "runtime_effect_tool_batch_id", "runtime effect tool batch id must be non-empty%s%s", "", "");
  if (!n)
    return controller_err(e, "runtime_effect_tool_batch_empty",
                          "runtime effect tool batch must contain at least one prepared call%s%s", "", "");
  for (size_t i = 0; i < n; i++) {
    if (!lash__blank(calls[i].call_id)) continue;
    char idx[24];
    snprintf(idx, sizeof idx, "%zu", i);
    return controller_err(e, "runtime_effect_tool_batch_call_id",
                          "runtime effect tool batch call %s has an empty call id%s", idx, "");
  }
  lash__buf_puts(b, "\"batch\":{");
  str_member(b, "batch_id", batch_id);
  lash__buf_puts(b, ",\"calls\":[");
  for (size_t i = 0; i < n; i++) {
    lash__buf_puts(b, i ? ",{\"call\":" : "{\"call\":");
    prepared_call(b, &calls[i]);
    lash__buf_puts(b, ",\"replay_suffix\":\"");
    /* the suffix is "child:{i}:{call_id}", escaped as a JSON string */
    lash_buf s;
    lash__buf_init(&s, b->alloc);
    lash__replay_batch_child_suffix(&s, i, calls[i].call_id);
    if (s.oom) b->oom = 1;
    else {
      b->len--; /* drop the opening quote: buf_json_string writes its own */
      lash__buf_json_string(b, s.data, s.len);
    }
    lash__buf_free(&s);
    lash__buf_puts(b, "}");
  }
  lash__buf_puts(b, "]}");
  return b->oom ? oom(e) : LASH_OK;
}

int lash__envelope_json(lash_buf *b, const lash_invocation *inv, lash_effect_kind command_kind,
                        const char *command_members, lash_err *e) {
  if (lash__blank(inv->effect_id))
    return controller_err(e, "runtime_effect_invocation_subject",
                          "runtime effect envelope effect id must be non-empty%s%s", "", "");
  if (inv->kind != command_kind)
    return controller_err(e, "runtime_effect_invocation_kind",
                          "runtime effect invocation kind %s does not match command kind %s",
                          lash__effect_kind_str(inv->kind), lash__effect_kind_str(command_kind));
  if (!inv->replay_key || !inv->replay_key[0])
    return controller_err(e, "runtime_effect_replay_required", "runtime effect envelope requires replay.key%s%s", "", "");
  lash__buf_puts(b, "{\"invocation\":");
  lash__invocation_json(b, inv);
  lash__buf_printf(b, ",\"command\":{\"type\":\"%s\"", lash__effect_kind_str(command_kind));
  if (command_members && command_members[0]) {
    lash__buf_puts(b, ",");
    lash__buf_puts(b, command_members);
  }
  lash__buf_puts(b, "}}");
  return b->oom ? oom(e) : LASH_OK;
}
