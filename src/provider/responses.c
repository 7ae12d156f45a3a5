/* OpenAI Responses wire dialect (provider kind "openai"): request bodies and the
 * streamed-response parser, ported for behaviour from lash 22bad569f,
 * crates/lash-provider-openai/src:
 *   responses.rs         build_responses_request_body (OpenAiProvider: OpenAI's base URL,
 *                        so the OpenAI-only fields are always sent)
 *   responses_shared.rs  build_tools, build_responses_input (ResponsesInputOptions::OPENAI),
 *                        ResponsesStreamState, process_sse_event, response_parts_from_value,
 *                        terminal_reason_from_response_value (usage_from_usage_value and
 *                        merge_usage: openai_json.c)
 *   driver.rs            drive_streaming_responses, complete_buffered_responses
 *   schema.rs            Projector: openai_schema.c, shared with chat_completions.c
 *   policy.rs            OpenAiDirectModelPolicy, clamp_reasoning_effort
 * lash holds JSON in serde_json Values without preserve_order: objects print with
 * sorted keys and a repeated key keeps its last value. Event objects are normalised
 * that way as they are parsed and the request body before it is printed, so the body
 * is byte-identical to lash's. Events are parsed with serde_json's grammar. */
#include <math.h>
#include <stdarg.h>
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
#include "util/ids.h"

#define R_PROVIDER "OpenAI-compatible" /* responses.rs PROVIDER: lash's error texts say so */
#define R_JSON_DEPTH 128               /* serde_json's recursion limit */
#define R_MAX_PARTS 4096               /* output parts, pending calls, final output items */
#define R_ENTRY_COST 256               /* a part or map entry, held against LASH_STREAM_MAX_TEXT */
#define R_DEFAULT_MAX_OUTPUT 32768u   /* common.rs DEFAULT_MAX_OUTPUT_TOKENS */

/* ======================================================================
 * Small helpers
 * ====================================================================== */

static cJSON *vget(const cJSON *v, const char *k) {
  return cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, k) : NULL;
}
static const char *vstr(const cJSON *v) { return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL; }

/* One code point of valid UTF-8 at s (n > 0 bytes left); returns its length. */
static size_t u8dec(const unsigned char *s, size_t n, uint32_t *cp) {
  size_t k = s[0] < 0x80 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
  if (k > n) k = n;
  uint32_t c = k == 1 ? s[0] : k == 2 ? (s[0] & 0x1Fu) : k == 3 ? (s[0] & 0x0Fu) : (s[0] & 0x07u);
  for (size_t i = 1; i < k; i++) c = (c << 6) | (s[i] & 0x3Fu);
  *cp = c;
  return k;
}

/* Rust char::is_whitespace (Unicode White_Space): what str::trim strips. */
static int uws(uint32_t c) {
  return (c >= 9 && c <= 13) || c == 32 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

static size_t ws_lead(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint32_t c;
    size_t k = u8dec((const unsigned char *)s + i, n - i, &c);
    if (!uws(c)) break;
    i += k;
  }
  return i;
}

/* Length of s without its trailing whitespace. */
static size_t ws_trim_end(const char *s, size_t n) {
  while (n) {
    size_t st = n - 1;
    while (st && ((unsigned char)s[st] & 0xC0) == 0x80) st--;
    uint32_t c;
    u8dec((const unsigned char *)s + st, n - st, &c);
    if (!uws(c)) break;
    n = st;
  }
  return n;
}

static int blank(const char *s, size_t n) { return ws_lead(s, n) == n; }

/* ======================================================================
 * serde_json model: sorted, de-duplicated objects; numbers keep the text serde
 * prints for them in valuestring (an integer literal, or ryu's float form), so
 * as_i64 and re-serialisation behave as on lash's Values.
 * ====================================================================== */

/* What serde_json 1.0.149 prints for an f64 (zmij): the shortest digits that read
 * back, fixed notation for decimal exponents -5..15, else d.ddde+X / d.ddde-X. */
static void fmt_f64(char *out, double d) {
  if (d == 0) { strcpy(out, signbit(d) ? "-0.0" : "0.0"); return; }
  char e[40], dig[24];
  for (int p = 0; p < 17; p++) {
    snprintf(e, sizeof e, "%.*e", p, d);
    if (strtod(e, NULL) == d) break;
  }
  const char *q = e;
  int nd = 0, neg = *q == '-';
  if (neg) q++;
  for (; *q && *q != 'e'; q++) if (*q != '.' && nd < 20) dig[nd++] = *q;
  int de = atoi(q + 1); /* the first digit's power of ten */
  while (nd > 1 && dig[nd - 1] == '0') nd--;
  char *o = out;
  if (neg) *o++ = '-';
  if (de >= -5 && de <= 15) {
    if (nd - 1 <= de) { /* 1234e7 -> 12340000000.0 */
      memcpy(o, dig, (size_t)nd), o += nd;
      for (int i = nd; i <= de; i++) *o++ = '0';
      *o++ = '.', *o++ = '0';
    } else if (de >= 0) { /* 1234e-2 -> 12.34 */
      memcpy(o, dig, (size_t)de + 1), o += de + 1;
      *o++ = '.';
      memcpy(o, dig + de + 1, (size_t)(nd - de - 1)), o += nd - de - 1;
    } else { /* 1234e-6 -> 0.001234 */
      *o++ = '0', *o++ = '.';
      for (int i = 0; i < -de - 1; i++) *o++ = '0';
      memcpy(o, dig, (size_t)nd), o += nd;
    }
  } else {
    *o++ = dig[0];
    if (nd > 1) { *o++ = '.'; memcpy(o, dig + 1, (size_t)(nd - 1)); o += nd - 1; }
    o += sprintf(o, "e%c%d", de < 0 ? '-' : '+', de < 0 ? -de : de);
  }
  *o = '\0';
}

/* serde_json::to_string of a (normalised) value. A number without serde text
 * came from the core's cJSON, which cannot tell 5 from 5.0: integral values
 * print as integers. */
static int ser(lash_buf *b, const cJSON *v, int depth) {
  if (depth > LASH_SERDE_NEST) return 0;
  if (cJSON_IsNull(v)) return lash__buf_puts(b, "null");
  if (cJSON_IsTrue(v)) return lash__buf_puts(b, "true");
  if (cJSON_IsFalse(v)) return lash__buf_puts(b, "false");
  if (cJSON_IsString(v)) {
    const char *str = v->valuestring ? v->valuestring : "";
    return lash__buf_json_string(b, str, strlen(str));
  }
  if (cJSON_IsNumber(v)) {
    if (v->valuestring) return lash__buf_puts(b, v->valuestring);
    double d = v->valuedouble;
    char num[40];
    if (!isfinite(d)) return lash__buf_puts(b, "null"); /* serde: NaN and infinities print as null */
    if (d == floor(d) && d >= -9223372036854775808.0 && d < 18446744073709551616.0) snprintf(num, sizeof num, "%.0f", d == 0 ? 0.0 : d);
    else fmt_f64(num, d);
    return lash__buf_puts(b, num);
  }
  int obj = cJSON_IsObject(v);
  if (!obj && !cJSON_IsArray(v)) return lash__buf_puts(b, "null");
  if (!lash__buf_append(b, obj ? "{" : "[", 1)) return 0;
  for (const cJSON *c = v->child; c; c = c->next) {
    const char *key = c->string ? c->string : "";
    if (c != v->child && !lash__buf_append(b, ",", 1)) return 0;
    if (obj && (!lash__buf_json_string(b, key, strlen(key)) || !lash__buf_append(b, ":", 1))) return 0;
    if (!ser(b, c, depth + 1)) return 0;
  }
  return lash__buf_append(b, obj ? "}" : "]", 1);
}

/* ---- a strict parser of serde_json's grammar ---- */

typedef struct {
  const char *s, *p, *end;
  lash_buf tmp;
  int oom;
  const char *what; /* the first error */
  size_t at;        /* serde's index for it */
} jp_t;

/* serde places an error on a peeked byte just past it (peek_position), and on a
 * consumed one at the count of bytes read (position). */
static cJSON *jp_fail(jp_t *j, const char *what) {
  size_t i = (size_t)(j->p - j->s), n = (size_t)(j->end - j->s);
  if (!j->what) j->what = what, j->at = i < n ? i + 1 : n;
  return NULL;
}
static cJSON *jp_fail_read(jp_t *j, const char *what) {
  if (!j->what) j->what = what, j->at = (size_t)(j->p - j->s);
  return NULL;
}
static cJSON *jp_oom(jp_t *j) {
  j->oom = 1;
  return NULL;
}
static void jp_ws(jp_t *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}
static int isdig(const jp_t *j) { return j->p < j->end && *j->p >= '0' && *j->p <= '9'; }

/* A string literal (at its opening quote) into j->tmp, NUL-terminated. */
static int jp_string(jp_t *j) {
  j->tmp.len = 0;
  if (!lash__buf_append(&j->tmp, "", 0)) return jp_oom(j), 0;
  const char *run = ++j->p;
  for (;;) {
    if (j->p >= j->end) return jp_fail_read(j, "EOF while parsing a string"), 0;
    unsigned char c = (unsigned char)*j->p;
    if (c == '"') break;
    if (c < 0x20) return j->p++, jp_fail_read(j, "control character (\\u0000-\\u001F) found while parsing a string"), 0;
    if (c != '\\') { j->p++; continue; }
    if (!lash__buf_append(&j->tmp, run, (size_t)(j->p - run))) return jp_oom(j), 0;
    if (j->end - j->p < 2) { j->p = j->end; return jp_fail_read(j, "EOF while parsing a string"), 0; }
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = j->p[1] ? strchr(from, j->p[1]) : NULL;
    if (hit) {
      if (!lash__buf_append(&j->tmp, to + (hit - from), 1)) return jp_oom(j), 0;
      j->p += 2;
    } else if (j->p[1] == 'u') {
      unsigned cp, lo;
      j->p += 2;
      if (j->end - j->p < 4) { j->p = j->end; return jp_fail_read(j, "EOF while parsing a string"), 0; }
      j->p += 4;
      if (!lash__json_hex4(j->p - 4, &cp)) return jp_fail_read(j, "invalid escape"), 0;
      if (cp >= 0xDC00 && cp <= 0xDFFF) return jp_fail_read(j, "lone leading surrogate in hex escape"), 0;
      if (cp >= 0xD800 && cp <= 0xDBFF) { /* a low surrogate escape must follow */
        for (const char *want = "\\u"; *want; want++) {
          if (j->p >= j->end) return jp_fail_read(j, "EOF while parsing a string"), 0;
          if (*j->p++ != *want) return jp_fail_read(j, "unexpected end of hex escape"), 0;
        }
        if (j->end - j->p < 4) { j->p = j->end; return jp_fail_read(j, "EOF while parsing a string"), 0; }
        j->p += 4;
        if (!lash__json_hex4(j->p - 4, &lo)) return jp_fail_read(j, "invalid escape"), 0;
        if (lo < 0xDC00 || lo > 0xDFFF) return jp_fail_read(j, "lone leading surrogate in hex escape"), 0;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      }
      if (!lash__buf_put_cp(&j->tmp, cp)) return jp_oom(j), 0;
    } else {
      j->p += 2;
      return jp_fail_read(j, "invalid escape"), 0;
    }
    run = j->p;
  }
  if (!lash__buf_append(&j->tmp, run, (size_t)(j->p - run))) return jp_oom(j), 0;
  j->p++;
  return 1;
}

