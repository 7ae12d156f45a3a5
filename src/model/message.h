/* lash's conversation data in its serde shape: messages, parts and token usage.
 * Pure builders over cJSON; no state. */
#ifndef LASH_MODEL_MESSAGE_H
#define LASH_MODEL_MESSAGE_H
#include "cJSON.h"
#include "lash/lash.h"

typedef struct lash_usage { double input, output, cached, reasoning; } lash_usage;

cJSON *lash__usage_json(const lash_usage *u);
void lash__usage_add(lash_usage *a, const lash_usage *b);
int lash__usage_nonzero(const lash_usage *u);

/* Message/part JSON in lash's serde shape. */
cJSON *lash__part_new(const char *msg_id, int index, const char *kind, const char *content);
cJSON *lash__message_new(const char *id, const char *role);
void lash__message_add_part(cJSON *msg, cJSON *part); /* part id = "{msg}.p{n}" */
#endif
