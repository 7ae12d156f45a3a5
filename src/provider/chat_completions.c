/* The OpenAI Chat Completions dialect ("openai-compatible", spec §7.4): lash's
 * crates/lash-provider-openai/src/chat.rs (build_chat_request_body, ChatStreamState,
 * process_chat_sse_event), driver.rs (drive_streaming_chat, complete_buffered_chat),
 * ported for behaviour; schema.rs (the schema projection) is openai_schema.c and
 * responses_shared.rs's usage parsing is in openai_json.c, shared with responses.c.
 *
 * lash keeps JSON in serde_json Values without preserve_order, so every object it
 * serialises has its keys sorted and a repeated key keeps its last value; the
 * request body is normalised the same way, which makes it byte-identical to lash's.
 * Stream events are read with a strict parser of serde_json's grammar, and typed
 * the way lash's serde structs type them, so a chunk lash rejects is rejected here. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/dialect.h"
#include "provider/openai_json.h"
#include "provider/openai_schema.h"
#include "provider/sse.h"
#include "util/alloc.h"
#include "util/buf.h"

#define CC_DEFAULT_MAX_TOKENS "32768" /* lash DEFAULT_MAX_OUTPUT_TOKENS */
#define CC_JSON_DEPTH 128             /* serde_json's recursion limit: 127 levels parse */
#define CC_MAX_JSON_VALUES (1u << 19) /* values in one parsed document: bounds the tree's memory */
#define CC_MAX_TOOL_CALLS 4096        /* distinct tool-call indices in one response */
#define CC_SLOT_COST 64               /* what one tool-call slot costs the text budget */
#define CC_OPENROUTER "https://openrouter.ai/api/v1"
#define CC_MARK "__lash_cache_breakpoint"

/* ======================================================================
 * Small helpers
 * ====================================================================== */

/* serde_json Value::get (a repeated key keeps its last value). */
static cJSON *vget(const cJSON *v, const char *key) { return lash__serde_get(v, key); }

static const char *vstr(const cJSON *v) { return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL; }

/* Length of the Unicode White_Space character (Rust char::is_whitespace) that
 * starts / ends s, or 0. s is valid UTF-8. */
static size_t ws_head(const unsigned char *s, size_t n) {
  if (!n) return 0;
  if ((s[0] >= 9 && s[0] <= 13) || s[0] == ' ') return 1;
  if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0)) return 2;
  if (n >= 3) {
    if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) return 3;
    if (s[0] == 0xE2 && s[1] == 0x80 && (s[2] <= 0x8A || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF)) return 3;
    if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) return 3;
    if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) return 3;
  }
  return 0;
}

static size_t ws_tail(const unsigned char *s, size_t n) {
  if (n >= 1 && ws_head(s + n - 1, 1) == 1) return 1;
  if (n >= 2 && ws_head(s + n - 2, 2) == 2) return 2;
  if (n >= 3 && ws_head(s + n - 3, 3) == 3) return 3;
  return 0;
}

/* Rust str::trim, in place on (*s, *n). */
static void utrim(const char **s, size_t *n) {
  size_t k;
  while ((k = ws_head((const unsigned char *)*s, *n))) { *s += k; *n -= k; }
  while ((k = ws_tail((const unsigned char *)*s, *n))) *n -= k;
}

static int blank(const char *s) {
  size_t n = strlen(s);
  utrim(&s, &n);
  return n == 0;
}

/* Append to an array / object, recording OOM instead of checking each call. */
static cJSON *push(cJSON *arr, cJSON *item, int *oom) {
  if (!item || !arr || !cJSON_AddItemToArray(arr, item)) { cJSON_Delete(item); *oom = 1; return NULL; }
  return item;
}
static cJSON *put(cJSON *obj, const char *key, cJSON *item, int *oom) {
  if (!item || !obj || !cJSON_AddItemToObject(obj, key, item)) { cJSON_Delete(item); *oom = 1; return NULL; }
  return item;
}
static void del(cJSON *obj, const char *key) {
  while (cJSON_GetObjectItemCaseSensitive(obj, key)) cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

/* ======================================================================
 * Strict JSON: serde_json's grammar (no leading zeros, no control characters in
 * strings, no lone surrogates, no out-of-range numbers, depth < 128).
 * Integer literals keep their text in valuestring (serde tells 5 from 5.0, a
 * double cannot); strings that contained an escape have valueint = 1 (serde
 * cannot borrow them into a &str field).
 * ====================================================================== */

typedef struct {
  const char *s, *p, *end;
  lash_buf tmp;
  size_t values;
  int oom;
  char err[96];
} jp_t;

static void jp_ws(jp_t *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static cJSON *jp_fail(jp_t *j, const char *what) {
  if (!j->err[0]) snprintf(j->err, sizeof j->err, "%s at byte %zu", what, (size_t)(j->p - j->s));
  return NULL;
}

/* A string literal into j->tmp (NUL-terminated); *escaped set if it had escapes. */
static int jp_string(jp_t *j, int *escaped) {
  j->tmp.len = 0;
  *escaped = 0;
  j->p++; /* opening quote */
  const char *run = j->p;
  for (;;) {
    if (j->p >= j->end) { jp_fail(j, "EOF while parsing a string"); return 0; }
    unsigned char c = (unsigned char)*j->p;
    if (c == '"') break;
    if (c < 0x20) { jp_fail(j, "control character in string"); return 0; }
    if (c != '\\') { j->p++; continue; }
    *escaped = 1;
    if (!lash__buf_append(&j->tmp, run, (size_t)(j->p - run))) { j->oom = 1; return 0; }
    if (j->end - j->p < 2) { j->p = j->end; jp_fail(j, "EOF while parsing a string"); return 0; }
    char e = j->p[1];
    const char *rep = NULL;
    switch (e) {
      case '"': rep = "\""; break;
      case '\\': rep = "\\"; break;
      case '/': rep = "/"; break;
      case 'b': rep = "\b"; break;
      case 'f': rep = "\f"; break;
      case 'n': rep = "\n"; break;
      case 'r': rep = "\r"; break;
      case 't': rep = "\t"; break;
      case 'u': break;
      default: j->p++; jp_fail(j, "invalid escape"); return 0;
    }
    if (rep) {
      if (!lash__buf_append(&j->tmp, rep, 1)) { j->oom = 1; return 0; }
      j->p += 2;
    } else {
      unsigned cp, lo;
      if (j->end - j->p < 6 || !lash__json_hex4(j->p + 2, &cp)) { j->p += 2; jp_fail(j, "invalid \\u escape"); return 0; }
      j->p += 6;
      if (cp >= 0xDC00 && cp <= 0xDFFF) { jp_fail(j, "lone trailing surrogate in hex escape"); return 0; }
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || !lash__json_hex4(j->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
          jp_fail(j, "lone leading surrogate in hex escape");
          return 0;
        }
        j->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      }
      if (!lash__buf_put_cp(&j->tmp, cp)) { j->oom = 1; return 0; }
    }
    run = j->p;
  }
  if (!lash__buf_append(&j->tmp, run, (size_t)(j->p - run))) { j->oom = 1; return 0; }
  j->p++; /* closing quote */
  return 1;
}

static cJSON *jp_number(jp_t *j) {
  const char *st = j->p;
  int integer = 1;
  if (j->p < j->end && *j->p == '-') j->p++;
  if (j->p >= j->end) return jp_fail(j, "EOF while parsing a value");
  if (*j->p == '0') j->p++;
  else if (*j->p >= '1' && *j->p <= '9') while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
  else return jp_fail(j, "invalid number");
  if (j->p < j->end && *j->p == '.') {
    integer = 0;
    j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return jp_fail(j, "invalid number");
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    integer = 0;
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return jp_fail(j, "invalid number");
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
  }
  size_t n = (size_t)(j->p - st);
  j->tmp.len = 0;
  if (!lash__buf_append(&j->tmp, st, n)) { j->oom = 1; return NULL; }
  double d = strtod(j->tmp.data, NULL);
  if (isinf(d)) return jp_fail(j, "number out of range");
  /* serde keeps an integer literal as u64 / i64 when it fits; -0 becomes a float */
  if (integer) {
    int neg = st[0] == '-';
    const char *dg = st + neg;
    size_t nd = n - (size_t)neg;
    uint64_t v = 0;
    int fits = nd <= 20;
    for (size_t i = 0; fits && i < nd; i++) {
      unsigned dv = (unsigned)(dg[i] - '0');
      if (v > (UINT64_MAX - dv) / 10) fits = 0;
      else v = v * 10 + dv;
    }
    if (neg && (v == 0 || v > (uint64_t)INT64_MAX + 1)) fits = 0;
    integer = fits;
  }
  cJSON *num = cJSON_CreateNumber(d);
  if (!num) { j->oom = 1; return NULL; }
  if (integer) {
    num->valuestring = cJSON_malloc(n + 1); /* freed by cJSON_Delete */
    if (!num->valuestring) { cJSON_Delete(num); j->oom = 1; return NULL; }
    memcpy(num->valuestring, st, n);
    num->valuestring[n] = '\0';
  }
  return num;
}

static cJSON *jp_value(jp_t *j, int depth) {
  jp_ws(j);
  if (j->p >= j->end) return jp_fail(j, "EOF while parsing a value");
  if (++j->values > CC_MAX_JSON_VALUES) return jp_fail(j, "too many JSON values");
  char c = *j->p;
  size_t left = (size_t)(j->end - j->p);
  if (c == 'n' && left >= 4 && !memcmp(j->p, "null", 4)) { j->p += 4; cJSON *v = cJSON_CreateNull(); if (!v) j->oom = 1; return v; }
  if (c == 't' && left >= 4 && !memcmp(j->p, "true", 4)) { j->p += 4; cJSON *v = cJSON_CreateTrue(); if (!v) j->oom = 1; return v; }
  if (c == 'f' && left >= 5 && !memcmp(j->p, "false", 5)) { j->p += 5; cJSON *v = cJSON_CreateFalse(); if (!v) j->oom = 1; return v; }
  if (c == '-' || (c >= '0' && c <= '9')) return jp_number(j);
  if (c == '"') {
    int esc;
    if (!jp_string(j, &esc)) return NULL;
    cJSON *v = cJSON_CreateString(j->tmp.data ? j->tmp.data : "");
    if (!v) { j->oom = 1; return NULL; }
    v->valueint = esc;
    return v;
  }
  if (c != '[' && c != '{') return jp_fail(j, "expected value");
  if (depth + 1 >= CC_JSON_DEPTH) return jp_fail(j, "recursion limit exceeded");
  int obj = c == '{';
  cJSON *v = obj ? cJSON_CreateObject() : cJSON_CreateArray();
  if (!v) { j->oom = 1; return NULL; }
  j->p++;
  jp_ws(j);
  if (j->p < j->end && *j->p == (obj ? '}' : ']')) { j->p++; return v; }
  for (;;) {
    jp_ws(j);
    char *key = NULL;
    if (obj) {
      int esc;
      if (j->p >= j->end) { cJSON_Delete(v); return jp_fail(j, "EOF while parsing an object"); }
      if (*j->p != '"') { cJSON_Delete(v); return jp_fail(j, "key must be a string"); }
      if (!jp_string(j, &esc)) { cJSON_Delete(v); return NULL; }
      key = lash__strndup(j->tmp.alloc, j->tmp.data ? j->tmp.data : "", j->tmp.len);
      if (!key) { cJSON_Delete(v); j->oom = 1; return NULL; }
      jp_ws(j);
      if (j->p >= j->end || *j->p != ':') { lash__free(j->tmp.alloc, key); cJSON_Delete(v); return jp_fail(j, "expected `:`"); }
      j->p++;
    }
    cJSON *item = jp_value(j, depth + 1);
    int ok = item && (obj ? cJSON_AddItemToObject(v, key, item) : cJSON_AddItemToArray(v, item));
    lash__free(j->tmp.alloc, key);
    if (!ok) {
      if (item) { cJSON_Delete(item); j->oom = 1; }
      cJSON_Delete(v);
      return NULL;
    }
    jp_ws(j);
    if (j->p >= j->end) { cJSON_Delete(v); return jp_fail(j, obj ? "EOF while parsing an object" : "EOF while parsing a list"); }
    if (*j->p == ',') {
      j->p++;
      jp_ws(j);
      if (j->p < j->end && (*j->p == ']' || *j->p == '}')) { cJSON_Delete(v); return jp_fail(j, "trailing comma"); }
      continue;
    }
    if (*j->p == (obj ? '}' : ']')) { j->p++; return v; }
    cJSON_Delete(v);
    return jp_fail(j, obj ? "expected `,` or `}`" : "expected `,` or `]`");
  }
}

/* Parse s[0..n) (valid UTF-8) as one JSON document. NULL with *oom or err set. */
static cJSON *strict_parse(const lash_allocator *a, const char *s, size_t n, int *oom, char *err, size_t errsz) {
  jp_t j;
  memset(&j, 0, sizeof j);
  j.s = j.p = s;
  j.end = s + n;
  lash__buf_init(&j.tmp, a);
  cJSON *v = jp_value(&j, 0);
  if (v) {
    jp_ws(&j);
    if (j.p != j.end) { cJSON_Delete(v); v = NULL; jp_fail(&j, "trailing characters"); }
  }
  if (j.oom || j.tmp.oom) { cJSON_Delete(v); v = NULL; *oom = 1; }
  if (!v && err) snprintf(err, errsz, "%s", j.err[0] ? j.err : "out of memory");
  lash__buf_free(&j.tmp);
  return v;
}

/* serde_json Number::as_u64 (floats and out-of-range integers give 0). */
static uint64_t as_u64(const cJSON *v) {
  if (!cJSON_IsNumber(v) || !v->valuestring || v->valuestring[0] == '-') return 0;
  uint64_t m = 0;
  for (const char *s = v->valuestring; *s; s++) m = m * 10 + (uint64_t)(*s - '0');
  return m;
}

/* ======================================================================
 * Request body (chat.rs build_chat_request_body)
 * ====================================================================== */

static const char *const k_variants[] = {"none", "minimal", "low", "medium", "high", "xhigh", NULL};

static int in_list(const char *s, const char *const *list) {
  for (; *list; list++) if (!strcmp(s, *list)) return 1;
  return 0;
}

static int contains_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t i = 0;
    while (i < n && hay[i] && (hay[i] >= 'A' && hay[i] <= 'Z' ? hay[i] + 32 : hay[i]) == needle[i]) i++;
    if (i == n) return 1;
  }
  return 0;
}

