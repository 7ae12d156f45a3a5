#include "core/core.h"

#include <string.h>

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

/* Fill the status's message template: {facet}, {argument}, {detail}. */
static void render_message(lash_buf *b, const lash_err *e) {
  const char *t = lash_status_template(e->code);
  while (*t) {
    const char *open = strchr(t, '{');
    if (!open) { lash__buf_puts(b, t); break; }
    lash__buf_append(b, t, (size_t)(open - t));
    const char *close = strchr(open, '}');
    if (!close) { lash__buf_puts(b, open); break; }
    size_t n = (size_t)(close - open - 1);
    if (n == 5 && !strncmp(open + 1, "facet", 5)) lash__buf_puts(b, e->facet ? e->facet : "");
    else if (n == 8 && !strncmp(open + 1, "argument", 8)) lash__buf_puts(b, e->argument);
    else if (n == 6 && !strncmp(open + 1, "detail", 6)) lash__buf_puts(b, e->detail);
    else lash__buf_append(b, open, n + 2);
    t = close + 1;
  }
}

int lash__core_fail(lash_core *c, const lash_err *e) {
  lash_buf msg, out;
  lash__buf_init(&msg, &c->alloc);
  lash__buf_init(&out, &c->alloc);
  render_message(&msg, e);
  lash__buf_puts(&out, "{\"code\":");
  const char *name = lash_status_name(e->code);
  lash__buf_json_string(&out, name, strlen(name));
  lash__buf_puts(&out, ",\"message\":");
  lash__buf_json_string(&out, msg.data ? msg.data : "", msg.len);
  if (e->facet) {
    lash__buf_puts(&out, ",\"facet\":");
    lash__buf_json_string(&out, e->facet, strlen(e->facet));
  }
  if (e->runtime_code) {
    lash__buf_puts(&out, ",\"runtime_code\":");
    lash__buf_json_string(&out, e->runtime_code, strlen(e->runtime_code));
  }
  if (e->code == LASH_E_STORE_SESSION_MISMATCH) {
    lash__buf_puts(&out, ",\"loaded\":");
    lash__buf_json_string(&out, e->detail, strlen(e->detail));
    lash__buf_puts(&out, ",\"requested\":");
    lash__buf_json_string(&out, e->argument, strlen(e->argument));
  }
  if (e->code == LASH_E_STORE_FACTORY) {
    lash__buf_puts(&out, ",\"session_id\":");
    lash__buf_json_string(&out, e->argument, strlen(e->argument));
  }
  if (e->code == LASH_E_INVALID_ARGUMENT) {
    lash__buf_puts(&out, ",\"argument\":");
    lash__buf_json_string(&out, e->argument, strlen(e->argument));
  }
  lash__buf_puts(&out, "}");
  if (msg.oom) out.oom = 1; /* a message cut short must not pass for the whole one */
  lash__buf_free(&msg);
  lash__core_clear_error(c);
  c->last_error = lash__buf_take(&out, &c->last_error_len);
  if (!c->last_error) { /* no memory to describe the error: say so, without allocating */
    static const char nomem[] = "{\"code\":\"OutOfMemory\",\"message\":\"out of memory\"}";
    c->last_error_static = nomem;
    c->last_error_len = sizeof nomem - 1;
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
