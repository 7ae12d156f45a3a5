#include "session/session.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "store/commit.h"
#include "turn/render.h"
#include "util/buf.h"
#include "util/alloc.h"

lash_session *lash__session_find(lash_core *c, const char *id) {
  for (lash_session *s = c->sessions; s; s = s->next)
    if (!strcmp(s->id, id)) return s;
  return NULL;
}

static void mirror_reset(lash_core *c, lash_session *s);

static void cache_clear(lash_core *c, lash_session *s) {
  mirror_reset(c, s);
  for (size_t i = 0; i < s->nrendered; i++) lash__free(&c->alloc, s->rendered[i]);
  lash__free(&c->alloc, s->rendered);
  s->rendered = NULL;
  s->nrendered = s->rendered_cap = 0;
}

static void mirror_reset(lash_core *c, lash_session *s) {
  if (!s->id) return;
  lash_buf b;
  lash__buf_init(&b, &c->alloc);
  lash__buf_puts(&b, "{\"op\":\"history.reset\",\"session\":");
  lash__buf_json_string(&b, s->id, strlen(s->id));
  lash__buf_puts(&b, "}");
  /* a host that missed the reset holds stale renderings: requests carry the history */
  s->mirrored = b.data && !b.oom;
  if (s->mirrored) lash__sched_notify(&c->sched, b.data, b.len);
  lash__buf_free(&b);
}

static void mirror_push(lash_core *c, lash_session *s, const char *text) {
  if (!s->mirrored) return;
  if (!text) { s->mirrored = 0; return; } /* an attachment-bearing message: requests carry history again */
  lash_buf b;
  lash__buf_init(&b, &c->alloc);
  lash__buf_puts(&b, "{\"op\":\"history.push\",\"session\":");
  lash__buf_json_string(&b, s->id, strlen(s->id));
  lash__buf_puts(&b, "}");
  if (b.data && !b.oom) c->sched.host->call(c->sched.host->ud, 0, b.data, b.len, text, strlen(text));
  else s->mirrored = 0; /* the host's mirror no longer lines up with the cache */
  lash__buf_free(&b);
}

int lash__session_cache_reserve(lash_core *c, lash_session *s, size_t n) {
  if (n <= s->rendered_cap) return 1;
  size_t cap = s->rendered_cap ? s->rendered_cap * 2 : 16;
  while (cap < n) cap *= 2;
  char **r = lash__realloc(&c->alloc, s->rendered, cap * sizeof *r);
  if (!r) return 0;
  s->rendered = r;
  s->rendered_cap = cap;
  return 1;
}

int lash__session_cache_push(lash_core *c, lash_session *s, size_t index, char *text) {
  if (index < s->nrendered || !lash__session_cache_reserve(c, s, index + 1)) {
    lash__free(&c->alloc, text);
    s->mirrored = 0; /* the mirror would run ahead of the cache */
    return 0;
  }
  /* entries a failed push skipped are rendered per request, so the mirror stops */
  while (s->nrendered < index) mirror_push(c, s, s->rendered[s->nrendered++] = NULL);
  mirror_push(c, s, text);
  s->rendered[s->nrendered++] = text;
  return 1;
}

static void cache_clear(lash_core *c, lash_session *s);
/* Empty committed state; 0 (and s untouched) when it could not be allocated. */
static int session_reset(lash_core *c, lash_session *s) {
  cJSON *messages = cJSON_CreateArray(), *ledger = cJSON_CreateArray(), *nodes = cJSON_CreateArray();
  if (!messages || !ledger || !nodes) {
    cJSON_Delete(messages);
    cJSON_Delete(ledger);
    cJSON_Delete(nodes);
    return 0;
  }
  cJSON_Delete(s->messages);
  cJSON_Delete(s->ledger);
  cJSON_Delete(s->nodes);
  lash__free(&c->alloc, s->leaf);
  s->leaf = NULL;
  s->messages = messages;
  s->ledger = ledger;
  s->nodes = nodes;
  s->head_revision = -1;
  s->turn_index = 0;
  memset(&s->usage, 0, sizeof s->usage);
  return 1;
}