static int is_openrouter(const char *base_url) {
  if (!base_url) return 0;
  size_t n = strlen(base_url);
  while (n && base_url[n - 1] == '/') n--;
  return n == strlen(CC_OPENROUTER) && !memcmp(base_url, CC_OPENROUTER, n);
}

/* "data:{mime};base64,..." for an attachment whose data is a base64 string or
 * the serde Vec<u8> array of bytes. 0 with e set on a malformed attachment. */
static int data_url(lash_buf *b, const char *mime, const cJSON *data, int idx, lash_err *e) {
  lash__buf_printf(b, "data:%s;base64,", mime);
  if (vstr(data)) return lash__buf_puts(b, data->valuestring) || (lash__err(e, LASH_E_NOMEM, NULL, NULL), 0);
  if (!cJSON_IsArray(data) && !lash__json_is_nullish(data))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "attachments[%d].data must be base64 text or bytes", idx), 0;
  if (!lash__b64_json_bytes(b, data))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "attachments[%d].data holds a non-byte", idx), 0;
  return b->oom ? (lash__err(e, LASH_E_NOMEM, NULL, NULL), 0) : 1;
}

/* validate_image_attachments(req, OPENAI_IMAGE_MIMES, "OpenAI"). */
static int check_mimes(const cJSON *atts, lash_err *e) {
  static const char *const ok[] = {"image/jpeg", "image/png", "image/gif", "image/webp", NULL};
  int idx = 0;
  const cJSON *att;
  cJSON_ArrayForEach(att, atts) {
    const char *mime = vstr(vget(att, "mime"));
    if (!mime) return lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "attachments[%d].mime must be a string", idx);
    const char *s = mime;
    size_t n = strlen(s);
    utrim(&s, &n);
    char low[32];
    int good = 0;
    if (n < sizeof low) {
      for (size_t i = 0; i < n; i++) low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
      low[n] = '\0';
      good = in_list(!strcmp(low, "image/jpg") ? "image/jpeg" : low, ok);
    }
    if (!good) {
      char msg[256];
      int mn = lash__utf8_clip(mime, 120);
      snprintf(msg, sizeof msg,
               "OpenAI does not accept image attachments of type `%.*s` (attachment index %d); accepted: "
               "image/jpeg, image/png, image/gif, image/webp",
               mn, mime, idx);
      return lash__provider_err(e, msg);
    }
    idx++;
  }
  return LASH_OK;
}

typedef struct {
  const lash_allocator *a;
  lash_err *e;
  int oom;
} rq_t;

static int bad(rq_t *r, const char *fmt, int i, int k) {
  lash__err(r->e, LASH_E_INVALID_ARGUMENT, "llm_request", fmt, i, k);
  return 0;
}

/* One LlmMessage: any tool results become role "tool" messages first, then the
 * role's own message if it has text/image parts or tool calls. */
