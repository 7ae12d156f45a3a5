/* Lashlang's 23 builtins and the operators, with lash's semantics and error
 * texts (runtime/ops.rs, runtime/format.rs). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lashlang/ll.h"

enum {
  B_LEN, B_EMPTY, B_KEYS, B_VALUES, B_TRIM, B_TO_STRING, B_TO_INT, B_TO_FLOAT, B_JSON_PARSE,
  B_CONTAINS, B_GREP_TEXT, B_STARTS_WITH, B_ENDS_WITH, B_SPLIT, B_JOIN, B_VALIDATE, B_CEIL_DIV,
  B_FLOOR_DIV, B_PUSH, B_SLICE, B_FIND, B_FORMAT, B_RANGE, B_COUNT
};
static const char *NAMES[B_COUNT] = {
  "len", "empty", "keys", "values", "trim", "to_string", "to_int", "to_float", "json_parse",
  "contains", "grep_text", "starts_with", "ends_with", "split", "join", "validate", "ceil_div",
  "floor_div", "push", "slice", "find", "format", "range",
};
/* exact arity, or -1 for find (2..3), range (1..3), format (>= 1) */
static const int ARITY[B_COUNT] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, -1, -1, -1};

int ll_builtin_id(const char *name, size_t n) {
  for (int i = 0; i < B_COUNT; i++)
    if (strlen(NAMES[i]) == n && memcmp(NAMES[i], name, n) == 0) return i;
  return -1;
}

/* ---- coercions (ops.rs) ---------------------------------------------------- */
int ll_as_number(ll_val v, double *out, ll_err *err) {
  switch (v.kind) {
    case LV_NUM: *out = v.u.n; return 0;
    case LV_BOOL: *out = v.u.b ? 1.0 : 0.0; return 0;
    case LV_NULL: *out = 0.0; return 0;
    case LV_STR: {
      const char *s = v.u.s->s, *e = s + v.u.s->len;
      while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) s++;
      while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) e--;
      if (s == e) { *out = 0.0; return 0; }
      /* Rust's f64::from_str: decimal digits, '.', exponent, inf/NaN words; no hex */
      char tmp[128];
      size_t n = (size_t)(e - s);
      if (n >= sizeof tmp) return ll_set_err(err, "expected a number");
      memcpy(tmp, s, n);
      tmp[n] = '\0';
      for (size_t i = 0; i < n; i++)
        if (tmp[i] == 'x' || tmp[i] == 'X' || tmp[i] == ' ') return ll_set_err(err, "expected a number");
      char *end;
      double d = strtod(tmp, &end);
      if (*end) return ll_set_err(err, "expected a number");
      *out = d;
      return 0;
    }
    default: return ll_set_err(err, "expected a number, got %s", ll_type_name(v));
  }
}

int ll_coerce_string(ll_rt *rt, ll_val v, lash_buf *b, ll_err *err) {
  (void)rt;
  switch (v.kind) {
    case LV_STR: case LV_NULL: case LV_BOOL: case LV_NUM: ll_stringify(b, v); return 0;
    default: return ll_set_err(err, "expected text, got %s", ll_type_name(v));
  }
}

static int str_out(ll_rt *rt, lash_buf *b, ll_val *out, ll_err *err) {
  int r = b->oom ? -1 : ll_str_new(rt, b->data ? b->data : "", b->len, out);
  lash__buf_free(b);
  if (r) ll_set_err(err, "memory limit exceeded");
  return r;
}

