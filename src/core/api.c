/* The public entry points (lash.h, lash_host.h): each checks its call, decodes
 * the request and hands it to the concern that owns it. */
#include "core/core.h"

#include <string.h>

#include "core/error.h"
#include "session/session.h"
#include "turn/turn.h"
#include "util/alloc.h"
#include "util/buf.h"

lash_core *lash_core_new(const lash_host *host, const lash_allocator *alloc) {
  lash_allocator a = {0};
  if (alloc) a = *alloc;
  lash_core *c = lash__alloc(&a, sizeof *c);
  if (!c) return NULL;
  memset(c, 0, sizeof *c);
  c->alloc = a;
  lash__install_json_hooks(&c->alloc);
  lash__sched_init(&c->sched, &c->alloc, host);
  return c;
}

void lash_core_free(lash_core *c) {
  if (!c) return;
  lash__sched_shutdown(&c->sched); /* turns first: they point at sessions */
  lash__sessions_free(c);
  lash__free(&c->alloc, c->result);
  cJSON_Delete(c->tool_specs);
  cJSON_free(c->tools_json);
  cJSON_Delete(c->policy);
  cJSON_Delete(c->config);
  lash__free(&c->alloc, c->last_error);
  lash__free(&c->alloc, c->info);
  lash_allocator a = c->alloc;
  lash__free(&a, c);
}

void lash__core_clear_error(lash_core *c) {
  lash__free(&c->alloc, c->last_error);
  c->last_error = NULL;
  c->last_error_static = NULL;
  c->last_error_len = 0;
}

int lash__core_fail(lash_core *c, const lash_err *e) {
  lash_buf out;
  lash__buf_init(&out, &c->alloc);
  lash__error_json(&out, e, NULL, NULL);
  lash__core_clear_error(c);
  c->last_error = lash__buf_take(&out, &c->last_error_len);
  if (!c->last_error) { /* no memory to describe the error: say so, without allocating */
    c->last_error_static = LASH_ERROR_OOM_JSON;
    c->last_error_len = sizeof LASH_ERROR_OOM_JSON - 1;
  }
  return e->code;
}

const char *lash_core_last_error(lash_core *c, size_t *len) {
  const char *err = !c ? NULL : c->last_error ? c->last_error : c->last_error_static;
  if (len) *len = err ? c->last_error_len : 0;
  return err ? err : "";
}

static const char *runner_name(lash_runner_setup r) {
  return r == LASH_RUNNER_LAZY ? "lazy" : r == LASH_RUNNER_EXTERNAL ? "external" : "none";
}

int lash_core_build(lash_core *c, const char *json, size_t len) {
  lash_err e = {0};
  if (c->sched.running) {
    lash__err(&e, LASH_E_REENTRANT, NULL, NULL);
    return lash__core_fail(c, &e);
  }
  if (c->built) {
    lash__err(&e, LASH_E_STATE, NULL, "this core is already built");
    return lash__core_fail(c, &e);
  }
  cJSON *cfg = lash__json_parse(json, len, LASH_MAX_CONFIG_BYTES, "config", &e);
  if (!cfg) return lash__core_fail(c, &e);
  if (!cJSON_IsObject(cfg)) {
    cJSON_Delete(cfg);
    lash__err(&e, LASH_E_INVALID_ARGUMENT, "config", "must be a JSON object");
    return lash__core_fail(c, &e);
  }
  int rc = lash__builder_validate(c, cfg, &e);
  if (rc == LASH_OK) rc = lash__builder_decode(c, cfg, &e);
  if (rc != LASH_OK) {
    cJSON_Delete(cfg);
    return lash__core_fail(c, &e);
  }
  /* info: what the host may want to show or check about the built core; made
   * before the core counts as built, so a failed allocation leaves it unbuilt */
  lash_buf b;
  lash__buf_init(&b, &c->alloc);
  char *policy = cJSON_PrintUnformatted(c->policy);
  lash__buf_puts(&b, "{\"policy\":");
  lash__buf_puts(&b, policy ? policy : "null");
  lash__buf_printf(&b, ",\"process_work_runner\":\"%s\"}", runner_name(c->runner));
  if (!policy) b.oom = 1;
  cJSON_free(policy);
  size_t info_len;
  char *info = lash__buf_take(&b, &info_len);
  if (!info) {
    cJSON_Delete(cfg);
    lash__err(&e, LASH_E_NOMEM, NULL, NULL);
    return lash__core_fail(c, &e);
  }
  lash__free(&c->alloc, c->info);
  c->info = info;
  c->info_len = info_len;
  c->config = cfg;
  c->built = 1;
  const cJSON *seed = cJSON_GetObjectItemCaseSensitive(cfg, "seed");
  lash__rng_seed(&c->rng, cJSON_IsNumber(seed) ? (uint64_t)seed->valuedouble * 2654435761u + 1 : 1);
  lash__core_clear_error(c);
  return LASH_OK;
}

const char *lash_core_info(lash_core *c, size_t *len) {
  if (len) *len = c && c->info ? c->info_len : 0;
  return c && c->info ? c->info : "";
}