static int build_message(rq_t *r, cJSON *out, const cJSON *msg, const cJSON *atts, int mi) {
  const char *role = vstr(vget(msg, "role"));
  const cJSON *blocks = vget(msg, "blocks");
  if (!role || !in_list(role, (const char *const[]){"System", "User", "Assistant", NULL}))
    return bad(r, "messages[%d].role must be System, User or Assistant", mi, 0);
  if (!cJSON_IsArray(blocks)) return bad(r, "messages[%d].blocks must be an array", mi, 0);
  int user = !strcmp(role, "User"), asst = !strcmp(role, "Assistant");
  cJSON *parts = cJSON_CreateArray(), *calls = cJSON_CreateArray(), *details = cJSON_CreateArray();
  if (!parts || !calls || !details) r->oom = 1;
  int bi = 0, ok = 1;
  const cJSON *blk;
  for (blk = blocks ? blocks->child : NULL; blk && ok && !r->oom; blk = blk->next, bi++) {
    const cJSON *in = cJSON_IsObject(blk) ? blk->child : NULL;
    if (!in || in->next || !cJSON_IsObject(in)) { ok = bad(r, "messages[%d].blocks[%d] must be one tagged block", mi, bi); break; }
    const char *kind = in->string;
    if (!strcmp(kind, "Text")) {
      const char *text = vstr(vget(in, "text"));
      const cJSON *bp = vget(in, "cache_breakpoint");
      if (!text || (bp && !cJSON_IsBool(bp))) { ok = bad(r, "messages[%d].blocks[%d]: malformed Text", mi, bi); break; }
      if (!*text) continue;
      cJSON *p = push(parts, cJSON_CreateObject(), &r->oom);
      if (!cJSON_AddStringToObject(p, "type", "text") || !cJSON_AddStringToObject(p, "text", text)) r->oom = 1;
      if (cJSON_IsTrue(bp) && !cJSON_AddTrueToObject(p, CC_MARK)) r->oom = 1;
    } else if (!strcmp(kind, "Image")) {
      const cJSON *ix = vget(in, "attachment_idx");
      if (!cJSON_IsNumber(ix) || ix->valuedouble < 0 || ix->valuedouble != floor(ix->valuedouble)) {
        ok = bad(r, "messages[%d].blocks[%d]: malformed Image", mi, bi);
        break;
      }
      if (!user || ix->valuedouble >= cJSON_GetArraySize(atts)) continue; /* lash drops these */
      int idx = (int)ix->valuedouble;
      const cJSON *att = cJSON_GetArrayItem(atts, idx);
      lash_buf url;
      lash__buf_init(&url, r->a);
      if (!data_url(&url, vstr(vget(att, "mime")), vget(att, "data"), idx, r->e)) { lash__buf_free(&url); ok = 0; break; }
      cJSON *p = push(parts, cJSON_CreateObject(), &r->oom);
      cJSON *iu = cJSON_AddObjectToObject(p, "image_url");
      if (!cJSON_AddStringToObject(p, "type", "image_url") || !cJSON_AddStringToObject(iu, "url", url.data)) r->oom = 1;
      lash__buf_free(&url);
    } else if (!strcmp(kind, "ToolCall")) {
      const char *id = vstr(vget(in, "call_id")), *name = vstr(vget(in, "tool_name")), *args = vstr(vget(in, "input_json"));
      const cJSON *replay = vget(in, "replay");
      if (!id || !name || !args || (replay && !cJSON_IsNull(replay) && !cJSON_IsObject(replay))) {
        ok = bad(r, "messages[%d].blocks[%d]: malformed ToolCall", mi, bi);
        break;
      }
      if (!asst) continue;
      cJSON *c = push(calls, cJSON_CreateObject(), &r->oom);
      if (!cJSON_AddStringToObject(c, "id", id) || !cJSON_AddStringToObject(c, "type", "function")) r->oom = 1;
      cJSON *f = cJSON_AddObjectToObject(c, "function");
      if (!cJSON_AddStringToObject(f, "name", name) || !cJSON_AddStringToObject(f, "arguments", args)) r->oom = 1;
      /* OpenRouter reasoning replay: the opaque detail goes back as reasoning_details */
      const char *opaque = vstr(vget(replay, "opaque"));
      if (opaque) {
        int poom = 0;
        cJSON *d = strict_parse(r->a, opaque, strlen(opaque), &poom, NULL, 0);
        if (poom) r->oom = 1;
        const char *t = vstr(vget(d, "type"));
        if (t && !strcmp(t, "reasoning.encrypted")) push(details, d, &r->oom);
        else cJSON_Delete(d);
      }
    } else if (!strcmp(kind, "ToolResult")) {
      const char *id = vstr(vget(in, "call_id")), *content = vstr(vget(in, "content"));
      const cJSON *tn = vget(in, "tool_name");
      if (!id || !content || (tn && !cJSON_IsNull(tn) && !cJSON_IsString(tn))) {
        ok = bad(r, "messages[%d].blocks[%d]: malformed ToolResult", mi, bi);
        break;
      }
      cJSON *t = push(out, cJSON_CreateObject(), &r->oom);
      if (!cJSON_AddStringToObject(t, "role", "tool") || !cJSON_AddStringToObject(t, "tool_call_id", id) ||
          !cJSON_AddStringToObject(t, "content", content))
        r->oom = 1;
      if (vstr(tn) && *tn->valuestring && !cJSON_AddStringToObject(t, "name", tn->valuestring)) r->oom = 1;
    } else if (strcmp(kind, "Reasoning")) {
      ok = bad(r, "messages[%d].blocks[%d]: unknown block kind", mi, bi);
    }
  }
  if (ok && !r->oom && (cJSON_GetArraySize(parts) || cJSON_GetArraySize(calls))) {
    cJSON *m = push(out, cJSON_CreateObject(), &r->oom);
    if (!cJSON_AddStringToObject(m, "role", user ? "user" : asst ? "assistant" : "system")) r->oom = 1;
    if (cJSON_GetArraySize(parts)) {
      /* chat_text_or_parts: one unmarked text part collapses to a string */
      const cJSON *only = parts->child;
      if (!only->next && !vget(only, CC_MARK) && vstr(vget(only, "text"))) {
        if (!cJSON_AddStringToObject(m, "content", vget(only, "text")->valuestring)) r->oom = 1;
      } else {
        put(m, "content", parts, &r->oom);
        parts = NULL;
      }
    } else if (asst && !cJSON_AddNullToObject(m, "content")) r->oom = 1;
    if (cJSON_GetArraySize(calls)) put(m, "tool_calls", calls, &r->oom), calls = NULL;
    if (cJSON_GetArraySize(details)) put(m, "reasoning_details", details, &r->oom), details = NULL;
  }
  cJSON_Delete(parts);
  cJSON_Delete(calls);
  cJSON_Delete(details);
  return ok && !r->oom;
}

/* add_cache_control_to_text_content */
static int cache_text(rq_t *r, cJSON *m, const cJSON *cc) {
  cJSON *content = vget(m, "content");
  if (vstr(content)) {
    if (!*content->valuestring) return 0;
    cJSON *arr = cJSON_CreateArray(), *p = push(arr, cJSON_CreateObject(), &r->oom);
    if (!cJSON_AddStringToObject(p, "type", "text") || !cJSON_AddStringToObject(p, "text", content->valuestring)) r->oom = 1;
    put(p, "cache_control", cJSON_Duplicate(cc, 1), &r->oom);
    lash__serde_insert(m, "content", arr, &r->oom);
    return 1;
  }
  if (!cJSON_IsArray(content)) return 0;
  for (cJSON *p = content->child ? content->child->prev : NULL; p; p = p == content->child ? NULL : p->prev) {
    const char *t = vstr(vget(p, "type"));
    if (t && !strcmp(t, "text")) {
      lash__serde_insert(p, "cache_control", cJSON_Duplicate(cc, 1), &r->oom);
      return 1;
    }
  }
  return 0;
}

/* add_cache_control_to_marked_text_content */
static int cache_marked(rq_t *r, cJSON *m, const cJSON *cc) {
  cJSON *content = vget(m, "content");
  if (!cJSON_IsArray(content)) return 0;
  for (cJSON *p = content->child ? content->child->prev : NULL; p; p = p == content->child ? NULL : p->prev) {
    const char *t = vstr(vget(p, "type"));
    if (cJSON_IsTrue(vget(p, CC_MARK)) && t && !strcmp(t, "text")) {
      lash__serde_insert(p, "cache_control", cJSON_Duplicate(cc, 1), &r->oom);
      del(p, CC_MARK);
      return 1;
    }
  }
  return 0;
}

static int role_is(const cJSON *m, const char *a, const char *b) {
  const char *role = vstr(vget(m, "role"));
  return role && (!strcmp(role, a) || !strcmp(role, b));
}

/* apply_anthropic_cache_control: OpenRouter Claude gets cache_control on the first
 * system text, the last tool, and the last marked (else last) user/assistant text. */
static void apply_cache_control(rq_t *r, cJSON *msgs, cJSON *tools, int openrouter_claude, const char *retention) {
  cJSON *cc = NULL;
  if (openrouter_claude && strcmp(retention, "none")) {
    cc = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(cc, "type", "ephemeral")) r->oom = 1;
    if (!strcmp(retention, "long") && !cJSON_AddStringToObject(cc, "ttl", "1h")) r->oom = 1;
  }
  if (cc && !r->oom) {
    cJSON *m;
    cJSON_ArrayForEach(m, msgs) if (role_is(m, "system", "developer")) { cache_text(r, m, cc); break; }
    if (tools && tools->child) lash__serde_insert(tools->child->prev, "cache_control", cJSON_Duplicate(cc, 1), &r->oom);
    int applied = 0;
    for (m = msgs->child ? msgs->child->prev : NULL; m; m = m == msgs->child ? NULL : m->prev)
      if (role_is(m, "user", "assistant") && cache_marked(r, m, cc)) { applied = 1; break; }
    if (!applied)
      for (m = msgs->child ? msgs->child->prev : NULL; m; m = m == msgs->child ? NULL : m->prev)
        if (role_is(m, "user", "assistant") && cache_text(r, m, cc)) break;
  }
  cJSON_Delete(cc);
  cJSON *m;
  cJSON_ArrayForEach(m, msgs) {
    cJSON *p;
    if (cJSON_IsArray(vget(m, "content"))) cJSON_ArrayForEach(p, vget(m, "content")) del(p, CC_MARK);
  }
}

