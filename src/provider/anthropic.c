/* The Anthropic Messages dialect, ported from lash-provider-anthropic @22bad569f:
 * request.rs builds the body, stream.rs folds the SSE events into an LlmResponse,
 * policy.rs maps a model variant onto extended thinking.
 *
 * lash builds and reads JSON through serde_json, so this file carries a small
 * serde_json-compatible reader and writer: the reader is as strict (RFC 8259,
 * surrogates checked, 127 levels deep), lets the last duplicate key win and keeps
 * each number's literal so integers and floats stay apart (as_i64 vs as_f64); the
 * writer emits sorted keys (serde_json without preserve_order) and zmij floats, so
 * a body matches lash's bytes. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provider/dialect.h"
#include "provider/sse.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/ids.h"

/* policy.rs DEFAULT_MAX_OUTPUT_TOKENS */
#define DEFAULT_MAX_OUTPUT_TOKENS 32768
/* serde_json's recursion limit: the 128th nested array/object fails */
#define JSON_MAX_DEPTH 127
/* Content-block indexes a stream may use (lash grows its Vec to any index). */
#define MAX_BLOCKS 4096
/* U+0000 inside a parsed C string (an overlong form, never valid UTF-8 else):
 * the writer prints it back as \u0000; stream text gets U+FFFD instead. */
#define NUL_MARK "\xC0\x80"

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (0 if invalid), its code point in *cp. */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned *cp) {
  unsigned c = p[0];
  if (c < 0x80) { *cp = c; return 1; }
  size_t need;
  unsigned min;
  if (c >= 0xC2 && c <= 0xDF) { need = 1; min = 0x80; c &= 0x1F; }
  else if ((c & 0xF0) == 0xE0) { need = 2; min = 0x800; c &= 0x0F; }
  else if (c >= 0xF0 && c <= 0xF4) { need = 3; min = 0x10000; c &= 0x07; }
  else return 0;
  if (n <= need) return 0;
  for (size_t k = 1; k <= need; k++) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (p[k] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return need + 1;
}

/* Rust's char::is_whitespace (Unicode White_Space), which str::trim uses. */
static int is_uspace(unsigned c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

/* str::trim: [*b, *e) of s[0..n) without Unicode whitespace at either end.
 * Only the ends are decoded (an SSE line is trimmed per event: keep it O(blank)). */
static void utrim(const char *s, size_t n, size_t *b, size_t *e) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, j = n;
  unsigned cp;
  while (i < n) {
    size_t k = utf8_seq(p + i, n - i, &cp);
    if (!k || !is_uspace(cp)) break; /* invalid bytes are not whitespace */
    i += k;
  }
  while (j > i) { /* step back to the last sequence's lead byte */
    size_t l = j - 1;
    while (l > i && (p[l] & 0xC0) == 0x80 && j - l < 4) l--;
    if (utf8_seq(p + l, j - l, &cp) != j - l || !is_uspace(cp)) break;
    j = l;
  }
  *b = i;
  *e = j;
}

static int is_blank(const char *s) {
  size_t b, e;
  utrim(s, strlen(s), &b, &e);
  return b == e;
}

/* String::from_utf8_lossy: each maximal invalid prefix becomes one U+FFFD
 * (core::str::lossy::Utf8Chunks). */
static int utf8_lossy(lash_buf *out, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0;
  while (i < n) {
    unsigned cp;
    size_t k = utf8_seq(p + i, n - i, &cp);
    if (k) { i += k; continue; }
    if (!lash__buf_append(out, s + run, i - run)) return 0;
    unsigned c = p[i++];
#define NEXT() (i < n ? p[i] : 0)
    if (c >= 0xC2 && c <= 0xDF) {
      if ((NEXT() & 0xC0) == 0x80) i++;
    } else if (c >= 0xE0 && c <= 0xEF) {
      unsigned d = NEXT();
      int ok = (c == 0xE0) ? (d >= 0xA0 && d <= 0xBF) : (c == 0xED) ? (d >= 0x80 && d <= 0x9F) : (d >= 0x80 && d <= 0xBF);
      if (ok) { i++; if ((NEXT() & 0xC0) == 0x80) i++; }
    } else if (c >= 0xF0 && c <= 0xF4) {
      unsigned d = NEXT();
      int ok = (c == 0xF0) ? (d >= 0x90 && d <= 0xBF) : (c == 0xF4) ? (d >= 0x80 && d <= 0x8F) : (d >= 0x80 && d <= 0xBF);
      if (ok) {
        i++;
        if ((NEXT() & 0xC0) == 0x80) { i++; if ((NEXT() & 0xC0) == 0x80) i++; }
      }
    }
#undef NEXT
    if (!lash__buf_append(out, "\xEF\xBF\xBD", 3)) return 0;
    run = i;
  }
  return lash__buf_append(out, s + run, n - run);
}

/* Cut a trailing partial UTF-8 sequence (snprintf may stop mid-character). */
static void utf8_clip(char *s) {
  size_t n = strlen(s), i = n;
  while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3) i--;
  if (i > 0 && (unsigned char)s[i - 1] >= 0xC0) {
    unsigned cp;
    if (!utf8_seq((const unsigned char *)s + i - 1, n - i + 1, &cp)) s[i - 1] = '\0';
  }
}

static int fail(lash_err *e, int code, const char *argument, const char *fmt, ...) {
  if (!e) return code;
  lash__err(e, code, argument, NULL);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->detail, sizeof e->detail, fmt, ap);
  va_end(ap);
  utf8_clip(e->detail);
  return code;
}

/* ---- serde_json-compatible reader ---------------------------------------- */

typedef struct {
  const unsigned char *p, *end;
  lash_buf s; /* string scratch */
  int depth;
  int nomem;
} jreader;

static void jr_ws(jreader *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static int jr_hex4(jreader *j, unsigned *out) {
  if (j->end - j->p < 4) return 0;
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    unsigned c = j->p[k], l = c | 0x20;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (l >= 'a' && l <= 'f') v |= l - 'a' + 10;
    else return 0;
  }
  j->p += 4;
  *out = v;
  return 1;
}

static int put_cp(lash_buf *b, unsigned cp) {
  char u[4];
  size_t n;
  if (cp == 0) return lash__buf_append(b, NUL_MARK, 2);
  if (cp < 0x80) { u[0] = (char)cp; n = 1; }
  else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
  else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
  } else {
    u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
  }
  return lash__buf_append(b, u, n);
}

/* A string's body after its opening quote, into j->s. */
static int jr_string(jreader *j) {
  j->s.len = 0;
  for (;;) {
    const unsigned char *run = j->p;
    while (j->p < j->end && *j->p != '"' && *j->p != '\\' && *j->p >= 0x20) j->p++;
    if (!lash__buf_append(&j->s, (const char *)run, (size_t)(j->p - run))) { j->nomem = 1; return 0; }
    if (j->p >= j->end) return 0;
    unsigned c = *j->p++;
    if (c == '"') break;
    if (c != '\\' || j->p >= j->end) return 0; /* a control character, or EOF */
    unsigned cp;
    switch (*j->p++) {
      case '"': cp = '"'; break;
      case '\\': cp = '\\'; break;
      case '/': cp = '/'; break;
      case 'b': cp = 8; break;
      case 'f': cp = 12; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u': {
        if (!jr_hex4(j, &cp) || (cp >= 0xDC00 && cp <= 0xDFFF)) return 0;
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* a trailing surrogate must follow */
          unsigned lo;
          if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') return 0;
          j->p += 2;
          if (!jr_hex4(j, &lo) || lo < 0xDC00 || lo > 0xDFFF) return 0;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        break;
      }
      default: return 0;
    }
    if (!put_cp(&j->s, cp)) { j->nomem = 1; return 0; }
  }
  if (!lash__buf_append(&j->s, "", 0)) { j->nomem = 1; return 0; } /* data non-NULL */
  return 1;
}

static int is_digit(const unsigned char *p, const unsigned char *end) { return p < end && *p >= '0' && *p <= '9'; }

/* 10^k as Rust's POW10 literals are: correctly rounded. */
static double pow10_exact(int k) {
  if (k <= 22) { /* every 10^k up to 10^22 is a double: the products are exact */
    double p = 1;
    while (k-- > 0) p *= 10;
    return p;
  }
  char t[16];
  snprintf(t, sizeof t, "1e%d", k);
  return strtod(t, NULL);
}

/* serde_json's f64_from_parts() without float_roundtrip: the significand
 * scaled by one power of ten (not always correctly rounded; lash's value). */
static int f64_from_parts(int positive, uint64_t sig, int exp, double *out) {
  double f = (double)sig;
  for (;;) {
    if (exp != INT32_MIN && (exp < 0 ? -exp : exp) <= 308) {
      double p = pow10_exact(exp < 0 ? -exp : exp);
      if (exp >= 0) {
        f *= p;
        if (isinf(f)) return 0; /* number out of range */
      } else {
        f /= p;
      }
      break;
    }
    if (f == 0) break;
    if (exp >= 0) return 0;
    f /= 1e308;
    exp += 308;
  }
  *out = positive ? f : -f;
  return 1;
}

static int digit_at(const char *p) { return *p >= '0' && *p <= '9'; }

/* serde_json's float path for a literal already checked by jr_number:
 * parse_integer/parse_long_integer/parse_decimal/parse_exponent. */
