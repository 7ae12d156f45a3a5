/* `Type { ... }` literals and `validate` (lash's compiler/helpers.rs fold_type
 * and runtime/schema.rs). A Type value is the record {"$lash_type": schema}
 * with a JSON Schema inside; validate interprets that schema directly. */
#include <math.h>
#include <string.h>

#include "lashlang/ll.h"

#define TYPE_KEY "$lash_type"

static int set_str(ll_rt *rt, ll_rec *r, const char *k, const char *v) {
  ll_val s;
  if (ll_str_new(rt, v, strlen(v), &s)) return -1;
  return ll_rec_set(rt, r, k, strlen(k), s);
}

static int scalar(ll_rt *rt, const char *type, ll_val *out) {
  if (ll_rec_new(rt, 1, out)) return -1;
  if (type && set_str(rt, out->u.r, "type", type)) { ll_decref(rt, *out); *out = ll_null(); return -1; }
  return 0;
}

static int build(ll_rt *rt, const ll_type *t, ll_lookup_fn lookup, void *ctx, ll_val *out, ll_err *err) {
  *out = ll_null();
  switch (t->kind) {
    case TY_ANY: return scalar(rt, NULL, out) ? ll_set_err(err, "memory limit exceeded") : 0;
    case TY_STR: return scalar(rt, "string", out) ? ll_set_err(err, "memory limit exceeded") : 0;
    case TY_INT: return scalar(rt, "integer", out) ? ll_set_err(err, "memory limit exceeded") : 0;
    case TY_FLOAT: return scalar(rt, "number", out) ? ll_set_err(err, "memory limit exceeded") : 0;
    case TY_BOOL: return scalar(rt, "boolean", out) ? ll_set_err(err, "memory limit exceeded") : 0;
    case TY_DICT: return scalar(rt, "object", out) ? ll_set_err(err, "memory limit exceeded") : 0;
    case TY_NULL: return scalar(rt, "null", out) ? ll_set_err(err, "memory limit exceeded") : 0;
    case TY_REF: {
      ll_val v;
      if (lookup(ctx, t->names[0], t->nlens[0], &v)) return ll_set_err(err, "unknown name `%s`", t->names[0]);
      ll_val *inner = v.kind == LV_REC && v.u.r->n == 1 ? ll_rec_get(v.u.r, TYPE_KEY, strlen(TYPE_KEY)) : NULL;
      if (!inner) return ll_set_err(err, "`%s` is not a Type value (missing `" TYPE_KEY "`)", t->names[0]);
      *out = ll_incref(*inner);
      return 0;
    }
    default: break;
  }
  if (ll_rec_new(rt, 4, out)) return ll_set_err(err, "memory limit exceeded");
  ll_rec *r = out->u.r;
  ll_val list, inner, props;
  switch (t->kind) {
    case TY_ENUM:
      if (set_str(rt, r, "type", "string") || ll_list_new(rt, t->n, &list)) goto oom;
      for (size_t i = 0; i < t->n; i++) {
        ll_val s;
        if (ll_str_new(rt, t->names[i], t->nlens[i], &s) || ll_list_push(rt, list.u.l, s)) { ll_decref(rt, list); goto oom; }
      }
      if (ll_rec_set(rt, r, "enum", 4, list)) goto oom;
      break;
    case TY_LIST:
      if (set_str(rt, r, "type", "array")) goto oom;
      if (build(rt, t->kids[0], lookup, ctx, &inner, err)) goto fail;
      if (ll_rec_set(rt, r, "items", 5, inner)) goto oom;
      break;
    case TY_OBJECT:
      if (set_str(rt, r, "type", "object") || ll_rec_new(rt, t->n ? t->n : 1, &props)) goto oom;
      for (size_t i = 0; i < t->n; i++) {
        if (build(rt, t->kids[i], lookup, ctx, &inner, err)) { ll_decref(rt, props); goto fail; }
        if (ll_rec_set(rt, props.u.r, t->names[i], t->nlens[i], inner)) { ll_decref(rt, props); goto oom; }
      }
      if (ll_rec_set(rt, r, "properties", 10, props) || ll_list_new(rt, t->n ? t->n : 1, &list)) goto oom;
      for (size_t i = 0; i < t->n; i++) {
        if (t->optional[i]) continue;
        ll_val s;
        if (ll_str_new(rt, t->names[i], t->nlens[i], &s) || ll_list_push(rt, list.u.l, s)) { ll_decref(rt, list); goto oom; }
      }
      if (ll_rec_set(rt, r, "required", 8, list) || ll_rec_set(rt, r, "additionalProperties", 20, ll_bool(0))) goto oom;
      break;
    case TY_UNION:
      if (ll_list_new(rt, t->n, &list)) goto oom;
      for (size_t i = 0; i < t->n; i++) {
        if (build(rt, t->kids[i], lookup, ctx, &inner, err)) { ll_decref(rt, list); goto fail; }
        if (ll_list_push(rt, list.u.l, inner)) { ll_decref(rt, list); goto oom; }
      }
      if (ll_rec_set(rt, r, "anyOf", 5, list)) goto oom;
      break;
    default: break;
  }
  if (ll_depth(*out) > LL_MAX_VALUE_DEPTH) { ll_set_err(err, "value nesting too deep (limit %d)", LL_MAX_VALUE_DEPTH); goto fail; }
  return 0;
oom:
  ll_set_err(err, "memory limit exceeded");
fail:
  ll_decref(rt, *out);
  *out = ll_null();
  return -1;
}