int lash_op_complete(lash_core *c, uint32_t op, int status, const char *payload, size_t len) {
  return lash__sched_complete(&c->sched, op, status, payload, len);
}

int lash_op_data(lash_core *c, uint32_t op, int channel, const char *bytes, size_t len) {
  return lash__sched_data(&c->sched, op, channel, bytes, len);
}

int lash_run(lash_core *c, double now_ms) { return lash__sched_run(&c->sched, now_ms); }

/* The call's result; OutOfMemory when v (built since `failures`) or its text is incomplete. */
static int set_result(lash_core *c, cJSON *v /* owned */, unsigned long failures) {
  lash__free(&c->alloc, c->result);
  c->result = NULL;
  c->result_len = 0;
  char *text = v && lash__alloc_failures() == failures ? cJSON_PrintUnformatted(v) : NULL;
  cJSON_Delete(v);
  if (text) {
    c->result_len = strlen(text);
    c->result = lash__strndup(&c->alloc, text, c->result_len);
    cJSON_free(text);
  }
  if (c->result) return LASH_OK;
  c->result_len = 0;
  lash_err e = {0};
  lash__err(&e, LASH_E_NOMEM, NULL, NULL);
  return lash__core_fail(c, &e);
}

const char *lash_core_result(lash_core *c, size_t *len) {
  if (len) *len = c && c->result ? c->result_len : 0;
  return c && c->result ? c->result : "";
}

/* Shared entry checks for calls that take a JSON request. */
static cJSON *enter(lash_core *c, const char *json, size_t len, const char *argument, lash_err *e) {
  if (c->sched.running) { lash__err(e, LASH_E_REENTRANT, NULL, NULL); return NULL; }
  if (!c->built) { lash__err(e, LASH_E_STATE, NULL, "the core is not built"); return NULL; }
  cJSON *req = lash__json_parse(json, len, LASH_MAX_CONFIG_BYTES, argument, e);
  if (req && !cJSON_IsObject(req)) {
    cJSON_Delete(req);
    lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "must be a JSON object");
    return NULL;
  }
  return req;
}

int lash_session_open(lash_core *c, const char *json, size_t len) {
  lash_err e = {0};
  cJSON *req = enter(c, json, len, "session", &e);
  if (!req) return lash__core_fail(c, &e);
  int rc = lash__session_open(c, req, &e);
  cJSON_Delete(req);
  return rc ? lash__core_fail(c, &e) : LASH_OK;
}

int lash_session_read_view(lash_core *c, const char *json, size_t len) {
  lash_err e = {0};
  cJSON *req = enter(c, json, len, "session", &e);
  if (!req) return lash__core_fail(c, &e);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "session_id");
  struct lash_session *s = cJSON_IsString(id) ? lash__session_find(c, id->valuestring) : NULL;
  int with_messages = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(req, "messages"));
  cJSON_Delete(req);
  if (!s) {
    lash__err(&e, LASH_E_STATE, NULL, "no such session");
    return lash__core_fail(c, &e);
  }
  unsigned long failures = lash__alloc_failures();
  return set_result(c, lash__session_read_view(s, with_messages), failures);
}

int lash_session_delete(lash_core *c, const char *json, size_t len) {
  lash_err e = {0};
  cJSON *req = enter(c, json, len, "session", &e);
  if (!req) return lash__core_fail(c, &e);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "session_id");
  int has_factory = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "has_root_factory"));
  int rc = LASH_OK;
  if (!has_factory) rc = lash__err(&e, LASH_E_MISSING_SESSION_STORE_FACTORY, NULL, NULL);
  else if (!cJSON_IsString(id)) rc = lash__err(&e, LASH_E_INVALID_ARGUMENT, "sessionId", "must be a string");
  else rc = lash__session_forget(c, id->valuestring, &e);
  cJSON_Delete(req);
  return rc ? lash__core_fail(c, &e) : LASH_OK;
}

int lash_session_close(lash_core *c, const char *json, size_t len) {
  lash_err e = {0};
  cJSON *req = enter(c, json, len, "session", &e);
  if (!req) return lash__core_fail(c, &e);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "session_id");
  int rc = cJSON_IsString(id) ? lash__session_forget(c, id->valuestring, &e)
                              : lash__err(&e, LASH_E_INVALID_ARGUMENT, "sessionId", "must be a string");
  cJSON_Delete(req);
  return rc ? lash__core_fail(c, &e) : LASH_OK;
}

int lash_turn_start(lash_core *c, const char *json, size_t len, uint32_t *turn_no) {
  lash_err e = {0};
  cJSON *req = enter(c, json, len, "turn", &e);
  if (!req) return lash__core_fail(c, &e);
  int rc = lash__turn_start(c, req, turn_no, &e);
  cJSON_Delete(req);
  return rc ? lash__core_fail(c, &e) : LASH_OK;
}

int lash_turn_cancel(lash_core *c, uint32_t turn_no) {
  if (c->sched.running) return 0;
  return lash__turn_cancel(c, turn_no);
}