static int serde_f64(const char *p, double *out) {
  int positive = *p != '-', exp = 0;
  uint64_t sig = 0;
  if (!positive) p++;
  for (; digit_at(p); p++) {
    unsigned d = (unsigned)(*p - '0');
    if (sig > UINT64_MAX / 10 || (sig == UINT64_MAX / 10 && d > UINT64_MAX % 10)) break;
    sig = sig * 10 + d;
  }
  for (; digit_at(p); p++) exp++; /* parse_long_integer: digits past u64 scale */
  if (*p == '.') {
    int overflowed = 0;
    for (p++; digit_at(p); p++) {
      unsigned d = (unsigned)(*p - '0');
      if (overflowed || sig > UINT64_MAX / 10 || (sig == UINT64_MAX / 10 && d > UINT64_MAX % 10)) {
        overflowed = 1; /* parse_decimal_overflow: further digits ignored */
        continue;
      }
      sig = sig * 10 + d;
      exp--;
    }
  }
  if (*p == 'e' || *p == 'E') {
    int positive_exp = 1;
    int32_t e = 0;
    p++;
    if (*p == '+' || *p == '-') positive_exp = *p++ == '+';
    for (; digit_at(p); p++) {
      int d = *p - '0';
      if (e > INT32_MAX / 10 || (e == INT32_MAX / 10 && d > INT32_MAX % 10)) { /* parse_exponent_overflow */
        if (sig != 0 && positive_exp) return 0;
        *out = positive ? 0.0 : -0.0;
        return 1;
      }
      e = e * 10 + d;
    }
    int64_t fe = positive_exp ? (int64_t)exp + e : (int64_t)exp - e; /* saturating */
    exp = fe > INT32_MAX ? INT32_MAX : fe < INT32_MIN ? INT32_MIN : (int)fe;
  }
  return f64_from_parts(positive, sig, exp, out);
}

/* A number keeps its literal in valuestring (cJSON_Delete frees it): serde_json
 * tells u64/i64 from f64 by the literal, and so do as_i64() and the writer. */
static cJSON *jr_number(jreader *j) {
  const unsigned char *start = j->p;
  if (*j->p == '-') j->p++;
  if (!is_digit(j->p, j->end)) return NULL;
  if (*j->p == '0') {
    j->p++;
    if (is_digit(j->p, j->end)) return NULL; /* one leading zero only */
  } else {
    while (is_digit(j->p, j->end)) j->p++;
  }
  if (j->p < j->end && *j->p == '.') {
    j->p++;
    if (!is_digit(j->p, j->end)) return NULL;
    while (is_digit(j->p, j->end)) j->p++;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
    if (!is_digit(j->p, j->end)) return NULL;
    while (is_digit(j->p, j->end)) j->p++;
  }
  size_t n = (size_t)(j->p - start);
  char *lit = cJSON_malloc(n + 1);
  if (!lit) { j->nomem = 1; return NULL; }
  memcpy(lit, start, n);
  lit[n] = '\0';
  double d;
  if (!serde_f64(lit, &d)) { cJSON_free(lit); return NULL; } /* number out of range */
  cJSON *v = cJSON_CreateNumber(d);
  if (!v) { cJSON_free(lit); j->nomem = 1; return NULL; }
  v->valuestring = lit;
  return v;
}

static cJSON *jr_value(jreader *j);

static cJSON *jr_container(jreader *j, int object) {
  j->p++;
  if (++j->depth > JSON_MAX_DEPTH) return NULL;
  cJSON *c = object ? cJSON_CreateObject() : cJSON_CreateArray();
  if (!c) { j->nomem = 1; return NULL; }
  jr_ws(j);
  if (j->p < j->end && *j->p == (object ? '}' : ']')) {
    j->p++;
    j->depth--;
    return c;
  }
  for (;;) {
    char *key = NULL;
    if (object) {
      jr_ws(j);
      if (j->p >= j->end || *j->p != '"') goto bad;
      j->p++;
      if (!jr_string(j)) goto bad;
      key = cJSON_malloc(j->s.len + 1);
      if (!key) { j->nomem = 1; goto bad; }
      memcpy(key, j->s.data, j->s.len + 1);
      jr_ws(j);
      if (j->p >= j->end || *j->p != ':') { cJSON_free(key); goto bad; }
      j->p++;
    }
    cJSON *v = jr_value(j);
    if (!v) { cJSON_free(key); goto bad; }
    v->string = key; /* duplicates are kept; readers let the last one win */
    cJSON_AddItemToArray(c, v);
    jr_ws(j);
    if (j->p < j->end && *j->p == ',') { j->p++; continue; }
    if (j->p < j->end && *j->p == (object ? '}' : ']')) { j->p++; break; }
    goto bad;
  }
  j->depth--;
  return c;
bad:
  cJSON_Delete(c);
  return NULL;
}

static cJSON *jr_value(jreader *j) {
  jr_ws(j);
  if (j->p >= j->end) return NULL;
  static const char *const words[] = {"true", "false", "null"};
  switch (*j->p) {
    case '{': return jr_container(j, 1);
    case '[': return jr_container(j, 0);
    case '"': {
      j->p++;
      if (!jr_string(j)) return NULL;
      cJSON *v = cJSON_CreateString(j->s.data);
      if (!v) j->nomem = 1;
      return v;
    }
    case 't': case 'f': case 'n': {
      int w = *j->p == 't' ? 0 : *j->p == 'f' ? 1 : 2;
      size_t n = strlen(words[w]);
      if ((size_t)(j->end - j->p) < n || memcmp(j->p, words[w], n)) return NULL;
      j->p += n;
      cJSON *v = w == 0 ? cJSON_CreateTrue() : w == 1 ? cJSON_CreateFalse() : cJSON_CreateNull();
      if (!v) j->nomem = 1;
      return v;
    }
    default: return jr_number(j);
  }
}

/* serde_json::from_str::<Value>. NULL with *nomem 0: not JSON; 1: out of memory. */
static cJSON *json_read(const lash_allocator *a, const char *s, size_t n, int *nomem) {
  jreader j;
  memset(&j, 0, sizeof j);
  j.p = (const unsigned char *)s;
  j.end = j.p + n;
  lash__buf_init(&j.s, a);
  cJSON *v = jr_value(&j);
  if (v) {
    jr_ws(&j);
    if (j.p != j.end) { cJSON_Delete(v); v = NULL; } /* trailing characters */
  }
  lash__buf_free(&j.s);
  *nomem = j.nomem;
  return v;
}

/* Value::get: objects only, the last duplicate wins (serde's map insert). */
static const cJSON *jget(const cJSON *o, const char *k) {
  const cJSON *hit = NULL;
  if (!cJSON_IsObject(o)) return NULL;
  for (const cJSON *c = o->child; c; c = c->next)
    if (c->string && !strcmp(c->string, k)) hit = c;
  return hit;
}

static const char *jstr(const cJSON *v) { return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL; }

enum { NUM_F64, NUM_U64, NUM_I64 };

/* serde_json's number class of a literal read by jr_number (others are f64). */
static int num_class(const cJSON *v, uint64_t *u, int64_t *i) {
  const char *lit = cJSON_IsNumber(v) ? v->valuestring : NULL;
  if (!lit || strpbrk(lit, ".eE")) return NUM_F64;
  int neg = *lit == '-';
  uint64_t m = 0;
  for (const char *p = lit + neg; *p; p++) {
    unsigned dgt = (unsigned)(*p - '0');
    if (m > (UINT64_MAX - dgt) / 10) return NUM_F64; /* overflow: parsed as a float */
    m = m * 10 + dgt;
  }
  if (!neg) { *u = m; return NUM_U64; }
  if (m == 0 || m > (uint64_t)INT64_MAX + 1) return NUM_F64; /* "-0" is -0.0 */
  *i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
  return NUM_I64;
}

static int as_i64(const cJSON *v, int64_t *out) {
  uint64_t u;
  int64_t i;
  switch (num_class(v, &u, &i)) {
    case NUM_U64: if (u > (uint64_t)INT64_MAX) return 0; *out = (int64_t)u; return 1;
    case NUM_I64: *out = i; return 1;
    default: return 0;
  }
}

static int as_u64(const cJSON *v, uint64_t *out) {
  int64_t i;
  return num_class(v, out, &i) == NUM_U64;
}

/* ---- serde_json-compatible writer ---------------------------------------- */

/* The shortest round-trip float in zmij's layout (serde_json 1.0.149): 1.0, 0.001, 1e+21, 1.5e-7. */
static int w_f64(lash_buf *b, double d) {
  if (!isfinite(d)) return lash__buf_puts(b, "null");
  if (d == 0) return lash__buf_puts(b, signbit(d) ? "-0.0" : "0.0");
  char t[40];
  for (int p = 1; p <= 17; p++) {
    snprintf(t, sizeof t, "%.*e", p - 1, d);
    if (strtod(t, NULL) == d) break;
  }
  char dig[20];
  int n = 0, neg = t[0] == '-';
  const char *q = t + neg;
  for (; *q && *q != 'e'; q++)
    if (*q != '.' && n < 19) dig[n++] = *q;
  dig[n] = '\0';
  int kk = atoi(q + 1) + 1; /* 10^(kk-1) <= |d| < 10^kk */
  if (neg && !lash__buf_puts(b, "-")) return 0;
  if (kk >= n && kk <= 16) { /* 1234e7 -> 12340000000.0 */
    lash__buf_puts(b, dig);
    for (int k = n; k < kk; k++) lash__buf_puts(b, "0");
    return lash__buf_puts(b, ".0");
  }
  if (kk > 0 && kk <= 16) { /* 12.34 */
    lash__buf_append(b, dig, (size_t)kk);
    lash__buf_puts(b, ".");
    return lash__buf_puts(b, dig + kk);
  }
  if (kk > -5 && kk <= 0) { /* 0.001234 */
    lash__buf_puts(b, "0.");
    for (int k = 0; k < -kk; k++) lash__buf_puts(b, "0");
    return lash__buf_puts(b, dig);
  }
  lash__buf_append(b, dig, 1); /* 1e30, 1.234e33 */
  if (n > 1) { lash__buf_puts(b, "."); lash__buf_puts(b, dig + 1); }
  return lash__buf_printf(b, "e%+d", kk - 1); /* zmij: 1e+22, 1.5e-7 */
}

static int w_number(lash_buf *b, const cJSON *v) {
  uint64_t u;
  int64_t i;
  if (v->valuestring) { /* read by jr_number: integers print as written */
    int c = num_class(v, &u, &i);
    return c == NUM_F64 ? w_f64(b, v->valuedouble) : lash__buf_puts(b, v->valuestring);
  }
  double d = v->valuedouble; /* the caller's cJSON: integral values were integers */
  if (isfinite(d) && d == floor(d) && fabs(d) <= 9007199254740992.0) return lash__buf_printf(b, "%.0f", d == 0 ? 0.0 : d);
  return w_f64(b, d);
}

