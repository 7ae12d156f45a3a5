/* RuntimeInvocation and RuntimeEffectEnvelope (lash runtime/effect/envelope.rs,
 * runtime/causal.rs): what every effect carries across the seam, serialised with
 * lash's serde field names and order:
 *   {"invocation":{"scope":{"session_id","turn_id"?,"turn_index"?,"protocol_iteration"?},
 *                  "subject":{"type":"effect","effect_id","kind"},
 *                  "caused_by"?:CausalRef,"replay":{"key"}},
 *    "command":{"type":kind,...}} */
#ifndef LASH_EFFECT_ENVELOPE_H
#define LASH_EFFECT_ENVELOPE_H
#include <stdint.h>

#include "effect/await.h"
#include "effect/scope.h"

typedef struct lash_invocation {
  char *session_id;                        /* owned */
  char *turn_id;                           /* owned, or NULL */
  int64_t turn_index, protocol_iteration;  /* < 0: absent */
  char *effect_id;                         /* owned */
  lash_effect_kind kind;
  char *caused_by;                         /* owned CausalRef JSON, or NULL */
  char *replay_key;                        /* owned */
} lash_invocation;

void lash__invocation_free(const lash_allocator *a, lash_invocation *inv);

/* causal.rs turn_effect_invocation: RuntimeScope::for_turn, effect id = the
 * machine's effect number, replay key lash__replay_turn_effect. */
int lash__invocation_turn(const lash_allocator *a, lash_invocation *out, const char *session_id,
                          const char *turn_id, uint64_t turn_index, uint64_t protocol_iteration,
                          uint64_t effect_no, lash_effect_kind kind, lash_err *e);
/* RuntimeInvocation::effect over RuntimeScope{session_id, turn_id?} (no index,
 * no iteration): process admin, turn-cancel peeks, parentless tool effects. */
int lash__invocation_effect(const lash_allocator *a, lash_invocation *out, const char *session_id,
                            const char *turn_id, const char *effect_id, lash_effect_kind kind,
                            const char *replay_key, lash_err *e);
/* causal.rs child_effect_invocation: the parent's scope, caused_by = the
 * parent's CausalRef::Effect, replay key "{parent replay key}:{replay_suffix}". */
int lash__invocation_child(const lash_allocator *a, lash_invocation *out, const lash_invocation *parent,
                           const char *effect_id, lash_effect_kind kind, const char *replay_suffix,
                           lash_err *e);
/* The children lash builds, each by its rule:
 * tool attempt under a batch: effect id "{parent}:{child suffix}:attempt:{n}"; */
int lash__invocation_tool_attempt(const lash_allocator *a, lash_invocation *out, const lash_invocation *batch,
                                  const char *child_suffix, uint32_t attempt, lash_err *e);
/* retry sleep under a batch: "{parent}:{child suffix}:attempt:{n}:sleep"; */
int lash__invocation_batch_retry_sleep(const lash_allocator *a, lash_invocation *out,
                                       const lash_invocation *batch, const char *child_suffix,
                                       uint32_t attempt, lash_err *e);
/* retry sleep under any other parent (tool_retry_sleep_invocation):
 * "{parent}:{tool_name}:attempt:{n}:sleep"; */
int lash__invocation_tool_retry_sleep(const lash_allocator *a, lash_invocation *out,
                                      const lash_invocation *parent, const char *tool_name,
                                      uint32_t attempt, lash_err *e);
/* a pending tool's await in the turn driver (turn_driver/tools.rs
 * await_pending_tool_completion): effect id "{batch effect no}:{call_id}:await",
 * replay "{batch replay key}:{call_id}:await"; */
int lash__invocation_pending_tool_await(const lash_allocator *a, lash_invocation *out,
                                        const lash_invocation *batch, const char *call_id, lash_err *e);
/* a staged phase (turn_phase_effect_invocation): effect id "{parent id}.{kind}",
 * replay "{parent replay key}:{kind}". */
int lash__invocation_turn_phase(const lash_allocator *a, lash_invocation *out, const lash_invocation *parent,
                                lash_effect_kind phase_kind, lash_err *e);
/* turn_control.rs observe_pending_cancel: scope {session_id, turn_id}, effect
 * id = replay key = "turn_cancel.start_gate" | ... */
int lash__invocation_turn_cancel_peek(const lash_allocator *a, lash_invocation *out, const char *session_id,
                                      const char *turn_id, lash_peek_gate which, uint64_t protocol_iteration,
                                      lash_err *e);

/* RuntimeInvocation::causal_ref for an effect subject:
 * {"type":"effect","session_id","turn_id"?,"effect_id"}. */
int lash__invocation_causal_ref_json(lash_buf *b, const lash_invocation *inv);
int lash__invocation_json(lash_buf *b, const lash_invocation *inv);

/* Command members after "type" (lash RuntimeEffectCommand), appended to b: */
int lash__command_sleep(lash_buf *b, uint64_t duration_ms);            /* "duration_ms":n */
int lash__command_await_event(lash_buf *b, const lash_await_key *key); /* "key":AwaitEventKey (await/peek) */
int lash__command_checkpoint(lash_buf *b, int before_completion);      /* "checkpoint":"after_work"|"before_completion" */
int lash__command_exec_code(lash_buf *b, const char *language, const char *code);
/* A PreparedToolCall: {"call_id","tool_id","tool_name","args"} (args is JSON
 * text; replay and prepared_payload omitted when absent, as serde skips them). */
typedef struct lash_prepared_call {
  const char *call_id, *tool_id, *tool_name, *args_json; /* borrowed */
} lash_prepared_call;
/* "call":PreparedToolCall,"attempt":n,"max_attempts":m, validated as lash's
 * validate_effect_command (runtime_effect_tool_attempt_call_id / _index). */
int lash__command_tool_attempt(lash_buf *b, const lash_prepared_call *call, uint32_t attempt,
                               uint32_t max_attempts, lash_err *e);
/* "batch":{"batch_id","calls":[{"call","replay_suffix":"child:{i}:{call_id}"}]}
 * (PreparedToolBatch::new), validated (runtime_effect_tool_batch_id / _empty /
 * _call_id). */
int lash__command_tool_batch(lash_buf *b, const char *batch_id, const lash_prepared_call *calls, size_t n,
                             lash_err *e);

/* RuntimeEffectEnvelope::try_new + serialisation: the subject must be a
 * non-blank effect id (runtime_effect_invocation_subject), its kind the
 * command's (runtime_effect_invocation_kind), with a replay key
 * (runtime_effect_replay_required). command_members: what the lash__command_*
 * helpers built ("" for none). */
int lash__envelope_json(lash_buf *b, const lash_invocation *inv, lash_effect_kind command_kind,
                        const char *command_members, lash_err *e);
#endif
