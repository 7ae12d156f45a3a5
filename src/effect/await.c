#include "effect/await.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "effect/identity.h"
#include "util/alloc.h"
#include "util/hmac.h"

#define COMPLETED_TURN_CONTROL_KEY_LIMIT 4096u /* await_events.rs */
#define REVOKED_SESSION_LIMIT 4096u
#define FAMILY_VERSION 3 /* AWAIT_EVENT_FAMILY_VERSION */

/* An owned copy of a verified key plus its promise state. */
typedef struct entry {
  lash_exec_scope scope;          /* strings owned */
  lash_await_wait wait;           /* strings owned */
  char *key_id, *signature;       /* owned */
  int resolved;
  lash_resolution terminal;       /* payload owned */
  uint64_t completed;             /* > 0: archived turn control, by archive order */
} entry;

struct lash_await_registry {
  const lash_allocator *alloc; /* borrowed */
  uint8_t *secret;             /* owned */
  size_t secret_len;
  entry **entries;             /* owned */
  size_t n, cap;
  char **revoked;              /* owned; FIFO of tombstoned session ids */
  size_t nrevoked;
  uint64_t completed_seq;
  size_t ncompleted;
  void (*notify)(void *ud, const char *key_id);
  void *notify_ud;
};

static int runtime_err(lash_err *e, const char *code, const char *msg) {
  lash__err(e, LASH_E_RUNTIME, "await_event", "%s", msg);
  if (e) e->runtime_code = code;
  return LASH_E_RUNTIME;
}
static int unknown_or_revoked(lash_err *e) {
  return runtime_err(e, "await_event_unknown_or_revoked", "await-event key is invalid or revoked");
}

/* ---- waits ------------------------------------------------------------------ */

lash_await_wait lash__wait_tool_completion(const char *tool_call_id) {
  lash_await_wait w = {LASH_WAIT_TOOL_COMPLETION, tool_call_id, NULL, 0};
  return w;
}
lash_await_wait lash__wait_process_signal(const char *process_id, const char *signal_name, uint64_t ordinal) {
  lash_await_wait w = {LASH_WAIT_PROCESS_SIGNAL, process_id, signal_name, ordinal};
  return w;
}
lash_await_wait lash__wait_turn_cancel_gate(void) {
  lash_await_wait w = {LASH_WAIT_TURN_CANCEL_GATE, NULL, NULL, 0};
  return w;
}
lash_await_wait lash__wait_turn_terminal(void) {
  lash_await_wait w = {LASH_WAIT_TURN_TERMINAL, NULL, NULL, 0};
  return w;
}
lash_await_wait lash__wait_custom(const char *key) {
  lash_await_wait w = {LASH_WAIT_CUSTOM, key, NULL, 0};
  return w;
}
int lash__wait_is_turn_control(const lash_await_wait *w) {
  return w->kind == LASH_WAIT_TURN_CANCEL_GATE || w->kind == LASH_WAIT_TURN_TERMINAL;
}

int lash__wait_validate(const lash_await_wait *w, lash_err *e) {
  int invalid = 0;
  switch (w->kind) {
  case LASH_WAIT_TOOL_COMPLETION: invalid = lash__blank(w->a); break;
  case LASH_WAIT_PROCESS_SIGNAL: invalid = lash__blank(w->a) || lash__blank(w->b) || w->ordinal == 0; break;
  case LASH_WAIT_TURN_CANCEL_GATE:
  case LASH_WAIT_TURN_TERMINAL: break;
  case LASH_WAIT_CUSTOM: invalid = lash__blank(w->a); break;
  default: invalid = 1;
  }
  if (!invalid) return LASH_OK;
  return runtime_err(e, "invalid_await_event_wait_identity",
                     "await-event wait identity requires non-empty stable ids");
}