static void session_free(lash_core *c, lash_session *s) {
  cache_clear(c, s);
  lash__free(&c->alloc, s->id);
  lash__free(&c->alloc, s->provider_id);
  cJSON_Delete(s->policy);
  cJSON_Delete(s->prompt);
  cJSON_Delete(s->messages);
  cJSON_Delete(s->ledger);
  cJSON_Delete(s->nodes);
  lash__free(&c->alloc, s->leaf);
  lash__free(&c->alloc, s->system_prompt);
  lash__free(&c->alloc, s->system_json);
  lash__free(&c->alloc, s);
}

void lash__sessions_free(lash_core *c) {
  while (c->sessions) {
    lash_session *s = c->sessions;
    c->sessions = s->next;
    session_free(c, s);
  }
}

/* Replace the session's committed state with a store's PersistedSessionRead:
 * decoded into new state first, swapped in whole (OutOfMemory leaves s as it was). */
static int load_state(lash_core *c, lash_session *s, const cJSON *loaded, lash_err *e) {
  const cJSON *graph = cJSON_GetObjectItemCaseSensitive(loaded, "graph");
  const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(graph, "nodes");
  if (!cJSON_IsObject(graph) || !cJSON_IsArray(nodes))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "store", "loadSession returned no graph.nodes array");
  const cJSON *leaf = cJSON_GetObjectItemCaseSensitive(graph, "leaf_node_id");
  const cJSON *ledger = cJSON_GetObjectItemCaseSensitive(loaded, "token_ledger");
  /* the recorded provider id stays bound to the session (lash recorded_provider_id) */
  const cJSON *pid = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(loaded, "config"), "provider_id");
  unsigned long failures = lash__alloc_failures();
  cJSON *new_nodes = cJSON_Duplicate(nodes, 1);
  char *new_leaf = cJSON_IsString(leaf) ? lash__strndup(&c->alloc, leaf->valuestring, strlen(leaf->valuestring)) : NULL;
  cJSON *messages = lash__active_path_messages(new_nodes, new_leaf);
  cJSON *new_ledger = cJSON_IsArray(ledger) ? cJSON_Duplicate(ledger, 1) : cJSON_CreateArray();
  char *new_pid = cJSON_IsString(pid) ? lash__strndup(&c->alloc, pid->valuestring, strlen(pid->valuestring)) : NULL;
  if (lash__alloc_failures() != failures || !new_nodes || !messages || !new_ledger) {
    cJSON_Delete(new_nodes);
    lash__free(&c->alloc, new_leaf);
    cJSON_Delete(messages);
    cJSON_Delete(new_ledger);
    lash__free(&c->alloc, new_pid);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  cache_clear(c, s);
  cJSON_Delete(s->nodes);
  cJSON_Delete(s->messages);
  cJSON_Delete(s->ledger);
  lash__free(&c->alloc, s->leaf);
  s->nodes = new_nodes;
  s->leaf = new_leaf;
  s->messages = messages;
  s->ledger = new_ledger;
  if (new_pid) {
    lash__free(&c->alloc, s->provider_id);
    s->provider_id = new_pid;
  }
  s->head_revision = lash__json_num(loaded, "head_revision", -1);
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(loaded, "checkpoint"), "turn_state");
  s->turn_index = (uint64_t)lash__json_num(ts, "turn_index", 0);
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(ts, "token_usage");
  s->usage = (lash_usage){lash__json_num(u, "input_tokens", 0), lash__json_num(u, "output_tokens", 0),
                          lash__json_num(u, "cached_input_tokens", 0), lash__json_num(u, "reasoning_tokens", 0)};
  const cJSON *m;
  size_t i = 0;
  cJSON_ArrayForEach(m, s->messages) { /* render once now; requests then reuse it (a failure: rendered per request) */
    cJSON *atts = cJSON_CreateArray();
    int refs = 0;
    char *text = atts ? lash__render_message_text(&c->alloc, m, atts, &refs) : NULL;
    cJSON_Delete(atts);
    if (refs) { lash__free(&c->alloc, text); text = NULL; }
    lash__session_cache_push(c, s, i++, text);
  }
  return LASH_OK;
}

/* req: {"session_id", "fresh": bool, "spec"?: SessionSpec, "provider_kind"?: str,
 *       "has_store"?: bool, "loaded"?: PersistedSessionRead|null, "refresh"?: bool}
 * Policy = spec resolved against the core policy with session_id set; the
 * recorded provider id of an existing session is kept (lash: recorded_provider_id). */
