#include "model/render.h"

#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/json.h"


cJSON *lash__text_block(const char *text) {
  cJSON *b = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(b, "Text");
  cJSON_AddStringToObject(in, "text", text);
  cJSON_AddNullToObject(in, "response_meta");
  cJSON_AddFalseToObject(in, "cache_breakpoint");
  return b;
}

void lash__render_message(const lash_allocator *a, cJSON *out_msgs, cJSON *attachments, const cJSON *msg) {
  const char *role = lash__json_str(msg, "role");
  if (!role) return;
  int system = !strcmp(role, "System"), event = !strcmp(role, "Event"), user = !strcmp(role, "User");
  cJSON *blocks = cJSON_CreateArray();
  const cJSON *part;
  cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(msg, "parts")) {
    const char *kind = lash__json_str(part, "kind"), *content = lash__json_str(part, "content");
    if (!kind) continue;
    if (!content) content = "";
    if (!strcmp(kind, "Reasoning")) {
      const cJSON *meta = cJSON_GetObjectItemCaseSensitive(part, "reasoning_meta");
      if (!cJSON_IsObject(meta) || !meta->child) continue;
      cJSON *b = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(b, "Reasoning");
      cJSON_AddStringToObject(in, "text", content);
      lash__json_put(in, "replay", cJSON_Duplicate(meta, 1));
      lash__json_push(blocks, b);
    } else if (!strcmp(kind, "ToolCall")) {
      cJSON *b = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(b, "ToolCall");
      const char *cid = lash__json_str(part, "tool_call_id"), *tn = lash__json_str(part, "tool_name");
      cJSON_AddStringToObject(in, "call_id", cid ? cid : "");
      cJSON_AddStringToObject(in, "tool_name", tn ? tn : "");
      cJSON_AddStringToObject(in, "input_json", content);
      const cJSON *rp = cJSON_GetObjectItemCaseSensitive(part, "tool_replay");
      lash__json_put(in, "replay", rp ? cJSON_Duplicate(rp, 1) : cJSON_CreateNull());
      lash__json_push(blocks, b);
    } else if (!strcmp(kind, "ToolResult")) {
      cJSON *b = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(b, "ToolResult");
      const char *cid = lash__json_str(part, "tool_call_id"), *tn = lash__json_str(part, "tool_name");
      cJSON_AddStringToObject(in, "call_id", cid ? cid : "");
      cJSON_AddStringToObject(in, "content", content);
      if (tn) cJSON_AddStringToObject(in, "tool_name", tn);
      else cJSON_AddNullToObject(in, "tool_name");
      lash__json_push(blocks, b);
    } else if (!strcmp(kind, "Image") && user && cJSON_GetObjectItemCaseSensitive(part, "attachment")) {
      cJSON *ref = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(part, "attachment"), "reference");
      cJSON *att = cJSON_CreateObject();
      cJSON_AddStringToObject(att, "mime", "image/png");
      lash__json_put(att, "data", cJSON_CreateArray());
      lash__json_put(att, "reference", cJSON_Duplicate(ref, 1));
      int idx = cJSON_GetArraySize(attachments);
      lash__json_push(attachments, att);
      cJSON *b = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(b, "Image");
      cJSON_AddNumberToObject(in, "attachment_idx", idx);
      lash__json_push(blocks, b);
    } else {
      lash_buf text;
      lash__buf_init(&text, a);
      if (system) lash__buf_puts(&text, "Runtime note:\n");
      if (event) lash__buf_puts(&text, "Runtime event:\n");
      size_t prefix = text.len;
      if (!strcmp(kind, "Image")) lash__buf_puts(&text, "[Image attached]");
      else if (system && !strcmp(kind, "Output")) lash__buf_printf(&text, "<output>\n%s\n</output>", content);
      else if (system && !strcmp(kind, "Error")) lash__buf_printf(&text, "<error>\n%s\n</error>", content);
      else lash__buf_puts(&text, content);
      int blank = 1;
      for (size_t i = prefix; i < text.len; i++)
        if (text.data[i] != ' ' && text.data[i] != '\n' && text.data[i] != '\t' && text.data[i] != '\r') { blank = 0; break; }
      if (!blank) lash__json_push(blocks, lash__text_block(text.data));
      lash__buf_free(&text);
    }
  }
  if (!cJSON_GetArraySize(blocks)) { cJSON_Delete(blocks); return; }
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "role", system ? "System" : (!strcmp(role, "Assistant") ? "Assistant" : "User"));
  lash__json_put(m, "blocks", blocks);
  lash__json_push(out_msgs, m);
}

/* One message as LLM message JSON text ("" when it renders to nothing); NULL
 * when an allocation failed on the way. */
char *lash__render_message_text(const lash_allocator *a, const cJSON *msg, cJSON *atts, int *refs_attachments) {
  unsigned long failures = lash__alloc_failures();
  cJSON *arr = cJSON_CreateArray();
  int before = cJSON_GetArraySize(atts);
  lash__render_message(a, arr, atts, msg);
  *refs_attachments = cJSON_GetArraySize(atts) != before;
  char *text = cJSON_GetArraySize(arr) ? cJSON_PrintUnformatted(cJSON_GetArrayItem(arr, 0)) : NULL;
  cJSON_Delete(arr);
  char *out = text ? lash__strndup(a, text, strlen(text)) : lash__strndup(a, "", 0);
  cJSON_free(text);
  /* a block lost to a failed allocation must not pass for the message ("" renders nothing) */
  if (lash__alloc_failures() != failures) { lash__free(a, out); out = NULL; }
  return out;
}

