/* MODEL: one model call per protocol iteration. A progress commit goes first
 * (commit.c); then either the host's model (op llm.call: the host mirror holds
 * the committed history) or a wire provider over HTTP (provider/http.c: op
 * http.stream, with attachment.get for request images and timer for retries).
 * Cancel: the llm.call op is cancelled, the HTTP call freed (which aborts it). */
#include <stdio.h>
#include <string.h>

#include "turn/machine.h"
#include "util/alloc.h"
#include "util/ids.h"

enum { MODEL_START, MODEL_ATTACH, MODEL_WAIT };

/* The LlmRequest as JSON text (owned), projected by the protocol. full: with the
 * committed history even when the host mirror holds it. */
char *lash__turn_project(lash_turn *t, int full, size_t *len) {
  const lash_session *s = t->s;
  /* a mirrored history is named in the header, not copied (see session.h) */
  lash_proto_request in = {t->model,     t->system_json, s->messages && (full || !s->mirrored) ? s->messages : NULL,
                           s->rendered,  s->nrendered,   t->msgs,
                           t->core->tools_json, s->id};
  return t->proto->project_request(&t->core->alloc, &in, len);
}

/* ---- the model over HTTP (provider/http.c) -------------------------------- */

/* A streamed delta activity, written directly: the one activity a long answer
 * emits many times (what lash__turn_emit would print, without building a tree). */
static void http_delta(void *ud, const char *kind, const char *text, size_t len) {
  lash_turn *t = ud;
  int prose = !strcmp(kind, "text");
  if (prose) lash__turn_trace_chunk(t, text, len);
  char id[37], corr[37];
  lash__uuid4(&t->core->rng, id);
  if (!prose) lash__uuid4(&t->core->rng, corr);
  lash_buf b;
  lash__buf_init(&b, &t->core->alloc);
  lash__buf_printf(&b, "{\"op\":\"%s\",\"turn\":%u,\"activity\":{\"id\":\"%s\",\"correlation_id\":\"%s\",\"type\":\"%s\",\"text\":",
                   LASH_OP(ACTIVITY), t->no, id, prose ? t->call.stream_corr : corr,
                   prose ? "assistant_prose_delta" : "reasoning_delta");
  lash__buf_json_string(&b, text, len);
  lash__buf_puts(&b, "}}");
  if (!b.oom && b.data && !lash__turn_oom(t)) lash__sched_notify(&t->core->sched, b.data, b.len);
  lash__buf_free(&b);
}

static void http_retry(void *ud, double wait_seconds, uint32_t attempt, uint32_t max_attempts, const char *reason) {
  lash_turn *t = ud;
  cJSON *f = cJSON_CreateObject();
  cJSON_AddNumberToObject(f, "wait_seconds", wait_seconds);
  cJSON_AddNumberToObject(f, "attempt", attempt);
  cJSON_AddNumberToObject(f, "max_attempts", max_attempts);
  cJSON_AddStringToObject(f, "reason", reason);
  lash__turn_emit(t, NULL, "retry_status", f);
}

/* The call failed before it reached the provider: a provider error for the turn. */
static int http_failed(lash_turn *t, const char *message) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "message", message);
  return lash__turn_response(t, LASH_OP_ERROR, p);
}

/* Hand the request to the HTTP call (request images already filled in). */
static int send_http(lash_turn *t) {
  lash_err e = {0};
  lash__uuid4(&t->core->rng, t->call.stream_corr);
  lash_http_events ev = {http_delta, http_retry, t};
  if (t->tr.on && !lash__turn_oom(t)) lash__turn_trace_llm_started(t, t->call.http_req); /* images resolved, as in lash */
  /* a request with a part lost to a failed allocation is not sent */
  t->call.http = lash__turn_oom(t) ? NULL
                                   : lash__http_start(&t->core->alloc, &t->task, t->no, t->call.http_cfg, t->call.http_req, &ev, &e);
  cJSON_Delete(t->call.http_req);
  t->call.http_req = NULL;
  if (t->call.http) {
    t->call.step = MODEL_WAIT;
    return TURN_PARK;
  }
  /* the request could not be built (e.g. an image type the dialect refuses): a provider error */
  return http_failed(t, e.detail[0] ? e.detail : "could not build the provider request");
}

