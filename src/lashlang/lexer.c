/* Lashlang lexer (lash's lexer.rs): `;` is whitespace, `#` and `//` comment to
 * end of line, "..." and """...""" strings with escapes, Rust-style raw
 * strings r#"..."# (any number of hashes). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lashlang/ll.h"

static const struct { const char *text; ll_tok_kind kind; } KEYWORDS[] = {
  {"if", T_IF}, {"else", T_ELSE}, {"for", T_FOR}, {"in", T_IN}, {"await", T_AWAIT},
  {"cancel", T_CANCEL}, {"submit", T_SUBMIT}, {"print", T_PRINT}, {"call", T_CALL},
  {"and", T_AND}, {"or", T_OR}, {"not", T_NOT}, {"true", T_TRUE}, {"false", T_FALSE},
  {"null", T_NULL},
};

const char *ll_tok_keyword_text(ll_tok_kind k) {
  for (size_t i = 0; i < sizeof KEYWORDS / sizeof *KEYWORDS; i++)
    if (KEYWORDS[i].kind == k) return KEYWORDS[i].text;
  return NULL;
}

static int push(ll_rt *rt, ll_toks *t, ll_tok tok) {
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 64;
    ll_tok *nv = ll_realloc(rt, t->v, nc * sizeof(ll_tok));
    if (!nv) { ll_free(rt, tok.text); return -1; }
    t->v = nv;
    t->cap = nc;
  }
  t->v[t->n++] = tok;
  return 0;
}

void ll_toks_free(ll_rt *rt, ll_toks *t) {
  for (size_t i = 0; i < t->n; i++) ll_free(rt, t->v[i].text);
  ll_free(rt, t->v);
  t->v = NULL;
  t->n = t->cap = 0;
}

static int is_ident_start(unsigned char c) { return c == '_' || isalpha(c); }
static int is_ident_continue(unsigned char c) { return is_ident_start(c) || isdigit(c); }

static size_t utf8_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

static int starts_with(const char *src, size_t len, size_t at, const char *needle, size_t n) {
  return at + n <= len && memcmp(src + at, needle, n) == 0;
}

static int lex_error(ll_err *err, size_t offset, const char *fmt, const char *arg, size_t alen) {
  err->offset = offset;
  err->has_span = 1;
  if (arg) {
    char tmp[64];
    size_t n = alen < sizeof tmp - 1 ? alen : sizeof tmp - 1;
    memcpy(tmp, arg, n);
    tmp[n] = '\0';
    return ll_set_err(err, fmt, tmp);
  }
  return ll_set_err(err, "%s", fmt);
}

/* "..." or """...""" starting at src[i]; escapes \" \\ \n \r \t, any other
 * escaped char stands for itself (lash's string/triple_string). */
static int lex_quoted(ll_rt *rt, const char *src, size_t len, size_t i, ll_tok *tok, size_t *end, ll_err *err) {
  size_t dlen = starts_with(src, len, i, "\"\"\"", 3) ? 3 : 1;
  size_t p = i + dlen;
  lash_buf v;
  lash__buf_init(&v, rt->a);
  while (p < len) {
    if (dlen == 1 ? src[p] == '"' : starts_with(src, len, p, "\"\"\"", 3)) {
      tok->text = ll_alloc(rt, v.len + 1);
      if (!tok->text) { lash__buf_free(&v); return -1; }
      if (v.len) memcpy(tok->text, v.data, v.len);
      tok->text[v.len] = '\0';
      tok->tlen = v.len;
      lash__buf_free(&v);
      *end = p + dlen;
      return 0;
    }
    if (src[p] == '\\') {
      if (p + 1 >= len) break;
      char e = src[p + 1];
      size_t el = utf8_len((unsigned char)e);
      if (p + 1 + el > len) el = len - p - 1;
      switch (e) {
        case 'n': lash__buf_append(&v, "\n", 1); break;
        case 'r': lash__buf_append(&v, "\r", 1); break;
        case 't': lash__buf_append(&v, "\t", 1); break;
        default: lash__buf_append(&v, src + p + 1, el); break;
      }
      p += 1 + el;
      continue;
    }
    lash__buf_append(&v, src + p, 1);
    p++;
  }
  lash__buf_free(&v);
  return lex_error(err, i, "unterminated string", NULL, 0);
}

/* r#*" opener at src[i]: the number of hashes, or -1. */
static long raw_hashes(const char *src, size_t len, size_t i) {
  if (src[i] != 'r') return -1;
  size_t k = i + 1;
  while (k < len && src[k] == '#') k++;
  return k < len && src[k] == '"' ? (long)(k - i - 1) : -1;
}

/* Non-ASCII White_Space (Rust's char::is_whitespace): its UTF-8 length, or 0. */
static size_t unicode_space(const char *src, size_t len, size_t i) {
  const unsigned char *u = (const unsigned char *)src + i;
  size_t n = len - i;
  if (n >= 2 && u[0] == 0xC2 && (u[1] == 0x85 || u[1] == 0xA0)) return 2;           /* NEL, NBSP */
  if (n >= 3 && u[0] == 0xE1 && u[1] == 0x9A && u[2] == 0x80) return 3;             /* U+1680 */
  if (n >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] <= 0x8A || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
    return 3;                                                                        /* U+2000-200A, 2028, 2029, 202F */
  if (n >= 3 && u[0] == 0xE2 && u[1] == 0x81 && u[2] == 0x9F) return 3;             /* U+205F */
  if (n >= 3 && u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80) return 3;             /* U+3000 */
  return 0;
}