static int wait_equal(const lash_await_wait *a, const lash_await_wait *b) {
  if (a->kind != b->kind) return 0;
  int na = a->a != NULL, nb = b->a != NULL;
  if (na != nb || (na && strcmp(a->a, b->a))) return 0;
  na = a->b != NULL, nb = b->b != NULL;
  if (na != nb || (na && strcmp(a->b, b->b))) return 0;
  return a->ordinal == b->ordinal;
}

/* promise_key_preimage */
static int key_preimage(lash_buf *b, const lash_exec_scope *s, const lash_await_wait *w) {
  lash__identity_begin(b, "lash.await-event", FAMILY_VERSION);
  lash__identity_u8(b, (uint8_t)s->kind);
  if (s->kind == LASH_SCOPE_TURN || s->kind == LASH_SCOPE_QUEUE_DRAIN) lash__identity_string(b, s->session_id);
  lash__identity_string(b, s->kind == LASH_SCOPE_SESSION_DELETE ? s->session_id : s->id);
  lash__identity_u8(b, (uint8_t)w->kind);
  if (w->kind == LASH_WAIT_TOOL_COMPLETION || w->kind == LASH_WAIT_CUSTOM) lash__identity_string(b, w->a);
  if (w->kind == LASH_WAIT_PROCESS_SIGNAL) {
    lash__identity_string(b, w->a);
    lash__identity_string(b, w->b);
    lash__identity_u64(b, w->ordinal);
  }
  return !b->oom;
}

