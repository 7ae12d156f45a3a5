/* Tool-argument validation against a tool's input_schema, as lash's
 * LashSchema::validate does (lash-sansio tool_contract/schema_validation.rs).
 * A failure becomes invalid_request/invalid_tool_args with the message verbatim.
 *
 * Keywords honoured (all others ignored, as lash ignores them): anyOf (oneOf is
 * read as anyOf; allOf, const, not, pattern... are ignored), enum, type
 * (string or list, "integer" vs "number", unknown names match anything),
 * minimum/maximum, minLength/maxLength, minItems/maxItems, items, required,
 * properties, additionalProperties (only consulted when properties is an object).
 * A schema that is not an object accepts every value. */
#ifndef LASH_TOOLS_SCHEMA_H
#define LASH_TOOLS_SCHEMA_H
#include "cJSON.h"
#include "util/buf.h"

/* Validate value against schema as lash does. Returns 1 if valid; 0 if not, with
 * the failure message lash would produce (lash stops at the first failure, so one
 * message) appended to err (may be NULL). Scratch memory comes from err's
 * allocator; on OOM the result is 0 and err->oom is set. Both trees must nest at
 * most LASH_MAX_JSON_DEPTH containers (what the JSON boundary admits); a deeper
 * tree fails with "arguments: JSON nesting exceeds 64 levels".
 * Numbers: cJSON keeps only a double, so an integral value in [-2^63, 2^64) is an
 * integer (serde_json keeps "1.0" and "1e2" as floats; -0 is a float in both). */
int lash__schema_validate(const cJSON *schema, const cJSON *value, lash_buf *err);
#endif
