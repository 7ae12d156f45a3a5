/* Lashlang recursive-descent parser (lash's parser.rs). Recursion is bounded by
 * lash's MAX_NESTING_DEPTH (64), so hostile source gets a ParseError, never a
 * stack overflow. Gated constructs (process, start, sleep, signals, triggers,
 * @label) parse into E_FEATURE nodes that ll_link refuses. */
#include <stdio.h>
#include <string.h>

#include "lashlang/ll.h"

#define MAX_NESTING_DEPTH 64

typedef struct P {
  ll_rt *rt;
  ll_toks t;
  size_t i;
  int loop_depth, nesting;
  ll_err *err;
  int failed;
} P;

static ll_tok *peek(P *p) { return &p->t.v[p->i]; }
static ll_tok *peek_at(P *p, size_t k) { return &p->t.v[p->i + k < p->t.n ? p->i + k : p->t.n - 1]; }
static ll_tok *bump(P *p) { ll_tok *t = &p->t.v[p->i]; if (t->kind != T_EOF) p->i++; return t; }
static int is_ident(const ll_tok *t, const char *s) {
  return t->kind == T_IDENT && t->tlen == strlen(s) && memcmp(t->text, s, t->tlen) == 0;
}

/* lash's render_kind */
static void render_kind(const ll_tok *t, lash_buf *b) {
  static const char *SYM[] = {
    [T_LBRACE] = "{", [T_RBRACE] = "}", [T_LPAREN] = "(", [T_RPAREN] = ")", [T_LBRACKET] = "[",
    [T_RBRACKET] = "]", [T_COMMA] = ",", [T_COLON] = ":", [T_AT] = "@", [T_QUESTION] = "?",
    [T_DOT] = ".", [T_BANG] = "!", [T_EQUAL] = "=", [T_EQEQ] = "==", [T_NE] = "!=",
    [T_ANDAND] = "&&", [T_OROR] = "||", [T_PIPE] = "|", [T_LT] = "<", [T_LE] = "<=",
    [T_GT] = ">", [T_GE] = ">=", [T_PLUS] = "+", [T_MINUS] = "-", [T_STAR] = "*",
    [T_SLASH] = "/", [T_PERCENT] = "%",
  };
  switch (t->kind) {
    case T_IDENT: lash__buf_puts(b, "identifier `"); lash__buf_append(b, t->text, t->tlen); lash__buf_puts(b, "`"); return;
    case T_STRING: {
      /* Rust's {:?} of a str: quotes, \" \\ \n \r \t escapes */
      lash__buf_puts(b, "string \"");
      for (size_t k = 0; k < t->tlen; k++) {
        char c = t->text[k];
        if (c == '"') lash__buf_puts(b, "\\\"");
        else if (c == '\\') lash__buf_puts(b, "\\\\");
        else if (c == '\n') lash__buf_puts(b, "\\n");
        else if (c == '\r') lash__buf_puts(b, "\\r");
        else if (c == '\t') lash__buf_puts(b, "\\t");
        else if ((unsigned char)c < 0x20) lash__buf_printf(b, "\\u{%x}", (unsigned)c);
        else lash__buf_append(b, &c, 1);
      }
      lash__buf_puts(b, "\"");
      return;
    }
    case T_NUMBER: lash__buf_puts(b, "number "); ll_fmt_number(b, t->num); return;
    case T_EOF: lash__buf_puts(b, "end of input"); return;
    default: break;
  }
  const char *kw = ll_tok_keyword_text(t->kind);
  lash__buf_puts(b, "`");
  lash__buf_puts(b, kw ? kw : SYM[t->kind]);
  lash__buf_puts(b, "`");
}

static void *fail_expected(P *p, const char *expected, const ll_tok *t) {
  if (p->failed) return NULL;
  p->failed = 1;
  p->err->msg.len = 0;
  lash__buf_printf(&p->err->msg, "expected %s, found ", expected);
  render_kind(t, &p->err->msg);
  p->err->offset = t->start;
  p->err->has_span = 1;
  return NULL;
}

static void *fail_unexpected_text(P *p, const char *found, size_t offset) {
  if (p->failed) return NULL;
  p->failed = 1;
  p->err->msg.len = 0;
  lash__buf_printf(&p->err->msg, "unexpected %s", found);
  p->err->offset = offset;
  p->err->has_span = 1;
  if (!strcmp(found, "`if`")) p->err->hint = "use `cond ? yes : no` for inline conditionals";
  if (!strcmp(found, "`for`"))
    p->err->hint = "`for` is a statement. Put it on its own line, not inside an expression or record literal.";
  return NULL;
}

static void *fail_unexpected(P *p, const ll_tok *t) {
  lash_buf b;
  lash__buf_init(&b, NULL);
  render_kind(t, &b);
  fail_unexpected_text(p, b.data ? b.data : "", t->start);
  lash__buf_free(&b);
  return NULL;
}

static void *fail_msg(P *p, size_t offset, const char *msg) {
  if (p->failed) return NULL;
  p->failed = 1;
  ll_set_err(p->err, "%s", msg);
  p->err->offset = offset;
  p->err->has_span = 1;
  return NULL;
}

