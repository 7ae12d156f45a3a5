/* The Lashlang VM: an explicit operand stack and iterator stack, no C recursion
 * between instructions, so it can park at `await` (LASH_LL_PENDING) and give the
 * scheduler a turn every `yield_every` instructions (LASH_LL_YIELD). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lashlang/ll.h"
#include "util/alloc.h"

typedef struct iter { ll_val list; size_t i; uint32_t name; ll_val saved; int had_saved; } iter;

typedef struct pending {
  uint32_t id;
  char *module, *tool, *args; /* owned */
  int resolved, ok, unwrap;
  ll_val result; /* owned: the value (ok) or the error text (!ok) */
} pending;

struct lash_ll_vm {
  ll_rt rt;
  lash_ll_limits lim;
  ll_val globals; /* record */
  char *src; size_t srclen;
  ll_program prog;
  ll_chunk ch;
  int loaded, finished;
  lash_ll_status status;
  size_t pc;
  ll_val *stack; size_t sp, scap;
  iter *iters; size_t ni, icap;
  pending *pend; size_t np, pcap;
  uint32_t next_id;
  lash_buf error;
  char *submitted;
  char **printed; size_t nprinted; size_t printed_bytes;
  uint64_t steps;
  uint32_t *hints; /* per constant: the globals index its name was last found at */
};

lash_ll_vm *lash__ll_new(const lash_allocator *a, const lash_ll_limits *limits) {
  lash_ll_vm *vm = lash__alloc(a, sizeof *vm);
  if (!vm) return NULL;
  memset(vm, 0, sizeof *vm);
  vm->rt.a = a;
  if (limits) vm->lim = *limits;
  if (!vm->lim.max_steps) vm->lim.max_steps = 10000000;
  if (!vm->lim.max_memory) vm->lim.max_memory = 64u << 20;
  if (!vm->lim.max_output) vm->lim.max_output = 10000;
  if (!vm->lim.yield_every) vm->lim.yield_every = 1024;
  vm->rt.mem_limit = vm->lim.max_memory;
  lash__buf_init(&vm->error, a);
  if (ll_rec_new(&vm->rt, 8, &vm->globals)) { lash__free(a, vm); return NULL; }
  return vm;
}

static void reset_run(lash_ll_vm *vm) {
  for (size_t i = 0; i < vm->sp; i++) ll_decref(&vm->rt, vm->stack[i]);
  vm->sp = 0;
  for (size_t i = 0; i < vm->ni; i++) { ll_decref(&vm->rt, vm->iters[i].list); ll_decref(&vm->rt, vm->iters[i].saved); }
  vm->ni = 0;
  for (size_t i = 0; i < vm->np; i++) {
    ll_free(&vm->rt, vm->pend[i].module);
    ll_free(&vm->rt, vm->pend[i].tool);
    ll_free(&vm->rt, vm->pend[i].args);
    ll_decref(&vm->rt, vm->pend[i].result);
  }
  vm->np = 0;
  ll_chunk_free(&vm->rt, &vm->ch);
  ll_free(&vm->rt, vm->hints);
  vm->hints = NULL;
  ll_program_free(&vm->rt, &vm->prog);
  ll_free(&vm->rt, vm->src);
  vm->src = NULL;
  for (size_t i = 0; i < vm->nprinted; i++) ll_free(&vm->rt, vm->printed[i]);
  ll_free(&vm->rt, vm->printed);
  vm->printed = NULL;
  vm->nprinted = vm->printed_bytes = 0;
  ll_free(&vm->rt, vm->submitted);
  vm->submitted = NULL;
  vm->error.len = 0;
  if (vm->error.data) vm->error.data[0] = '\0';
  vm->loaded = vm->finished = 0;
  vm->pc = 0;
  vm->steps = 0;
}

void lash__ll_free(lash_ll_vm *vm) {
  if (!vm) return;
  reset_run(vm);
  ll_free(&vm->rt, vm->stack);
  ll_free(&vm->rt, vm->iters);
  ll_free(&vm->rt, vm->pend);
  ll_decref(&vm->rt, vm->globals);
  lash__buf_free(&vm->error);
  lash__free(vm->rt.a, vm);
}

static lash_ll_status fail_diag(lash_ll_vm *vm, ll_err *e) {
  vm->error.len = 0;
  ll_diag_format(&vm->error, vm->src ? vm->src : "", vm->srclen, e);
  vm->finished = 1;
  return vm->status = LASH_LL_ERROR;
}

