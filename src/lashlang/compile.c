/* AST -> bytecode for the explicit-stack VM, plus the link checks lash runs
 * before compiling (gated features, unknown builtins). The compiler recurses
 * over the AST, whose depth the parser bounds; the VM never recurses. */
#include <string.h>

#include "lashlang/ll.h"

typedef struct loopctx { size_t cont; size_t *breaks; size_t nbreaks; struct loopctx *outer; } loopctx;

typedef struct C {
  ll_rt *rt;
  ll_chunk *ch;
  size_t off; /* offset of the top-level statement being compiled */
  loopctx *loop;
  int failed;
} C;

static size_t emit(C *c, uint8_t op, uint32_t a, uint32_t b, uint32_t cc) {
  ll_chunk *ch = c->ch;
  if (ch->n == ch->cap) {
    size_t nc = ch->cap ? ch->cap * 2 : 64;
    ll_ins *nv = ll_realloc(c->rt, ch->code, nc * sizeof(ll_ins));
    if (!nv) { c->failed = 1; return 0; }
    ch->code = nv;
    ch->cap = nc;
  }
  ll_ins *i = &ch->code[ch->n];
  i->op = op; i->a = a; i->b = b; i->c = cc; i->off = c->off;
  return ch->n++;
}

static uint32_t konst(C *c, ll_val v) {
  ll_chunk *ch = c->ch;
  if (ch->nconst == ch->capconst) {
    size_t nc = ch->capconst ? ch->capconst * 2 : 32;
    ll_val *nv = ll_realloc(c->rt, ch->consts, nc * sizeof(ll_val));
    if (!nv) { ll_decref(c->rt, v); c->failed = 1; return 0; }
    ch->consts = nv;
    ch->capconst = nc;
  }
  ch->consts[ch->nconst] = v;
  return (uint32_t)ch->nconst++;
}

static uint32_t kstr(C *c, const char *s, size_t n) {
  ll_val v;
  if (ll_str_new(c->rt, s, n, &v)) { c->failed = 1; return 0; }
  return konst(c, v);
}

static void patch(C *c, size_t at, size_t target) { if (!c->failed) c->ch->code[at].b = (uint32_t)target; }

static void expr(C *c, const ll_expr *e);
static void stmt(C *c, const ll_expr *e);

static int is_tool_leaf(const ll_expr *e) {
  if (e->kind == E_UNWRAP) e = e->kids[0];
  return e->kind == E_RCALL && e->kids[0]->kind == E_VAR;
}

/* Start one tool call: pushes a pending placeholder. `?` on the leaf (or on
 * the await around it, as lash compiles `(await m.op())?`) unwraps it. */
static void tool_leaf_unwrap(C *c, const ll_expr *e, int unwrap) {
  if (e->kind == E_UNWRAP) { unwrap = 1; e = e->kids[0]; }
  for (size_t i = 1; i < e->nkids; i++) expr(c, e->kids[i]);
  emit(c, I_LIST, (uint32_t)(e->nkids - 1), 0, 0);
  uint32_t module = kstr(c, e->kids[0]->name, e->kids[0]->nlen);
  uint32_t op = kstr(c, e->name, e->nlen);
  emit(c, I_TOOL, module, op, (uint32_t)unwrap);
}

static void tool_leaf(C *c, const ll_expr *e) { tool_leaf_unwrap(c, e, 0); }

static void await_expr(C *c, const ll_expr *inner) {
  if (is_tool_leaf(inner)) {
    tool_leaf(c, inner);
  } else if (inner->kind == E_LIST || inner->kind == E_REC) {
    /* aggregate await: direct call leaves fan out, pure leaves are kept */
    for (size_t i = 0; i < inner->nkids; i++) {
      if (is_tool_leaf(inner->kids[i])) tool_leaf(c, inner->kids[i]);
      else expr(c, inner->kids[i]);
    }
    if (inner->kind == E_LIST) emit(c, I_LIST, (uint32_t)inner->nkids, 0, 0);
    else {
      uint32_t first = 0;
      for (size_t i = 0; i < inner->nkids; i++) {
        uint32_t k = kstr(c, inner->keys[i], inner->klens[i]);
        if (i == 0) first = k;
      }
      emit(c, I_REC, (uint32_t)inner->nkids, first, 0);
    }
  } else {
    /* awaiting anything else is a process-handle join (lash: "expected handle record") */
    expr(c, inner);
    emit(c, I_POP, 0, 0, 0);
    emit(c, I_JOIN, 1, 0, 0); /* a=1: push the failed-handle wrapper */
    return;
  }
  emit(c, I_JOIN, 0, 0, 0);
}

