/* Port of lash-plugin-tool-output-budget's projector (lib.rs) and the ToolValue /
 * ModelToolReturn rules it leans on (lash-sansio tool_output.rs). Behaviour follows the
 * Rust, including its quirks (e.g. a batch child rendered as text is re-read as JSON). */
#include "plugins/budget.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"

#define TAG_KEY "$lash_tool_value" /* tool_output.rs TAG_KEY */

/* lib.rs truncation_hint(), split where the `Full output saved to:` line goes. */
#define HINT_HEAD "The tool output was truncated. "
#define HINT_PATH "Full output saved to: "
#define HINT_REST                                                                          \
  "Use `read_file` with `offset`/`limit` or `grep` to inspect specific sections instead " \
  "of reading the whole file at once."
static const char k_hint_plain[] = HINT_HEAD HINT_REST;
static const char k_cfg_arg[] = "tool_output_budget";

/* ---------------------------------------------------------------- config */

void lash__budget_default(lash_budget_cfg *cfg) {
  cfg->mode = LASH_BUDGET_BYTES;
  cfg->limit = 16 * 1024; /* DEFAULT_TOOL_OUTPUT_BUDGET_LIMIT_BYTES */
  cfg->max_lines = 400;   /* DEFAULT_TOOL_OUTPUT_BUDGET_MAX_LINES */
}

/* serde rejects a repeated field and a null for a non-Option field. */
static int cfg_field(const cJSON *obj, const char *key, const cJSON **out, lash_err *e) {
  *out = NULL;
  for (const cJSON *c = obj->child; c; c = c->next) {
    if (!c->string || strcmp(c->string, key)) continue;
    if (*out) return lash__err(e, LASH_E_INVALID_ARGUMENT, k_cfg_arg, "duplicate field `%s`", key);
    *out = c;
  }
  if (*out && cJSON_IsNull(*out))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, k_cfg_arg, "`%s` must not be null", key);
  return LASH_OK;
}

static int cfg_size(const cJSON *obj, const char *key, size_t *out, lash_err *e) {
  const cJSON *v;
  int rc = cfg_field(obj, key, &v, e);
  if (rc || !v) return rc;
  int present;
  uint64_t n;
  if ((rc = lash__json_opt_u64(obj, key, 1, k_cfg_arg, &present, &n, e))) return rc;
#if SIZE_MAX < UINT64_MAX
  if (n > SIZE_MAX) n = SIZE_MAX; /* wasm32: a bigger budget than memory is "unlimited" */
#endif
  *out = (size_t)n;
  return LASH_OK;
}

int lash__budget_from_json(const cJSON *cfg_json, lash_budget_cfg *out, lash_err *e) {
  lash_budget_cfg cfg;
  lash__budget_default(&cfg);
  if (lash__json_is_nullish(cfg_json)) {
    *out = cfg;
    return LASH_OK;
  }
  if (!cJSON_IsObject(cfg_json))
    return lash__err(e, LASH_E_INVALID_ARGUMENT, k_cfg_arg, "must be an object");
  const cJSON *mode;
  int rc = cfg_field(cfg_json, "mode", &mode, e);
  if (rc) return rc;
  if (mode) {
    if (cJSON_IsString(mode) && !strcmp(mode->valuestring, "bytes")) cfg.mode = LASH_BUDGET_BYTES;
    else if (cJSON_IsString(mode) && !strcmp(mode->valuestring, "tokens")) cfg.mode = LASH_BUDGET_TOKENS;
    else return lash__err(e, LASH_E_INVALID_ARGUMENT, k_cfg_arg, "`mode` must be \"bytes\" or \"tokens\"");
  }
  if ((rc = cfg_size(cfg_json, "limit", &cfg.limit, e))) return rc;
  if ((rc = cfg_size(cfg_json, "max_lines", &cfg.max_lines, e))) return rc;
  *out = cfg;
  return LASH_OK;
}

/* ---------------------------------------------------------------- text core */

typedef struct {
  const char *s;
  size_t len;
} span;

static size_t sat_add(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }
/* approx_token_count / approx_tokens_from_byte_count: ceil(bytes / 4). */
static size_t approx_tokens(size_t bytes) { return sat_add(bytes, 3) / 4; }

/* Rust chars().count(): every byte that is not a UTF-8 continuation byte. */
static size_t count_chars(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

/* Rust lines().count(): one line per '\n', plus an unterminated last line. */
static size_t count_lines(const char *s, size_t n) {
  size_t c = 0;
  const char *p = s, *end = s + n;
  while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) { c++; p++; }
  return c + (n && s[n - 1] != '\n');
}

/* Rust str::lines(): the '\n' and one '\r' before it are dropped; a trailing '\n'
 * yields no empty line. */
static int next_line(const char *s, size_t n, size_t *pos, span *out) {
  if (*pos >= n) return 0;
  const char *p = s + *pos;
  const char *nl = memchr(p, '\n', n - *pos);
  if (!nl) {
    out->s = p;
    out->len = n - *pos;
    *pos = n;
    return 1;
  }
  size_t l = (size_t)(nl - p);
  *pos += l + 1;
  if (l && p[l - 1] == '\r') l--;
  out->s = p;
  out->len = l;
  return 1;
}

