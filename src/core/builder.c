/* build(): lash's validation order (§1.4), store peer-coherence by durability
 * tier (§1.5) and the process-work-runner decision (§1.7), over the JSON config
 * the JavaScript builder assembles. Decoding comes first: a malformed option is
 * InvalidArgument (Rust's types make such values unrepresentable in lash). */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "protocol/protocol.h"
#include "util/alloc.h"

typedef struct {
  const char *key;      /* config key */
  const char *argument; /* the JS builder method, for InvalidArgument */
} facet_key;

typedef struct {
  lash_tier store_factory, child_store_factory, attachment, process_env, effect_host, trigger,
      artifact, registry;
  int has_rhc;
  lash_runner_setup source; /* none / inline registry (lazy) / external driver */
  const char *kind;         /* "standard" | "rlm" | "lash" */
  const char *protocol;     /* "standard" | "rlm" | NULL */
  const char *provider_kind;
  const cJSON *spec;
} decoded;

static int read_tier(const cJSON *parent, const char *key, const char *argument, lash_tier *out,
                     lash_err *e) {
  *out = LASH_TIER_NONE;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(parent, key);
  if (lash__json_is_nullish(v)) return LASH_OK;
  const cJSON *t = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "tier") : NULL;
  if (cJSON_IsString(t) && !strcmp(t->valuestring, "inline")) *out = LASH_TIER_INLINE;
  else if (cJSON_IsString(t) && !strcmp(t->valuestring, "durable")) *out = LASH_TIER_DURABLE;
  else
    return lash__err(e, LASH_E_INVALID_ARGUMENT, argument,
                     "durabilityTier must be 'inline' or 'durable'");
  return LASH_OK;
}

static int read_enum(const cJSON *cfg, const char *key, const char *argument,
                     const char *const *allowed, const char **out, lash_err *e) {
  int rc = lash__json_opt_string(cfg, key, LASH_MAX_ID_BYTES, argument, out, e);
  if (rc || !*out) return rc;
  for (const char *const *a = allowed; *a; a++)
    if (!strcmp(*out, *a)) return LASH_OK;
  return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "unsupported value `%.64s`", *out);
}

/* ModelSpec: {id, variant?, limits:{context_window_tokens>0, output_token_capacity>0?}},
 * unknown fields denied (serde deny_unknown_fields). */
static int check_model(const cJSON *m, lash_err *e) {
  static const char *const model_keys[] = {"id", "variant", "limits", NULL};
  static const char *const limit_keys[] = {"context_window_tokens", "output_token_capacity", NULL};
  if (!cJSON_IsObject(m)) return lash__err(e, LASH_E_INVALID_ARGUMENT, "model", "must be an object");
  int rc = lash__json_deny_unknown(m, model_keys, "model", e);
  if (rc) return rc;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
  if (!cJSON_IsString(id)) return lash__err(e, LASH_E_INVALID_ARGUMENT, "model", "`id` must be a string");
  if (strlen(id->valuestring) > LASH_MAX_ID_BYTES)
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "model", "`id` exceeds %u bytes", LASH_MAX_ID_BYTES);
  const char *variant;
  if ((rc = lash__json_opt_string(m, "variant", LASH_MAX_ID_BYTES, "model", &variant, e))) return rc;
  const cJSON *limits = cJSON_GetObjectItemCaseSensitive(m, "limits");
  if (!cJSON_IsObject(limits))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "model", "`limits` must be an object");
  if ((rc = lash__json_deny_unknown(limits, limit_keys, "model", e))) return rc;
  int present;
  uint64_t v;
  if ((rc = lash__json_opt_u64(limits, "context_window_tokens", 0, "model", &present, &v, e))) return rc;
  if (!present)
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "model", "`limits.context_window_tokens` is required");
  return lash__json_opt_u64(limits, "output_token_capacity", 0, "model", &present, &v, e);
}

static int check_spec(const cJSON *spec, lash_err *e) {
  static const char *const keys[] = {"provider_id", "model", "max_turns", "prompt", NULL};
  if (lash__json_is_nullish(spec)) return LASH_OK;
  if (!cJSON_IsObject(spec))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "sessionSpec", "must be an object");
  int rc = lash__json_deny_unknown(spec, keys, "sessionSpec", e);
  if (rc) return rc;
  const char *pid;
  if ((rc = lash__json_opt_string(spec, "provider_id", LASH_MAX_ID_BYTES, "sessionSpec", &pid, e))) return rc;
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(spec, "model");
  if (!lash__json_is_nullish(m) && (rc = check_model(m, e))) return rc;
  int present;
  uint64_t n;
  if ((rc = lash__json_opt_u64(spec, "max_turns", 1, "maxTurns", &present, &n, e))) return rc;
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(spec, "prompt");
  if (!lash__json_is_nullish(prompt) && !cJSON_IsObject(prompt))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "sessionSpec", "`prompt` must be an object");
  return LASH_OK;
}