static cJSON *build_tools(rq_t *r, const cJSON *tools) {
  cJSON *out = cJSON_CreateArray();
  if (!out) { r->oom = 1; return NULL; }
  int ti = 0;
  const cJSON *tool;
  cJSON_ArrayForEach(tool, tools) {
    const char *name = vstr(vget(tool, "name")), *desc = vstr(vget(tool, "description"));
    const cJSON *schema = vget(tool, "input_schema"), *ovr = vget(tool, "input_schema_projections");
    if (!name || !desc || !schema || (ovr && !cJSON_IsArray(ovr))) {
      bad(r, "tools[%d] needs name, description and input_schema", ti, 0);
      cJSON_Delete(out);
      return NULL;
    }
    /* a host-supplied projection for this profile wins over projecting */
    cJSON *params = NULL;
    const cJSON *o;
    cJSON_ArrayForEach(o, ovr) {
      const char *prof = vstr(vget(o, "profile"));
      if (prof && !strcmp(prof, "openai_tool_parameters")) {
        if (!vget(o, "schema")) {
          bad(r, "tools[%d]: a schema projection needs a schema", ti, 0);
          cJSON_Delete(out);
          return NULL;
        }
        params = cJSON_Duplicate(vget(o, "schema"), 1);
        if (!params) r->oom = 1;
        break;
      }
    }
    if (!params && !r->oom) params = lash__openai_project_schema(r->a, schema, 0, r->e);
    if (!params) {
      if (r->oom) lash__err(r->e, LASH_E_NOMEM, NULL, NULL);
      cJSON_Delete(out);
      return NULL;
    }
    cJSON *t = push(out, cJSON_CreateObject(), &r->oom);
    if (!cJSON_AddStringToObject(t, "type", "function")) r->oom = 1;
    cJSON *f = cJSON_AddObjectToObject(t, "function");
    if (!f) r->oom = 1;
    if (!cJSON_AddStringToObject(f, "name", name) || !cJSON_AddStringToObject(f, "description", desc)) r->oom = 1;
    put(f, "parameters", params, &r->oom);
    if (!cJSON_AddFalseToObject(f, "strict")) r->oom = 1;
    ti++;
  }
  return out;
}

static char *request_body(const lash_allocator *a, const cJSON *req, const cJSON *opts, size_t *len, lash_err *e) {
  rq_t r = {a, e, 0};
  cJSON *body = NULL, *msgs = NULL, *tools = NULL;
  char *out = NULL;
  if (len) *len = 0;
  if (!cJSON_IsObject(req)) { lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "must be an object"); return NULL; }
  if (opts && !cJSON_IsObject(opts) && !cJSON_IsNull(opts)) { lash__err(e, LASH_E_INVALID_ARGUMENT, "opts", "must be an object"); return NULL; }
  const char *model = vstr(vget(req, "model"));
  const cJSON *messages = vget(req, "messages"), *atts = vget(req, "attachments"), *rtools = vget(req, "tools");
  const cJSON *gen = vget(req, "generation"), *spec = vget(req, "output_spec"), *mv = vget(req, "model_variant");
  const char *choice = vstr(vget(req, "tool_choice"));
  if (!model) { lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "model must be a string"); return NULL; }
  if (!cJSON_IsArray(messages)) { lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "messages must be an array"); return NULL; }
  if ((atts && !cJSON_IsArray(atts)) || (rtools && !cJSON_IsArray(rtools)) || (mv && !cJSON_IsNull(mv) && !cJSON_IsString(mv)) ||
      (vget(req, "tool_choice") && !choice) || (choice && !in_list(choice, (const char *const[]){"Auto", "None", "Required", NULL}))) {
    lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "attachments, tools, tool_choice or model_variant is malformed");
    return NULL;
  }
  /* GenerationOptions (deny_unknown_fields): output_token_cap is a NonZeroUsize */
  uint64_t cap = 0;
  int has_cap = 0;
  if (gen && !cJSON_IsNull(gen)) {
    static const char *const allowed[] = {"output_token_cap", NULL};
    if (!cJSON_IsObject(gen) || lash__json_deny_unknown(gen, allowed, "llm_request", e)) {
      if (!cJSON_IsObject(gen)) lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "generation must be an object");
      return NULL;
    }
    if (lash__json_opt_u64(gen, "output_token_cap", 0, "llm_request", &has_cap, &cap, e)) return NULL;
  }
  /* opts: ProviderOptions.max_output_tokens (u64), cache_retention, plus the
   * host's base_url (lash's provider knows it) and an explicit reasoning_effort */
  int has_max = 0;
  uint64_t max_out = 0;
  const char *effort = NULL, *base_url = NULL, *retention = NULL;
  if (cJSON_IsObject(opts)) {
    if (lash__json_opt_u64(opts, "max_output_tokens", 1, "opts", &has_max, &max_out, e) ||
        lash__json_opt_string(opts, "reasoning_effort", 64, "opts", &effort, e) ||
        lash__json_opt_string(opts, "base_url", LASH_MAX_ID_BYTES, "opts", &base_url, e) ||
        lash__json_opt_string(opts, "cache_retention", 16, "opts", &retention, e))
      return NULL;
    if (effort && !in_list(effort, k_variants)) {
      lash__err(e, LASH_E_INVALID_ARGUMENT, "opts", "reasoning_effort must be one of none, minimal, low, medium, high, xhigh");
      return NULL;
    }
    if (retention && !in_list(retention, (const char *const[]){"none", "short", "long", NULL})) {
      lash__err(e, LASH_E_INVALID_ARGUMENT, "opts", "cache_retention must be none, short or long");
      return NULL;
    }
  }
  if (!retention) retention = "short"; /* CacheRetention::default() */
  if (check_mimes(atts, e)) return NULL;

  body = cJSON_CreateObject();
  msgs = cJSON_CreateArray();
  if (!body || !msgs) r.oom = 1;
  int mi = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, messages) {
    if (r.oom || !build_message(&r, msgs, m, atts, mi++)) goto fail;
  }
  tools = build_tools(&r, rtools);
  if (!tools) goto fail;
  apply_cache_control(&r, msgs, tools, is_openrouter(base_url) && (contains_ci(model, "claude") || contains_ci(model, "anthropic/")),
                      retention);

  char num[24];
  if (has_cap) snprintf(num, sizeof num, "%llu", (unsigned long long)cap);
  else if (has_max) snprintf(num, sizeof num, "%llu", (unsigned long long)max_out);
  else snprintf(num, sizeof num, "%s", CC_DEFAULT_MAX_TOKENS);
  if (!cJSON_AddStringToObject(body, "model", model) || !cJSON_AddTrueToObject(body, "stream") ||
      !cJSON_AddRawToObject(body, "max_tokens", num))
    r.oom = 1;
  put(body, "messages", msgs, &r.oom);
  msgs = NULL;
  if (cJSON_GetArraySize(tools)) {
    const char *tc = !choice || !strcmp(choice, "Auto") ? "auto" : !strcmp(choice, "None") ? "none" : "required";
    put(body, "tools", tools, &r.oom);
    tools = NULL;
    if (!cJSON_AddStringToObject(body, "tool_choice", tc) || !cJSON_AddTrueToObject(body, "parallel_tool_calls")) r.oom = 1;
  }
  cJSON *so = cJSON_AddObjectToObject(body, "stream_options");
  if (!cJSON_AddTrueToObject(so, "include_usage")) r.oom = 1;

  /* reasoning: OpenAiModelPolicy offers variants only on OpenRouter for gpt /
   * claude / gemini-3 models; "none" sends nothing; gpt-5.2..5.4 clamp minimal */
  if (!effort && vstr(mv) && is_openrouter(base_url) &&
      (contains_ci(model, "gpt") || contains_ci(model, "claude") || contains_ci(model, "gemini-3")) && in_list(mv->valuestring, k_variants))
    effort = mv->valuestring;
  if (effort && strcmp(effort, "none")) {
    const char *id = strrchr(model, '/') ? strrchr(model, '/') + 1 : model; /* model_id */
    char low[8];
    size_t k;
    for (k = 0; k < 7 && id[k]; k++) low[k] = (char)(id[k] >= 'A' && id[k] <= 'Z' ? id[k] + 32 : id[k]);
    low[k] = '\0';
    int clamp = !strcmp(effort, "minimal") && (!strcmp(low, "gpt-5.2") || !strcmp(low, "gpt-5.3") || !strcmp(low, "gpt-5.4"));
    cJSON *rs = cJSON_AddObjectToObject(body, "reasoning");
    if (!cJSON_AddStringToObject(rs, "effort", clamp ? "low" : effort)) r.oom = 1;
  }
  /* response_format from output_spec: "JsonObject" | {"JsonSchema": {name, schema, strict}} */
  if (spec && !cJSON_IsNull(spec)) {
    const cJSON *js = vget(spec, "JsonSchema");
    if (vstr(spec) && !strcmp(spec->valuestring, "JsonObject")) {
      cJSON *rf = cJSON_AddObjectToObject(body, "response_format");
      if (!cJSON_AddStringToObject(rf, "type", "json_object")) r.oom = 1;
    } else if (js && vstr(vget(js, "name")) && vget(js, "schema") && cJSON_IsBool(vget(js, "strict"))) {
      cJSON *proj = lash__openai_project_schema(a, vget(js, "schema"), 1, e);
      if (!proj) goto fail;
      cJSON *rf = cJSON_AddObjectToObject(body, "response_format");
      if (!cJSON_AddStringToObject(rf, "type", "json_schema")) r.oom = 1;
      cJSON *sc = cJSON_AddObjectToObject(rf, "json_schema");
      if (!cJSON_AddStringToObject(sc, "name", vget(js, "name")->valuestring)) r.oom = 1;
      put(sc, "schema", proj, &r.oom);
      if (!cJSON_AddBoolToObject(sc, "strict", cJSON_IsTrue(vget(js, "strict")))) r.oom = 1;
    } else {
      lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "output_spec must be \"JsonObject\" or {\"JsonSchema\":{name, schema, strict}}");
      goto fail;
    }
  }
  if (r.oom || !lash__serde_normalize(body, 0)) { r.oom = 1; goto fail; }
  char *text = cJSON_PrintUnformatted(body);
  if (!text) { r.oom = 1; goto fail; }
  size_t n = strlen(text);
  out = lash__strndup(a, text, n);
  cJSON_free(text);
  if (!out) { r.oom = 1; goto fail; }
  if (len) *len = n;
  cJSON_Delete(body);
  cJSON_Delete(tools); /* an empty tool list stays out of the body */
  return out;