int lash__await_key_id(const lash_allocator *a, const lash_exec_scope *s, const lash_await_wait *w,
                       char out[LASH_AWAIT_KEY_ID_MAX], lash_err *e) {
  int rc;
  if ((rc = lash__scope_validate(s, e)) || (rc = lash__wait_validate(w, e))) return rc;
  lash_buf pre;
  lash__buf_init(&pre, a);
  if (!key_preimage(&pre, s, w)) {
    lash__buf_free(&pre);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  lash_buf id;
  lash__buf_init(&id, a);
  lash__identity_render(&id, "await-event", FAMILY_VERSION, &pre);
  lash__buf_free(&pre);
  if (id.oom || id.len >= LASH_AWAIT_KEY_ID_MAX) {
    lash__buf_free(&id);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  memcpy(out, id.data, id.len + 1);
  lash__buf_free(&id);
  return LASH_OK;
}

/* sign_material + HMAC: the signature lash computes for (scope, wait, key_id).
 * Scope and wait must already be valid (their strings non-NULL). */
static int signature_of(const lash_await_registry *r, const lash_exec_scope *s, const lash_await_wait *w,
                        const char *key_id, char out[65]) {
  lash_buf pre, mat;
  lash__buf_init(&pre, r->alloc);
  lash__buf_init(&mat, r->alloc);
  key_preimage(&pre, s, w);
  lash__identity_begin(&mat, "lash.await-event-auth", FAMILY_VERSION);
  lash__identity_bytes(&mat, pre.data, pre.len);
  lash__identity_string(&mat, key_id);
  int ok = !pre.oom && !mat.oom;
  if (ok) lash__hmac_sha256_hex(r->secret, r->secret_len, mat.data, mat.len, out);
  lash__buf_free(&pre);
  lash__buf_free(&mat);
  return ok;
}

/* A presented key's fields could be anything the host sent: a key whose scope
 * or wait is not even well-formed cannot carry a valid signature. */
static int well_formed(const lash_await_key *k) {
  if (!k->key_id || !k->signature || !k->scope.id) return 0;
  if ((k->scope.kind == LASH_SCOPE_TURN || k->scope.kind == LASH_SCOPE_QUEUE_DRAIN ||
       k->scope.kind == LASH_SCOPE_SESSION_DELETE) && !k->scope.session_id)
    return 0;
  if ((k->wait.kind == LASH_WAIT_TOOL_COMPLETION || k->wait.kind == LASH_WAIT_CUSTOM ||
       k->wait.kind == LASH_WAIT_PROCESS_SIGNAL) && !k->wait.a)
    return 0;
  return k->wait.kind != LASH_WAIT_PROCESS_SIGNAL || k->wait.b;
}

/* verify_uncached: 1 valid, 0 invalid, -1 OOM. */
static int verify(const lash_await_registry *r, const lash_await_key *k) {
  if (!well_formed(k)) return 0;
  char expect[65];
  if (!signature_of(r, &k->scope, &k->wait, k->key_id, expect)) return -1;
  return lash__ct_equal(expect, 64, k->signature, strlen(k->signature));
}

/* ---- registry --------------------------------------------------------------- */

int lash__await_registry_new(const lash_allocator *a, const uint8_t *secret, size_t secret_len,
                             lash_await_registry **out, lash_err *e) {
  *out = NULL;
  if (!secret || secret_len < LASH_AWAIT_MIN_SECRET)
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "effect_secret",
                     "expected at least %u random bytes from the host's CSPRNG", LASH_AWAIT_MIN_SECRET);
  lash_await_registry *r = lash__alloc(a, sizeof *r);
  if (!r) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  memset(r, 0, sizeof *r);
  r->alloc = a;
  r->secret = lash__alloc(a, secret_len);
  if (!r->secret) {
    lash__free(a, r);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  memcpy(r->secret, secret, secret_len);
  r->secret_len = secret_len;
  *out = r;
  return LASH_OK;
}

static void entry_free(const lash_allocator *a, entry *en) {
  if (!en) return;
  lash__free(a, (char *)en->scope.session_id);
  if (en->scope.id != en->scope.session_id) lash__free(a, (char *)en->scope.id);
  lash__free(a, (char *)en->wait.a);
  lash__free(a, (char *)en->wait.b);
  lash__free(a, en->key_id);
  lash__free(a, en->signature);
  lash__free(a, (char *)en->terminal.payload);
  lash__free(a, en);
}

void lash__await_registry_free(lash_await_registry *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) entry_free(r->alloc, r->entries[i]);
  for (size_t i = 0; i < r->nrevoked; i++) lash__free(r->alloc, r->revoked[i]);
  lash__free(r->alloc, r->entries);
  lash__free(r->alloc, r->revoked);
  memset(r->secret, 0, r->secret_len);
  lash__free(r->alloc, r->secret);
  lash__free(r->alloc, r);
}

void lash__await_set_notify(lash_await_registry *r, void (*fn)(void *ud, const char *key_id), void *ud) {
  r->notify = fn;
  r->notify_ud = ud;
}

size_t lash__await_entry_count(const lash_await_registry *r) {
  size_t live = 0;
  for (size_t i = 0; i < r->n; i++) live += !r->entries[i]->completed;
  return live;
}

static int session_revoked(const lash_await_registry *r, const char *session_id) {
  if (!session_id) return 0; /* process/runtime-operation scopes: the unscoped shard is never revoked */
  for (size_t i = 0; i < r->nrevoked; i++)
    if (!strcmp(r->revoked[i], session_id)) return 1;
  return 0;
}

static entry *find(const lash_await_registry *r, const char *key_id) {
  for (size_t i = 0; i < r->n; i++)
    if (!strcmp(r->entries[i]->key_id, key_id)) return r->entries[i];
  return NULL;
}

static int key_matches(const entry *en, const lash_await_key *k) {
  return lash__scope_equal(&en->scope, &k->scope) && wait_equal(&en->wait, &k->wait) &&
         !strcmp(en->key_id, k->key_id) &&
         lash__ct_equal(en->signature, strlen(en->signature), k->signature, strlen(k->signature));
}

static char *dup(const lash_allocator *a, const char *s, int *oom) {
  if (!s) return NULL;
  char *d = lash__strndup(a, s, strlen(s));
  if (!d) *oom = 1;
  return d;
}

/* A new entry for a verified key, pending; NULL on OOM. */
static entry *entry_new(lash_await_registry *r, const lash_await_key *k) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 8;
    entry **grown = lash__realloc(r->alloc, r->entries, cap * sizeof *grown);
    if (!grown) return NULL;
    r->entries = grown;
    r->cap = cap;
  }
  entry *en = lash__alloc(r->alloc, sizeof *en);
  if (!en) return NULL;
  memset(en, 0, sizeof *en);
  int oom = 0;
  en->scope.kind = k->scope.kind;
  en->scope.session_id = dup(r->alloc, k->scope.session_id, &oom);
  en->scope.id = k->scope.kind == LASH_SCOPE_SESSION_DELETE ? en->scope.session_id : dup(r->alloc, k->scope.id, &oom);
  en->wait = k->wait;
  en->wait.a = dup(r->alloc, k->wait.a, &oom);
  en->wait.b = dup(r->alloc, k->wait.b, &oom);
  en->key_id = dup(r->alloc, k->key_id, &oom);
  en->signature = dup(r->alloc, k->signature, &oom);
  if (oom) {
    entry_free(r->alloc, en);
    return NULL;
  }
  r->entries[r->n++] = en;
  return en;
}

