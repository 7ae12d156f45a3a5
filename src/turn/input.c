/* INPUT: the turn's input as its first User message (§2.3), each image stored
 * through the attachment store first (op attachment.put, one at a time). */
#include <stdio.h>
#include <string.h>

#include "turn/machine.h"
#include "util/alloc.h"
#include "util/ids.h"

static int normalize_input(lash_turn *t, const char **error, char errbuf[320]) {
  const cJSON *items = cJSON_GetObjectItemCaseSensitive(t->in.input, "items");
  char mid[34];
  lash__message_id(&t->core->rng, mid);
  cJSON *msg = lash__message_new(mid, "User");
  lash_buf text;
  lash__buf_init(&text, &t->core->alloc);
  int has_text = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, items) {
    const char *type = lash__json_str(it, "type");
    if (type && !strcmp(type, "text")) {
      const char *s = lash__json_str(it, "text");
      if (s && *s) { lash__buf_puts(&text, s); has_text = 1; }
      continue;
    }
    if (has_text) { lash__message_add_part(msg, lash__part_new(mid, 0, "Text", text.data)); lash__buf_free(&text); lash__buf_init(&text, &t->core->alloc); has_text = 0; }
    const char *id = lash__json_str(it, "id");
    if (!id || !*id) { *error = "Invalid image_ref: id cannot be empty"; goto fail; }
    int found = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, t->in.blob_ids) if (cJSON_IsString(b) && !strcmp(b->valuestring, id)) found = 1;
    if (!found) {
      snprintf(errbuf, 320, "Invalid image_ref: missing blob for id '%.200s'", id);
      *error = errbuf;
      goto fail;
    }
    cJSON *p = lash__part_new(mid, 0, "Image", "");
    cJSON_AddStringToObject(p, "label", id); /* replaced by the attachment once stored */
    lash__message_add_part(msg, p);
  }
  if (has_text) lash__message_add_part(msg, lash__part_new(mid, 0, "Text", text.data));
  lash__buf_free(&text);
  if (!cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(msg, "parts")))
    lash__message_add_part(msg, lash__part_new(mid, 0, "Text", ""));
  lash__json_push(t->msgs, msg);
  return 1;
fail:
  lash__buf_free(&text);
  cJSON_Delete(msg);
  return 0;
}

/* Next image part still waiting for its attachment, or NULL. */
static cJSON *next_image(lash_turn *t) {
  cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(t->msgs, 0), "parts"))
    if (cJSON_GetObjectItemCaseSensitive(p, "label")) return p;
  return NULL;
}

/* A turn whose input is refused ends without committing. */
static int refuse(lash_turn *t, const char *kind, const char *code, const char *message) {
  lash__turn_emit_error(t, kind, code, NULL, message);
  lash__turn_stop(t, "invalid_input");
  t->commit = 0;
  return TURN_COMMIT;
}

int lash__turn_input_step(lash_turn *t) {
  if (!t->in.normalized) {
    const char *error = NULL;
    char errbuf[320];
    if (!normalize_input(t, &error, errbuf)) return refuse(t, "input_validation", "invalid_turn_input", error);
    t->in.normalized = 1;
    t->in.op = 0;
  }
  for (;;) {
    cJSON *img = next_image(t);
    if (!img) {
      lash__turn_trace_started(t);
      t->call.step = 0;
      return TURN_MODEL;
    }
    if (!t->in.op) {
      lash_buf b;
      lash__buf_init(&b, &t->core->alloc);
      lash__buf_printf(&b, "{\"op\":\"%s\",\"turn\":%u,\"label\":", LASH_OP(ATTACHMENT_PUT), t->no);
      const char *label = lash__json_str(img, "label");
      lash__buf_json_string(&b, label, strlen(label));
      lash__buf_puts(&b, "}");
      t->in.op = b.data && !b.oom && !lash__turn_oom(t) ? lash__task_start_op(&t->task, b.data, b.len) : 0;
      lash__buf_free(&b);
      if (!t->in.op) return refuse(t, "invalid_input", NULL, "could not store image attachment");
    }
    int st;
    char *payload = NULL;
    size_t len;
    if (lash__task_take_op(&t->task, t->in.op, &st, &payload, &len) != 1) return TURN_PARK;
    t->in.op = 0;
    cJSON *ref = st == LASH_OP_OK ? lash__turn_op_json(payload, len) : NULL;
    lash__free(&t->core->alloc, payload);
    if (!cJSON_IsObject(ref) || !lash__json_str(ref, "id")) {
      cJSON_Delete(ref);
      return refuse(t, "invalid_input", NULL, "Invalid image_ref: attachment store rejected the image");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(img, "label");
    cJSON *att = cJSON_CreateObject();
    lash__json_put(att, "reference", ref);
    cJSON *prune = cJSON_DetachItemFromObjectCaseSensitive(img, "prune_state");
    lash__json_put(img, "attachment", att);
    lash__json_put(img, "prune_state", prune);
  }
}

void lash__turn_input_free(lash_turn *t) {
  cJSON_Delete(t->in.input);
  cJSON_Delete(t->in.blob_ids);
}
