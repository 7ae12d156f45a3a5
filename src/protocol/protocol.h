/* A protocol driver behind a small table: what makes the standard protocol
 * (direct tool calls plus `batch`) differ from the RLM protocol (code cells run
 * by the runtime) is here, and the turn machine (src/turn/) calls only this.
 * lash: the ProtocolDriver trait (lash-core protocol.rs) with
 * StandardProtocolDriver (lash-protocol-standard) as the first implementation.
 * Every hook is pure: it takes plain data and returns owned JSON, never the turn. */
#ifndef LASH_PROTOCOL_H
#define LASH_PROTOCOL_H
#include "cJSON.h"
#include "lash/lash.h"
#include "plugins/budget.h"
#include "util/ids.h"

/* What a model request is projected from (all borrowed). */
typedef struct lash_proto_request {
  const cJSON *model;           /* ModelSpec {id, variant?, limits} */
  const char *system_json;      /* the System LlmMessage, or NULL */
  const cJSON *history;         /* committed messages, or NULL when the host mirror holds them */
  char *const *rendered;        /* history[i] rendered (NULL: render now), see session.h */
  size_t nrendered;
  const cJSON *turn_msgs;       /* this turn's messages so far */
  const char *tools_json;       /* the tool specs the model sees, as JSON text */
  const char *session_id;
} lash_proto_request;

/* What one model response means for the turn. */
enum { LASH_PROTO_FINISH = 0, LASH_PROTO_CONTINUE = 1, LASH_PROTO_EMPTY = 2 };
typedef struct lash_proto_step {
  /* set by the caller: takes each tool call to run, in order (args owned) */
  void (*add_call)(void *ud, const char *call_id, const char *name, cJSON *args);
  void *ud;
  /* set by the protocol */
  cJSON *assistant;  /* owned: the Assistant message to record (CONTINUE), else NULL */
  char *text;        /* owned (allocator): the final assistant text (FINISH) */
} lash_proto_step;

/* Takes each child of a protocol tool call (batch), in order: args owned;
 * refused (static) is its message when it is refused before dispatch. 0 when it
 * could not be taken (out of memory): expansion stops. */
typedef int (*lash_proto_child_fn)(void *ud, const char *call_id, const char *name, cJSON *args, const char *refused);

/* A finished child, for combining. */
typedef struct lash_proto_done {
  int index;
  const char *name;
  const cJSON *output;   /* ToolCallOutput */
  const char *refused;
  double duration_ms;
} lash_proto_done;

typedef struct lash_protocol {
  const char *name;
  /* Tool specs the protocol adds ahead of the embedded tools (an owned array). */
  cJSON *(*tool_specs)(void);
  /* The prompt section: preamble contributions (owned array) and execution text. */
  cJSON *(*prompt_preamble)(void);
  const char *(*execution_text)(void);
  /* The LlmRequest as JSON text (owned by a); NULL on OOM. */
  char *(*project_request)(const lash_allocator *a, const lash_proto_request *in, size_t *len);
  /* Response parts (LlmResponse.parts) -> continue with calls (handed to
   * out->add_call), finish with text, or empty. */
  int (*on_response)(const lash_allocator *a, lash_rng *rng, const cJSON *parts, lash_proto_step *out);
  /* Protocol tools: 1 if `name` is one (the model sees its spec; the runtime runs it). */
  int (*owns_tool)(const char *name);
  /* Expand a protocol tool call: the number of children (each handed to child()
   * once every entry has been checked), or 0 with the call's own failure (an owned
   * ToolCallOutput) in *failure. */
  int (*expand)(const char *call_id, const cJSON *args, lash_proto_child_fn child, void *ud, cJSON **failure);
  /* The protocol call's output once every child is done (owned), and its duration. */
  cJSON *(*combine)(const lash_proto_done *children, int n, double *duration_ms);
  /* Tool-result shaping: the message parts the model sees for one call's output
   * (budget NULL: the plain rendering). Owned array of ModelToolReturn parts. */
  cJSON *(*result_parts)(const lash_budget_cfg *budget, const char *name, const cJSON *output);
} lash_protocol;

extern const lash_protocol lash__protocol_standard;

/* The protocol a built config names ({"protocol"} or {"kind"}); NULL for one this
 * build does not drive yet (RLM). */
const lash_protocol *lash__protocol_for(const cJSON *config);

/* ToolCallOutput builders shared by protocols and the tool runner (lash ToolResult). */
cJSON *lash__tool_failure(const char *klass, const char *code, const char *message, const char *source);
cJSON *lash__tool_error(const char *message);
cJSON *lash__tool_cancelled(void);
cJSON *lash__tool_success(cJSON *value /* owned */);
int lash__tool_succeeded(const cJSON *output);
#endif