lash_ll_status lash__ll_load(lash_ll_vm *vm, const char *src, size_t len) {
  reset_run(vm);
  vm->rt.mem_exceeded = 0;
  ll_err e;
  memset(&e, 0, sizeof e);
  lash__buf_init(&e.msg, vm->rt.a);
  vm->src = ll_alloc(&vm->rt, len + 1);
  if (!vm->src) { ll_set_err(&e, "memory limit exceeded"); goto fail; }
  memcpy(vm->src, src, len);
  vm->src[len] = '\0';
  vm->srclen = len;
  if (ll_parse(&vm->rt, src, len, &vm->prog, &e)) goto fail;
  if (ll_link(&vm->prog, 0, &e)) goto fail;
  if (ll_compile(&vm->rt, &vm->prog, &vm->ch, &e)) goto fail;
  vm->hints = ll_alloc(&vm->rt, (vm->ch.nconst ? vm->ch.nconst : 1) * sizeof(uint32_t));
  if (!vm->hints) { ll_set_err(&e, "memory limit exceeded"); goto fail; }
  memset(vm->hints, 0xff, (vm->ch.nconst ? vm->ch.nconst : 1) * sizeof(uint32_t));
  lash__buf_free(&e.msg);
  vm->loaded = 1;
  return vm->status = LASH_LL_YIELD;
fail:
  fail_diag(vm, &e);
  lash__buf_free(&e.msg);
  return LASH_LL_ERROR;
}

char *lash__ll_check(const lash_allocator *a, const char *src, size_t len) {
  ll_rt rt = {a, 0, (size_t)256 << 20, 0};
  ll_err e;
  memset(&e, 0, sizeof e);
  lash__buf_init(&e.msg, a);
  ll_program p;
  char *out = NULL;
  if (ll_parse(&rt, src, len, &p, &e) == 0) {
    int bad = ll_link(&p, 1, &e);
    ll_program_free(&rt, &p);
    if (!bad) { lash__buf_free(&e.msg); return NULL; }
  }
  lash_buf b;
  lash__buf_init(&b, a);
  ll_diag_format(&b, src, len, &e);
  out = lash__buf_take(&b, NULL);
  lash__buf_free(&e.msg);
  return out;
}

/* ---- stack ------------------------------------------------------------------ */
static int push(lash_ll_vm *vm, ll_val v) {
  if (vm->sp == vm->scap) {
    size_t nc = vm->scap ? vm->scap * 2 : 64;
    ll_val *ns = ll_realloc(&vm->rt, vm->stack, nc * sizeof(ll_val));
    if (!ns) { ll_decref(&vm->rt, v); return -1; }
    vm->stack = ns;
    vm->scap = nc;
  }
  vm->stack[vm->sp++] = v;
  return 0;
}
static ll_val pop(lash_ll_vm *vm) { return vm->stack[--vm->sp]; }

static int lookup_global(void *ctx, const char *name, size_t n, ll_val *out) {
  lash_ll_vm *vm = ctx;
  ll_val *v = ll_rec_get(vm->globals.u.r, name, n);
  if (!v) return -1;
  *out = *v;
  return 0;
}

/* wrapper records {ok: true, value} / {ok: false, error} */
static int wrapper(ll_rt *rt, int ok, ll_val v /* owned */, ll_val *out) {
  if (ll_rec_new(rt, 2, out)) { ll_decref(rt, v); return -1; }
  if (ll_rec_set(rt, out->u.r, "ok", 2, ll_bool(ok)) ||
      ll_rec_set(rt, out->u.r, ok ? "value" : "error", ok ? 5 : 5, v)) {
    ll_decref(rt, *out);
    return -1;
  }
  return 0;
}

static int unwrap_result(ll_rt *rt, ll_val v, ll_val *out, ll_err *err) {
  if (v.kind != LV_REC) return ll_set_err(err, "`?` expected a tool result wrapper, got %s", ll_type_name(v));
  ll_val *ok = ll_rec_get(v.u.r, "ok", 2);
  if (ok && ok->kind == LV_BOOL && ok->u.b) {
    ll_val *val = ll_rec_get(v.u.r, "value", 5);
    if (!val) return ll_set_err(err, "`?` found a successful tool result wrapper missing `value`");
    *out = ll_incref(*val);
    return 0;
  }
  if (ok && ok->kind == LV_BOOL) {
    ll_val *e = ll_rec_get(v.u.r, "error", 5);
    lash_buf b;
    lash__buf_init(&b, rt->a);
    if (e) ll_stringify(&b, *e);
    else lash__buf_puts(&b, "unknown error");
    ll_set_err(err, "`?` unwrapped failed tool result: %s", b.data ? b.data : "");
    lash__buf_free(&b);
    err->hint = "remove `?` and inspect `.ok` or `.error` when you need to handle failures";
    return -1;
  }
  return ll_set_err(err, "`?` expected a tool result wrapper with boolean `ok`");
}

static int read_field(ll_val t, const char *k, size_t n, ll_val *out, ll_err *err) {
  if (t.kind == LV_REC) {
    ll_val *v = ll_rec_get(t.u.r, k, n);
    *out = v ? ll_incref(*v) : ll_null();
    return 0;
  }
  if (t.kind == LV_NULL) { *out = ll_null(); return 0; }
  return ll_set_err(err, "can't read `.%.*s` from %s", (int)(n < 200 ? n : 200), k, ll_type_name(t));
}

