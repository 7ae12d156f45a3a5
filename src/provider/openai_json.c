#include "provider/openai_json.h"

#include <math.h>
#include <string.h>

cJSON *lash__serde_get(const cJSON *v, const char *key) {
  cJSON *hit = NULL;
  if (!cJSON_IsObject(v)) return NULL;
  for (cJSON *c = v->child; c; c = c->next)
    if (c->string && !strcmp(c->string, key)) hit = c;
  return hit;
}

cJSON *lash__serde_insert(cJSON *obj, const char *key, cJSON *item, int *oom) {
  if (!obj || !item) { cJSON_Delete(item); *oom = 1; return NULL; }
  while (cJSON_GetObjectItemCaseSensitive(obj, key)) cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
  if (!cJSON_AddItemToObject(obj, key, item)) { cJSON_Delete(item); *oom = 1; return NULL; }
  return item;
}

/* ---- serde Map order ---- */

static cJSON *merge_keys(cJSON *a, cJSON *b) {
  cJSON *head = NULL, **t = &head;
  while (a && b) {
    if (strcmp(a->string ? a->string : "", b->string ? b->string : "") <= 0) { *t = a; a = a->next; }
    else { *t = b; b = b->next; }
    t = &(*t)->next;
  }
  *t = a ? a : b;
  return head;
}

/* Stable merge sort of a next-linked list of n items (prev links fixed later),
 * so equal keys stay in document order. */
static cJSON *sort_keys(cJSON *h, size_t n) {
  if (n < 2) { if (h) h->next = NULL; return h; }
  cJSON *mid = h;
  for (size_t i = 1; i < n / 2; i++) mid = mid->next;
  cJSON *right = mid->next;
  mid->next = NULL;
  return merge_keys(sort_keys(h, n / 2), sort_keys(right, n - n / 2));
}

void lash__serde_map_order(cJSON *obj) {
  size_t n = 0;
  for (cJSON *c = obj->child; c; c = c->next) n++;
  if (n < 2) return;
  cJSON *h = sort_keys(obj->child, n), *out = NULL, *tail = NULL;
  while (h) {
    cJSON *next = h->next;
    if (next && !strcmp(h->string ? h->string : "", next->string ? next->string : "")) {
      h->next = h->prev = NULL;
      cJSON_Delete(h);
    } else {
      h->next = NULL;
      h->prev = tail;
      if (tail) tail->next = h;
      else out = h;
      tail = h;
    }
    h = next;
  }
  out->prev = tail; /* cJSON keeps the last item in child->prev */
  obj->child = out;
}

int lash__serde_normalize(cJSON *v, int depth) {
  if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) return 1;
  if (depth > LASH_SERDE_NEST) return 0;
  for (cJSON *c = v->child; c; c = c->next)
    if (!lash__serde_normalize(c, depth + 1)) return 0;
  if (cJSON_IsObject(v)) lash__serde_map_order(v);
  return 1;
}

/* ---- text ---- */

/* The well-formed sequence at p[0] (p[0] >= 0x80): its length, or 0 with *skip
 * the length of the maximal ill-formed subpart there. */
static size_t utf8_seq(const unsigned char *p, size_t n, size_t *skip) {
  unsigned c = p[0];
  size_t need = 0, k = 1;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c >= 0xE0 && c <= 0xEF) { need = 2; if (c == 0xE0) lo = 0xA0; else if (c == 0xED) hi = 0x9F; }
  else if (c >= 0xF0 && c <= 0xF4) { need = 3; if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F; }
  if (need && 1 < n && p[1] >= lo && p[1] <= hi) {
    k = 2;
    while (k <= need && k < n && (p[k] & 0xC0) == 0x80) k++;
    if (k == need + 1) return k;
  }
  *skip = k;
  return 0;
}

int lash__utf8_lossy(lash_buf *out, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0, k;
  while (i < n) {
    if (p[i] < 0x80) { i++; continue; }
    size_t ok = utf8_seq(p + i, n - i, &k);
    if (ok) { i += ok; continue; }
    if (!lash__buf_append(out, s + run, i - run) || !lash__buf_append(out, "\xEF\xBF\xBD", 3)) return 0;
    i += k;
    run = i;
  }
  return lash__buf_append(out, s + run, n - run);
}

int lash__utf8_whole(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, k;
  while (i < n) {
    if (p[i] < 0x80) { i++; continue; }
    size_t ok = utf8_seq(p + i, n - i, &k);
    if (!ok) return 0;
    i += ok;
  }
  return 1;
}

int lash__utf8_clip(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n <= max) return (int)n;
  while (max && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
  return (int)max;
}

int lash__provider_err(lash_err *e, const char *msg) {
  lash__err(e, LASH_E_INVALID_ARGUMENT, "provider", "%.*s", lash__utf8_clip(msg, sizeof e->detail - 1), msg);
  return LASH_E_INVALID_ARGUMENT;
}

