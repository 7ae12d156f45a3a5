/* Lashlang values: refcounted strings, lists and insertion-ordered records with
 * copy-on-write, every byte accounted against the program's memory limit. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lashlang/ll.h"
#include "util/alloc.h"

/* Each block carries its size so frees can be credited back to the limit. */
typedef struct { size_t n; size_t pad; } ll_hdr;

void *ll_alloc(ll_rt *rt, size_t n) {
  if (n > rt->mem_limit || rt->mem_used > rt->mem_limit - n) { rt->mem_exceeded = 1; return NULL; }
  ll_hdr *h = lash__alloc(rt->a, sizeof(ll_hdr) + n);
  if (!h) { rt->mem_exceeded = 1; return NULL; }
  h->n = n;
  rt->mem_used += n;
  return h + 1;
}

void *ll_realloc(ll_rt *rt, void *p, size_t n) {
  if (!p) return ll_alloc(rt, n);
  ll_hdr *h = (ll_hdr *)p - 1;
  size_t old = h->n;
  if (n > old && (n - old > rt->mem_limit || rt->mem_used > rt->mem_limit - (n - old))) {
    rt->mem_exceeded = 1;
    return NULL;
  }
  ll_hdr *q = lash__realloc(rt->a, h, sizeof(ll_hdr) + n);
  if (!q) { rt->mem_exceeded = 1; return NULL; }
  rt->mem_used = rt->mem_used - old + n;
  q->n = n;
  return q + 1;
}

void ll_free(ll_rt *rt, void *p) {
  if (!p) return;
  ll_hdr *h = (ll_hdr *)p - 1;
  rt->mem_used -= h->n;
  lash__free(rt->a, h);
}

int ll_set_err(ll_err *err, const char *fmt, ...) {
  if (!err) return -1;
  err->msg.len = 0;
  if (err->msg.data) err->msg.data[0] = '\0';
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n > 0 && lash__buf_reserve(&err->msg, (size_t)n)) {
    vsnprintf(err->msg.data + err->msg.len, (size_t)n + 1, fmt, ap2);
    err->msg.len += (size_t)n;
  }
  va_end(ap2);
  return -1;
}

ll_val ll_incref(ll_val v) {
  switch (v.kind) {
    case LV_STR: v.u.s->rc++; break;
    case LV_LIST: v.u.l->rc++; break;
    case LV_REC: v.u.r->rc++; break;
    default: break;
  }
  return v;
}

void ll_decref(ll_rt *rt, ll_val v) {
  /* Depth is bounded by LL_MAX_VALUE_DEPTH, so this recursion is too. */
  switch (v.kind) {
    case LV_STR:
      if (--v.u.s->rc == 0) ll_free(rt, v.u.s);
      break;
    case LV_LIST:
      if (--v.u.l->rc == 0) {
        for (size_t i = 0; i < v.u.l->n; i++) ll_decref(rt, v.u.l->v[i]);
        ll_free(rt, v.u.l->v);
        ll_free(rt, v.u.l);
      }
      break;
    case LV_REC:
      if (--v.u.r->rc == 0) {
        for (size_t i = 0; i < v.u.r->n; i++) {
          ll_val k; k.kind = LV_STR; k.u.s = v.u.r->k[i];
          ll_decref(rt, k);
          ll_decref(rt, v.u.r->v[i]);
        }
        ll_free(rt, v.u.r->k);
        ll_free(rt, v.u.r->v);
        ll_free(rt, v.u.r);
      }
      break;
    default: break;
  }
}

int ll_str_new(ll_rt *rt, const char *s, size_t n, ll_val *out) {
  *out = ll_null();
  if (n > UINT32_MAX - 1) { rt->mem_exceeded = 1; return -1; }
  ll_str *p = ll_alloc(rt, sizeof(ll_str) + n + 1);
  if (!p) return -1;
  p->rc = 1;
  p->len = (uint32_t)n;
  if (n) memcpy(p->s, s, n);
  p->s[n] = '\0';
  out->kind = LV_STR;
  out->u.s = p;
  return 0;
}

int ll_list_new(ll_rt *rt, size_t cap, ll_val *out) {
  *out = ll_null();
  ll_list *l = ll_alloc(rt, sizeof *l);
  if (!l) return -1;
  l->rc = 1; l->depth = 1; l->n = 0; l->cap = cap; l->v = NULL;
  if (cap && !(l->v = ll_alloc(rt, cap * sizeof(ll_val)))) { ll_free(rt, l); return -1; }
  out->kind = LV_LIST;
  out->u.l = l;
  return 0;
}

int ll_rec_new(ll_rt *rt, size_t cap, ll_val *out) {
  *out = ll_null();
  ll_rec *r = ll_alloc(rt, sizeof *r);
  if (!r) return -1;
  r->rc = 1; r->depth = 1; r->n = 0; r->cap = cap; r->k = NULL; r->v = NULL;
  if (cap) {
    r->k = ll_alloc(rt, cap * sizeof(ll_str *));
    r->v = ll_alloc(rt, cap * sizeof(ll_val));
    if (!r->k || !r->v) { ll_free(rt, r->k); ll_free(rt, r->v); ll_free(rt, r); return -1; }
  }
  out->kind = LV_REC;
  out->u.r = r;
  return 0;
}

uint32_t ll_depth(ll_val v) {
  if (v.kind == LV_LIST) return v.u.l->depth;
  if (v.kind == LV_REC) return v.u.r->depth;
  return 0;
}