static int as_offset(ll_val v, long long *out, ll_err *err) {
  double d;
  if (ll_as_number(v, &d, err)) return -1;
  if (!isfinite(d) || d != floor(d)) return ll_set_err(err, "index must be an integer");
  *out = d > 9e18 ? (long long)9e18 : d < -9e18 ? (long long)-9e18 : (long long)d;
  return 0;
}

static int read_index(ll_rt *rt, ll_val t, ll_val idx, ll_val *out, ll_err *err) {
  *out = ll_null();
  if (t.kind == LV_LIST || t.kind == LV_STR) {
    long long i;
    if (as_offset(idx, &i, err)) return -1;
    if (t.kind == LV_LIST) {
      long long n = (long long)t.u.l->n;
      if (i < 0) i += n;
      if (i >= 0 && i < n) *out = ll_incref(t.u.l->v[i]);
      return 0;
    }
    long long n = (long long)ll_utf8_count(t.u.s->s, t.u.s->len);
    if (i < 0) i += n;
    if (i < 0 || i >= n) return 0;
    const char *s = t.u.s->s;
    size_t pos = 0;
    for (long long c = 0; c < i; c++) { pos++; while (pos < t.u.s->len && ((unsigned char)s[pos] & 0xC0) == 0x80) pos++; }
    size_t end = pos + 1;
    while (end < t.u.s->len && ((unsigned char)s[end] & 0xC0) == 0x80) end++;
    return ll_str_new(rt, s + pos, end - pos, out);
  }
  if (t.kind == LV_REC) {
    lash_buf b;
    lash__buf_init(&b, rt->a);
    if (ll_coerce_string(rt, idx, &b, err)) { lash__buf_free(&b); return -1; }
    ll_val *v = ll_rec_get(t.u.r, b.data ? b.data : "", b.len);
    *out = v ? ll_incref(*v) : ll_null();
    lash__buf_free(&b);
    return 0;
  }
  if (t.kind == LV_NULL) return 0;
  return ll_set_err(err, "can't index %s", ll_type_name(t));
}

/* Path assignment (lash's assign_path_steps), copy-on-write along the path.
 * Iterative: descend with unique containers, then fix depths bottom-up. */
static int assign_path(lash_ll_vm *vm, ll_val *root, const ll_val *steps, size_t nsteps,
                       ll_val *idx, ll_val value, ll_err *err) {
  ll_rt *rt = &vm->rt;
  ll_val *chain[LL_MAX_VALUE_DEPTH + 1];
  ll_val *target = root;
  size_t ii = 0, filled = 0;
  if (nsteps > LL_MAX_VALUE_DEPTH) {
    ll_decref(rt, value);
    return ll_set_err(err, "value nesting too deep (limit %d)", LL_MAX_VALUE_DEPTH);
  }
  for (size_t s = 0; s < nsteps; s++) {
    int last = s + 1 == nsteps;
    if (ll_make_unique(rt, target)) goto oom;
    chain[s] = target;
    filled = s + 1;
    if (steps[s].kind == LV_STR) {
      const char *k = steps[s].u.s->s;
      size_t n = steps[s].u.s->len;
      if (target->kind != LV_REC) {
        if (last) ll_set_err(err, "can't assign `.%.*s` on %s", (int)(n < 200 ? n : 200), k, ll_type_name(*target));
        else ll_set_err(err, "can't assign through `.%.*s` on %s", (int)(n < 200 ? n : 200), k, ll_type_name(*target));
        goto fail;
      }
      if (last) {
        if (ll_rec_set(rt, target->u.r, k, n, value)) { value = ll_null(); goto oom; }
        value = ll_null();
        break;
      }
      ll_val *child = ll_rec_get(target->u.r, k, n);
      if (!child) { ll_set_err(err, "can't assign through missing field `.%.*s`", (int)(n < 200 ? n : 200), k); goto fail; }
      target = child;
    } else {
      ll_val key = idx[ii++];
      if (target->kind == LV_LIST) {
        if (key.kind != LV_NUM || !isfinite(key.u.n) || key.u.n != floor(key.u.n)) {
          ll_set_err(err, "list assignment index must be an integer");
          goto fail;
        }
        double i = key.u.n, n = (double)target->u.l->n;
        if (i < 0) i += n;
        if (i < 0 || i >= n) { ll_set_err(err, "list assignment index out of bounds"); goto fail; }
        ll_val *slot = &target->u.l->v[(size_t)i];
        if (last) { ll_decref(rt, *slot); *slot = value; value = ll_null(); break; }
        target = slot;
      } else if (target->kind == LV_REC) {
        lash_buf b;
        lash__buf_init(&b, rt->a);
        if (ll_coerce_string(rt, key, &b, err)) { lash__buf_free(&b); goto fail; }
        const char *k = b.data ? b.data : "";
        if (last) {
          int r = ll_rec_set(rt, target->u.r, k, b.len, value);
          lash__buf_free(&b);
          value = ll_null();
          if (r) goto oom;
          break;
        }
        ll_val *child = ll_rec_get(target->u.r, k, b.len);
        if (!child) { ll_set_err(err, "can't assign through missing key `%s`", k); lash__buf_free(&b); goto fail; }
        lash__buf_free(&b);
        target = child;
      } else {
        if (last) ll_set_err(err, "can't assign index on %s", ll_type_name(*target));
        else ll_set_err(err, "can't assign through index on %s", ll_type_name(*target));
        goto fail;
      }
    }
  }
  /* recompute container depths bottom-up; refuse values nested too deep */
  for (size_t s = filled; s-- > 0;) {
    if (chain[s]->kind == LV_LIST) ll_fix_depth_list(chain[s]->u.l);
    else if (chain[s]->kind == LV_REC) ll_fix_depth_rec(chain[s]->u.r);
  }
  if (ll_depth(*root) > LL_MAX_VALUE_DEPTH) return ll_set_err(err, "value nesting too deep (limit %d)", LL_MAX_VALUE_DEPTH);
  return 0;
oom:
  ll_set_err(err, "memory limit exceeded");
fail:
  ll_decref(rt, value);
  for (size_t s = filled; s-- > 0;) {
    if (chain[s]->kind == LV_LIST) ll_fix_depth_list(chain[s]->u.l);
    else if (chain[s]->kind == LV_REC) ll_fix_depth_rec(chain[s]->u.r);
  }
  return -1;
}

