#include "session/session.h"

#include <stdio.h>
#include <string.h>

#include "lash/lash_ops.h"
#include "model/render.h"
#include "store/commit.h"
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
  lash__buf_printf(&b, "{\"op\":\"%s\",\"session\":", LASH_OP(HISTORY_RESET));
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
  lash__buf_printf(&b, "{\"op\":\"%s\",\"session\":", LASH_OP(HISTORY_PUSH));
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

void lash__session_turn_begin(lash_session *s) { s->running++; }

void lash__session_turn_end(lash_session *s) {
  if (s->running > 0) s->running--;
}

void lash__session_cache_prompt(lash_core *c, lash_session *s, char *prompt, char *json) {
  lash__free(&c->alloc, s->system_prompt);
  lash__free(&c->alloc, s->system_json);
  s->system_prompt = prompt;
  s->system_json = json;
}

void lash__session_take_head(lash_session *s, double head) {
  if (s->has_store) s->head_revision = head;
}

/* Nothing here allocates but the host mirror's notices, which turn the mirror
 * off when they fail. */
void lash__session_land_turn(lash_core *c, lash_session *s, lash_turn_landing *l) {
  if (l->replaced && s->replace_required)
    while (s->nodes->child) cJSON_Delete(cJSON_DetachItemViaPointer(s->nodes, s->nodes->child));
  while (l->nodes->child) lash__json_push(s->nodes, cJSON_DetachItemViaPointer(l->nodes, l->nodes->child));
  lash__free(&c->alloc, s->leaf);
  s->leaf = l->leaf;
  l->leaf = NULL;
  if (s->has_store) s->head_revision = l->head;
  if (l->replaced) s->replace_required = 0;
  size_t count = (size_t)cJSON_GetArraySize(s->messages); /* once: cJSON counts by walking */
  for (int i = 0; l->msgs->child; i++) {
    cJSON *m = cJSON_DetachItemViaPointer(l->msgs, l->msgs->child);
    char *text = i < l->nrendered ? l->rendered[i] : NULL;
    if (i < l->nrendered) l->rendered[i] = NULL;
    /* keep the cache aligned with messages: one entry per committed message */
    lash__session_cache_push(c, s, count, text);
    lash__json_push(s->messages, m);
    count++;
  }
  s->turn_index++;
  lash__usage_add(&s->usage, &l->usage);
  if (l->ledger_entry) lash__json_push(s->ledger, l->ledger_entry);
  l->ledger_entry = NULL;
}
