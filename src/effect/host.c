#include "effect/host.h"

#include <string.h>

static int bad(lash_err *e, const char *detail) {
  return lash__err(e, LASH_E_INVALID_ARGUMENT, "effect_host", "%s", detail);
}

/* An optional boolean field: absent or null is 0. */
static int opt_bool(const cJSON *v, const char *key, int *out, lash_err *e) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, key);
  *out = 0;
  if (lash__json_is_nullish(f)) return LASH_OK;
  if (!cJSON_IsBool(f))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "effect_host", "`%s` must be a boolean", key);
  *out = cJSON_IsTrue(f);
  return LASH_OK;
}

int lash__effect_host_from_json(const cJSON *v, lash_effect_host *out, lash_err *e) {
  memset(out, 0, sizeof *out);
  if (!cJSON_IsObject(v)) return bad(e, "expected an object");
  const char *tier = lash__json_str(v, "tier");
  if (!tier || (strcmp(tier, "inline") && strcmp(tier, "durable")))
    return bad(e, "durabilityTier must be 'inline' or 'durable'");
  out->durable = !strcmp(tier, "durable");
  out->replay = out->durable ? LASH_REPLAY_CONTROLLER : LASH_REPLAY_RUNTIME;
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, "replay_ownership");
  if (!lash__json_is_nullish(r)) {
    const char *s = cJSON_IsString(r) ? r->valuestring : NULL;
    if (!s || (strcmp(s, "runtime") && strcmp(s, "controller")))
      return bad(e, "replay_ownership must be 'runtime' or 'controller'");
    out->replay = !strcmp(s, "controller") ? LASH_REPLAY_CONTROLLER : LASH_REPLAY_RUNTIME;
  }
  int rc = opt_bool(v, "process_lifetime_keys", &out->process_lifetime_keys, e);
  if (!rc) rc = opt_bool(v, "observes", &out->observes, e);
  return rc;
}

int lash__effect_scoped(const lash_effect_host *h, const lash_exec_scope *s, lash_scoped_controller *out,
                        lash_err *e) {
  int rc = lash__scope_validate(s, e);
  if (rc) return rc;
  out->host = h;
  out->scope = *s;
  return LASH_OK;
}

int lash__effect_requires_handler_context(const lash_effect_host *h, int has_effects) {
  return !has_effects && h->replay == LASH_REPLAY_CONTROLLER;
}

const char *lash__effect_trace_turn_id(const lash_scoped_controller *c, const char *builder_turn_id,
                                       const char *input_trace_turn_id) {
  if (builder_turn_id) return builder_turn_id;
  if (c && c->scope.kind == LASH_SCOPE_TURN) return c->scope.id;
  return input_trace_turn_id;
}

int lash__effect_check_trace_turn_id(const lash_scoped_controller *c, const char *trace_turn_id, lash_err *e) {
  if (!c || !trace_turn_id || c->scope.kind != LASH_SCOPE_TURN || !strcmp(trace_turn_id, c->scope.id))
    return LASH_OK;
  lash__err(e, LASH_E_RUNTIME, "turn_id", "input trace_turn_id `%s` does not match execution scope id `%s`",
            trace_turn_id, c->scope.id);
  if (e) e->runtime_code = "execution_scope_turn_id_mismatch";
  return LASH_E_RUNTIME;
}
