/* Value text exactly as lash renders it: Rust's f64 Display for numbers (after
 * lash's integer fast path), serde_json's compact text for lists and records
 * (keys sorted, as lash's serializer sorts record entries), raw strings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lashlang/ll.h"

/* Shortest round-trip decimal digits of |d| (d finite, non-zero): digits
 * "ddd" and the decimal exponent e such that value = 0.ddd * 10^e. */
static int shortest_digits(double d, char *digits, int *exp10) {
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, fabs(d));
    if (strtod(tmp, NULL) == fabs(d)) break;
  }
  /* tmp = "d.ddde[+-]xx" */
  int n = 0;
  const char *p = tmp;
  for (; *p && *p != 'e'; p++) if (*p != '.') digits[n++] = *p;
  while (n > 1 && digits[n - 1] == '0') n--;
  digits[n] = '\0';
  *exp10 = atoi(p + 1) + 1;
  return n;
}

/* Positional layout with no exponent (Rust's Display for f64). */
static void fmt_positional(lash_buf *b, double d) {
  char digits[24];
  int e, n = shortest_digits(d, digits, &e);
  if (d < 0) lash__buf_append(b, "-", 1);
  if (e <= 0) {
    lash__buf_append(b, "0.", 2);
    for (int i = 0; i < -e; i++) lash__buf_append(b, "0", 1);
    lash__buf_append(b, digits, (size_t)n);
  } else if (e >= n) {
    lash__buf_append(b, digits, (size_t)n);
    for (int i = 0; i < e - n; i++) lash__buf_append(b, "0", 1);
  } else {
    lash__buf_append(b, digits, (size_t)e);
    lash__buf_append(b, ".", 1);
    lash__buf_append(b, digits + e, (size_t)(n - e));
  }
}

static int as_integer(double d, lash_buf *b) {
  if (!isfinite(d) || d != floor(d)) return 0;
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
    lash__buf_printf(b, "%lld", (long long)d);
    return 1;
  }
  if (d >= 0 && d < 18446744073709551616.0) {
    lash__buf_printf(b, "%llu", (unsigned long long)d);
    return 1;
  }
  return 0;
}

void ll_fmt_number(lash_buf *b, double d) {
  if (as_integer(d, b)) return;
  if (isnan(d)) { lash__buf_puts(b, "NaN"); return; }
  if (isinf(d)) { lash__buf_puts(b, d < 0 ? "-inf" : "inf"); return; }
  fmt_positional(b, d);
}

/* serde_json writes floats with ryu: positional for exponents in (-5, 16],
 * otherwise d.ddde<exp>. */
static void fmt_json_number(lash_buf *b, double d) {
  if (!isfinite(d)) { lash__buf_puts(b, "null"); return; }
  if (as_integer(d, b)) return;
  char digits[24];
  int e, n = shortest_digits(d, digits, &e);
  if (e > -5 && e <= 16) {
    if (e >= n) { /* integral but beyond u64 cannot reach here; keep ryu's ".0" */
      fmt_positional(b, d);
      lash__buf_puts(b, ".0");
    } else {
      fmt_positional(b, d);
    }
    return;
  }
  if (d < 0) lash__buf_append(b, "-", 1);
  lash__buf_append(b, digits, 1);
  if (n > 1) {
    lash__buf_append(b, ".", 1);
    lash__buf_append(b, digits + 1, (size_t)(n - 1));
  }
  lash__buf_printf(b, "e%d", e - 1);
}

static int key_cmp(const void *x, const void *y) {
  const ll_str *a = *(ll_str *const *)x, *c = *(ll_str *const *)y;
  size_t n = a->len < c->len ? a->len : c->len;
  int r = memcmp(a->s, c->s, n);
  if (r) return r;
  return a->len < c->len ? -1 : a->len > c->len;
}

void ll_fmt_json(lash_buf *b, ll_val v) {
  switch (v.kind) {
    case LV_NULL: lash__buf_puts(b, "null"); break;
    case LV_BOOL: lash__buf_puts(b, v.u.b ? "true" : "false"); break;
    case LV_NUM: fmt_json_number(b, v.u.n); break;
    case LV_STR: lash__buf_json_string(b, v.u.s->s, v.u.s->len); break;
    case LV_LIST:
      lash__buf_append(b, "[", 1);
      for (size_t i = 0; i < v.u.l->n; i++) {
        if (i) lash__buf_append(b, ",", 1);
        ll_fmt_json(b, v.u.l->v[i]);
      }
      lash__buf_append(b, "]", 1);
      break;
    case LV_REC: {
      ll_rec *r = v.u.r;
      /* sort a copy of the key order; small records sort on the stack */
      ll_str *stack_keys[16];
      ll_str **keys = r->n <= 16 ? stack_keys : malloc(r->n * sizeof(ll_str *));
      if (!keys) { b->oom = 1; return; }
      memcpy(keys, r->k, r->n * sizeof(ll_str *));
      qsort(keys, r->n, sizeof(ll_str *), key_cmp);
      lash__buf_append(b, "{", 1);
      for (size_t i = 0; i < r->n; i++) {
        if (i) lash__buf_append(b, ",", 1);
        lash__buf_json_string(b, keys[i]->s, keys[i]->len);
        lash__buf_append(b, ":", 1);
        ll_fmt_json(b, *ll_rec_get(r, keys[i]->s, keys[i]->len));
      }
      lash__buf_append(b, "}", 1);
      if (keys != stack_keys) free(keys);
      break;
    }
    case LV_PEND: lash__buf_puts(b, "null"); break;
  }
}

void ll_stringify(lash_buf *b, ll_val v) {
  switch (v.kind) {
    case LV_STR: lash__buf_append(b, v.u.s->s, v.u.s->len); break;
    case LV_NULL: lash__buf_puts(b, "null"); break;
    case LV_BOOL: lash__buf_puts(b, v.u.b ? "true" : "false"); break;
    case LV_NUM: ll_fmt_number(b, v.u.n); break;
    default: ll_fmt_json(b, v); break;
  }
}