fail:
  if (r.oom) lash__err(e, LASH_E_NOMEM, NULL, NULL);
  cJSON_Delete(body);
  cJSON_Delete(msgs);
  cJSON_Delete(tools);
  return NULL;
}

/* ======================================================================
 * Stream (ChatStreamState / process_chat_sse_event / drive_streaming_chat)
 * ====================================================================== */

typedef struct {
  uint64_t index;
  lash_buf id, name, args;
  char *sig; /* owned: the reasoning.encrypted detail for replay */
} cc_call;

typedef struct {
  const char *kind, *text;
  size_t len;
} cc_delta;

struct lash_stream {
  lash_allocator alloc;
  lash_sse sse;
  lash_buf text, reasoning;
  cc_call *calls; /* sorted by index */
  size_t ncalls, capcalls;
  lash_openai_usage usage;
  cJSON *provider_usage; /* last non-null usage value */
  cJSON *last_event;     /* lash's final_response_raw */
  const char *terminal;  /* NULL: unknown so far */
  size_t used;           /* bytes held against LASH_STREAM_MAX_TEXT */
  int text_streamed, saw_event;
  lash_buf body; /* the body while no SSE event has appeared (a plain JSON reply) */
  int body_over;
  char lead; /* the body's first non-blank byte */
  lash_buf scratch, line;
  lash_buf piece; /* fast_event's strings */
  cc_delta *deltas;
  size_t ndeltas, capdeltas;
  lash_delta_fn on_delta;
  void *ud;
  int failed;
  lash_err err;
  char *err_raw; /* the error event's text (err.raw) */
};

static int s_fail(lash_stream *s, int code, const char *msg) {
  if (code == LASH_E_NOMEM) lash__err(&s->err, LASH_E_NOMEM, NULL, NULL);
  else lash__provider_err(&s->err, msg);
  s->failed = 1;
  return code;
}

static int s_oom(lash_stream *s) { return s_fail(s, LASH_E_NOMEM, NULL); }

static int charge(lash_stream *s, size_t add) {
  if (add > LASH_STREAM_MAX_TEXT - s->used) {
    char msg[96];
    snprintf(msg, sizeof msg, "Chat Completions response exceeds the %u-byte limit", (unsigned)LASH_STREAM_MAX_TEXT);
    return s_fail(s, LASH_E_INVALID_ARGUMENT, msg);
  }
  s->used += add;
  return LASH_OK;
}

static int take_usage(lash_stream *s, const cJSON *u) {
  cJSON *copy = cJSON_Duplicate(u, 1);
  if (!copy) return s_oom(s);
  cJSON_Delete(s->provider_usage);
  s->provider_usage = copy;
  lash_openai_usage n = lash__openai_usage_from(u);
  lash__openai_merge_usage(&s->usage, &n);
  return LASH_OK;
}

static const char *finish_map(const char *f) {
  if (!strcmp(f, "stop")) return "stop";
  if (!strcmp(f, "tool_calls") || !strcmp(f, "function_call")) return "tool_use";
  if (!strcmp(f, "length") || !strcmp(f, "max_tokens")) return "output_limit";
  if (!strcmp(f, "content_filter") || !strcmp(f, "safety")) return "content_filter";
  if (!*f) return NULL;
  return "provider_error";
}

/* ---- typed view of one event (ChatSseEvent / ChatSseChoice / ChatSseDelta) ---- */

/* serde_derive struct: an object (unknown keys ignored, a repeated known key is an
 * error) or an array read positionally. out[k] is NULL when absent. */
static int fields(const cJSON *v, const char *const *names, int n, const cJSON **out, const char *what, char *err, size_t errsz) {
  for (int k = 0; k < n; k++) out[k] = NULL;
  if (cJSON_IsObject(v)) {
    for (const cJSON *c = v->child; c; c = c->next)
      for (int k = 0; k < n; k++)
        if (!strcmp(c->string, names[k])) {
          if (out[k]) { snprintf(err, errsz, "duplicate field `%s`", names[k]); return 0; }
          out[k] = c;
        }
    return 1;
  }
  if (cJSON_IsArray(v)) {
    int k = 0;
    for (const cJSON *c = v->child; c; c = c->next, k++) {
      if (k >= n) { snprintf(err, errsz, "invalid length, expected %s with %d elements", what, n); return 0; }
      out[k] = c;
    }
    return 1;
  }
  snprintf(err, errsz, "invalid type, expected %s", what);
  return 0;
}

static const cJSON *nn(const cJSON *v) { return v && !cJSON_IsNull(v) ? v : NULL; }

typedef struct {
  const cJSON *delta, *finish, *usage;                                   /* choice */
  const cJSON *content, *rc, *r, *rt, *tool_calls, *details;             /* delta */
} cc_choice;

static int decode_choice(const cJSON *c, cc_choice *o, char *err, size_t errsz) {
  static const char *const cn[] = {"delta", "finish_reason", "usage"};
  static const char *const dn[] = {"content", "reasoning_content", "reasoning", "reasoning_text", "tool_calls", "reasoning_details"};
  const cJSON *f[3], *d[6];
  memset(o, 0, sizeof *o);
  if (!fields(c, cn, 3, f, "struct ChatSseChoice", err, errsz)) return 0;
  o->delta = nn(f[0]);
  o->finish = nn(f[1]);
  o->usage = nn(f[2]);
  if (o->finish && (!cJSON_IsString(o->finish) || o->finish->valueint)) {
    snprintf(err, errsz, "invalid type for finish_reason, expected a borrowed string");
    return 0;
  }
  if (!o->delta) return 1;
  if (!fields(o->delta, dn, 6, d, "struct ChatSseDelta", err, errsz)) return 0;
  o->content = nn(d[0]), o->rc = nn(d[1]), o->r = nn(d[2]), o->rt = nn(d[3]);
  o->tool_calls = nn(d[4]), o->details = nn(d[5]);
  const cJSON *strs[4] = {o->content, o->rc, o->r, o->rt};
  for (int k = 0; k < 4; k++)
    if (strs[k] && !cJSON_IsString(strs[k])) { snprintf(err, errsz, "invalid type for %s, expected a string", dn[k]); return 0; }
  if (o->tool_calls && !cJSON_IsArray(o->tool_calls)) { snprintf(err, errsz, "invalid type for tool_calls, expected a sequence"); return 0; }
  return 1;
}

/* ---- tool-call slots, by index ---- */

static cc_call *slot(lash_stream *s, uint64_t index) {
  size_t lo = 0, hi = s->ncalls;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (s->calls[mid].index < index) lo = mid + 1;
    else hi = mid;
  }
  if (lo < s->ncalls && s->calls[lo].index == index) return &s->calls[lo];
  if (s->ncalls >= CC_MAX_TOOL_CALLS) { s_fail(s, LASH_E_INVALID_ARGUMENT, "Chat Completions response has too many tool calls"); return NULL; }
  if (charge(s, CC_SLOT_COST)) return NULL;
  if (s->ncalls == s->capcalls) {
    size_t cap = s->capcalls ? s->capcalls * 2 : 4;
    cc_call *n = lash__realloc(&s->alloc, s->calls, cap * sizeof *n);
    if (!n) { s_oom(s); return NULL; }
    s->calls = n;
    s->capcalls = cap;
  }
  memmove(&s->calls[lo + 1], &s->calls[lo], (s->ncalls - lo) * sizeof *s->calls);
  cc_call *c = &s->calls[lo];
  memset(c, 0, sizeof *c);
  c->index = index;
  lash__buf_init(&c->id, &s->alloc);
  lash__buf_init(&c->name, &s->alloc);
  lash__buf_init(&c->args, &s->alloc);
  s->ncalls++;
  return c;
}