static void entry_remove(lash_await_registry *r, size_t i) {
  entry_free(r->alloc, r->entries[i]);
  memmove(r->entries + i, r->entries + i + 1, (r->n - i - 1) * sizeof *r->entries);
  r->n--;
}

/* Store a terminal on a pending entry (copying the payload): 0 on OOM. */
static int store_terminal(lash_await_registry *r, entry *en, const lash_resolution *res) {
  char *payload = NULL;
  if (res->status == LASH_RESOLUTION_OK || res->status == LASH_RESOLUTION_ERR) {
    const char *p = res->payload ? res->payload : "null";
    payload = lash__strndup(r->alloc, p, strlen(p));
    if (!payload) return 0;
  }
  en->resolved = 1;
  en->terminal.status = res->status;
  en->terminal.payload = payload;
  return 1;
}

static void notify(lash_await_registry *r, const char *key_id) {
  if (r->notify) r->notify(r->notify_ud, key_id);
}

/* archive_turn_control: once a turn's terminal is published, its gate and
 * terminal leave the live set for a bounded archive of completed turns. */
static int archive_turn_control(lash_await_registry *r, const lash_await_key *terminal_key) {
  lash_await_wait gate = lash__wait_turn_cancel_gate();
  char gate_id[LASH_AWAIT_KEY_ID_MAX];
  if (lash__await_key_id(r->alloc, &terminal_key->scope, &gate, gate_id, NULL)) return 0;
  const char *ids[2] = {gate_id, terminal_key->key_id};
  for (int i = 0; i < 2; i++) {
    entry *en = find(r, ids[i]);
    if (!en || !en->resolved || en->completed) continue;
    en->completed = ++r->completed_seq;
    r->ncompleted++;
  }
  while (r->ncompleted > COMPLETED_TURN_CONTROL_KEY_LIMIT) {
    size_t oldest = r->n;
    for (size_t i = 0; i < r->n; i++)
      if (r->entries[i]->completed && (oldest == r->n || r->entries[i]->completed < r->entries[oldest]->completed))
        oldest = i;
    if (oldest == r->n) break;
    entry_remove(r, oldest);
    r->ncompleted--;
  }
  return 1;
}

int lash__await_key_for(lash_await_registry *r, const lash_exec_scope *s, const lash_await_wait *w,
                        lash_await_key *key, lash_err *e) {
  int rc;
  if ((rc = lash__scope_validate(s, e)) || (rc = lash__wait_validate(w, e))) return rc;
  if (session_revoked(r, lash__scope_session_id(s))) return unknown_or_revoked(e);
  memset(key, 0, sizeof *key);
  key->scope = *s;
  key->wait = *w;
  if ((rc = lash__await_key_id(r->alloc, s, w, key->key_id_buf, e))) return rc;
  if (!signature_of(r, s, w, key->key_id_buf, key->signature_buf)) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  key->key_id = key->key_id_buf;
  key->signature = key->signature_buf;
  return LASH_OK;
}