static int add_values(ll_rt *rt, ll_val a, ll_val b, ll_val *out, ll_err *err) {
  if (a.kind == LV_NUM && b.kind == LV_NUM) { *out = ll_num(a.u.n + b.u.n); return 0; }
  if (a.kind == LV_STR || b.kind == LV_STR) {
    lash_buf t;
    lash__buf_init(&t, rt->a);
    ll_stringify(&t, a);
    ll_stringify(&t, b);
    return str_out(rt, &t, out, err);
  }
  if (a.kind == LV_LIST && b.kind == LV_LIST) {
    if (ll_list_new(rt, a.u.l->n + b.u.l->n + 1, out)) return ll_set_err(err, "memory limit exceeded");
    for (size_t i = 0; i < a.u.l->n; i++) out->u.l->v[out->u.l->n++] = ll_incref(a.u.l->v[i]);
    for (size_t i = 0; i < b.u.l->n; i++) out->u.l->v[out->u.l->n++] = ll_incref(b.u.l->v[i]);
    ll_fix_depth_list(out->u.l);
    return 0;
  }
  double x, y;
  if (ll_as_number(a, &x, err) || ll_as_number(b, &y, err)) return -1;
  *out = ll_num(x + y);
  return 0;
}

static int str_cmp(ll_val a, ll_val b) {
  size_t n = a.u.s->len < b.u.s->len ? a.u.s->len : b.u.s->len;
  int r = memcmp(a.u.s->s, b.u.s->s, n);
  if (r) return r < 0 ? -1 : 1;
  return a.u.s->len < b.u.s->len ? -1 : a.u.s->len > b.u.s->len;
}

int ll_binop_eval(ll_rt *rt, ll_binop op, ll_val a, ll_val b, ll_val *out, ll_err *err) {
  double x, y;
  switch (op) {
    case OP_ADD: return add_values(rt, a, b, out, err);
    case OP_EQ: *out = ll_bool(ll_equal(a, b)); return 0;
    case OP_NE: *out = ll_bool(!ll_equal(a, b)); return 0;
    case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
      int c;
      if (a.kind == LV_STR && b.kind == LV_STR) {
        c = str_cmp(a, b);
        *out = ll_bool(op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0);
        return 0;
      }
      if (ll_as_number(a, &x, err) || ll_as_number(b, &y, err)) return -1;
      *out = ll_bool(op == OP_LT ? x < y : op == OP_LE ? x <= y : op == OP_GT ? x > y : x >= y);
      return 0;
    }
    default:
      if (ll_as_number(a, &x, err) || ll_as_number(b, &y, err)) return -1;
      *out = ll_num(op == OP_SUB ? x - y : op == OP_MUL ? x * y : op == OP_DIV ? x / y : fmod(x, y));
      return 0;
  }
}

/* ---- string helpers ---------------------------------------------------------- */
static size_t char_to_byte(const char *s, size_t len, size_t chars) {
  size_t pos = 0;
  for (size_t c = 0; c < chars && pos < len; c++) {
    pos++;
    while (pos < len && ((unsigned char)s[pos] & 0xC0) == 0x80) pos++;
  }
  return pos;
}

static const char *find_bytes(const char *h, size_t hl, const char *n, size_t nl) {
  if (nl == 0) return h;
  if (nl > hl) return NULL;
  for (size_t i = 0; i + nl <= hl; i++)
    if (h[i] == n[0] && memcmp(h + i, n, nl) == 0) return h + i;
  return NULL;
}

static int to_text(ll_rt *rt, ll_val v, lash_buf *b, ll_err *err) {
  lash__buf_init(b, rt->a);
  if (ll_coerce_string(rt, v, b, err)) { lash__buf_free(b); return -1; }
  if (!b->data) lash__buf_append(b, "", 0);
  return 0;
}
#define TXT(b) ((b).data ? (b).data : "")

static int slice_bound(ll_val v, int *has, long long *out, ll_err *err) {
  if (v.kind == LV_NULL) { *has = 0; return 0; }
  double d;
  if (ll_as_number(v, &d, err)) return -1;
  if (!isfinite(d) || d != floor(d)) return ll_set_err(err, "index must be an integer");
  *has = 1;
  *out = d > 9e18 ? (long long)9e18 : d < -9e18 ? (long long)-9e18 : (long long)d;
  return 0;
}