/* Globals by name constant k: the hint makes the common case one compare. */
static ll_val *global(lash_ll_vm *vm, uint32_t k) {
  ll_rec *g = vm->globals.u.r;
  const ll_str *name = vm->ch.consts[k].u.s;
  uint32_t h = vm->hints[k];
  if (h < g->n && g->k[h]->len == name->len && memcmp(g->k[h]->s, name->s, name->len) == 0) return &g->v[h];
  for (size_t i = 0; i < g->n; i++)
    if (g->k[i]->len == name->len && memcmp(g->k[i]->s, name->s, name->len) == 0) {
      vm->hints[k] = (uint32_t)i;
      return &g->v[i];
    }
  return NULL;
}

/* Bind a global (takes v). The globals record's depth is never used as a
 * value's depth, so replacing a binding skips the depth recomputation. */
static int store_k(lash_ll_vm *vm, uint32_t k, ll_val v) {
  ll_val *slot = global(vm, k);
  if (slot) {
    ll_decref(&vm->rt, *slot);
    *slot = v;
    return 0;
  }
  const ll_str *name = vm->ch.consts[k].u.s;
  return ll_rec_set(&vm->rt, vm->globals.u.r, name->s, name->len, v);
}

static void unset_global(lash_ll_vm *vm, ll_val name) {
  ll_rec *g = vm->globals.u.r;
  for (size_t i = 0; i < g->n; i++) {
    if (g->k[i]->len == name.u.s->len && !memcmp(g->k[i]->s, name.u.s->s, name.u.s->len)) {
      ll_val k; k.kind = LV_STR; k.u.s = g->k[i];
      ll_decref(&vm->rt, k);
      ll_decref(&vm->rt, g->v[i]);
      memmove(&g->k[i], &g->k[i + 1], (g->n - i - 1) * sizeof(ll_str *));
      memmove(&g->v[i], &g->v[i + 1], (g->n - i - 1) * sizeof(ll_val));
      g->n--;
      return;
    }
  }
}

/* Replace pending placeholders (top level or one container level, the shapes
 * aggregate await builds) with their results. */
static int settle(lash_ll_vm *vm, ll_val *v, ll_err *err, int *failed_unwrap) {
  ll_rt *rt = &vm->rt;
  if (v->kind == LV_PEND) {
    pending *p = &vm->pend[v->u.pend];
    ll_val r = ll_incref(p->result);
    if (p->unwrap) {
      if (!p->ok) {
        if (!*failed_unwrap) {
          lash_buf b;
          lash__buf_init(&b, rt->a);
          ll_stringify(&b, r);
          ll_set_err(err, "`?` unwrapped failed module operation: %s", b.data ? b.data : "");
          lash__buf_free(&b);
          *failed_unwrap = 1;
        }
        ll_decref(rt, r);
        *v = ll_null();
        return 0;
      }
      *v = r;
      return 0;
    }
    return wrapper(rt, p->ok, r, v);
  }
  if (v->kind == LV_LIST || v->kind == LV_REC) {
    size_t n = v->kind == LV_LIST ? v->u.l->n : v->u.r->n;
    ll_val *items = v->kind == LV_LIST ? v->u.l->v : v->u.r->v;
    for (size_t i = 0; i < n; i++)
      if (items[i].kind == LV_PEND && settle(vm, &items[i], err, failed_unwrap)) return -1;
    if (v->kind == LV_LIST) ll_fix_depth_list(v->u.l);
    else ll_fix_depth_rec(v->u.r);
  }
  return 0;
}

