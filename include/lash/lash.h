/* lash-wasm public C API: the core object, status codes, and builder validation.
 *
 * Everything crosses as UTF-8 JSON bytes. The caller owns what it passes in; the
 * core owns what it returns through lash_core_last_error()/lash_core_info()
 * (valid until the next call on the same core). */
#ifndef LASH_H
#define LASH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One table for every status: symbol, lash's variant name (the JS LashError.code),
 * and the message template ({facet}, {argument}, {detail} are substituted). */
#define LASH_STATUS_TABLE(X)                                                                   \
  X(OK, "Ok", "ok")                                                                            \
  X(E_INVALID_ARGUMENT, "InvalidArgument", "invalid argument `{argument}`: {detail}")          \
  X(E_NOMEM, "OutOfMemory", "out of memory")                                                   \
  X(E_REENTRANT, "Reentrant", "the core was called while it was running")                      \
  X(E_UNKNOWN_OP, "UnknownOperation", "unknown host operation id {detail}")                    \
  X(E_STATE, "InvalidState", "{detail}")                                                       \
  X(E_RUNTIME, "Runtime", "runtime turn error: {detail}")                                      \
  X(E_STORE_SESSION_MISMATCH, "StoreSessionMismatch",                                          \
    "store is bound to session `{detail}` but builder requested `{argument}`")                 \
  X(E_MISSING_SESSION_STORE_FACTORY, "MissingSessionStoreFactory",                             \
    "session deletion requires a LashCore store factory")                                      \
  X(E_STORE_FACTORY, "StoreFactory", "failed to create store for session `{argument}`: {detail}") \
  X(E_MISSING_PROTOCOL_PLUGIN, "MissingProtocolPlugin",                                        \
    "protocol plugin is required; call .protocol_plugin(...) or use "                          \
    "StandardCore::builder()/RlmCore::builder()")                                              \
  X(E_MISSING_MODEL_SPEC, "MissingModelSpec",                                                  \
    "model spec is required; hosts must supply explicit model metadata")                       \
  X(E_MISSING_EFFECT_HOST, "MissingEffectHost",                                                \
    "effect host is required; provide an explicit effect host with .effect_host(...)")         \
  X(E_MISSING_LASHLANG_ARTIFACT_STORE, "MissingLashlangArtifactStore",                         \
    "lashlang artifact store is required; provide an explicit Lashlang artifact store with "   \
    ".lashlang_artifact_store(...)")                                                           \
  X(E_MISSING_ATTACHMENT_STORE, "MissingAttachmentStore",                                      \
    "attachment store is required; provide an explicit attachment store with "                 \
    ".attachment_store(...)")                                                                  \
  X(E_MISSING_PROCESS_ENV_STORE, "MissingProcessEnvStore",                                     \
    "process execution environment store is required; provide an explicit process env store " \
    "with .process_env_store(...)")                                                            \
  X(E_DURABLE_STORE_PEER_REQUIRED, "DurableStorePeerRequired",                                 \
    "durable session store requires a durable {facet}; an ephemeral {facet} cannot back a "    \
    "durable session store")                                                                   \
  X(E_DURABLE_PROCESS_REGISTRY_REQUIRES_STORE_FACTORY,                                         \
    "DurableProcessRegistryRequiresStoreFactory",                                              \
    "durable process registry requires a durable session store factory; call "                 \
    ".store_factory(...) with a durable store")                                                \
  X(E_PROCESS_REGISTRY_REQUIRES_STORE_FACTORY, "ProcessRegistryRequiresStoreFactory",          \
    "a process registry is configured for the default inline process work runner but no "      \
    "session store factory is wired; the runner rebuilds a session runtime per process and "   \
    "cannot do so without one. Wire .store_factory(...) - InMemorySessionStoreFactory::new() " \
    "for ephemeral process execution, or a durable factory - or use .process_work_driver(...) " \
    "for an externally driven durable runner.")                                              \
  /* Raised by the JavaScript package only (never by the C core); kept here so both halves */  \
  /* read one table (js/core/ops.js is generated from it). Append only: ids are ABI. */        \
  X(E_SESSION, "Session", "runtime session error: {detail}")                                   \
  X(E_CANCELLED, "Cancelled", "operation {detail}")                                            \
  X(E_CORE_POISONED, "CorePoisoned",                                                           \
    "the wasm core trapped and is unusable: {detail}; build a new core")                       \
  X(E_CORE_CLOSED, "CoreClosed", "this core is closed")                                        \
  X(E_SESSION_CLOSED, "SessionClosed", "session `{argument}` is closed")                       \
  X(E_WASM_LOAD_FAILED, "WasmLoadFailed", "could not load lash.wasm: {detail}")                \
  X(E_INTERNAL, "Internal", "core returned an unreadable error: {detail}")

