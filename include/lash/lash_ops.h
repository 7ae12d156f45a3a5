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

/* Diagnostic ops (src/diag/, test builds only: never in the shipped lash.wasm). */
#define LASH_DIAG_OPS_TABLE(X)                                                                   \
  X(DIAG_ECHO, "diag.echo", OP, "{task, step, slot} -> {value}")                                 \
  X(DIAG_DONE, "diag.done", NOTE, "{task, acc, errors}")                                         \
  X(DIAG_WOKEN, "diag.woken", NOTE, "{task, count}")

typedef enum {
#define LASH_X_OP_ENUM(sym, name, kind, doc) LASH_OPK_##sym,
  LASH_DIAG_OPS_TABLE(LASH_X_OP_ENUM)
#undef LASH_X_OP_ENUM
  LASH_OPK_DIAG_END
} lash_diag_op_kind;

/* The wire name of an op: LASH_OP(LLM_CALL) is "llm.call" ("" for an unknown
 * kind). The C core spells op names only through these (no string literal
 * elsewhere). */
const char *lash_op_name(int kind);
const char *lash_diag_op_name(int kind);
/* The same for a kind known at compile time (folds to the literal). */
#if defined(__GNUC__) || defined(__clang__)
#define LASH_OPS_UNUSED __attribute__((unused))
#else
#define LASH_OPS_UNUSED
#endif
#define LASH_X_OP_NAME(sym, name, kind, doc) name,
static const char *const lash_op_names_[] LASH_OPS_UNUSED = {LASH_OPS_TABLE(LASH_X_OP_NAME)};
static const char *const lash_diag_op_names_[] LASH_OPS_UNUSED = {LASH_DIAG_OPS_TABLE(LASH_X_OP_NAME)};
#undef LASH_X_OP_NAME
#define LASH_OP(sym) (lash_op_names_[LASH_OPK_##sym])
#define LASH_DIAG_OP(sym) (lash_diag_op_names_[LASH_OPK_##sym])

#ifdef __cplusplus
}
#endif
#endif