int lash__await_resolve(lash_await_registry *r, const lash_await_key *key, const lash_resolution *res,
                        lash_resolve_outcome *out, lash_err *e) {
  memset(out, 0, sizeof *out);
  int v = verify(r, key);
  if (v < 0) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  if (!v || session_revoked(r, lash__scope_session_id(&key->scope))) {
    out->status = LASH_RESOLVE_UNKNOWN_OR_REVOKED;
    return LASH_OK;
  }
  entry *en = find(r, key->key_id);
  if (en && !key_matches(en, key)) {
    out->status = LASH_RESOLVE_UNKNOWN_OR_REVOKED;
    return LASH_OK;
  }
  if (en && en->resolved) {
    out->status = LASH_RESOLVE_ALREADY_RESOLVED;
    out->terminal = en->terminal;
    return LASH_OK;
  }
  int created = !en;
  if (created && !(en = entry_new(r, key))) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  if (!store_terminal(r, en, res)) {
    if (created) entry_remove(r, r->n - 1);
    return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  /* Archiving only moves entries between sets; its one allocation failing
   * leaves them live, which lookups treat the same. */
  if (key->wait.kind == LASH_WAIT_TURN_TERMINAL) archive_turn_control(r, key);
  out->status = LASH_RESOLVE_ACCEPTED;
  notify(r, key->key_id);
  return LASH_OK;
}

int lash__await_peek(lash_await_registry *r, const lash_await_key *key, const lash_resolution **out,
                     lash_err *e) {
  *out = NULL;
  if (!well_formed(key) || session_revoked(r, lash__scope_session_id(&key->scope))) return unknown_or_revoked(e);
  entry *en = find(r, key->key_id);
  if (en) {
    if (!key_matches(en, key)) return unknown_or_revoked(e);
    if (en->resolved) *out = &en->terminal;
    return LASH_OK;
  }
  int v = verify(r, key);
  if (v < 0) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  return v ? LASH_OK : unknown_or_revoked(e);
}

int lash__await_poll(lash_await_registry *r, const lash_await_key *key, int cancelled, int deadline_passed,
                     const lash_resolution **out, lash_err *e) {
  *out = NULL;
  if (!well_formed(key) || session_revoked(r, lash__scope_session_id(&key->scope))) return unknown_or_revoked(e);
  entry *en = find(r, key->key_id);
  if (en && !key_matches(en, key)) return unknown_or_revoked(e);
  if (!en) {
    int v = verify(r, key);
    if (v < 0) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
    if (!v) return unknown_or_revoked(e);
    if (!(en = entry_new(r, key))) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
  }
  if (!en->resolved && (cancelled || deadline_passed)) {
    if (lash__wait_is_turn_control(&key->wait))
      return cancelled ? runtime_err(e, "turn_control_wait_cancelled",
                                     "turn-control waiter stopped without resolving its keyed promise")
                       : runtime_err(e, "turn_control_wait_timeout",
                                     "turn-control waiter timed out without resolving its keyed promise");
    lash_resolution t = {cancelled ? LASH_RESOLUTION_CANCELLED : LASH_RESOLUTION_TIMEOUT, NULL};
    store_terminal(r, en, &t); /* no payload: cannot fail */
    notify(r, en->key_id);
  }
  if (en->resolved) *out = &en->terminal;
  return LASH_OK;
}

int lash__await_revoke_session(lash_await_registry *r, const char *session_id) {
  if (!session_id) return LASH_OK;
  if (session_revoked(r, session_id)) return LASH_OK;
  char *copy = lash__strndup(r->alloc, session_id, strlen(session_id));
  if (!copy) return LASH_E_NOMEM;
  if (r->nrevoked == REVOKED_SESSION_LIMIT) { /* the oldest tombstone expires */
    lash__free(r->alloc, r->revoked[0]);
    memmove(r->revoked, r->revoked + 1, (r->nrevoked - 1) * sizeof *r->revoked);
    r->nrevoked--;
  } else {
    char **grown = lash__realloc(r->alloc, r->revoked, (r->nrevoked + 1) * sizeof *grown);
    if (!grown) {
      lash__free(r->alloc, copy);
      return LASH_E_NOMEM;
    }
    r->revoked = grown;
  }
  r->revoked[r->nrevoked++] = copy;
  /* Drain the session's waits; waiters re-poll and see unknown_or_revoked. */
  for (size_t i = r->n; i-- > 0;) {
    entry *en = r->entries[i];
    const char *sid = lash__scope_session_id(&en->scope);
    if (!sid || strcmp(sid, session_id)) continue;
    int was_pending = !en->resolved && !en->completed;
    char key_id[LASH_AWAIT_KEY_ID_MAX];
    snprintf(key_id, sizeof key_id, "%s", en->key_id);
    if (en->completed) r->ncompleted--;
    entry_remove(r, i);
    if (was_pending) notify(r, key_id);
  }
  return LASH_OK;
}

int lash__await_cancel_session(lash_await_registry *r, const char *session_id) {
  if (!session_id) return LASH_OK;
  for (size_t i = 0; i < r->n; i++) {
    entry *en = r->entries[i];
    const char *sid = lash__scope_session_id(&en->scope);
    if (!sid || strcmp(sid, session_id) || en->resolved || lash__wait_is_turn_control(&en->wait)) continue;
    lash_resolution t = {LASH_RESOLUTION_CANCELLED, NULL};
    store_terminal(r, en, &t);
    notify(r, en->key_id);
  }
  return LASH_OK;
}

/* ---- JSON ------------------------------------------------------------------- */

static void jfield(lash_buf *b, const char *name, const char *value) {
  lash__buf_puts(b, ",\"");
  lash__buf_puts(b, name);
  lash__buf_puts(b, "\":");
  lash__buf_json_string(b, value ? value : "", value ? strlen(value) : 0);
}

static const char *wait_type(lash_wait_kind k) {
  switch (k) {
  case LASH_WAIT_TOOL_COMPLETION: return "tool_completion";
  case LASH_WAIT_PROCESS_SIGNAL: return "process_signal";
  case LASH_WAIT_TURN_CANCEL_GATE: return "turn_cancel_gate";
  case LASH_WAIT_TURN_TERMINAL: return "turn_terminal";
  case LASH_WAIT_CUSTOM: return "custom";
  }
  return "?";
}

int lash__await_wait_json(lash_buf *b, const lash_await_wait *w) {
  lash__buf_puts(b, "{\"type\":\"");
  lash__buf_puts(b, wait_type(w->kind));
  lash__buf_puts(b, "\"");
  if (w->kind == LASH_WAIT_TOOL_COMPLETION) jfield(b, "tool_call_id", w->a);
  if (w->kind == LASH_WAIT_CUSTOM) jfield(b, "key", w->a);
  if (w->kind == LASH_WAIT_PROCESS_SIGNAL) {
    jfield(b, "process_id", w->a);
    jfield(b, "signal_name", w->b);
    lash__buf_printf(b, ",\"ordinal\":%" PRIu64, w->ordinal);
  }
  return lash__buf_puts(b, "}");
}

int lash__await_key_json(lash_buf *b, const lash_await_key *k) {
  lash__buf_puts(b, "{\"scope\":");
  lash__scope_json(b, &k->scope);
  lash__buf_puts(b, ",\"wait\":");
  lash__await_wait_json(b, &k->wait);
  jfield(b, "key_id", k->key_id);
  jfield(b, "signature", k->signature);
  return lash__buf_puts(b, "}");
}

int lash__resolution_json(lash_buf *b, const lash_resolution *res) {
  static const char *const names[] = {"ok", "err", "timeout", "cancelled"};
  lash__buf_puts(b, "{\"status\":\"");
  lash__buf_puts(b, names[res->status]);
  lash__buf_puts(b, "\"");
  if (res->status == LASH_RESOLUTION_OK || res->status == LASH_RESOLUTION_ERR) {
    lash__buf_puts(b, ",\"payload\":");
    lash__buf_puts(b, res->payload ? res->payload : "null");
  }
  return lash__buf_puts(b, "}");
}

int lash__resolve_outcome_json(lash_buf *b, const lash_resolve_outcome *o) {
  switch (o->status) {
  case LASH_RESOLVE_ACCEPTED: return lash__buf_puts(b, "{\"status\":\"accepted\"}");
  case LASH_RESOLVE_UNKNOWN_OR_REVOKED: return lash__buf_puts(b, "{\"status\":\"unknown_or_revoked\"}");
  case LASH_RESOLVE_ALREADY_RESOLVED:
    lash__buf_puts(b, "{\"status\":\"already_resolved\",\"terminal\":");
    lash__resolution_json(b, &o->terminal);
    return lash__buf_puts(b, "}");
  }
  return 0;
}

static int req_string(const cJSON *v, const char *key, const char *argument, const char **out, lash_err *e) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, key);
  if (!cJSON_IsString(f))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "%s field `%s`", f ? "invalid type for" : "missing", key);
  *out = f->valuestring;
  return LASH_OK;
}