static void expr(C *c, const ll_expr *e) {
  if (c->failed) return;
  switch (e->kind) {
    case E_NULL: emit(c, I_NULL, 0, 0, 0); break;
    case E_BOOL: emit(c, e->flag ? I_TRUE : I_FALSE, 0, 0, 0); break;
    case E_NUM: emit(c, I_CONST, konst(c, ll_num(e->num)), 0, 0); break;
    case E_STR: emit(c, I_CONST, kstr(c, e->name, e->nlen), 0, 0); break;
    case E_VAR: emit(c, I_LOAD, kstr(c, e->name, e->nlen), 0, 0); break;
    case E_LIST:
      for (size_t i = 0; i < e->nkids; i++) expr(c, e->kids[i]);
      emit(c, I_LIST, (uint32_t)e->nkids, 0, 0);
      break;
    case E_REC: {
      for (size_t i = 0; i < e->nkids; i++) expr(c, e->kids[i]);
      uint32_t first = 0;
      for (size_t i = 0; i < e->nkids; i++) {
        uint32_t k = kstr(c, e->keys[i], e->klens[i]);
        if (i == 0) first = k;
      }
      emit(c, I_REC, (uint32_t)e->nkids, first, 0);
      break;
    }
    case E_FIELD:
      expr(c, e->kids[0]);
      emit(c, I_FIELD, kstr(c, e->name, e->nlen), 0, 0);
      break;
    case E_INDEX:
      expr(c, e->kids[0]);
      expr(c, e->kids[1]);
      emit(c, I_INDEX, 0, 0, 0);
      break;
    case E_UNWRAP:
      if (is_tool_leaf(e)) {
        /* `m.op(...)?`: a module operation unwrap */
        await_expr(c, e);
      } else if (e->kids[0]->kind == E_AWAIT && is_tool_leaf(e->kids[0]->kids[0])) {
        /* `(await m.op(...))?` unwraps the operation itself, as lash compiles it */
        tool_leaf_unwrap(c, e->kids[0]->kids[0], 1);
        emit(c, I_JOIN, 0, 0, 0);
      } else {
        expr(c, e->kids[0]);
        emit(c, I_UNWRAP, 0, 0, 0);
      }
      break;
    case E_UNARY:
      expr(c, e->kids[0]);
      emit(c, e->flag ? I_NOT : I_NEG, 0, 0, 0);
      break;
    case E_BINARY:
      if (e->flag == OP_AND || e->flag == OP_OR) {
        /* lash: `a and b` is false when a is falsy, else bool(b) */
        expr(c, e->kids[0]);
        size_t j = emit(c, e->flag == OP_AND ? I_JF : I_JT, 0, 0, 0);
        expr(c, e->kids[1]);
        emit(c, I_TOBOOL, 0, 0, 0);
        size_t end = emit(c, I_JMP, 0, 0, 0);
        patch(c, j, c->ch->n);
        emit(c, e->flag == OP_AND ? I_FALSE : I_TRUE, 0, 0, 0);
        patch(c, end, c->ch->n);
      } else {
        expr(c, e->kids[0]);
        expr(c, e->kids[1]);
        emit(c, I_BIN, (uint32_t)e->flag, 0, 0);
      }
      break;
    case E_TERNARY: {
      expr(c, e->kids[0]);
      size_t jf = emit(c, I_JF, 0, 0, 0);
      expr(c, e->kids[1]);
      size_t end = emit(c, I_JMP, 0, 0, 0);
      patch(c, jf, c->ch->n);
      expr(c, e->kids[2]);
      patch(c, end, c->ch->n);
      break;
    }
    case E_CALL:
      for (size_t i = 0; i < e->nkids; i++) expr(c, e->kids[i]);
      /* c: the name, for lash's runtime "unknown builtin" error */
      emit(c, I_BUILTIN, (uint32_t)ll_builtin_id(e->name, e->nlen), (uint32_t)e->nkids, kstr(c, e->name, e->nlen));
      break;
    case E_RCALL:
      /* a bare module call runs like `await module.op(...)` */
      if (e->kids[0]->kind != E_VAR) {
        c->failed = 2; /* reported by link */
        break;
      }
      await_expr(c, e);
      break;
    case E_AWAIT: await_expr(c, e->kids[0]); break;
    case E_TYPE: {
      const ll_type **nt = ll_realloc(c->rt, (void *)c->ch->types, (c->ch->ntypes + 1) * sizeof(ll_type *));
      if (!nt) { c->failed = 1; break; }
      c->ch->types = nt;
      c->ch->types[c->ch->ntypes] = e->type;
      emit(c, I_TYPE, (uint32_t)c->ch->ntypes++, 0, 0);
      break;
    }
    default:
      /* statements used as values (if/for/... inside an expression) are
       * rejected by the parser; a nested statement yields null */
      stmt(c, e);
      emit(c, I_NULL, 0, 0, 0);
      break;
  }
}