/* serde_json's escapes: ", \, \b \f \n \r \t, other controls as \u00xx. */
static int w_string(lash_buf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t run = 0, i = 0;
  lash__buf_puts(b, "\"");
  for (; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    int nul = c == 0xC0 && (unsigned char)s[i + 1] == 0x80;
    if (c >= 0x20 && c != '"' && c != '\\' && !nul) continue;
    lash__buf_append(b, s + run, i - run);
    run = i + 1;
    if (nul) {
      c = 0;
      run = ++i + 1;
    }
    switch (c) {
      case '"': lash__buf_puts(b, "\\\""); break;
      case '\\': lash__buf_puts(b, "\\\\"); break;
      case 8: lash__buf_puts(b, "\\b"); break;
      case 12: lash__buf_puts(b, "\\f"); break;
      case '\n': lash__buf_puts(b, "\\n"); break;
      case '\r': lash__buf_puts(b, "\\r"); break;
      case '\t': lash__buf_puts(b, "\\t"); break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        lash__buf_append(b, u, 6);
      }
    }
  }
  lash__buf_append(b, s + run, i - run);
  return lash__buf_puts(b, "\"");
}

typedef struct {
  const char *k;
  const cJSON *v;
  size_t i;
} w_kv;

/* Byte order, as Rust's String Ord (U+0000 sorts first, the end before it). */
static int key_cmp(const char *a, const char *b) {
  for (;;) {
    int x = *a ? (unsigned char)*a : -1, y = *b ? (unsigned char)*b : -1;
    if (x == 0xC0 && (unsigned char)a[1] == 0x80) { x = 0; a++; }
    if (y == 0xC0 && (unsigned char)b[1] == 0x80) { y = 0; b++; }
    if (x != y || x < 0) return (x > y) - (x < y);
    a++;
    b++;
  }
}

static int kv_cmp(const void *x, const void *y) {
  const w_kv *a = x, *b = y;
  int c = key_cmp(a->k, b->k);
  return c ? c : (a->i > b->i) - (a->i < b->i);
}

static int w_value(lash_buf *b, const lash_allocator *a, const cJSON *v, int depth) {
  if (depth > JSON_MAX_DEPTH + 8) return 0;
  switch (v->type & 0xFF) {
    case cJSON_False: return lash__buf_puts(b, "false");
    case cJSON_True: return lash__buf_puts(b, "true");
    case cJSON_Number: return w_number(b, v);
    case cJSON_String: return w_string(b, v->valuestring ? v->valuestring : "");
    case cJSON_Raw: return lash__buf_puts(b, v->valuestring ? v->valuestring : "null");
    case cJSON_Array: {
      lash__buf_puts(b, "[");
      for (const cJSON *c = v->child; c; c = c->next) {
        if (c != v->child) lash__buf_puts(b, ",");
        if (!w_value(b, a, c, depth + 1)) return 0;
      }
      return lash__buf_puts(b, "]");
    }
    case cJSON_Object: {
      size_t n = 0, k = 0;
      for (const cJSON *c = v->child; c; c = c->next) n++;
      if (!n) return lash__buf_puts(b, "{}");
      w_kv *kv = lash__alloc(a, n * sizeof *kv);
      if (!kv) { b->oom = 1; return 0; }
      for (const cJSON *c = v->child; c; c = c->next, k++) kv[k] = (w_kv){c->string ? c->string : "", c, k};
      qsort(kv, n, sizeof *kv, kv_cmp); /* BTreeMap order */
      int ok = lash__buf_puts(b, "{"), first = 1;
      for (k = 0; ok && k < n; k++) {
        if (k + 1 < n && !key_cmp(kv[k].k, kv[k + 1].k)) continue; /* the last duplicate wins */
        if (!first) lash__buf_puts(b, ",");
        first = 0;
        w_string(b, kv[k].k);
        lash__buf_puts(b, ":");
        ok = w_value(b, a, kv[k].v, depth + 1);
      }
      lash__free(a, kv);
      return ok && lash__buf_puts(b, "}");
    }
    default: return lash__buf_puts(b, "null");
  }
}

/* ---- request body (request.rs build_request_body) ---------------------- */

typedef struct {
  const lash_allocator *a;
  const cJSON *atts; /* LlmRequest.attachments */
  lash_rng rng;      /* uuids for empty tool-call ids */
  lash_err *e;
  int rc;            /* first failure */
} req_ctx;

static int bad_req(req_ctx *r, const char *fmt, ...) {
  if (r->rc) return 0;
  r->rc = LASH_E_INVALID_ARGUMENT;
  if (r->e) {
    lash__err(r->e, LASH_E_INVALID_ARGUMENT, "llm_request", NULL);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->e->detail, sizeof r->e->detail, fmt, ap);
    va_end(ap);
    utf8_clip(r->e->detail);
  }
  return 0;
}

/* A failure already described in r->e (by a json.h reader). */
static int failed(req_ctx *r, int rc) {
  r->rc = rc;
  return 0;
}

static int oom(req_ctx *r) {
  if (!r->rc) {
    r->rc = LASH_E_NOMEM;
    lash__err(r->e, LASH_E_NOMEM, "llm_request", "out of memory");
  }
  return 0;
}

/* Add item to obj under key, or free it; 0 on failure. */
static int put(req_ctx *r, cJSON *obj, const char *key, cJSON *item) {
  if (!item) return oom(r);
  if (!cJSON_AddItemToObject(obj, key, item)) { cJSON_Delete(item); return oom(r); }
  return 1;
}

static int push(req_ctx *r, cJSON *arr, cJSON *item) {
  if (!item) return oom(r);
  if (!cJSON_AddItemToArray(arr, item)) { cJSON_Delete(item); return oom(r); }
  return 1;
}

/* A node reading v without copying it (the request outlives the body). */
static cJSON *ref(const cJSON *v) {
  switch (v->type & 0xFF) {
    case cJSON_String: return cJSON_CreateStringReference(v->valuestring ? v->valuestring : "");
    case cJSON_Object: return cJSON_CreateObjectReference(v->child);
    case cJSON_Array: return cJSON_CreateArrayReference(v->child);
    default: return cJSON_Duplicate(v, 0);
  }
}

static cJSON *str(const char *s) { return cJSON_CreateString(s); }

/* A required string field of an LlmRequest object. */
static const cJSON *req_str(req_ctx *r, const cJSON *o, const char *key, const char *what) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsString(v) || !v->valuestring) { bad_req(r, "%s.%s must be a string", what, key); return NULL; }
  return v;
}

/* text_block_value(): {type:"text", text}, marked for a cache breakpoint. */
static cJSON *text_block(req_ctx *r, cJSON *text, int breakpoint) {
  cJSON *b = cJSON_CreateObject();
  if (!b) { cJSON_Delete(text); oom(r); return NULL; }
  if (!put(r, b, "text", text) || !put(r, b, "type", str("text")) ||
      (breakpoint && !put(r, b, "__lash_cache_breakpoint", cJSON_CreateTrue()))) {
    cJSON_Delete(b);
    return NULL;
  }
  return b;
}

/* normalize_tool_call_id(): [A-Za-z0-9_-] kept, other chars -> '_', 64 chars;
 * empty -> a fresh uuid. */
static cJSON *tool_id(req_ctx *r, const char *id) {
  lash_buf b;
  lash__buf_init(&b, r->a);
  const unsigned char *p = (const unsigned char *)id;
  size_t n = strlen(id), i = 0;
  for (int chars = 0; i < n && chars < 64; chars++) {
    unsigned cp;
    size_t k = utf8_seq(p + i, n - i, &cp);
    unsigned char c = p[i];
    int keep = k == 1 && ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c == '-');
    lash__buf_append(&b, keep ? (const char *)&p[i] : "_", 1);
    i += k ? k : 1;
  }
  char uuid[37];
  if (!b.len) {
    lash__uuid4(&r->rng, uuid);
    lash__buf_puts(&b, uuid);
  }
  cJSON *v = b.oom ? NULL : str(b.data);
  lash__buf_free(&b);
  if (!v) oom(r);
  return v;
}

static char *base64(const lash_allocator *a, const cJSON *bytes) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  lash_buf b;
  lash__buf_init(&b, a);
  unsigned acc = 0;
  int have = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, bytes) {
    acc = acc << 8 | (unsigned)c->valuedouble;
    if (++have == 3) {
      char q[4] = {tab[acc >> 18 & 63], tab[acc >> 12 & 63], tab[acc >> 6 & 63], tab[acc & 63]};
      lash__buf_append(&b, q, 4);
      acc = 0;
      have = 0;
    }
  }
  if (have) {
    acc <<= 8 * (3 - have);
    char q[4] = {tab[acc >> 18 & 63], tab[acc >> 12 & 63], have == 2 ? tab[acc >> 6 & 63] : '=', '='};
    lash__buf_append(&b, q, 4);
  }
  lash__buf_append(&b, "", 0);
  return lash__buf_take(&b, NULL);
}

/* validate_image_attachments(req, OPENAI_IMAGE_MIMES, "Anthropic"), and the data
 * shape: a base64 string (the host's) or lash's Vec<u8> as an array of bytes. */
