#include "effect/scope.h"

#include "effect/identity.h"

#include <inttypes.h>
#include <string.h>

lash_exec_scope lash__scope_turn(const char *session_id, const char *turn_id) {
  lash_exec_scope s = {LASH_SCOPE_TURN, session_id, turn_id};
  return s;
}
lash_exec_scope lash__scope_process(const char *process_id) {
  lash_exec_scope s = {LASH_SCOPE_PROCESS, NULL, process_id};
  return s;
}
lash_exec_scope lash__scope_queue_drain(const char *session_id, const char *drain_id) {
  lash_exec_scope s = {LASH_SCOPE_QUEUE_DRAIN, session_id, drain_id};
  return s;
}
lash_exec_scope lash__scope_session_delete(const char *session_id) {
  lash_exec_scope s = {LASH_SCOPE_SESSION_DELETE, session_id, session_id};
  return s;
}
lash_exec_scope lash__scope_runtime_operation(const char *operation_id) {
  lash_exec_scope s = {LASH_SCOPE_RUNTIME_OPERATION, NULL, operation_id};
  return s;
}

const char *lash__scope_type(lash_scope_kind kind) {
  switch (kind) {
  case LASH_SCOPE_TURN: return "turn";
  case LASH_SCOPE_PROCESS: return "process";
  case LASH_SCOPE_QUEUE_DRAIN: return "queue_drain";
  case LASH_SCOPE_SESSION_DELETE: return "session_delete";
  case LASH_SCOPE_RUNTIME_OPERATION: return "runtime_operation";
  }
  return "?";
}

/* The second field's serde name, per variant. */
static const char *id_field(lash_scope_kind kind) {
  switch (kind) {
  case LASH_SCOPE_TURN: return "turn_id";
  case LASH_SCOPE_PROCESS: return "process_id";
  case LASH_SCOPE_QUEUE_DRAIN: return "drain_id";
  case LASH_SCOPE_SESSION_DELETE: return NULL;
  case LASH_SCOPE_RUNTIME_OPERATION: return "operation_id";
  }
  return NULL;
}
static int has_session(lash_scope_kind kind) {
  return kind == LASH_SCOPE_TURN || kind == LASH_SCOPE_QUEUE_DRAIN || kind == LASH_SCOPE_SESSION_DELETE;
}

const char *lash__scope_id(const lash_exec_scope *s) { return s->id; }
const char *lash__scope_session_id(const lash_exec_scope *s) {
  return has_session(s->kind) ? s->session_id : NULL;
}
const char *lash__scope_turn_id(const lash_exec_scope *s) {
  return s->kind == LASH_SCOPE_TURN ? s->id : NULL;
}

/* Length of the Unicode White_Space character at p (what char::is_whitespace
 * accepts), or 0. */
static size_t ws_len(const unsigned char *p) {
  if (*p == ' ' || (*p >= 0x09 && *p <= 0x0d)) return 1;
  if (p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0)) return 2;
  if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) return 3; /* U+1680 */
  if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
    return 3;                                                  /* U+2000-200A, 2028, 2029, 202F */
  if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) return 3; /* U+205F */
  if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) return 3; /* U+3000 */
  return 0;
}

int lash__blank(const char *s) {
  if (!s) return 1;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    size_t n = ws_len(p);
    if (!n) return 0;
    p += n;
  }
  return 1;
}

int lash__scope_validate(const lash_exec_scope *s, lash_err *e) {
  int missing = lash__blank(s->id) || (has_session(s->kind) && lash__blank(s->session_id));
  if (!missing) return LASH_OK;
  lash__err(e, LASH_E_RUNTIME, "scope", "execution scopes require non-empty stable ids");
  if (e) e->runtime_code = "missing_execution_scope_id";
  return LASH_E_RUNTIME;
}

static int str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

