/* lash-trace TraceRecords (schema v2, standard level) built by the core and sent
 * to the host as notifications {"op":"trace","record":TraceRecord} — only when
 * the builder config carries `trace` (a sink was configured): zero cost otherwise.
 * Shapes: lash crates/lash-trace/src/lib.rs (TraceRecord :98-126, TraceContext
 * :37-69, TraceEvent :128-206); merging: lash-core/src/trace.rs:24-85. */
#ifndef LASH_TURN_TRACE_H
#define LASH_TURN_TRACE_H
#include "cJSON.h"
#include "lash/lash.h"

struct lash_core;

/* 1 when the core was built with a trace sink. */
int lash__trace_on(const struct lash_core *c);

/* A per-event context overlay (TraceContext): session_id, turn_id, turn_index,
 * protocol_iteration (each omitted when NULL / negative), llm_call_id (NULL: none). */
cJSON *lash__trace_ctx(const char *session_id, const char *turn_id, double turn_index, double protocol_iteration,
                       const char *llm_call_id);

/* Build {schema_version:2, id, timestamp, context: base ⊕ overlay, type, ...fields}
 * and notify the host. ctx and fields are owned (either may be NULL). `since` is
 * lash__alloc_failures() from before the caller built ctx and fields: a record
 * that lost a part to a failed allocation since then is not sent. */
void lash__trace_emit(struct lash_core *c, unsigned long since, cJSON *ctx, const char *type, cJSON *fields);

/* TraceLlmRequest from an LlmRequest JSON (lash-core/src/trace.rs:122-147). */
cJSON *lash__trace_llm_request(const cJSON *req);
/* trace_output_parts (lash-core/src/trace.rs:285-317): NULL when there are none. */
cJSON *lash__trace_output_parts(const cJSON *parts);
/* Unicode scalar count of a UTF-8 string (Rust's chars().count()). */
size_t lash__utf8_chars(const char *s, size_t len);
#endif