/* serde_json's POW10 table. */
static const double k_pow10[309] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23,
    1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35,
    1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47,
    1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59,
    1e60, 1e61, 1e62, 1e63, 1e64, 1e65, 1e66, 1e67, 1e68, 1e69, 1e70, 1e71,
    1e72, 1e73, 1e74, 1e75, 1e76, 1e77, 1e78, 1e79, 1e80, 1e81, 1e82, 1e83,
    1e84, 1e85, 1e86, 1e87, 1e88, 1e89, 1e90, 1e91, 1e92, 1e93, 1e94, 1e95,
    1e96, 1e97, 1e98, 1e99, 1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107,
    1e108, 1e109, 1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119,
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129, 1e130, 1e131,
    1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139, 1e140, 1e141, 1e142, 1e143,
    1e144, 1e145, 1e146, 1e147, 1e148, 1e149, 1e150, 1e151, 1e152, 1e153, 1e154, 1e155,
    1e156, 1e157, 1e158, 1e159, 1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167,
    1e168, 1e169, 1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179,
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189, 1e190, 1e191,
    1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199, 1e200, 1e201, 1e202, 1e203,
    1e204, 1e205, 1e206, 1e207, 1e208, 1e209, 1e210, 1e211, 1e212, 1e213, 1e214, 1e215,
    1e216, 1e217, 1e218, 1e219, 1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227,
    1e228, 1e229, 1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239,
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249, 1e250, 1e251,
    1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259, 1e260, 1e261, 1e262, 1e263,
    1e264, 1e265, 1e266, 1e267, 1e268, 1e269, 1e270, 1e271, 1e272, 1e273, 1e274, 1e275,
    1e276, 1e277, 1e278, 1e279, 1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287,
    1e288, 1e289, 1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299,
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308};

/* f64_from_parts without float_roundtrip (lash's build): the significand scaled
 * by the power table, not correctly rounded, so values match lash's bit for bit. */
static int f64_from_parts(jp_t *j, int positive, uint64_t sig, int32_t exp, double *out) {
  double f = (double)sig;
  for (;;) {
    uint32_t ax = exp < 0 ? 0u - (uint32_t)exp : (uint32_t)exp; /* wrapping_abs: i32::MIN stays out of range */
    if (ax < 309) {
      if (exp >= 0) {
        f *= k_pow10[ax];
        if (isinf(f)) return jp_fail_read(j, "number out of range"), 0;
      } else {
        f /= k_pow10[ax];
      }
      break;
    }
    if (f == 0.0) break;
    if (exp >= 0) return jp_fail_read(j, "number out of range"), 0;
    f /= 1e308;
    exp += 308;
  }
  *out = positive ? f : -f;
  return 1;
}

/* parse_exponent (at 'e'): an exponent past i32 is an error for a non-zero
 * significand and a positive exponent, else the value is a signed zero. */
static int jp_exponent(jp_t *j, int positive, uint64_t sig, int32_t start, double *out) {
  j->p++;
  int pos = 1;
  if (j->p < j->end && (*j->p == '+' || *j->p == '-')) pos = *j->p++ == '+';
  if (j->p >= j->end) return jp_fail_read(j, "EOF while parsing a value"), 0;
  char c = *j->p++;
  if (c < '0' || c > '9') return jp_fail_read(j, "invalid number"), 0;
  int32_t e = c - '0';
  while (isdig(j)) {
    int32_t d = *j->p++ - '0';
    if (e > (INT32_MAX - d) / 10) { /* parse_exponent_overflow */
      if (sig != 0 && pos) return jp_fail_read(j, "number out of range"), 0;
      while (isdig(j)) j->p++;
      *out = positive ? 0.0 : -0.0;
      return 1;
    }
    e = e * 10 + d;
  }
  int64_t fe = pos ? (int64_t)start + e : (int64_t)start - e; /* saturating_add / _sub */
  if (fe > INT32_MAX) fe = INT32_MAX;
  if (fe < INT32_MIN) fe = INT32_MIN;
  return f64_from_parts(j, positive, sig, (int32_t)fe, out);
}

/* parse_decimal (at '.'); digits past u64 are dropped (parse_decimal_overflow). */
static int jp_decimal(jp_t *j, int positive, uint64_t sig, int32_t before, double *out) {
  j->p++;
  int32_t after = 0;
  while (isdig(j)) {
    unsigned d = (unsigned)(*j->p - '0');
    if (sig > (UINT64_MAX - d) / 10) {
      while (isdig(j)) j->p++;
      goto tail;
    }
    j->p++;
    sig = sig * 10 + d;
    after--;
  }
  if (after == 0) return jp_fail(j, j->p < j->end ? "invalid number" : "EOF while parsing a value"), 0;
tail:
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) return jp_exponent(j, positive, sig, before + after, out);
  return f64_from_parts(j, positive, sig, before + after, out);
}

/* serde_json's numbers: an integer literal that fits stays a u64 / i64 (its text
 * kept), anything else is an f64, printed as serde prints it. */
static cJSON *jp_number(jp_t *j) {
  int positive = *j->p != '-', integer = 0;
  uint64_t sig = 0;
  int32_t exp = 0;
  double d = 0;
  if (!positive) j->p++;
  if (j->p >= j->end) return jp_fail_read(j, "EOF while parsing a value");
  char c = *j->p++;
  if (c == '0') {
    if (isdig(j)) return jp_fail(j, "invalid number");
  } else if (c >= '1' && c <= '9') {
    sig = (uint64_t)(c - '0');
    while (isdig(j)) {
      unsigned dv = (unsigned)(*j->p - '0');
      if (sig > (UINT64_MAX - dv) / 10) { /* parse_long_integer: further digits only scale */
        while (isdig(j)) j->p++, exp++;
        break;
      }
      j->p++;
      sig = sig * 10 + dv;
    }
  } else {
    return jp_fail_read(j, "invalid number");
  }
  int ok = 1;
  if (j->p < j->end && *j->p == '.') ok = jp_decimal(j, positive, sig, exp, &d);
  else if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) ok = jp_exponent(j, positive, sig, exp, &d);
  else if (exp) ok = f64_from_parts(j, positive, sig, exp, &d);
  else if (positive || (sig != 0 && sig <= (uint64_t)INT64_MAX + 1)) integer = 1; /* -0 is a float */
  else d = -(double)sig;
  if (!ok) return NULL;
  char canon[40];
  if (integer) {
    d = positive ? (double)sig : -(double)sig;
    snprintf(canon, sizeof canon, "%s%llu", positive ? "" : "-", (unsigned long long)sig);
  } else {
    fmt_f64(canon, d);
  }
  cJSON *v = cJSON_CreateNumber(d);
  if (!v) return jp_oom(j);
  size_t cn = strlen(canon);
  v->valuestring = cJSON_malloc(cn + 1); /* freed by cJSON_Delete */
  if (!v->valuestring) { cJSON_Delete(v); return jp_oom(j); }
  memcpy(v->valuestring, canon, cn + 1);
  return v;
}

static cJSON *jp_value(jp_t *j, int depth) {
  jp_ws(j);
  if (j->p >= j->end) return jp_fail(j, "EOF while parsing a value");
  char c = *j->p;
  cJSON *v = NULL;
  if (c == 'n' || c == 't' || c == 'f') {
    const char *lit = c == 'n' ? "null" : c == 't' ? "true" : "false";
    for (; *lit; lit++) {
      if (j->p >= j->end) return jp_fail_read(j, "EOF while parsing a value");
      if (*j->p++ != *lit) return jp_fail_read(j, "expected ident");
    }
    v = c == 'n' ? cJSON_CreateNull() : cJSON_CreateBool(c == 't');
    return v ? v : jp_oom(j);
  }
  if (c == '-' || (c >= '0' && c <= '9')) return jp_number(j);
  if (c == '"') {
    if (!jp_string(j)) return NULL;
    v = cJSON_CreateString(j->tmp.data);
    return v ? v : jp_oom(j);
  }
  if (c != '[' && c != '{') return jp_fail(j, "expected value");
  if (depth + 1 >= R_JSON_DEPTH) return jp_fail(j, "recursion limit exceeded");
  int obj = c == '{';
  const char close = obj ? '}' : ']';
  const char *eof = obj ? "EOF while parsing an object" : "EOF while parsing a list";
  v = obj ? cJSON_CreateObject() : cJSON_CreateArray();
  if (!v) return jp_oom(j);
  j->p++;
  jp_ws(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    return v;
  }
  for (int first = 1;; first = 0) {
    char *key = NULL;
    jp_ws(j);
    if (j->p >= j->end) { /* after a comma serde wants a value */
      if (first) goto fail_eof;
      jp_fail(j, "EOF while parsing a value");
      goto fail;
    }
    if (obj) {
      if (*j->p != '"') { jp_fail(j, "key must be a string"); goto fail; }
      if (!jp_string(j)) goto fail;
      key = cJSON_malloc(j->tmp.len + 1);
      if (!key) { jp_oom(j); goto fail; }
      memcpy(key, j->tmp.data, j->tmp.len + 1);
      jp_ws(j);
      if (j->p >= j->end) { cJSON_free(key); goto fail_eof; }
      if (*j->p != ':') { cJSON_free(key); jp_fail(j, "expected `:`"); goto fail; }
      j->p++;
    }
    cJSON *item = jp_value(j, depth + 1);
    if (!item) { cJSON_free(key); goto fail; }
    item->string = key;
    cJSON_AddItemToArray(v, item); /* links the child; the key is already set */
    jp_ws(j);
    if (j->p >= j->end) goto fail_eof;
    if (*j->p == ',') {
      j->p++;
      jp_ws(j);
      if (j->p < j->end && *j->p == close) { jp_fail(j, "trailing comma"); goto fail; }
      continue;
    }
    if (*j->p == close) break;
    jp_fail(j, obj ? "expected `,` or `}`" : "expected `,` or `]`");
    goto fail;
  }
  j->p++;
  if (obj) lash__serde_map_order(v);
  return v;
fail_eof:
  jp_fail(j, eof);
fail:
  cJSON_Delete(v);
  return NULL;
}

/* Parse s[0..n) (valid UTF-8). NULL with *oom set, or with err holding serde's
 * "{what} at line L column C". */
static cJSON *parse_strict(const lash_allocator *a, const char *s, size_t n, int *oom, char *err, size_t errsz) {
  jp_t j;
  memset(&j, 0, sizeof j);
  j.s = j.p = s;
  j.end = s + n;
  lash__buf_init(&j.tmp, a);
  cJSON *v = jp_value(&j, 0);
  if (v) {
    jp_ws(&j);
    if (j.p != j.end) {
      cJSON_Delete(v);
      v = NULL;
      jp_fail(&j, "trailing characters");
    }
  }
  if (j.oom || j.tmp.oom) {
    cJSON_Delete(v);
    v = NULL;
    *oom = 1;
  } else if (!v && err) { /* serde's position_of_index */
    size_t line = 1, col = 0;
    for (size_t i = 0; i < j.at && i < n; i++) {
      if (s[i] == '\n') line++, col = 0;
      else col++;
    }
    snprintf(err, errsz, "%s at line %zu column %zu", j.what ? j.what : "invalid JSON", line, col);
  }
  lash__buf_free(&j.tmp);
  return v;
}

/* ======================================================================
 * Request body
 * ====================================================================== */

typedef struct {
  const lash_allocator *a;
  lash_err *e;
  const cJSON *atts;
  cJSON *input;
  lash_buf instructions;
  int fail; /* e is set */
} rq_t;

static int rq_bad(rq_t *r, const char *fmt, int mi, int bi) {
  if (!r->fail) lash__err(r->e, LASH_E_INVALID_ARGUMENT, "llm_request", fmt, mi, bi);
  r->fail = 1;
  return 0;
}
static int rq_oom(rq_t *r) {
  if (!r->fail) lash__err(r->e, LASH_E_NOMEM, NULL, NULL);
  r->fail = 1;
  return 0;
}
static cJSON *rq_push(rq_t *r, cJSON *arr, cJSON *item) {
  if (!item || !cJSON_AddItemToArray(arr, item)) { cJSON_Delete(item); rq_oom(r); return NULL; }
  return item;
}
static int rq_str(rq_t *r, cJSON *obj, const char *key, const char *val) {
  return cJSON_AddStringToObject(obj, key, val) ? 1 : rq_oom(r);
}

