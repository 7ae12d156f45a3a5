/* Prompt layers (spec §6.4): validate PromptLayer JSON, resolve the layer stack
 * and render the system prompt exactly as lash's PromptTemplate::render does
 * (lash-sansio session_model/prompt.rs, prompt.rs, tool_catalog.rs gates). */
#ifndef LASH_PROMPT_H
#define LASH_PROMPT_H
#include "util/json.h"

typedef struct {
  const cJSON *preamble;        /* contributions array from the protocol driver (may be NULL) */
  const char *execution_prompt; /* the protocol's execution instructions text for the builtin
                                   (standard protocol's text; NULL = none) */
  const char *const *tools;     /* NULL-terminated names of callable tools, for contribution
                                   gates and the `ask` line of the core guidance (may be NULL) */
} lash_prompt_ctx;

/* Resolve layers in order (lash: protocol preamble contributions -> plugin prompt -> core
 * layer -> session layer -> turn layer; later template wins; a slot with reset drops
 * earlier contributions of that slot), gate contributions against ctx->tools, and render
 * the system prompt. layers[i] may be NULL (or JSON null). Everything is validated before
 * anything is resolved. Returns owned NUL-terminated text (lash_allocator), or NULL with
 * e set (InvalidArgument naming "prompt" for malformed layers, OutOfMemory). */
char *lash__prompt_render(const lash_allocator *a, const lash_prompt_ctx *ctx,
                          const cJSON *const *layers, size_t n_layers, size_t *out_len,
                          lash_err *e);

/* Validate a PromptLayer JSON as serde would decode it (NULL/JSON null = empty layer;
 * unknown keys ignored; duplicate struct fields rejected). Errors name `argument`. */
int lash__prompt_check_layer(const cJSON *layer, const char *argument, lash_err *e);

/* The standard protocol's preamble contributions (lash's StandardProtocolDriver passes
 * ProtocolBuildInput.extra_prompt_contributions through, which the session always
 * leaves empty: an owned empty array, NULL on OOM) and its execution prompt text. */
cJSON *lash__prompt_standard_preamble(void);
const char *lash__prompt_standard_execution_text(void);

#endif
