/* Lashlang internals shared by the files of src/lashlang (not used elsewhere). */
#ifndef LASH_LASHLANG_LL_H
#define LASH_LASHLANG_LL_H
#include <stddef.h>
#include <stdint.h>

#include "lashlang/lashlang.h"
#include "util/buf.h"

/* ---- runtime context: allocator + memory accounting ---------------------- */
typedef struct ll_rt {
  const lash_allocator *a; /* borrowed */
  size_t mem_used, mem_limit;
  int mem_exceeded; /* sticky: an allocation was refused (limit or OOM) */
} ll_rt;

void *ll_alloc(ll_rt *rt, size_t n);
void *ll_realloc(ll_rt *rt, void *p, size_t n);
void ll_free(ll_rt *rt, void *p);

/* ---- values -------------------------------------------------------------- */
typedef enum { LV_NULL, LV_BOOL, LV_NUM, LV_STR, LV_LIST, LV_REC, LV_PEND } ll_kind;

typedef struct ll_str { uint32_t rc; uint32_t len; char s[]; } ll_str;
typedef struct ll_val ll_val;
typedef struct ll_list { uint32_t rc; uint32_t depth; size_t n, cap; ll_val *v; } ll_list;
typedef struct ll_rec { uint32_t rc; uint32_t depth; size_t n, cap; ll_str **k; ll_val *v; } ll_rec;
struct ll_val {
  uint8_t kind;
  union { int b; double n; ll_str *s; ll_list *l; ll_rec *r; uint32_t pend; } u;
};

#define LL_MAX_VALUE_DEPTH 128 /* bounds every recursive walk over values */

static inline ll_val ll_null(void) { ll_val v; v.kind = LV_NULL; v.u.n = 0; return v; }
static inline ll_val ll_bool(int b) { ll_val v; v.kind = LV_BOOL; v.u.b = !!b; return v; }
static inline ll_val ll_num(double d) { ll_val v; v.kind = LV_NUM; v.u.n = d; return v; }

ll_val ll_incref(ll_val v);
void ll_decref(ll_rt *rt, ll_val v);
/* Constructors return a value with rc 1, or kind LV_NULL with rt->mem_exceeded set. */
int ll_str_new(ll_rt *rt, const char *s, size_t n, ll_val *out);
int ll_list_new(ll_rt *rt, size_t cap, ll_val *out);
int ll_rec_new(ll_rt *rt, size_t cap, ll_val *out);
/* Take ownership of item. Return 0, or -1 (memory: item released). */
int ll_list_push(ll_rt *rt, ll_list *l, ll_val item);
int ll_rec_set(ll_rt *rt, ll_rec *r, const char *key, size_t klen, ll_val item);
ll_val *ll_rec_get(const ll_rec *r, const char *key, size_t klen);
uint32_t ll_depth(ll_val v);
void ll_fix_depth_list(ll_list *l);
void ll_fix_depth_rec(ll_rec *r);
/* Copy-on-write: make *v's container uniquely owned (shallow clone if shared). */
int ll_make_unique(ll_rt *rt, ll_val *v);
int ll_equal(ll_val a, ll_val b);
int ll_truthy(ll_val v);
const char *ll_type_name(ll_val v);
/* Number of UTF-8 code points. */
size_t ll_utf8_count(const char *s, size_t n);

/* ---- rendering (render.c) ------------------------------------------------- */
/* Rust's f64 Display after lash's integer fast path (write_number). */
void ll_fmt_number(lash_buf *b, double d);
/* serde_json's compact text (records with sorted keys), as lash's to_string. */
void ll_fmt_json(lash_buf *b, ll_val v);
/* to_string / print / format / `+` text: strings raw, containers as JSON. */
void ll_stringify(lash_buf *b, ll_val v);

/* ---- JSON bridge (json.c; the only file touching cJSON) ------------------- */
/* Parse JSON text into a value (objects keep their key order). -1 on bad JSON
 * or memory; *err (static) says which. */
int ll_from_json_text(ll_rt *rt, const char *text, size_t len, ll_val *out, const char **err);
/* Globals/submitted export: insertion-ordered, full-precision numbers. */
void ll_to_json_text(lash_buf *b, ll_val v);

/* ---- errors --------------------------------------------------------------- */
typedef struct ll_err {
  lash_buf msg;   /* message text (lash's Display of the error) */
  size_t offset;  /* byte offset into the source for the caret */
  int has_span;
  const char *hint; /* static or NULL */
} ll_err;

/* Format lash's "{message}\n--> line L, column C\n{line}\n{caret}^[\nhint: ...]". */
void ll_diag_format(lash_buf *out, const char *src, size_t len, const ll_err *e);

/* ---- lexer ---------------------------------------------------------------- */
typedef enum {
  T_IDENT, T_STRING, T_NUMBER, T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET,
  T_COMMA, T_COLON, T_AT, T_QUESTION, T_DOT, T_BANG, T_EQUAL, T_EQEQ, T_NE, T_ANDAND, T_OROR,
  T_PIPE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT, T_IF, T_ELSE,
  T_FOR, T_IN, T_AWAIT, T_CANCEL, T_SUBMIT, T_PRINT, T_CALL, T_AND, T_OR, T_NOT, T_TRUE,
  T_FALSE, T_NULL, T_EOF
} ll_tok_kind;

typedef struct ll_tok {
  ll_tok_kind kind;
  size_t start, end;
  char *text; size_t tlen; /* owned: identifier name or decoded string */
  double num;
} ll_tok;