/* An optional string field: absent/null gives NULL, a non-string fails. */
static int opt_str(const cJSON *obj, const char *key, const char **out) {
  const cJSON *v = vget(obj, key);
  *out = vstr(v);
  return lash__json_is_nullish(v) || *out;
}

/* input_image_part: "data:{mime};base64,…" from a base64 string, or from the serde
 * Vec<u8> byte array lash itself would encode. */
static cJSON *image_part(rq_t *r, const cJSON *att, int idx) {
  const cJSON *data = vget(att, "data");
  lash_buf u;
  lash__buf_init(&u, r->a);
  lash__buf_printf(&u, "data:%s;base64,", vstr(vget(att, "mime")));
  if (vstr(data)) lash__buf_puts(&u, data->valuestring);
  else if ((!cJSON_IsArray(data) && !lash__json_is_nullish(data)) || !lash__b64_json_bytes(&u, data)) {
    lash__buf_free(&u);
    rq_bad(r, "attachments[%d].data must be base64 text or an array of bytes", idx, 0);
    return NULL;
  }
  char *url = lash__buf_take(&u, NULL);
  cJSON *part = cJSON_CreateObject();
  if (!url || !part || !cJSON_AddStringToObject(part, "type", "input_image") || !cJSON_AddStringToObject(part, "image_url", url)) {
    cJSON_Delete(part);
    part = NULL;
    rq_oom(r);
  }
  lash__free(r->a, url);
  return part;
}

/* flush_pending_content: assistant text becomes a `message` item with a stable id;
 * user content joins a directly preceding user message. */
static int flush(rq_t *r, cJSON **pending, const char *role, int is_user, const cJSON *meta, int mi, int pi) {
  if (!cJSON_GetArraySize(*pending)) return 1;
  cJSON *content = *pending;
  *pending = cJSON_CreateArray();
  if (!*pending) { cJSON_Delete(content); return rq_oom(r); }
  if (!strcmp(role, "assistant")) {
    char synth[64];
    snprintf(synth, sizeof synth, "msg_lash_%d_%d", mi, pi);
    const char *id = vstr(vget(meta, "id")), *status = vstr(vget(meta, "status")), *phase = vstr(vget(meta, "phase"));
    cJSON *item = rq_push(r, r->input, cJSON_CreateObject());
    if (!item) { cJSON_Delete(content); return 0; }
    if (!rq_str(r, item, "type", "message") || !rq_str(r, item, "role", "assistant") || !rq_str(r, item, "id", id ? id : synth) ||
        !rq_str(r, item, "status", status ? status : "completed") || (phase && !rq_str(r, item, "phase", phase))) {
      cJSON_Delete(content);
      return 0;
    }
    if (!cJSON_AddItemToObject(item, "content", content)) { cJSON_Delete(content); return rq_oom(r); }
    return 1;
  }
  cJSON *last = r->input->child ? r->input->child->prev : NULL;
  const char *lrole = vstr(vget(last, "role"));
  if (is_user && lrole && !strcmp(lrole, "user") && cJSON_IsArray(vget(last, "content"))) {
    cJSON *to = vget(last, "content");
    while (content->child) cJSON_AddItemToArray(to, cJSON_DetachItemViaPointer(content, content->child));
    cJSON_Delete(content);
    return 1;
  }
  cJSON *item = rq_push(r, r->input, cJSON_CreateObject());
  if (!item || !rq_str(r, item, "role", role)) { cJSON_Delete(content); return 0; }
  if (!cJSON_AddItemToObject(item, "content", content)) { cJSON_Delete(content); return rq_oom(r); }
  return 1;
}

/* reasoning_replay_item: only reasoning that carries an encrypted blob is replayed. */
static int reasoning_item(rq_t *r, const char *text, const cJSON *replay, int mi, int bi) {
  const char *blob, *id;
  const cJSON *summary = vget(replay, "summary"), *x;
  if (!lash__json_is_nullish(replay) && !cJSON_IsObject(replay)) return rq_bad(r, "messages[%d].blocks[%d]: replay must be an object", mi, bi);
  if (!opt_str(replay, "encrypted_content", &blob) || !opt_str(replay, "item_id", &id) ||
      (!lash__json_is_nullish(summary) && !cJSON_IsArray(summary)))
    return rq_bad(r, "messages[%d].blocks[%d]: malformed reasoning replay", mi, bi);
  cJSON_ArrayForEach(x, summary) if (!vstr(x)) return rq_bad(r, "messages[%d].blocks[%d]: replay summary must hold strings", mi, bi);
  if (!blob) return 1;
  cJSON *item = rq_push(r, r->input, cJSON_CreateObject()), *sum;
  if (!item || !rq_str(r, item, "type", "reasoning") || !(sum = cJSON_AddArrayToObject(item, "summary"))) return item ? rq_oom(r) : 0;
  /* the replay's summary entries, else the display text as the one entry */
  int many = cJSON_IsArray(summary) && summary->child;
  for (const cJSON *x2 = many ? summary->child : NULL; many ? x2 != NULL : *text != '\0'; x2 = many ? x2->next : NULL) {
    cJSON *e = rq_push(r, sum, cJSON_CreateObject());
    if (!e || !rq_str(r, e, "type", "summary_text") || !rq_str(r, e, "text", many ? x2->valuestring : text)) return 0;
    if (!many) break;
  }
  if (!rq_str(r, item, "encrypted_content", blob)) return 0;
  if (id && *id && !rq_str(r, item, "id", id)) return 0;
  return 1;
}

/* build_responses_input for one non-system message. */
static int build_message(rq_t *r, const cJSON *msg, const char *role_name, int mi) {
  const char *role = !strcmp(role_name, "User") ? "user" : "assistant";
  int is_user = !strcmp(role_name, "User");
  cJSON *pending = cJSON_CreateArray();
  const cJSON *pending_meta = NULL, *b;
  int pending_pi = 0, bi = 0;
  if (!pending) return rq_oom(r);
  cJSON_ArrayForEach(b, vget(msg, "blocks")) {
    const cJSON *in = cJSON_IsObject(b) && b->child && !b->child->next ? b->child : NULL;
    const char *kind = in ? in->string : "";
    if (!in || !cJSON_IsObject(in)) { rq_bad(r, "messages[%d].blocks[%d] must be {Variant: {...}}", mi, bi); goto fail; }
    if (!strcmp(kind, "Text")) {
      const char *text = vstr(vget(in, "text"));
      const cJSON *meta = vget(in, "response_meta");
      if (!text || (!lash__json_is_nullish(meta) && !cJSON_IsObject(meta))) { rq_bad(r, "messages[%d].blocks[%d]: malformed Text", mi, bi); goto fail; }
      if (cJSON_IsNull(meta)) meta = NULL;
      if (*text) {
        if (!is_user && (cJSON_GetArraySize(pending) || meta)) {
          if (!flush(r, &pending, role, 0, pending_meta, mi, pending_pi)) goto fail;
          pending_pi = bi;
          pending_meta = meta;
        }
        cJSON *part = rq_push(r, pending, cJSON_CreateObject());
        if (!part || !rq_str(r, part, "type", is_user ? "input_text" : "output_text") || !rq_str(r, part, "text", text)) goto fail;
        if (!is_user && !cJSON_AddArrayToObject(part, "annotations")) { rq_oom(r); goto fail; }
      }
    } else if (!strcmp(kind, "Image")) {
      const cJSON *ix = vget(in, "attachment_idx");
      if (!cJSON_IsNumber(ix) || ix->valuedouble < 0 || ix->valuedouble != floor(ix->valuedouble)) {
        rq_bad(r, "messages[%d].blocks[%d]: malformed Image", mi, bi);
        goto fail;
      }
      int n = cJSON_GetArraySize(r->atts);
      if (is_user && ix->valuedouble < n) {
        int idx = (int)ix->valuedouble;
        cJSON *part = image_part(r, cJSON_GetArrayItem(r->atts, idx), idx);
        if (!part || !rq_push(r, pending, part)) goto fail;
      }
    } else if (!strcmp(kind, "Reasoning")) {
      const char *text = vstr(vget(in, "text"));
      if (!text) { rq_bad(r, "messages[%d].blocks[%d]: malformed Reasoning", mi, bi); goto fail; }
      if (!flush(r, &pending, role, is_user, pending_meta, mi, pending_pi)) goto fail;
      pending_meta = NULL;
      if (!reasoning_item(r, text, vget(in, "replay"), mi, bi)) goto fail;
    } else if (!strcmp(kind, "ToolCall")) {
      const char *id = vstr(vget(in, "call_id")), *name = vstr(vget(in, "tool_name")), *args = vstr(vget(in, "input_json")), *item_id;
      const cJSON *replay = vget(in, "replay");
      if (!id || !name || !args || (!lash__json_is_nullish(replay) && !cJSON_IsObject(replay)) || !opt_str(replay, "item_id", &item_id)) {
        rq_bad(r, "messages[%d].blocks[%d]: malformed ToolCall", mi, bi);
        goto fail;
      }
      if (!flush(r, &pending, role, is_user, pending_meta, mi, pending_pi)) goto fail;
      pending_meta = NULL;
      cJSON *item = rq_push(r, r->input, cJSON_CreateObject());
      if (!item || !rq_str(r, item, "type", "function_call") || !rq_str(r, item, "call_id", id) || !rq_str(r, item, "name", name) ||
          !rq_str(r, item, "arguments", args) || (item_id && !rq_str(r, item, "id", item_id)))
        goto fail;
    } else if (!strcmp(kind, "ToolResult")) {
      const char *id = vstr(vget(in, "call_id")), *content = vstr(vget(in, "content"));
      if (!id || !content) { rq_bad(r, "messages[%d].blocks[%d]: malformed ToolResult", mi, bi); goto fail; }
      if (!flush(r, &pending, role, is_user, pending_meta, mi, pending_pi)) goto fail;
      pending_meta = NULL;
      cJSON *item = rq_push(r, r->input, cJSON_CreateObject());
      if (!item || !rq_str(r, item, "type", "function_call_output") || !rq_str(r, item, "call_id", id) ||
          !rq_str(r, item, "output", content))
        goto fail;
    } else {
      rq_bad(r, "messages[%d].blocks[%d]: unknown block kind", mi, bi);
      goto fail;
    }
    bi++;
  }
  if (!flush(r, &pending, role, is_user, pending_meta, mi, pending_pi)) goto fail;
  cJSON_Delete(pending);
  return 1;
fail:
  cJSON_Delete(pending);
  return 0;
}

static const char *const k_variants[] = {"none", "minimal", "low", "medium", "high", "xhigh", NULL};
static int in_list(const char *s, const char *const *l) {
  for (; *l; l++) if (!strcmp(s, *l)) return 1;
  return 0;
}

/* validate_image_attachments(req, OPENAI_IMAGE_MIMES, "OpenAI Responses"). */
static int check_attachments(const cJSON *atts, lash_err *e) {
  static const char *const ok[] = {"image/jpeg", "image/png", "image/gif", "image/webp", NULL};
  const cJSON *att;
  int idx = 0;
  cJSON_ArrayForEach(att, atts) {
    const char *mime = vstr(vget(att, "mime"));
    if (!mime) return lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "attachments[%d].mime must be a string", idx);
    size_t lead = ws_lead(mime, strlen(mime)), n = ws_trim_end(mime + lead, strlen(mime) - lead);
    char low[16] = "";
    if (n < sizeof low) {
      for (size_t i = 0; i < n; i++) low[i] = (char)(mime[lead + i] >= 'A' && mime[lead + i] <= 'Z' ? mime[lead + i] + 32 : mime[lead + i]);
      low[n] = '\0';
    }
    if (n >= sizeof low || !in_list(!strcmp(low, "image/jpg") ? "image/jpeg" : low, ok)) {
      char msg[1024];
      snprintf(msg, sizeof msg,
               "OpenAI Responses does not accept image attachments of type `%.*s` (attachment index %d); accepted: "
               "image/jpeg, image/png, image/gif, image/webp",
               lash__utf8_clip(mime, 96), mime, idx);
      return lash__provider_err(e, msg);
    }
    idx++;
  }
  return LASH_OK;
}