static int expect(P *p, ll_tok_kind k, const char *what) {
  ll_tok *t = bump(p);
  if (t->kind == k) return 0;
  fail_expected(p, what, t);
  return -1;
}

static char *dup_text(P *p, const char *s, size_t n) {
  char *d = ll_alloc(p->rt, n + 1);
  if (!d) { fail_msg(p, 0, "memory limit exceeded"); return NULL; }
  if (n) memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

static ll_expr *node(P *p, ll_expr_kind k, size_t start) {
  ll_expr *e = ll_alloc(p->rt, sizeof *e);
  if (!e) return fail_msg(p, start, "memory limit exceeded");
  memset(e, 0, sizeof *e);
  e->kind = k;
  e->start = start;
  return e;
}

static int add_kid(P *p, ll_expr *e, ll_expr *kid) {
  if (!kid) return -1;
  ll_expr **nk = ll_realloc(p->rt, e->kids, (e->nkids + 1) * sizeof(ll_expr *));
  if (!nk) { ll_expr_free(p->rt, kid); fail_msg(p, e->start, "memory limit exceeded"); return -1; }
  e->kids = nk;
  e->kids[e->nkids++] = kid;
  return 0;
}

/* key (or NULL for an index step) kept parallel to kids */
static int add_key(P *p, ll_expr *e, const char *k, size_t n) {
  size_t cnt = e->nkids; /* called before add_kid for REC, after for ASSIGN steps */
  char **nk = ll_realloc(p->rt, e->keys, (cnt + 1) * sizeof(char *));
  if (!nk) { fail_msg(p, e->start, "memory limit exceeded"); return -1; }
  e->keys = nk;
  size_t *nl = ll_realloc(p->rt, e->klens, (cnt + 1) * sizeof(size_t));
  if (!nl) { e->keys[cnt] = NULL; fail_msg(p, e->start, "memory limit exceeded"); return -1; }
  e->klens = nl;
  e->keys[cnt] = NULL;
  e->klens[cnt] = n;
  e->nkeys = cnt + 1;
  if (k && !(e->keys[cnt] = dup_text(p, k, n))) return -1;
  return 0;
}

static void ll_type_free(ll_rt *rt, ll_type *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) {
    if (t->names) ll_free(rt, t->names[i]);
    if (t->kids) ll_type_free(rt, t->kids[i]);
  }
  ll_free(rt, t->names);
  ll_free(rt, t->nlens);
  ll_free(rt, t->kids);
  ll_free(rt, t->optional);
  ll_free(rt, t);
}

void ll_expr_free(ll_rt *rt, ll_expr *e) {
  if (!e) return;
  for (size_t i = 0; i < e->nkids; i++) ll_expr_free(rt, e->kids[i]);
  for (size_t i = 0; i < e->nkeys; i++) ll_free(rt, e->keys[i]);
  ll_free(rt, e->kids);
  ll_free(rt, e->keys);
  ll_free(rt, e->klens);
  ll_free(rt, e->name);
  ll_type_free(rt, e->type);
  ll_free(rt, e);
}

static ll_expr *parse_expr(P *p);
static ll_expr *parse_statement(P *p);
static ll_type *parse_type_expr(P *p);

static int enter(P *p) {
  if (p->nesting >= MAX_NESTING_DEPTH) {
    char msg[96];
    snprintf(msg, sizeof msg, "expression nesting too deep (limit %d); flatten the program", MAX_NESTING_DEPTH);
    fail_msg(p, peek(p)->start, msg);
    return -1;
  }
  p->nesting++;
  return 0;
}

static const char *keyword_key(const ll_tok *t) {
  if (t->kind == T_IDENT) return NULL;
  return ll_tok_keyword_text(t->kind);
}

static int token_can_be_key(const ll_tok *t) {
  return t->kind == T_IDENT || t->kind == T_STRING || keyword_key(t) != NULL;
}

/* identifier, string key, or keyword key; *out borrowed from the token */
static int expect_key(P *p, const char **out, size_t *n) {
  ll_tok *t = bump(p);
  if (t->kind == T_IDENT || t->kind == T_STRING) { *out = t->text ? t->text : ""; *n = t->tlen; return 0; }
  const char *kw = keyword_key(t);
  if (kw) { *out = kw; *n = strlen(kw); return 0; }
  fail_expected(p, "identifier, string key, or keyword key", t);
  return -1;
}

static size_t skip_bracketed(P *p, size_t start) {
  size_t parens = 0, brackets = 1, braces = 0;
  for (size_t k = start + 1; k < p->t.n; k++) {
    switch (p->t.v[k].kind) {
      case T_LPAREN: parens++; break;
      case T_RPAREN: if (!parens) return 0; parens--; break;
      case T_LBRACKET: brackets++; break;
      case T_RBRACKET:
        if (!brackets) return 0;
        if (--brackets == 0 && !parens && !braces) return k + 1;
        break;
      case T_LBRACE: braces++; break;
      case T_RBRACE: if (!braces) return 0; braces--; break;
      case T_EOF: return 0;
      default: break;
    }
  }
  return 0;
}