int ll_type_value(ll_rt *rt, const ll_type *t, ll_lookup_fn lookup, void *ctx, ll_val *out, ll_err *err) {
  ll_val schema;
  if (build(rt, t, lookup, ctx, &schema, err)) return -1;
  if (ll_rec_new(rt, 1, out)) { ll_decref(rt, schema); return ll_set_err(err, "memory limit exceeded"); }
  if (ll_rec_set(rt, out->u.r, TYPE_KEY, strlen(TYPE_KEY), schema)) {
    ll_decref(rt, *out);
    *out = ll_null();
    return ll_set_err(err, "memory limit exceeded");
  }
  return 0;
}

/* ---- validation --------------------------------------------------------------- */
static const char *schema_type_name(ll_val v) {
  switch (v.kind) {
    case LV_NULL: return "null";
    case LV_BOOL: return "boolean";
    case LV_NUM: return "number";
    case LV_STR: return "string";
    case LV_LIST: return "array";
    default: return "object";
  }
}

static ll_val *get(ll_val schema, const char *k) {
  return schema.kind == LV_REC ? ll_rec_get(schema.u.r, k, strlen(k)) : NULL;
}

static int primitive_matches(const char *type, ll_val v) {
  if (!strcmp(type, "string")) return v.kind == LV_STR;
  if (!strcmp(type, "number")) return v.kind == LV_NUM && isfinite(v.u.n);
  if (!strcmp(type, "integer")) return v.kind == LV_NUM && isfinite(v.u.n) && v.u.n == floor(v.u.n);
  if (!strcmp(type, "boolean")) return v.kind == LV_BOOL;
  if (!strcmp(type, "array")) return v.kind == LV_LIST;
  if (!strcmp(type, "object")) return v.kind == LV_REC;
  if (!strcmp(type, "null")) return v.kind == LV_NULL;
  return 1;
}

static const char *schema_kind(ll_val schema) {
  if (schema.kind != LV_REC) return NULL;
  if (get(schema, "anyOf") && get(schema, "anyOf")->kind == LV_LIST) return "anyOf";
  if (get(schema, "enum") && get(schema, "enum")->kind == LV_LIST) return "enum";
  ll_val *t = get(schema, "type");
  if (!t || t->kind != LV_STR) return NULL;
  static const char *KNOWN[] = {"string", "number", "integer", "boolean", "array", "object", "null"};
  for (size_t i = 0; i < 7; i++) if (!strcmp(t->u.s->s, KNOWN[i])) return KNOWN[i];
  return NULL;
}