/* A number node that prints as the given decimal text. */
static cJSON *exact_number(uint64_t v) {
  char num[24];
  snprintf(num, sizeof num, "%llu", (unsigned long long)v);
  cJSON *n = cJSON_CreateNumber((double)v);
  if (n && !(n->valuestring = cJSON_malloc(strlen(num) + 1))) { cJSON_Delete(n); return NULL; }
  if (n) strcpy(n->valuestring, num);
  return n;
}

/* build_tools: {type:"function", name, description, parameters, strict:false}, the
 * parameters being the tool's openai_tool_parameters override or its projected schema. */
static cJSON *build_tools(rq_t *r, const cJSON *tools) {
  cJSON *out = cJSON_CreateArray();
  const cJSON *t;
  int ti = 0;
  if (!out) { rq_oom(r); return NULL; }
  cJSON_ArrayForEach(t, tools) {
    const char *name = vstr(vget(t, "name")), *desc = vstr(vget(t, "description"));
    const cJSON *schema = vget(t, "input_schema"), *ovs = vget(t, "input_schema_projections"), *ov, *params_src = NULL;
    if (!name || !desc || !schema || (!lash__json_is_nullish(ovs) && !cJSON_IsArray(ovs))) {
      rq_bad(r, "tools[%d] needs name, description and input_schema", ti, 0);
      cJSON_Delete(out);
      return NULL;
    }
    cJSON_ArrayForEach(ov, ovs) {
      const char *prof = vstr(vget(ov, "profile"));
      if (prof && !strcmp(prof, "openai_tool_parameters") && vget(ov, "schema")) { params_src = vget(ov, "schema"); break; }
    }
    cJSON *params = params_src ? cJSON_Duplicate(params_src, 1) : lash__openai_project_schema(r->a, schema, 0, r->e);
    if (!params) {
      if (params_src) rq_oom(r);
      r->fail = 1;
      cJSON_Delete(out);
      return NULL;
    }
    cJSON *o = rq_push(r, out, cJSON_CreateObject());
    if (!o || !rq_str(r, o, "type", "function") || !rq_str(r, o, "name", name) || !rq_str(r, o, "description", desc) ||
        !cJSON_AddItemToObject(o, "parameters", params) || !cJSON_AddFalseToObject(o, "strict")) {
      if (!o || !vget(o, "parameters")) cJSON_Delete(params);
      rq_oom(r);
      cJSON_Delete(out);
      return NULL;
    }
    ti++;
  }
  return out;
}

static char *request_body(const lash_allocator *a, const cJSON *req, const cJSON *opts, size_t *len, lash_err *e) {
  rq_t r;
  memset(&r, 0, sizeof r);
  r.a = a;
  r.e = e;
  lash__buf_init(&r.instructions, a);
  cJSON *body = NULL;
  char *out = NULL;
  if (len) *len = 0;
  if (!cJSON_IsObject(req)) { lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "must be an object"); return NULL; }
  if (!lash__json_is_nullish(opts) && !cJSON_IsObject(opts)) { lash__err(e, LASH_E_INVALID_ARGUMENT, "opts", "must be an object"); return NULL; }
  const char *model = vstr(vget(req, "model")), *choice, *variant, *session;
  const cJSON *messages = vget(req, "messages"), *tools = vget(req, "tools"), *gen = vget(req, "generation"), *spec = vget(req, "output_spec");
  r.atts = vget(req, "attachments");
  if (!model || !cJSON_IsArray(messages) || (!lash__json_is_nullish(r.atts) && !cJSON_IsArray(r.atts)) ||
      (!lash__json_is_nullish(tools) && !cJSON_IsArray(tools)) || !opt_str(req, "tool_choice", &choice) ||
      !opt_str(req, "model_variant", &variant) || !opt_str(req, "session_id", &session) ||
      (choice && !in_list(choice, (const char *const[]){"Auto", "None", "Required", NULL}))) {
    lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request",
              "needs model and messages; attachments, tools, tool_choice, model_variant or session_id is malformed");
    return NULL;
  }
  /* resolve_generation_policy: GenerationOptions.output_token_cap (NonZero), then
   * ProviderOptions.max_output_tokens, then the provider default */
  uint64_t cap = 0, max_out = 0;
  int has_cap = 0, has_max = 0, expose = 0;
  const char *effort = NULL, *retention = NULL;
  if (!lash__json_is_nullish(gen)) {
    static const char *const allowed[] = {"output_token_cap", NULL};
    if (!cJSON_IsObject(gen)) return lash__err(e, LASH_E_INVALID_ARGUMENT, "llm_request", "generation must be an object"), NULL;
    if (lash__json_deny_unknown(gen, allowed, "llm_request", e) ||
        lash__json_opt_u64(gen, "output_token_cap", 0, "llm_request", &has_cap, &cap, e))
      return NULL;
  }
  if (cJSON_IsObject(opts)) {
    const cJSON *x = vget(opts, "expose_thinking");
    if (lash__json_opt_u64(opts, "max_output_tokens", 1, "opts", &has_max, &max_out, e) ||
        lash__json_opt_string(opts, "reasoning_effort", 16, "opts", &effort, e) ||
        lash__json_opt_string(opts, "cache_retention", 16, "opts", &retention, e))
      return NULL;
    if (!lash__json_is_nullish(x) && !cJSON_IsBool(x)) return lash__err(e, LASH_E_INVALID_ARGUMENT, "opts", "`expose_thinking` must be a boolean"), NULL;
    expose = cJSON_IsTrue(x);
    if (effort && !in_list(effort, k_variants))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "opts", "`reasoning_effort` must be one of none, minimal, low, medium, high, xhigh"), NULL;
    if (retention && !in_list(retention, (const char *const[]){"none", "short", "long", NULL}))
      return lash__err(e, LASH_E_INVALID_ARGUMENT, "opts", "`cache_retention` must be none, short or long"), NULL;
  }
  if (!retention) retention = "short"; /* CacheRetention::default() */
  if (check_attachments(r.atts, e)) return NULL;

  cJSON *tools_json = build_tools(&r, tools);
  if (!tools_json) goto done;
  body = cJSON_CreateObject();
  r.input = cJSON_CreateArray();
  if (!body || !r.input) { rq_oom(&r); cJSON_Delete(tools_json); goto done; }
  if (!cJSON_AddItemToObject(body, "tools", tools_json)) { cJSON_Delete(tools_json); rq_oom(&r); goto done; }
  int ntools = cJSON_GetArraySize(tools_json), mi = 0;

  const cJSON *m, *b;
  cJSON_ArrayForEach(m, messages) {
    const char *role = vstr(vget(m, "role"));
    if (!role || !in_list(role, (const char *const[]){"System", "User", "Assistant", NULL}) || !cJSON_IsArray(vget(m, "blocks"))) {
      rq_bad(&r, "messages[%d] needs a role (System, User or Assistant) and blocks", mi, 0);
      goto done;
    }
    if (!strcmp(role, "System")) { /* system text becomes the instructions */
      cJSON_ArrayForEach(b, vget(m, "blocks")) {
        const char *t = vstr(vget(vget(b, "Text"), "text"));
        if (!t || !*t) continue;
        if ((r.instructions.len && !lash__buf_puts(&r.instructions, "\n\n")) || !lash__buf_puts(&r.instructions, t)) { rq_oom(&r); goto done; }
      }
    } else if (!build_message(&r, m, role, mi)) {
      goto done;
    }
    mi++;
  }
  cJSON *input = r.input;
  r.input = NULL;
  if (!cJSON_AddItemToObject(body, "input", input)) { cJSON_Delete(input); rq_oom(&r); goto done; }
  if (!cJSON_AddStringToObject(body, "model", model) || !cJSON_AddStringToObject(body, "instructions", r.instructions.data ? r.instructions.data : "") ||
      !cJSON_AddTrueToObject(body, "stream")) {
    rq_oom(&r);
    goto done;
  }
  int oom = 0;
  lash__serde_insert(body, "max_output_tokens", exact_number(has_cap ? cap : has_max ? max_out : R_DEFAULT_MAX_OUTPUT), &oom);
  if (ntools) {
    const char *tc = !choice || !strcmp(choice, "Auto") ? "auto" : !strcmp(choice, "None") ? "none" : "required";
    lash__serde_insert(body, "tool_choice", cJSON_CreateString(tc), &oom);
  }
  /* supports_openai_request_fields: always, the base URL being OpenAI's */
  const char *inc = "reasoning.encrypted_content";
  lash__serde_insert(body, "include", cJSON_CreateStringArray(&inc, 1), &oom);
  lash__serde_insert(body, "store", cJSON_CreateFalse(), &oom);
  lash__serde_insert(body, "parallel_tool_calls", cJSON_CreateBool(ntools > 0), &oom);
  cJSON *text = cJSON_CreateObject();
  if (text && !cJSON_AddStringToObject(text, "verbosity", "medium")) { cJSON_Delete(text); text = NULL; }
  lash__serde_insert(body, "text", text, &oom);
  /* reasoning: an explicit opts.reasoning_effort, else OpenAiDirectModelPolicy's variants
   * (gpt-5* and o* models); clamped, and "none" sends nothing */
  const char *mid = strrchr(model, '/') ? strrchr(model, '/') + 1 : model; /* model_id */
  char low[8];
  size_t k;
  for (k = 0; k + 1 < sizeof low && mid[k]; k++) low[k] = (char)(mid[k] >= 'A' && mid[k] <= 'Z' ? mid[k] + 32 : mid[k]);
  low[k] = '\0';
  if (!effort && variant && (!strncmp(low, "gpt-5", 5) || low[0] == 'o') && in_list(variant, k_variants)) effort = variant;
  if (effort && !strcmp(effort, "minimal") && (!strcmp(low, "gpt-5.2") || !strcmp(low, "gpt-5.3") || !strcmp(low, "gpt-5.4")))
    effort = "low";
  if (effort && strcmp(effort, "none")) {
    cJSON *rs = cJSON_CreateObject();
    if (rs && (!cJSON_AddStringToObject(rs, "effort", effort) || (expose && !cJSON_AddStringToObject(rs, "summary", "auto")))) {
      cJSON_Delete(rs);
      rs = NULL;
    }
    lash__serde_insert(body, "reasoning", rs, &oom);
  }
  if (!lash__json_is_nullish(spec)) { /* text.format: "JsonObject" | {"JsonSchema": {name, schema, strict}} */
    const cJSON *js = vget(spec, "JsonSchema");
    cJSON *fmt = cJSON_CreateObject();
    if (!fmt) oom = 1;
    else if (vstr(spec) && !strcmp(spec->valuestring, "JsonObject")) {
      if (!cJSON_AddStringToObject(fmt, "type", "json_object")) oom = 1;
    } else if (js && vstr(vget(js, "name")) && vget(js, "schema") && cJSON_IsBool(vget(js, "strict"))) {
      cJSON *proj = lash__openai_project_schema(a, vget(js, "schema"), 1, e);
      if (!proj) { cJSON_Delete(fmt); r.fail = 1; goto done; }
      if (!cJSON_AddStringToObject(fmt, "type", "json_schema") || !cJSON_AddStringToObject(fmt, "name", vget(js, "name")->valuestring) ||
          !cJSON_AddBoolToObject(fmt, "strict", cJSON_IsTrue(vget(js, "strict"))))
        oom = 1;
      lash__serde_insert(fmt, "schema", proj, &oom);
    } else {
      cJSON_Delete(fmt);
      rq_bad(&r, "output_spec must be \"JsonObject\" or {\"JsonSchema\": {name, schema, strict}}", 0, 0);
      goto done;
    }
    if (fmt) lash__serde_insert(vget(body, "text"), "format", fmt, &oom);
  }
  if (strcmp(retention, "none") && session) lash__serde_insert(body, "prompt_cache_key", cJSON_CreateString(session), &oom);
  if (!strcmp(retention, "long")) lash__serde_insert(body, "prompt_cache_retention", cJSON_CreateString("24h"), &oom);
  if (oom) { rq_oom(&r); goto done; }
  if (!lash__serde_normalize(body, 0)) { rq_bad(&r, "nests too deeply", 0, 0); goto done; }
  lash_buf o;
  lash__buf_init(&o, a);
  if (!ser(&o, body, 0) && !o.oom) { lash__buf_free(&o); rq_bad(&r, "nests too deeply", 0, 0); goto done; }
  out = lash__buf_take(&o, len);
  if (!out) rq_oom(&r);