static int check_attachments(req_ctx *r) {
  static const char *const mimes[] = {"image/jpeg", "image/png", "image/gif", "image/webp"};
  if (r->atts && !cJSON_IsArray(r->atts)) return bad_req(r, "attachments must be an array");
  int idx = 0;
  const cJSON *att;
  cJSON_ArrayForEach(att, r->atts) {
    const cJSON *mime = req_str(r, att, "mime", "attachment");
    if (!mime) return 0;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(att, "data");
    if (cJSON_IsArray(data)) {
      const cJSON *c;
      cJSON_ArrayForEach(c, data)
        if (!cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > 255 || c->valuedouble != floor(c->valuedouble))
          return bad_req(r, "attachment.data must be base64 text or an array of bytes");
    } else if (!cJSON_IsString(data) && !lash__json_is_nullish(data)) {
      return bad_req(r, "attachment.data must be base64 text or an array of bytes");
    }
    /* mime.trim().to_ascii_lowercase(), image/jpg read as image/jpeg */
    const char *m = mime->valuestring;
    size_t b, e;
    utrim(m, strlen(m), &b, &e);
    char low[16];
    int ok = 0;
    if (e - b < sizeof low) {
      for (size_t k = b; k < e; k++) low[k - b] = (char)((m[k] >= 'A' && m[k] <= 'Z') ? m[k] + 32 : m[k]);
      low[e - b] = '\0';
      if (!strcmp(low, "image/jpg")) strcpy(low, "image/jpeg");
      for (size_t k = 0; k < sizeof mimes / sizeof *mimes; k++) ok |= !strcmp(low, mimes[k]);
    }
    if (!ok) {
      return failed(r, fail(r->e, LASH_E_INVALID_ARGUMENT, "provider",
                            "Anthropic does not accept image attachments of type `%s` (attachment index %d); "
                            "accepted: image/jpeg, image/png, image/gif, image/webp", m, idx));
    }
    idx++;
  }
  return 1;
}

/* image_block_value(); NULL (r->rc 0) when the index names no attachment. */
static cJSON *image_block(req_ctx *r, double idx) {
  const cJSON *att = idx < (double)cJSON_GetArraySize(r->atts) ? cJSON_GetArrayItem(r->atts, (int)idx) : NULL;
  if (!att) return NULL;
  const cJSON *data = cJSON_GetObjectItemCaseSensitive(att, "data");
  cJSON *d;
  if (cJSON_IsString(data)) d = ref(data);
  else {
    char *enc = base64(r->a, data);
    d = enc ? str(enc) : NULL;
    lash__free(r->a, enc);
  }
  cJSON *src = cJSON_CreateObject(), *b;
  if (!src) { cJSON_Delete(d); oom(r); return NULL; }
  if (!put(r, src, "data", d) || !put(r, src, "media_type", ref(cJSON_GetObjectItemCaseSensitive(att, "mime"))) ||
      !put(r, src, "type", str("base64"))) {
    cJSON_Delete(src);
    return NULL;
  }
  if (!(b = cJSON_CreateObject())) { cJSON_Delete(src); oom(r); return NULL; }
  if (!put(r, b, "source", src) || !put(r, b, "type", str("image"))) { cJSON_Delete(b); return NULL; }
  return b;
}

/* content_block_value(): the wire block, or NULL (r->rc 0) for none. */
static cJSON *content_block(req_ctx *r, const cJSON *block) {
  const cJSON *in = cJSON_IsObject(block) ? block->child : NULL;
  if (!in || in->next || !in->string || !cJSON_IsObject(in)) {
    bad_req(r, "a content block must be an object with one variant");
    return NULL;
  }
  const char *kind = in->string;
  if (!strcmp(kind, "Text")) {
    const cJSON *text = req_str(r, in, "text", "Text");
    if (!text) return NULL;
    if (is_blank(text->valuestring)) return NULL; /* Anthropic 400s on empty text */
    return text_block(r, ref(text), cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "cache_breakpoint")));
  }
  if (!strcmp(kind, "Image")) {
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(in, "attachment_idx");
    if (!cJSON_IsNumber(idx) || idx->valuedouble < 0 || idx->valuedouble != floor(idx->valuedouble)) {
      bad_req(r, "Image.attachment_idx must be a non-negative integer");
      return NULL;
    }
    cJSON *b = image_block(r, idx->valuedouble);
    return b || r->rc ? b : text_block(r, str("[Image attached]"), 0);
  }
  if (!strcmp(kind, "ToolCall")) {
    const cJSON *id = req_str(r, in, "call_id", "ToolCall"), *name = id ? req_str(r, in, "tool_name", "ToolCall") : NULL;
    const cJSON *input_json = name ? req_str(r, in, "input_json", "ToolCall") : NULL;
    if (!input_json) return NULL;
    int nomem;
    const char *s = input_json->valuestring;
    cJSON *input = json_read(r->a, s, strlen(s), &nomem); /* invalid JSON -> {} */
    if (!input && !nomem) input = cJSON_CreateObject();
    cJSON *b = cJSON_CreateObject();
    if (!b) { cJSON_Delete(input); oom(r); return NULL; }
    if (!put(r, b, "input", input) || !put(r, b, "id", tool_id(r, id->valuestring)) ||
        !put(r, b, "name", ref(name)) || !put(r, b, "type", str("tool_use"))) {
      cJSON_Delete(b);
      return NULL;
    }
    return b;
  }
  if (!strcmp(kind, "ToolResult")) {
    const cJSON *id = req_str(r, in, "call_id", "ToolResult"), *content = id ? req_str(r, in, "content", "ToolResult") : NULL;
    if (!content) return NULL;
    cJSON *b = cJSON_CreateObject();
    if (!b) { oom(r); return NULL; }
    if (!put(r, b, "content", ref(content)) || !put(r, b, "tool_use_id", tool_id(r, id->valuestring)) ||
        !put(r, b, "type", str("tool_result"))) {
      cJSON_Delete(b);
      return NULL;
    }
    return b;
  }
  if (!strcmp(kind, "Reasoning")) {
    const cJSON *text = req_str(r, in, "text", "Reasoning");
    if (!text) return NULL;
    const cJSON *replay = cJSON_GetObjectItemCaseSensitive(in, "replay");
    if (!lash__json_is_nullish(replay) && !cJSON_IsObject(replay)) {
      bad_req(r, "Reasoning.replay must be an object or null");
      return NULL;
    }
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(replay, "signature");
    if (!lash__json_is_nullish(sig) && !cJSON_IsString(sig)) {
      bad_req(r, "Reasoning.replay.signature must be a string");
      return NULL;
    }
    int blank = is_blank(text->valuestring);
    /* A thinking block replays only with its signature; else it goes as text. */
    if (!cJSON_IsString(sig)) return blank ? NULL : text_block(r, ref(text), 0);
    cJSON *b = NULL;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(replay, "redacted"))) {
      if (!(b = cJSON_CreateObject())) { oom(r); return NULL; }
      if (put(r, b, "data", ref(sig)) && put(r, b, "type", str("redacted_thinking"))) return b;
    } else {
      if (blank) return NULL;
      if (!(b = cJSON_CreateObject())) { oom(r); return NULL; }
      if (put(r, b, "signature", ref(sig)) && put(r, b, "thinking", ref(text)) && put(r, b, "type", str("thinking")))
        return b;
    }
    cJSON_Delete(b);
    return NULL;
  }
  bad_req(r, "unknown content block `%.64s`", kind);
  return NULL;
}

/* collect_text(): a system message's Text blocks joined by blank lines. */
static char *collect_text(req_ctx *r, const cJSON *blocks) {
  lash_buf b;
  lash__buf_init(&b, r->a);
  const cJSON *block;
  cJSON_ArrayForEach(block, blocks) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(block, "Text");
    if (!t) continue;
    const cJSON *text = req_str(r, t, "text", "Text");
    if (!text) break;
    if (b.len) lash__buf_puts(&b, "\n\n");
    lash__buf_puts(&b, text->valuestring);
  }
  lash__buf_append(&b, "", 0);
  char *s = lash__buf_take(&b, NULL);
  if (!s) oom(r);
  if (r->rc) { lash__free(r->a, s); return NULL; }
  return s;
}

/* build_messages(): the first System message is the system prompt; later ones
 * are user turns; adjacent same-role messages merge (Anthropic alternates). */
static int build_messages(req_ctx *r, const cJSON *messages, cJSON *out, char **system) {
  int first_system_seen = 0;
  const cJSON *last_role = NULL;
  cJSON *last_content = NULL;
  const cJSON *msg;
  *system = NULL;
  if (!cJSON_IsArray(messages)) return bad_req(r, "messages must be an array");
  cJSON_ArrayForEach(msg, messages) {
    const cJSON *role = req_str(r, msg, "role", "message");
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(msg, "blocks");
    if (!role) return 0;
    if (!cJSON_IsArray(blocks)) return bad_req(r, "message.blocks must be an array");
    const char *rs = role->valuestring, *wire;
    if (!strcmp(rs, "System")) {
      if (!first_system_seen) {
        first_system_seen = 1;
        char *text = collect_text(r, blocks);
        if (!text) return 0;
        if (*text) *system = text;
        else lash__free(r->a, text);
        continue;
      }
      wire = "user";
    } else if (!strcmp(rs, "User")) wire = "user";
    else if (!strcmp(rs, "Assistant")) wire = "assistant";
    else return bad_req(r, "unknown message role `%.64s`", rs);

    cJSON *content = cJSON_CreateArray();
    if (!content) return oom(r);
    const cJSON *block;
    cJSON_ArrayForEach(block, blocks) {
      cJSON *v = content_block(r, block);
      if (r->rc || (v && !push(r, content, v))) { cJSON_Delete(content); return 0; }
    }
    if (!content->child) { cJSON_Delete(content); continue; }
    if (last_role && !strcmp(last_role->valuestring, wire)) {
      while (content->child) cJSON_AddItemToArray(last_content, cJSON_DetachItemViaPointer(content, content->child));
      cJSON_Delete(content);
      continue;
    }
    cJSON *m = cJSON_CreateObject();
    if (!m) { cJSON_Delete(content); return oom(r); }
    if (!push(r, out, m)) { cJSON_Delete(content); return 0; }
    if (!put(r, m, "content", content) || !put(r, m, "role", str(wire))) return 0;
    last_role = cJSON_GetObjectItemCaseSensitive(m, "role");
    last_content = content;
  }
  return 1;
}