static int required_has(ll_val schema, const char *name, size_t n) {
  ll_val *req = get(schema, "required");
  if (!req || req->kind != LV_LIST) return 0;
  for (size_t i = 0; i < req->u.l->n; i++) {
    ll_val r = req->u.l->v[i];
    if (r.kind == LV_STR && r.u.s->len == n && !memcmp(r.u.s->s, name, n)) return 1;
  }
  return 0;
}

static int accepts(ll_val schema, ll_val v, int depth) {
  if (depth > LL_MAX_VALUE_DEPTH) return 0;
  const char *k = schema_kind(schema);
  if (!k) return 1;
  if (!strcmp(k, "anyOf")) {
    ll_list *l = get(schema, "anyOf")->u.l;
    for (size_t i = 0; i < l->n; i++) if (accepts(l->v[i], v, depth + 1)) return 1;
    return 0;
  }
  if (!strcmp(k, "enum")) {
    if (v.kind != LV_STR) return 0;
    ll_list *l = get(schema, "enum")->u.l;
    for (size_t i = 0; i < l->n; i++) if (ll_equal(l->v[i], v)) return 1;
    return 0;
  }
  if (!strcmp(k, "array")) {
    if (v.kind != LV_LIST) return 0;
    ll_val *items = get(schema, "items");
    if (items) for (size_t i = 0; i < v.u.l->n; i++) if (!accepts(*items, v.u.l->v[i], depth + 1)) return 0;
    return 1;
  }
  if (!strcmp(k, "object")) {
    if (v.kind != LV_REC) return 0;
    ll_val *props = get(schema, "properties");
    if (props && props->kind == LV_REC)
      for (size_t i = 0; i < props->u.r->n; i++) {
        ll_str *name = props->u.r->k[i];
        ll_val *fv = ll_rec_get(v.u.r, name->s, name->len);
        if (!fv) { if (required_has(schema, name->s, name->len)) return 0; continue; }
        if (!accepts(props->u.r->v[i], *fv, depth + 1)) return 0;
      }
    ll_val *req = get(schema, "required");
    if (req && req->kind == LV_LIST)
      for (size_t i = 0; i < req->u.l->n; i++) {
        ll_val r = req->u.l->v[i];
        if (r.kind == LV_STR && !ll_rec_get(v.u.r, r.u.s->s, r.u.s->len)) return 0;
      }
    return 1;
  }
  return primitive_matches(k, v);
}

static void describe(lash_buf *b, ll_val schema) {
  const char *k = schema_kind(schema);
  if (!k) { lash__buf_puts(b, "any"); return; }
  if (!strcmp(k, "anyOf")) {
    ll_list *l = get(schema, "anyOf")->u.l;
    for (size_t i = 0; i < l->n; i++) { if (i) lash__buf_puts(b, " | "); describe(b, l->v[i]); }
    return;
  }
  if (!strcmp(k, "enum")) {
    ll_list *l = get(schema, "enum")->u.l;
    lash__buf_puts(b, "enum[");
    size_t shown = 0;
    for (size_t i = 0; i < l->n; i++) {
      if (l->v[i].kind != LV_STR) continue;
      if (shown++) lash__buf_puts(b, ", ");
      lash__buf_append(b, l->v[i].u.s->s, l->v[i].u.s->len);
    }
    lash__buf_puts(b, "]");
    return;
  }
  lash__buf_puts(b, k);
}