/* Build the full LlmRequest (history included: the host mirror is for JS
 * providers); images the history references are read from the attachment
 * store first (op attachment.get), since the wire carries their bytes. */
static int start_http(lash_turn *t) {
  size_t len;
  char *text = lash__turn_project(t, 1, &len);
  t->call.http_req = text && !lash__turn_oom(t) ? cJSON_ParseWithLength(text, len) : NULL; /* our own text */
  lash__free(&t->core->alloc, text);
  if (!t->call.http_req) return http_failed(t, "out of memory");
  cJSON *atts = cJSON_GetObjectItemCaseSensitive(t->call.http_req, "attachments");
  int n = cJSON_GetArraySize(atts), need = 0;
  if (n) t->call.att_ops = lash__alloc(&t->core->alloc, (size_t)n * sizeof *t->call.att_ops);
  if (n && !t->call.att_ops) return http_failed(t, "out of memory");
  t->call.natt_ops = n;
  for (int i = 0; i < n; i++) {
    const cJSON *att = cJSON_GetArrayItem(atts, i);
    const char *id = lash__json_str(cJSON_GetObjectItemCaseSensitive(att, "reference"), "id");
    t->call.att_ops[i] = 0;
    if (!id || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(att, "data"))) continue;
    lash_buf b;
    lash__buf_init(&b, &t->core->alloc);
    lash__buf_printf(&b, "{\"op\":\"%s\",\"turn\":%u,\"id\":", LASH_OP(ATTACHMENT_GET), t->no);
    lash__buf_json_string(&b, id, strlen(id));
    lash__buf_puts(&b, "}");
    t->call.att_ops[i] = b.data && !b.oom && !lash__turn_oom(t) ? lash__task_start_op(&t->task, b.data, b.len) : 0;
    lash__buf_free(&b);
    if (!t->call.att_ops[i]) return http_failed(t, "could not read an image attachment");
    need = 1;
  }
  if (!need) return send_http(t);
  t->call.step = MODEL_ATTACH;
  return TURN_PARK;
}