static void block(C *c, const ll_expr *b) {
  for (size_t i = 0; i < b->nkids; i++) stmt(c, b->kids[i]);
}

static void add_break(C *c, size_t at) {
  loopctx *l = c->loop;
  size_t *nb = ll_realloc(c->rt, l->breaks, (l->nbreaks + 1) * sizeof(size_t));
  if (!nb) { c->failed = 1; return; }
  l->breaks = nb;
  l->breaks[l->nbreaks++] = at;
}

static void end_loop(C *c, loopctx *l, size_t exit) {
  for (size_t i = 0; i < l->nbreaks; i++) patch(c, l->breaks[i], exit);
  ll_free(c->rt, l->breaks);
  c->loop = l->outer;
}

static void stmt(C *c, const ll_expr *e) {
  if (c->failed) return;
  switch (e->kind) {
    case E_ASSIGN: {
      size_t nsteps = e->nkids - 1;
      if (nsteps == 0) {
        const ll_expr *v = e->kids[0];
        if (v->kind == E_CALL && v->nkids == 2 && v->nlen == 4 && !memcmp(v->name, "push", 4) &&
            v->kids[0]->kind == E_VAR && v->kids[0]->nlen == e->nlen && !memcmp(v->kids[0]->name, e->name, e->nlen)) {
          /* `x = push(x, item)`: append in place when x is not shared (lash's PushAssign) */
          expr(c, v->kids[1]);
          emit(c, I_PUSHSELF, kstr(c, e->name, e->nlen), 0, 0);
          break;
        }
        expr(c, e->kids[0]);
        emit(c, I_STORE, kstr(c, e->name, e->nlen), 0, 0);
        break;
      }
      /* the step descriptors must be contiguous constants: add them before
       * compiling the index expressions (which add constants of their own) */
      uint32_t first = 0;
      for (size_t i = 0; i < nsteps; i++) {
        uint32_t k = e->keys[i] ? kstr(c, e->keys[i], e->klens[i]) : konst(c, ll_null());
        if (i == 0) first = k;
      }
      for (size_t i = 0; i < nsteps; i++)
        if (!e->keys[i]) expr(c, e->kids[i]);
      expr(c, e->kids[nsteps]);
      uint32_t root = kstr(c, e->name, e->nlen);
      emit(c, I_ASSIGN, root, first, (uint32_t)nsteps);
      break;
    }
    case E_IF: {
      expr(c, e->kids[0]);
      size_t jf = emit(c, I_JF, 0, 0, 0);
      stmt(c, e->kids[1]);
      if (e->nkids > 2) {
        size_t end = emit(c, I_JMP, 0, 0, 0);
        patch(c, jf, c->ch->n);
        stmt(c, e->kids[2]);
        patch(c, end, c->ch->n);
      } else {
        patch(c, jf, c->ch->n);
      }
      break;
    }
    case E_BLOCK: block(c, e); break;
    case E_FOR: {
      expr(c, e->kids[0]);
      emit(c, I_ITER, kstr(c, e->name, e->nlen), 0, 0);
      loopctx l = {c->ch->n, NULL, 0, c->loop};
      c->loop = &l;
      size_t next = emit(c, I_NEXT, 0, 0, 0);
      stmt(c, e->kids[1]);
      emit(c, I_JMP, 0, (uint32_t)next, 0);
      size_t exit = emit(c, I_ENDITER, 0, 0, 0);
      patch(c, next, exit);
      end_loop(c, &l, exit);
      break;
    }
    case E_WHILE: {
      size_t top = c->ch->n;
      expr(c, e->kids[0]);
      size_t jf = emit(c, I_JF, 0, 0, 0);
      loopctx l = {top, NULL, 0, c->loop};
      c->loop = &l;
      stmt(c, e->kids[1]);
      emit(c, I_JMP, 0, (uint32_t)top, 0);
      patch(c, jf, c->ch->n);
      end_loop(c, &l, c->ch->n);
      break;
    }
    case E_BREAK: add_break(c, emit(c, I_JMP, 0, 0, 0)); break;
    case E_CONTINUE: emit(c, I_JMP, 0, (uint32_t)c->loop->cont, 0); break;
    case E_SUBMIT:
      if (e->nkids) expr(c, e->kids[0]);
      else emit(c, I_NULL, 0, 0, 0);
      emit(c, I_SUBMIT, 0, 0, 0);
      break;
    case E_PRINT:
      expr(c, e->kids[0]);
      emit(c, I_PRINT, 0, 0, 0);
      break;
    default:
      expr(c, e);
      emit(c, I_POP, 0, 0, 0);
      break;
  }
}