/* path is the "$.a[1]" text so far */
static void describe_failure(lash_buf *out, ll_val schema, ll_val v, lash_buf *path, int depth) {
  const char *k = schema_kind(schema);
  const char *p = path->data ? path->data : "$";
  if (depth > LL_MAX_VALUE_DEPTH) { lash__buf_printf(out, "%s: schema nested too deeply", p); return; }
  if (!k) { lash__buf_printf(out, "%s: expected any, got %s", p, schema_type_name(v)); return; }
  if (!strcmp(k, "anyOf")) {
    lash__buf_printf(out, "%s: expected one of [", p);
    ll_list *l = get(schema, "anyOf")->u.l;
    for (size_t i = 0; i < l->n; i++) { if (i) lash__buf_puts(out, ", "); describe(out, l->v[i]); }
    lash__buf_printf(out, "], got %s", schema_type_name(v));
    return;
  }
  if (!strcmp(k, "enum")) {
    if (v.kind != LV_STR) { lash__buf_printf(out, "%s: expected string, got %s", p, schema_type_name(v)); return; }
    lash__buf_printf(out, "%s: expected one of [", p);
    ll_list *l = get(schema, "enum")->u.l;
    size_t shown = 0;
    for (size_t i = 0; i < l->n; i++) {
      if (l->v[i].kind != LV_STR) continue;
      if (shown++) lash__buf_puts(out, ", ");
      lash__buf_append(out, l->v[i].u.s->s, l->v[i].u.s->len);
    }
    lash__buf_puts(out, "], got ");
    ll_stringify(out, v);
    return;
  }
  size_t mark = path->len;
  if (!strcmp(k, "array") && v.kind == LV_LIST) {
    ll_val *items = get(schema, "items");
    for (size_t i = 0; items && i < v.u.l->n; i++) {
      if (accepts(*items, v.u.l->v[i], depth + 1)) continue;
      lash__buf_printf(path, "[%zu]", i);
      describe_failure(out, *items, v.u.l->v[i], path, depth + 1);
      path->len = mark;
      path->data[mark] = '\0';
      return;
    }
  }
  if (!strcmp(k, "object") && v.kind == LV_REC) {
    ll_val *props = get(schema, "properties");
    if (props && props->kind == LV_REC)
      for (size_t i = 0; i < props->u.r->n; i++) {
        ll_str *name = props->u.r->k[i];
        ll_val *fv = ll_rec_get(v.u.r, name->s, name->len);
        if (!fv) {
          if (required_has(schema, name->s, name->len)) {
            lash__buf_printf(out, "%s: missing required field `%s`", p, name->s);
            return;
          }
          continue;
        }
        if (accepts(props->u.r->v[i], *fv, depth + 1)) continue;
        lash__buf_puts(path, ".");
        lash__buf_append(path, name->s, name->len);
        describe_failure(out, props->u.r->v[i], *fv, path, depth + 1);
        path->len = mark;
        path->data[mark] = '\0';
        return;
      }
    ll_val *req = get(schema, "required");
    if (req && req->kind == LV_LIST)
      for (size_t i = 0; i < req->u.l->n; i++) {
        ll_val r = req->u.l->v[i];
        if (r.kind == LV_STR && !ll_rec_get(v.u.r, r.u.s->s, r.u.s->len)) {
          lash__buf_printf(out, "%s: missing required field `%s`", p, r.u.s->s);
          return;
        }
      }
  }
  lash__buf_printf(out, "%s: expected %s, got %s", p, k, schema_type_name(v));
}

int ll_validate(ll_rt *rt, ll_val value, ll_val type, ll_val *out, ll_err *err) {
  ll_val *schema = type.kind == LV_REC && type.u.r->n == 1 ? ll_rec_get(type.u.r, TYPE_KEY, strlen(TYPE_KEY)) : NULL;
  if (!schema) {
    err->hint = "pass `Type { ... }` or a variable that holds a Type literal";
    return ll_set_err(err, "`validate` requires a Type literal as the second argument");
  }
  if (accepts(*schema, value, 0)) { *out = ll_incref(value); return 0; }
  lash_buf msg, path;
  lash__buf_init(&msg, rt->a);
  lash__buf_init(&path, rt->a);
  lash__buf_puts(&path, "$");
  describe_failure(&msg, *schema, value, &path, 0);
  ll_set_err(err, "validation failed: %s", msg.data ? msg.data : "");
  lash__buf_free(&msg);
  lash__buf_free(&path);
  return -1;
}
