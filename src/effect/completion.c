#include "effect/completion.h"

#include <string.h>

static int runtime_err(lash_err *e, const char *code, const char *msg) {
  lash__err(e, LASH_E_RUNTIME, "completion_key", "%s", msg);
  if (e) e->runtime_code = code;
  return LASH_E_RUNTIME;
}

int lash__completion_key(lash_await_registry *r, const lash_scoped_controller *c, const char *tool_call_id,
                         lash_await_key *out, lash_err *e) {
  if (!tool_call_id)
    return runtime_err(e, "tool_completion_key_missing_call_id", "completion keys require a prepared tool call id");
  if (!c->host->process_lifetime_keys)
    return runtime_err(e, "tool_completion_key_process_lifetime",
                       "completion keys require an effect controller with process-loss-safe await-event "
                       "routing; single-process deployments may explicitly opt in with "
                       "InlineEffectHost::allow_process_lifetime_completion_keys()");
  lash_await_wait w = lash__wait_tool_completion(tool_call_id);
  /* out->wait borrows w's strings, which are tool_call_id itself */
  return lash__await_key_for(r, &c->scope, &w, out, e);
}

static int one_of(const cJSON *v, const char *key, const char *a, const char *b, int *is_b, lash_err *e) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, key);
  *is_b = 0;
  if (lash__json_is_nullish(f)) return LASH_OK;
  if (cJSON_IsString(f) && !strcmp(f->valuestring, a)) return LASH_OK;
  if (cJSON_IsString(f) && !strcmp(f->valuestring, b)) {
    *is_b = 1;
    return LASH_OK;
  }
  return lash__err(e, LASH_E_INVALID_ARGUMENT, "pending", "`%s` must be '%s' or '%s'", key, a, b);
}

int lash__pending_from_json(const cJSON *v, lash_pending_completion *out, lash_err *e) {
  memset(out, 0, sizeof *out);
  if (lash__json_is_nullish(v)) return LASH_OK;
  if (!cJSON_IsObject(v)) return lash__err(e, LASH_E_INVALID_ARGUMENT, "pending", "expected an object");
  int rc = lash__json_opt_u64(v, "deadline_ms", 1, "pending", &out->has_deadline, &out->deadline_ms, e);
  if (!rc) rc = one_of(v, "on_timeout", "error_as_result", "fail_turn", &out->fail_turn_on_timeout, e);
  if (!rc) rc = one_of(v, "on_cancel", "cancel_external_work", "ignore", &out->ignore_on_cancel, e);
  return rc;
}

/* {"outcome":{"status":"failure","payload":ToolFailure}}, serde's field order;
 * raw_json (may be NULL) is already JSON. */
static int failure(lash_buf *b, const char *klass, const char *code, const char *message, const char *source,
                   const char *raw_json) {
  lash__buf_printf(b, "{\"outcome\":{\"status\":\"failure\",\"payload\":{\"class\":\"%s\",\"code\":", klass);
  lash__buf_json_string(b, code, strlen(code));
  lash__buf_puts(b, ",\"message\":");
  lash__buf_json_string(b, message, strlen(message));
  lash__buf_printf(b, ",\"source\":\"%s\",\"retry\":{\"type\":\"never\"}", source);
  if (raw_json) {
    lash__buf_puts(b, ",\"raw\":");
    lash__buf_puts(b, raw_json);
  }
  return lash__buf_puts(b, "}}}");
}

int lash__completion_output_json(lash_buf *b, const lash_resolution *res) {
  switch (res->status) {
  case LASH_RESOLUTION_OK:
    lash__buf_puts(b, "{\"outcome\":{\"status\":\"success\",\"payload\":");
    lash__buf_puts(b, res->payload ? res->payload : "null");
    return lash__buf_puts(b, "}}");
  case LASH_RESOLUTION_ERR: {
    /* the payload is the registry's canonical {"code","message","raw"?} */
    cJSON *p = cJSON_Parse(res->payload ? res->payload : "");
    const char *code = lash__json_str(p, "code"), *message = lash__json_str(p, "message");
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(p, "raw");
    char *raw_json = raw && !cJSON_IsNull(raw) ? cJSON_PrintUnformatted(raw) : NULL;
    int ok = 0;
    if (p && code && message && (!raw || cJSON_IsNull(raw) || raw_json))
      ok = failure(b, "execution", code, message, "tool", raw_json);
    else
      b->oom = 1; /* only allocation can fail here: the registry wrote this payload */
    cJSON_free(raw_json);
    cJSON_Delete(p);
    return ok;
  }
  case LASH_RESOLUTION_TIMEOUT:
    return failure(b, "timeout", "tool_completion_timeout", "pending tool completion timed out", "runtime", NULL);
  case LASH_RESOLUTION_CANCELLED:
    return lash__buf_puts(b, "{\"outcome\":{\"status\":\"cancelled\",\"payload\":{\"message\":"
                             "\"pending tool completion cancelled\",\"source\":\"cancellation\"}}}");
  }
  return 0;
}

int lash__pending_missing_key_output_json(lash_buf *b) {
  return failure(b, "internal", "pending_tool_missing_completion_key",
                 "tool returned Pending without first obtaining a completion key", "runtime", NULL);
}

int lash__pending_failed_output_json(lash_buf *b, const char *message) {
  return failure(b, "internal", "pending_tool_completion_failed", message, "runtime", NULL);
}