static int peek_assignment_target(P *p) {
  if (peek(p)->kind != T_IDENT) return 0;
  size_t k = p->i + 1;
  for (;;) {
    if (k >= p->t.n) return 0;
    ll_tok_kind kind = p->t.v[k].kind;
    if (kind == T_DOT) {
      if (k + 1 >= p->t.n || !token_can_be_key(&p->t.v[k + 1])) return 0;
      k += 2;
    } else if (kind == T_LBRACKET) {
      size_t after = skip_bracketed(p, k);
      if (!after) return 0;
      k = after;
    } else {
      return kind == T_EQUAL;
    }
  }
}

static int token_can_start_expr(ll_tok_kind k) {
  return k == T_NULL || k == T_TRUE || k == T_FALSE || k == T_NUMBER || k == T_STRING || k == T_IDENT ||
         k == T_LPAREN || k == T_LBRACKET || k == T_LBRACE || k == T_AWAIT || k == T_MINUS ||
         k == T_BANG || k == T_NOT;
}

static int question_starts_ternary(P *p) {
  if (p->i + 1 >= p->t.n || !token_can_start_expr(p->t.v[p->i + 1].kind)) return 0;
  size_t parens = 0, brackets = 0, braces = 0;
  for (size_t k = p->i + 1; k < p->t.n; k++) {
    int top = !parens && !brackets && !braces;
    switch (p->t.v[k].kind) {
      case T_COLON: if (top) return 1; break;
      case T_EQUAL: if (top) return 0; break;
      case T_COMMA: if (top) return 0; break;
      case T_EOF: return 0;
      case T_LPAREN: parens++; break;
      case T_RPAREN: if (!parens) return 0; parens--; break;
      case T_LBRACKET: brackets++; break;
      case T_RBRACKET: if (!brackets) return 0; brackets--; break;
      case T_LBRACE: braces++; break;
      case T_RBRACE: if (!braces) return 0; braces--; break;
      default: break;
    }
  }
  return 0;
}

/* Skip one balanced (...) / {...} / [...] group starting at the current token. */
static void skip_group(P *p) {
  int depth = 0;
  do {
    ll_tok_kind k = peek(p)->kind;
    if (k == T_EOF) return;
    if (k == T_LPAREN || k == T_LBRACE || k == T_LBRACKET) depth++;
    if (k == T_RPAREN || k == T_RBRACE || k == T_RBRACKET) depth--;
    bump(p);
  } while (depth > 0);
}

static ll_expr *feature(P *p, const char *name, size_t start) {
  ll_expr *e = node(p, E_FEATURE, start);
  if (e && !(e->name = dup_text(p, name, strlen(name)))) { ll_expr_free(p->rt, e); return NULL; }
  return e;
}

/* ---- types ---------------------------------------------------------------- */
static ll_type *type_node(P *p, ll_type_kind k, size_t start) {
  ll_type *t = ll_alloc(p->rt, sizeof *t);
  if (!t) return fail_msg(p, start, "memory limit exceeded");
  memset(t, 0, sizeof *t);
  t->kind = k;
  t->start = start;
  return t;
}

static int type_add(P *p, ll_type *t, const char *name, size_t n, ll_type *kid, int optional) {
  size_t c = t->n + 1;
  char **nn = ll_realloc(p->rt, t->names, c * sizeof(char *));
  if (nn) t->names = nn;
  size_t *nl = nn ? ll_realloc(p->rt, t->nlens, c * sizeof(size_t)) : NULL;
  if (nl) t->nlens = nl;
  ll_type **nk = nl ? ll_realloc(p->rt, t->kids, c * sizeof(ll_type *)) : NULL;
  if (nk) t->kids = nk;
  int *no = nk ? ll_realloc(p->rt, t->optional, c * sizeof(int)) : NULL;
  if (no) t->optional = no;
  if (!no) { ll_type_free(p->rt, kid); fail_msg(p, t->start, "memory limit exceeded"); return -1; }
  t->names[t->n] = name ? dup_text(p, name, n) : NULL;
  t->nlens[t->n] = n;
  t->kids[t->n] = kid;
  t->optional[t->n] = optional;
  t->n++;
  return (name && !t->names[t->n - 1]) ? -1 : 0;
}

static ll_type *parse_type_object_after_lbrace(P *p, size_t start) {
  ll_type *t = type_node(p, TY_OBJECT, start);
  if (!t) return NULL;
  while (peek(p)->kind != T_RBRACE) {
    ll_tok *nt = peek(p);
    const char *name; size_t n;
    if (expect_key(p, &name, &n)) goto fail;
    for (size_t k = 0; k < t->n; k++)
      if (t->nlens[k] == n && memcmp(t->names[k], name, n) == 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "expected unique field name, found duplicate field `%.*s`", (int)(n < 100 ? n : 100), name);
        fail_msg(p, nt->start, msg);
        goto fail;
      }
    if (expect(p, T_COLON, "`:`")) goto fail;
    ll_type *ft = parse_type_expr(p);
    if (!ft) goto fail;
    int optional = 0;
    if (peek(p)->kind == T_QUESTION) { bump(p); optional = 1; }
    if (type_add(p, t, name, n, ft, optional)) goto fail;
    if (peek(p)->kind == T_COMMA) { bump(p); continue; }
    break;
  }
  if (expect(p, T_RBRACE, "`}`")) goto fail;
  return t;
