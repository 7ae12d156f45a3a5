/* How committed messages look to a model: lash's structured prompt rendering
 * (Runtime note:/Runtime event: prefixes, <output>/<error> wrapping, tool call and
 * result blocks, images as attachments) into LlmMessage JSON. */
#ifndef LASH_MODEL_RENDER_H
#define LASH_MODEL_RENDER_H
#include "cJSON.h"
#include "lash/lash.h"

cJSON *lash__text_block(const char *text);
/* Append msg's LlmMessage (if it renders to anything) to out_msgs; images append to attachments. */
void lash__render_message(const lash_allocator *a, cJSON *out_msgs, cJSON *attachments, const cJSON *msg);
/* One message as LlmMessage JSON text ("" when it renders to nothing); *refs_attachments
 * is set when it carries images (its rendering depends on the request). Owned by a. */
char *lash__render_message_text(const lash_allocator *a, const cJSON *msg, cJSON *atts, int *refs_attachments);
#endif