/* build_tools(): input_schema reduced to {type:"object", properties, required}. */
static int build_tools(req_ctx *r, const cJSON *tools, cJSON *out) {
  const cJSON *tool;
  if (tools && !cJSON_IsArray(tools) && !cJSON_IsNull(tools)) return bad_req(r, "tools must be an array");
  cJSON_ArrayForEach(tool, tools) {
    const cJSON *name = req_str(r, tool, "name", "tool"), *desc = name ? req_str(r, tool, "description", "tool") : NULL;
    if (!desc) return 0;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(tool, "input_schema");
    const cJSON *props = cJSON_IsObject(schema) ? cJSON_GetObjectItemCaseSensitive(schema, "properties") : NULL;
    const cJSON *req = cJSON_IsObject(schema) ? cJSON_GetObjectItemCaseSensitive(schema, "required") : NULL;
    cJSON *t = cJSON_CreateObject(), *s = cJSON_CreateObject();
    if (!t || !s) { cJSON_Delete(t); cJSON_Delete(s); return oom(r); }
    if (!push(r, out, t)) { cJSON_Delete(s); return 0; }
    if (!put(r, t, "input_schema", s)) return 0;
    if (!put(r, t, "description", ref(desc)) || !put(r, t, "name", ref(name)) ||
        !put(r, s, "properties", props ? ref(props) : cJSON_CreateObject()) ||
        !put(r, s, "required", req ? ref(req) : cJSON_CreateArray()) || !put(r, s, "type", str("object")))
      return 0;
  }
  return 1;
}

enum { CACHE_NONE, CACHE_SHORT, CACHE_LONG };

static cJSON *cache_ctrl(int retention) {
  cJSON *c = cJSON_CreateObject();
  if (c && (!cJSON_AddStringToObject(c, "type", "ephemeral") ||
            (retention == CACHE_LONG && !cJSON_AddStringToObject(c, "ttl", "1h")))) {
    cJSON_Delete(c);
    c = NULL;
  }
  return c;
}

static int is_marked(const cJSON *block) {
  return cJSON_IsObject(block) && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(block, "__lash_cache_breakpoint"));
}

/* A reverse walk over a cJSON array (prev of the head is the tail). */
#define LAST(arr) ((arr) && (arr)->child ? (arr)->child->prev : NULL)
#define PREV(arr, it) ((it) == (arr)->child ? NULL : (it)->prev)

/* apply_cache_control(): system, the last explicit breakpoint (else the last
 * user message's last block), and the last tool; markers never reach the wire. */
static int apply_cache_control(req_ctx *r, int retention, cJSON *system, cJSON *messages, cJSON *tools) {
  if (retention != CACHE_NONE) {
    cJSON *last = LAST(system);
    if (last && !put(r, last, "cache_control", cache_ctrl(retention))) return 0;
    int applied = 0;
    for (cJSON *m = LAST(messages); m && !applied; m = PREV(messages, m)) {
      cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
      for (cJSON *b = LAST(content); b; b = PREV(content, b)) {
        if (!is_marked(b)) continue;
        if (!put(r, b, "cache_control", cache_ctrl(retention))) return 0;
        applied = 1;
        break;
      }
    }
    cJSON *lm = LAST(messages);
    if (!applied && lm && !strcmp(cJSON_GetObjectItemCaseSensitive(lm, "role")->valuestring, "user")) {
      cJSON *lb = LAST(cJSON_GetObjectItemCaseSensitive(lm, "content"));
      if (lb && !put(r, lb, "cache_control", cache_ctrl(retention))) return 0;
    }
    cJSON *lt = LAST(tools);
    if (lt && !put(r, lt, "cache_control", cache_ctrl(retention))) return 0;
  }
  cJSON *m;
  cJSON_ArrayForEach(m, messages) {
    cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(m, "content"))
      cJSON_DeleteItemFromObjectCaseSensitive(b, "__lash_cache_breakpoint");
  }
  return 1;
}

/* ASCII-case-insensitive substring (to_ascii_lowercase().contains(needle)). */
static int icontains(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t k = 0;
    while (k < n && hay[k] && ((hay[k] >= 'A' && hay[k] <= 'Z') ? hay[k] + 32 : hay[k]) == needle[k]) k++;
    if (k == n) return 1;
  }
  return 0;
}

static int supports_adaptive(const char *m) {
  return icontains(m, "opus-4-6") || icontains(m, "opus-4.6") || icontains(m, "opus-4-7") ||
         icontains(m, "opus-4.7") || icontains(m, "sonnet-4-6") || icontains(m, "sonnet-4.6");
}
int lash__anthropic_supports_adaptive(const char *model) { return supports_adaptive(model); }
static int supports_xhigh(const char *m) { return icontains(m, "opus-4-7") || icontains(m, "opus-4.7"); }
static int supports_max(const char *m) { return icontains(m, "opus-4-6") || icontains(m, "opus-4.6"); }

/* AnthropicModelPolicy::thinking_config(): 1 adaptive (effort = variant),
 * 2 budget (*budget), 0 none. */
static int thinking_config(const char *model, const char *variant, int *budget) {
  static const char *const xhigh[] = {"low", "medium", "high", "xhigh", NULL};
  static const char *const max[] = {"low", "medium", "high", "max", NULL};
  static const char *const adaptive[] = {"low", "medium", "high", NULL};
  static const char *const budgeted[] = {"none", "low", "medium", "high", NULL};
  const char *const *list = NULL;
  if (supports_adaptive(model)) list = supports_xhigh(model) ? xhigh : supports_max(model) ? max : adaptive;
  else if (icontains(model, "haiku-4") || icontains(model, "claude-opus-4") || icontains(model, "claude-sonnet-4"))
    list = budgeted;
  int found = 0;
  for (const char *const *v = list; v && *v; v++) found |= !strcmp(*v, variant);
  if (!found) return 0;
  if (supports_adaptive(model)) return strcmp(variant, "none") ? 1 : 0;
  if (!strcmp(variant, "low")) *budget = 1024;
  else if (!strcmp(variant, "medium")) *budget = 4096;
  else if (!strcmp(variant, "high")) *budget = 12288;
  else return 0;
  return 2;
}

/* clamp_effort(): xhigh is Opus 4.7's, max Opus 4.6's; others fall to high. */
static const char *clamp_effort(const char *model, const char *effort) {
  if (!strcmp(effort, "xhigh")) return supports_xhigh(model) ? "xhigh" : supports_max(model) ? "max" : "high";
  if (!strcmp(effort, "max")) return supports_max(model) ? "max" : supports_xhigh(model) ? "xhigh" : "high";
  return effort; /* variants are lowercase and unpadded */
}

static int bad_opts(req_ctx *r, const char *detail) {
  return failed(r, fail(r->e, LASH_E_INVALID_ARGUMENT, "opts", "%s", detail));
}

/* ProviderOptions carried in opts: max_output_tokens, expose_thinking,
 * cache_retention ("none" | "short" | "long"). Other keys belong to other dialects. */
static int read_opts(req_ctx *r, const cJSON *opts, int *has_max, uint64_t *max, int *expose, int *retention) {
  *has_max = 0;
  *expose = 0;
  *retention = CACHE_SHORT; /* CacheRetention::default() */
  if (lash__json_is_nullish(opts)) return 1;
  if (!cJSON_IsObject(opts)) return bad_opts(r, "must be an object");
  int rc = lash__json_opt_u64(opts, "max_output_tokens", 1, "opts", has_max, max, r->e);
  if (rc) return failed(r, rc);
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(opts, "expose_thinking");
  if (!lash__json_is_nullish(x) && !cJSON_IsBool(x)) return bad_opts(r, "`expose_thinking` must be a boolean");
  *expose = cJSON_IsTrue(x);
  const char *cr;
  if ((rc = lash__json_opt_string(opts, "cache_retention", 16, "opts", &cr, r->e))) return failed(r, rc);
  if (cr) {
    if (!strcmp(cr, "none")) *retention = CACHE_NONE;
    else if (!strcmp(cr, "long")) *retention = CACHE_LONG;
    else if (strcmp(cr, "short")) return bad_opts(r, "`cache_retention` must be none, short or long");
  }
  return 1;
}