/* The same lines walked from the end; *end is where the unread text stops. */
static int prev_line(const char *s, size_t *end, span *out) {
  if (*end == 0) return 0;
  size_t stop = *end;
  int nl = s[stop - 1] == '\n';
  if (nl) stop--;
  size_t b = stop;
  while (b > 0 && s[b - 1] != '\n') b--;
  size_t l = stop - b;
  if (nl && l && s[b + l - 1] == '\r') l--;
  out->s = s + b;
  out->len = l;
  *end = b;
  return 1;
}

/* Largest offset <= max on a UTF-8 boundary (lib.rs char_floor). */
static size_t char_floor(const char *s, size_t len, size_t max) {
  if (max >= len) return len;
  size_t cut = max;
  while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
  return cut;
}

static int needs_truncation(const lash_budget_cfg *cfg, const char *s, size_t n) {
  if (count_lines(s, n) > cfg->max_lines) return 1;
  return cfg->mode == LASH_BUDGET_TOKENS ? approx_tokens(n) > cfg->limit : n > cfg->limit;
}

static char *finish(lash_buf *b, size_t *out_len) {
  size_t n = 0;
  char *r = lash__buf_take(b, &n);
  if (out_len) *out_len = r ? n : 0;
  return r;
}

static char *dup_text(const lash_allocator *a, const char *s, size_t n, size_t *out_len) {
  char *r = lash__strndup(a, s, n);
  if (out_len) *out_len = r ? n : 0;
  return r;
}

/* lib.rs truncate_windowed(): keep whole lines from one end while they fit both caps;
 * a first line alone over the byte cap is cut (keeping its head, even in tail mode). */
static char *windowed(const lash_allocator *a, const char *text, size_t len, size_t max_lines,
                      size_t max_bytes, int tail, int tokens, const char *hint, size_t hint_len,
                      size_t *out_len) {
  size_t nlines = count_lines(text, len);
  if (nlines <= max_lines && len <= max_bytes) return dup_text(a, text, len, out_len);

  size_t kept = 0, bytes = 0, from = 0, cut = 0, pos = tail ? len : 0;
  const char *cut_at = NULL;
  int hit_budget = 0;
  span ln;
  while (kept < max_lines && (tail ? prev_line(text, &pos, &ln) : next_line(text, len, &pos, &ln))) {
    size_t sep = kept > 0; /* the '\n' re-joined between kept lines */
    size_t room = max_bytes > bytes ? max_bytes - bytes : 0;
    if (room >= sep && ln.len <= room - sep) {
      kept++;
      bytes += ln.len + sep;
      if (tail) from = (size_t)(ln.s - text);
      continue;
    }
    hit_budget = 1;
    if (kept == 0 && room > 0) {
      cut = char_floor(ln.s, ln.len, room);
      if (cut) cut_at = ln.s;
    }
    break;
  }

  lash_buf pv;
  lash__buf_init(&pv, a);
  if (cut_at) {
    lash__buf_append(&pv, cut_at, cut);
  } else {
    size_t p = from;
    for (size_t i = 0; i < kept && next_line(text, len, &p, &ln); i++) {
      if (i) lash__buf_append(&pv, "\n", 1);
      lash__buf_append(&pv, ln.s, ln.len);
    }
  }
  size_t n_preview = kept + (cut_at != NULL);

  size_t removed;
  const char *unit;
  if (!hit_budget) {
    removed = nlines > n_preview ? nlines - n_preview : 0;
    unit = "lines";
  } else if (tokens) {
    removed = approx_tokens(len > pv.len ? len - pv.len : 0);
    unit = "tokens";
  } else { /* TruncationUnit::Bytes counts removed chars but says "bytes" */
    size_t tc = count_chars(text, len), pc = count_chars(pv.data ? pv.data : "", pv.len);
    removed = tc > pc ? tc - pc : 0;
    unit = "bytes";
  }

  if (!tail) {
    lash__buf_printf(&pv, "\n\n...%zu %s truncated...\n\n", removed, unit);
    lash__buf_append(&pv, hint, hint_len);
    return finish(&pv, out_len);
  }
  lash_buf out;
  lash__buf_init(&out, a);
  lash__buf_printf(&out, "...%zu %s truncated...\n\n", removed, unit);
  lash__buf_append(&out, hint, hint_len);
  lash__buf_append(&out, "\n\n", 2);
  if (pv.oom) out.oom = 1;
  else lash__buf_append(&out, pv.data ? pv.data : "", pv.len);
  lash__buf_free(&pv);
  return finish(&out, out_len);
}