static size_t pending_floor(const lash_ll_vm *vm, ll_val v) {
  size_t from = vm->np;
  if (v.kind == LV_PEND) return v.u.pend;
  if (v.kind == LV_LIST || v.kind == LV_REC) {
    size_t n = v.kind == LV_LIST ? v.u.l->n : v.u.r->n;
    const ll_val *items = v.kind == LV_LIST ? v.u.l->v : v.u.r->v;
    for (size_t i = 0; i < n; i++)
      if (items[i].kind == LV_PEND && items[i].u.pend < from) from = items[i].u.pend;
  }
  return from;
}

static int start_tool(lash_ll_vm *vm, ll_val args /* owned list */, ll_val module, ll_val op, int unwrap, ll_val *out) {
  ll_rt *rt = &vm->rt;
  lash_buf b;
  lash__buf_init(&b, rt->a);
  if (args.u.l->n == 1 && args.u.l->v[0].kind == LV_REC) {
    ll_to_json_text(&b, args.u.l->v[0]);
  } else {
    lash__buf_puts(&b, "{\"args\":");
    ll_to_json_text(&b, args);
    lash__buf_puts(&b, "}");
  }
  ll_decref(rt, args);
  if (b.oom) { lash__buf_free(&b); return -1; }
  if (vm->np == vm->pcap) {
    size_t nc = vm->pcap ? vm->pcap * 2 : 4;
    pending *np = ll_realloc(rt, vm->pend, nc * sizeof(pending));
    if (!np) { lash__buf_free(&b); return -1; }
    vm->pend = np;
    vm->pcap = nc;
  }
  pending *p = &vm->pend[vm->np];
  memset(p, 0, sizeof *p);
  p->id = ++vm->next_id;
  p->unwrap = unwrap;
  p->result = ll_null();
  p->module = ll_alloc(rt, module.u.s->len + 1);
  p->tool = ll_alloc(rt, op.u.s->len + 1);
  p->args = ll_alloc(rt, b.len + 1);
  if (!p->module || !p->tool || !p->args) {
    ll_free(rt, p->module); ll_free(rt, p->tool); ll_free(rt, p->args);
    lash__buf_free(&b);
    return -1;
  }
  memcpy(p->module, module.u.s->s, module.u.s->len + 1);
  memcpy(p->tool, op.u.s->s, op.u.s->len + 1);
  memcpy(p->args, b.data ? b.data : "", b.len);
  p->args[b.len] = '\0';
  lash__buf_free(&b);
  out->kind = LV_PEND;
  out->u.pend = (uint32_t)vm->np++;
  return 0;
}

static int print_value(lash_ll_vm *vm, ll_val v, ll_err *err) {
  ll_rt *rt = &vm->rt;
  lash_buf b;
  lash__buf_init(&b, rt->a);
  ll_stringify(&b, v);
  if (b.oom) { lash__buf_free(&b); return ll_set_err(err, "memory limit exceeded"); }
  if (b.len > vm->lim.max_output || vm->printed_bytes > vm->lim.max_output - b.len) {
    lash__buf_free(&b);
    return ll_set_err(err, "output limit exceeded (%zu bytes printed per block)", vm->lim.max_output);
  }
  char **np = ll_realloc(rt, vm->printed, (vm->nprinted + 1) * sizeof(char *));
  if (!np) { lash__buf_free(&b); return ll_set_err(err, "memory limit exceeded"); }
  vm->printed = np;
  char *s = ll_alloc(rt, b.len + 1);
  if (!s) { lash__buf_free(&b); return ll_set_err(err, "memory limit exceeded"); }
  memcpy(s, b.data ? b.data : "", b.len);
  s[b.len] = '\0';
  vm->printed[vm->nprinted++] = s;
  vm->printed_bytes += b.len;
  lash__buf_free(&b);
  return 0;
}