int ll_compile(ll_rt *rt, const ll_program *p, ll_chunk *out, ll_err *err) {
  memset(out, 0, sizeof *out);
  C c;
  memset(&c, 0, sizeof c);
  c.rt = rt;
  c.ch = out;
  /* lash marks instructions with the span of their top-level statement, so a
   * runtime error inside a loop body points at the loop */
  for (size_t i = 0; i < p->n && !c.failed; i++) {
    c.off = p->stmt_start[i];
    stmt(&c, p->stmts[i]);
  }
  emit(&c, I_HALT, 0, 0, 0);
  if (c.failed) {
    ll_set_err(err, "memory limit exceeded");
    ll_chunk_free(rt, out);
    return -1;
  }
  return 0;
}

void ll_chunk_free(ll_rt *rt, ll_chunk *c) {
  for (size_t i = 0; i < c->nconst; i++) ll_decref(rt, c->consts[i]);
  ll_free(rt, c->consts);
  ll_free(rt, c->code);
  ll_free(rt, (void *)c->types);
  memset(c, 0, sizeof *c);
}

/* ---- link ------------------------------------------------------------------ */
static int link_expr(const ll_expr *e, int check_builtins, ll_err *err) {
  if (e->kind == E_FEATURE) {
    ll_set_err(err, "lashlang feature `%s` is disabled by this host", e->name);
    err->offset = e->start;
    err->has_span = 1;
    return -1;
  }
  if (check_builtins && e->kind == E_CALL && ll_builtin_id(e->name, e->nlen) < 0) {
    ll_set_err(err, "unknown builtin `%.*s`", (int)(e->nlen < 200 ? e->nlen : 200), e->name);
    err->offset = e->start;
    err->has_span = 1;
    return -1;
  }
  if (e->kind == E_RCALL) {
    const ll_expr *recv = e->kids[0];
    if (recv->kind == E_VAR && recv->nlen == 8 && !memcmp(recv->name, "triggers", 8)) {
      ll_set_err(err, "lashlang feature `triggers` is disabled by this host");
      err->offset = e->start;
      err->has_span = 1;
      return -1;
    }
    if (recv->kind != E_VAR) {
      ll_set_err(err, "receiver for operation `%.*s` is not a module authority", (int)(e->nlen < 200 ? e->nlen : 200), e->name);
      err->offset = e->start;
      err->has_span = 1;
      return -1;
    }
  }
  for (size_t i = 0; i < e->nkids; i++)
    if (link_expr(e->kids[i], check_builtins, err)) return -1;
  return 0;
}

int ll_link(const ll_program *p, int check_builtins, ll_err *err) {
  for (size_t i = 0; i < p->n; i++)
    if (link_expr(p->stmts[i], check_builtins, err)) return -1;
  return 0;
}