int lash__scope_equal(const lash_exec_scope *a, const lash_exec_scope *b) {
  return a->kind == b->kind && str_eq(a->id, b->id) &&
         (!has_session(a->kind) || str_eq(a->session_id, b->session_id));
}

static int field(lash_buf *b, const char *name, const char *value) {
  lash__buf_puts(b, ",\"");
  lash__buf_puts(b, name);
  lash__buf_puts(b, "\":");
  return lash__buf_json_string(b, value ? value : "", value ? strlen(value) : 0);
}

int lash__scope_json(lash_buf *b, const lash_exec_scope *s) {
  lash__buf_puts(b, "{\"type\":\"");
  lash__buf_puts(b, lash__scope_type(s->kind));
  lash__buf_puts(b, "\"");
  if (has_session(s->kind)) field(b, "session_id", s->session_id);
  if (id_field(s->kind)) field(b, id_field(s->kind), s->id);
  return lash__buf_puts(b, "}");
}

static int want_string(const cJSON *v, const char *key, const char *argument, const char **out,
                       lash_err *e) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, key);
  if (!cJSON_IsString(f))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "%s field `%s`",
                     f ? "invalid type for" : "missing", key);
  *out = f->valuestring;
  return LASH_OK;
}

int lash__scope_from_json(const cJSON *v, const char *argument, lash_exec_scope *out, lash_err *e) {
  if (!cJSON_IsObject(v)) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "expected an ExecutionScope object");
  const char *type = NULL;
  int rc = want_string(v, "type", argument, &type, e);
  if (rc) return rc;
  static const lash_scope_kind kinds[] = {LASH_SCOPE_TURN, LASH_SCOPE_PROCESS, LASH_SCOPE_QUEUE_DRAIN,
                                          LASH_SCOPE_SESSION_DELETE, LASH_SCOPE_RUNTIME_OPERATION};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (strcmp(type, lash__scope_type(kinds[i]))) continue;
    memset(out, 0, sizeof *out);
    out->kind = kinds[i];
    if (has_session(out->kind) && (rc = want_string(v, "session_id", argument, &out->session_id, e))) return rc;
    if (id_field(out->kind)) return want_string(v, id_field(out->kind), argument, &out->id, e);
    out->id = out->session_id;
    return LASH_OK;
  }
  return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "unknown variant `%s`", type);
}

int lash__scope_journal_key(lash_buf *b, const lash_exec_scope *s) {
  static const char *const kinds[] = {"", "turn", "process", "drain", "delete", "op"};
  lash__buf_puts(b, "{\"version\":2,\"kind\":\"");
  lash__buf_puts(b, kinds[s->kind]);
  lash__buf_puts(b, "\"");
  if (has_session(s->kind)) field(b, "session_id", s->session_id);
  if (s->kind != LASH_SCOPE_SESSION_DELETE) field(b, "execution_id", s->id);
  return lash__buf_puts(b, "}");
}

/* ---- replay keys ---------------------------------------------------------- */

const char *lash__effect_kind_str(lash_effect_kind k) {
  static const char *const names[LASH_EFFECT_KIND_COUNT] = {
      "llm_call", "assistant_response_hooks", "direct", "tool_attempt", "tool_batch",
      "tool_parent_end", "trigger", "process", "exec_code", "checkpoint",
      "sync_execution_environment", "sleep", "await_event", "peek_await_event",
      "language_runtime_value"};
  return (unsigned)k < LASH_EFFECT_KIND_COUNT ? names[k] : "?";
}

int lash__replay_turn_effect(lash_buf *b, const char *session_id, const char *turn_id,
                             uint64_t turn_index, uint64_t protocol_iteration,
                             lash_effect_kind kind, uint64_t effect_no) {
  return lash__buf_printf(b, "%s:%s:%" PRIu64 ":%" PRIu64 ":%s:%" PRIu64, session_id, turn_id, turn_index,
                          protocol_iteration, lash__effect_kind_str(kind), effect_no);
}

