#include "model/message.h"

#include <stdio.h>

#include "util/json.h"

cJSON *lash__usage_json(const lash_usage *u) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "input_tokens", u->input);
  cJSON_AddNumberToObject(o, "output_tokens", u->output);
  cJSON_AddNumberToObject(o, "cached_input_tokens", u->cached);
  cJSON_AddNumberToObject(o, "reasoning_tokens", u->reasoning);
  return o;
}

void lash__usage_add(lash_usage *a, const lash_usage *b) {
  a->input += b->input;
  a->output += b->output;
  a->cached += b->cached;
  a->reasoning += b->reasoning;
}

int lash__usage_nonzero(const lash_usage *u) { return u->input || u->output || u->cached || u->reasoning; }

cJSON *lash__part_new(const char *msg_id, int index, const char *kind, const char *content) {
  char id[64];
  snprintf(id, sizeof id, "%s.p%d", msg_id, index);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "id", id);
  cJSON_AddStringToObject(p, "kind", kind);
  cJSON_AddStringToObject(p, "content", content ? content : "");
  cJSON_AddStringToObject(p, "prune_state", "Intact");
  return p;
}

cJSON *lash__message_new(const char *id, const char *role) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "id", id);
  cJSON_AddStringToObject(m, "role", role);
  lash__json_put(m, "parts", cJSON_CreateArray());
  return m;
}

/* Keeps lash's field order: prune_state stays after the optional tool fields. */
void lash__message_add_part(cJSON *msg, cJSON *part) {
  cJSON *parts = cJSON_GetObjectItemCaseSensitive(msg, "parts");
  const char *mid = lash__json_str(msg, "id");
  if (!part || !mid || !cJSON_IsArray(parts)) { cJSON_Delete(part); return; } /* lost to a failed allocation */
  char id[64];
  snprintf(id, sizeof id, "%s.p%d", mid, cJSON_GetArraySize(parts));
  lash__json_replace(part, "id", cJSON_CreateString(id));
  cJSON *prune = cJSON_DetachItemFromObjectCaseSensitive(part, "prune_state");
  const char *tail[] = {"reasoning_meta", "response_meta"};
  cJSON *moved[2] = {0};
  for (int i = 0; i < 2; i++) moved[i] = cJSON_DetachItemFromObjectCaseSensitive(part, tail[i]);
  lash__json_put(part, "prune_state", prune ? prune : cJSON_CreateString("Intact"));
  for (int i = 0; i < 2; i++) if (moved[i]) lash__json_put(part, tail[i], moved[i]);
  lash__json_push(parts, part);
}