/* `trace` (present only when the host has a trace sink): {context?: TraceContext}. The context decodes as lash's TraceContext would
 * (lash-trace/src/lib.rs:37-69): known fields typed, other keys ignored. */
static int check_trace(const cJSON *tr, lash_err *e) {
  if (lash__json_is_nullish(tr)) return LASH_OK;
  if (!cJSON_IsObject(tr)) return lash__err(e, LASH_E_INVALID_ARGUMENT, "traceSink", "trace config must be an object");
  const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(tr, "context");
  if (lash__json_is_nullish(ctx)) return LASH_OK;
  if (!cJSON_IsObject(ctx)) return lash__err(e, LASH_E_INVALID_ARGUMENT, "traceContext", "must be an object");
  static const char *const strs[] = {"run_id", "experiment_id", "candidate_id", "candidate_parent_id", "example_id", "split",
                                     "session_id", "turn_id", "graph_node_id", "parent_graph_node_id", "effect_id",
                                     "llm_call_id", NULL};
  for (int i = 0; strs[i]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx, strs[i]);
    if (!lash__json_is_nullish(v) && !cJSON_IsString(v))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "traceContext", "`%s` must be a string", strs[i]);
  }
  static const char *const ints[] = {"turn_index", "protocol_iteration", NULL};
  for (int i = 0; ints[i]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ctx, ints[i]);
    if (!lash__json_is_nullish(v) && !(cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble == floor(v->valuedouble)))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "traceContext", "`%s` must be a non-negative integer", ints[i]);
  }
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(ctx, "metadata");
  if (!lash__json_is_nullish(meta) && !cJSON_IsObject(meta))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "traceContext", "`metadata` must be an object");
  return LASH_OK;
}

static int decode(const cJSON *cfg, decoded *d, lash_err *e) {
  static const char *const kinds[] = {"standard", "rlm", "lash", NULL};
  static const char *const protocols[] = {"standard", "rlm", NULL};
  static const char *const residencies[] = {"keep_all", "active_path_only", NULL};
  static const char *const levels[] = {"standard", "extended", NULL};
  static const char *const sources[] = {"none", "inline", "external", NULL};
  int rc;
  memset(d, 0, sizeof *d);
  if ((rc = read_enum(cfg, "kind", "config", kinds, &d->kind, e))) return rc;
  if (!d->kind) d->kind = "lash";
  if ((rc = read_enum(cfg, "protocol", "protocolPlugin", protocols, &d->protocol, e))) return rc;

  const cJSON *provider = cJSON_GetObjectItemCaseSensitive(cfg, "provider");
  if (!lash__json_is_nullish(provider)) {
    if (!cJSON_IsObject(provider))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "provider", "must be an object");
    if ((rc = lash__json_opt_string(provider, "kind", LASH_MAX_ID_BYTES, "provider", &d->provider_kind, e)))
      return rc;
    if (!d->provider_kind)
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "provider", "`kind` is required");
  }
  d->spec = cJSON_GetObjectItemCaseSensitive(cfg, "session_spec");
  if ((rc = check_spec(d->spec, e))) return rc;

  const struct { const char *key, *arg; lash_tier *out; } facets[] = {
      {"store_factory", "storeFactory", &d->store_factory},
      {"child_store_factory", "childStoreFactory", &d->child_store_factory},
      {"attachment_store", "attachmentStore", &d->attachment},
      {"process_env_store", "processEnvStore", &d->process_env},
      {"effect_host", "effectHost", &d->effect_host},
      {"trigger_store", "triggerStore", &d->trigger},
      {"lashlang_artifact_store", "lashlangArtifactStore", &d->artifact},
  };
  for (size_t i = 0; i < sizeof facets / sizeof *facets; i++)
    if ((rc = read_tier(cfg, facets[i].key, facets[i].arg, facets[i].out, e))) return rc;
  lash_tier tmp;
  if ((rc = read_tier(cfg, "live_replay_store", "liveReplayStore", &tmp, e))) return rc;

  /* runtimeHostConfig: the three facets as a base; explicit ones override (§1.2). */
  const cJSON *rhc = cJSON_GetObjectItemCaseSensitive(cfg, "runtime_host_config");
  if (!lash__json_is_nullish(rhc)) {
    if (!cJSON_IsObject(rhc))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "runtimeHostConfig", "must be an object");
    lash_tier eh, at, pe;
    if ((rc = read_tier(rhc, "effect_host", "runtimeHostConfig", &eh, e))) return rc;
    if ((rc = read_tier(rhc, "attachment_store", "runtimeHostConfig", &at, e))) return rc;
    if ((rc = read_tier(rhc, "process_env_store", "runtimeHostConfig", &pe, e))) return rc;
    if (!eh || !at || !pe)
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "runtimeHostConfig",
                       "needs effectHost, attachmentStore and processEnvStore");
    d->has_rhc = 1;
    if (!d->effect_host) d->effect_host = eh;
    if (!d->attachment) d->attachment = at;
    if (!d->process_env) d->process_env = pe;
  }

  const cJSON *src = cJSON_GetObjectItemCaseSensitive(cfg, "process_work_source");
  if (!lash__json_is_nullish(src)) {
    const char *k;
    if (!cJSON_IsObject(src))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "processRegistry", "must be an object");
    if ((rc = read_enum(src, "kind", "processRegistry", sources, &k, e))) return rc;
    const char *arg = (k && !strcmp(k, "external")) ? "processWorkDriver" : "processRegistry";
    if (k && strcmp(k, "none")) {
      if ((rc = read_tier(src, "registry", arg, &d->registry, e))) return rc;
      if (!d->registry) return lash__err(e, LASH_E_INVALID_ARGUMENT, arg, "a process registry is required");
      d->source = !strcmp(k, "inline") ? LASH_RUNNER_LAZY : LASH_RUNNER_EXTERNAL;
    }
  }

  const char *s;
  if ((rc = read_enum(cfg, "residency", "residency", residencies, &s, e))) return rc;
  if ((rc = read_enum(cfg, "trace_level", "traceLevel", levels, &s, e))) return rc;
  if ((rc = check_trace(cJSON_GetObjectItemCaseSensitive(cfg, "trace"), e))) return rc;
  const cJSON *term = cJSON_GetObjectItemCaseSensitive(cfg, "termination");
  if (!lash__json_is_nullish(term)) {
    static const char *const tkeys[] = {"treat_missing_done_as_failure", NULL};
    if (!cJSON_IsObject(term) || lash__json_deny_unknown(term, tkeys, "termination", e) ||
        !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(term, "treat_missing_done_as_failure")))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "termination",
                       "expected { treat_missing_done_as_failure: boolean }");
  }
  return LASH_OK;
}