static int replace(lash_stream *s, lash_buf *b, const char *v) {
  size_t n = strlen(v);
  s->used -= b->len;
  b->len = 0;
  if (charge(s, n)) return s->err.code;
  if (!lash__buf_append(b, v, n)) return s_oom(s);
  return LASH_OK;
}

/* update_tool_call_delta */
static int tool_delta(lash_stream *s, const cJSON *tc) {
  cc_call *c = slot(s, as_u64(vget(tc, "index")));
  if (!c) return s->err.code;
  const char *id = vstr(vget(tc, "id"));
  const cJSON *fn = vget(tc, "function");
  const char *name = vstr(vget(fn, "name")), *args = vstr(vget(fn, "arguments"));
  if (id && *id && replace(s, &c->id, id)) return s->err.code;
  if (name && *name && replace(s, &c->name, name)) return s->err.code;
  if (args && *args) {
    size_t n = strlen(args);
    if (charge(s, n)) return s->err.code;
    if (!lash__buf_append(&c->args, args, n)) return s_oom(s);
  }
  return LASH_OK;
}

/* serde's compact to_string of a detail (keys sorted): replay's opaque text. */
static char *detail_text(const cJSON *d) {
  cJSON *copy = cJSON_Duplicate(d, 1);
  char *t = copy && lash__serde_normalize(copy, 0) ? cJSON_PrintUnformatted(copy) : NULL;
  cJSON_Delete(copy);
  return t;
}

static int encrypted_detail(const cJSON *d) {
  const char *t = vstr(vget(d, "type"));
  return t && !strcmp(t, "reasoning.encrypted") && vstr(vget(d, "id")) && vstr(vget(d, "data"));
}

/* apply_reasoning_details: the detail rides on the tool call with that id (lash
 * takes the first match in HashMap order; the lowest index here). */
static int apply_details(lash_stream *s, const cJSON *details) {
  const cJSON *d;
  if (!cJSON_IsArray(details)) return LASH_OK;
  cJSON_ArrayForEach(d, details) {
    if (!encrypted_detail(d)) continue;
    const char *id = vget(d, "id")->valuestring;
    for (size_t i = 0; i < s->ncalls; i++) {
      cc_call *c = &s->calls[i];
      if (strcmp(c->id.data ? c->id.data : "", id)) continue;
      char *t = detail_text(d);
      if (!t) return s_oom(s);
      size_t n = strlen(t);
      if (c->sig) s->used -= strlen(c->sig);
      if (charge(s, n)) { cJSON_free(t); return s->err.code; }
      char *own = lash__strndup(&s->alloc, t, n);
      cJSON_free(t);
      if (!own) return s_oom(s);
      lash__free(&s->alloc, c->sig);
      c->sig = own;
      break;
    }
  }
  return LASH_OK;
}

static int add_delta(lash_stream *s, const char *kind, const char *text, size_t len) {
  if (s->ndeltas == s->capdeltas) {
    size_t cap = s->capdeltas ? s->capdeltas * 2 : 8;
    cc_delta *n = lash__realloc(&s->alloc, s->deltas, cap * sizeof *n);
    if (!n) return s_oom(s);
    s->deltas = n;
    s->capdeltas = cap;
  }
  s->deltas[s->ndeltas++] = (cc_delta){kind, text, len};
  return LASH_OK;
}

static int push_piece(lash_stream *s, lash_buf *b, const char *kind, const char *piece) {
  size_t n = strlen(piece);
  if (!n) return LASH_OK;
  if (charge(s, n)) return s->err.code;
  if (!lash__buf_append(b, piece, n)) return s_oom(s);
  return add_delta(s, kind, piece, n);
}

/* lash reports the event's text deltas, then its reasoning deltas */
static void deliver(lash_stream *s) {
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < s->ndeltas; i++) {
      cc_delta *d = &s->deltas[i];
      if ((pass == 0) != (d->kind[0] == 't')) continue;
      if (!s->on_delta) continue;
      s->on_delta(s->ud, d->kind, d->text, d->len);
      if (pass == 0) s->text_streamed = 1;
    }
  s->ndeltas = 0;
}

/* process_chat_sse_event on one parsed event (taken: kept or freed). */
static int process_event(lash_stream *s, cJSON *ev) {
  static const char *const en[] = {"error", "usage", "choices"};
  const cJSON *f[3];
  char err[128] = "";
  char msg[200];
  cc_choice ch;
  if (!fields(ev, en, 3, f, "struct ChatSseEvent", err, sizeof err)) goto invalid;
  const cJSON *error = nn(f[0]), *usage = nn(f[1]), *choices = f[2];
  if (choices && !cJSON_IsArray(choices)) { snprintf(err, sizeof err, "invalid type for choices, expected a sequence"); goto invalid; }
  const cJSON *c;
  if (choices) cJSON_ArrayForEach(c, choices) if (!decode_choice(c, &ch, err, sizeof err)) goto invalid;
  if (error) {
    const char *m = vstr(vget(error, "message"));
    s_fail(s, LASH_E_INVALID_ARGUMENT, m ? m : "OpenAI-compatible chat stream error");
    s->err.retryable = lash__openai_error_retryable(error);
    lash__err_raw_event(&s->err, &s->err_raw, ev);
    cJSON_Delete(ev);
    return s->err.code;
  }
  if (usage && take_usage(s, usage)) { cJSON_Delete(ev); return s->err.code; }
  /* the whole event is kept: lash rebuilds parts from it when nothing streamed */
  cJSON_Delete(s->last_event);
  s->last_event = ev;
  s->ndeltas = 0;
  if (choices) cJSON_ArrayForEach(c, choices) {
    decode_choice(c, &ch, err, sizeof err);
    if (ch.usage && take_usage(s, ch.usage)) return s->err.code;
    if (!ch.delta) continue; /* lash skips finish_reason too */
    if (ch.content && push_piece(s, &s->text, "text", ch.content->valuestring)) return s->err.code;
    const cJSON *r = ch.rc ? ch.rc : ch.r ? ch.r : ch.rt; /* the first present field, even if empty */
    if (r && push_piece(s, &s->reasoning, "reasoning", r->valuestring)) return s->err.code;
    const cJSON *tc;
    if (ch.tool_calls) cJSON_ArrayForEach(tc, ch.tool_calls) if (tool_delta(s, tc)) return s->err.code;
    if (ch.finish) {
      const char *t = finish_map(ch.finish->valuestring);
      if (t) s->terminal = t;
    }
    if (ch.details && apply_details(s, ch.details)) return s->err.code;
  }
  deliver(s);
  return LASH_OK;
invalid:
  cJSON_Delete(ev);
  snprintf(msg, sizeof msg, "Invalid Chat Completions SSE payload: %s", err);
  return s_fail(s, LASH_E_INVALID_ARGUMENT, msg);
}

/* ---- the common chunk without a DOM ----
 * Most of a stream is {..., "choices":[{"index":0,"delta":{"content":"..."},"logprobs":null,
 * "finish_reason":null}],"usage":null}. fast_event reads exactly that shape from one
 * well-formed UTF-8 line: keys plain ASCII, "error" and "usage" null, one choice whose
 * delta has a non-empty string content and no other known field, its finish_reason and
 * usage null, every other member a string, null, boolean or plain integer. It then does
 * what process_event would; for anything else it returns -1 having changed nothing.
 * The event is not kept as last_event (dropped instead): once text has streamed the
 * response's parts never come from it. */

static int fc_key(jp_t *j, const char **k, size_t *n) {
  jp_ws(j);
  if (j->p >= j->end || *j->p != '"') return 0;
  const char *b = ++j->p;
  while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20 && (unsigned char)*j->p < 0x80) j->p++;
  if (j->p >= j->end || *j->p != '"') return 0;
  *k = b;
  *n = (size_t)(j->p++ - b);
  jp_ws(j);
  if (j->p >= j->end || *j->p != ':') return 0;
  j->p++;
  jp_ws(j);
  return 1;
}

static int fc_is(const char *k, size_t n, const char *w) { return strlen(w) == n && !memcmp(k, w, n); }

/* After a member: 1 at ',', 0 at close, -1 otherwise. */
static int fc_next(jp_t *j, char close) {
  jp_ws(j);
  if (j->p >= j->end) return -1;
  if (*j->p == ',') { j->p++; return 1; }
  if (*j->p == close) { j->p++; return 0; }
  return -1;
}

static int fc_word(jp_t *j, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n)) return 0;
  j->p += n;
  return 1;
}

/* A string (escapes checked, its raw text well-formed UTF-8), decoded into j->tmp. */
static int fc_string(jp_t *j) {
  const char *q = j->p;
  int esc;
  if (j->p >= j->end || *j->p != '"' || !jp_string(j, &esc)) return 0;
  return lash__utf8_whole(q, (size_t)(j->p - q));
}