fail:
  ll_type_free(p->rt, t);
  return NULL;
}

static ll_type *parse_type_term(P *p) {
  ll_tok *tok = peek(p);
  size_t start = tok->start;
  if (tok->kind == T_NULL) { bump(p); return type_node(p, TY_NULL, start); }
  if (tok->kind == T_STRING) {
    bump(p);
    ll_type *t = type_node(p, TY_ENUM, start);
    if (t && type_add(p, t, tok->text, tok->tlen, NULL, 0)) { ll_type_free(p->rt, t); return NULL; }
    return t;
  }
  if (tok->kind == T_LBRACE) { bump(p); return parse_type_object_after_lbrace(p, start); }
  if (tok->kind != T_IDENT) return fail_expected(p, "type expression", tok);
  /* dotted type names */
  lash_buf name;
  lash__buf_init(&name, NULL);
  lash__buf_append(&name, tok->text, tok->tlen);
  bump(p);
  while (peek(p)->kind == T_DOT) {
    bump(p);
    ll_tok *part = bump(p);
    if (part->kind != T_IDENT) { lash__buf_free(&name); return fail_expected(p, "identifier", part); }
    lash__buf_append(&name, ".", 1);
    lash__buf_append(&name, part->text, part->tlen);
  }
  const char *nm = name.data ? name.data : "";
  ll_type *t = NULL;
  static const struct { const char *n; ll_type_kind k; } SIMPLE[] = {
    {"str", TY_STR}, {"string", TY_STR}, {"int", TY_INT}, {"integer", TY_INT}, {"float", TY_FLOAT},
    {"number", TY_FLOAT}, {"bool", TY_BOOL}, {"boolean", TY_BOOL}, {"dict", TY_DICT},
    {"object", TY_DICT}, {"any", TY_ANY},
  };
  for (size_t k = 0; k < sizeof SIMPLE / sizeof *SIMPLE; k++)
    if (!strcmp(nm, SIMPLE[k].n)) { t = type_node(p, SIMPLE[k].k, start); goto done; }
  if (!strcmp(nm, "enum")) {
    if (expect(p, T_LBRACKET, "`[`")) goto done;
    t = type_node(p, TY_ENUM, start);
    if (!t) goto done;
    if (peek(p)->kind != T_RBRACKET) {
      for (;;) {
        ll_tok *v = bump(p);
        if (v->kind != T_STRING) { fail_expected(p, "string literal", v); goto bad; }
        if (type_add(p, t, v->text, v->tlen, NULL, 0)) goto bad;
        if (peek(p)->kind == T_COMMA) { bump(p); continue; }
        break;
      }
    }
    if (t->n == 0) {
      fail_msg(p, start, "expected at least one enum string literal, found empty enum");
      goto bad;
    }
    if (expect(p, T_RBRACKET, "`]`")) goto bad;
    goto done;
  }
  if (!strcmp(nm, "list")) {
    if (expect(p, T_LBRACKET, "`[`")) goto done;
    ll_type *inner = parse_type_expr(p);
    if (!inner) goto done;
    t = type_node(p, TY_LIST, start);
    if (!t) { ll_type_free(p->rt, inner); goto done; }
    if (type_add(p, t, NULL, 0, inner, 0)) goto bad;
    if (expect(p, T_RBRACKET, "`]`")) goto bad;
    goto done;
  }
  if (!strcmp(nm, "Type")) {
    if (expect(p, T_LBRACE, "`{`")) goto done;
    t = parse_type_object_after_lbrace(p, start);
    goto done;
  }
  t = type_node(p, TY_REF, start);
  if (t && type_add(p, t, nm, strlen(nm), NULL, 0)) goto bad;
  goto done;
bad:
  ll_type_free(p->rt, t);
  t = NULL;
done:
  lash__buf_free(&name);
  return t;
}

static ll_type *parse_type_expr(P *p) {
  if (enter(p)) return NULL;
  ll_type *first = parse_type_term(p);
  if (!first || peek(p)->kind != T_PIPE) { p->nesting--; return first; }
  ll_type *u = type_node(p, TY_UNION, first->start);
  if (!u || type_add(p, u, NULL, 0, first, 0)) { if (!u) ll_type_free(p->rt, first); ll_type_free(p->rt, u); p->nesting--; return NULL; }
  while (peek(p)->kind == T_PIPE) {
    bump(p);
    ll_type *v = parse_type_term(p);
    if (!v || type_add(p, u, NULL, 0, v, 0)) { ll_type_free(p->rt, u); p->nesting--; return NULL; }
  }
  p->nesting--;
  return u;
}

/* ---- expressions ---------------------------------------------------------- */
static ll_expr *parse_call_args(P *p, ll_expr *e) {
  if (expect(p, T_LPAREN, "`(`")) goto fail;
  if (peek(p)->kind != T_RPAREN) {
    for (;;) {
      if (add_kid(p, e, parse_expr(p))) goto fail;
      if (peek(p)->kind == T_COMMA) {
        bump(p);
        if (peek(p)->kind == T_RPAREN) break;
        continue;
      }
      break;
    }
  }
  if (expect(p, T_RPAREN, "`)`")) goto fail;
  return e;
fail:
  ll_expr_free(p->rt, e);
  return NULL;
}