int lash__session_open(lash_core *c, const cJSON *req, lash_err *e) {
  const char *id;
  int rc = lash__json_opt_string(req, "session_id", LASH_MAX_ID_BYTES, "sessionId", &id, e);
  if (rc) return rc;
  if (!id || !*id) return lash__err(e, LASH_E_INVALID_ARGUMENT, "sessionId", "must be a non-empty string");
  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(req, "spec");
  if (!lash__json_is_nullish(spec) && !cJSON_IsObject(spec))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "sessionSpec", "must be an object");
  const char *provider_kind;
  if ((rc = lash__json_opt_string(req, "provider_kind", LASH_MAX_ID_BYTES, "provider", &provider_kind, e))) return rc;
  static const char *const keys[] = {"provider_id", "model", "max_turns", "prompt", NULL};
  if (cJSON_IsObject(spec) && (rc = lash__json_deny_unknown(spec, keys, "sessionSpec", e))) return rc;
  lash_session *s = lash__session_find(c, id);
  int fresh = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "fresh"));
  const cJSON *loaded = cJSON_GetObjectItemCaseSensitive(req, "loaded");
  if (!cJSON_IsObject(loaded) || fresh) loaded = NULL;
  if (loaded) {
    const cJSON *lid = cJSON_GetObjectItemCaseSensitive(loaded, "session_id");
    if (cJSON_IsString(lid) && strcmp(lid->valuestring, id)) {
      lash__err(e, LASH_E_STORE_SESSION_MISMATCH, NULL, NULL);
      snprintf(e->detail, sizeof e->detail, "%.120s", lid->valuestring);
      snprintf(e->argument, sizeof e->argument, "%.63s", id);
      return e->code;
    }
  }
  if (s && s->running && (fresh || loaded))
    return lash__err(e, LASH_E_STATE, NULL, "session `%.200s` has a turn running", id);

  /* Everything this open allocates is made before the session changes: an
   * allocation that fails leaves the core as it was. */
  unsigned long failures = lash__alloc_failures();
  cJSON *policy = cJSON_Duplicate(c->policy, 1);
  lash__json_replace(policy, "session_id", cJSON_CreateString(id));
  if (provider_kind) lash__json_replace(policy, "provider_id", cJSON_CreateString(provider_kind));
  if (cJSON_IsObject(spec)) {
    for (const char *const *k = keys; *k; k++) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, *k);
      if (!v) continue;
      if (!strcmp(*k, "prompt")) continue; /* the session prompt layer is kept apart */
      lash__json_replace(policy, *k, cJSON_Duplicate(v, 1));
    }
  }
  const cJSON *prompt = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "prompt") : NULL;
  cJSON *prompt_copy = cJSON_IsObject(prompt) ? cJSON_Duplicate(prompt, 1) : NULL;
  /* the builder's policy, but the provider id recorded with the session (or its store) */
  const cJSON *lpid = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(loaded, "config"), "provider_id");
  const char *recorded = cJSON_IsString(lpid) ? lpid->valuestring : s ? s->provider_id : lash__json_str(policy, "provider_id");
  char *new_pid = s ? NULL : lash__strndup(&c->alloc, recorded ? recorded : "", recorded ? strlen(recorded) : 0);
  lash__json_replace(policy, "provider_id", cJSON_CreateString(recorded ? recorded : ""));
  lash_session *created = NULL;
  if (!s) {
    created = lash__alloc(&c->alloc, sizeof *created);
    if (created) {
      memset(created, 0, sizeof *created);
      created->id = lash__strndup(&c->alloc, id, strlen(id));
      created->provider_id = new_pid;
      new_pid = NULL;
    }
  }
  int refresh = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "refresh"));
  int ok = policy && lash__alloc_failures() == failures && (s || (created && created->id));
  if (ok && created) ok = session_reset(c, created);
  if (ok && s && fresh) ok = session_reset(c, s);
  if (!ok) {
    cJSON_Delete(policy);
    cJSON_Delete(prompt_copy);
    lash__free(&c->alloc, new_pid);
    if (created) session_free(c, created);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  if (created) {
    s = created;
    mirror_reset(c, s);
  } else if (fresh) {
    cache_clear(c, s); /* session_reset above emptied the rest */
  }
  if (loaded && (rc = load_state(c, s, loaded, e))) {
    cJSON_Delete(policy);
    cJSON_Delete(prompt_copy);
    if (created) session_free(c, created);
    return rc;
  }
  if (created) {
    s->next = c->sessions;
    c->sessions = s;
  }
  if (refresh) {
    cJSON_Delete(policy);
    cJSON_Delete(prompt_copy);
    return LASH_OK;
  }
  s->has_store = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "has_store"));
  if (fresh) s->replace_required = 1;
  cJSON_Delete(s->policy);
  s->policy = policy;
  cJSON_Delete(s->prompt);
  lash__free(&c->alloc, s->system_prompt); /* the session layer may have changed */
  lash__free(&c->alloc, s->system_json);
  s->system_prompt = s->system_json = NULL;
  s->prompt = prompt_copy;
  return LASH_OK;
}