typedef struct ll_toks { ll_tok *v; size_t n, cap; } ll_toks;
int ll_lex(ll_rt *rt, const char *src, size_t len, ll_toks *out, ll_err *err);
void ll_toks_free(ll_rt *rt, ll_toks *t);
const char *ll_tok_keyword_text(ll_tok_kind k); /* "if" for T_IF ..., NULL otherwise */

/* ---- AST ------------------------------------------------------------------ */
typedef enum {
  E_NULL, E_BOOL, E_NUM, E_STR, E_VAR, E_LIST, E_REC, E_FIELD, E_INDEX, E_UNWRAP, E_UNARY,
  E_BINARY, E_TERNARY, E_CALL, E_RCALL, E_AWAIT, E_ASSIGN, E_IF, E_FOR, E_WHILE, E_BREAK,
  E_CONTINUE, E_SUBMIT, E_PRINT, E_BLOCK, E_TYPE, E_FEATURE
} ll_expr_kind;

typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_AND, OP_OR } ll_binop;

typedef struct ll_type ll_type;
typedef struct ll_expr ll_expr;
struct ll_expr {
  ll_expr_kind kind;
  size_t start; /* source offset of the expression */
  char *name; size_t nlen;  /* VAR/FIELD/CALL/RCALL op/ASSIGN root/FOR binding/STR text/FEATURE */
  double num; int flag;      /* NUM value; BOOL; UNARY (0 neg, 1 not); BINARY op */
  ll_expr **kids; size_t nkids; /* children; REC: values (keys in `keys`) */
  size_t nkeys;
  char **keys; size_t *klens;   /* REC keys; ASSIGN steps: key or NULL for an index kid */
  ll_type *type;                /* E_TYPE */
};

typedef enum { TY_STR, TY_INT, TY_FLOAT, TY_BOOL, TY_DICT, TY_ANY, TY_NULL, TY_ENUM, TY_LIST, TY_OBJECT, TY_UNION, TY_REF } ll_type_kind;
struct ll_type {
  ll_type_kind kind;
  char **names; size_t *nlens; size_t n; /* ENUM values / OBJECT field names / REF name */
  ll_type **kids; int *optional;         /* LIST[1] / OBJECT fields / UNION variants */
  size_t start;
};

typedef struct ll_program {
  ll_expr **stmts; size_t n;
  size_t *stmt_start;
} ll_program;

int ll_parse(ll_rt *rt, const char *src, size_t len, ll_program *out, ll_err *err);
void ll_program_free(ll_rt *rt, ll_program *p);
void ll_expr_free(ll_rt *rt, ll_expr *e);
/* The link step lash runs after parsing: gated features, module receivers, and
 * (check_builtins) unknown builtins. Runs report unknown builtins at runtime,
 * as lash's diagnostic corpus shows (caret on the statement). */
int ll_link(const ll_program *p, int check_builtins, ll_err *err);

/* ---- bytecode ------------------------------------------------------------- */
typedef enum {
  I_CONST, I_NULL, I_TRUE, I_FALSE, I_LOAD, I_STORE, I_POP, I_BIN, I_NEG, I_NOT, I_TOBOOL,
  I_JMP, I_JF, I_JT, I_LIST, I_REC, I_FIELD, I_INDEX, I_UNWRAP, I_BUILTIN, I_TOOL, I_JOIN,
  I_PRINT, I_SUBMIT, I_ITER, I_NEXT, I_ENDITER, I_ASSIGN, I_TYPE, I_PUSHSELF, I_HALT
} ll_opcode;

typedef struct ll_ins {
  uint8_t op;
  uint32_t a, b, c; /* operands: const/name index, jump target, counts */
  size_t off;        /* source offset of the enclosing statement (diagnostic caret) */
} ll_ins;

typedef struct ll_chunk {
  ll_ins *code; size_t n, cap;
  ll_val *consts; size_t nconst, capconst; /* strings and numbers; owned */
  const ll_type **types; size_t ntypes;     /* borrowed from the program's AST */
} ll_chunk;

int ll_compile(ll_rt *rt, const ll_program *p, ll_chunk *out, ll_err *err);
void ll_chunk_free(ll_rt *rt, ll_chunk *c);

/* ---- builtins ------------------------------------------------------------- */
int ll_builtin_id(const char *name, size_t n); /* -1 when unknown */
/* args borrowed; *out owned on success. On error returns -1 with err->msg set. */
int ll_builtin_call(ll_rt *rt, int id, ll_val *args, size_t argc, ll_val *out, ll_err *err);
/* Type literal -> its value ({"$lash_type": schema}); validate lives in builtins. */
typedef int (*ll_lookup_fn)(void *ctx, const char *name, size_t n, ll_val *out /* borrowed */);
int ll_type_value(ll_rt *rt, const ll_type *t, ll_lookup_fn lookup, void *ctx, ll_val *out, ll_err *err);

int ll_validate(ll_rt *rt, ll_val value, ll_val type, ll_val *out, ll_err *err);

/* helpers shared by builtins and the VM */
int ll_as_number(ll_val v, double *out, ll_err *err);
int ll_coerce_string(ll_rt *rt, ll_val v, lash_buf *b, ll_err *err);
int ll_binop_eval(ll_rt *rt, ll_binop op, ll_val a, ll_val b, ll_val *out, ll_err *err);
int ll_set_err(ll_err *err, const char *fmt, ...);

#endif