static int wait_from_json(const cJSON *v, const char *argument, lash_await_wait *w, lash_err *e) {
  if (!cJSON_IsObject(v)) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "expected an AwaitEventWaitIdentity object");
  const char *type;
  int rc = req_string(v, "type", argument, &type, e);
  if (rc) return rc;
  memset(w, 0, sizeof *w);
  for (int k = LASH_WAIT_TOOL_COMPLETION; k <= LASH_WAIT_CUSTOM; k++) {
    if (strcmp(type, wait_type((lash_wait_kind)k))) continue;
    w->kind = (lash_wait_kind)k;
    if (k == LASH_WAIT_TOOL_COMPLETION) return req_string(v, "tool_call_id", argument, &w->a, e);
    if (k == LASH_WAIT_CUSTOM) return req_string(v, "key", argument, &w->a, e);
    if (k == LASH_WAIT_PROCESS_SIGNAL) {
      int present = 0;
      if ((rc = req_string(v, "process_id", argument, &w->a, e)) ||
          (rc = req_string(v, "signal_name", argument, &w->b, e)) ||
          (rc = lash__json_opt_u64(v, "ordinal", 1, argument, &present, &w->ordinal, e)))
        return rc;
      if (!present) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "missing field `ordinal`");
    }
    return LASH_OK;
  }
  return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "unknown variant `%s`", type);
}

