/* The await-event registry (lash runtime/effect/await_events.rs and
 * promise_semantics.rs): one-shot keyed promises behind signed AwaitEventKeys.
 *
 * key_id    = "await-event:v3:sha256:" + sha256(lash's stable-identity preimage
 *             of [scope, wait], family "lash.await-event" v3): not JSON.
 * signature = hex(HMAC-SHA256(secret, preimage "lash.await-event-auth" v3 of
 *             (key preimage, key_id))). The secret is per registry and comes
 *             from the host's CSPRNG (lash: a fresh uuid v4, 16 bytes).
 * First resolution wins; later ones see already_resolved{terminal}; a bad
 * signature or a revoked session is unknown_or_revoked. The core never blocks:
 * waiting is lash__await_poll, called again when the notify hook fires. */
#ifndef LASH_EFFECT_AWAIT_H
#define LASH_EFFECT_AWAIT_H
#include <stdint.h>

#include "effect/scope.h"

#define LASH_AWAIT_MIN_SECRET 16u
#define LASH_AWAIT_KEY_ID_MAX 96u /* "await-event:v3:sha256:" + 64 hex + NUL */

/* Values are lash's permanent wait tags (promise_semantics.rs). */
typedef enum {
  LASH_WAIT_TOOL_COMPLETION = 1, /* a = tool_call_id */
  LASH_WAIT_PROCESS_SIGNAL = 2,  /* a = process_id, b = signal_name, ordinal >= 1 */
  LASH_WAIT_TURN_CANCEL_GATE = 3,
  LASH_WAIT_TURN_TERMINAL = 4,
  LASH_WAIT_CUSTOM = 5           /* a = key */
} lash_wait_kind;

typedef struct lash_await_wait {
  lash_wait_kind kind;
  const char *a, *b; /* borrowed */
  uint64_t ordinal;
} lash_await_wait;

/* An AwaitEventKey. Everything borrowed; a minted key points key_id/signature
 * at its own buffers (so copy the struct only before minting, or re-point). */
typedef struct lash_await_key {
  lash_exec_scope scope;
  lash_await_wait wait;
  const char *key_id, *signature;
  char key_id_buf[LASH_AWAIT_KEY_ID_MAX];
  char signature_buf[65];
} lash_await_key;

typedef enum {
  LASH_RESOLUTION_OK,
  LASH_RESOLUTION_ERR,
  LASH_RESOLUTION_TIMEOUT,
  LASH_RESOLUTION_CANCELLED
} lash_resolution_status;

/* Resolution: {"status":"ok","payload":any} | {"status":"err","payload":
 * {"code","message","raw"?}} | {"status":"timeout"} | {"status":"cancelled"}.
 * payload is JSON text (ok, err), borrowed. */
typedef struct lash_resolution {
  lash_resolution_status status;
  const char *payload;
} lash_resolution;

typedef enum {
  LASH_RESOLVE_ACCEPTED,
  LASH_RESOLVE_ALREADY_RESOLVED,
  LASH_RESOLVE_UNKNOWN_OR_REVOKED
} lash_resolve_status;

/* ResolveOutcome: {"status":"accepted"} | {"status":"already_resolved",
 * "terminal":Resolution} | {"status":"unknown_or_revoked"}. terminal is
 * borrowed from the registry, valid until its next mutating call. */
typedef struct lash_resolve_outcome {
  lash_resolve_status status;
  lash_resolution terminal;
} lash_resolve_outcome;

typedef struct lash_await_registry lash_await_registry;

/* secret: at least LASH_AWAIT_MIN_SECRET bytes from the host's CSPRNG (copied).
 * Fails with InvalidArgument `effect_secret` when shorter, OutOfMemory. */
int lash__await_registry_new(const lash_allocator *a, const uint8_t *secret, size_t secret_len,
                             lash_await_registry **out, lash_err *e);
void lash__await_registry_free(lash_await_registry *r);
/* Called (synchronously, after the state changed) whenever a wait gains a
 * terminal or is revoked: the scheduler's cue to re-poll the parked turn. */
void lash__await_set_notify(lash_await_registry *r, void (*fn)(void *ud, const char *key_id), void *ud);

