#include "provider/openai_schema.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "provider/openai_json.h"
#include "util/buf.h"

/* The schema is normalised before it is projected, so no object here repeats a key. */
static cJSON *vget(const cJSON *v, const char *k) { return lash__serde_get(v, k); }
static const char *vstr(const cJSON *v) { return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL; }

typedef struct {
  int strict;     /* StructuredOutput: objects closed, every property required */
  int structured; /* root anyOf is an error */
  lash_buf path, first; /* first: the first error, which lash reports */
  int failed, oom;
} proj_t;

/* Errors are collected in traversal order; lash reports the first, as
 * "{path}: {msg}" (the root's own checks pass with_path = 0 and say "$: "). */
static void proj_err(proj_t *p, int with_path, const char *fmt, const char *arg) {
  if (p->failed++) return;
  if ((with_path && (!lash__buf_puts(&p->first, p->path.data ? p->path.data : "$") || !lash__buf_puts(&p->first, ": "))) ||
      !lash__buf_printf(&p->first, fmt, arg ? arg : ""))
    p->oom = 1;
}

static void push(cJSON *arr, cJSON *item, int *oom) {
  if (!item || !cJSON_AddItemToArray(arr, item)) { cJSON_Delete(item); *oom = 1; }
}

static int type_has(const cJSON *obj, const char *want) {
  const cJSON *t = vget(obj, "type"), *x;
  if (vstr(t)) return !strcmp(t->valuestring, want);
  if (cJSON_IsArray(t)) cJSON_ArrayForEach(x, t) if (vstr(x) && !strcmp(x->valuestring, want)) return 1;
  return 0;
}

/* serde Number::is_i64 || is_u64: from serde's text where a stream reader kept it,
 * else from the double (host documents, as tools/schema.h judges them). */
static int integral(const cJSON *v) {
  if (v->valuestring) return !strpbrk(v->valuestring, ".eE");
  double d = v->valuedouble;
  return d == floor(d) && d >= -9223372036854775808.0 && d < 18446744073709551616.0;
}

static const char *infer_enum_type(const cJSON *values) {
  const char *inferred = NULL, *t;
  const cJSON *v;
  cJSON_ArrayForEach(v, values) {
    if (cJSON_IsString(v)) t = "string";
    else if (cJSON_IsBool(v)) t = "boolean";
    else if (cJSON_IsNumber(v)) t = integral(v) ? "integer" : "number";
    else if (cJSON_IsNull(v)) continue;
    else return NULL;
    if (inferred && strcmp(inferred, t)) return NULL;
    inferred = t;
  }
  return inferred;
}

static cJSON *null_schema(void) {
  cJSON *n = cJSON_CreateObject();
  if (n && !cJSON_AddStringToObject(n, "type", "null")) { cJSON_Delete(n); n = NULL; }
  return n;
}

static void make_nullable(proj_t *p, cJSON *obj) {
  if (!cJSON_IsObject(obj)) return;
  cJSON *any = vget(obj, "anyOf"), *t = vget(obj, "type"), *x;
  if (cJSON_IsArray(any)) {
    cJSON_ArrayForEach(x, any) if (cJSON_IsObject(x) && type_has(x, "null")) return;
    push(any, null_schema(), &p->oom);
  } else if (vstr(t)) {
    if (strcmp(t->valuestring, "null")) {
      const char *both[2] = {t->valuestring, "null"};
      lash__serde_insert(obj, "type", cJSON_CreateStringArray(both, 2), &p->oom);
    }
  } else if (cJSON_IsArray(t)) {
    cJSON_ArrayForEach(x, t) if (vstr(x) && !strcmp(x->valuestring, "null")) return;
    push(t, cJSON_CreateString("null"), &p->oom);
  } else if (!t) { /* {anyOf: [original, {"type": "null"}]} */
    cJSON *orig = cJSON_CreateObject(), *alt = cJSON_CreateArray();
    if (!orig || !alt) { cJSON_Delete(orig), cJSON_Delete(alt), p->oom = 1; return; }
    orig->child = obj->child;
    obj->child = NULL;
    cJSON_AddItemToArray(alt, orig);
    push(alt, null_schema(), &p->oom);
    lash__serde_insert(obj, "anyOf", alt, &p->oom);
  }
}

static void project_value(proj_t *p, cJSON *v, int is_root, int depth);

/* Project a child under path + seg, restoring the path afterwards. */
static void project_at(proj_t *p, cJSON *v, const char *fmt, const char *seg, int depth) {
  size_t mark = p->path.len;
  if (!lash__buf_printf(&p->path, fmt, seg)) p->oom = 1;
  project_value(p, v, 0, depth + 1);
  p->path.len = mark;
  if (p->path.data) p->path.data[mark] = '\0';
}

