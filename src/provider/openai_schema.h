/* The OpenAI schema projection, lash's crates/lash-provider-openai/src/schema.rs
 * (Projector), kept once for both OpenAI wire dialects: tool parameters and
 * structured-output (response_format / text.format) schemas. */
#ifndef LASH_PROVIDER_OPENAI_SCHEMA_H
#define LASH_PROVIDER_OPENAI_SCHEMA_H
#include "cJSON.h"
#include "lash/lash.h"
#include "util/json.h"

/* The projected copy of schema (owned; keys in serde order), or NULL with e set:
 * NOMEM, or an InvalidArgument "provider" error carrying lash's "OpenAI-compatible
 * schema projection failed: {path}: {why}" for the first problem found.
 * structured = 0: ToolParameters (lenient); 1: StructuredOutput (strict objects:
 * every property required, the optional ones made nullable; no root anyOf). */
cJSON *lash__openai_project_schema(const lash_allocator *a, const cJSON *schema, int structured, lash_err *e);
#endif
