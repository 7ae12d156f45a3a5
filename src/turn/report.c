/* What the host hears of a turn: activities (lash TurnActivity) as they happen,
 * and turn.done once, with the TurnResult or the error (core/error.c writes it). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "turn/machine.h"
#include "util/alloc.h"
#include "util/ids.h"

/* 1 if it went out. */
static int notify(lash_turn *t, const char *op, const char *key, cJSON *payload /* owned */) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "op", op);
  cJSON_AddNumberToObject(m, "turn", t->no);
  lash__json_put(m, key, payload);
  char *text = cJSON_PrintUnformatted(m);
  int sent = text && !lash__turn_oom(t);
  if (sent) lash__sched_notify(&t->core->sched, text, strlen(text));
  cJSON_free(text);
  cJSON_Delete(m);
  return sent;
}

/* {id, correlation_id, type, ...fields}; fields (owned) is merged after them. */
void lash__turn_emit(lash_turn *t, const char *correlation, const char *type, cJSON *fields) {
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
  notify(t, LASH_OP(ACTIVITY), "activity", a);
}

/* An error activity, and the issue the TurnResult lists. */
void lash__turn_emit_error(lash_turn *t, const char *kind, const char *code, const char *terminal, const char *message) {
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "message", message);
  lash__turn_emit(t, NULL, "error", f);
  cJSON *issue = cJSON_CreateObject();
  cJSON_AddStringToObject(issue, "kind", kind);
  if (code) cJSON_AddStringToObject(issue, "code", code);
  if (terminal) cJSON_AddStringToObject(issue, "terminal_reason", terminal);
  cJSON_AddStringToObject(issue, "message", message);
  lash__json_push(t->errors, issue);
}

void lash__turn_emit_tool(lash_turn *t, const turn_slot *sl, int completed) {
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
  lash__turn_emit(t, corr, completed ? "tool_call_completed" : "tool_call_started", f);
}

/* The turn.done message, made before the final commit goes out (its state is the
 * session's once the commit lands); send_report closes it with the head revision. */
void lash__turn_prepare_report(lash_turn *t) {
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
  lash_buf *b = &t->rep.done_msg;
  lash__buf_free(b);
  lash__buf_init(b, &t->core->alloc);
  lash__buf_printf(b, "{\"op\":\"%s\",\"turn\":%u,\"done\":{\"result\":", LASH_OP(TURN_DONE), t->no);
  if (json) lash__buf_puts(b, json);
  else b->oom = 1;
  lash__buf_reserve(b, 48); /* ,"head_revision":<n>}} */
  cJSON_free(json);
}

void lash__turn_send_report(lash_turn *t) {
  lash_buf *b = &t->rep.done_msg;
  if (t->s->head_revision >= 0) lash__buf_printf(b, ",\"head_revision\":%.17g}}", t->s->head_revision);
  else lash__buf_puts(b, "}}");
  if (b->data && !b->oom) {
    lash__sched_notify(&t->core->sched, b->data, b->len);
    t->rep.reported = 1;
  }
  lash__buf_free(b);
}

/* {"op":"turn.done","turn":N,"done":{"error":<LashError>}}; 1 if it went out. */
static int send_error(lash_turn *t, const lash_err *e, const char *detail, const char *store_code) {
  lash_buf b;
  lash__buf_init(&b, &t->core->alloc);
  lash__buf_printf(&b, "{\"op\":\"%s\",\"turn\":%u,\"done\":{\"error\":", LASH_OP(TURN_DONE), t->no);
  lash__error_json(&b, e, detail, store_code);
  lash__buf_puts(&b, "}}");
  int sent = b.data && !b.oom && !lash__turn_oom(t);
  if (sent) lash__sched_notify(&t->core->sched, b.data, b.len);
  lash__buf_free(&b);
  return sent;
}

/* A final commit the store refused: the turn fails, the session keeps its state. */
void lash__turn_report_commit_failure(lash_turn *t, const char *payload, size_t len) {
  lash__turn_abandon(t);
  cJSON *r = lash__turn_op_json(payload, len);
  const char *m = lash__json_str(r, "message");
  lash_buf detail;
  lash__buf_init(&detail, &t->core->alloc);
  lash__buf_printf(&detail, "store_commit_failed: %s", m ? m : "the session store rejected the commit");
  lash_err e;
  lash__err(&e, LASH_E_RUNTIME, NULL, NULL);
  e.runtime_code = "store_commit_failed";
  t->rep.reported = send_error(t, &e, detail.data ? detail.data : "store_commit_failed", lash__json_str(r, "code"));
  lash__buf_free(&detail);
  cJSON_Delete(r);
}

/* Out of memory: written without allocating. */
void lash__turn_report_oom(lash_turn *t) {
  char msg[160];
  int n = snprintf(msg, sizeof msg, "{\"op\":\"%s\",\"turn\":%u,\"done\":{\"error\":" LASH_ERROR_OOM_JSON "}}",
                   LASH_OP(TURN_DONE), t->no);
  lash__sched_notify(&t->core->sched, msg, (size_t)n);
  t->rep.reported = 1;
}