/* lib.rs truncate_text_with_hint(). */
char *lash__budget_truncate_text_hint(const lash_allocator *a, const lash_budget_cfg *cfg,
                                      const char *text, size_t len, int keep_tail,
                                      const char *hint, size_t hint_len, size_t *out_len) {
  if (!text || !len) return dup_text(a, "", 0, out_len);
  int tokens = cfg->mode == LASH_BUDGET_TOKENS;
  size_t max_bytes = tokens ? (cfg->limit > SIZE_MAX / 4 ? SIZE_MAX : cfg->limit * 4) : cfg->limit;
  if (max_bytes == 0) { /* format_truncation_marker(): a different, ellipsis-char form */
    lash_buf b;
    lash__buf_init(&b, a);
    if (tokens) lash__buf_printf(&b, "\xE2\x80\xA6%zu tokens truncated\xE2\x80\xA6", approx_tokens(len));
    else lash__buf_printf(&b, "\xE2\x80\xA6%zu chars truncated\xE2\x80\xA6", count_chars(text, len));
    return finish(&b, out_len);
  }
  if (!needs_truncation(cfg, text, len)) return dup_text(a, text, len, out_len);
  return windowed(a, text, len, cfg->max_lines, max_bytes, keep_tail, tokens, hint ? hint : "",
                  hint ? hint_len : 0, out_len);
}

char *lash__budget_truncate_text(const lash_allocator *a, const lash_budget_cfg *cfg,
                                 const char *text, size_t len, int keep_tail, size_t *out_len) {
  return lash__budget_truncate_text_hint(a, cfg, text, len, keep_tail, k_hint_plain,
                                         sizeof k_hint_plain - 1, out_len);
}

/* lib.rs truncate_observation_text() with observation_truncation_hint(). */
char *lash__budget_truncate_observation(const lash_allocator *a, const lash_budget_cfg *cfg,
                                        const char *text, size_t len, size_t *out_len) {
  if (!text) len = 0;
  if (!len || !needs_truncation(cfg, text, len)) return dup_text(a, text ? text : "", len, out_len);
  int tokens = cfg->mode == LASH_BUDGET_TOKENS;
  const char *unit = tokens ? "tokens" : "bytes";
  lash_buf h;
  lash__buf_init(&h, a);
  lash__buf_printf(&h,
                   "The print output was capped at %zu %s and %zu lines max; original size was %zu "
                   "%s across %zu lines. Use a narrower `print` expression to inspect specific "
                   "fields or slices instead of dumping the whole value at once.",
                   cfg->limit, unit, cfg->max_lines, tokens ? approx_tokens(len) : len, unit,
                   count_lines(text, len));
  size_t hint_len;
  char *hint = finish(&h, &hint_len);
  if (!hint) return NULL;
  char *r = lash__budget_truncate_text_hint(a, cfg, text, len, 0, hint, hint_len, out_len);
  lash__free(a, hint);
  return r;
}

/* ---------------------------------------------------------------- JSON helpers */

/* serde_json::Map keeps the last of repeated keys. */
static const cJSON *get_last(const cJSON *obj, const char *key) {
  const cJSON *hit = NULL;
  if (!cJSON_IsObject(obj)) return NULL;
  for (const cJSON *c = obj->child; c; c = c->next)
    if (c->string && !strcmp(c->string, key)) hit = c;
  return hit;
}

static const char *key_of(const cJSON *c) { return c->string ? c->string : ""; }

typedef struct {
  const cJSON *item;
  size_t idx;
} member;