done:
  cJSON_Delete(body);
  cJSON_Delete(r.input);
  lash__buf_free(&r.instructions);
  return out;
}

/* ======================================================================
 * Stream state (ResponsesStreamState)
 * ====================================================================== */

typedef struct {
  char *p; /* NULL: None */
  size_t n;
} rstr;

enum { P_TEXT, P_REASONING, P_CALL };

typedef struct {
  int kind;
  int meta;                    /* Text: response_meta is Some; Reasoning, ToolCall: replay is Some */
  rstr text;                   /* Text, Reasoning */
  rstr id, status, phase;      /* Text response_meta */
  rstr item_id, enc;           /* Reasoning replay item_id / encrypted_content; ToolCall replay item_id */
  rstr *sum;                   /* Reasoning replay summary */
  size_t nsum;
  rstr call_id, name, args;    /* ToolCall */
} part_t;

typedef struct {
  part_t *v;
  size_t n, cap;
} plist;

typedef struct { /* ResponsesStreamingToolCall, keyed by the item id */
  rstr key, call_id, name, args, item_id;
} call_t;

typedef struct {
  rstr key;
  size_t idx;
} msgref_t;

typedef struct {
  const char *id, *status, *phase;
} meta_t;

struct lash_stream {
  lash_allocator alloc;
  lash_sse sse;
  lash_buf body;  /* the body while no event has appeared: it may be one JSON reply */
  int body_over, saw_event;
  lash_buf scratch, line;
  plist parts;
  msgref_t *msgs; /* message_parts */
  size_t nmsgs, capmsgs;
  call_t *calls;  /* tool_calls */
  size_t ncalls, capcalls;
  long cur_text, cur_reason; /* -1: None */
  lash_openai_usage usage;
  cJSON *final_response; /* owned; NULL: None */
  size_t live;           /* bytes held against LASH_STREAM_MAX_TEXT */
  uint64_t hash, nids;   /* seed for generated call ids */
  int text_streamed;
  lash_delta_fn on_delta;
  void *ud;
  int failed;
  lash_err err;
  char *err_raw; /* the error event's text (err.raw) */
};

static int s_fail(lash_stream *s, int code, const char *fmt, ...) {
  if (s->failed) return 0;
  s->failed = 1;
  if (code == LASH_E_NOMEM) lash__err(&s->err, LASH_E_NOMEM, NULL, NULL);
  else {
    char msg[1024]; /* longer than the detail: lash__provider_err cuts it on a UTF-8 boundary */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lash__provider_err(&s->err, msg);
  }
  return 0;
}
static int s_oom(lash_stream *s) { return s_fail(s, LASH_E_NOMEM, NULL); }

static int charge(lash_stream *s, size_t n) {
  if (s->failed) return 0;
  if (n > LASH_STREAM_MAX_TEXT - s->live)
    return s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI Responses output exceeds the %u-byte limit", (unsigned)LASH_STREAM_MAX_TEXT);
  s->live += n;
  return 1;
}
static void credit(lash_stream *s, size_t n) { s->live = n > s->live ? 0 : s->live - n; }

static void rs_free(lash_stream *s, rstr *d) {
  if (!d->p) return;
  credit(s, d->n);
  lash__free(&s->alloc, d->p);
  d->p = NULL;
  d->n = 0;
}

/* d = src[0..n) (src NULL: None). src must not point into d. */
static int rs_set(lash_stream *s, rstr *d, const char *src, size_t n) {
  if (!src) { rs_free(s, d); return 1; }
  if (!charge(s, n)) return 0;
  char *p = lash__strndup(&s->alloc, src, n);
  if (!p) { credit(s, n); return s_oom(s); }
  rs_free(s, d);
  d->p = p;
  d->n = n;
  return 1;
}
static int rs_setz(lash_stream *s, rstr *d, const char *src) { return rs_set(s, d, src, src ? strlen(src) : 0); }

static int rs_cat(lash_stream *s, rstr *d, const char *src, size_t n) {
  if (!charge(s, n)) return 0;
  char *p = lash__realloc(&s->alloc, d->p, d->n + n + 1);
  if (!p) { credit(s, n); return s_oom(s); }
  memcpy(p + d->n, src, n);
  d->p = p;
  d->n += n;
  p[d->n] = '\0';
  return 1;
}

static int rs_eq(const rstr *a, const rstr *b) {
  if (!a->p || !b->p) return !a->p && !b->p;
  return a->n == b->n && !memcmp(a->p, b->p, a->n);
}
static int rs_is(const rstr *a, const char *z) { return a->p && strlen(z) == a->n && !memcmp(a->p, z, a->n); }
static const char *rs_z(const rstr *a) { return a->p ? a->p : ""; }

/* A part's strings and its entry (a slot whose part moved out has kind -1). */
static void part_free(lash_stream *s, part_t *p) {
  if (p->kind < 0) return;
  rstr *all[] = {&p->text, &p->id, &p->status, &p->phase, &p->item_id, &p->enc, &p->call_id, &p->name, &p->args};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) rs_free(s, all[i]);
  for (size_t i = 0; i < p->nsum; i++) rs_free(s, &p->sum[i]);
  lash__free(&s->alloc, p->sum);
  p->sum = NULL;
  p->nsum = 0;
  credit(s, R_ENTRY_COST);
}

static void plist_free(lash_stream *s, plist *l) {
  for (size_t i = 0; i < l->n; i++) part_free(s, &l->v[i]);
  lash__free(&s->alloc, l->v);
  memset(l, 0, sizeof *l);
}

/* A new zeroed part of the given kind (text Some("") for Text / Reasoning). */
static part_t *plist_add(lash_stream *s, plist *l, int kind) {
  if (l->n >= R_MAX_PARTS) {
    s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI Responses output has more than %d parts", R_MAX_PARTS);
    return NULL;
  }
  if (!charge(s, R_ENTRY_COST)) return NULL;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    part_t *v = lash__realloc(&s->alloc, l->v, cap * sizeof *v);
    if (!v) { credit(s, R_ENTRY_COST); s_oom(s); return NULL; }
    l->v = v;
    l->cap = cap;
  }
  part_t *p = &l->v[l->n++];
  memset(p, 0, sizeof *p);
  p->kind = kind;
  if (kind != P_CALL && !rs_set(s, &p->text, "", 0)) return NULL;
  return p;
}

/* Options compare as Options; the summaries element-wise. */
static int part_eq(const part_t *a, const part_t *b) {
  if (a->kind != b->kind || a->meta != b->meta) return 0;
  if (a->kind == P_CALL)
    return rs_eq(&a->call_id, &b->call_id) && rs_eq(&a->name, &b->name) && rs_eq(&a->args, &b->args) &&
           (!a->meta || rs_eq(&a->item_id, &b->item_id));
  if (!rs_eq(&a->text, &b->text)) return 0;
  if (!a->meta) return 1;
  if (a->kind == P_TEXT) return rs_eq(&a->id, &b->id) && rs_eq(&a->status, &b->status) && rs_eq(&a->phase, &b->phase);
  if (!rs_eq(&a->item_id, &b->item_id) || !rs_eq(&a->enc, &b->enc) || a->nsum != b->nsum) return 0;
  for (size_t i = 0; i < a->nsum; i++) if (!rs_eq(&a->sum[i], &b->sum[i])) return 0;
  return 1;
}

/* Move a part into the state's list (the source slot is left empty). */
static int adopt(lash_stream *s, part_t *p) {
  if (s->parts.n >= R_MAX_PARTS) return s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI Responses output has more than %d parts", R_MAX_PARTS);
  if (s->parts.n == s->parts.cap) {
    size_t cap = s->parts.cap ? s->parts.cap * 2 : 8;
    part_t *v = lash__realloc(&s->alloc, s->parts.v, cap * sizeof *v);
    if (!v) return s_oom(s);
    s->parts.v = v;
    s->parts.cap = cap;
  }
  s->parts.v[s->parts.n++] = *p;
  memset(p, 0, sizeof *p);
  p->kind = -1; /* freed as an empty part */
  return 1;
}

static int set_summary(lash_stream *s, part_t *p, const cJSON *texts[], size_t n) {
  for (size_t i = 0; i < p->nsum; i++) rs_free(s, &p->sum[i]);
  lash__free(&s->alloc, p->sum);
  p->sum = NULL;
  p->nsum = 0;
  if (!n) return 1;
  p->sum = lash__alloc(&s->alloc, n * sizeof *p->sum);
  if (!p->sum) return s_oom(s);
  memset(p->sum, 0, n * sizeof *p->sum);
  p->nsum = n;
  for (size_t i = 0; i < n; i++) if (!rs_setz(s, &p->sum[i], texts[i]->valuestring)) return 0;
  return 1;
}

/* The summary entries' text strings of a reasoning item (at most R_MAX_PARTS). */
static size_t summary_texts(lash_stream *s, const cJSON *item, const cJSON ***out) {
  const cJSON *arr = vget(item, "summary"), *x;
  size_t n = 0;
  *out = NULL;
  cJSON_ArrayForEach(x, arr) if (vstr(vget(x, "text"))) n++;
  if (!n) return 0;
  if (n > R_MAX_PARTS) return s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI Responses reasoning summary has more than %d entries", R_MAX_PARTS);
  *out = lash__alloc(&s->alloc, n * sizeof **out);
  if (!*out) return s_oom(s);
  n = 0;
  cJSON_ArrayForEach(x, arr) if (vstr(vget(x, "text"))) (*out)[n++] = vget(x, "text");
  return n;
}

static void emit(lash_stream *s, const char *kind, const char *text, size_t n) {
  if (!n || !s->on_delta) return;
  if (!strcmp(kind, "text")) s->text_streamed = 1;
  s->on_delta(s->ud, kind, text, n);
}

static void gen_call_id(lash_stream *s, char out[37]) {
  lash_rng r; /* lash draws a random uuid; this one is derived from the stream so far */
  lash__rng_seed(&r, s->hash ^ (++s->nids * 0x9E3779B97F4A7C15ull));
  lash__rng_next(&r);
  lash__uuid4(&r, out);
}

/* ---- messages and text ---- */

static meta_t meta_from_item(const cJSON *item) {
  meta_t m = {vstr(vget(item, "id")), vstr(vget(item, "status")), vstr(vget(item, "phase"))};
  if (!m.status) m.status = "completed";
  return m;
}

static int set_meta(lash_stream *s, part_t *p, const meta_t *m) {
  p->meta = 1;
  return rs_setz(s, &p->id, m->id) && rs_setz(s, &p->status, m->status) && rs_setz(s, &p->phase, m->phase);
}