lash_ll_status lash__ll_run(lash_ll_vm *vm) {
  if (!vm->loaded || vm->finished) return vm->status;
  ll_rt *rt = &vm->rt;
  ll_err err;
  memset(&err, 0, sizeof err);
  lash__buf_init(&err.msg, rt->a);
  uint32_t slice = 0;
  const ll_ins *code = vm->ch.code;
  const ll_val *K = vm->ch.consts;
  for (;;) {
    if (slice++ >= vm->lim.yield_every) { lash__buf_free(&err.msg); return vm->status = LASH_LL_YIELD; }
    if (++vm->steps > vm->lim.max_steps) {
      ll_set_err(&err, "step limit exceeded (%llu instructions)", (unsigned long long)vm->lim.max_steps);
      goto error_here;
    }
    const ll_ins *in = &code[vm->pc];
    size_t next = vm->pc + 1;
    ll_val a, b, r;
    switch (in->op) {
      case I_CONST: if (push(vm, ll_incref(K[in->a]))) goto oom; break;
      case I_NULL: if (push(vm, ll_null())) goto oom; break;
      case I_TRUE: if (push(vm, ll_bool(1))) goto oom; break;
      case I_FALSE: if (push(vm, ll_bool(0))) goto oom; break;
      case I_LOAD: {
        ll_val *v = global(vm, in->a);
        if (!v) { ll_set_err(&err, "unknown name `%s`", K[in->a].u.s->s); goto error_here; }
        if (push(vm, ll_incref(*v))) goto oom;
        break;
      }
      case I_STORE:
        if (store_k(vm, in->a, pop(vm))) goto oom;
        break;
      case I_POP: ll_decref(rt, pop(vm)); break;
      case I_BIN:
        b = pop(vm); a = pop(vm);
        if (a.kind == LV_NUM && b.kind == LV_NUM && in->a != OP_MOD) {
          /* numbers: no coercion, no refcounts (the common loop case) */
          double x = a.u.n, y = b.u.n;
          switch ((ll_binop)in->a) {
            case OP_ADD: r = ll_num(x + y); break;
            case OP_SUB: r = ll_num(x - y); break;
            case OP_MUL: r = ll_num(x * y); break;
            case OP_DIV: r = ll_num(x / y); break;
            case OP_EQ: r = ll_bool(x == y); break;
            case OP_NE: r = ll_bool(x != y); break;
            case OP_LT: r = ll_bool(x < y); break;
            case OP_LE: r = ll_bool(x <= y); break;
            case OP_GT: r = ll_bool(x > y); break;
            default: r = ll_bool(x >= y); break;
          }
          vm->stack[vm->sp++] = r; /* two slots were just popped */
          break;
        }
        if (ll_binop_eval(rt, (ll_binop)in->a, a, b, &r, &err)) { ll_decref(rt, a); ll_decref(rt, b); goto error_here; }
        ll_decref(rt, a); ll_decref(rt, b);
        if (push(vm, r)) goto oom;
        break;
      case I_NEG: {
        double d;
        a = pop(vm);
        int bad = ll_as_number(a, &d, &err);
        ll_decref(rt, a);
        if (bad) goto error_here;
        if (push(vm, ll_num(-d))) goto oom;
        break;
      }
      case I_NOT: a = pop(vm); r = ll_bool(!ll_truthy(a)); ll_decref(rt, a); if (push(vm, r)) goto oom; break;
      case I_TOBOOL: a = pop(vm); r = ll_bool(ll_truthy(a)); ll_decref(rt, a); if (push(vm, r)) goto oom; break;
      case I_JMP: next = in->b; break;
      case I_JF: a = pop(vm); if (!ll_truthy(a)) next = in->b; ll_decref(rt, a); break;
      case I_JT: a = pop(vm); if (ll_truthy(a)) next = in->b; ll_decref(rt, a); break;
      case I_LIST: {
        if (ll_list_new(rt, in->a ? in->a : 1, &r)) goto oom;
        size_t base = vm->sp - in->a;
        for (size_t i = 0; i < in->a; i++) r.u.l->v[i] = vm->stack[base + i];
        r.u.l->n = in->a;
        vm->sp = base;
        ll_fix_depth_list(r.u.l);
        if (r.u.l->depth > LL_MAX_VALUE_DEPTH) { ll_decref(rt, r); ll_set_err(&err, "value nesting too deep (limit %d)", LL_MAX_VALUE_DEPTH); goto error_here; }
        if (push(vm, r)) goto oom;
        break;
      }
      case I_REC: {
        if (ll_rec_new(rt, in->a ? in->a : 1, &r)) goto oom;
        size_t base = vm->sp - in->a;
        int bad = 0;
        for (size_t i = 0; i < in->a; i++) {
          ll_val k = K[in->b + i];
          if (!bad) bad = ll_rec_set(rt, r.u.r, k.u.s->s, k.u.s->len, vm->stack[base + i]);
          else ll_decref(rt, vm->stack[base + i]);
        }
        vm->sp = base;
        if (bad) { ll_decref(rt, r); goto oom; }
        if (r.u.r->depth > LL_MAX_VALUE_DEPTH) { ll_decref(rt, r); ll_set_err(&err, "value nesting too deep (limit %d)", LL_MAX_VALUE_DEPTH); goto error_here; }
        if (push(vm, r)) goto oom;
        break;
      }
      case I_FIELD: {
        a = pop(vm);
        int bad = read_field(a, K[in->a].u.s->s, K[in->a].u.s->len, &r, &err);
        ll_decref(rt, a);
        if (bad) goto error_here;
        if (push(vm, r)) goto oom;
        break;
      }
      case I_INDEX: {
        b = pop(vm); a = pop(vm);
        int bad = read_index(rt, a, b, &r, &err);
        ll_decref(rt, a); ll_decref(rt, b);
        if (bad) goto error_here;
        if (push(vm, r)) goto oom;
        break;
      }
      case I_UNWRAP: {
        a = pop(vm);
        int bad = unwrap_result(rt, a, &r, &err);
        ll_decref(rt, a);
        if (bad) goto error_here;
        if (push(vm, r)) goto oom;
        break;
      }
      case I_BUILTIN: {
        size_t base = vm->sp - in->b;
        if ((int)in->a < 0) {
          for (size_t i = base; i < vm->sp; i++) ll_decref(rt, vm->stack[i]);
          vm->sp = base;
          ll_set_err(&err, "unknown builtin `%s`", K[in->c].u.s->s);
          goto error_here;
        }
        int bad = ll_builtin_call(rt, (int)in->a, vm->stack + base, in->b, &r, &err);
        for (size_t i = base; i < vm->sp; i++) ll_decref(rt, vm->stack[i]);
        vm->sp = base;
        if (bad) goto error_here;
        if (push(vm, r)) goto oom;
        break;
      }
      case I_TYPE: {
        if (ll_type_value(rt, vm->ch.types[in->a], lookup_global, vm, &r, &err)) goto error_here;
        if (push(vm, r)) goto oom;
        break;
      }
      case I_TOOL:
        a = pop(vm);
        if (start_tool(vm, a, K[in->a], K[in->b], (int)in->c, &r)) goto oom;
        if (push(vm, r)) goto oom;
        break;
      case I_JOIN: {
        if (in->a == 1) {
          ll_val s;
          if (ll_str_new(rt, "expected handle record", 22, &s) || wrapper(rt, 0, s, &r)) goto oom;
          if (push(vm, r)) goto oom;
          break;
        }
        /* Awaits nest LIFO (an inner await inside an aggregate joins first),
         * so this join owns every pending call from the lowest one its value
         * refers to; calls started earlier by an enclosing aggregate stay. */
        ll_val *top = &vm->stack[vm->sp - 1];
        size_t from = pending_floor(vm, *top);
        for (size_t i = from; i < vm->np; i++)
          if (!vm->pend[i].resolved) {
            lash__buf_free(&err.msg);
            vm->steps--; /* polling a parked VM costs no steps */
            return vm->status = LASH_LL_PENDING; /* pc stays here: resumed by run */
          }
        int failed_unwrap = 0;
        if (ll_make_unique(rt, top) || settle(vm, top, &err, &failed_unwrap)) goto oom;
        for (size_t i = from; i < vm->np; i++) {
          ll_free(rt, vm->pend[i].module);
          ll_free(rt, vm->pend[i].tool);
          ll_free(rt, vm->pend[i].args);
          ll_decref(rt, vm->pend[i].result);
        }
        vm->np = from;
        if (failed_unwrap) goto error_here;
        break;
      }
      case I_PRINT: {
        a = pop(vm);
        int bad = print_value(vm, a, &err);
        ll_decref(rt, a);
        if (bad) goto error_here;
        break;
      }
      case I_SUBMIT: {
        a = pop(vm);
        lash_buf sb;
        lash__buf_init(&sb, rt->a);
        ll_to_json_text(&sb, a);
        ll_decref(rt, a);
        if (sb.oom) { lash__buf_free(&sb); goto oom; }
        vm->submitted = ll_alloc(rt, sb.len + 1);
        if (!vm->submitted) { lash__buf_free(&sb); goto oom; }
        memcpy(vm->submitted, sb.data ? sb.data : "", sb.len);
        vm->submitted[sb.len] = '\0';
        lash__buf_free(&sb);
        vm->finished = 1;
        lash__buf_free(&err.msg);
        return vm->status = LASH_LL_SUBMITTED;
      }
      case I_ITER: {
        a = pop(vm);
        if (a.kind != LV_LIST) { ll_decref(rt, a); ll_set_err(&err, "`for` expects a list"); goto error_here; }
        if (vm->ni == vm->icap) {
          size_t nc = vm->icap ? vm->icap * 2 : 8;
          iter *ni = ll_realloc(rt, vm->iters, nc * sizeof(iter));
          if (!ni) { ll_decref(rt, a); goto oom; }
          vm->iters = ni;
          vm->icap = nc;
        }
        iter *it = &vm->iters[vm->ni++];
        it->list = a;
        it->i = 0;
        it->name = in->a;
        ll_val *prev = global(vm, in->a);
        it->had_saved = prev != NULL;
        it->saved = prev ? ll_incref(*prev) : ll_null();
        break;
      }
      case I_NEXT: {
        iter *it = &vm->iters[vm->ni - 1];
        if (it->i >= it->list.u.l->n) { next = in->b; break; }
        if (store_k(vm, it->name, ll_incref(it->list.u.l->v[it->i++]))) goto oom;
        break;
      }
      case I_ENDITER: {
        iter *it = &vm->iters[--vm->ni];
        /* lash restores the loop binding's previous value */
        if (it->had_saved) { if (store_k(vm, it->name, it->saved)) { ll_decref(rt, it->list); goto oom; } }
        else unset_global(vm, K[it->name]);
        ll_decref(rt, it->list);
        break;
      }
      case I_ASSIGN: {
        ll_val value = pop(vm);
        size_t nidx = 0;
        for (size_t s = 0; s < in->c; s++) if (K[in->b + s].kind != LV_STR) nidx++;
        size_t base = vm->sp - nidx;
        ll_val name = K[in->a];
        ll_val *root = global(vm, in->a);
        int bad;
        if (!root) { ll_decref(rt, value); bad = ll_set_err(&err, "unknown name `%s`", name.u.s->s); }
        else bad = assign_path(vm, root, &K[in->b], in->c, vm->stack + base, value, &err);
        for (size_t i = base; i < vm->sp; i++) ll_decref(rt, vm->stack[i]);
        vm->sp = base;
        if (bad) goto error_here;
        break;
      }
      case I_PUSHSELF: {
        a = pop(vm);
        ll_val *slot = global(vm, in->a);
        if (!slot) { ll_decref(rt, a); ll_set_err(&err, "unknown name `%s`", K[in->a].u.s->s); goto error_here; }
        if (slot->kind != LV_LIST) { ll_decref(rt, a); ll_set_err(&err, "`push` requires a list as the first argument"); goto error_here; }
        if (ll_depth(a) + 1 > LL_MAX_VALUE_DEPTH) {
          ll_decref(rt, a);
          ll_set_err(&err, "value nesting too deep (limit %d)", LL_MAX_VALUE_DEPTH);
          goto error_here;
        }
        if (ll_make_unique(rt, slot)) { ll_decref(rt, a); goto oom; }
        if (ll_list_push(rt, slot->u.l, a)) goto oom;
        break;
      }
      case I_HALT:
        vm->finished = 1;
        lash__buf_free(&err.msg);
        return vm->status = LASH_LL_DONE;
    }
    if (rt->mem_exceeded) goto oom;
    vm->pc = next;
  }
oom:
  ll_set_err(&err, "memory limit exceeded");
error_here:
  err.offset = code[vm->pc].off;
  err.has_span = 1;
  fail_diag(vm, &err);
  lash__buf_free(&err.msg);
  return LASH_LL_ERROR;
}

