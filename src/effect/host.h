/* The effect host as the core sees it (lash EffectHost / ScopedEffectController,
 * executor/control.rs, inline_host.rs) and the turn-builder rules that hang off
 * it (lash/src/turn.rs, runtime/turn_loop.rs). The host itself lives in JS; the
 * core needs its capabilities and a validated scope. */
#ifndef LASH_EFFECT_HOST_H
#define LASH_EFFECT_HOST_H
#include "effect/scope.h"

/* EffectReplayOwnership: who owns replay of recorded effects. A Runtime-owned
 * host (InlineEffectHost) re-executes the local path; a Controller-owned one
 * (Restate) journals outcomes and replays them. */
typedef enum { LASH_REPLAY_RUNTIME, LASH_REPLAY_CONTROLLER } lash_replay_ownership;

typedef struct lash_effect_host {
  int durable;                  /* durabilityTier 'durable' */
  lash_replay_ownership replay;
  int process_lifetime_keys;    /* allows_process_lifetime_completion_keys */
  int observes;                 /* the host wants each envelope (recording hosts) */
} lash_effect_host;

/* The builder's effect_host facet: {"tier":"inline"|"durable",
 * "replay_ownership"?:"runtime"|"controller", "process_lifetime_keys"?:bool,
 * "observes"?:bool}. replay_ownership defaults to runtime for inline and
 * controller for durable; the flags default to false. InvalidArgument
 * `effect_host` otherwise. */
int lash__effect_host_from_json(const cJSON *v, lash_effect_host *out, lash_err *e);

/* host.scoped(scope): a controller bound to a validated scope (scope strings
 * borrowed). Blank ids: missing_execution_scope_id. */
typedef struct lash_scoped_controller {
  const lash_effect_host *host; /* borrowed */
  lash_exec_scope scope;
} lash_scoped_controller;
int lash__effect_scoped(const lash_effect_host *h, const lash_exec_scope *s, lash_scoped_controller *out,
                        lash_err *e);

/* reject_controller_owned_replay_host (lash/src/turn.rs:1099): 1 when a turn
 * run without .effects(controller) must be refused with
 * DurableEffectHostRequiresHandlerContext for `operation` ("turn",
 * "turn stream", "queued turn", "selected queued turn"); the message is
 * LASH_EFFECT_HANDLER_CONTEXT_FMT with the operation substituted. */
int lash__effect_requires_handler_context(const lash_effect_host *h, int has_effects);
#define LASH_EFFECT_HANDLER_CONTEXT_FMT                                                             \
  "configured effect host for %s is durable and requires a handler context; use "                  \
  ".effects(&controller) and provide .turn_id(...) for replayable foreground requests"

/* The trace turn id of a turn run with .effects(c) (lash/src/turn.rs:1077
 * trace_turn_id_for_scope): a turn scope gives builder_turn_id ?? the scope id;
 * any other scope builder_turn_id ?? input_trace_turn_id (may be NULL). Without
 * effects (c NULL): builder_turn_id ?? input_trace_turn_id, NULL meaning "mint a
 * fresh uuid" (turn.rs:307). Returns one of its arguments. */
const char *lash__effect_trace_turn_id(const lash_scoped_controller *c, const char *builder_turn_id,
                                       const char *input_trace_turn_id);
/* runtime/turn_loop.rs:2442: a turn scope whose id differs from the input's
 * trace turn id fails with Runtime execution_scope_turn_id_mismatch. */
int lash__effect_check_trace_turn_id(const lash_scoped_controller *c, const char *trace_turn_id, lash_err *e);
#endif