static ll_expr *parse_record(P *p) {
  ll_expr *e = node(p, E_REC, peek(p)->start);
  if (!e) return NULL;
  bump(p); /* { */
  while (peek(p)->kind != T_RBRACE) {
    const char *k; size_t n;
    if (expect_key(p, &k, &n)) goto fail;
    if (add_key(p, e, k, n)) goto fail;
    if (expect(p, T_COLON, "`:`")) goto fail;
    if (add_kid(p, e, parse_expr(p))) goto fail;
    if (peek(p)->kind == T_COMMA) { bump(p); continue; }
    break;
  }
  if (expect(p, T_RBRACE, "`}`")) goto fail;
  return e;
fail:
  ll_expr_free(p->rt, e);
  return NULL;
}

static ll_expr *parse_list(P *p) {
  ll_expr *e = node(p, E_LIST, peek(p)->start);
  if (!e) return NULL;
  bump(p);
  while (peek(p)->kind != T_RBRACKET) {
    if (add_kid(p, e, parse_expr(p))) goto fail;
    if (peek(p)->kind == T_COMMA) { bump(p); continue; }
    break;
  }
  if (expect(p, T_RBRACKET, "`]`")) goto fail;
  return e;
fail:
  ll_expr_free(p->rt, e);
  return NULL;
}

static ll_expr *parse_primary(P *p) {
  ll_tok *t = peek(p);
  size_t start = t->start;
  ll_expr *e;
  switch (t->kind) {
    case T_NULL: bump(p); return node(p, E_NULL, start);
    case T_TRUE: case T_FALSE:
      bump(p);
      e = node(p, E_BOOL, start);
      if (e) e->flag = t->kind == T_TRUE;
      return e;
    case T_NUMBER:
      bump(p);
      e = node(p, E_NUM, start);
      if (e) e->num = t->num;
      return e;
    case T_STRING:
      bump(p);
      e = node(p, E_STR, start);
      if (e && !(e->name = dup_text(p, t->text ? t->text : "", t->tlen))) { ll_expr_free(p->rt, e); return NULL; }
      if (e) e->nlen = t->tlen;
      return e;
    case T_IDENT: {
      if (is_ident(t, "parallel") && peek_at(p, 1)->kind == T_LBRACE) return fail_unexpected_text(p, "`parallel`", start);
      bump(p);
      if (is_ident(t, "sleep")) {
        if (peek(p)->kind == T_FOR || is_ident(peek(p), "until")) {
          bump(p);
          ll_expr *arg = parse_expr(p);
          if (!arg) return NULL;
          ll_expr_free(p->rt, arg);
          return feature(p, "sleep", start);
        }
        return fail_expected(p, "`for` or `until`", peek(p));
      }
      if (is_ident(t, "start") && peek(p)->kind == T_CALL)
        return fail_unexpected_text(p, "`start call`", start);
      if (is_ident(t, "start") && (peek(p)->kind == T_IDENT || peek(p)->kind == T_LBRACE)) {
        if (peek(p)->kind == T_IDENT) bump(p);
        skip_group(p);
        return feature(p, "processes", start);
      }
      if (is_ident(t, "Type") && peek(p)->kind == T_LBRACE) {
        bump(p);
        ll_type *ty = parse_type_object_after_lbrace(p, start);
        if (!ty) return NULL;
        e = node(p, E_TYPE, start);
        if (!e) { ll_type_free(p->rt, ty); return NULL; }
        e->type = ty;
        return e;
      }
      if (peek(p)->kind == T_LPAREN) {
        if (is_ident(t, "wait_signal") || is_ident(t, "signal_run")) {
          skip_group(p);
          return feature(p, "process signals", start);
        }
        e = node(p, E_CALL, start);
        if (!e) return NULL;
        if (!(e->name = dup_text(p, t->text, t->tlen))) { ll_expr_free(p->rt, e); return NULL; }
        e->nlen = t->tlen;
        return parse_call_args(p, e);
      }
      e = node(p, E_VAR, start);
      if (e && !(e->name = dup_text(p, t->text, t->tlen))) { ll_expr_free(p->rt, e); return NULL; }
      if (e) e->nlen = t->tlen;
      return e;
    }
    case T_LPAREN: {
      bump(p);
      e = parse_expr(p);
      if (!e) return NULL;
      if (expect(p, T_RPAREN, "`)`")) { ll_expr_free(p->rt, e); return NULL; }
      return e;
    }
    case T_LBRACKET: return parse_list(p);
    case T_LBRACE: return parse_record(p);
    case T_CALL: return fail_unexpected_text(p, "`call`", start);
    default: return fail_unexpected(p, t);
  }
}

static ll_expr *wrap1(P *p, ll_expr_kind k, size_t start, ll_expr *kid) {
  if (!kid) return NULL;
  ll_expr *e = node(p, k, start);
  if (!e) { ll_expr_free(p->rt, kid); return NULL; }
  if (add_kid(p, e, kid)) { ll_expr_free(p->rt, e); return NULL; }
  return e;
}