/* Waits and keys -------------------------------------------------------------- */
lash_await_wait lash__wait_tool_completion(const char *tool_call_id);
lash_await_wait lash__wait_process_signal(const char *process_id, const char *signal_name, uint64_t ordinal);
lash_await_wait lash__wait_turn_cancel_gate(void);
lash_await_wait lash__wait_turn_terminal(void);
lash_await_wait lash__wait_custom(const char *key);
int lash__wait_is_turn_control(const lash_await_wait *w);
/* AwaitEventWaitIdentity::validate: Runtime `invalid_await_event_wait_identity`
 * "await-event wait identity requires non-empty stable ids". */
int lash__wait_validate(const lash_await_wait *w, lash_err *e);

/* derive_key_id: the identity, independent of any secret (scope and wait are
 * validated first). out: LASH_AWAIT_KEY_ID_MAX bytes. */
int lash__await_key_id(const lash_allocator *a, const lash_exec_scope *s, const lash_await_wait *w,
                       char out[LASH_AWAIT_KEY_ID_MAX], lash_err *e);
/* Mint a signed key (lash key_for): validates, refuses a revoked session with
 * Runtime `await_event_unknown_or_revoked` "await-event key is invalid or
 * revoked", registers nothing. key->scope/wait borrow s's and w's strings. */
int lash__await_key_for(lash_await_registry *r, const lash_exec_scope *s, const lash_await_wait *w,
                        lash_await_key *key, lash_err *e);

/* Promise transitions ---------------------------------------------------------- */
int lash__await_resolve(lash_await_registry *r, const lash_await_key *key, const lash_resolution *res,
                        lash_resolve_outcome *out, lash_err *e);
/* Read without registering: *out NULL while pending. A bad or revoked key is
 * Runtime `await_event_unknown_or_revoked`. */
int lash__await_peek(lash_await_registry *r, const lash_await_key *key, const lash_resolution **out,
                     lash_err *e);
/* One poll of await_resolution: registers the wait, then a set `cancelled`
 * resolves it Cancelled and a passed deadline Timeout (first writer still
 * wins); for turn-control waits those are errors instead
 * (`turn_control_wait_cancelled` / `turn_control_wait_timeout`). *out NULL:
 * still pending, poll again when notified. */
int lash__await_poll(lash_await_registry *r, const lash_await_key *key, int cancelled, int deadline_passed,
                     const lash_resolution **out, lash_err *e);
/* Tombstone a session (deleteSession): its waits are dropped, its keys refuse
 * from now on. Bounded to the 4096 most recent sessions, as lash. */
int lash__await_revoke_session(lash_await_registry *r, const char *session_id);
/* Resolve every outstanding non-turn-control wait of a session Cancelled,
 * leaving the session usable (lash cancel_session). */
int lash__await_cancel_session(lash_await_registry *r, const char *session_id);
/* Live entries (pending or resolved, not archived): for tests and diagnostics. */
size_t lash__await_entry_count(const lash_await_registry *r);

/* JSON (lash's serde shapes) --------------------------------------------------- */
int lash__await_wait_json(lash_buf *b, const lash_await_wait *w);
int lash__await_key_json(lash_buf *b, const lash_await_key *k);
int lash__resolution_json(lash_buf *b, const lash_resolution *res);
int lash__resolve_outcome_json(lash_buf *b, const lash_resolve_outcome *o);
/* Decoders: strings borrowed from v; shape errors are InvalidArgument naming
 * `argument`. A resolution's payload is re-printed into *payload_owned (free
 * with lash__free), err payloads reduced to {code, message, raw?}. */
int lash__await_key_from_json(const cJSON *v, const char *argument, lash_await_key *out, lash_err *e);
int lash__resolution_from_json(const lash_allocator *a, const cJSON *v, const char *argument,
                               lash_resolution *out, char **payload_owned, lash_err *e);
/* core.completions().resolve(key, resolution): both as JSON text; appends the
 * ResolveOutcome JSON to out. */
int lash__await_resolve_json(lash_await_registry *r, const char *key_json, size_t key_len,
                             const char *resolution_json, size_t resolution_len, lash_buf *out, lash_err *e);
#endif