/* An ignored member's value: a string, null, true, false or a plain integer. */
static int fc_scalar(jp_t *j) {
  if (j->p >= j->end) return 0;
  if (*j->p == '"') return fc_string(j);
  if (fc_word(j, "null") || fc_word(j, "true") || fc_word(j, "false")) return 1;
  if (*j->p == '-') j->p++;
  if (j->p >= j->end || *j->p < '0' || *j->p > '9') return 0;
  if (*j->p == '0') { j->p++; return 1; }
  for (int d = 0; j->p < j->end && *j->p >= '0' && *j->p <= '9'; d++, j->p++)
    if (d == 18) return 0;
  return 1;
}

/* [{"delta":{"content":"..."},"finish_reason":null,...}]: *content at the string. */
static int fc_choices(jp_t *j, const char **content) {
  static const char *const known[] = {"reasoning_content", "reasoning", "reasoning_text", "tool_calls", "reasoning_details"};
  const char *k;
  size_t n;
  int more, seen = 0;
  if (!fc_word(j, "[")) return 0;
  jp_ws(j);
  if (!fc_word(j, "{")) return 0;
  do {
    if (!fc_key(j, &k, &n)) return 0;
    if (fc_is(k, n, "delta")) {
      if (seen & 1 || !fc_word(j, "{")) return 0;
      seen |= 1;
      int dmore;
      do {
        if (!fc_key(j, &k, &n)) return 0;
        if (fc_is(k, n, "content")) {
          if (*content) return 0;
          *content = j->p;
          if (!fc_string(j)) return 0;
        } else {
          for (int x = 0; x < 5; x++)
            if (fc_is(k, n, known[x])) return 0;
          if (!fc_scalar(j)) return 0;
        }
      } while ((dmore = fc_next(j, '}')) > 0);
      if (dmore) return 0;
    } else if (fc_is(k, n, "finish_reason") || fc_is(k, n, "usage")) {
      int bit = k[0] == 'f' ? 2 : 4;
      if (seen & bit || !fc_word(j, "null")) return 0;
      seen |= bit;
    } else if (!fc_scalar(j)) {
      return 0;
    }
  } while ((more = fc_next(j, '}')) > 0);
  return !more && fc_next(j, ']') == 0;
}

static int fast_event(lash_stream *s, const char *data, size_t len) {
  if (len < 2 || data[0] != '{' || data[len - 1] != '}' || memchr(data, '\n', len)) return -1;
  jp_t j;
  memset(&j, 0, sizeof j);
  j.s = j.p = data + 1;
  j.end = data + len;
  j.tmp = s->piece;
  j.tmp.oom = 0; /* a failed append earlier is no reason to fall back now */
  const char *k, *content = NULL;
  size_t n;
  int more, seen = 0, ok = 0;
  do {
    if (!fc_key(&j, &k, &n)) goto out;
    if (fc_is(k, n, "error") || fc_is(k, n, "usage")) {
      int bit = k[0] == 'e' ? 1 : 2;
      if (seen & bit || !fc_word(&j, "null")) goto out;
      seen |= bit;
    } else if (fc_is(k, n, "choices")) {
      if (seen & 4 || !fc_choices(&j, &content)) goto out;
      seen |= 4;
    } else if (!fc_scalar(&j)) {
      goto out;
    }
  } while ((more = fc_next(&j, '}')) > 0);
  jp_ws(&j);
  if (more || !content || j.p != j.end) goto out;
  j.p = content; /* decode the content again: later strings reused the buffer */
  int esc;
  ok = jp_string(&j, &esc) && j.tmp.data && *j.tmp.data;
out:
  s->piece = j.tmp; /* kept for the next event */
  if (!ok) return -1;
  cJSON_Delete(s->last_event);
  s->last_event = NULL;
  s->ndeltas = 0;
  if (push_piece(s, &s->text, "text", s->piece.data)) return s->err.code;
  deliver(s);
  return LASH_OK;
}

/* One SSE event's data, as lash's SseBuffer + process_chat_sse_event read it:
 * lossy UTF-8, every data line trimmed, the whole trimmed, "[DONE]" skipped. */
static int on_event(void *ud, const char *data, size_t len) {
  lash_stream *s = ud;
  s->saw_event = 1;
  lash__buf_free(&s->body);
  int fast = fast_event(s, data, len);
  if (fast >= 0) return fast;
  s->scratch.len = 0;
  s->line.len = 0;
  if (!lash__utf8_lossy(&s->scratch, data, len)) return s_oom(s);
  const char *p = s->scratch.data ? s->scratch.data : "", *end = p + s->scratch.len;
  while (p <= end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    const char *t = p;
    size_t n = (size_t)(le - p);
    utrim(&t, &n);
    if (s->line.len && !lash__buf_append(&s->line, "\n", 1)) return s_oom(s);
    if (!lash__buf_append(&s->line, t, n)) return s_oom(s);
    if (!nl) break;
    p = nl + 1;
  }
  const char *raw = s->line.data ? s->line.data : "";
  size_t n = s->line.len;
  utrim(&raw, &n);
  if (!n || (n == 6 && !memcmp(raw, "[DONE]", 6))) return LASH_OK;
  int oom = 0;
  char err[128];
  cJSON *ev = strict_parse(&s->alloc, raw, n, &oom, err, sizeof err);
  if (oom) return s_oom(s);
  if (!ev) {
    char msg[200];
    snprintf(msg, sizeof msg, "Invalid Chat Completions SSE payload: %s", err);
    return s_fail(s, LASH_E_INVALID_ARGUMENT, msg);
  }
  return process_event(s, ev);
}

static lash_stream *stream_new(const lash_allocator *a) {
  lash_allocator al;
  memset(&al, 0, sizeof al);
  if (a) al = *a;
  lash_stream *s = lash__alloc(&al, sizeof *s);
  if (!s) return NULL;
  memset(s, 0, sizeof *s);
  s->alloc = al;
  lash__sse_init(&s->sse, &s->alloc, LASH_SSE_MAX_EVENT);
  lash__buf_init(&s->text, &s->alloc);
  lash__buf_init(&s->reasoning, &s->alloc);
  lash__buf_init(&s->body, &s->alloc);
  lash__buf_init(&s->scratch, &s->alloc);
  lash__buf_init(&s->line, &s->alloc);
  lash__buf_init(&s->piece, &s->alloc);
  return s;
}

static void stream_free(lash_stream *s) {
  if (!s) return;
  cJSON_free(s->err_raw);
  lash__sse_free(&s->sse);
  lash__buf_free(&s->text);
  lash__buf_free(&s->reasoning);
  lash__buf_free(&s->body);
  lash__buf_free(&s->scratch);
  lash__buf_free(&s->line);
  lash__buf_free(&s->piece);
  for (size_t i = 0; i < s->ncalls; i++) {
    lash__buf_free(&s->calls[i].id);
    lash__buf_free(&s->calls[i].name);
    lash__buf_free(&s->calls[i].args);
    lash__free(&s->alloc, s->calls[i].sig);
  }
  lash__free(&s->alloc, s->calls);
  lash__free(&s->alloc, s->deltas);
  cJSON_Delete(s->provider_usage);
  cJSON_Delete(s->last_event);
  lash__free(&s->alloc, s);
}

static int sse_status(lash_stream *s, int rc) {
  if (rc == LASH_OK || s->failed) return rc;
  if (rc == LASH_E_NOMEM) return s_oom(s);
  char msg[96];
  snprintf(msg, sizeof msg, "Chat Completions SSE event exceeds the %u-byte limit", (unsigned)LASH_SSE_MAX_EVENT);
  return s_fail(s, LASH_E_INVALID_ARGUMENT, msg);
}

static int stream_feed(lash_stream *s, const char *bytes, size_t len, lash_delta_fn on_delta, void *ud, lash_err *e) {
  if (!s->failed && len && !bytes) s_fail(s, LASH_E_INVALID_ARGUMENT, "null buffer");
  for (size_t i = 0; !s->failed && !s->lead && i < len; i++)
    if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r' && bytes[i] != '\n') s->lead = bytes[i];
  if (!s->failed && !s->saw_event && !s->body_over) {
    /* keep the body until an event shows up: it may be a plain JSON reply */
    if (s->body.len + len > LASH_SSE_MAX_EVENT) { s->body_over = 1; lash__buf_free(&s->body); }
    else if (!lash__buf_append(&s->body, bytes, len)) s_oom(s);
  }
  if (!s->failed) {
    s->on_delta = on_delta;
    s->ud = ud;
    sse_status(s, lash__sse_feed(&s->sse, bytes, len, on_event, s));
    s->on_delta = NULL;
    s->ud = NULL;
  }
  if (s->failed) {
    if (e) *e = s->err;
    return s->err.code;
  }
  return LASH_OK;
}

/* ---- the LlmResponse ---- */

typedef struct {
  cJSON *parts;
  int oom, has_tool, has_content;
} parts_t;

static void part_text(parts_t *p, const char *text) {
  cJSON *o = push(p->parts, cJSON_CreateObject(), &p->oom), *in = cJSON_AddObjectToObject(o, "Text");
  if (!cJSON_AddStringToObject(in, "text", text) || !cJSON_AddNullToObject(in, "response_meta")) p->oom = 1;
  if (*text) p->has_content = 1;
}