static int peer(lash_err *e, const char *facet) {
  lash__err(e, LASH_E_DURABLE_STORE_PEER_REQUIRED, NULL, NULL);
  e->facet = facet;
  return e->code;
}

#define DURABLE(t) ((t) == LASH_TIER_DURABLE)

/* §1.5, in lash's order. Missing facets pass rule 1 but fail rules 2-4. */
static int peer_coherence(const decoded *d, lash_err *e) {
  lash_tier s = d->child_store_factory ? d->child_store_factory : d->store_factory;
  if (DURABLE(s)) {
    if (d->attachment == LASH_TIER_INLINE) return peer(e, "attachment store");
    if (d->process_env == LASH_TIER_INLINE) return peer(e, "process execution environment store");
  }
  if (d->source && DURABLE(d->registry)) {
    if (!DURABLE(s)) return lash__err(e, LASH_E_DURABLE_PROCESS_REGISTRY_REQUIRES_STORE_FACTORY, NULL, NULL);
    if (!DURABLE(d->trigger)) return peer(e, "trigger store");
    if (!DURABLE(d->process_env)) return peer(e, "process execution environment store");
  }
  if (DURABLE(d->trigger)) {
    if (!DURABLE(s)) return peer(e, "session store factory");
    if (!DURABLE(d->process_env)) return peer(e, "process execution environment store");
    if (d->source && d->registry == LASH_TIER_INLINE) return peer(e, "process registry");
  }
  if (DURABLE(d->effect_host)) {
    if (!DURABLE(d->attachment)) return peer(e, "attachment store");
    if (!DURABLE(d->process_env)) return peer(e, "process execution environment store");
  }
  return LASH_OK;
}

/* SessionPolicy JSON in lash's field order: model, provider_id, session_id,
 * autonomous, max_turns, prompt (only when set). */