int lash__await_key_from_json(const cJSON *v, const char *argument, lash_await_key *out, lash_err *e) {
  memset(out, 0, sizeof *out);
  if (!cJSON_IsObject(v)) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "expected an AwaitEventKey object");
  int rc;
  const cJSON *scope = cJSON_GetObjectItemCaseSensitive(v, "scope");
  const cJSON *wait = cJSON_GetObjectItemCaseSensitive(v, "wait");
  if (!scope) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "missing field `scope`");
  if (!wait) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "missing field `wait`");
  if ((rc = lash__scope_from_json(scope, argument, &out->scope, e)) ||
      (rc = wait_from_json(wait, argument, &out->wait, e)) ||
      (rc = req_string(v, "key_id", argument, &out->key_id, e)) ||
      (rc = req_string(v, "signature", argument, &out->signature, e)))
    return rc;
  return LASH_OK;
}

int lash__resolution_from_json(const lash_allocator *a, const cJSON *v, const char *argument,
                               lash_resolution *out, char **payload_owned, lash_err *e) {
  *payload_owned = NULL;
  memset(out, 0, sizeof *out);
  if (!cJSON_IsObject(v)) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "expected a Resolution object");
  const char *status;
  int rc = req_string(v, "status", argument, &status, e);
  if (rc) return rc;
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(v, "payload");
  if (!strcmp(status, "timeout") || !strcmp(status, "cancelled")) {
    out->status = status[0] == 't' ? LASH_RESOLUTION_TIMEOUT : LASH_RESOLUTION_CANCELLED;
    return LASH_OK;
  }
  int is_ok = !strcmp(status, "ok");
  if (!is_ok && strcmp(status, "err")) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "unknown variant `%s`", status);
  if (!payload) return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "missing field `payload`");
  char *text = NULL;
  if (is_ok) {
    text = cJSON_PrintUnformatted(payload);
    if (!text) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
    char *copy = lash__strndup(a, text, strlen(text));
    cJSON_free(text);
    if (!copy) return lash__err(e, LASH_E_NOMEM, NULL, NULL);
    text = copy;
  } else { /* ExternalCompletionError {code, message, raw?}; other fields dropped as serde does */
    const char *code, *message;
    if ((rc = req_string(payload, "code", argument, &code, e)) || (rc = req_string(payload, "message", argument, &message, e)))
      return rc;
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(payload, "raw");
    lash_buf b;
    lash__buf_init(&b, a);
    lash__buf_puts(&b, "{");
    lash__buf_puts(&b, "\"code\":");
    lash__buf_json_string(&b, code, strlen(code));
    jfield(&b, "message", message);
    if (raw && !cJSON_IsNull(raw)) {
      char *r = cJSON_PrintUnformatted(raw);
      if (!r) b.oom = 1;
      lash__buf_puts(&b, ",\"raw\":");
      if (r) lash__buf_puts(&b, r);
      cJSON_free(r);
    }
    lash__buf_puts(&b, "}");
    if (b.oom) {
      lash__buf_free(&b);
      return lash__err(e, LASH_E_NOMEM, NULL, NULL);
    }
    text = lash__buf_take(&b, NULL);
  }
  out->status = is_ok ? LASH_RESOLUTION_OK : LASH_RESOLUTION_ERR;
  out->payload = text;
  *payload_owned = text;
  return LASH_OK;
}