int lash__session_forget(lash_core *c, const char *id, lash_err *e) {
  for (lash_session **pp = &c->sessions; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->id, id)) continue;
    if ((*pp)->running) return lash__err(e, LASH_E_STATE, NULL, "session `%.200s` has a turn running", id);
    lash_session *s = *pp;
    *pp = s->next;
    session_free(c, s);
    return LASH_OK;
  }
  return LASH_OK; /* idempotent, like the factory's delete */
}

cJSON *lash__usage_json(const lash_usage *u) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "input_tokens", u->input);
  cJSON_AddNumberToObject(o, "output_tokens", u->output);
  cJSON_AddNumberToObject(o, "cached_input_tokens", u->cached);
  cJSON_AddNumberToObject(o, "reasoning_tokens", u->reasoning);
  return o;
}

void lash__usage_add(lash_usage *a, const lash_usage *b) {
  a->input += b->input;
  a->output += b->output;
  a->cached += b->cached;
  a->reasoning += b->reasoning;
}

int lash__usage_nonzero(const lash_usage *u) { return u->input || u->output || u->cached || u->reasoning; }

cJSON *lash__session_read_view(const lash_session *s, int with_messages) {
  cJSON *v = cJSON_CreateObject();
  cJSON_AddStringToObject(v, "session_id", s->id);
  lash__json_put(v, "policy", cJSON_Duplicate(s->policy, 1));
  cJSON_AddNumberToObject(v, "turn_index", (double)s->turn_index);
  lash__json_put(v, "token_usage", lash__usage_json(&s->usage));
  if (cJSON_GetArraySize(s->ledger)) lash__json_put(v, "token_ledger", cJSON_Duplicate(s->ledger, 1));
  if (with_messages) lash__json_put(v, "messages", cJSON_Duplicate(s->messages, 1));
  return v;
}

cJSON *lash__part_new(const char *msg_id, int index, const char *kind, const char *content) {
  char id[64];
  snprintf(id, sizeof id, "%s.p%d", msg_id, index);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "id", id);
  cJSON_AddStringToObject(p, "kind", kind);
  cJSON_AddStringToObject(p, "content", content ? content : "");
  cJSON_AddStringToObject(p, "prune_state", "Intact");
  return p;
}

cJSON *lash__message_new(const char *id, const char *role) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "id", id);
  cJSON_AddStringToObject(m, "role", role);
  lash__json_put(m, "parts", cJSON_CreateArray());
  return m;
}

/* Keeps lash's field order: prune_state stays after the optional tool fields. */
void lash__message_add_part(cJSON *msg, cJSON *part) {
  cJSON *parts = cJSON_GetObjectItemCaseSensitive(msg, "parts");
  const char *mid = lash__json_str(msg, "id");
  if (!part || !mid || !cJSON_IsArray(parts)) { cJSON_Delete(part); return; } /* lost to a failed allocation */
  char id[64];
  snprintf(id, sizeof id, "%s.p%d", mid, cJSON_GetArraySize(parts));
  lash__json_replace(part, "id", cJSON_CreateString(id));
  cJSON *prune = cJSON_DetachItemFromObjectCaseSensitive(part, "prune_state");
  const char *tail[] = {"reasoning_meta", "response_meta"};
  cJSON *moved[2] = {0};
  for (int i = 0; i < 2; i++) moved[i] = cJSON_DetachItemFromObjectCaseSensitive(part, tail[i]);
  lash__json_put(part, "prune_state", prune ? prune : cJSON_CreateString("Intact"));
  for (int i = 0; i < 2; i++) if (moved[i]) lash__json_put(part, tail[i], moved[i]);
  lash__json_push(parts, part);
}
