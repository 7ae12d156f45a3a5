#include "util/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

int lash__err(lash_err *e, int code, const char *argument, const char *fmt, ...) {
  if (!e) return code;
  e->code = code;
  e->facet = NULL;
  e->runtime_code = NULL;
  e->retryable = 0;
  e->raw = NULL;
  e->raw_len = 0;
  snprintf(e->argument, sizeof e->argument, "%s", argument ? argument : "");
  e->detail[0] = '\0';
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
  }
  return code;
}

int lash__utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) { i++; continue; }
    size_t need;
    unsigned min;
    if ((c & 0xE0) == 0xC0) { need = 1; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { need = 2; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { need = 3; min = 0x10000; c &= 0x07; }
    else return 0;
    if (n - i <= need) return 0;
    for (size_t k = 1; k <= need; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return 0;
      c = (c << 6) | (p[i + k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    i += need + 1;
  }
  return 1;
}

cJSON *lash__json_parse(const char *bytes, size_t len, size_t max_bytes, const char *argument,
                        lash_err *e) {
  if (!bytes && len) {
    lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "null buffer");
    return NULL;
  }
  if (len > max_bytes) {
    lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "document of %zu bytes exceeds the %zu-byte limit",
              len, max_bytes);
    return NULL;
  }
  if (!lash__utf8_valid(bytes, len)) {
    lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "not valid UTF-8");
    return NULL;
  }
  const char *end = NULL;
  unsigned long failures = lash__alloc_failures();
  cJSON *v = cJSON_ParseWithLengthOpts(bytes, len, &end, 0);
  if (!v && lash__alloc_failures() != failures) { /* cJSON reports a failed allocation as a syntax error */
    lash__err(e, LASH_E_NOMEM, NULL, NULL);
    return NULL;
  }
  if (!v) {
    size_t at = end ? (size_t)(end - bytes) : 0;
    lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "malformed JSON at byte %zu", at);
    return NULL;
  }
  /* trailing whitespace only */
  for (size_t i = (size_t)(end - bytes); i < len; i++) {
    char c = bytes[i];
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
      cJSON_Delete(v);
      lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "trailing data at byte %zu", i);
      return NULL;
    }
  }
  return v;
}

int lash__json_is_nullish(const cJSON *v) { return !v || cJSON_IsNull(v); }

int lash__json_put(cJSON *obj, const char *key, cJSON *item) {
  if (cJSON_AddItemToObject(obj, key, item)) return 1;
  cJSON_Delete(item);
  return 0;
}

int lash__json_push(cJSON *arr, cJSON *item) {
  if (cJSON_AddItemToArray(arr, item)) return 1;
  cJSON_Delete(item);
  return 0;
}

int lash__json_replace(cJSON *obj, const char *key, cJSON *item) {
  cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, key);
  char *k = old && item ? cJSON_malloc(strlen(key) + 1) : NULL;
  if (!k) { cJSON_Delete(item); return 0; }
  /* the key is copied first: cJSON 1.7's replace would link the item with a NULL key */
  strcpy(k, key);
  if (!(item->type & cJSON_StringIsConst)) cJSON_free(item->string);
  item->string = k;
  item->type &= ~cJSON_StringIsConst;
  return cJSON_ReplaceItemViaPointer(obj, old, item);
}

const char *lash__json_str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

double lash__json_num(const cJSON *obj, const char *key, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : dflt;
}

int lash__json_opt_string(const cJSON *obj, const char *key, size_t max_bytes,
                          const char *argument, const char **out, lash_err *e) {
  *out = NULL;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (lash__json_is_nullish(v)) return LASH_OK;
  if (!cJSON_IsString(v))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "`%s` must be a string", key);
  if (strlen(v->valuestring) > max_bytes)
    return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "`%s` exceeds %zu bytes", key, max_bytes);
  *out = v->valuestring;
  return LASH_OK;
}

int lash__json_opt_u64(const cJSON *obj, const char *key, int allow_zero, const char *argument,
                       int *present, uint64_t *out, lash_err *e) {
  *present = 0;
  *out = 0;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (lash__json_is_nullish(v)) return LASH_OK;
  double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
  /* 2^53: beyond it a JSON number no longer names one integer */
  if (!cJSON_IsNumber(v) || !isfinite(d) || d < 0 || d != floor(d) || d > 9007199254740991.0)
    return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "`%s` must be a non-negative integer", key);
  if (!allow_zero && d == 0)
    return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "%s must be greater than zero", key);
  *present = 1;
  *out = (uint64_t)d;
  return LASH_OK;
}

int lash__json_deny_unknown(const cJSON *obj, const char *const *allowed, const char *argument,
                            lash_err *e) {
  for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next) {
    int ok = 0;
    for (const char *const *a = allowed; *a; a++)
      if (c->string && strcmp(c->string, *a) == 0) { ok = 1; break; }
    if (!ok)
      return lash__err(e, LASH_E_INVALID_ARGUMENT, argument, "unknown field `%.64s`",
                       c->string ? c->string : "");
  }
  return LASH_OK;
}