static long long norm_bound(long long b, long long len) {
  long long n = b < 0 ? len + b : b;
  return n < 0 ? 0 : n > len ? len : n;
}

/* ---- format (format.rs apply_format) ------------------------------------------ */
static int do_format(ll_rt *rt, const char *t, size_t tl, ll_val *args, size_t argc, ll_val *out, ll_err *err) {
  lash_buf o;
  lash__buf_init(&o, rt->a);
  int seq = 0, idx = 0;
  size_t next_seq = 0;
  unsigned char *used = calloc(argc ? argc : 1, 1);
  if (!used) return ll_set_err(err, "memory limit exceeded");
  size_t i = 0;
  while (i < tl) {
    char c = t[i];
    if (c == '{' && i + 1 < tl && t[i + 1] == '{') { lash__buf_append(&o, "{", 1); i += 2; continue; }
    if (c == '}' && i + 1 < tl && t[i + 1] == '}') { lash__buf_append(&o, "}", 1); i += 2; continue; }
    if (c == '}') { ll_set_err(err, "unmatched `}` in format string"); goto fail; }
    if (c != '{') { lash__buf_append(&o, &c, 1); i++; continue; }
    size_t cur = i + 1;
    while (cur < tl && t[cur] >= '0' && t[cur] <= '9') cur++;
    if (cur >= tl) { ll_set_err(err, "unmatched `{` in format string"); goto fail; }
    if (t[cur] != '}') { ll_set_err(err, "invalid format placeholder"); goto fail; }
    size_t slot;
    if (cur == i + 1) {
      if (idx) { ll_set_err(err, "can't mix `{}` and indexed format placeholders"); goto fail; }
      seq = 1;
      slot = next_seq++;
      if (slot >= argc) { ll_set_err(err, "format slot `{}` is out of range"); goto fail; }
    } else {
      if (seq) { ll_set_err(err, "can't mix `{}` and indexed format placeholders"); goto fail; }
      idx = 1;
      size_t nd = cur - i - 1;
      if (nd > 18) { ll_set_err(err, "bad format slot `%.*s`", (int)(nd < 64 ? nd : 64), t + i + 1); goto fail; }
      slot = (size_t)strtoull(t + i + 1, NULL, 10);
      if (slot >= argc) { ll_set_err(err, "format slot `%.*s` is out of range", (int)nd, t + i + 1); goto fail; }
    }
    used[slot] = 1;
    ll_stringify(&o, args[slot]);
    i = cur + 1;
  }
  size_t unused = argc;
  if (seq) unused = next_seq < argc ? next_seq : argc;
  else if (idx) { for (size_t k = 0; k < argc; k++) if (!used[k]) { unused = k; break; } }
  else if (argc > 0) unused = 0;
  if (unused < argc) { ll_set_err(err, "format argument `%zu` is unused", unused); goto fail; }
  free(used);
  return str_out(rt, &o, out, err);
fail:
  free(used);
  lash__buf_free(&o);
  return -1;
}

/* ---- the builtins ------------------------------------------------------------- */
static int arity_error(int id, size_t argc, ll_err *err) {
  if (id == B_FIND) return ll_set_err(err, "`find` takes 2 or 3 arg(s), got %zu", argc);
  if (id == B_RANGE) return ll_set_err(err, "`range` takes 1, 2, or 3 arg(s), got %zu", argc);
  if (id == B_FORMAT) return ll_set_err(err, "`format` requires at least a template string");
  return ll_set_err(err, "`%s` takes %d arg(s), got %zu", NAMES[id], ARITY[id], argc);
}

static int range_bound(ll_val v, long long *out, ll_err *err) {
  if (v.kind != LV_NUM) return ll_set_err(err, "`range` bounds must be finite integers, got %s", ll_type_name(v));
  double d = v.u.n;
  if (!isfinite(d) || d != floor(d) || d < -9.2e18 || d > 9.2e18) return ll_set_err(err, "`range` bounds must be finite integers");
  *out = (long long)d;
  return 0;
}