static void project_object(proj_t *p, cJSON *obj, int depth) {
  const cJSON *req = vget(obj, "required"), *r;
  cJSON *props = vget(obj, "properties");
  if (cJSON_IsObject(props)) {
    cJSON *names = p->strict ? cJSON_CreateArray() : NULL;
    if (p->strict && !names) p->oom = 1;
    for (cJSON *c = props->child; c; c = c->next) {
      int optional = 1;
      if (cJSON_IsArray(req)) cJSON_ArrayForEach(r, req) if (vstr(r) && !strcmp(r->valuestring, c->string)) optional = 0;
      project_at(p, c, ".properties.%s", c->string, depth);
      if (optional && p->strict) make_nullable(p, c);
      if (names) push(names, cJSON_CreateString(c->string), &p->oom);
    }
    if (p->strict) lash__serde_insert(obj, "required", names, &p->oom);
  } else if (props) {
    proj_err(p, 1, "object schema properties must be an object", NULL);
  } else {
    lash__serde_insert(obj, "properties", cJSON_CreateObject(), &p->oom);
    if (p->strict) lash__serde_insert(obj, "required", cJSON_CreateArray(), &p->oom);
  }
  if (p->strict) lash__serde_insert(obj, "additionalProperties", cJSON_CreateFalse(), &p->oom);
}

static void project_value(proj_t *p, cJSON *v, int is_root, int depth) {
  if (depth > LASH_SERDE_NEST) { proj_err(p, 1, "schema nests too deeply", NULL); return; }
  if (!cJSON_IsObject(v)) { proj_err(p, 1, "schema must be a JSON object", NULL); return; }
  cJSON *cst = cJSON_DetachItemFromObjectCaseSensitive(v, "const"); /* const -> single-value enum */
  if (cst) {
    if (vget(v, "enum")) cJSON_Delete(cst);
    else {
      cJSON *arr = cJSON_CreateArray();
      cJSON_free(cst->string);
      cst->string = NULL;
      if (arr) cJSON_AddItemToArray(arr, cst);
      else cJSON_Delete(cst);
      lash__serde_insert(v, "enum", arr, &p->oom);
    }
  }
  if (!vget(v, "type")) { /* infer_type */
    const char *t = NULL;
    if (is_root || vget(v, "properties") || vget(v, "required") || vget(v, "additionalProperties")) t = "object";
    else if (vget(v, "items")) t = "array";
    else if (cJSON_IsArray(vget(v, "enum"))) t = infer_enum_type(vget(v, "enum"));
    if (t) lash__serde_insert(v, "type", cJSON_CreateString(t), &p->oom);
  }
  if (is_root && vget(v, "anyOf") && p->structured) proj_err(p, 1, "OpenAI structured outputs do not allow root anyOf", NULL);
  static const char *const unsupported[] = {"allOf", "oneOf", "not", "dependentRequired", "dependentSchemas",
                                            "if", "then", "else", "patternProperties"};
  for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
    if (vget(v, unsupported[i])) proj_err(p, 1, "unsupported JSON Schema keyword `%s`", unsupported[i]);
  if (type_has(v, "object")) project_object(p, v, depth);
  cJSON *items = vget(v, "items");
  if (items) project_at(p, items, ".items%s", "", depth);
  static const char *const defs[] = {"$defs", "definitions"};
  for (int k = 0; k < 2; k++) {
    cJSON *d = vget(v, defs[k]);
    if (!cJSON_IsObject(d)) continue;
    for (cJSON *c = d->child; c; c = c->next) {
      size_t mark = p->path.len;
      if (!lash__buf_printf(&p->path, ".%s", defs[k])) p->oom = 1;
      project_at(p, c, ".%s", c->string, depth);
      p->path.len = mark;
      if (p->path.data) p->path.data[mark] = '\0';
    }
  }
  cJSON *any = vget(v, "anyOf");
  if (cJSON_IsArray(any)) {
    int idx = 0;
    for (cJSON *c = any->child; c; c = c->next, idx++) {
      char seg[24];
      snprintf(seg, sizeof seg, "%d", idx);
      project_at(p, c, ".anyOf[%s]", seg, depth);
    }
  }
}

cJSON *lash__openai_project_schema(const lash_allocator *a, const cJSON *schema, int structured, lash_err *e) {
  proj_t p;
  memset(&p, 0, sizeof p);
  p.strict = p.structured = structured;
  lash__buf_init(&p.path, a);
  lash__buf_init(&p.first, a);
  cJSON *v = cJSON_Duplicate(schema, 1);
  if (!v || !lash__buf_puts(&p.path, "$")) p.oom = 1;
  else if (!lash__serde_normalize(v, 0)) proj_err(&p, 0, "$: schema nests too deeply", NULL);
  else {
    project_value(&p, v, 1, 0);
    if (cJSON_IsObject(v)) { /* ensure_object_root */
      if (!type_has(v, "object")) proj_err(&p, 0, "$: root schema must be an object schema", NULL);
      else {
        if (!vget(v, "properties")) lash__serde_insert(v, "properties", cJSON_CreateObject(), &p.oom);
        if (!cJSON_IsObject(vget(v, "properties"))) proj_err(&p, 0, "$: object schema properties must be an object", NULL);
      }
    }
  }
  if (p.oom || p.first.oom) lash__err(e, LASH_E_NOMEM, NULL, NULL);
  else if (p.failed) {
    char msg[1024]; /* longer than the detail: lash__provider_err cuts it on a UTF-8 boundary */
    snprintf(msg, sizeof msg, "OpenAI-compatible schema projection failed: %s", p.first.data);
    lash__provider_err(e, msg);
  }
  int bad = p.oom || p.first.oom || p.failed;
  lash__buf_free(&p.path);
  lash__buf_free(&p.first);
  if (bad) { cJSON_Delete(v); return NULL; }
  return v;
}