static cJSON *resolve_policy(const decoded *d) {
  const cJSON *spec = d->spec;
  const cJSON *pid = spec ? cJSON_GetObjectItemCaseSensitive(spec, "provider_id") : NULL;
  const char *provider_id = cJSON_IsString(pid) ? pid->valuestring
                            : d->provider_kind  ? d->provider_kind
                                                : "";
  /* recorded_provider_id() trims */
  while (*provider_id == ' ' || *provider_id == '\t' || *provider_id == '\n') provider_id++;
  size_t n = strlen(provider_id);
  while (n && (provider_id[n - 1] == ' ' || provider_id[n - 1] == '\t' || provider_id[n - 1] == '\n')) n--;
  cJSON *p = cJSON_CreateObject();
  if (!p) return NULL;
  lash__json_put(p, "model", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(spec, "model"), 1));
  cJSON *pidv = cJSON_CreateString("");
  if (pidv) {
    char *v = cJSON_malloc(n + 1);
    if (v) { /* else the string stays "" and the caller sees the failed allocation */
      memcpy(v, provider_id, n);
      v[n] = 0;
      cJSON_free(pidv->valuestring);
      pidv->valuestring = v;
    }
    lash__json_put(p, "provider_id", pidv);
  }
  cJSON_AddNullToObject(p, "session_id");
  cJSON_AddFalseToObject(p, "autonomous");
  const cJSON *mt = cJSON_GetObjectItemCaseSensitive(spec, "max_turns");
  if (cJSON_IsNumber(mt)) cJSON_AddNumberToObject(p, "max_turns", mt->valuedouble);
  else cJSON_AddNullToObject(p, "max_turns");
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(spec, "prompt");
  if (cJSON_IsObject(prompt) && prompt->child)
    lash__json_put(p, "prompt", cJSON_Duplicate(prompt, 1));
  return p;
}

int lash__builder_validate(lash_core *c, const cJSON *cfg, lash_err *e) {
  decoded d;
  int rc = decode(cfg, &d, e);
  if (rc) return rc;
  lash_tier s = d.child_store_factory ? d.child_store_factory : d.store_factory;

  if (!strcmp(d.kind, "rlm")) { /* RlmCoreBuilder::build runs first */
    if (!d.artifact) return lash__err(e, LASH_E_MISSING_LASHLANG_ARTIFACT_STORE, NULL, NULL);
    if (DURABLE(s) && d.artifact == LASH_TIER_INLINE) return peer(e, "artifact store");
  }
  if ((rc = peer_coherence(&d, e))) return rc;
  int has_protocol = d.protocol || !strcmp(d.kind, "standard") || !strcmp(d.kind, "rlm");
  if (!has_protocol) return lash__err(e, LASH_E_MISSING_PROTOCOL_PLUGIN, NULL, NULL);
  if (lash__json_is_nullish(d.spec ? cJSON_GetObjectItemCaseSensitive(d.spec, "model") : NULL))
    return lash__err(e, LASH_E_MISSING_MODEL_SPEC, NULL, NULL);
  if (!d.has_rhc) {
    if (!d.effect_host) return lash__err(e, LASH_E_MISSING_EFFECT_HOST, NULL, NULL);
    if (!d.attachment) return lash__err(e, LASH_E_MISSING_ATTACHMENT_STORE, NULL, NULL);
    if (!d.process_env) return lash__err(e, LASH_E_MISSING_PROCESS_ENV_STORE, NULL, NULL);
  }
  if (d.source == LASH_RUNNER_LAZY && !s)
    return lash__err(e, LASH_E_PROCESS_REGISTRY_REQUIRES_STORE_FACTORY, NULL, NULL);

  unsigned long failures = lash__alloc_failures();
  cJSON *policy = resolve_policy(&d);
  if (!policy || lash__alloc_failures() != failures) { /* a field lost to a failed allocation */
    cJSON_Delete(policy);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  cJSON_Delete(c->policy);
  c->policy = policy;
  c->runner = d.source;
  return LASH_OK;
}

/* Tool specs the model sees: the protocol's tools, then the embedded tools. */
static cJSON *tool_specs(const lash_protocol *proto, const cJSON *cfg) {
  cJSON *specs = proto ? proto->tool_specs() : cJSON_CreateArray();
  const cJSON *tool;
  cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(cfg, "tools")) {
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

int lash__builder_decode(lash_core *c, const cJSON *cfg, lash_err *e) {
  /* plugin configs: a bad one fails build(), as lash's plugin factories do */
  lash_budget_cfg budget;
  lash__budget_default(&budget);
  int budget_on = 0, rc;
  const cJSON *plugin;
  cJSON_ArrayForEach(plugin, cJSON_GetObjectItemCaseSensitive(cfg, "plugins")) {
    const char *id = lash__json_str(plugin, "id");
    if (!id || strcmp(id, "tool_output_budget")) continue;
    budget_on = 1;
    if ((rc = lash__budget_from_json(cJSON_GetObjectItemCaseSensitive(plugin, "config"), &budget, e))) return rc;
  }
  const lash_protocol *proto = lash__protocol_for(cfg);
  /* kept only whole: a spec short of a field would fail every turn */
  unsigned long failures = lash__alloc_failures();
  cJSON *specs = tool_specs(proto, cfg);
  char *json = specs && lash__alloc_failures() == failures ? cJSON_PrintUnformatted(specs) : NULL;
  if (!json) {
    cJSON_Delete(specs);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  cJSON_Delete(c->tool_specs);
  cJSON_free(c->tools_json);
  c->tool_specs = specs;
  c->tools_json = json;
  c->proto = proto;
  c->budget = budget;
  c->budget_on = budget_on;
  return LASH_OK;
}