int lash__replay_child(lash_buf *b, const char *parent, const char *suffix) {
  return lash__buf_printf(b, "%s:%s", parent, suffix);
}

int lash__replay_batch_child_suffix(lash_buf *b, uint64_t index, const char *call_id) {
  return lash__buf_printf(b, "child:%" PRIu64 ":%s", index, call_id);
}

int lash__replay_attempt_suffix(lash_buf *b, const char *prefix, uint32_t attempt) {
  return lash__buf_printf(b, "%s:attempt:%" PRIu32, prefix, attempt);
}

int lash__replay_retry_sleep_suffix(lash_buf *b, const char *prefix, uint32_t attempt) {
  return lash__buf_printf(b, "%s:attempt:%" PRIu32 ":sleep", prefix, attempt);
}

int lash__replay_await_suffix(lash_buf *b, const char *prefix) {
  return lash__buf_printf(b, "%s:await", prefix);
}

int lash__replay_process_sleep_suffix(lash_buf *b, const char *scope, uint64_t sequence) {
  return lash__buf_printf(b, "process:%s:sleep:%" PRIu64, scope, sequence);
}

int lash__replay_process_signal_suffix(lash_buf *b, const char *process_id,
                                       const char *signal_name, uint64_t ordinal) {
  return lash__buf_printf(b, "process:%s:signal.%s:await:%" PRIu64, process_id, signal_name, ordinal);
}

int lash__replay_turn_cancel_peek(lash_buf *b, lash_peek_gate which, uint64_t protocol_iteration) {
  switch (which) {
  case LASH_PEEK_START_GATE: return lash__buf_puts(b, "turn_cancel.start_gate");
  case LASH_PEEK_POST_ABORT_GATE: return lash__buf_puts(b, "turn_cancel.post_abort_gate");
  case LASH_PEEK_AFTER_LLM: return lash__buf_printf(b, "turn_cancel.after_llm.%" PRIu64, protocol_iteration);
  }
  return 0;
}

/* ---- process command effect ids ------------------------------------------- */

int lash__effect_id_process_start(lash_buf *b, const char *process_id) {
  return lash__buf_printf(b, "process:start:%s", process_id);
}

int lash__effect_id_process_list(lash_buf *b, const char *session_scope_id, int all) {
  return lash__buf_printf(b, "process:list:%s:%s", session_scope_id, all ? "all" : "live");
}

int lash__effect_id_process_transfer(lash_buf *b, const char *from_scope_id, const char *to_scope_id,
                                     const char *const *process_ids, size_t n) {
  lash_buf pre;
  lash__buf_init(&pre, b->alloc);
  lash__identity_begin(&pre, "lash.process-transfer-set", 1);
  lash__identity_u64(&pre, n); /* IdentityEncoder::sequence: count, then each element */
  for (size_t i = 0; i < n; i++) lash__identity_string(&pre, process_ids[i]);
  lash__buf_printf(b, "process:transfer:%s:%s:", from_scope_id, to_scope_id);
  int ok = lash__identity_render(b, "process-transfer-set", 1, &pre);
  lash__buf_free(&pre);
  return ok;
}

int lash__effect_id_process_delete_session(lash_buf *b, const char *session_id) {
  return lash__buf_printf(b, "process:delete-session:%s", session_id);
}

int lash__effect_id_process_await(lash_buf *b, const char *process_id) {
  return lash__buf_printf(b, "process:await:%s", process_id);
}

int lash__effect_id_process_cancel(lash_buf *b, const char *process_id) {
  return lash__buf_printf(b, "process:cancel:%s", process_id);
}

int lash__effect_id_process_signal(lash_buf *b, const char *process_id, const char *signal_name,
                                   const char *signal_id) {
  return lash__buf_printf(b, "process:signal:%s:signal.%s:%s", process_id, signal_name, signal_id);
}

int lash__replay_delete_session(lash_buf *b, const char *session_id) {
  return lash__buf_printf(b, "%s:delete-session", session_id);
}
