/* ExecutionScope (lash runtime/effect/executor/control.rs) and the replay-key
 * spellings lash gives every effect (runtime/causal.rs, session/tool_execution,
 * tool_dispatch/attempt_coordinator.rs, runtime/turn_driver/tools.rs,
 * runtime/turn_control.rs). Pure: no allocation except into a caller's lash_buf. */
#ifndef LASH_EFFECT_SCOPE_H
#define LASH_EFFECT_SCOPE_H
#include <stdint.h>

#include "cJSON.h"
#include "util/buf.h"
#include "util/json.h"

/* Values are lash's permanent await-event identity tags (promise_semantics.rs). */
typedef enum {
  LASH_SCOPE_TURN = 1,              /* {session_id, turn_id} */
  LASH_SCOPE_PROCESS = 2,           /* {process_id} */
  LASH_SCOPE_QUEUE_DRAIN = 3,       /* {session_id, drain_id} */
  LASH_SCOPE_SESSION_DELETE = 4,    /* {session_id} */
  LASH_SCOPE_RUNTIME_OPERATION = 5  /* {operation_id} */
} lash_scope_kind;

/* Strings are borrowed. `session_id` is set for turn, queue_drain and
 * session_delete; `id` is the turn/process/drain/operation id (for
 * session_delete it equals session_id, as lash's ExecutionScope::id()). */
typedef struct lash_exec_scope {
  lash_scope_kind kind;
  const char *session_id;
  const char *id;
} lash_exec_scope;

lash_exec_scope lash__scope_turn(const char *session_id, const char *turn_id);
lash_exec_scope lash__scope_process(const char *process_id);
lash_exec_scope lash__scope_queue_drain(const char *session_id, const char *drain_id);
lash_exec_scope lash__scope_session_delete(const char *session_id);
lash_exec_scope lash__scope_runtime_operation(const char *operation_id);

/* The snake_case serde tag ("turn", "queue_drain", ...). */
const char *lash__scope_type(lash_scope_kind kind);
/* ExecutionScope::id(), session_id() (NULL for process/runtime_operation),
 * turn_id() (NULL unless turn). */
const char *lash__scope_id(const lash_exec_scope *s);
const char *lash__scope_session_id(const lash_exec_scope *s);
const char *lash__scope_turn_id(const lash_exec_scope *s);
/* Is s empty after trimming whitespace (Rust's str::trim)? NULL counts as blank. */
int lash__blank(const char *s);
/* ExecutionScope::validate: a blank id fails with Runtime
 * `missing_execution_scope_id` "execution scopes require non-empty stable ids". */
int lash__scope_validate(const lash_exec_scope *s, lash_err *e);
int lash__scope_equal(const lash_exec_scope *a, const lash_exec_scope *b);

/* serde's externally tagged form: {"type":"turn","session_id":..,"turn_id":..}. */
int lash__scope_json(lash_buf *b, const lash_exec_scope *s);
/* Read that form (strings borrowed from v). A wrong shape is InvalidArgument
 * naming `argument`; ids are not validated here (lash decodes, then validates). */
int lash__scope_from_json(const cJSON *v, const char *argument, lash_exec_scope *out, lash_err *e);
/* EffectJournalIdentity::key: {"version":2,"kind":"turn|drain|delete|process|op",
 * "session_id"?,"execution_id"?}. */
int lash__scope_journal_key(lash_buf *b, const lash_exec_scope *s);

/* ---- replay keys and effect ids (each appends to b; 0 on OOM) ---------------- */

/* RuntimeEffectKind::as_str labels, in lash's declaration order. */
typedef enum {
  LASH_EFFECT_LLM_CALL,
  LASH_EFFECT_ASSISTANT_RESPONSE_HOOKS,
  LASH_EFFECT_DIRECT,
  LASH_EFFECT_TOOL_ATTEMPT,
  LASH_EFFECT_TOOL_BATCH,
  LASH_EFFECT_TOOL_PARENT_END,
  LASH_EFFECT_TRIGGER,
  LASH_EFFECT_PROCESS,
  LASH_EFFECT_EXEC_CODE,
  LASH_EFFECT_CHECKPOINT,
  LASH_EFFECT_SYNC_EXECUTION_ENVIRONMENT,
  LASH_EFFECT_SLEEP,
  LASH_EFFECT_AWAIT_EVENT,
  LASH_EFFECT_PEEK_AWAIT_EVENT,
  LASH_EFFECT_LANGUAGE_RUNTIME_VALUE,
  LASH_EFFECT_KIND_COUNT
} lash_effect_kind;
const char *lash__effect_kind_str(lash_effect_kind k);