int ll_lex(ll_rt *rt, const char *src, size_t len, ll_toks *out, ll_err *err) {
  memset(out, 0, sizeof *out);
  size_t i = 0;
  while (i < len) {
    unsigned char c = (unsigned char)src[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == ';') { i++; continue; }
    size_t ws = unicode_space(src, len, i);
    if (ws) { i += ws; continue; }
    if (c == '#' || (c == '/' && i + 1 < len && src[i + 1] == '/')) {
      while (i < len && src[i] != '\n') i++;
      continue;
    }
    ll_tok tok;
    memset(&tok, 0, sizeof tok);
    tok.start = i;
    size_t end = i + 1;
    switch (c) {
      case '{': tok.kind = T_LBRACE; break;
      case '}': tok.kind = T_RBRACE; break;
      case '(': tok.kind = T_LPAREN; break;
      case ')': tok.kind = T_RPAREN; break;
      case '[': tok.kind = T_LBRACKET; break;
      case ']': tok.kind = T_RBRACKET; break;
      case ',': tok.kind = T_COMMA; break;
      case ':': tok.kind = T_COLON; break;
      case '@': tok.kind = T_AT; break;
      case '?': tok.kind = T_QUESTION; break;
      case '.': tok.kind = T_DOT; break;
      case '+': tok.kind = T_PLUS; break;
      case '-': tok.kind = T_MINUS; break;
      case '*': tok.kind = T_STAR; break;
      case '/': tok.kind = T_SLASH; break;
      case '%': tok.kind = T_PERCENT; break;
      case '=': if (i + 1 < len && src[i + 1] == '=') { tok.kind = T_EQEQ; end++; } else tok.kind = T_EQUAL; break;
      case '!': if (i + 1 < len && src[i + 1] == '=') { tok.kind = T_NE; end++; } else tok.kind = T_BANG; break;
      case '<': if (i + 1 < len && src[i + 1] == '=') { tok.kind = T_LE; end++; } else tok.kind = T_LT; break;
      case '>': if (i + 1 < len && src[i + 1] == '=') { tok.kind = T_GE; end++; } else tok.kind = T_GT; break;
      case '|': if (i + 1 < len && src[i + 1] == '|') { tok.kind = T_OROR; end++; } else tok.kind = T_PIPE; break;
      case '&':
        if (i + 1 < len && src[i + 1] == '&') { tok.kind = T_ANDAND; end++; break; }
        ll_toks_free(rt, out);
        return lex_error(err, i, "unexpected `%s`", "&", 1);
      case '"':
        tok.kind = T_STRING;
        if (lex_quoted(rt, src, len, i, &tok, &end, err)) { ll_toks_free(rt, out); return -1; }
        break;
      default:
        if (raw_hashes(src, len, i) >= 0) {
          /* Rust-style raw string: r"...", r#"..."#, r##"..."## ... */
          size_t hashes = (size_t)raw_hashes(src, len, i);
          size_t cs = i + 2 + hashes, p = cs;
          for (;; p++) {
            if (p + 1 + hashes > len) { ll_toks_free(rt, out); return lex_error(err, i, "unterminated string", NULL, 0); }
            if (src[p] != '"') continue;
            size_t h = 0;
            while (h < hashes && src[p + 1 + h] == '#') h++;
            if (h == hashes) break;
          }
          tok.kind = T_STRING;
          tok.tlen = p - cs;
          tok.text = ll_alloc(rt, tok.tlen + 1);
          if (!tok.text) { ll_toks_free(rt, out); return -1; }
          memcpy(tok.text, src + cs, tok.tlen);
          tok.text[tok.tlen] = '\0';
          end = p + 1 + hashes;
        } else if (is_ident_start(c)) {
          while (end < len && is_ident_continue((unsigned char)src[end])) end++;
          tok.kind = T_IDENT;
          for (size_t k = 0; k < sizeof KEYWORDS / sizeof *KEYWORDS; k++)
            if (strlen(KEYWORDS[k].text) == end - i && memcmp(KEYWORDS[k].text, src + i, end - i) == 0)
              tok.kind = KEYWORDS[k].kind;
          if (tok.kind == T_IDENT) {
            tok.tlen = end - i;
            tok.text = ll_alloc(rt, tok.tlen + 1);
            if (!tok.text) { ll_toks_free(rt, out); return -1; }
            memcpy(tok.text, src + i, tok.tlen);
            tok.text[tok.tlen] = '\0';
          }
        } else if (isdigit(c)) {
          int seen_dot = 0;
          while (end < len && (isdigit((unsigned char)src[end]) || (src[end] == '.' && !seen_dot))) {
            if (src[end] == '.') seen_dot = 1;
            end++;
          }
          char tmp[64];
          size_t n = end - i;
          if (n >= sizeof tmp) { /* long literals: parse from a heap copy */
            char *h = ll_alloc(rt, n + 1);
            if (!h) { ll_toks_free(rt, out); return -1; }
            memcpy(h, src + i, n);
            h[n] = '\0';
            tok.num = strtod(h, NULL);
            ll_free(rt, h);
          } else {
            memcpy(tmp, src + i, n);
            tmp[n] = '\0';
            tok.num = strtod(tmp, NULL);
          }
          tok.kind = T_NUMBER;
        } else {
          size_t cl = utf8_len(c);
          ll_toks_free(rt, out);
          return lex_error(err, i, "unexpected `%s`", src + i, i + cl <= len ? cl : 1);
        }
    }
    tok.end = end;
    if (push(rt, out, tok)) { ll_toks_free(rt, out); return -1; }
    i = end;
  }
  ll_tok eof;
  memset(&eof, 0, sizeof eof);
  eof.kind = T_EOF;
  eof.start = eof.end = len;
  if (push(rt, out, eof)) { ll_toks_free(rt, out); return -1; }
  return 0;
}
