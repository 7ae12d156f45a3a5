/* Pending tool completions (lash tool_provider.rs ToolContext::completion_key,
 * tool_result.rs PendingCompletion and tool_output_from_completion_resolution,
 * tool_dispatch/execution.rs): the key a tool takes before it parks, the
 * options it parks with, and the ToolCallOutput each terminal becomes. */
#ifndef LASH_EFFECT_COMPLETION_H
#define LASH_EFFECT_COMPLETION_H
#include <stdint.h>

#include "effect/await.h"
#include "effect/host.h"

/* ctx.completionKey() for a call of a turn: Runtime
 * tool_completion_key_missing_call_id without a call id,
 * tool_completion_key_process_lifetime on a host that has not opted in, else
 * the key for wait tool_completion{call_id} in the controller's scope. */
int lash__completion_key(lash_await_registry *r, const lash_scoped_controller *c, const char *tool_call_id,
                         lash_await_key *out, lash_err *e);

/* toolPending({deadlineMs?, onTimeout?, onCancel?}) as it crosses into the
 * core: {"deadline_ms"?:n, "on_timeout"?:"error_as_result"|"fail_turn",
 * "on_cancel"?:"ignore"|"cancel_external_work"} (lash's serde names and
 * defaults). lash declares on_timeout/on_cancel but acts on neither; only the
 * deadline changes behaviour. */
typedef struct lash_pending_completion {
  int has_deadline;
  uint64_t deadline_ms;
  int fail_turn_on_timeout; /* on_timeout fail_turn */
  int ignore_on_cancel;     /* on_cancel ignore */
} lash_pending_completion;
int lash__pending_from_json(const cJSON *v, lash_pending_completion *out, lash_err *e);

/* tool_output_from_completion_resolution as ToolCallOutput JSON:
 * ok(v) -> success v; err -> failure {class execution, code, message, source
 * tool, retry never, raw?}; timeout -> failure {timeout, tool_completion_timeout,
 * "pending tool completion timed out", runtime}; cancelled -> cancelled
 * {"pending tool completion cancelled", source cancellation}. */
int lash__completion_output_json(lash_buf *b, const lash_resolution *res);
/* The call's output when it returned Pending without taking its key
 * (pending_tool_missing_completion_key), and when its await failed
 * (pending_tool_completion_failed, message = the error's text). */
int lash__pending_missing_key_output_json(lash_buf *b);
int lash__pending_failed_output_json(lash_buf *b, const char *message);
#endif
