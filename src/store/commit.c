#include "store/commit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/sha256.h"

static int key_cmp(const void *a, const void *b) {
  return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static void put_number(lash_buf *b, double d) {
  if (!isfinite(d)) { lash__buf_puts(b, "null"); return; }
  if (d == floor(d) && fabs(d) < 9007199254740992.0) lash__buf_printf(b, "%.0f", d);
  else lash__buf_printf(b, "%.17g", d);
}

static void canon(lash_buf *b, const cJSON *v) {
  if (cJSON_IsObject(v)) {
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next) n++;
    const cJSON **keys = lash__alloc(b->alloc, (n ? n : 1) * sizeof *keys);
    if (!keys) { b->oom = 1; return; }
    n = 0;
    for (const cJSON *c = v->child; c; c = c->next) keys[n++] = c;
    qsort(keys, n, sizeof *keys, key_cmp);
    lash__buf_puts(b, "{");
    for (size_t i = 0; i < n; i++) {
      if (i) lash__buf_puts(b, ",");
      lash__buf_json_string(b, keys[i]->string, strlen(keys[i]->string));
      lash__buf_puts(b, ":");
      canon(b, keys[i]);
    }
    lash__buf_puts(b, "}");
    lash__free(b->alloc, keys);
  } else if (cJSON_IsArray(v)) {
    lash__buf_puts(b, "[");
    for (const cJSON *c = v->child; c; c = c->next) {
      if (c != v->child) lash__buf_puts(b, ",");
      canon(b, c);
    }
    lash__buf_puts(b, "]");
  } else if (cJSON_IsString(v)) {
    lash__buf_json_string(b, v->valuestring, strlen(v->valuestring));
  } else if (cJSON_IsNumber(v)) {
    put_number(b, v->valuedouble);
  } else if (cJSON_IsTrue(v)) {
    lash__buf_puts(b, "true");
  } else if (cJSON_IsFalse(v)) {
    lash__buf_puts(b, "false");
  } else {
    lash__buf_puts(b, "null");
  }
}

char *lash__canonical_json(const lash_allocator *a, const cJSON *v, size_t *len) {
  lash_buf b;
  lash__buf_init(&b, a);
  canon(&b, v);
  return lash__buf_take(&b, len);
}

/* Drop what differs between two runs of the same turn: ids, links, timestamps. */
static void strip_identity(cJSON *v) {
  if (cJSON_IsObject(v)) {
    static const char *const everywhere[] = {"node_id", "parent_node_id", "leaf_node_id", "timestamp"};
    for (size_t i = 0; i < sizeof everywhere / sizeof *everywhere; i++)
      cJSON_DeleteItemFromObjectCaseSensitive(v, everywhere[i]);
    int message = cJSON_HasObjectItem(v, "role") && cJSON_HasObjectItem(v, "parts");
    int part = cJSON_HasObjectItem(v, "kind") && cJSON_HasObjectItem(v, "prune_state");
    if (message || part) cJSON_DeleteItemFromObjectCaseSensitive(v, "id");
  }
  for (cJSON *c = v ? v->child : NULL; c; c = c->next) strip_identity(c);
}

int lash__commit_hash(const lash_allocator *a, const cJSON *commit, char out[65]) {
  cJSON *copy = cJSON_Duplicate(commit, 1);
  if (!copy) return 0;
  lash__json_replace(copy, "expected_head_revision", cJSON_CreateNull());
  lash__json_replace(copy, "turn_commit", cJSON_CreateNull());
  strip_identity(copy);
  size_t len;
  char *text = lash__canonical_json(a, copy, &len);
  cJSON_Delete(copy);
  if (!text) return 0;
  lash__sha256_hex(text, len, out);
  lash__free(a, text);
  return 1;
}

/* Howard Hinnant's civil_from_days. */
void lash__rfc3339(double epoch_ms, char out[48]) {
  if (!isfinite(epoch_ms) || epoch_ms < 0) epoch_ms = 0;
  long long ms = (long long)epoch_ms;
  long long days = ms / 86400000, rem = ms % 86400000;
  long long z = days + 719468, era = z / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = (long long)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  snprintf(out, 48, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m, d, (unsigned)(rem / 3600000),
           (unsigned)(rem / 60000 % 60), (unsigned)(rem / 1000 % 60), (unsigned)(rem % 1000));
}

cJSON *lash__node_for_message(const char *node_id, const char *parent, const char *timestamp, const cJSON *message) {
  cJSON *n = cJSON_CreateObject();
  cJSON_AddStringToObject(n, "node_id", node_id);
  if (parent && *parent) cJSON_AddStringToObject(n, "parent_node_id", parent);
  cJSON_AddStringToObject(n, "timestamp", timestamp);
  cJSON_AddStringToObject(n, "kind", "event");
  cJSON *ev = cJSON_AddObjectToObject(n, "event");
  lash__json_put(ev, "Conversation", cJSON_Duplicate(message, 1));
  return n;
}

const cJSON *lash__node_message(const cJSON *node) {
  const cJSON *ev = cJSON_GetObjectItemCaseSensitive(node, "event");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(ev, "Conversation");
  return cJSON_IsObject(m) ? m : NULL;
}

cJSON *lash__active_path_messages(const cJSON *nodes, const char *leaf) {
  cJSON *rev = cJSON_CreateArray();
  const char *want = leaf;
  int guard = cJSON_GetArraySize(nodes) + 1; /* a cycle in stored links must not hang */
  while (want && *want && guard-- > 0) {
    const cJSON *found = NULL, *n;
    cJSON_ArrayForEach(n, nodes) {
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(n, "node_id");
      if (cJSON_IsString(id) && !strcmp(id->valuestring, want)) { found = n; break; }
    }
    if (!found) break;
    const cJSON *m = lash__node_message(found);
    if (m) lash__json_push(rev, cJSON_Duplicate(m, 1));
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(found, "parent_node_id");
    want = cJSON_IsString(p) ? p->valuestring : NULL;
  }
  cJSON *out = rev ? cJSON_CreateArray() : NULL;
  while (out && cJSON_GetArraySize(rev)) {
    cJSON *last = cJSON_DetachItemFromArray(rev, cJSON_GetArraySize(rev) - 1);
    cJSON_AddItemToArray(out, last);
  }
  cJSON_Delete(rev);
  return out;
}