/* causal.rs turn_effect_replay_key:
 * "{session_id}:{turn_id}:{turn_index}:{protocol_iteration}:{kind}:{effect_no}". */
int lash__replay_turn_effect(lash_buf *b, const char *session_id, const char *turn_id,
                             uint64_t turn_index, uint64_t protocol_iteration,
                             lash_effect_kind kind, uint64_t effect_no);
/* child_effect_invocation: "{parent_replay_key}:{suffix}" (the child's effect id
 * is "{parent_effect_id}:{suffix}" by the same rule). */
int lash__replay_child(lash_buf *b, const char *parent, const char *suffix);
/* PreparedToolBatch::new child suffix: "child:{index}:{call_id}". */
int lash__replay_batch_child_suffix(lash_buf *b, uint64_t index, const char *call_id);
/* attempt_coordinator attempt suffix: "{prefix}:attempt:{attempt}" (prefix = the
 * batch child's replay suffix, a scalar call's call id, or
 * "process:{process_id}:tool:{tool_name}"). */
int lash__replay_attempt_suffix(lash_buf *b, const char *prefix, uint32_t attempt);
/* Retry sleep suffix under a batch: "{replay_suffix}:attempt:{attempt}:sleep";
 * under any other parent (causal.rs tool_retry_sleep_invocation):
 * "{tool_name}:attempt:{attempt}:sleep". Same spelling, different prefix. */
int lash__replay_retry_sleep_suffix(lash_buf *b, const char *prefix, uint32_t attempt);
/* Pending tool await suffix: "{call_id}:await" (turn driver) or
 * "{replay_suffix}:await" (batch path). */
int lash__replay_await_suffix(lash_buf *b, const char *prefix);
/* causal.rs process_sleep_invocation / process_await_event_invocation suffixes:
 * "process:{scope}:sleep:{sequence}" and
 * "process:{process_id}:signal.{signal_name}:await:{ordinal}". */
int lash__replay_process_sleep_suffix(lash_buf *b, const char *scope, uint64_t sequence);
int lash__replay_process_signal_suffix(lash_buf *b, const char *process_id,
                                       const char *signal_name, uint64_t ordinal);
/* turn_control.rs TurnCancelPeekIdentity (effect id and replay key alike):
 * "turn_cancel.start_gate", "turn_cancel.post_abort_gate",
 * "turn_cancel.after_llm.{protocol_iteration}". */
typedef enum { LASH_PEEK_START_GATE, LASH_PEEK_POST_ABORT_GATE, LASH_PEEK_AFTER_LLM } lash_peek_gate;
int lash__replay_turn_cancel_peek(lash_buf *b, lash_peek_gate which, uint64_t protocol_iteration);

/* ProcessCommand::effect_id (envelope.rs): the effect id of each process
 * command. Host process admin (lash/src/process_admin.rs process_invocation)
 * runs the command under RuntimeScope::new("runtime") with replay key = this
 * id; under a parent invocation the key is "{parent key}:{id}"
 * (causal.rs process_effect_invocation). */
int lash__effect_id_process_start(lash_buf *b, const char *process_id);      /* process:start:{id} */
int lash__effect_id_process_list(lash_buf *b, const char *session_scope_id, int all); /* process:list:{scope}:{live|all} */
/* process:transfer:{from}:{to}:{process-transfer-set:v1:sha256:..} over the
 * ordered ids (envelope.rs process_transfer_set_identity). */
int lash__effect_id_process_transfer(lash_buf *b, const char *from_scope_id, const char *to_scope_id,
                                     const char *const *process_ids, size_t n);
int lash__effect_id_process_delete_session(lash_buf *b, const char *session_id); /* process:delete-session:{sid} */
int lash__effect_id_process_await(lash_buf *b, const char *process_id);           /* process:await:{id} */
int lash__effect_id_process_cancel(lash_buf *b, const char *process_id);          /* process:cancel:{id} */
/* process:signal:{id}:signal.{name}:{signal_id} */
int lash__effect_id_process_signal(lash_buf *b, const char *process_id, const char *signal_name,
                                   const char *signal_id);
/* LashCore::delete_session's process effect (lash/src/core.rs:781): replay key
 * "{session_id}:delete-session" under RuntimeScope::new(session_id). */
int lash__replay_delete_session(lash_buf *b, const char *session_id);
#endif