static int build_body(req_ctx *r, const cJSON *req, const cJSON *opts, cJSON *body) {
  int has_max, expose, retention, budget = 0;
  uint64_t opt_max, cap = 0;
  if (!read_opts(r, opts, &has_max, &opt_max, &expose, &retention)) return 0;
  if (!cJSON_IsObject(req)) return bad_req(r, "must be an object");
  const cJSON *model = req_str(r, req, "model", "request");
  if (!model) return 0;
  r->atts = cJSON_GetObjectItemCaseSensitive(req, "attachments");
  if (cJSON_IsNull(r->atts)) r->atts = NULL;
  if (!check_attachments(r)) return 0;

  const cJSON *gen = cJSON_GetObjectItemCaseSensitive(req, "generation");
  if (!lash__json_is_nullish(gen)) {
    static const char *const keys[] = {"output_token_cap", NULL};
    int has_cap, rc;
    if (!cJSON_IsObject(gen)) return bad_req(r, "generation must be an object");
    if ((rc = lash__json_deny_unknown(gen, keys, "llm_request", r->e)) ||
        (rc = lash__json_opt_u64(gen, "output_token_cap", 0, "llm_request", &has_cap, &cap, r->e)))
      return failed(r, rc);
    if (!has_cap) cap = 0;
  }
  /* resolve_generation_policy(): the request's cap, else the provider's, else 32768 */
  uint64_t max_tokens = cap ? cap : has_max ? opt_max : DEFAULT_MAX_OUTPUT_TOKENS;

  const cJSON *variant = cJSON_GetObjectItemCaseSensitive(req, "model_variant");
  if (!lash__json_is_nullish(variant) && !cJSON_IsString(variant)) return bad_req(r, "model_variant must be a string");
  int thinking = cJSON_IsString(variant) ? thinking_config(model->valuestring, variant->valuestring, &budget) : 0;

  const cJSON *choice = cJSON_GetObjectItemCaseSensitive(req, "tool_choice");
  const char *tc = lash__json_is_nullish(choice) ? "Auto" : jstr(choice);
  const char *wire_choice = !tc ? NULL : !strcmp(tc, "Auto") ? "auto" : !strcmp(tc, "None") ? "none" : !strcmp(tc, "Required") ? "any" : NULL;
  if (!wire_choice) return bad_req(r, "tool_choice must be Auto, None or Required");

  const cJSON *spec = cJSON_GetObjectItemCaseSensitive(req, "output_spec");
  const cJSON *schema = NULL;
  int json_object = 0;
  if (cJSON_IsString(spec) && !strcmp(spec->valuestring, "JsonObject")) json_object = 1;
  else if (cJSON_IsObject(spec) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(spec, "JsonSchema")) && !spec->child->next)
    schema = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "JsonSchema"), "schema");
  if (!lash__json_is_nullish(spec) && !json_object && !schema) return bad_req(r, "output_spec must be JsonObject or {JsonSchema}");

  cJSON *messages = cJSON_CreateArray(), *tools = cJSON_CreateArray(), *system = NULL, *block = NULL;
  if (!tools) { cJSON_Delete(messages); return oom(r); }
  if (!put(r, body, "messages", messages)) { cJSON_Delete(tools); return 0; }
  char *system_text = NULL;
  int ok = build_messages(r, cJSON_GetObjectItemCaseSensitive(req, "messages"), messages, &system_text) &&
           build_tools(r, cJSON_GetObjectItemCaseSensitive(req, "tools"), tools);
  if (ok && system_text)
    ok = put(r, body, "system", system = cJSON_CreateArray()) && push(r, system, block = cJSON_CreateObject()) &&
         put(r, block, "text", str(system_text)) && put(r, block, "type", str("text"));
  lash__free(r->a, system_text);
  if (!ok || !apply_cache_control(r, retention, system, messages, tools)) { cJSON_Delete(tools); return 0; }

  if (tools->child) {
    cJSON *c;
    if (!put(r, body, "tools", tools) || !put(r, body, "tool_choice", c = cJSON_CreateObject()) ||
        !put(r, c, "type", str(wire_choice)))
      return 0;
  } else {
    cJSON_Delete(tools);
  }
  if (!put(r, body, "model", ref(model)) || !put(r, body, "max_tokens", cJSON_CreateNumber((double)max_tokens)))
    return 0;

  /* Extended thinking; temperature only without it (Anthropic rejects both). */
  const char *display = expose ? "summarized" : "omitted";
  cJSON *th = NULL, *oc = NULL;
  if (thinking) {
    if (!put(r, body, "thinking", th = cJSON_CreateObject()) || !put(r, th, "display", str(display))) return 0;
    if (thinking == 1) {
      if (!put(r, th, "type", str("adaptive")) || !put(r, body, "output_config", oc = cJSON_CreateObject()) ||
          !put(r, oc, "effort", str(clamp_effort(model->valuestring, variant->valuestring))))
        return 0;
    } else if (!put(r, th, "type", str("enabled")) || !put(r, th, "budget_tokens", cJSON_CreateNumber(budget))) {
      return 0;
    }
  } else if (!put(r, body, "temperature", cJSON_CreateNumber(0))) {
    return 0;
  }
  if (json_object || schema) { /* native structured output */
    cJSON *f = cJSON_CreateObject();
    if (!oc && !put(r, body, "output_config", oc = cJSON_CreateObject())) { cJSON_Delete(f); return 0; }
    if (!put(r, oc, "format", f) || !put(r, f, "type", str("json_schema"))) return 0;
    if (schema) return put(r, f, "schema", ref(schema)) && put(r, body, "stream", cJSON_CreateTrue());
    cJSON *s = cJSON_CreateObject();
    if (!put(r, f, "schema", s) || !put(r, s, "additionalProperties", cJSON_CreateTrue()) ||
        !put(r, s, "type", str("object")))
      return 0;
  }
  return put(r, body, "stream", cJSON_CreateTrue());
}

static char *anthropic_request_body(const lash_allocator *a, const cJSON *llm_request, const cJSON *opts,
                                    size_t *len, lash_err *e) {
  req_ctx r;
  memset(&r, 0, sizeof r);
  r.a = a;
  r.e = e;
  lash__rng_seed(&r.rng, 0x616e7468726f7069ull); /* deterministic ids for empty call ids */
  if (len) *len = 0;
  cJSON *body = cJSON_CreateObject();
  if (!body) { oom(&r); return NULL; }
  char *out = NULL;
  if (build_body(&r, llm_request, opts, body)) {
    lash_buf b;
    lash__buf_init(&b, a);
    int ok = w_value(&b, a, body, 0);
    out = lash__buf_take(&b, len);
    if (!ok || !out) {
      lash__free(a, out);
      out = NULL;
      oom(&r);
    }
  }
  cJSON_Delete(body);
  return out;
}

/* ---- stream (stream.rs process_sse_event / finalize) --------------------- */

enum { BK_UNKNOWN, BK_TEXT, BK_THINKING, BK_TOOL };

typedef struct {
  int kind, redacted;
  lash_buf text;      /* text or thinking */
  lash_buf signature; /* thinking signature, or redacted data */
  lash_buf input;     /* streamed tool input JSON */
  lash_buf id, name;  /* tool_use */
  cJSON *initial_input; /* tool_use input from content_block_start (owned) */
} stream_block;

typedef struct {
  int64_t input, output, cached, reasoning;
} usage_t;

struct lash_stream {
  const lash_allocator *a;
  lash_sse sse;
  stream_block *blocks;
  size_t nblocks, cap;
  usage_t usage;
  lash_buf stop_reason;
  int has_stop, text_streamed, finished;
  size_t total;       /* bytes kept from the provider, bounded */
  lash_buf event;     /* the current event, lossy-decoded and trimmed */
  lash_buf scratch;   /* a piece with U+0000 replaced */
  lash_buf piece;     /* a piece read by fast_event */
  lash_delta_fn on_delta;
  void *ud;
  int rc;             /* sticky failure, described by err */
  lash_err err;
  char *err_raw; /* the error event's text (err.raw) */
};

static lash_stream *anthropic_stream_new(const lash_allocator *a) {
  lash_stream *s = lash__alloc(a, sizeof *s);
  if (!s) return NULL;
  memset(s, 0, sizeof *s);
  s->a = a;
  lash__sse_init(&s->sse, a, LASH_SSE_MAX_EVENT);
  lash__buf_init(&s->stop_reason, a);
  lash__buf_init(&s->event, a);
  lash__buf_init(&s->scratch, a);
  lash__buf_init(&s->piece, a);
  return s;
}

static void block_free(stream_block *b) {
  lash__buf_free(&b->text);
  lash__buf_free(&b->signature);
  lash__buf_free(&b->input);
  lash__buf_free(&b->id);
  lash__buf_free(&b->name);
  cJSON_Delete(b->initial_input);
}

static void anthropic_stream_free(lash_stream *s) {
  if (!s) return;
  cJSON_free(s->err_raw);
  for (size_t i = 0; i < s->nblocks; i++) block_free(&s->blocks[i]);
  lash__free(s->a, s->blocks);
  lash__sse_free(&s->sse);
  lash__buf_free(&s->stop_reason);
  lash__buf_free(&s->event);
  lash__buf_free(&s->scratch);
  lash__buf_free(&s->piece);
  lash__free(s->a, s);
}

static int stream_fail(lash_stream *s, int code, const char *fmt, ...) {
  if (s->rc) return s->rc;
  s->rc = code;
  lash__err(&s->err, code, "provider", NULL);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->err.detail, sizeof s->err.detail, fmt, ap);
  va_end(ap);
  utf8_clip(s->err.detail);
  return code;
}

/* Keep n more provider bytes, within LASH_STREAM_MAX_TEXT. */
static int keep(lash_stream *s, size_t n) {
  if (n > LASH_STREAM_MAX_TEXT - s->total)
    return stream_fail(s, LASH_E_INVALID_ARGUMENT, "Anthropic response exceeds the %u-byte limit",
                       (unsigned)LASH_STREAM_MAX_TEXT);
  s->total += n;
  return LASH_OK;
}

/* A provider string fit for output: U+0000 (which a C string cannot carry)
 * becomes U+FFFD. NULL when out of memory. */
static const char *clean(lash_stream *s, const char *v) {
  const char *m = strstr(v, NUL_MARK);
  if (!m) return v;
  s->scratch.len = 0;
  for (; m; v = m + 2, m = strstr(v, NUL_MARK)) {
    lash__buf_append(&s->scratch, v, (size_t)(m - v));
    lash__buf_append(&s->scratch, "\xEF\xBF\xBD", 3);
  }
  lash__buf_puts(&s->scratch, v);
  return s->scratch.oom ? NULL : s->scratch.data;
}

static int set_buf(lash_stream *s, lash_buf *b, const char *v, int append) {
  if (!(v = clean(s, v))) return stream_fail(s, LASH_E_NOMEM, "out of memory");
  size_t n = strlen(v);
  int rc = keep(s, n);
  if (rc) return rc;
  if (!append) b->len = 0;
  if (!lash__buf_append(b, v, n)) return stream_fail(s, LASH_E_NOMEM, "out of memory");
  return LASH_OK;
}

/* parse_usage(): Anthropic's input_tokens is net of cache reads and writes. */
static usage_t parse_usage(const cJSON *u) {
  int64_t in = 0, out = 0, read = 0, write = 0;
  as_i64(jget(u, "input_tokens"), &in);
  as_i64(jget(u, "output_tokens"), &out);
  as_i64(jget(u, "cache_read_input_tokens"), &read);
  as_i64(jget(u, "cache_creation_input_tokens"), &write);
  usage_t r = {(int64_t)((uint64_t)in + (uint64_t)read + (uint64_t)write), out, read, 0};
  return r;
}