size_t lash__ll_pending_count(const lash_ll_vm *vm) {
  size_t n = 0;
  for (size_t i = 0; i < vm->np; i++) n += !vm->pend[i].resolved;
  return n;
}

int lash__ll_pending_get(const lash_ll_vm *vm, size_t i, uint32_t *id, const char **module,
                         const char **tool, const char **args_json) {
  for (size_t k = 0; k < vm->np; k++) {
    if (vm->pend[k].resolved) continue;
    if (i-- == 0) {
      *id = vm->pend[k].id;
      *module = vm->pend[k].module;
      *tool = vm->pend[k].tool;
      *args_json = vm->pend[k].args;
      return 0;
    }
  }
  return -1;
}

int lash__ll_resolve(lash_ll_vm *vm, uint32_t id, int ok, const char *json, size_t len) {
  for (size_t k = 0; k < vm->np; k++) {
    pending *p = &vm->pend[k];
    if (p->id != id || p->resolved) continue;
    const char *why;
    ll_val v;
    if (ll_from_json_text(&vm->rt, json, len, &v, &why)) {
      /* an unreadable result fails the call, like any tool error */
      char msg[96];
      snprintf(msg, sizeof msg, "tool result could not be read: %s", why);
      vm->rt.mem_exceeded = 0;
      if (ll_str_new(&vm->rt, msg, strlen(msg), &v)) return -1;
      ok = 0;
    }
    if (!ok && v.kind != LV_STR) {
      /* errors are text: render whatever the host sent */
      lash_buf b;
      lash__buf_init(&b, vm->rt.a);
      ll_stringify(&b, v);
      ll_decref(&vm->rt, v);
      int bad = ll_str_new(&vm->rt, b.data ? b.data : "", b.len, &v);
      lash__buf_free(&b);
      if (bad) return -1;
    }
    p->result = v;
    p->ok = ok;
    p->resolved = 1;
    return 0;
  }
  return -1;
}

