/* The persistence model's pure parts (§2.9): session-graph node records, the
 * canonical JSON used for hashing, and turn_commit_hash. */
#ifndef LASH_STORE_COMMIT_H
#define LASH_STORE_COMMIT_H
#include "cJSON.h"
#include "lash/lash.h"

/* Canonical JSON: compact, object keys sorted (serde_json's BTreeMap order). */
char *lash__canonical_json(const lash_allocator *a, const cJSON *v, size_t *len);
/* sha256 hex of the commit with expected_head_revision and turn_commit nulled and
 * ids, node links and timestamps removed, so a replayed turn hashes the same. */
int lash__commit_hash(const lash_allocator *a, const cJSON *commit, char out[65]);
/* RFC 3339 UTC timestamp with milliseconds from epoch milliseconds. */
void lash__rfc3339(double epoch_ms, char out[48]);
/* {node_id, parent_node_id?, timestamp, kind:"event", event:{Conversation:message}} (message duplicated). */
cJSON *lash__node_for_message(const char *node_id, const char *parent, const char *timestamp, const cJSON *message);
/* The Conversation message inside a node record, or NULL. */
const cJSON *lash__node_message(const cJSON *node);
/* Copies of the messages on the path root -> leaf, in order; NULL on OOM (a message
 * lost to a failed allocation is left out: callers compare lash__alloc_failures). */
cJSON *lash__active_path_messages(const cJSON *nodes, const char *leaf);
#endif