static ll_expr *parse_postfix(P *p) {
  ll_expr *e = parse_primary(p);
  while (e) {
    ll_tok *t = peek(p);
    if (t->kind == T_DOT) {
      bump(p);
      const char *k; size_t n;
      if (expect_key(p, &k, &n)) { ll_expr_free(p->rt, e); return NULL; }
      int call = peek(p)->kind == T_LPAREN;
      ll_expr *f = wrap1(p, call ? E_RCALL : E_FIELD, e->start, e);
      if (!f) return NULL;
      if (!(f->name = dup_text(p, k, n))) { ll_expr_free(p->rt, f); return NULL; }
      f->nlen = n;
      e = call ? parse_call_args(p, f) : f;
    } else if (t->kind == T_LBRACKET) {
      bump(p);
      ll_expr *idx = parse_expr(p);
      if (!idx) { ll_expr_free(p->rt, e); return NULL; }
      if (expect(p, T_RBRACKET, "`]`")) { ll_expr_free(p->rt, e); ll_expr_free(p->rt, idx); return NULL; }
      ll_expr *f = wrap1(p, E_INDEX, e->start, e);
      if (!f) { ll_expr_free(p->rt, idx); return NULL; }
      if (add_kid(p, f, idx)) { ll_expr_free(p->rt, f); return NULL; }
      e = f;
    } else if (t->kind == T_QUESTION && !question_starts_ternary(p)) {
      bump(p);
      e = wrap1(p, E_UNWRAP, e->start, e);
    } else {
      break;
    }
  }
  return e;
}

static ll_expr *parse_unary(P *p) {
  ll_tok *t = peek(p);
  size_t start = t->start;
  if (t->kind == T_MINUS || t->kind == T_NOT || t->kind == T_BANG || t->kind == T_AWAIT) {
    if (enter(p)) return NULL;
    bump(p);
    ll_expr *e = wrap1(p, t->kind == T_AWAIT ? E_AWAIT : E_UNARY, start, parse_unary(p));
    if (e && t->kind != T_AWAIT) e->flag = t->kind == T_MINUS ? 0 : 1;
    p->nesting--;
    return e;
  }
  return parse_postfix(p);
}

static ll_expr *binary(P *p, ll_expr *l, ll_binop op, ll_expr *r) {
  if (!r) { ll_expr_free(p->rt, l); return NULL; }
  ll_expr *e = wrap1(p, E_BINARY, l->start, l);
  if (!e) { ll_expr_free(p->rt, r); return NULL; }
  e->flag = op;
  if (add_kid(p, e, r)) { ll_expr_free(p->rt, e); return NULL; }
  return e;
}

static ll_expr *parse_mul(P *p) {
  ll_expr *e = parse_unary(p);
  while (e) {
    ll_tok_kind k = peek(p)->kind;
    ll_binop op = k == T_STAR ? OP_MUL : k == T_SLASH ? OP_DIV : k == T_PERCENT ? OP_MOD : (ll_binop)-1;
    if ((int)op < 0) break;
    bump(p);
    e = binary(p, e, op, parse_unary(p));
  }
  return e;
}

static ll_expr *parse_add(P *p) {
  ll_expr *e = parse_mul(p);
  while (e) {
    ll_tok_kind k = peek(p)->kind;
    ll_binop op = k == T_PLUS ? OP_ADD : k == T_MINUS ? OP_SUB : (ll_binop)-1;
    if ((int)op < 0) break;
    bump(p);
    e = binary(p, e, op, parse_mul(p));
  }
  return e;
}

static ll_expr *parse_compare(P *p) {
  ll_expr *e = parse_add(p);
  while (e) {
    ll_binop op;
    switch (peek(p)->kind) {
      case T_EQEQ: op = OP_EQ; break;
      case T_NE: op = OP_NE; break;
      case T_LT: op = OP_LT; break;
      case T_LE: op = OP_LE; break;
      case T_GT: op = OP_GT; break;
      case T_GE: op = OP_GE; break;
      default: return e;
    }
    bump(p);
    e = binary(p, e, op, parse_add(p));
  }
  return e;
}

static ll_expr *parse_and(P *p) {
  ll_expr *e = parse_compare(p);
  while (e && (peek(p)->kind == T_AND || peek(p)->kind == T_ANDAND)) {
    bump(p);
    e = binary(p, e, OP_AND, parse_compare(p));
  }
  return e;
}

static ll_expr *parse_or(P *p) {
  ll_expr *e = parse_and(p);
  while (e && (peek(p)->kind == T_OR || peek(p)->kind == T_OROR)) {
    bump(p);
    e = binary(p, e, OP_OR, parse_and(p));
  }
  return e;
}

static ll_expr *parse_expr(P *p) {
  if (enter(p)) return NULL;
  ll_expr *cond = parse_or(p);
  if (cond && peek(p)->kind == T_QUESTION) {
    bump(p);
    ll_expr *e = wrap1(p, E_TERNARY, cond->start, cond);
    if (e && add_kid(p, e, parse_expr(p))) { ll_expr_free(p->rt, e); e = NULL; }
    if (e && expect(p, T_COLON, "`:`")) { ll_expr_free(p->rt, e); e = NULL; }
    if (e && add_kid(p, e, parse_expr(p))) { ll_expr_free(p->rt, e); e = NULL; }
    cond = e;
  }
  p->nesting--;
  return cond;
}