const char *lash__ll_error(const lash_ll_vm *vm) { return vm->error.data ? vm->error.data : ""; }
const char *lash__ll_submitted(const lash_ll_vm *vm) { return vm->submitted; }
size_t lash__ll_printed_count(const lash_ll_vm *vm) { return vm->nprinted; }
const char *lash__ll_printed(const lash_ll_vm *vm, size_t i) { return i < vm->nprinted ? vm->printed[i] : NULL; }
uint64_t lash__ll_steps(const lash_ll_vm *vm) { return vm->steps; }

char *lash__ll_globals_export(lash_ll_vm *vm, size_t *len_out) {
  lash_buf b;
  lash__buf_init(&b, vm->rt.a);
  ll_to_json_text(&b, vm->globals);
  if (b.oom) { lash__buf_free(&b); return NULL; }
  return lash__buf_take(&b, len_out);
}

int lash__ll_globals_import(lash_ll_vm *vm, const char *json, size_t len) {
  const char *why;
  ll_val v;
  if (ll_from_json_text(&vm->rt, json, len, &v, &why)) return -1;
  if (v.kind != LV_REC) { ll_decref(&vm->rt, v); return -1; }
  for (size_t i = 0; i < v.u.r->n; i++)
    if (ll_rec_set(&vm->rt, vm->globals.u.r, v.u.r->k[i]->s, v.u.r->k[i]->len, ll_incref(v.u.r->v[i]))) {
      ll_decref(&vm->rt, v);
      return -1;
    }
  ll_decref(&vm->rt, v);
  return 0;
}