static void part_reasoning(parts_t *p, const char *text) {
  cJSON *o = push(p->parts, cJSON_CreateObject(), &p->oom), *in = cJSON_AddObjectToObject(o, "Reasoning");
  if (!cJSON_AddStringToObject(in, "text", text) || !cJSON_AddNullToObject(in, "replay")) p->oom = 1;
  p->has_content = 1;
}

static void part_call(parts_t *p, const char *id, const char *name, const char *args, const char *opaque) {
  cJSON *o = push(p->parts, cJSON_CreateObject(), &p->oom), *in = cJSON_AddObjectToObject(o, "ToolCall");
  if (!cJSON_AddStringToObject(in, "call_id", id) || !cJSON_AddStringToObject(in, "tool_name", name) ||
      !cJSON_AddStringToObject(in, "input_json", args))
    p->oom = 1;
  if (opaque) {
    cJSON *r = cJSON_AddObjectToObject(in, "replay");
    if (!cJSON_AddStringToObject(r, "opaque", opaque)) p->oom = 1;
  } else if (!cJSON_AddNullToObject(in, "replay")) p->oom = 1;
  p->has_tool = p->has_content = 1;
}

/* chat_response_parts_from_value: a whole (non-streamed) choices[0].message. */
static void parts_from_value(lash_stream *s, parts_t *p, const cJSON *value) {
  const cJSON *choices = vget(value, "choices");
  const cJSON *choice = cJSON_IsArray(choices) ? choices->child : NULL;
  const cJSON *msg = vget(choice, "message");
  if (!msg) return;
  static const char *const rf[] = {"reasoning_content", "reasoning", "reasoning_text"};
  for (int k = 0; k < 3; k++) {
    const char *t = vstr(vget(msg, rf[k]));
    if (t && !blank(t)) { part_reasoning(p, t); break; }
  }
  const cJSON *content = vget(msg, "content");
  lash_buf text;
  lash__buf_init(&text, &s->alloc);
  if (vstr(content)) lash__buf_puts(&text, content->valuestring);
  else if (cJSON_IsArray(content)) {
    const cJSON *x;
    cJSON_ArrayForEach(x, content) {
      const char *t = vstr(vget(x, "type")), *tx = vstr(vget(x, "text"));
      if (t && !strcmp(t, "text") && tx) lash__buf_puts(&text, tx);
    }
  }
  if (text.oom) p->oom = 1;
  else if (text.len) part_text(p, text.data);
  lash__buf_free(&text);
  const cJSON *details = vget(msg, "reasoning_details"), *calls = vget(msg, "tool_calls"), *tc;
  if (!cJSON_IsArray(calls)) return;
  int pos = 0;
  cJSON_ArrayForEach(tc, calls) {
    const cJSON *fn = vget(tc, "function");
    const char *name = vstr(vget(fn, "name"));
    if (!fn || !name) { pos++; continue; }
    const char *args = vstr(vget(fn, "arguments"));
    const char *id = vstr(vget(tc, "id"));
    char gen[32];
    snprintf(gen, sizeof gen, "call_%d", pos++);
    /* the last encrypted detail with this id (a HashMap keeps the last insert) */
    const cJSON *hit = NULL, *d;
    if (id && cJSON_IsArray(details)) cJSON_ArrayForEach(d, details) if (encrypted_detail(d) && !strcmp(vget(d, "id")->valuestring, id)) hit = d;
    char *opaque = hit ? detail_text(hit) : NULL;
    if (hit && !opaque) p->oom = 1;
    part_call(p, id ? id : gen, name, args ? args : "{}", opaque);
    cJSON_free(opaque);
  }
}

static const char *terminal_from_parts(const parts_t *p) { return p->has_tool ? "tool_use" : "stop"; }

static cJSON *response(lash_stream *s, parts_t *p, const char *full_text, const lash_openai_usage *u, const char *terminal,
                       const cJSON *provider_usage) {
  cJSON *r = cJSON_CreateObject();
  int oom = p->oom;
  if (!cJSON_AddStringToObject(r, "full_text", full_text)) oom = 1;
  put(r, "parts", p->parts, &oom);
  p->parts = NULL;
  cJSON *us = cJSON_AddObjectToObject(r, "usage");
  if (!cJSON_AddNumberToObject(us, "input_tokens", (double)u->input) || !cJSON_AddNumberToObject(us, "output_tokens", (double)u->output) ||
      !cJSON_AddNumberToObject(us, "cached_input_tokens", (double)u->cached) ||
      !cJSON_AddNumberToObject(us, "reasoning_tokens", (double)u->reasoning) || !cJSON_AddStringToObject(r, "terminal_reason", terminal) ||
      !cJSON_AddNullToObject(r, "terminal_diagnostic") || !cJSON_AddBoolToObject(r, "text_streamed", s->text_streamed))
    oom = 1;
  put(r, "provider_usage", provider_usage ? cJSON_Duplicate(provider_usage, 1) : cJSON_CreateNull(), &oom);
  if (oom) {
    cJSON_Delete(r);
    s_oom(s);
    return NULL;
  }
  return r;
}

/* complete_buffered_chat: the reply was one JSON document, not an event stream. */
static cJSON *finish_buffered(lash_stream *s) {
  if (s->body_over) {
    char msg[96];
    snprintf(msg, sizeof msg, "Chat Completions response exceeds the %u-byte limit", (unsigned)LASH_SSE_MAX_EVENT);
    s_fail(s, LASH_E_INVALID_ARGUMENT, msg);
    return NULL;
  }
  s->scratch.len = 0;
  if (!lash__utf8_lossy(&s->scratch, s->body.data ? s->body.data : "", s->body.len)) { s_oom(s); return NULL; }
  int oom = 0;
  char err[128], msg[200];
  cJSON *v = strict_parse(&s->alloc, s->scratch.data ? s->scratch.data : "", s->scratch.len, &oom, err, sizeof err);
  if (!v) {
    if (oom) s_oom(s);
    else {
      snprintf(msg, sizeof msg, "Invalid Chat Completions JSON: %s", err);
      s_fail(s, LASH_E_INVALID_ARGUMENT, msg);
    }
    return NULL;
  }
  parts_t p = {cJSON_CreateArray(), 0, 0, 0};
  if (!p.parts) p.oom = 1;
  else parts_from_value(s, &p, v);
  const cJSON *u = vget(v, "usage");
  lash_openai_usage usage = lash__openai_usage_from(u);
  /* full_text: the Text parts joined */
  lash_buf full;
  lash__buf_init(&full, &s->alloc);
  const cJSON *x;
  cJSON_ArrayForEach(x, p.parts) {
    const char *t = vstr(vget(vget(x, "Text"), "text"));
    if (t) lash__buf_puts(&full, t);
  }
  const cJSON *choices = vget(v, "choices");
  const char *fin = vstr(vget(cJSON_IsArray(choices) ? choices->child : NULL, "finish_reason"));
  const char *terminal = finish_map(fin ? fin : "");
  cJSON *r = NULL;
  if (full.oom || p.oom) s_oom(s);
  else if (!p.has_content) s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI-compatible empty_response");
  else r = response(s, &p, full.data ? full.data : "", &usage, terminal ? terminal : terminal_from_parts(&p), u);
  lash__buf_free(&full);
  cJSON_Delete(p.parts);
  cJSON_Delete(v);
  return r;
}

static cJSON *stream_finish(lash_stream *s, lash_delta_fn on_delta, void *ud, lash_err *e) {
  cJSON *r = NULL;
  s->on_delta = on_delta;
  s->ud = ud;
  if (!s->failed) sse_status(s, lash__sse_finish(&s->sse, on_event, s));
  s->on_delta = NULL;
  s->ud = NULL;
  /* lash picks the buffered path by content type, which is not seen here: a
   * body without events that opens like a JSON document is taken for one */
  if (!s->failed && !s->saw_event && (s->lead == '{' || s->lead == '[')) r = finish_buffered(s);
  else if (!s->failed) {
    /* ChatStreamState::parts */
    parts_t p = {cJSON_CreateArray(), 0, 0, 0};
    if (!p.parts) p.oom = 1;
    if (s->reasoning.len && !blank(s->reasoning.data)) part_reasoning(&p, s->reasoning.data);
    if (s->text.len) part_text(&p, s->text.data);
    for (size_t i = 0; i < s->ncalls; i++) {
      cc_call *c = &s->calls[i];
      if (!c->name.len) continue;
      char gen[32];
      snprintf(gen, sizeof gen, "call_%llu", (unsigned long long)c->index); /* lash: a uuid */
      part_call(&p, c->id.len ? c->id.data : gen, c->name.data, c->args.len ? c->args.data : "{}", c->sig);
    }
    if (!p.oom && !cJSON_GetArraySize(p.parts) && s->last_event) parts_from_value(s, &p, s->last_event);
    if (p.oom) s_oom(s);
    else if (!p.has_content) s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI-compatible empty_response");
    else
      r = response(s, &p, s->text.data ? s->text.data : "", &s->usage, s->terminal ? s->terminal : terminal_from_parts(&p),
                   s->provider_usage);
    cJSON_Delete(p.parts);
  }
  if (!r && e) *e = s->err;
  return r;
}

const lash_dialect lash__dialect_chat_completions = {
    "openai-compatible", request_body, stream_new, stream_feed, stream_finish, stream_free,
};