int lash__await_resolve_json(lash_await_registry *r, const char *key_json, size_t key_len,
                             const char *resolution_json, size_t resolution_len, lash_buf *out, lash_err *e) {
  cJSON *kv = lash__json_parse(key_json, key_len, LASH_MAX_CONFIG_BYTES, "key", e);
  if (!kv) return e ? e->code : LASH_E_INVALID_ARGUMENT;
  cJSON *rv = lash__json_parse(resolution_json, resolution_len, LASH_MAX_CONFIG_BYTES, "resolution", e);
  if (!rv) {
    cJSON_Delete(kv);
    return e ? e->code : LASH_E_INVALID_ARGUMENT;
  }
  lash_await_key key;
  lash_resolution res;
  char *payload = NULL;
  lash_resolve_outcome o;
  int rc = lash__await_key_from_json(kv, "key", &key, e);
  if (!rc) rc = lash__resolution_from_json(r->alloc, rv, "resolution", &res, &payload, e);
  if (!rc) rc = lash__await_resolve(r, &key, &res, &o, e);
  if (!rc) {
    size_t mark = out->len;
    lash__resolve_outcome_json(out, &o);
    if (out->oom) {
      out->oom = 0; /* the outcome stands; only its rendering failed */
      out->len = mark;
      if (out->data) out->data[mark] = '\0';
      rc = lash__err(e, LASH_E_NOMEM, NULL, NULL);
    }
  }
  lash__free(r->alloc, payload);
  cJSON_Delete(kv);
  cJSON_Delete(rv);
  return rc;
}