static int member_cmp(const void *x, const void *y) {
  const member *a = x, *b = y;
  int c = strcmp(key_of(a->item), key_of(b->item)); /* bytewise, like String's Ord */
  return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* An object as a BTreeMap sees it: keys sorted, each key's last value. Owned array. */
static int sorted_members(const lash_allocator *a, const cJSON *obj, member **out, size_t *n_out) {
  size_t n = 0;
  *out = NULL;
  *n_out = 0;
  for (const cJSON *c = obj->child; c; c = c->next) n++;
  if (!n) return 1;
  member *m = lash__alloc(a, n * sizeof *m);
  if (!m) return 0;
  n = 0;
  for (const cJSON *c = obj->child; c; c = c->next, n++) m[n] = (member){c, n};
  qsort(m, n, sizeof *m, member_cmp);
  size_t j = 0;
  for (size_t i = 0; i < n; i++)
    if (i + 1 == n || strcmp(key_of(m[i].item), key_of(m[i + 1].item))) m[j++] = m[i];
  *out = m;
  *n_out = j;
  return 1;
}

enum { TV_PLAIN, TV_ATTACHMENT, TV_ESCAPED };

/* How ToolValue's decoder reads an object: {TAG:"attachment","ref"} and
 * {TAG:"object","entries"} (exactly those two keys). A malformed tag stays a plain
 * object here; lash would have refused the whole output. */
static int classify(const cJSON *obj, const cJSON **inner) {
  const cJSON *tag = get_last(obj, TAG_KEY);
  if (!cJSON_IsString(tag)) return TV_PLAIN;
  int att = !strcmp(tag->valuestring, "attachment"), esc = !strcmp(tag->valuestring, "object");
  const char *other = att ? "ref" : esc ? "entries" : NULL;
  if (!other) return TV_PLAIN;
  for (const cJSON *c = obj->child; c; c = c->next)
    if (strcmp(key_of(c), TAG_KEY) && strcmp(key_of(c), other)) return TV_PLAIN;
  const cJSON *v = get_last(obj, other);
  if (!cJSON_IsObject(v)) return TV_PLAIN;
  *inner = v;
  return att ? TV_ATTACHMENT : TV_ESCAPED;
}

/* serde_json string escaping (util/buf.c). */
static int json_string(lash_buf *b, const char *s, size_t n) { return lash__buf_json_string(b, s, n); }

/* serde_json number text. Integers print as integers (cJSON keeps only a double, so
 * a float literal like 1.0 prints as 1); other values use ryu's shortest round-trip
 * digits in ryu's layout (0.001, 1.5e-7, 1e20). */
static int json_number(lash_buf *b, double d) {
  if (!isfinite(d)) return lash__buf_puts(b, "null");
  if (d == 0) return lash__buf_puts(b, signbit(d) ? "-0.0" : "0"); /* serde reads -0 as f64 */
  if (d == floor(d)) {
    if (d > 0 && d < 18446744073709551616.0) return lash__buf_printf(b, "%llu", (unsigned long long)d);
    if (d < 0 && d >= -9223372036854775808.0) return lash__buf_printf(b, "%lld", (long long)d);
  }
  char tmp[40];
  for (int p = 1; p <= 17; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
    if (strtod(tmp, NULL) == d) break;
  }
  char dig[24];
  int nd = 0, neg = tmp[0] == '-';
  const char *q = tmp + neg;
  for (; *q && *q != 'e'; q++)
    if (*q >= '0' && *q <= '9' && nd < (int)sizeof dig) dig[nd++] = *q;
  int e10 = *q ? atoi(q + 1) : 0;
  while (nd > 1 && dig[nd - 1] == '0') nd--;
  int k = e10 - (nd - 1), kk = nd + k; /* value = digits * 10^k, 10^(kk-1) <= |v| < 10^kk */
  if (neg) lash__buf_append(b, "-", 1);
  if (k >= 0 && kk <= 16) {
    lash__buf_append(b, dig, (size_t)nd);
    for (int i = 0; i < k; i++) lash__buf_append(b, "0", 1);
    return lash__buf_append(b, ".0", 2);
  }
  if (kk > 0 && kk <= 16) {
    lash__buf_append(b, dig, (size_t)kk);
    lash__buf_append(b, ".", 1);
    return lash__buf_append(b, dig + kk, (size_t)(nd - kk));
  }
  if (kk > -5 && kk <= 0) {
    lash__buf_append(b, "0.", 2);
    for (int i = 0; i < -kk; i++) lash__buf_append(b, "0", 1);
    return lash__buf_append(b, dig, (size_t)nd);
  }
  lash__buf_append(b, dig, 1);
  if (nd > 1) {
    lash__buf_append(b, ".", 1);
    lash__buf_append(b, dig + 1, (size_t)(nd - 1));
  }
  return lash__buf_printf(b, "e%d", kk - 1);
}

/* ---------------------------------------------------------------- projection */

typedef struct {
  const lash_allocator *a;
  const lash_budget_cfg *cfg;
  int tail;              /* tool_projection_direction() */
  const char *full_path; /* existing_tool_output_path(); borrowed, may be NULL */
} pctx;

/* ModelToolReturn parts under construction; text runs merge like push_text_part(). */
typedef struct {
  cJSON *parts; /* NULL when only text is collected */
  lash_buf text;
} sink;

static int tail_for(const char *tool) {
  return !strcmp(tool, "exec_command") || !strcmp(tool, "write_stdin");
}

static int add_obj(cJSON *obj, const char *key, cJSON *item) {
  if (!item) return 0;
  if (!cJSON_AddItemToObject(obj, key, item)) {
    cJSON_Delete(item);
    return 0;
  }
  return 1;
}

static int add_text_part(cJSON *parts, const char *text) {
  cJSON *p = cJSON_CreateObject();
  if (!p) return 0;
  if (!add_obj(p, "type", cJSON_CreateString("text")) || !add_obj(p, "text", cJSON_CreateString(text)) ||
      !cJSON_AddItemToArray(parts, p)) {
    cJSON_Delete(p);
    return 0;
  }
  return 1;
}

/* ModelToolReturnPart::Attachment: "type" then AttachmentRef's fields in declaration
 * order; absent/null optionals are skipped (skip_serializing_if). */
static int add_attachment_part(cJSON *parts, const cJSON *ref) {
  static const char *const fields[] = {"id", "media_type", "byte_len", "width", "height", "label"};
  cJSON *p = cJSON_CreateObject();
  if (!p) return 0;
  int ok = add_obj(p, "type", cJSON_CreateString("attachment"));
  for (size_t i = 0; ok && i < sizeof fields / sizeof *fields; i++) {
    const cJSON *v = get_last(ref, fields[i]);
    if (!v || (i >= 3 && cJSON_IsNull(v))) continue;
    ok = add_obj(p, fields[i], cJSON_Duplicate(v, 1));
  }
  if (!ok || !cJSON_AddItemToArray(parts, p)) {
    cJSON_Delete(p);
    return 0;
  }
  return 1;
}

static int sink_flush(sink *s) {
  if (s->text.oom) return 0;
  if (!s->text.len) return 1;
  if (!add_text_part(s->parts, s->text.data)) return 0;
  s->text.len = 0;
  s->text.data[0] = '\0';
  return 1;
}

/* existing_tool_output_path(): `full_output_path` of the value as lash re-serializes it
 * (an object holding the tag key is re-escaped, so it has none); blank paths ignored. */
static const char *full_output_path(const cJSON *v, int decoded) {
  const cJSON *inner = NULL;
  if (!cJSON_IsObject(v)) return NULL;
  if (decoded) {
    int kind = classify(v, &inner);
    if (kind == TV_ATTACHMENT) return NULL;
    if (kind == TV_ESCAPED) v = inner;
  }
  if (get_last(v, TAG_KEY)) return NULL;
  const cJSON *p = get_last(v, "full_output_path");
  if (!cJSON_IsString(p)) return NULL;
  /* Rust trim(): Unicode White_Space */
  for (const unsigned char *s = (const unsigned char *)p->valuestring; *s;) {
    unsigned c = *s, n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    c &= n ? 0x3Fu >> n : 0x7F;
    for (unsigned i = 1; i <= n; i++) {
      if ((s[i] & 0xC0) != 0x80) return p->valuestring;
      c = (c << 6) | (s[i] & 0x3F);
    }
    s += n + 1;
    if (!((c >= 9 && c <= 13) || c == ' ' || c == 0x85 || c == 0xA0 || c == 0x1680 ||
          (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
          c == 0x205F || c == 0x3000))
      return p->valuestring;
  }
  return NULL;
}

/* lib.rs project_text(): untouched when it fits, else windowed with the tool hint. */
static char *project_text(const pctx *c, const char *s, size_t *out_len) {
  size_t n = strlen(s);
  if (!needs_truncation(c->cfg, s, n)) return dup_text(c->a, s, n, out_len);
  if (!c->full_path)
    return lash__budget_truncate_text_hint(c->a, c->cfg, s, n, c->tail, k_hint_plain,
                                           sizeof k_hint_plain - 1, out_len);
  lash_buf h;
  lash__buf_init(&h, c->a);
  lash__buf_puts(&h, HINT_HEAD HINT_PATH);
  lash__buf_puts(&h, c->full_path);
  lash__buf_puts(&h, "\n" HINT_REST);
  size_t hint_len;
  char *hint = finish(&h, &hint_len);
  if (!hint) return NULL;
  char *r = lash__budget_truncate_text_hint(c->a, c->cfg, s, n, c->tail, hint, hint_len, out_len);
  lash__free(c->a, hint);
  return r;
}

static int render_members(const pctx *c, sink *s, const cJSON *obj, int decode);

/* push_projected_tool_value_parts(): compact JSON with string leaves projected (c) or
 * verbatim (c == NULL, plain serde_json::to_string). decode reads ToolValue tags, so
 * attachments become parts; without it the value is plain JSON (From<Value>). */
static int render_value(const pctx *c, sink *s, const cJSON *v, int decode) {
  lash_buf *b = &s->text;
  if (!v || cJSON_IsNull(v) || cJSON_IsInvalid(v)) return lash__buf_puts(b, "null");
  if (cJSON_IsFalse(v)) return lash__buf_puts(b, "false");
  if (cJSON_IsTrue(v)) return lash__buf_puts(b, "true");
  if (cJSON_IsNumber(v)) return json_number(b, v->valuedouble);
  if (cJSON_IsRaw(v)) return lash__buf_puts(b, v->valuestring ? v->valuestring : "null");
  if (cJSON_IsString(v)) {
    if (!c) return json_string(b, v->valuestring, strlen(v->valuestring));
    size_t n;
    char *t = project_text(c, v->valuestring, &n);
    if (!t) return 0;
    int ok = json_string(b, t, n);
    lash__free(c->a, t);
    return ok;
  }
  if (cJSON_IsArray(v)) {
    lash__buf_append(b, "[", 1);
    for (const cJSON *i = v->child; i; i = i->next) {
      if (i != v->child) lash__buf_append(b, ",", 1);
      if (!render_value(c, s, i, decode)) return 0;
    }
    return lash__buf_append(b, "]", 1);
  }
  if (decode) {
    const cJSON *inner = NULL;
    switch (classify(v, &inner)) {
      case TV_ATTACHMENT: return sink_flush(s) && add_attachment_part(s->parts, inner);
      case TV_ESCAPED: return render_members(c, s, inner, decode);
      default: break;
    }
  }
  return render_members(c, s, v, decode);
}

static int render_members(const pctx *c, sink *s, const cJSON *obj, int decode) {
  member *m;
  size_t n;
  if (!sorted_members(s->text.alloc, obj, &m, &n)) return 0;
  int ok = lash__buf_append(&s->text, "{", 1);
  for (size_t i = 0; ok && i < n; i++) {
    if (i) lash__buf_append(&s->text, ",", 1);
    const char *k = key_of(m[i].item);
    json_string(&s->text, k, strlen(k));
    lash__buf_append(&s->text, ":", 1);
    ok = render_value(c, s, m[i].item, decode);
  }
  lash__free(s->text.alloc, m);
  return ok && lash__buf_append(&s->text, "}", 1);
}

/* ToolValue::attachments(): depth first, objects in key order. */
static int collect_attachments(const lash_allocator *a, cJSON *parts, const cJSON *v) {
  if (cJSON_IsArray(v)) {
    for (const cJSON *i = v->child; i; i = i->next)
      if (!collect_attachments(a, parts, i)) return 0;
    return 1;
  }
  if (!cJSON_IsObject(v)) return 1;
  const cJSON *inner = NULL;
  int kind = classify(v, &inner);
  if (kind == TV_ATTACHMENT) return add_attachment_part(parts, inner);
  member *m;
  size_t n;
  if (!sorted_members(a, kind == TV_ESCAPED ? inner : v, &m, &n)) return 0;
  int ok = 1;
  for (size_t i = 0; ok && i < n; i++) ok = collect_attachments(a, parts, m[i].item);
  lash__free(a, m);
  return ok;
}

/* ---- strict JSON check: serde_json::from_str accepts exactly this (cJSON accepts more) */

typedef struct {
  const char *p, *end;
  int depth, max_depth;
} jscan;

static void js_ws(jscan *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int js_lit(jscan *j, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n)) return 0;
  j->p += n;
  return 1;
}

static int js_digits(jscan *j) {
  const char *s = j->p;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
  return j->p > s;
}

static int js_number(jscan *j) {
  const char *s = j->p;
  if (*j->p == '-') j->p++;
  if (j->p < j->end && *j->p == '0') j->p++;
  else if (!js_digits(j)) return 0;
  if (j->p < j->end && *j->p == '.') {
    j->p++;
    if (!js_digits(j)) return 0;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
    if (!js_digits(j)) return 0;
  }
  return isfinite(strtod(s, NULL)); /* serde: "number out of range" */
}

static int js_hex4(jscan *j, unsigned *out) {
  if (j->end - j->p < 4) return 0;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char ch = *j->p++;
    v <<= 4;
    if (ch >= '0' && ch <= '9') v |= (unsigned)(ch - '0');
    else if (ch >= 'a' && ch <= 'f') v |= (unsigned)(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F') v |= (unsigned)(ch - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static int js_string(jscan *j) {
  j->p++; /* opening quote */
  while (j->p < j->end) {
    unsigned char ch = (unsigned char)*j->p++;
    if (ch == '"') return 1;
    if (ch < 0x20) return 0;
    if (ch != '\\') continue;
    if (j->p >= j->end) return 0;
    ch = (unsigned char)*j->p++;
    if (ch && strchr("\"\\/bfnrt", ch)) continue;
    unsigned u, lo;
    if (ch != 'u' || !js_hex4(j, &u)) return 0;
    if (u >= 0xDC00 && u <= 0xDFFF) return 0; /* lone trailing surrogate */
    if (u >= 0xD800 && u <= 0xDBFF &&
        (!js_lit(j, "\\u") || !js_hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF))
      return 0;
  }
  return 0;
}

static int js_value(jscan *j) {
  js_ws(j);
  if (j->p >= j->end) return 0;
  char ch = *j->p;
  if (ch == '"') return js_string(j);
  if (ch == 't') return js_lit(j, "true");
  if (ch == 'f') return js_lit(j, "false");
  if (ch == 'n') return js_lit(j, "null");
  if (ch == '-' || (ch >= '0' && ch <= '9')) return js_number(j);
  if (ch != '[' && ch != '{') return 0;
  if (++j->depth >= 128) return 0; /* serde_json's recursion limit */
  if (j->depth > j->max_depth) j->max_depth = j->depth;
  char close = ch == '[' ? ']' : '}';
  j->p++;
  js_ws(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    j->depth--;
    return 1;
  }
  for (;;) {
    if (close == '}') {
      js_ws(j);
      if (j->p >= j->end || *j->p != '"' || !js_string(j)) return 0;
      js_ws(j);
      if (j->p >= j->end || *j->p++ != ':') return 0;
    }
    if (!js_value(j)) return 0;
    js_ws(j);
    if (j->p >= j->end) return 0;
    ch = *j->p++;
    if (ch == close) break;
    if (ch != ',') return 0;
  }
  j->depth--;
  return 1;
}

/* `rendered.parse::<serde_json::Value>()`: JSON if it parses, else the text. */
static cJSON *reparse(const char *text, size_t n) {
  jscan j = {text, text + n, 0, 0};
  int valid = js_value(&j);
  js_ws(&j);
  if (valid && j.p == j.end) {
    cJSON *v = cJSON_ParseWithLength(text, n);
    if (v || j.max_depth <= CJSON_NESTING_LIMIT) return v; /* NULL: out of memory */
  } /* deeper than cJSON allows: keep it as text */
  return cJSON_CreateString(text);
}

/* lib.rs project_json_value(): a copy with every string leaf projected. */
static cJSON *project_json(const pctx *c, const cJSON *v) {
  if (!v || cJSON_IsInvalid(v)) return cJSON_CreateNull();
  if (cJSON_IsString(v)) {
    char *t = project_text(c, v->valuestring, NULL);
    if (!t) return NULL;
    cJSON *r = cJSON_CreateString(t);
    lash__free(c->a, t);
    return r;
  }
  if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) return cJSON_Duplicate(v, 0);
  cJSON *r = cJSON_IsArray(v) ? cJSON_CreateArray() : cJSON_CreateObject();
  for (const cJSON *i = v->child; r && i; i = i->next) {
    cJSON *x = project_json(c, i);
    int ok = cJSON_IsArray(v) ? (x && cJSON_AddItemToArray(r, x)) : add_obj(r, key_of(i), x);
    if (!ok) {
      if (cJSON_IsArray(v)) cJSON_Delete(x);
      cJSON_Delete(r);
      return NULL;
    }
  }
  return r;
}

/* A successful batch child as its own tool call: project_tool_result() on
 * ToolCallOutput::success(value) (built From<Value>, so no tag decoding), rendered to
 * text, then re-read as JSON. */
static cJSON *project_child_call(const pctx *c, const char *tool, const cJSON *value) {
  pctx cc = {c->a, c->cfg, tail_for(tool), full_output_path(value, 0)};
  char *text;
  size_t n;
  if (cJSON_IsString(value)) {
    text = project_text(&cc, value->valuestring, &n);
  } else {
    sink s = {NULL, {0}};
    lash__buf_init(&s.text, c->a);
    if (!render_value(&cc, &s, value, 0)) {
      lash__buf_free(&s.text);
      return NULL;
    }
    text = finish(&s.text, &n);
  }
  if (!text) return NULL;
  cJSON *r = reparse(text, n);
  lash__free(c->a, text);
  return r;
}

/* serde_json as_u64(): a non-negative integer, else 0 (unwrap_or_default). */
static double as_u64_or_zero(const cJSON *v) {
  if (!cJSON_IsNumber(v)) return 0;
  double d = v->valuedouble;
  return (d >= 0 && d == floor(d) && d < 18446744073709551616.0) ? d : 0;
}

/* lib.rs project_batch_child_value(); call = args.tool_calls[index] or NULL. */
static cJSON *project_batch_child(const pctx *c, const cJSON *call, const cJSON *item) {
  if (!cJSON_IsObject(item)) return project_json(c, item);
  const cJSON *t = get_last(item, "tool"), *ct = get_last(call, "tool");
  const char *tool = cJSON_IsString(t) ? t->valuestring : cJSON_IsString(ct) ? ct->valuestring : "tool";
  int success = cJSON_IsTrue(get_last(item, "success"));
  double duration = as_u64_or_zero(get_last(item, "duration_ms"));
  const cJSON *child = get_last(item, success ? "result" : "error");
  cJSON *projected = (!strcmp(tool, "batch") || !success) ? project_json(c, child)
                                                          : project_child_call(c, tool, child);
  if (!projected) return NULL;
  cJSON *r = cJSON_CreateObject();
  const cJSON *index = get_last(item, "index");
  if (!r || (index && !add_obj(r, "index", cJSON_Duplicate(index, 1))) ||
      !add_obj(r, "tool", cJSON_CreateString(tool)) ||
      !add_obj(r, "success", cJSON_CreateBool(success)) ||
      !add_obj(r, "duration_ms", cJSON_CreateNumber(duration))) {
    cJSON_Delete(projected);
    cJSON_Delete(r);
    return NULL;
  }
  if (!add_obj(r, success ? "result" : "error", projected)) {
    cJSON_Delete(r);
    return NULL;
  }
  return r;
}

/* lib.rs project_batch_value(): {"results": [projected children]}. A failed or
 * cancelled batch projects its ToolFailure/ToolCancellation, which has no "results". */
static cJSON *project_batch_value(const pctx *c, const cJSON *args, int success, const cJSON *payload) {
  if (success && !cJSON_IsObject(payload)) return project_json(c, payload);
  cJSON *results = cJSON_CreateArray(), *r = cJSON_CreateObject();
  if (!results || !r) {
    cJSON_Delete(results);
    cJSON_Delete(r);
    return NULL;
  }
  const cJSON *items = success ? get_last(payload, "results") : NULL;
  const cJSON *calls = get_last(args, "tool_calls");
  const cJSON *call = cJSON_IsArray(calls) ? calls->child : NULL;
  for (const cJSON *i = cJSON_IsArray(items) ? items->child : NULL; i; i = i->next) {
    cJSON *x = project_batch_child(c, cJSON_IsObject(call) ? call : NULL, i);
    if (!x) goto fail;
    cJSON_AddItemToArray(results, x);
    if (call) call = call->next;
  }
  if (!add_obj(r, "results", results)) {
    results = NULL;
    goto fail;
  }
  return r;
fail:
  cJSON_Delete(results);
  cJSON_Delete(r);
  return NULL;
}

/* cJSON keeps its hooks globally (the core installs its allocator there) and they
 * have no realloc, so scratch strings go through them with a size header. */
typedef union {
  size_t n;
  max_align_t align;
} hook_hdr;
static void *hook_alloc(size_t n, void *ud) {
  (void)ud;
  if (n > SIZE_MAX - sizeof(hook_hdr)) return NULL;
  hook_hdr *h = cJSON_malloc(sizeof *h + n);
  if (!h) return NULL;
  h->n = n;
  return h + 1;
}
static void hook_free(void *p, void *ud) {
  (void)ud;
  if (p) cJSON_free((hook_hdr *)p - 1);
}
static void *hook_realloc(void *p, size_t n, void *ud) {
  if (!p) return hook_alloc(n, ud);
  size_t old = ((hook_hdr *)p - 1)->n;
  void *q = hook_alloc(n, ud);
  if (!q) return NULL;
  memcpy(q, p, old < n ? old : n);
  hook_free(p, ud);
  return q;
}
static const lash_allocator k_hook_alloc = {hook_alloc, hook_realloc, hook_free, NULL};

/* format_failure_message() / format_cancellation_message(). */
static int add_outcome_message(const lash_allocator *a, cJSON *parts, const char *label,
                               const cJSON *payload) {
  const cJSON *m = get_last(payload, "message");
  const char *msg = cJSON_IsString(m) ? m->valuestring : "";
  lash_buf b;
  lash__buf_init(&b, a);
  lash__buf_puts(&b, label);
  if (*msg) {
    lash__buf_append(&b, "\n", 1);
    lash__buf_puts(&b, msg);
  }
  char *text = finish(&b, NULL);
  int ok = text && add_text_part(parts, text);
  lash__free(a, text);
  return ok && collect_attachments(a, parts, get_last(payload, "raw"));
}

/* lib.rs project_model_parts(). Malformed outputs are read leniently: an unknown or
 * missing status counts as success with the payload (or null). */
cJSON *lash__budget_project_args(const lash_budget_cfg *cfg, const char *tool_name,
                                 const cJSON *args, const cJSON *output) {
  lash_budget_cfg def;
  if (!cfg) {
    lash__budget_default(&def);
    cfg = &def;
  }
  if (!tool_name) tool_name = "";
  const lash_allocator *a = &k_hook_alloc;
  const cJSON *outcome = get_last(output, "outcome");
  const cJSON *status = get_last(outcome, "status");
  const cJSON *payload = get_last(outcome, "payload");
  const char *st = cJSON_IsString(status) ? status->valuestring : "success";
  int failure = !strcmp(st, "failure"), cancelled = !strcmp(st, "cancelled");
  int success = !failure && !cancelled;
  pctx c = {a, cfg, tail_for(tool_name), success ? full_output_path(payload, 1) : NULL};

  cJSON *parts = cJSON_CreateArray();
  if (!parts) return NULL;
  int ok;
  if (!strcmp(tool_name, "batch")) {
    /* one text part: render_projected_model_value() */
    cJSON *v = project_batch_value(&c, args, success, payload);
    ok = v != NULL;
    if (ok && cJSON_IsString(v)) {
      ok = add_text_part(parts, v->valuestring);
    } else if (ok) {
      sink s = {parts, {0}};
      lash__buf_init(&s.text, a);
      ok = render_value(NULL, &s, v, 0) && !s.text.oom && add_text_part(parts, s.text.data);
      lash__buf_free(&s.text);
    }
    cJSON_Delete(v);
  } else if (failure) {
    ok = add_outcome_message(a, parts, "[Tool execution failed]", payload);
  } else if (cancelled) {
    ok = add_outcome_message(a, parts, "[Tool execution cancelled]", payload);
  } else if (cJSON_IsString(payload)) {
    /* project_tool_value_parts(): a String payload is one text part, even if empty */
    char *t = project_text(&c, payload->valuestring, NULL);
    ok = t && add_text_part(parts, t);
    lash__free(a, t);
  } else {
    sink s = {parts, {0}};
    lash__buf_init(&s.text, a);
    ok = render_value(&c, &s, payload, 1) && sink_flush(&s);
    lash__buf_free(&s.text);
  }
  if (!ok) {
    cJSON_Delete(parts);
    return NULL;
  }
  return parts;
}

cJSON *lash__budget_project(const lash_budget_cfg *cfg, const char *tool_name, const cJSON *output) {
  return lash__budget_project_args(cfg, tool_name, NULL, output);
}
