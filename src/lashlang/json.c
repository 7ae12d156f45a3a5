/* The one place Lashlang touches JSON text: tool results, imported globals in;
 * exported globals and submitted values out. */
#include <string.h>

#include "cJSON.h"
#include "lashlang/ll.h"

static int from_cjson(ll_rt *rt, const cJSON *j, int depth, ll_val *out) {
  *out = ll_null();
  if (depth > LL_MAX_VALUE_DEPTH) return -1;
  if (cJSON_IsNull(j)) return 0;
  if (cJSON_IsBool(j)) { *out = ll_bool(cJSON_IsTrue(j)); return 0; }
  if (cJSON_IsNumber(j)) { *out = ll_num(j->valuedouble); return 0; }
  if (cJSON_IsString(j)) return ll_str_new(rt, j->valuestring, strlen(j->valuestring), out);
  if (cJSON_IsArray(j)) {
    if (ll_list_new(rt, (size_t)cJSON_GetArraySize(j), out)) return -1;
    for (const cJSON *c = j->child; c; c = c->next) {
      ll_val item;
      if (from_cjson(rt, c, depth + 1, &item) || ll_list_push(rt, out->u.l, item)) {
        ll_decref(rt, *out);
        *out = ll_null();
        return -1;
      }
    }
    return 0;
  }
  if (cJSON_IsObject(j)) {
    if (ll_rec_new(rt, (size_t)cJSON_GetArraySize(j), out)) return -1;
    for (const cJSON *c = j->child; c; c = c->next) {
      ll_val item;
      if (from_cjson(rt, c, depth + 1, &item) ||
          ll_rec_set(rt, out->u.r, c->string, strlen(c->string), item)) {
        ll_decref(rt, *out);
        *out = ll_null();
        return -1;
      }
    }
    return 0;
  }
  return -1;
}

int ll_from_json_text(ll_rt *rt, const char *text, size_t len, ll_val *out, const char **err) {
  *out = ll_null();
  cJSON *j = cJSON_ParseWithLength(text, len);
  if (!j) { *err = "invalid JSON"; return -1; }
  int r = from_cjson(rt, j, 0, out);
  cJSON_Delete(j);
  if (r) *err = rt->mem_exceeded ? "memory limit exceeded" : "JSON nested too deeply";
  return r;
}

static void to_json(lash_buf *b, ll_val v) {
  switch (v.kind) {
    case LV_LIST:
      lash__buf_append(b, "[", 1);
      for (size_t i = 0; i < v.u.l->n; i++) {
        if (i) lash__buf_append(b, ",", 1);
        to_json(b, v.u.l->v[i]);
      }
      lash__buf_append(b, "]", 1);
      break;
    case LV_REC:
      lash__buf_append(b, "{", 1);
      for (size_t i = 0; i < v.u.r->n; i++) {
        if (i) lash__buf_append(b, ",", 1);
        lash__buf_json_string(b, v.u.r->k[i]->s, v.u.r->k[i]->len);
        lash__buf_append(b, ":", 1);
        to_json(b, v.u.r->v[i]);
      }
      lash__buf_append(b, "}", 1);
      break;
    default: ll_fmt_json(b, v); break;
  }
}

void ll_to_json_text(lash_buf *b, ll_val v) { to_json(b, v); }