typedef enum {
#define LASH_X_ENUM(sym, name, msg) LASH_##sym,
  LASH_STATUS_TABLE(LASH_X_ENUM)
#undef LASH_X_ENUM
  LASH_STATUS_COUNT
} lash_status;

/* Variant name ("MissingEffectHost") and raw message template of a status. */
const char *lash_status_name(int status);
const char *lash_status_template(int status);

/* Allocator hook; NULL fields mean libc. All core memory goes through it. */
typedef struct lash_allocator {
  void *(*alloc)(size_t size, void *ud);
  void *(*realloc)(void *ptr, size_t size, void *ud);
  void (*free)(void *ptr, void *ud);
  void *ud;
} lash_allocator;

typedef struct lash_core lash_core;
struct lash_host; /* lash_host.h */

/* Bounds on what a caller may pass in (oversized input -> InvalidArgument). */
#define LASH_MAX_CONFIG_BYTES (8u << 20)  /* one builder config document */
#define LASH_MAX_ID_BYTES 1024u           /* ids, model ids, provider kinds */
#define LASH_MAX_TEXT_BYTES (1u << 20)    /* prompt texts */
#define LASH_MAX_JSON_DEPTH 64

/* Create a core bound to a host (borrowed; must outlive the core). NULL on OOM. */
lash_core *lash_core_new(const struct lash_host *host /* borrowed */,
                         const lash_allocator *alloc /* copied; may be NULL */);
void lash_core_free(lash_core *core /* owned */);

/* Validate a builder configuration exactly as lash's build() does (§1.4-§1.7)
 * and, on success, make it the core's configuration. On failure the core stays
 * unconfigured and lash_core_last_error() describes why. */
int lash_core_build(lash_core *core, const char *config_json /* borrowed */, size_t len);

/* JSON of the last error: {"code","message", variant fields...}; "" if none. */
const char *lash_core_last_error(lash_core *core, size_t *len_out);

/* Open a session (create it, or reset it with "fresh"): {"session_id", "fresh"?,
 * "spec"?: SessionSpec, "provider_kind"?}. */
int lash_session_open(lash_core *core, const char *json, size_t len);
/* The committed transcript of a session into the result buffer: {"session_id",
 * "messages"?: false to leave the transcript out (counters and ledger only)}. */
int lash_session_read_view(lash_core *core, const char *json, size_t len);
/* Forget a session before its store is deleted: {"session_id", "has_root_factory"}.
 * MissingSessionStoreFactory without a root factory (lash delete_session step 1). */
int lash_session_delete(lash_core *core, const char *json, size_t len);
/* Release a session's in-core state when its last handle closes: {"session_id"}.
 * Committed state lives in the store; the next open() reloads it. */
int lash_session_close(lash_core *core, const char *json, size_t len);
/* Start a turn (see src/turn/turn.h for the request); *turn_no names it. */
int lash_turn_start(lash_core *core, const char *json, size_t len, uint32_t *turn_no);
/* Cooperatively cancel a running turn; returns 1 if it was running. */
int lash_turn_cancel(lash_core *core, uint32_t turn_no);
/* The result JSON of the last call that produced one (read view, ...). */
const char *lash_core_result(lash_core *core, size_t *len_out);

/* JSON describing the built core: {"policy", "process_work_runner", ...}. */
const char *lash_core_info(lash_core *core, size_t *len_out);

#ifdef __cplusplus
}
#endif
#endif