/* Images arrived? {mime, data: base64} per attachment.get. */
static int http_attachments(lash_turn *t) {
  for (int i = 0; i < t->call.natt_ops; i++)
    if (t->call.att_ops[i] && !lash__task_op_done(&t->task, t->call.att_ops[i])) return TURN_PARK;
  cJSON *atts = cJSON_GetObjectItemCaseSensitive(t->call.http_req, "attachments");
  const char *problem = NULL;
  for (int i = 0; i < t->call.natt_ops; i++) {
    if (!t->call.att_ops[i]) continue;
    int st;
    char *payload = NULL;
    size_t len;
    lash__task_take_op(&t->task, t->call.att_ops[i], &st, &payload, &len);
    t->call.att_ops[i] = 0;
    cJSON *r = st == LASH_OP_OK ? lash__turn_op_json(payload, len) : NULL;
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
  lash__free(&t->core->alloc, t->call.att_ops);
  t->call.att_ops = NULL;
  t->call.natt_ops = 0;
  if (problem) {
    cJSON_Delete(t->call.http_req);
    t->call.http_req = NULL;
    return http_failed(t, problem);
  }
  return send_http(t);
}

/* ---- the host's model (op llm.call) ----------------------------------------- */

static int start_host_call(lash_turn *t) {
  char header[160];
  int hn = t->s->mirrored
               ? snprintf(header, sizeof header, "{\"op\":\"%s\",\"turn\":%u,\"history\":%zu,\"history_at\":%d}",
                          LASH_OP(LLM_CALL), t->no, t->s->nrendered, t->system_json ? 1 : 0)
               : snprintf(header, sizeof header, "{\"op\":\"%s\",\"turn\":%u}", LASH_OP(LLM_CALL), t->no);
  if (t->tr.on) { /* the whole request (a mirrored history is only named in the body) */
    size_t tlen;
    char *full = lash__turn_project(t, 1, &tlen);
    cJSON *req = full && !lash__turn_oom(t) ? cJSON_ParseWithLength(full, tlen) : NULL; /* our own text */
    lash__free(&t->core->alloc, full);
    if (req) lash__turn_trace_llm_started(t, req);
    cJSON_Delete(req);
  }
  size_t blen;
  char *body = lash__turn_project(t, 0, &blen);
  t->call.op = body && !lash__turn_oom(t) ? lash__task_start_op_body(&t->task, header, (size_t)hn, body, blen) : 0;
  lash__free(&t->core->alloc, body);
  if (!t->call.op) {
    lash__turn_trace_llm_failed(t, "too many operations in flight", 0, "provider_error", NULL, NULL);
    lash__turn_emit_error(t, "llm_provider", NULL, NULL, "LLM error: too many operations in flight");
    lash__turn_stop(t, "provider_error");
    return TURN_COMMIT;
  }
  t->call.step = MODEL_WAIT;
  return TURN_PARK;
}

/* The call in flight: cancelled, still running, or answered (-> response.c). */
static int wait_call(lash_turn *t) {
  int st;
  char *payload = NULL;
  size_t len;
  if (t->cancelled && (t->call.http || t->call.op)) {
    lash__turn_trace_llm_cancelled(t);
    if (t->call.http) lash__http_free(t->call.http);
    else lash__task_cancel_op(&t->task, t->call.op);
    t->call.http = NULL;
    t->call.op = 0;
    lash__turn_stop(t, "cancelled");
    return TURN_COMMIT;
  }
  int next;
  if (t->call.http) {
    int r = lash__http_poll(t->call.http, &payload, &len);
    if (r == LASH_HTTP_PENDING) return TURN_PARK;
    lash__http_free(t->call.http);
    t->call.http = NULL;
    st = r == LASH_HTTP_OK ? LASH_OP_OK : r == LASH_HTTP_CANCELLED ? LASH_OP_CANCELLED : LASH_OP_ERROR;
    /* the core's own LlmResponse text (provider/http.c), not the host's */
    next = lash__turn_response(t, st, payload ? cJSON_ParseWithLength(payload, len) : NULL);
  } else {
    if (lash__task_take_op(&t->task, t->call.op, &st, &payload, &len) != 1) return TURN_PARK;
    t->call.op = 0;
    next = lash__turn_response(t, st, lash__turn_op_json(payload, len));
  }
  lash__free(&t->core->alloc, payload);
  return next;
}

int lash__turn_model_step(lash_turn *t) {
  int next;
  switch (t->call.step) {
    case MODEL_START:
      /* progress commit (inline tier): resume-safe messages reach the store before
       * the model is asked, so a crash loses nothing already decided */
      if (t->cm.op && !lash__turn_progress(t)) return TURN_PARK;
      if (t->cancelled) { lash__turn_stop(t, "cancelled"); return TURN_COMMIT; }
      if (!lash__turn_progress(t)) return TURN_PARK;
      {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddNumberToObject(f, "protocol_iteration", t->iteration);
        lash__turn_emit(t, NULL, "model_request_started", f);
      }
      next = t->call.http_cfg ? start_http(t) : start_host_call(t);
      break;
    case MODEL_ATTACH:
      if (t->cancelled) { lash__turn_stop(t, "cancelled"); next = TURN_COMMIT; break; }
      next = http_attachments(t);
      break;
    default:
      next = wait_call(t);
      break;
  }
  if (next != TURN_PARK) t->call.step = MODEL_START; /* the call is over: the next iteration starts afresh */
  return next;
}

void lash__turn_model_free(lash_turn *t) {
  cJSON_Delete(t->call.http_cfg);
  lash__http_free(t->call.http);
  cJSON_Delete(t->call.http_req);
  lash__free(&t->core->alloc, t->call.att_ops);
}