/* ---- statements ----------------------------------------------------------- */
static ll_expr *parse_block(P *p) {
  if (enter(p)) return NULL;
  ll_expr *b = node(p, E_BLOCK, peek(p)->start);
  if (b && expect(p, T_LBRACE, "`{`")) { ll_expr_free(p->rt, b); b = NULL; }
  while (b && peek(p)->kind != T_RBRACE && peek(p)->kind != T_EOF) {
    if (add_kid(p, b, parse_statement(p))) { ll_expr_free(p->rt, b); b = NULL; }
  }
  if (b && expect(p, T_RBRACE, "`}`")) { ll_expr_free(p->rt, b); b = NULL; }
  p->nesting--;
  return b;
}

static ll_expr *parse_if(P *p) {
  size_t start = bump(p)->start;
  ll_expr *e = wrap1(p, E_IF, start, parse_expr(p));
  if (!e) return NULL;
  if (add_kid(p, e, parse_block(p))) goto fail;
  if (peek(p)->kind == T_ELSE) {
    bump(p);
    if (peek(p)->kind == T_IF) {
      if (enter(p)) goto fail;
      ll_expr *nested = parse_if(p);
      p->nesting--;
      if (add_kid(p, e, nested)) goto fail;
    } else if (add_kid(p, e, parse_block(p))) {
      goto fail;
    }
  }
  return e;
fail:
  ll_expr_free(p->rt, e);
  return NULL;
}

static ll_expr *parse_assign(P *p) {
  ll_tok *root = bump(p);
  ll_expr *e = node(p, E_ASSIGN, root->start);
  if (!e) return NULL;
  if (!(e->name = dup_text(p, root->text, root->tlen))) goto fail;
  e->nlen = root->tlen;
  /* kids[0..n-1]: steps (a key, or an index expression), then the value */
  for (;;) {
    if (peek(p)->kind == T_DOT) {
      bump(p);
      const char *k; size_t n;
      if (expect_key(p, &k, &n)) goto fail;
      ll_expr *step = node(p, E_STR, e->start);
      if (!step) goto fail;
      if (add_key(p, e, k, n)) { ll_expr_free(p->rt, step); goto fail; }
      if (add_kid(p, e, step)) goto fail;
    } else if (peek(p)->kind == T_LBRACKET) {
      bump(p);
      ll_expr *idx = parse_expr(p);
      if (!idx) goto fail;
      if (expect(p, T_RBRACKET, "`]`")) { ll_expr_free(p->rt, idx); goto fail; }
      if (add_key(p, e, NULL, 0)) { ll_expr_free(p->rt, idx); goto fail; }
      if (add_kid(p, e, idx)) goto fail;
    } else {
      break;
    }
  }
  if (expect(p, T_EQUAL, "`=`")) goto fail;
  if (add_key(p, e, NULL, 0)) goto fail;
  if (add_kid(p, e, parse_expr(p))) goto fail;
  return e;
fail:
  ll_expr_free(p->rt, e);
  return NULL;
}

static ll_expr *parse_statement(P *p) {
  ll_tok *t = peek(p);
  size_t start = t->start;
  switch (t->kind) {
    case T_IF: return parse_if(p);
    case T_FOR: {
      bump(p);
      ll_tok *b = bump(p);
      if (b->kind != T_IDENT) return fail_expected(p, "identifier", b);
      if (expect(p, T_IN, "`in`")) return NULL;
      ll_expr *e = wrap1(p, E_FOR, start, parse_expr(p));
      if (!e) return NULL;
      if (!(e->name = dup_text(p, b->text, b->tlen))) { ll_expr_free(p->rt, e); return NULL; }
      e->nlen = b->tlen;
      p->loop_depth++;
      ll_expr *body = parse_block(p);
      p->loop_depth--;
      if (add_kid(p, e, body)) { ll_expr_free(p->rt, e); return NULL; }
      return e;
    }
    case T_SUBMIT: {
      bump(p);
      ll_expr *e = node(p, E_SUBMIT, start);
      if (e && peek(p)->kind != T_RBRACE && peek(p)->kind != T_EOF && add_kid(p, e, parse_expr(p))) {
        ll_expr_free(p->rt, e);
        return NULL;
      }
      return e;
    }
    case T_PRINT: bump(p); return wrap1(p, E_PRINT, start, parse_expr(p));
    case T_CANCEL: {
      bump(p);
      ll_expr *arg = parse_expr(p);
      if (!arg) return NULL;
      ll_expr_free(p->rt, arg);
      return feature(p, "processes", start);
    }
    case T_CALL: return fail_unexpected_text(p, "`call`", start);
    case T_IDENT:
      if (!peek_assignment_target(p)) {
        if (is_ident(t, "yield") || is_ident(t, "wake") || is_ident(t, "finish") || is_ident(t, "fail")) {
          char msg[96];
          snprintf(msg, sizeof msg, "`%s` can only be used inside a `process` body", t->text);
          return fail_msg(p, start, msg);
        }
        if (is_ident(t, "break") || is_ident(t, "continue")) {
          bump(p);
          if (p->loop_depth == 0) {
            char msg[64];
            snprintf(msg, sizeof msg, "`%s` can only be used inside a loop", t->text);
            return fail_msg(p, start, msg);
          }
          return node(p, is_ident(t, "break") ? E_BREAK : E_CONTINUE, start);
        }
        if (is_ident(t, "while")) {
          bump(p);
          ll_expr *e = wrap1(p, E_WHILE, start, parse_expr(p));
          if (!e) return NULL;
          p->loop_depth++;
          ll_expr *body = parse_block(p);
          p->loop_depth--;
          if (add_kid(p, e, body)) { ll_expr_free(p->rt, e); return NULL; }
          return e;
        }
        if (is_ident(t, "let") ) {
          size_t save = p->i;
          bump(p);
          if (peek_assignment_target(p)) return parse_assign(p);
          p->i = save;
        }
        return parse_expr(p);
      }
      return parse_assign(p);
    case T_AT: {
      /* @label(...) annotations: lash gates them behind a host feature */
      bump(p);
      if (!is_ident(peek(p), "label")) return fail_expected(p, "label", peek(p));
      bump(p);
      skip_group(p);
      ll_expr *inner = parse_statement(p);
      if (!inner) return NULL;
      ll_expr_free(p->rt, inner);
      return feature(p, "label annotations", start);
    }
    default: return parse_expr(p);
  }
}