/* The block at an event's index, growing the list on content_block_start. */
static stream_block *block_at(lash_stream *s, const cJSON *event, int grow, int *rc) {
  uint64_t idx = 0;
  *rc = LASH_OK;
  if (!as_u64(jget(event, "index"), &idx)) idx = 0;
  if (idx < s->nblocks) return &s->blocks[idx];
  if (!grow) return NULL; /* a delta for a block never started is ignored */
  if (idx >= MAX_BLOCKS) {
    *rc = stream_fail(s, LASH_E_INVALID_ARGUMENT, "Anthropic content block index exceeds %d", MAX_BLOCKS);
    return NULL;
  }
  if (idx >= s->cap) {
    size_t cap = s->cap ? s->cap : 4;
    while (cap <= idx) cap *= 2;
    if (cap > MAX_BLOCKS) cap = MAX_BLOCKS;
    stream_block *nb = lash__realloc(s->a, s->blocks, cap * sizeof *nb);
    if (!nb) { *rc = stream_fail(s, LASH_E_NOMEM, "out of memory"); return NULL; }
    s->blocks = nb;
    s->cap = cap;
  }
  for (; s->nblocks <= idx; s->nblocks++) {
    stream_block *b = &s->blocks[s->nblocks];
    memset(b, 0, sizeof *b);
    lash__buf_init(&b->text, s->a);
    lash__buf_init(&b->signature, s->a);
    lash__buf_init(&b->input, s->a);
    lash__buf_init(&b->id, s->a);
    lash__buf_init(&b->name, s->a);
  }
  return &s->blocks[idx];
}

static int on_block_start(lash_stream *s, cJSON *event, size_t raw_len) {
  int rc;
  stream_block *b = block_at(s, event, 1, &rc);
  if (!b) return rc;
  cJSON *meta = (cJSON *)jget(event, "content_block");
  const char *type = jstr(jget(meta, "type"));
  if (!type) type = "";
  if (!strcmp(type, "text")) b->kind = BK_TEXT;
  else if (!strcmp(type, "thinking")) b->kind = BK_THINKING;
  else if (!strcmp(type, "redacted_thinking")) {
    b->kind = BK_THINKING;
    b->redacted = 1;
    const char *data = jstr(jget(meta, "data"));
    if (data && (rc = set_buf(s, &b->signature, data, 0))) return rc;
    return set_buf(s, &b->text, "[Reasoning redacted]", 0);
  } else if (!strcmp(type, "tool_use")) {
    b->kind = BK_TOOL;
    const char *id = jstr(jget(meta, "id")), *name = jstr(jget(meta, "name"));
    if (id && (rc = set_buf(s, &b->id, id, 0))) return rc;
    if (name && (rc = set_buf(s, &b->name, name, 0))) return rc;
    cJSON *input = (cJSON *)jget(meta, "input");
    if (input) {
      if ((rc = keep(s, raw_len))) return rc; /* bounded by its event */
      cJSON_Delete(b->initial_input);
      b->initial_input = cJSON_DetachItemViaPointer(meta, input);
    }
  } else {
    b->kind = BK_UNKNOWN;
  }
  return LASH_OK;
}

/* A content_block_delta's type and the delta field it carries. */
static const char *const delta_types[] = {"text_delta", "thinking_delta", "signature_delta", "input_json_delta"};
static const char *const delta_fields[] = {"text", "thinking", "signature", "partial_json"};

static int put_piece(lash_stream *s, stream_block *b, const char *field, const char *piece);

static int on_block_delta(lash_stream *s, const cJSON *event) {
  int rc;
  stream_block *b = block_at(s, event, 0, &rc);
  if (!b) return rc;
  const cJSON *delta = jget(event, "delta");
  const char *type = jstr(jget(delta, "type"));
  if (!type) return LASH_OK;
  const char *field = NULL;
  for (int k = 0; k < 4; k++)
    if (!strcmp(type, delta_types[k])) field = delta_fields[k];
  if (!field) return LASH_OK;
  return put_piece(s, b, field, jstr(jget(delta, field)));
}

/* A delta's text (or thinking, signature, tool input) onto its block. */
static int put_piece(lash_stream *s, stream_block *b, const char *field, const char *piece) {
  int rc;
  if (!piece || !*piece) return LASH_OK;
  if (!(piece = clean(s, piece))) return stream_fail(s, LASH_E_NOMEM, "out of memory");
  lash_buf *dst = field[0] == 's' ? &b->signature : field[0] == 'p' ? &b->input : &b->text;
  if ((rc = set_buf(s, dst, piece, 1))) return rc;
  if (field[0] == 't' && s->on_delta) { /* text and thinking stream as they come */
    int text = field[1] == 'e';
    s->on_delta(s->ud, text ? "text" : "reasoning", piece, strlen(piece));
    if (text) s->text_streamed = 1;
  }
  return LASH_OK;
}

/* ---- the common events without a DOM ----------------------------------------
 * Most of a stream is {"type":"content_block_delta","index":N,"delta":{"type":"text_delta",
 * "text":"..."}} (or another delta kind), and ping/stop events. fast_event reads exactly
 * those shapes (any key order, JSON whitespace, escapes in the piece) from one valid UTF-8
 * line and does what on_event would; anything else (unknown or repeated keys, escaped keys,
 * other numbers, other events) returns -1 with nothing changed, for on_event's reader. */

/* An ASCII string without escapes: its body in [*k, *k + *n). */
static int fk_raw(jreader *j, const unsigned char **k, size_t *n) {
  jr_ws(j);
  if (j->p >= j->end || *j->p != '"') return 0;
  const unsigned char *b = ++j->p;
  while (j->p < j->end && *j->p != '"' && *j->p != '\\' && *j->p >= 0x20 && *j->p < 0x80) j->p++;
  if (j->p >= j->end || *j->p != '"') return 0;
  *k = b;
  *n = (size_t)(j->p++ - b);
  return 1;
}

static int fk_is(const unsigned char *k, size_t n, const char *w) { return strlen(w) == n && !memcmp(k, w, n); }

/* A key's ':'. */
static int fk_colon(jreader *j) {
  jr_ws(j);
  if (j->p >= j->end || *j->p != ':') return 0;
  j->p++;
  return 1;
}

/* After a member: 1 at ',', 0 at the closing brace, -1 otherwise. */
static int fk_next(jreader *j) {
  jr_ws(j);
  if (j->p >= j->end) return -1;
  if (*j->p == ',') { j->p++; return 1; }
  if (*j->p == '}') { j->p++; return 0; }
  return -1;
}

static int fk_open(jreader *j) {
  jr_ws(j);
  if (j->p >= j->end || *j->p != '{') return 0;
  j->p++;
  return 1;
}

/* {"type":"<kind>_delta","<field>":"..."}: the field's index, its text in j->s. */
static int fk_delta(jreader *j, int *field) {
  const unsigned char *k, *t = NULL;
  size_t n, tn = 0;
  int more;
  *field = -1;
  if (!fk_open(j)) return 0;
  do {
    if (!fk_raw(j, &k, &n) || !fk_colon(j)) return 0;
    if (fk_is(k, n, "type")) {
      if (t || !fk_raw(j, &t, &tn)) return 0;
    } else {
      int f = -1;
      for (int x = 0; x < 4; x++)
        if (fk_is(k, n, delta_fields[x])) f = x;
      if (f < 0 || *field >= 0) return 0;
      *field = f;
      jr_ws(j);
      const unsigned char *q = j->p;
      if (j->p >= j->end || *j->p != '"') return 0;
      j->p++;
      if (!jr_string(j)) return 0;
      for (unsigned cp; q < j->p;) { /* the raw text is valid UTF-8 (as lossy decoding keeps it) */
        size_t m = *q < 0x80 ? 1 : utf8_seq(q, (size_t)(j->p - q), &cp);
        if (!m) return 0;
        q += m;
      }
    }
  } while ((more = fk_next(j)) > 0);
  return !more && t && *field >= 0 && fk_is(t, tn, delta_types[*field]);
}

static int fast_event(lash_stream *s, const char *data, size_t len) {
  if (len < 2 || data[0] != '{' || data[len - 1] != '}' || memchr(data, '\n', len)) return -1;
  jreader j;
  memset(&j, 0, sizeof j);
  j.p = (const unsigned char *)data;
  j.end = j.p + len;
  j.s = s->piece;
  j.s.oom = 0; /* a failed append earlier is no reason to fall back now */
  const unsigned char *k, *t = NULL;
  size_t n, tn = 0;
  uint64_t idx = 0;
  int more, has_idx = 0, has_delta = 0, field = -1, ok = 0;
  if (!fk_open(&j)) goto out;
  do {
    if (!fk_raw(&j, &k, &n) || !fk_colon(&j)) goto out;
    if (fk_is(k, n, "type")) {
      if (t || !fk_raw(&j, &t, &tn)) goto out;
    } else if (fk_is(k, n, "index")) {
      jr_ws(&j);
      if (has_idx || !is_digit(j.p, j.end)) goto out;
      has_idx = 1;
      if (*j.p == '0') j.p++;
      else
        for (int d = 0; is_digit(j.p, j.end); d++, j.p++) {
          if (d == 18) goto out;
          idx = idx * 10 + (uint64_t)(*j.p - '0');
        }
    } else if (fk_is(k, n, "delta")) {
      if (has_delta || !fk_delta(&j, &field)) goto out;
      has_delta = 1;
    } else {
      goto out;
    }
  } while ((more = fk_next(&j)) > 0);
  jr_ws(&j);
  ok = !more && t && j.p == j.end;
out:
  s->piece = j.s; /* the scratch buffer is kept for the next event */
  if (!ok) return -1;
  if (fk_is(t, tn, "ping") || fk_is(t, tn, "content_block_stop") || fk_is(t, tn, "message_stop")) return LASH_OK;
  if (!fk_is(t, tn, "content_block_delta")) return -1;
  if (idx >= s->nblocks || !has_delta) return LASH_OK; /* a delta for a block never started */
  return put_piece(s, &s->blocks[idx], delta_fields[field], j.s.data);
}