static int int_div_arg(const char *name, const char *arg, ll_val v, double *out, ll_err *err) {
  if (v.kind != LV_NUM) return ll_set_err(err, "`%s` %s must be a finite integer, got %s", name, arg, ll_type_name(v));
  if (!isfinite(v.u.n) || v.u.n != floor(v.u.n)) return ll_set_err(err, "`%s` %s must be a finite integer", name, arg);
  *out = v.u.n;
  return 0;
}

int ll_builtin_call(ll_rt *rt, int id, ll_val *a, size_t argc, ll_val *out, ll_err *err) {
  *out = ll_null();
  if (id < 0 || id >= B_COUNT) return ll_set_err(err, "unknown builtin");
  if (ARITY[id] >= 0 ? (int)argc != ARITY[id]
                     : (id == B_FIND ? (argc < 2 || argc > 3) : id == B_RANGE ? (argc < 1 || argc > 3) : argc < 1))
    return arity_error(id, argc, err);
  lash_buf x, y;
  switch (id) {
    case B_LEN:
      switch (a[0].kind) {
        case LV_STR: *out = ll_num((double)ll_utf8_count(a[0].u.s->s, a[0].u.s->len)); return 0;
        case LV_LIST: *out = ll_num((double)a[0].u.l->n); return 0;
        case LV_REC: *out = ll_num((double)a[0].u.r->n); return 0;
        case LV_NULL: *out = ll_num(0); return 0;
        default: return ll_set_err(err, "`len` requires a string, list, record, or null; use `.size` for images");
      }
    case B_EMPTY:
      switch (a[0].kind) {
        case LV_STR: *out = ll_bool(a[0].u.s->len == 0); return 0;
        case LV_LIST: *out = ll_bool(a[0].u.l->n == 0); return 0;
        case LV_REC: *out = ll_bool(a[0].u.r->n == 0); return 0;
        case LV_NULL: *out = ll_bool(1); return 0;
        default: return ll_set_err(err, "`empty` requires a string, list, record, or null");
      }
    case B_KEYS: case B_VALUES: {
      if (a[0].kind == LV_NULL) return ll_list_new(rt, 1, out) ? ll_set_err(err, "memory limit exceeded") : 0;
      if (a[0].kind != LV_REC)
        return ll_set_err(err, id == B_KEYS ? "`keys` requires a record or null" : "`values` requires a record or null");
      ll_rec *r = a[0].u.r;
      if (ll_list_new(rt, r->n + 1, out)) return ll_set_err(err, "memory limit exceeded");
      for (size_t i = 0; i < r->n; i++) {
        ll_val v;
        if (id == B_KEYS) { r->k[i]->rc++; v.kind = LV_STR; v.u.s = r->k[i]; }
        else v = ll_incref(r->v[i]);
        out->u.l->v[out->u.l->n++] = v;
      }
      ll_fix_depth_list(out->u.l);
      return 0;
    }
    case B_TRIM: {
      if (to_text(rt, a[0], &x, err)) return -1;
      const char *s = TXT(x), *e = s + x.len;
      while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v')) s++;
      while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r' || e[-1] == '\f' || e[-1] == '\v')) e--;
      int r = ll_str_new(rt, s, (size_t)(e - s), out);
      lash__buf_free(&x);
      return r ? ll_set_err(err, "memory limit exceeded") : 0;
    }
    case B_TO_STRING:
      lash__buf_init(&x, rt->a);
      ll_stringify(&x, a[0]);
      return str_out(rt, &x, out, err);
    case B_TO_INT: case B_TO_FLOAT: {
      double d;
      if (ll_as_number(a[0], &d, err)) return -1;
      *out = ll_num(id == B_TO_INT ? trunc(d) : d);
      return 0;
    }
    case B_JSON_PARSE: {
      if (to_text(rt, a[0], &x, err)) return -1;
      const char *why;
      int r = ll_from_json_text(rt, TXT(x), x.len, out, &why);
      lash__buf_free(&x);
      if (r) return ll_set_err(err, "invalid json: %s", why);
      return 0;
    }
    case B_CONTAINS:
      switch (a[0].kind) {
        case LV_STR: {
          if (to_text(rt, a[1], &y, err)) return -1;
          *out = ll_bool(find_bytes(a[0].u.s->s, a[0].u.s->len, TXT(y), y.len) != NULL);
          lash__buf_free(&y);
          return 0;
        }
        case LV_LIST:
          for (size_t i = 0; i < a[0].u.l->n; i++) if (ll_equal(a[0].u.l->v[i], a[1])) { *out = ll_bool(1); return 0; }
          *out = ll_bool(0);
          return 0;
        case LV_REC:
          if (to_text(rt, a[1], &y, err)) return -1;
          *out = ll_bool(ll_rec_get(a[0].u.r, TXT(y), y.len) != NULL);
          lash__buf_free(&y);
          return 0;
        case LV_NULL: *out = ll_bool(0); return 0;
        default: return ll_set_err(err, "`contains` requires a string/string, list/value, record/key, or null/value pair");
      }
    case B_STARTS_WITH: case B_ENDS_WITH: {
      if (to_text(rt, a[0], &x, err)) return -1;
      if (to_text(rt, a[1], &y, err)) { lash__buf_free(&x); return -1; }
      int r = y.len <= x.len && memcmp(id == B_STARTS_WITH ? TXT(x) : TXT(x) + x.len - y.len, TXT(y), y.len) == 0;
      lash__buf_free(&x);
      lash__buf_free(&y);
      *out = ll_bool(r);
      return 0;
    }
    case B_SPLIT: {
      if (to_text(rt, a[0], &x, err)) return -1;
      if (to_text(rt, a[1], &y, err)) { lash__buf_free(&x); return -1; }
      int bad = ll_list_new(rt, 4, out);
      const char *s = TXT(x), *e = s + x.len;
      if (!bad && y.len == 0) {
        /* Rust's str::split("") yields "", each char, "" */
        ll_val part;
        bad = ll_str_new(rt, "", 0, &part) || ll_list_push(rt, out->u.l, part);
        while (!bad && s < e) {
          size_t cl = 1;
          while (s + cl < e && ((unsigned char)s[cl] & 0xC0) == 0x80) cl++;
          bad = ll_str_new(rt, s, cl, &part) || ll_list_push(rt, out->u.l, part);
          s += cl;
        }
        if (!bad) bad = ll_str_new(rt, "", 0, &part) || ll_list_push(rt, out->u.l, part);
      } else {
        while (!bad) {
          const char *m = find_bytes(s, (size_t)(e - s), TXT(y), y.len);
          ll_val part;
          bad = ll_str_new(rt, s, m ? (size_t)(m - s) : (size_t)(e - s), &part) || ll_list_push(rt, out->u.l, part);
          if (!m) break;
          s = m + y.len;
        }
      }
      lash__buf_free(&x);
      lash__buf_free(&y);
      if (bad) { ll_decref(rt, *out); *out = ll_null(); return ll_set_err(err, "memory limit exceeded"); }
      return 0;
    }
    case B_JOIN: {
      if (a[0].kind != LV_LIST) return ll_set_err(err, "`join` requires a list as the first argument");
      if (to_text(rt, a[1], &y, err)) return -1;
      lash__buf_init(&x, rt->a);
      for (size_t i = 0; i < a[0].u.l->n; i++) {
        if (i) lash__buf_append(&x, TXT(y), y.len);
        if (ll_coerce_string(rt, a[0].u.l->v[i], &x, err)) { lash__buf_free(&x); lash__buf_free(&y); return -1; }
      }
      lash__buf_free(&y);
      return str_out(rt, &x, out, err);
    }
    case B_VALIDATE:
      return ll_validate(rt, a[0], a[1], out, err);
    case B_CEIL_DIV: case B_FLOOR_DIV: {
      const char *name = NAMES[id];
      double p, q;
      if (int_div_arg(name, "dividend", a[0], &p, err) || int_div_arg(name, "divisor", a[1], &q, err)) return -1;
      if (q == 0.0) return ll_set_err(err, "`%s` divisor must not be 0", name);
      *out = ll_num(id == B_CEIL_DIV ? ceil(p / q) : floor(p / q));
      return 0;
    }
    case B_PUSH: {
      if (a[0].kind != LV_LIST) return ll_set_err(err, "`push` requires a list as the first argument");
      if (ll_depth(a[1]) + 1 > LL_MAX_VALUE_DEPTH) return ll_set_err(err, "value nesting too deep (limit %d)", LL_MAX_VALUE_DEPTH);
      if (ll_list_new(rt, a[0].u.l->n + 1, out)) return ll_set_err(err, "memory limit exceeded");
      for (size_t i = 0; i < a[0].u.l->n; i++) out->u.l->v[out->u.l->n++] = ll_incref(a[0].u.l->v[i]);
      out->u.l->v[out->u.l->n++] = ll_incref(a[1]);
      ll_fix_depth_list(out->u.l);
      return 0;
    }
    case B_SLICE: {
      int hs, he;
      long long s = 0, e = 0;
      if (slice_bound(a[1], &hs, &s, err) || slice_bound(a[2], &he, &e, err)) return -1;
      if (a[0].kind == LV_STR) {
        long long n = (long long)ll_utf8_count(a[0].u.s->s, a[0].u.s->len);
        long long st = norm_bound(hs ? s : 0, n), en = norm_bound(he ? e : n, n);
        if (st >= en) return ll_str_new(rt, "", 0, out) ? ll_set_err(err, "memory limit exceeded") : 0;
        size_t bs = char_to_byte(a[0].u.s->s, a[0].u.s->len, (size_t)st);
        size_t be = char_to_byte(a[0].u.s->s, a[0].u.s->len, (size_t)en);
        return ll_str_new(rt, a[0].u.s->s + bs, be - bs, out) ? ll_set_err(err, "memory limit exceeded") : 0;
      }
      if (a[0].kind == LV_LIST) {
        long long n = (long long)a[0].u.l->n;
        long long st = norm_bound(hs ? s : 0, n), en = norm_bound(he ? e : n, n);
        if (ll_list_new(rt, st < en ? (size_t)(en - st) : 1, out)) return ll_set_err(err, "memory limit exceeded");
        for (long long i = st; i < en; i++) out->u.l->v[out->u.l->n++] = ll_incref(a[0].u.l->v[i]);
        ll_fix_depth_list(out->u.l);
        return 0;
      }
      return ll_set_err(err, "`slice` requires a string or list");
    }
    case B_FIND: {
      size_t start = 0;
      if (argc == 3) {
        double d;
        if (ll_as_number(a[2], &d, err)) return -1;
        if (!isfinite(d) || d != floor(d) || d < 0) return ll_set_err(err, "`find` start must be a non-negative integer");
        start = d > 1e18 ? (size_t)1e18 : (size_t)d;
      }
      if (to_text(rt, a[0], &x, err)) return -1;
      if (to_text(rt, a[1], &y, err)) { lash__buf_free(&x); return -1; }
      size_t nchars = ll_utf8_count(TXT(x), x.len);
      if (start > nchars) { *out = ll_null(); }
      else if (y.len == 0) { *out = ll_num((double)start); }
      else {
        size_t bs = char_to_byte(TXT(x), x.len, start);
        const char *m = find_bytes(TXT(x) + bs, x.len - bs, TXT(y), y.len);
        *out = m ? ll_num((double)(start + ll_utf8_count(TXT(x) + bs, (size_t)(m - TXT(x) - bs)))) : ll_null();
      }
      lash__buf_free(&x);
      lash__buf_free(&y);
      return 0;
    }
    case B_GREP_TEXT: {
      if (to_text(rt, a[0], &x, err)) return -1;
      if (to_text(rt, a[1], &y, err)) { lash__buf_free(&x); return -1; }
      int bad = 0;
      if (y.len == 0) { bad = ll_set_err(err, "`grep_text` needle must not be empty"); goto grep_done; }
      if (ll_list_new(rt, 4, out)) { bad = ll_set_err(err, "memory limit exceeded"); goto grep_done; }
      const char *s = TXT(x), *e = s + x.len;
      size_t line = 0;
      /* Rust's str::lines: split on \n, strip one trailing \r, no final empty line */
      while (s < e && !bad) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        const char *le = nl ? nl : e;
        size_t ll = (size_t)(le - s);
        if (ll && s[ll - 1] == '\r') ll--;
        line++;
        const char *m = find_bytes(s, ll, TXT(y), y.len);
        if (m) {
          ll_val rec, text, match;
          size_t st = ll_utf8_count(s, (size_t)(m - s));
          if (ll_rec_new(rt, 5, &rec)) { bad = -1; break; }
          bad = ll_rec_set(rt, rec.u.r, "line", 4, ll_num((double)line)) ||
                ll_str_new(rt, s, ll, &text) || ll_rec_set(rt, rec.u.r, "text", 4, text) ||
                ll_str_new(rt, TXT(y), y.len, &match) || ll_rec_set(rt, rec.u.r, "match", 5, match) ||
                ll_rec_set(rt, rec.u.r, "start", 5, ll_num((double)st)) ||
                ll_rec_set(rt, rec.u.r, "end", 3, ll_num((double)(st + ll_utf8_count(TXT(y), y.len)))) ||
                ll_list_push(rt, out->u.l, rec);
          if (bad) { ll_decref(rt, rec); ll_set_err(err, "memory limit exceeded"); }
        }
        if (!nl) break;
        s = nl + 1;
      }
      if (bad) { ll_decref(rt, *out); *out = ll_null(); }
    grep_done:
      lash__buf_free(&x);
      lash__buf_free(&y);
      return bad ? -1 : 0;
    }
    case B_FORMAT:
      if (a[0].kind != LV_STR) return ll_set_err(err, "`format` template must be a string, got %s", ll_type_name(a[0]));
      return do_format(rt, a[0].u.s->s, a[0].u.s->len, a + 1, argc - 1, out, err);
    case B_RANGE: {
      long long s = 0, e, st = 1;
      if (argc == 1) { if (range_bound(a[0], &e, err)) return -1; }
      else {
        if (range_bound(a[0], &s, err) || range_bound(a[1], &e, err)) return -1;
        if (argc == 3 && range_bound(a[2], &st, err)) return -1;
      }
      if (st == 0) return ll_set_err(err, "`range` step must not be 0");
      double count = 0;
      if ((st > 0 && s < e) || (st < 0 && s > e)) {
        double dist = st > 0 ? (double)e - (double)s : (double)s - (double)e;
        double step = fabs((double)st);
        count = ceil(dist / step);
      }
      if (count > 1000000) return ll_set_err(err, "`range` would create more than 1000000 items");
      if (ll_list_new(rt, count ? (size_t)count : 1, out)) return ll_set_err(err, "memory limit exceeded");
      for (size_t i = 0; i < (size_t)count; i++) out->u.l->v[out->u.l->n++] = ll_num((double)(s + (long long)i * st));
      return 0;
    }
  }
  return ll_set_err(err, "unknown builtin");
}