int ll_parse(ll_rt *rt, const char *src, size_t len, ll_program *out, ll_err *err) {
  memset(out, 0, sizeof *out);
  P p;
  memset(&p, 0, sizeof p);
  p.rt = rt;
  p.err = err;
  if (ll_lex(rt, src, len, &p.t, err)) {
    if (rt->mem_exceeded && !err->msg.len) ll_set_err(err, "memory limit exceeded");
    return -1;
  }
  while (peek(&p)->kind != T_EOF && !p.failed) {
    ll_tok *t = peek(&p);
    size_t start = t->start;
    ll_expr *s = NULL;
    if (is_ident(t, "process") && !peek_assignment_target(&p)) {
      bump(&p);
      if (peek(&p)->kind == T_IDENT) bump(&p);
      if (peek(&p)->kind == T_LPAREN) skip_group(&p);
      while (peek(&p)->kind != T_LBRACE && peek(&p)->kind != T_EOF) {
        if (is_ident(peek(&p), "signals")) { bump(&p); skip_group(&p); continue; }
        bump(&p);
      }
      skip_group(&p);
      s = feature(&p, "processes", start);
    } else if (is_ident(t, "type") && !peek_assignment_target(&p)) {
      /* `type Name = T`: binds Name to the Type value */
      bump(&p);
      ll_tok *name = bump(&p);
      if (name->kind != T_IDENT) { fail_expected(&p, "identifier", name); break; }
      if (expect(&p, T_EQUAL, "`=`")) break;
      ll_type *ty = NULL;
      if (peek(&p)->kind == T_LBRACE) { bump(&p); ty = parse_type_object_after_lbrace(&p, start); }
      else ty = parse_type_expr(&p);
      if (!ty) break;
      ll_expr *tv = node(&p, E_TYPE, start);
      if (!tv) { ll_type_free(rt, ty); break; }
      tv->type = ty;
      s = node(&p, E_ASSIGN, start);
      if (!s || !(s->name = dup_text(&p, name->text, name->tlen)) || add_key(&p, s, NULL, 0)) {
        ll_expr_free(rt, s);
        ll_expr_free(rt, tv);
        break;
      }
      s->nlen = name->tlen;
      if (add_kid(&p, s, tv)) { ll_expr_free(rt, s); break; }
    } else if (is_ident(t, "trigger") && !peek_assignment_target(&p)) {
      fail_msg(&p, start, "declarative trigger syntax has been removed; construct a source value and call the trigger registry register operation");
      break;
    } else {
      s = parse_statement(&p);
    }
    if (!s) break;
    ll_expr **ns = ll_realloc(rt, out->stmts, (out->n + 1) * sizeof(ll_expr *));
    size_t *st = ns ? ll_realloc(rt, out->stmt_start, (out->n + 1) * sizeof(size_t)) : NULL;
    if (ns) out->stmts = ns;
    if (st) out->stmt_start = st;
    if (!st) { ll_expr_free(rt, s); fail_msg(&p, start, "memory limit exceeded"); break; }
    out->stmts[out->n] = s;
    out->stmt_start[out->n++] = start;
  }
  ll_toks_free(rt, &p.t);
  if (p.failed || rt->mem_exceeded) {
    if (!p.failed) ll_set_err(err, "memory limit exceeded");
    ll_program_free(rt, out);
    return -1;
  }
  return 0;
}

void ll_program_free(ll_rt *rt, ll_program *p) {
  for (size_t i = 0; i < p->n; i++) ll_expr_free(rt, p->stmts[i]);
  ll_free(rt, p->stmts);
  ll_free(rt, p->stmt_start);
  memset(p, 0, sizeof *p);
}