void ll_fix_depth_list(ll_list *l) {
  uint32_t d = 0;
  for (size_t i = 0; i < l->n; i++) if (ll_depth(l->v[i]) > d) d = ll_depth(l->v[i]);
  l->depth = d + 1;
}

void ll_fix_depth_rec(ll_rec *r) {
  uint32_t d = 0;
  for (size_t i = 0; i < r->n; i++) if (ll_depth(r->v[i]) > d) d = ll_depth(r->v[i]);
  r->depth = d + 1;
}

int ll_list_push(ll_rt *rt, ll_list *l, ll_val item) {
  if (l->n == l->cap) {
    size_t nc = l->cap ? l->cap * 2 : 4;
    ll_val *nv = ll_realloc(rt, l->v, nc * sizeof(ll_val));
    if (!nv) { ll_decref(rt, item); return -1; }
    l->v = nv;
    l->cap = nc;
  }
  l->v[l->n++] = item;
  if (ll_depth(item) + 1 > l->depth) l->depth = ll_depth(item) + 1;
  return 0;
}

ll_val *ll_rec_get(const ll_rec *r, const char *key, size_t klen) {
  for (size_t i = 0; i < r->n; i++)
    if (r->k[i]->len == klen && memcmp(r->k[i]->s, key, klen) == 0) return &r->v[i];
  return NULL;
}

int ll_rec_set(ll_rt *rt, ll_rec *r, const char *key, size_t klen, ll_val item) {
  ll_val *slot = ll_rec_get(r, key, klen);
  if (slot) {
    ll_decref(rt, *slot);
    *slot = item;
    ll_fix_depth_rec(r);
    return 0;
  }
  if (r->n == r->cap) {
    size_t nc = r->cap ? r->cap * 2 : 4;
    ll_str **nk = ll_realloc(rt, r->k, nc * sizeof(ll_str *));
    if (!nk) { ll_decref(rt, item); return -1; }
    r->k = nk;
    ll_val *nv = ll_realloc(rt, r->v, nc * sizeof(ll_val));
    if (!nv) { ll_decref(rt, item); return -1; }
    r->v = nv;
    r->cap = nc;
  }
  ll_val k;
  if (ll_str_new(rt, key, klen, &k)) { ll_decref(rt, item); return -1; }
  r->k[r->n] = k.u.s;
  r->v[r->n++] = item;
  if (ll_depth(item) + 1 > r->depth) r->depth = ll_depth(item) + 1;
  return 0;
}

int ll_make_unique(ll_rt *rt, ll_val *v) {
  if (v->kind == LV_LIST && v->u.l->rc > 1) {
    ll_list *o = v->u.l;
    ll_val c;
    if (ll_list_new(rt, o->n ? o->n : 1, &c)) return -1;
    for (size_t i = 0; i < o->n; i++) c.u.l->v[i] = ll_incref(o->v[i]);
    c.u.l->n = o->n;
    c.u.l->depth = o->depth;
    o->rc--;
    *v = c;
  } else if (v->kind == LV_REC && v->u.r->rc > 1) {
    ll_rec *o = v->u.r;
    ll_val c;
    if (ll_rec_new(rt, o->n ? o->n : 1, &c)) return -1;
    for (size_t i = 0; i < o->n; i++) {
      o->k[i]->rc++;
      c.u.r->k[i] = o->k[i];
      c.u.r->v[i] = ll_incref(o->v[i]);
    }
    c.u.r->n = o->n;
    c.u.r->depth = o->depth;
    o->rc--;
    *v = c;
  }
  return 0;
}

int ll_equal(ll_val a, ll_val b) {
  if (a.kind != b.kind) return 0;
  switch (a.kind) {
    case LV_NULL: return 1;
    case LV_BOOL: return a.u.b == b.u.b;
    case LV_NUM: return a.u.n == b.u.n;
    case LV_STR: return a.u.s->len == b.u.s->len && memcmp(a.u.s->s, b.u.s->s, a.u.s->len) == 0;
    case LV_LIST:
      if (a.u.l->n != b.u.l->n) return 0;
      for (size_t i = 0; i < a.u.l->n; i++) if (!ll_equal(a.u.l->v[i], b.u.l->v[i])) return 0;
      return 1;
    case LV_REC:
      /* lash's Record equality ignores field order */
      if (a.u.r->n != b.u.r->n) return 0;
      for (size_t i = 0; i < a.u.r->n; i++) {
        ll_val *o = ll_rec_get(b.u.r, a.u.r->k[i]->s, a.u.r->k[i]->len);
        if (!o || !ll_equal(a.u.r->v[i], *o)) return 0;
      }
      return 1;
    case LV_PEND: return a.u.pend == b.u.pend;
  }
  return 0;
}

int ll_truthy(ll_val v) {
  switch (v.kind) {
    case LV_NULL: return 0;
    case LV_BOOL: return v.u.b;
    case LV_NUM: return v.u.n != 0.0 && !isnan(v.u.n);
    case LV_STR: return v.u.s->len != 0;
    default: return 1;
  }
}

const char *ll_type_name(ll_val v) {
  switch (v.kind) {
    case LV_NULL: return "null";
    case LV_BOOL: return "bool";
    case LV_NUM: return "number";
    case LV_STR: return "string";
    case LV_LIST: return "list";
    case LV_REC: return "record";
    default: return "handle";
  }
}

size_t ll_utf8_count(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
  return c;
}