/* message_text_from_item: output_text texts and refusals, concatenated. */
static int message_text(const cJSON *item, lash_buf *b) {
  const cJSON *c;
  cJSON_ArrayForEach(c, vget(item, "content")) {
    const char *t = vstr(vget(c, "type")), *x = NULL;
    if (!t) continue;
    if (!strcmp(t, "output_text")) x = vstr(vget(c, "text"));
    else if (!strcmp(t, "refusal")) x = vstr(vget(c, "refusal")) ? vstr(vget(c, "refusal")) : vstr(vget(c, "text"));
    if (x && !lash__buf_puts(b, x)) return 0;
  }
  return 1;
}

static long push_text(lash_stream *s, const meta_t *m) {
  part_t *p = plist_add(s, &s->parts, P_TEXT);
  if (!p || (m && !set_meta(s, p, m))) return -1;
  return (long)s->parts.n - 1;
}

/* message_part_index: the Text part of a message item id, else the current one, else a new one. */
static long message_part_index(lash_stream *s, const char *id, const meta_t *m) {
  long idx = -1;
  if (id && *id) {
    for (size_t i = 0; i < s->nmsgs && idx < 0; i++) if (rs_is(&s->msgs[i].key, id)) idx = (long)s->msgs[i].idx;
    if (idx < 0) {
      if ((idx = push_text(s, m)) < 0) return -1;
      if (s->nmsgs == s->capmsgs) {
        size_t cap = s->capmsgs ? s->capmsgs * 2 : 8;
        msgref_t *v = lash__realloc(&s->alloc, s->msgs, cap * sizeof *v);
        if (!v) return s_oom(s), -1;
        s->msgs = v;
        s->capmsgs = cap;
      }
      msgref_t *r = &s->msgs[s->nmsgs];
      memset(r, 0, sizeof *r);
      if (!rs_setz(s, &r->key, id)) return -1;
      r->idx = (size_t)idx;
      s->nmsgs++;
    }
  } else if (s->cur_text >= 0) {
    idx = s->cur_text;
  } else if ((idx = push_text(s, m)) < 0) {
    return -1;
  }
  if (m && s->parts.v[idx].kind == P_TEXT && !set_meta(s, &s->parts.v[idx], m)) return -1;
  return idx;
}

static int append_text(lash_stream *s, long idx, const char *piece, size_t n) {
  if (!n) return 1;
  part_t *p = &s->parts.v[idx];
  if (p->kind == P_TEXT && !rs_cat(s, &p->text, piece, n)) return 0;
  emit(s, "text", piece, n);
  return 1;
}

/* reconcile_text_part: append the missing suffix, or replace a text that diverged. */
static int reconcile(lash_stream *s, long idx, const char *text, size_t n) {
  if (!n) return 1;
  part_t *p = &s->parts.v[idx];
  const char *ex = p->kind == P_TEXT ? rs_z(&p->text) : "";
  size_t en = p->kind == P_TEXT ? p->text.n : 0;
  if (en == n && !memcmp(ex, text, n)) return 1;
  if (en <= n && !memcmp(ex, text, en)) return append_text(s, idx, text + en, n - en);
  return p->kind != P_TEXT || rs_set(s, &p->text, text, n);
}

static int begin_message(lash_stream *s, const cJSON *item) {
  meta_t m = meta_from_item(item);
  long idx = message_part_index(s, m.id, &m);
  if (idx < 0) return 0;
  s->cur_text = idx;
  return 1;
}

static int finish_message(lash_stream *s, const cJSON *item) {
  lash_buf t;
  lash__buf_init(&t, &s->alloc);
  meta_t m = meta_from_item(item);
  int ok = message_text(item, &t) && !t.oom;
  long idx = ok ? message_part_index(s, m.id, &m) : -1;
  if (!ok) s_oom(s);
  ok = idx >= 0 && (!t.len || reconcile(s, idx, t.data, t.len));
  lash__buf_free(&t);
  s->cur_text = -1;
  return ok;
}

static int push_text_delta(lash_stream *s, const char *piece) {
  size_t n = strlen(piece);
  if (!n) return 1;
  long idx = s->cur_text;
  for (size_t i = s->parts.n; idx < 0 && i > 0; i--) if (s->parts.v[i - 1].kind == P_TEXT) idx = (long)i - 1;
  if (idx < 0 && (idx = push_text(s, NULL)) < 0) return 0;
  return append_text(s, idx, piece, n);
}

/* ---- reasoning ---- */

static int begin_reasoning(lash_stream *s) {
  if (!plist_add(s, &s->parts, P_REASONING)) return 0;
  s->cur_reason = (long)s->parts.n - 1;
  return 1;
}

static int push_reasoning_delta(lash_stream *s, const char *d, size_t n) {
  if (!n) return 1;
  if (s->cur_reason < 0 && !begin_reasoning(s)) return 0; /* a delta before its part.added */
  part_t *p = &s->parts.v[s->cur_reason];
  if (p->kind == P_REASONING && !rs_cat(s, &p->text, d, n)) return 0;
  emit(s, "reasoning", d, n);
  return 1;
}

/* finish_reasoning_part: drop the cursor, trim the part's trailing whitespace. */
static void finish_reasoning(lash_stream *s) {
  if (s->cur_reason < 0) return;
  part_t *p = &s->parts.v[s->cur_reason];
  s->cur_reason = -1;
  if (p->kind != P_REASONING || !p->text.p) return;
  size_t n = ws_trim_end(p->text.p, p->text.n);
  credit(s, p->text.n - n);
  p->text.n = n;
  p->text.p[n] = '\0';
}

/* finalize_reasoning_item: the last reasoning part takes the item's id, blob and summary. */
static int finalize_reasoning(lash_stream *s, const cJSON *item) {
  part_t *p = NULL;
  for (size_t i = s->parts.n; !p && i > 0; i--) if (s->parts.v[i - 1].kind == P_REASONING) p = &s->parts.v[i - 1];
  if (!p) return 1;
  p->meta = 1;
  const char *id = vstr(vget(item, "id")), *enc = vstr(vget(item, "encrypted_content"));
  if ((id && !rs_setz(s, &p->item_id, id)) || (enc && !rs_setz(s, &p->enc, enc))) return 0;
  const cJSON **texts;
  size_t n = summary_texts(s, item, &texts);
  if (s->failed) return 0;
  int ok = !n || set_summary(s, p, texts, n);
  lash__free(&s->alloc, texts);
  return ok;
}

/* ---- tool calls ---- */

static call_t *find_call(lash_stream *s, const char *key) {
  for (size_t i = 0; i < s->ncalls; i++) if (rs_is(&s->calls[i].key, key)) return &s->calls[i];
  return NULL;
}

/* tool_calls.entry(key).or_default() */
static call_t *call_entry(lash_stream *s, const char *key) {
  call_t *c = find_call(s, key);
  if (c) return c;
  if (s->ncalls >= R_MAX_PARTS) {
    s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI Responses stream has more than %d open function calls", R_MAX_PARTS);
    return NULL;
  }
  if (!charge(s, R_ENTRY_COST)) return NULL;
  if (s->ncalls == s->capcalls) {
    size_t cap = s->capcalls ? s->capcalls * 2 : 8;
    call_t *v = lash__realloc(&s->alloc, s->calls, cap * sizeof *v);
    if (!v) { credit(s, R_ENTRY_COST); s_oom(s); return NULL; }
    s->calls = v;
    s->capcalls = cap;
  }
  c = &s->calls[s->ncalls++];
  memset(c, 0, sizeof *c);
  if (!rs_setz(s, &c->key, key) || !rs_setz(s, &c->call_id, "") || !rs_setz(s, &c->name, "") || !rs_setz(s, &c->args, "") ||
      !rs_setz(s, &c->item_id, ""))
    return NULL;
  return c;
}

static void call_free(lash_stream *s, call_t *c) {
  rs_free(s, &c->key), rs_free(s, &c->call_id), rs_free(s, &c->name), rs_free(s, &c->args), rs_free(s, &c->item_id);
  credit(s, R_ENTRY_COST);
}

/* update_tool_call_from_item; NULL when the item has no string id (or on failure). */
static call_t *update_call(lash_stream *s, const cJSON *item) {
  const char *id = vstr(vget(item, "id")), *v;
  if (!id) return NULL;
  call_t *c = call_entry(s, id);
  if (!c) return NULL;
  if (!c->item_id.n && !rs_setz(s, &c->item_id, id)) return NULL;
  if ((v = vstr(vget(item, "call_id"))) && !rs_setz(s, &c->call_id, v)) return NULL;
  if ((v = vstr(vget(item, "name"))) && !rs_setz(s, &c->name, v)) return NULL;
  if ((v = vstr(vget(item, "arguments"))) && *v && !rs_setz(s, &c->args, v)) return NULL;
  return c;
}

/* finish_tool_call: the pending call becomes a ToolCall part unless it has no name
 * or an identical part exists. */
static int finish_call(lash_stream *s, const cJSON *item) {
  call_t *cp = update_call(s, item);
  if (!cp) return !s->failed;
  call_t c = *cp;
  *cp = s->calls[--s->ncalls]; /* HashMap::remove; the table is unordered */
  part_t p, *pp = &p; /* the call's strings and entry become the part's */
  memset(&p, 0, sizeof p);
  p.kind = P_CALL;
  p.call_id = c.call_id, p.name = c.name, p.args = c.args, p.item_id = c.item_id;
  rs_free(s, &c.key);
  char uuid[37];
  int ok = 1;
  if (!p.call_id.n) gen_call_id(s, uuid), ok = rs_setz(s, &p.call_id, uuid);
  if (ok && p.name.n) {
    if (!p.args.n) ok = rs_setz(s, &p.args, "{}");
    p.meta = p.item_id.n > 0;
    if (!p.meta) rs_free(s, &p.item_id);
    int dup = 0;
    for (size_t i = 0; ok && i < s->parts.n && !dup; i++) dup = part_eq(&s->parts.v[i], pp);
    if (ok && !dup) {
      if (adopt(s, pp)) return 1;
      ok = 0; /* adopt left the part to us */
    }
  }
  part_free(s, pp);
  return ok;
}

/* ---- the final response ---- */

/* response_parts_from_value into out (a scratch list). */
static int parts_from_value(lash_stream *s, const cJSON *value, plist *out) {
  const cJSON *it;
  lash_buf t;
  lash__buf_init(&t, &s->alloc);
  cJSON_ArrayForEach(it, vget(value, "output")) {
    const char *type = vstr(vget(it, "type"));
    if (!type) continue;
    if (!strcmp(type, "reasoning")) {
      const cJSON **texts;
      size_t n = summary_texts(s, it, &texts);
      part_t *p = s->failed ? NULL : plist_add(s, out, P_REASONING);
      t.len = 0;
      for (size_t i = 0; i < n; i++) (void)((i && !lash__buf_puts(&t, "\n\n")) || !lash__buf_puts(&t, texts[i]->valuestring));
      if (t.oom) s_oom(s);
      int ok = p && !t.oom && rs_set(s, &p->text, t.data ? t.data : "", t.len) && rs_setz(s, &p->item_id, vstr(vget(it, "id"))) &&
               rs_setz(s, &p->enc, vstr(vget(it, "encrypted_content"))) && set_summary(s, p, texts, n);
      lash__free(&s->alloc, texts);
      if (!ok) goto fail;
      p->meta = 1;
    } else if (!strcmp(type, "message")) {
      t.len = 0;
      if (!message_text(it, &t) || t.oom) { s_oom(s); goto fail; }
      if (t.len) {
        meta_t m = meta_from_item(it);
        part_t *p = plist_add(s, out, P_TEXT);
        if (!p || !rs_set(s, &p->text, t.data, t.len) || !set_meta(s, p, &m)) goto fail;
      }
    } else if (!strcmp(type, "function_call")) {
      const char *name = vstr(vget(it, "name")), *cid = vstr(vget(it, "call_id")), *iid = vstr(vget(it, "id"));
      const cJSON *args = vget(it, "arguments");
      if (!name) continue;
      part_t *p = plist_add(s, out, P_CALL);
      if (!p || !rs_setz(s, &p->name, name)) goto fail;
      if (!args || vstr(args)) {
        if (!rs_setz(s, &p->args, args ? args->valuestring : "{}")) goto fail;
      } else { /* a non-string value: its JSON text */
        t.len = 0;
        if (!ser(&t, args, 0) || t.oom) { s_oom(s); goto fail; }
        if (!rs_set(s, &p->args, t.data, t.len)) goto fail;
      }
      char uuid[37];
      if (!cid) gen_call_id(s, uuid), cid = uuid;
      if (!rs_setz(s, &p->call_id, cid)) goto fail;
      if (iid) {
        p->meta = 1;
        if (!rs_setz(s, &p->item_id, iid)) goto fail;
      }
    }
  }
  int has_text = 0;
  for (size_t i = 0; i < out->n; i++) if (out->v[i].kind == P_TEXT && out->v[i].text.n) has_text = 1;
  const char *ot = vstr(vget(value, "output_text"));
  if (!has_text && ot && *ot) {
    part_t *p = plist_add(s, out, P_TEXT);
    if (!p || !rs_setz(s, &p->text, ot)) goto fail;
  }
  lash__buf_free(&t);
  return 1;
fail:
  lash__buf_free(&t);
  return 0;
}

