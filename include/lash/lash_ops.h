/* Every message that crosses the host boundary, in one table.
 *
 * The core starts an operation (kind OP: the host answers with lash_op_complete)
 * or sends a notification (kind NOTE: op id 0, no answer) by calling
 * host->call with a JSON header whose "op" field is the name below. The
 * JavaScript op table (js/core/ops.js) is generated from this file and lash.h by
 * scripts/gen-ops.mjs; the test command fails when that file is stale.
 *
 * X(symbol, "name", kind, "header fields -> completion payload") */
#ifndef LASH_OPS_H
#define LASH_OPS_H

#ifdef __cplusplus
extern "C" {
#endif

enum { LASH_OPKIND_OP = 0, LASH_OPKIND_NOTE = 1 };

#define LASH_OPS_TABLE(X)                                                                        \
  /* model calls */                                                                              \
  X(LLM_CALL, "llm.call", OP,                                                                    \
    "{turn, history?, history_at?} + body LlmRequest -> LlmResponse "                            \
    "| error {message, code?, terminal_reason?}")                                                \
  X(HTTP_STREAM, "http.stream", OP,                                                              \
    "{turn, path, headers, timeout_ms, chunk_timeout_ms, attempt} + body request bytes -> "      \
    "data HEAD {status, retry_after?}, data BODY bytes, then {} | error {message, kind?}")       \
  X(TIMER, "timer", OP, "{ms} -> {}")                                                            \
  /* tools */                                                                                    \
  X(TOOL_CALL, "tool.call", OP,                                                                  \
    "{turn, session_id, call_id, name, args} -> {output: ToolCallOutput, duration_ms}")          \
  /* attachments */                                                                              \
  X(ATTACHMENT_PUT, "attachment.put", OP, "{turn, label} + body bytes -> AttachmentRef")         \
  X(ATTACHMENT_GET, "attachment.get", OP, "{turn, id} -> {mime, data: base64}")                  \
  /* session store */                                                                            \
  X(STORE_COMMIT, "store.commit", OP,                                                            \
    "{turn, final} + body RuntimeCommit -> {head_revision} | error")                             \
  /* notifications */                                                                            \
  X(CANCEL, "cancel", NOTE, "{id}: the core abandoned op id; abort its I/O")                     \
  X(ACTIVITY, "activity", NOTE, "{turn, activity: TurnActivity}")                                \
  X(TURN_DONE, "turn.done", NOTE, "{turn, done: {result, head_revision?} | {error}}")            \
  X(HISTORY_RESET, "history.reset", NOTE, "{session}: clear the host's rendered-history mirror") \
  X(HISTORY_PUSH, "history.push", NOTE, "{session} + body one rendered message")                 \
  X(TRACE, "trace", NOTE, "{record: TraceRecord}, only when a trace sink is configured")

typedef enum {
#define LASH_X_OP_ENUM(sym, name, kind, doc) LASH_OPK_##sym,
  LASH_OPS_TABLE(LASH_X_OP_ENUM)
#undef LASH_X_OP_ENUM
  LASH_OPK_COUNT
} lash_op_kind;

#ifdef __cplusplus
}
#endif
#endif