/* ---- JSON string escapes, base64 ---- */

int lash__json_hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

int lash__buf_put_cp(lash_buf *b, unsigned cp) {
  char u[4];
  size_t n;
  if (cp == 0) cp = 0xFFFD;
  if (cp < 0x80) u[0] = (char)cp, n = 1;
  else if (cp < 0x800) u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 63)), n = 2;
  else if (cp < 0x10000)
    u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 63)), u[2] = (char)(0x80 | (cp & 63)), n = 3;
  else
    u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 63)), u[2] = (char)(0x80 | ((cp >> 6) & 63)),
    u[3] = (char)(0x80 | (cp & 63)), n = 4;
  return lash__buf_append(b, u, n);
}

int lash__b64_json_bytes(lash_buf *b, const cJSON *bytes) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  unsigned char q[3];
  int k = 0;
  const cJSON *x;
  cJSON_ArrayForEach(x, bytes) {
    if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 255 || x->valuedouble != floor(x->valuedouble)) return 0;
    q[k++] = (unsigned char)x->valuedouble;
    if (k == 3) {
      char o[4] = {b64[q[0] >> 2], b64[((q[0] & 3) << 4) | (q[1] >> 4)], b64[((q[1] & 15) << 2) | (q[2] >> 6)], b64[q[2] & 63]};
      lash__buf_append(b, o, 4);
      k = 0;
    }
  }
  if (k) {
    if (k == 1) q[1] = 0;
    char o[4] = {b64[q[0] >> 2], b64[((q[0] & 3) << 4) | (q[1] >> 4)], k == 2 ? b64[(q[1] & 15) << 2] : '=', '='};
    lash__buf_append(b, o, 4);
  }
  return 1;
}

/* ---- usage (responses_shared.rs) ---- */

/* lash_llm_transport::util::parse_i64: a number that is an i64, or a string that
 * parses as one; anything else is 0. A number's text is serde's (valuestring):
 * a float's has '.' or 'e', and a number without text is not an integer. */
static int64_t parse_i64(const cJSON *v) {
  const char *s = cJSON_IsNumber(v) ? v->valuestring : cJSON_IsString(v) ? v->valuestring : NULL;
  if (!s) return 0;
  int neg = 0;
  if (cJSON_IsString(v) && *s == '+') s++;
  else if (*s == '-') neg = 1, s++;
  if (!*s) return 0;
  uint64_t m = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    unsigned d = (unsigned)(*s - '0');
    if (m > ((uint64_t)INT64_MAX + 1 - d) / 10) return 0;
    m = m * 10 + d;
  }
  if (!neg && m > (uint64_t)INT64_MAX) return 0;
  return neg ? (int64_t)(0 - m) : (int64_t)m;
}

/* The first of the keys that is present (even as null). */
static const cJSON *first_key(const cJSON *u, const char *const *keys) {
  const cJSON *x = NULL;
  for (; *keys && !x; keys++) x = lash__serde_get(u, *keys);
  return x;
}

lash_openai_usage lash__openai_usage_from(const cJSON *u) {
  lash_openai_usage r;
  const cJSON *itd = lash__serde_get(u, "input_tokens_details"), *ptd = lash__serde_get(u, "prompt_tokens_details");
  const cJSON *c = lash__serde_get(itd, "cached_tokens");
  if (!c) c = lash__serde_get(ptd, "cached_tokens");
  if (!c) c = first_key(u, (const char *const[]){"cached_input_tokens", "cached_tokens", "prompt_cache_hit_tokens", NULL});
  const cJSON *w = lash__serde_get(itd, "cache_write_tokens");
  if (!w) w = lash__serde_get(ptd, "cache_write_tokens");
  int64_t cached = parse_i64(c), writes = parse_i64(w);
  r.input = parse_i64(first_key(u, (const char *const[]){"input_tokens", "prompt_tokens", NULL}));
  r.output = parse_i64(first_key(u, (const char *const[]){"output_tokens", "completion_tokens", NULL}));
  if (writes > 0) { /* cache writes are not reads: saturating_sub, then max(0) */
    int64_t d = cached < INT64_MIN + writes ? INT64_MIN : cached - writes;
    r.cached = d > 0 ? d : 0;
  } else {
    r.cached = cached;
  }
  const cJSON *x = lash__serde_get(u, "reasoning_tokens");
  if (!x) x = lash__serde_get(lash__serde_get(u, "output_tokens_details"), "reasoning_tokens");
  if (!x) x = lash__serde_get(lash__serde_get(u, "completion_tokens_details"), "reasoning_tokens");
  r.reasoning = parse_i64(x);
  return r;
}

void lash__openai_merge_usage(lash_openai_usage *d, const lash_openai_usage *n) {
  if (n->input > 0) d->input = n->input;
  if (n->output > 0) d->output = n->output;
  if (n->cached > 0) d->cached = n->cached;
  if (n->reasoning > 0) d->reasoning = n->reasoning;
}