static int has_structured_text(const cJSON *value) {
  const cJSON *it;
  cJSON_ArrayForEach(it, vget(value, "output")) {
    const char *type = vstr(vget(it, "type"));
    const cJSON *c;
    if (!type || strcmp(type, "message")) continue;
    cJSON_ArrayForEach(c, vget(it, "content")) { /* is message_text_from_item non-empty? */
      const char *t = vstr(vget(c, "type")), *x = NULL;
      if (t && !strcmp(t, "output_text")) x = vstr(vget(c, "text"));
      else if (t && !strcmp(t, "refusal")) x = vstr(vget(c, "refusal")) ? vstr(vget(c, "refusal")) : vstr(vget(c, "text"));
      if (x && *x) return 1;
    }
  }
  return 0;
}

/* merge_final_response: reconcile streamed parts with the completed response. */
static int merge_final(lash_stream *s, const cJSON *resp) {
  plist fl;
  memset(&fl, 0, sizeof fl);
  int structured = has_structured_text(resp), ok = parts_from_value(s, resp, &fl);
  for (size_t i = 0; ok && i < fl.n; i++) {
    part_t *p = &fl.v[i];
    if (p->kind == P_TEXT) {
      const char *id = p->meta ? p->id.p : NULL;
      int any = 0;
      for (size_t k = 0; !id && !structured && k < s->parts.n; k++) any |= s->parts.v[k].kind == P_TEXT && s->parts.v[k].text.n;
      if (any) continue;
      meta_t m = {p->id.p, p->status.p, p->phase.p};
      long idx = message_part_index(s, id, p->meta ? &m : NULL);
      ok = idx >= 0 && reconcile(s, idx, p->text.p, p->text.n);
    } else if (p->kind == P_REASONING) {
      part_t *same = NULL;
      for (size_t k = 0; p->item_id.p && !same && k < s->parts.n; k++) {
        part_t *x = &s->parts.v[k];
        if (x->kind == P_REASONING && x->meta && rs_eq(&x->item_id, &p->item_id)) same = x;
      }
      if (same) { /* replaces the streamed part with that id */
        part_free(s, same);
        *same = *p;
        memset(p, 0, sizeof *p);
        p->kind = -1;
        continue;
      }
      int dup = 0;
      for (size_t k = 0; !dup && k < s->parts.n; k++) dup = part_eq(&s->parts.v[k], p);
      if (!dup) ok = adopt(s, p);
    } else {
      int dup = 0;
      for (size_t k = 0; !dup && k < s->parts.n; k++) {
        const part_t *x = &s->parts.v[k];
        if (x->kind != P_CALL) continue;
        dup = (p->meta && x->meta && rs_eq(&p->item_id, &x->item_id)) || (p->call_id.n && rs_eq(&p->call_id, &x->call_id));
      }
      if (!dup) ok = adopt(s, p);
    }
  }
  plist_free(s, &fl);
  return ok && !s->failed;
}

/* ---- one event (process_sse_event) ---- */

static int process_event(lash_stream *s, cJSON *ev) {
  const char *type = vstr(vget(ev, "type"));
  if (!type) type = "";
  if (!strcmp(type, "error")) {
    const char *m = vstr(vget(ev, "message"));
    if (!m) m = vstr(vget(vget(ev, "error"), "message"));
    int retry = lash__openai_error_retryable(vget(ev, "error"));
    s_fail(s, LASH_E_INVALID_ARGUMENT, "%s", m ? m : R_PROVIDER " stream error");
    s->err.retryable = retry;
    lash__err_raw_event(&s->err, &s->err_raw, ev);
    return 0;
  }
  cJSON *resp = vget(ev, "response");
  lash_openai_usage u = lash__openai_usage_from(vget(resp ? resp : ev, "usage"));
  lash__openai_merge_usage(&s->usage, &u);
  const cJSON *item = vget(ev, "item");
  const char *itype = vstr(vget(item, "type"));
  int ok = 1;
  if (!strcmp(type, "response.output_item.added")) {
    if (!itype) itype = "";
    if (!strcmp(itype, "message")) ok = begin_message(s, item);
    else if (!strcmp(itype, "function_call")) ok = update_call(s, item) || !s->failed;
    else if (!strcmp(itype, "reasoning")) ok = begin_reasoning(s);
  } else if (!strcmp(type, "response.reasoning_summary_part.added")) {
    ok = begin_reasoning(s);
  } else if (!strcmp(type, "response.reasoning_summary_text.delta")) {
    const char *d = vstr(vget(ev, "delta"));
    if (d) ok = push_reasoning_delta(s, d, strlen(d));
  } else if (!strcmp(type, "response.reasoning_summary_text.done")) {
    /* the full text of the current part: append whatever the deltas missed */
    const char *t = vstr(vget(ev, "text"));
    if (t && s->cur_reason >= 0 && s->parts.v[s->cur_reason].kind == P_REASONING) {
      const rstr *ex = &s->parts.v[s->cur_reason].text;
      size_t n = strlen(t);
      if (ex->n < n && !memcmp(t, rs_z(ex), ex->n)) ok = push_reasoning_delta(s, t + ex->n, n - ex->n);
    }
  } else if (!strcmp(type, "response.reasoning_summary_part.done")) {
    finish_reasoning(s);
  } else if (!strcmp(type, "response.output_text.delta")) {
    const char *d = vstr(vget(ev, "delta"));
    if (d) ok = push_text_delta(s, d);
  } else if (!strcmp(type, "response.function_call_arguments.delta")) {
    const char *id = vstr(vget(ev, "item_id")), *d = vstr(vget(ev, "delta"));
    if (id && d && *id && *d) {
      call_t *c = call_entry(s, id);
      ok = c && rs_cat(s, &c->args, d, strlen(d));
    }
  } else if (!strcmp(type, "response.function_call_arguments.done")) {
    const char *id = vstr(vget(ev, "item_id")), *a = vstr(vget(ev, "arguments"));
    if (id && a && *id) {
      call_t *c = call_entry(s, id);
      ok = c && rs_setz(s, &c->args, a);
    }
  } else if (!strcmp(type, "response.output_item.done")) {
    if (!itype) itype = "";
    if (!strcmp(itype, "message")) ok = finish_message(s, item);
    else if (!strcmp(itype, "reasoning")) finish_reasoning(s), ok = finalize_reasoning(s, item);
    else if (!strcmp(itype, "function_call")) ok = finish_call(s, item);
  } else if (!strcmp(type, "response.completed")) {
    if (resp) ok = merge_final(s, resp);
  } else if (!strcmp(type, "response.failed")) {
    const char *m = vstr(vget(vget(resp, "error"), "message"));
    if (!m) m = vstr(vget(vget(ev, "error"), "message"));
    const cJSON *ev_err = vget(resp, "error") ? vget(resp, "error") : vget(ev, "error");
    int retry = lash__openai_error_retryable(ev_err);
    s_fail(s, LASH_E_INVALID_ARGUMENT, "%s", m ? m : R_PROVIDER " response failed");
    s->err.retryable = retry;
    lash__err_raw_event(&s->err, &s->err_raw, ev);
    return 0;
  }
  if (!ok) return 0;
  if (resp) { /* every event carrying a response makes it the final one */
    cJSON_Delete(s->final_response);
    s->final_response = cJSON_DetachItemViaPointer(ev, resp);
  }
  return 1;
}

static void hash_bytes(lash_stream *s, const char *p, size_t n) {
  uint64_t h = s->hash ? s->hash : 0xcbf29ce484222325ull; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
  s->hash = h;
}

/* One SSE event's data as lash's SseBuffer + process_sse_event read it: lossy
 * UTF-8, every data line trimmed, the whole trimmed, "" and "[DONE]" skipped. */
static int on_event(void *ud, const char *data, size_t len) {
  lash_stream *s = ud;
  s->saw_event = 1;
  lash__buf_free(&s->body);
  hash_bytes(s, data, len);
  s->scratch.len = s->line.len = 0;
  if (!lash__utf8_lossy(&s->scratch, data, len)) return s_oom(s), LASH_E_NOMEM;
  const char *p = s->scratch.data ? s->scratch.data : "", *end = p + s->scratch.len;
  for (;;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
    size_t lead = ws_lead(p, (size_t)(le - p)), n = ws_trim_end(p + lead, (size_t)(le - p) - lead);
    if ((s->line.len && !lash__buf_append(&s->line, "\n", 1)) || !lash__buf_append(&s->line, p + lead, n))
      return s_oom(s), LASH_E_NOMEM;
    if (!nl) break;
    p = nl + 1;
  }
  const char *raw = s->line.data ? s->line.data : "";
  size_t lead = ws_lead(raw, s->line.len), n = ws_trim_end(raw + lead, s->line.len - lead);
  raw += lead;
  if (!n || (n == 6 && !memcmp(raw, "[DONE]", 6))) return LASH_OK;
  int oom = 0;
  char why[128];
  cJSON *ev = parse_strict(&s->alloc, raw, n, &oom, why, sizeof why);
  if (!ev) {
    if (oom) return s_oom(s), LASH_E_NOMEM;
    s_fail(s, LASH_E_INVALID_ARGUMENT, "Invalid " R_PROVIDER " SSE payload: %s", why);
    return LASH_E_INVALID_ARGUMENT;
  }
  int ok = process_event(s, ev);
  cJSON_Delete(ev);
  if (!ok && !s->failed) s_oom(s); /* every failure path sets it; never stop silently */
  return ok ? LASH_OK : s->err.code;
}

/* ======================================================================
 * The dialect's stream entry points
 * ====================================================================== */

static lash_stream *stream_new(const lash_allocator *a) {
  lash_allocator al;
  memset(&al, 0, sizeof al);
  if (a) al = *a;
  lash_stream *s = lash__alloc(&al, sizeof *s);
  if (!s) return NULL;
  memset(s, 0, sizeof *s);
  s->alloc = al;
  s->cur_text = s->cur_reason = -1;
  lash__sse_init(&s->sse, &s->alloc, LASH_SSE_MAX_EVENT);
  lash__buf_init(&s->body, &s->alloc);
  lash__buf_init(&s->scratch, &s->alloc);
  lash__buf_init(&s->line, &s->alloc);
  return s;
}