/* process_sse_event(): one event's data. */
static int on_event(void *ud, const char *data, size_t len) {
  lash_stream *s = ud;
  if (s->rc) return s->rc;
  int fast = fast_event(s, data, len);
  if (fast >= 0) return fast;
  /* lash decodes lines lossily and trims each data line and the event */
  lash_buf *ev = &s->event;
  ev->len = 0;
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && data[i] != '\n') continue;
    size_t mark = ev->len, b, e;
    if (i > start && !utf8_lossy(ev, data + start, i - start)) return stream_fail(s, LASH_E_NOMEM, "out of memory");
    utrim(ev->data ? ev->data + mark : "", ev->len - mark, &b, &e);
    if (ev->data) memmove(ev->data + mark, ev->data + mark + b, e - b);
    ev->len = mark + (e - b);
    if (i < len && !lash__buf_append(ev, "\n", 1)) return stream_fail(s, LASH_E_NOMEM, "out of memory");
    start = i + 1;
  }
  size_t b, e;
  utrim(ev->data ? ev->data : "", ev->len, &b, &e);
  if (b == e) return LASH_OK;
  int nomem;
  cJSON *event = json_read(s->a, ev->data + b, e - b, &nomem);
  if (!event)
    return nomem ? stream_fail(s, LASH_E_NOMEM, "out of memory") : stream_fail(s, LASH_E_INVALID_ARGUMENT, "Invalid Anthropic SSE payload");
  const char *type = jstr(jget(event, "type"));
  int rc = LASH_OK;
  if (!type) type = "";
  if (!strcmp(type, "message_start")) {
    const cJSON *u = jget(jget(event, "message"), "usage");
    if (u) s->usage = parse_usage(u);
  } else if (!strcmp(type, "content_block_start")) {
    rc = on_block_start(s, event, e - b);
  } else if (!strcmp(type, "content_block_delta")) {
    rc = on_block_delta(s, event);
  } else if (!strcmp(type, "message_delta")) {
    const cJSON *u = jget(event, "usage");
    if (u) { /* merge_usage(): later non-zero counters win */
      usage_t n = parse_usage(u);
      if (n.input > 0) s->usage.input = n.input;
      if (n.output > 0) s->usage.output = n.output;
      if (n.cached > 0) s->usage.cached = n.cached;
    }
    const char *stop = jstr(jget(jget(event, "delta"), "stop_reason"));
    if (stop && !(rc = set_buf(s, &s->stop_reason, stop, 0))) s->has_stop = 1;
  } else if (!strcmp(type, "error")) {
    const char *msg = jstr(jget(jget(event, "error"), "message"));
    if (msg && !(msg = clean(s, msg))) msg = "out of memory";
    rc = stream_fail(s, LASH_E_INVALID_ARGUMENT, "Anthropic stream error: %s", msg ? msg : "Anthropic stream error");
    /* lash is_retryable_error_event: overloaded, api and rate-limit errors */
    const char *et = jstr(jget(jget(event, "error"), "type"));
    s->err.retryable = et && (!strcmp(et, "overloaded_error") || !strcmp(et, "api_error") || !strcmp(et, "rate_limit_error"));
    lash__err_raw_event(&s->err, &s->err_raw, event);
  } /* content_block_stop, message_stop, ping and unknown events change nothing */
  cJSON_Delete(event);
  return rc;
}

static int sse_status(lash_stream *s, int rc) {
  if (!rc || s->rc) return s->rc;
  if (rc == LASH_E_NOMEM) return stream_fail(s, rc, "out of memory");
  return stream_fail(s, LASH_E_INVALID_ARGUMENT, "Anthropic SSE event exceeds the %u-byte limit",
                     (unsigned)LASH_SSE_MAX_EVENT);
}

static int copy_err(lash_stream *s, lash_err *e) {
  if (e) *e = s->err;
  return s->rc;
}

static int anthropic_stream_feed(lash_stream *s, const char *bytes, size_t len, lash_delta_fn on_delta, void *ud,
                                 lash_err *e) {
  if (s->finished && !s->rc) stream_fail(s, LASH_E_STATE, "the stream already finished");
  if (s->rc) return copy_err(s, e);
  s->on_delta = on_delta;
  s->ud = ud;
  int rc = sse_status(s, lash__sse_feed(&s->sse, bytes, len, on_event, s));
  s->on_delta = NULL;
  s->ud = NULL;
  return rc ? copy_err(s, e) : LASH_OK;
}

static int add_str(cJSON *o, const char *k, const lash_buf *b) {
  return cJSON_AddStringToObject(o, k, b->data ? b->data : "") != NULL;
}

/* One block as an output part: NULL with *ok 1 when it yields none. */
static cJSON *block_part(lash_stream *s, const stream_block *b, int *ok) {
  cJSON *part = NULL, *in = NULL, *replay;
  if (b->kind == BK_TEXT && b->text.len) {
    *ok = (part = cJSON_CreateObject()) && (in = cJSON_AddObjectToObject(part, "Text")) &&
          add_str(in, "text", &b->text) && cJSON_AddNullToObject(in, "response_meta");
  } else if (b->kind == BK_THINKING && (b->text.len || b->signature.len)) {
    *ok = (part = cJSON_CreateObject()) && (in = cJSON_AddObjectToObject(part, "Reasoning")) &&
          add_str(in, "text", &b->text);
    if (*ok && b->signature.len)
      *ok = (replay = cJSON_AddObjectToObject(in, "replay")) && add_str(replay, "signature", &b->signature) &&
            (!b->redacted || cJSON_AddTrueToObject(replay, "redacted"));
    else if (*ok)
      *ok = cJSON_AddNullToObject(in, "replay") != NULL;
  } else if (b->kind == BK_TOOL && b->name.len) {
    /* streamed input, else the start event's input object, else {} */
    char *printed = NULL;
    const char *input = b->input.len ? b->input.data : "{}";
    if (!b->input.len && cJSON_IsObject(b->initial_input)) {
      lash_buf w;
      lash__buf_init(&w, s->a);
      int wrote = w_value(&w, s->a, b->initial_input, 0);
      printed = lash__buf_take(&w, NULL);
      if (!wrote) { lash__free(s->a, printed); printed = NULL; }
      input = printed;
    }
    *ok = input && (part = cJSON_CreateObject()) && (in = cJSON_AddObjectToObject(part, "ToolCall")) &&
          add_str(in, "call_id", &b->id) && add_str(in, "tool_name", &b->name) &&
          cJSON_AddStringToObject(in, "input_json", input) && cJSON_AddNullToObject(in, "replay");
    lash__free(s->a, printed);
  }
  if (!*ok) { cJSON_Delete(part); part = NULL; }
  return part;
}

/* finalize(): parts in block order, usage, terminal reason. */
static cJSON *finalize(lash_stream *s) {
  cJSON *out = cJSON_CreateObject(), *parts = cJSON_CreateArray(), *u = NULL;
  lash_buf full;
  lash__buf_init(&full, s->a);
  int ok = out && parts, any_call = 0;
  for (size_t i = 0; ok && i < s->nblocks; i++) {
    const stream_block *b = &s->blocks[i];
    cJSON *part = block_part(s, b, &ok);
    if (!part) continue;
    cJSON_AddItemToArray(parts, part);
    if (b->kind == BK_TEXT) lash__buf_append(&full, b->text.data, b->text.len);
    if (b->kind == BK_TOOL) any_call = 1;
  }
  const char *reason, *sr = s->stop_reason.data;
  if (!s->has_stop) reason = any_call ? "tool_use" : "stop"; /* terminal_reason_from_parts() */
  else if (!strcmp(sr, "end_turn") || !strcmp(sr, "stop_sequence") || !strcmp(sr, "pause_turn")) reason = "stop";
  else if (!strcmp(sr, "tool_use")) reason = "tool_use";
  else if (!strcmp(sr, "max_tokens")) reason = "output_limit";
  else if (!strcmp(sr, "refusal") || !strcmp(sr, "safety") || !strcmp(sr, "sensitive")) reason = "content_filter";
  else reason = "provider_error";
  ok = ok && !full.oom && cJSON_AddStringToObject(out, "full_text", full.data ? full.data : "") &&
       cJSON_AddItemToObject(out, "parts", parts);
  if (!ok) cJSON_Delete(parts);
  ok = ok && (u = cJSON_AddObjectToObject(out, "usage")) &&
       cJSON_AddNumberToObject(u, "input_tokens", (double)s->usage.input) &&
       cJSON_AddNumberToObject(u, "output_tokens", (double)s->usage.output) &&
       cJSON_AddNumberToObject(u, "cached_input_tokens", (double)s->usage.cached) &&
       cJSON_AddNumberToObject(u, "reasoning_tokens", (double)s->usage.reasoning) &&
       cJSON_AddStringToObject(out, "terminal_reason", reason) && cJSON_AddNullToObject(out, "terminal_diagnostic") &&
       cJSON_AddNullToObject(out, "provider_usage") && cJSON_AddBoolToObject(out, "text_streamed", s->text_streamed);
  lash__buf_free(&full);
  if (!ok) { cJSON_Delete(out); return NULL; }
  return out;
}

/* End of body. lash accepts a stream that ends without message_stop (its SSE
 * driver just finishes and finalizes), so a truncated body is not an error here. */
static cJSON *anthropic_stream_finish(lash_stream *s, lash_delta_fn on_delta, void *ud, lash_err *e) {
  if (s->finished && !s->rc) stream_fail(s, LASH_E_STATE, "the stream already finished");
  s->finished = 1;
  s->on_delta = on_delta;
  s->ud = ud;
  if (!s->rc) sse_status(s, lash__sse_finish(&s->sse, on_event, s));
  s->on_delta = NULL;
  s->ud = NULL;
  if (s->rc) { copy_err(s, e); return NULL; }
  cJSON *out = finalize(s);
  if (!out) {
    stream_fail(s, LASH_E_NOMEM, "out of memory");
    copy_err(s, e);
  }
  return out;
}

const lash_dialect lash__dialect_anthropic = {
    "anthropic", anthropic_request_body, anthropic_stream_new, anthropic_stream_feed, anthropic_stream_finish,
    anthropic_stream_free,
};