static void stream_free(lash_stream *s) {
  if (!s) return;
  cJSON_free(s->err_raw);
  lash__sse_free(&s->sse);
  lash__buf_free(&s->body);
  lash__buf_free(&s->scratch);
  lash__buf_free(&s->line);
  plist_free(s, &s->parts);
  for (size_t i = 0; i < s->nmsgs; i++) rs_free(s, &s->msgs[i].key);
  lash__free(&s->alloc, s->msgs);
  for (size_t i = 0; i < s->ncalls; i++) call_free(s, &s->calls[i]);
  lash__free(&s->alloc, s->calls);
  cJSON_Delete(s->final_response);
  lash__free(&s->alloc, s);
}

static int sse_status(lash_stream *s, int rc) {
  if (rc == LASH_OK || s->failed) return rc;
  if (rc == LASH_E_NOMEM) return s_oom(s), rc;
  s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI Responses SSE event exceeds the %u-byte limit", (unsigned)LASH_SSE_MAX_EVENT);
  return rc;
}

static int stream_feed(lash_stream *s, const char *bytes, size_t len, lash_delta_fn on_delta, void *ud, lash_err *e) {
  if (!s->failed && len && !bytes) s_fail(s, LASH_E_INVALID_ARGUMENT, "null buffer");
  if (!s->failed && !s->saw_event && !s->body_over) {
    if (len > LASH_SSE_MAX_EVENT - s->body.len) { s->body_over = 1; lash__buf_free(&s->body); }
    else if (!lash__buf_append(&s->body, bytes, len)) s_oom(s);
  }
  if (!s->failed) {
    s->on_delta = on_delta;
    s->ud = ud;
    sse_status(s, lash__sse_feed(&s->sse, bytes, len, on_event, s));
    s->on_delta = NULL;
    s->ud = NULL;
  }
  if (!s->failed) return LASH_OK;
  if (e) *e = s->err;
  return s->err.code;
}

/* complete_buffered_responses: the reply was one JSON Response, not an event stream. */
static int finish_buffered(lash_stream *s) {
  if (s->body_over)
    return s_fail(s, LASH_E_INVALID_ARGUMENT, "OpenAI Responses reply exceeds the %u-byte limit", (unsigned)LASH_SSE_MAX_EVENT);
  hash_bytes(s, s->body.data ? s->body.data : "", s->body.len);
  s->scratch.len = 0;
  if (!lash__utf8_lossy(&s->scratch, s->body.data ? s->body.data : "", s->body.len)) return s_oom(s);
  const char *text = s->scratch.data ? s->scratch.data : "";
  size_t lead = ws_lead(text, s->scratch.len);
  /* lash reads such a body as SSE (parse_sse_payload); with no event delivered
   * its events are all empty, and nothing is an empty response */
  if (!strncmp(text + lead, "data:", 5) || strstr(text, "\ndata:")) return s_fail(s, LASH_E_INVALID_ARGUMENT, R_PROVIDER " empty_response");
  int oom = 0;
  char why[128];
  cJSON *v = parse_strict(&s->alloc, s->scratch.data ? s->scratch.data : "", s->scratch.len, &oom, why, sizeof why);
  if (!v) return oom ? s_oom(s) : s_fail(s, LASH_E_INVALID_ARGUMENT, "Invalid Responses JSON: %s", why);
  s->usage = lash__openai_usage_from(vget(v, "usage"));
  s->final_response = v;
  return parts_from_value(s, v, &s->parts);
}

static int add_opt(cJSON *o, const char *key, const rstr *v) { return !v->p || cJSON_AddStringToObject(o, key, v->p); }

static cJSON *part_json(const part_t *p) {
  cJSON *o = cJSON_CreateObject();
  cJSON *in = cJSON_AddObjectToObject(o, p->kind == P_TEXT ? "Text" : p->kind == P_REASONING ? "Reasoning" : "ToolCall"), *m = NULL;
  int ok = in != NULL;
  if (ok && p->kind == P_CALL)
    ok = cJSON_AddStringToObject(in, "call_id", rs_z(&p->call_id)) && cJSON_AddStringToObject(in, "tool_name", rs_z(&p->name)) &&
         cJSON_AddStringToObject(in, "input_json", rs_z(&p->args));
  else if (ok)
    ok = cJSON_AddStringToObject(in, "text", rs_z(&p->text)) != NULL;
  const char *mkey = p->kind == P_TEXT ? "response_meta" : "replay";
  if (ok && !p->meta) ok = cJSON_AddNullToObject(in, mkey) != NULL;
  else if (ok) ok = (m = cJSON_AddObjectToObject(in, mkey)) != NULL;
  if (ok && m && p->kind == P_TEXT) ok = add_opt(m, "id", &p->id) && add_opt(m, "status", &p->status) && add_opt(m, "phase", &p->phase);
  if (ok && m && p->kind == P_CALL) ok = add_opt(m, "item_id", &p->item_id);
  if (ok && m && p->kind == P_REASONING) {
    ok = add_opt(m, "item_id", &p->item_id) && add_opt(m, "encrypted_content", &p->enc);
    cJSON *sum = ok && p->nsum ? cJSON_AddArrayToObject(m, "summary") : NULL;
    if (ok && p->nsum && !sum) ok = 0;
    for (size_t i = 0; ok && i < p->nsum; i++) {
      cJSON *x = cJSON_CreateString(rs_z(&p->sum[i]));
      ok = x && cJSON_AddItemToArray(sum, x);
      if (!ok) cJSON_Delete(x);
    }
  }
  if (!ok) { cJSON_Delete(o); return NULL; }
  return o;
}

/* Does v nest deeper than limit? (The response must stay readable by the core's
 * depth-bounded JSON reader.) */
static int too_deep(const cJSON *v, int limit) {
  if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) return 0;
  if (limit <= 0) return 1;
  for (const cJSON *c = v->child; c; c = c->next)
    if (too_deep(c, limit - 1)) return 1;
  return 0;
}

/* terminal_reason_from_response_value (the final response), else from the parts. */
static const char *terminal_reason(const cJSON *fin, int calls) {
  const cJSON *det = vget(fin, "incomplete_details");
  if (!det) det = vget(fin, "incompleteDetails"); /* some gateways; a null one still wins */
  const char *why = cJSON_IsNull(det) ? NULL : vstr(vget(det, "reason")), *st = vstr(vget(fin, "status"));
  if (why && (!strcmp(why, "max_output_tokens") || !strcmp(why, "max_tokens"))) return "output_limit";
  if (why && (!strcmp(why, "content_filter") || !strcmp(why, "safety"))) return "content_filter";
  if (why) return "provider_error";
  if (st && !strcmp(st, "cancelled")) return "cancelled";
  if (st && !strcmp(st, "failed")) return "provider_error";
  return calls ? "tool_use" : "stop";
}

static cJSON *response_json(lash_stream *s, const part_t *const *list, size_t n, const char *full, const char *term) {
  cJSON *r = cJSON_CreateObject(), *parts = NULL, *us = NULL, *pu = NULL;
  const cJSON *fu = vget(s->final_response, "usage");
  int ok = r && cJSON_AddStringToObject(r, "full_text", full) && (parts = cJSON_AddArrayToObject(r, "parts"));
  for (size_t i = 0; ok && i < n; i++) {
    cJSON *pj = part_json(list[i]);
    ok = pj && cJSON_AddItemToArray(parts, pj);
    if (!ok) cJSON_Delete(pj);
  }
  ok = ok && (us = cJSON_AddObjectToObject(r, "usage")) && cJSON_AddNumberToObject(us, "input_tokens", (double)s->usage.input) &&
       cJSON_AddNumberToObject(us, "output_tokens", (double)s->usage.output) &&
       cJSON_AddNumberToObject(us, "cached_input_tokens", (double)s->usage.cached) &&
       cJSON_AddNumberToObject(us, "reasoning_tokens", (double)s->usage.reasoning) &&
       cJSON_AddStringToObject(r, "terminal_reason", term) && cJSON_AddNullToObject(r, "terminal_diagnostic");
  /* provider_usage: the final response's usage value */
  if (ok) ok = (pu = fu && !too_deep(fu, 16) ? cJSON_Duplicate(fu, 1) : cJSON_CreateNull()) && cJSON_AddItemToObject(r, "provider_usage", pu);
  if (!ok && pu && !vget(r, "provider_usage")) cJSON_Delete(pu);
  ok = ok && cJSON_AddBoolToObject(r, "text_streamed", s->text_streamed);
  if (ok) return r;
  cJSON_Delete(r);
  s_oom(s);
  return NULL;
}

static cJSON *stream_finish(lash_stream *s, lash_delta_fn on_delta, void *ud, lash_err *e) {
  cJSON *r = NULL;
  plist fl; /* parts parsed from the final response when nothing usable streamed */
  const part_t **list = NULL;
  lash_buf full, t;
  memset(&fl, 0, sizeof fl);
  lash__buf_init(&full, &s->alloc);
  lash__buf_init(&t, &s->alloc);
  s->on_delta = on_delta;
  s->ud = ud;
  if (!s->failed) sse_status(s, lash__sse_finish(&s->sse, on_event, s));
  s->on_delta = NULL;
  s->ud = NULL;
  if (!s->failed && !s->saw_event) finish_buffered(s);
  if (s->failed) goto out;

  /* full_text: the streamed Text parts */
  for (size_t i = 0; i < s->parts.n; i++)
    if (s->parts.v[i].kind == P_TEXT) lash__buf_append(&full, rs_z(&s->parts.v[i].text), s->parts.v[i].text.n);
  /* response_parts: the non-empty streamed parts, else the final response's parts,
   * else its text, else full_text */
  size_t keep = 0, n = 0;
  for (size_t i = 0; i < s->parts.n; i++) {
    const part_t *p = &s->parts.v[i];
    keep += !((p->kind == P_TEXT && !p->text.n) || (p->kind == P_REASONING && blank(rs_z(&p->text), p->text.n)));
  }
  if (!keep && s->final_response) {
    if (!parts_from_value(s, s->final_response, &fl)) goto out;
    if (!fl.n) { /* extract_text: output_text, else every output item's message text */
      const char *ot = vstr(vget(s->final_response, "output_text"));
      const cJSON *it;
      if (ot) lash__buf_puts(&t, ot);
      else cJSON_ArrayForEach(it, vget(s->final_response, "output")) message_text(it, &t);
    }
  }
  if (!keep && !fl.n && !t.len && full.len) lash__buf_append(&t, full.data, full.len);
  if (full.oom || t.oom) { s_oom(s); goto out; }
  if (!keep && !fl.n && t.len) {
    part_t *p = plist_add(s, &fl, P_TEXT);
    if (!p || !rs_set(s, &p->text, t.data, t.len)) goto out;
  }
  list = lash__alloc(&s->alloc, ((keep ? keep : fl.n) + 1) * sizeof *list);
  if (!list) { s_oom(s); goto out; }
  for (size_t i = 0; keep && i < s->parts.n; i++) {
    const part_t *p = &s->parts.v[i];
    if (!((p->kind == P_TEXT && !p->text.n) || (p->kind == P_REASONING && blank(rs_z(&p->text), p->text.n)))) list[n++] = p;
  }
  for (size_t i = 0; !keep && i < fl.n; i++) list[n++] = &fl.v[i];

  /* has_response_content */
  int content = 0, calls = 0;
  for (size_t i = 0; i < n; i++) {
    content |= list[i]->kind != P_TEXT || list[i]->text.n > 0;
    calls |= list[i]->kind == P_CALL;
  }
  if (!content) s_fail(s, LASH_E_INVALID_ARGUMENT, R_PROVIDER " empty_response");
  else r = response_json(s, list, n, full.data ? full.data : "", terminal_reason(s->final_response, calls));
out:
  lash__free(&s->alloc, list);
  lash__buf_free(&full);
  lash__buf_free(&t);
  plist_free(s, &fl);
  if (!r && e) *e = s->err;
  return r;
}

const lash_dialect lash__dialect_responses = {
    "openai", request_body, stream_new, stream_feed, stream_finish, stream_free,
};
