/* Prompt layers: a port of lash's resolve_prompt_layers + tool-catalog gate filter +
 * PromptContributionSet normalisation + PromptTemplate::render (lash-sansio
 * session_model/prompt.rs, prompt.rs, tool_catalog.rs). Texts are lash's, byte for
 * byte; the layer JSON is checked the way serde would decode it. */
#include "prompt/prompt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"

/* ---- lash's texts ---------------------------------------------------------------- */

/* session_model/prompt.rs MAIN_AGENT_INTRO */
static const char MAIN_AGENT_INTRO[] = "You are an AI coding assistant piloting the lash harness.";

/* session_model/prompt.rs CORE_GUIDANCE_BASE / CORE_GUIDANCE_INTERACTIVE_ONLY */
static const char *const CORE_GUIDANCE_BASE[] = {
    "- Be concise. Avoid filler, hedging, and performative tone.",
    ("- Do not restate a conclusion you already stated. Once a fix location is identified, act "
     "on it in the same turn."),
    "- Prefer the simplest correct solution over cleverness or unnecessary abstraction.",
};
static const char CORE_GUIDANCE_INTERACTIVE_ONLY[] =
    "- Take initiative when the user's intent is clear. Ask only when progress is blocked.";

/* lash-protocol-standard/src/lib.rs STANDARD_EXECUTION_SECTION (the dash is U+2014) */
static const char STANDARD_EXECUTION_SECTION[] =
    "Use direct tool calls.\n"
    "\n"
    "- Use `batch` (up to 25 calls) for two or more independent tool calls. Serialize calls "
    "when later arguments depend on earlier results.\n"
    "- For direct conversational requests that need no tools, respond in prose only.\n"
    "\n"
    "Example \xE2\x80\x94 two independent reads in one `batch` call:\n"
    "\n"
    "```json\n"
    "{\n"
    "  \"tool_calls\": [\n"
    "    { \"tool\": \"read_file\", \"parameters\": { \"path\": \"src/main.rs\" } },\n"
    "    { \"tool\": \"grep\", \"parameters\": { \"query\": \"ToolProvider\", \"path\": "
    "\"crates/lash/src/\" } }\n"
    "  ]\n"
    "}\n"
    "```";

cJSON *lash__prompt_standard_preamble(void) { return cJSON_CreateArray(); }

const char *lash__prompt_standard_execution_text(void) { return STANDARD_EXECUTION_SECTION; }

/* ---- enums (serde snake_case names; index = lash's order) ------------------------- */

enum { SLOT_INTRO, SLOT_EXECUTION, SLOT_GUIDANCE, SLOT_PROJECT, SLOT_RUNTIME, SLOT_ENV, N_SLOTS };
static const char *const SLOT_NAMES[] = {"intro",           "execution",       "guidance",
                                         "project_instructions", "runtime_context", "environment",
                                         NULL};

enum { BUILTIN_INTRO, BUILTIN_EXECUTION, BUILTIN_GUIDANCE };
static const char *const BUILTIN_NAMES[] = {"main_agent_intro", "execution_instructions",
                                            "core_guidance", NULL};

/* ToolAvailability is ordered: off < searchable < callable < showcased */
enum { AVAIL_OFF, AVAIL_SEARCHABLE, AVAIL_CALLABLE, AVAIL_SHOWCASED };
static const char *const AVAIL_NAMES[] = {"off", "searchable", "callable", "showcased", NULL};

static int lookup(const cJSON *v, const char *const *names) {
  if (!cJSON_IsString(v)) return -1;
  for (int i = 0; names[i]; i++)
    if (!strcmp(v->valuestring, names[i])) return i;
  return -1;
}

/* ---- str::trim (Unicode White_Space, as Rust's char::is_whitespace) ---------------- */

typedef struct {
  const char *s;
  size_t n;
} span;

static int is_ws(unsigned c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

/* Decode one UTF-8 sequence at p[0..n); 0 if it is not a well-formed one. */
static size_t decode(const unsigned char *p, size_t n, unsigned *cp) {
  if (!n) return 0;
  unsigned c = p[0];
  size_t need;
  if (c < 0x80) { *cp = c; return 1; }
  if ((c & 0xE0) == 0xC0) { need = 1; c &= 0x1F; }
  else if ((c & 0xF0) == 0xE0) { need = 2; c &= 0x0F; }
  else if ((c & 0xF8) == 0xF0) { need = 3; c &= 0x07; }
  else return 0;
  if (n <= need) return 0;
  for (size_t k = 1; k <= need; k++) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (p[k] & 0x3F);
  }
  *cp = c;
  return need + 1;
}

static span trim(const char *s) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t n = strlen((const char *)p), b = 0;
  unsigned cp;
  size_t k;
  while (b < n && (k = decode(p + b, n - b, &cp)) && is_ws(cp)) b += k;
  while (n > b) {
    size_t start = n - 1; /* back up over continuation bytes to the char's lead byte */
    while (start > b && n - start < 4 && (p[start] & 0xC0) == 0x80) start--;
    k = decode(p + start, n - start, &cp);
    if (k != n - start || !is_ws(cp)) break;
    n = start;
  }
  span r = {(const char *)p + b, n - b};
  return r;
}

/* ---- validation (serde's view of PromptLayer) ------------------------------------- */

#define INVALID LASH_E_INVALID_ARGUMENT

/* A struct field; serde rejects one given twice, cJSON would silently keep both. */
static int field(const cJSON *obj, const char *key, const cJSON **out, const char *arg,
                 const char *path, lash_err *e) {
  *out = NULL;
  for (const cJSON *c = obj->child; c; c = c->next) {
    if (!c->string || strcmp(c->string, key)) continue;
    if (*out) return lash__err(e, INVALID, arg, "`%s`: duplicate field `%s`", path, key);
    *out = c;
  }
  return LASH_OK;
}

static int opt_string(const cJSON *obj, const char *key, const char *arg, const char *path,
                      lash_err *e) {
  const cJSON *v;
  int rc = field(obj, key, &v, arg, path, e);
  if (rc) return rc;
  if (!lash__json_is_nullish(v) && !cJSON_IsString(v))
    return lash__err(e, INVALID, arg, "`%s.%s` must be a string", path, key);
  return LASH_OK;
}

static int req_string(const cJSON *obj, const char *key, const char *arg, const char *path,
                      lash_err *e) {
  const cJSON *v;
  int rc = field(obj, key, &v, arg, path, e);
  if (rc) return rc;
  if (!v) return lash__err(e, INVALID, arg, "`%s`: missing field `%s`", path, key);
  if (!cJSON_IsString(v)) return lash__err(e, INVALID, arg, "`%s.%s` must be a string", path, key);
  return LASH_OK;
}

/* A required enum-valued field (slot, builtin). */
static int req_enum(const cJSON *obj, const char *key, const char *const *names, const char *arg,
                    const char *path, lash_err *e) {
  const cJSON *v;
  int rc = req_string(obj, key, arg, path, e);
  if (rc) return rc;
  field(obj, key, &v, arg, path, e);
  if (lookup(v, names) < 0)
    return lash__err(e, INVALID, arg, "`%s.%s`: unknown variant `%.48s`", path, key,
                     v->valuestring);
  return LASH_OK;
}

/* PromptContribution{slot, title?, priority = 0 (i32), gate = {}, content} */
static int check_contribution(const cJSON *c, const char *arg, const char *path, lash_err *e) {
  if (!cJSON_IsObject(c)) return lash__err(e, INVALID, arg, "`%s` must be an object", path);
  int rc;
  if ((rc = req_enum(c, "slot", SLOT_NAMES, arg, path, e))) return rc;
  if ((rc = opt_string(c, "title", arg, path, e))) return rc;
  if ((rc = req_string(c, "content", arg, path, e))) return rc;
  const cJSON *v;
  if ((rc = field(c, "priority", &v, arg, path, e))) return rc;
  if (v) {
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0.5;
    if (!isfinite(d) || d != floor(d) || d < -2147483648.0 || d > 2147483647.0)
      return lash__err(e, INVALID, arg, "`%s.priority` must be a 32-bit integer", path);
  }
  if ((rc = field(c, "gate", &v, arg, path, e))) return rc;
  if (!v) return LASH_OK;
  if (!cJSON_IsObject(v)) return lash__err(e, INVALID, arg, "`%s.gate` must be an object", path);
  const cJSON *g = v;
  if ((rc = field(g, "tools", &v, arg, path, e))) return rc;
  if (v) {
    if (!cJSON_IsArray(v))
      return lash__err(e, INVALID, arg, "`%s.gate.tools` must be an array of strings", path);
    for (const cJSON *t = v->child; t; t = t->next)
      if (!cJSON_IsString(t))
        return lash__err(e, INVALID, arg, "`%s.gate.tools` must be an array of strings", path);
  }
  if ((rc = field(g, "minimum_availability", &v, arg, path, e))) return rc;
  if (v && lookup(v, AVAIL_NAMES) < 0)
    return lash__err(e, INVALID, arg,
                     "`%s.gate.minimum_availability` must be off, searchable, callable or "
                     "showcased",
                     path);
  return LASH_OK;
}

/* PromptTemplate{sections: [{title?, entries = []}]}; entries tagged by `kind`. */
static int check_template(const cJSON *t, const char *arg, const char *path, lash_err *e) {
  char at[160];
  if (!cJSON_IsObject(t)) return lash__err(e, INVALID, arg, "`%s` must be an object", path);
  const cJSON *sections, *entries, *kind;
  int rc = field(t, "sections", &sections, arg, path, e);
  if (rc) return rc;
  if (!sections) return lash__err(e, INVALID, arg, "`%s`: missing field `sections`", path);
  if (!cJSON_IsArray(sections))
    return lash__err(e, INVALID, arg, "`%s.sections` must be an array", path);
  int i = 0;
  for (const cJSON *s = sections->child; s; s = s->next, i++) {
    snprintf(at, sizeof at, "%.64s.sections[%d]", path, i);
    if (!cJSON_IsObject(s)) return lash__err(e, INVALID, arg, "`%s` must be an object", at);
    if ((rc = opt_string(s, "title", arg, at, e))) return rc;
    if ((rc = field(s, "entries", &entries, arg, at, e))) return rc;
    if (!entries) continue;
    if (!cJSON_IsArray(entries))
      return lash__err(e, INVALID, arg, "`%s.entries` must be an array", at);
    int j = 0;
    for (const cJSON *en = entries->child; en; en = en->next, j++) {
      snprintf(at, sizeof at, "%.64s.sections[%d].entries[%d]", path, i, j);
      if (!cJSON_IsObject(en)) return lash__err(e, INVALID, arg, "`%s` must be an object", at);
      if ((rc = req_string(en, "kind", arg, at, e))) return rc;
      field(en, "kind", &kind, arg, at, e);
      if (!strcmp(kind->valuestring, "text")) rc = req_string(en, "content", arg, at, e);
      else if (!strcmp(kind->valuestring, "builtin"))
        rc = req_enum(en, "builtin", BUILTIN_NAMES, arg, at, e);
      else if (!strcmp(kind->valuestring, "slot")) rc = req_enum(en, "slot", SLOT_NAMES, arg, at, e);
      else
        rc = lash__err(e, INVALID, arg, "`%s.kind`: unknown variant `%.48s`", at,
                       kind->valuestring);
      if (rc) return rc;
    }
  }
  return LASH_OK;
}

/* Paths are short ("layers[i].slots.guidance.contributions[j]"); `path` names the layer
 * in messages ("layer" from the builder, "layers[i]" in render). */
static int check_layer_at(const cJSON *layer, const char *arg, const char *path, lash_err *e) {
  char at[160];
  if (lash__json_is_nullish(layer)) return LASH_OK;
  if (!cJSON_IsObject(layer)) return lash__err(e, INVALID, arg, "`%s` must be an object", path);
  const cJSON *v, *slots;
  int rc = field(layer, "template", &v, arg, path, e);
  if (rc) return rc;
  snprintf(at, sizeof at, "%.64s.template", path);
  if (!lash__json_is_nullish(v) && (rc = check_template(v, arg, at, e))) return rc;
  if ((rc = field(layer, "slots", &slots, arg, path, e))) return rc;
  if (!slots) return LASH_OK;
  if (!cJSON_IsObject(slots)) return lash__err(e, INVALID, arg, "`%s.slots` must be an object", path);
  for (const cJSON *s = slots->child; s; s = s->next) {
    int slot = -1;
    for (int k = 0; SLOT_NAMES[k]; k++)
      if (s->string && !strcmp(s->string, SLOT_NAMES[k])) slot = k;
    if (slot < 0)
      return lash__err(e, INVALID, arg, "`%s.slots`: unknown slot `%.48s`", path,
                       s->string ? s->string : "");
    snprintf(at, sizeof at, "%.64s.slots.%s", path, SLOT_NAMES[slot]);
    if (!cJSON_IsObject(s)) return lash__err(e, INVALID, arg, "`%s` must be an object", at);
    if ((rc = field(s, "reset", &v, arg, at, e))) return rc;
    if (v && !cJSON_IsBool(v)) return lash__err(e, INVALID, arg, "`%s.reset` must be a boolean", at);
    if ((rc = field(s, "contributions", &v, arg, at, e))) return rc;
    if (!v) continue;
    if (!cJSON_IsArray(v)) return lash__err(e, INVALID, arg, "`%s.contributions` must be an array", at);
    int i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
      snprintf(at, sizeof at, "%.64s.slots.%s.contributions[%d]", path, SLOT_NAMES[slot], i);
      if ((rc = check_contribution(c, arg, at, e))) return rc;
    }
  }
  return LASH_OK;
}

int lash__prompt_check_layer(const cJSON *layer, const char *argument, lash_err *e) {
  return check_layer_at(layer, argument ? argument : "prompt", "layer", e);
}

/* ---- resolution ------------------------------------------------------------------- */

/* A contribution, normalised as PromptContributionSet does (content and title trimmed,
 * empty title = none, empty content dropped); strings borrow from the cJSON. */
typedef struct {
  int slot, priority, has_title;
  span title, content;
  const cJSON *gate;
} contrib;

typedef struct {
  const lash_allocator *a;
  contrib *v;
  size_t n, cap;
} contrib_list;

/* Append c as a contribution of `slot` (resolve_prompt_layers overrides the slot a
 * contribution names with the slot it was filed under). 0 on OOM. */
static int add(contrib_list *l, const cJSON *c, int slot) {
  contrib x;
  x.slot = slot;
  x.content = trim(cJSON_GetObjectItemCaseSensitive(c, "content")->valuestring);
  if (!x.content.n) return 1;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "title");
  x.title = trim(cJSON_IsString(t) ? t->valuestring : "");
  x.has_title = x.title.n > 0;
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "priority");
  x.priority = p ? (int)p->valuedouble : 0;
  x.gate = cJSON_GetObjectItemCaseSensitive(c, "gate");
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    contrib *v = lash__realloc(l->a, l->v, cap * sizeof *v);
    if (!v) return 0;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = x;
  return 1;
}

static void drop_slot(contrib_list *l, int slot) {
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i].slot != slot) l->v[k++] = l->v[i];
  l->n = k;
}

static int has_tool(const char *const *tools, const char *name) {
  for (; tools && *tools; tools++)
    if (!strcmp(*tools, name)) return 1;
  return 0;
}

/* ToolCatalog::includes_prompt_contribution: no gate tools -> kept; else some gate tool
 * must be at least `minimum_availability`. The port's catalog is the callable tools
 * (no host API sets off/searchable/showcased), so a listed tool is Callable. */
static int gate_open(const cJSON *gate, const char *const *tools) {
  const cJSON *names = gate ? cJSON_GetObjectItemCaseSensitive(gate, "tools") : NULL;
  if (!names || !names->child) return 1;
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(gate, "minimum_availability");
  int min = m ? lookup(m, AVAIL_NAMES) : AVAIL_OFF;
  if (min > AVAIL_CALLABLE) return 0;
  for (const cJSON *t = names->child; t; t = t->next)
    if (has_tool(tools, t->valuestring)) return 1;
  return 0;
}

static int cmp_span(span a, span b) {
  size_t m = a.n < b.n ? a.n : b.n;
  int r = m ? memcmp(a.s, b.s, m) : 0;
  return r ? r : (a.n > b.n) - (a.n < b.n);
}

/* merge_prompt_contributions: slot order, priority, title (None first), content. */
static int cmp_contrib(const void *x, const void *y) {
  const contrib *a = x, *b = y;
  if (a->slot != b->slot) return a->slot < b->slot ? -1 : 1;
  if (a->priority != b->priority) return a->priority < b->priority ? -1 : 1;
  if (a->has_title != b->has_title) return a->has_title ? 1 : -1;
  int r = cmp_span(a->title, b->title);
  return r ? r : cmp_span(a->content, b->content);
}

/* ---- rendering -------------------------------------------------------------------- */

enum { ENTRY_TEXT, ENTRY_BUILTIN, ENTRY_SLOT };
typedef struct {
  int kind, which;
  const char *text;
} entry;

typedef struct {
  const char *title;
  entry entries[3];
  int n;
} static_section;

/* session_model/prompt.rs default_prompt_template() */
static const static_section DEFAULT_TEMPLATE[] = {
    {NULL, {{ENTRY_BUILTIN, BUILTIN_INTRO, NULL}, {ENTRY_SLOT, SLOT_INTRO, NULL}}, 2},
    {"Execution",
     {{ENTRY_BUILTIN, BUILTIN_EXECUTION, NULL}, {ENTRY_SLOT, SLOT_EXECUTION, NULL}},
     2},
    {"Guidance",
     {{ENTRY_BUILTIN, BUILTIN_GUIDANCE, NULL},
      {ENTRY_SLOT, SLOT_PROJECT, NULL},
      {ENTRY_SLOT, SLOT_GUIDANCE, NULL}},
     3},
    {"Environment", {{ENTRY_SLOT, SLOT_RUNTIME, NULL}, {ENTRY_SLOT, SLOT_ENV, NULL}}, 2},
};

typedef struct {
  const lash_prompt_ctx *ctx;
  const contrib *v;
  size_t start[N_SLOTS], end[N_SLOTS]; /* each slot's run in the sorted list */
  lash_buf out, parts;
} renderer;

/* Every part is non-empty, so a non-empty buffer means "a part came before". */
static void push_part(lash_buf *b, const char *s, size_t n) {
  if (b->len) lash__buf_append(b, "\n\n", 2);
  lash__buf_append(b, s, n);
}

static void push_text(lash_buf *b, const char *s) {
  span t = trim(s);
  if (t.n) push_part(b, t.s, t.n);
}

static void render_entry(renderer *r, const entry *en) {
  lash_buf *b = &r->parts;
  if (en->kind == ENTRY_TEXT) {
    push_text(b, en->text);
  } else if (en->kind == ENTRY_BUILTIN) {
    if (en->which == BUILTIN_INTRO) push_text(b, MAIN_AGENT_INTRO);
    else if (en->which == BUILTIN_EXECUTION) push_text(b, r->ctx->execution_prompt);
    else {
      /* render_core_guidance: the interactive-only line goes second, and only when the
       * model can actually ask (an `ask` tool is callable). */
      int ask = has_tool(r->ctx->tools, "ask");
      if (b->len) lash__buf_append(b, "\n\n", 2);
      lash__buf_puts(b, CORE_GUIDANCE_BASE[0]);
      if (ask) lash__buf_printf(b, "\n%s", CORE_GUIDANCE_INTERACTIVE_ONLY);
      lash__buf_printf(b, "\n%s\n%s", CORE_GUIDANCE_BASE[1], CORE_GUIDANCE_BASE[2]);
    }
  } else {
    for (size_t i = r->start[en->which]; i < r->end[en->which]; i++) {
      const contrib *c = &r->v[i];
      if (b->len) lash__buf_append(b, "\n\n", 2);
      if (c->has_title) {
        lash__buf_puts(b, "### ");
        lash__buf_append(b, c->title.s, c->title.n);
        lash__buf_append(b, "\n\n", 2);
      }
      lash__buf_append(b, c->content.s, c->content.n);
    }
  }
}

/* A section with no parts is dropped; a blank title renders no heading. */
static void finish_section(renderer *r, const char *title) {
  if (!r->parts.len) return;
  if (r->out.len) lash__buf_append(&r->out, "\n\n", 2);
  span t = trim(title);
  if (t.n) {
    lash__buf_puts(&r->out, "## ");
    lash__buf_append(&r->out, t.s, t.n);
    lash__buf_append(&r->out, "\n\n", 2);
  }
  lash__buf_append(&r->out, r->parts.data, r->parts.len);
  r->parts.len = 0;
  if (r->parts.oom) r->out.oom = 1;
}

/* Entries of a validated template (check_template ran first). */
static void render_template(renderer *r, const cJSON *template) {
  const cJSON *sections = cJSON_GetObjectItemCaseSensitive(template, "sections");
  for (const cJSON *s = sections->child; s; s = s->next) {
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(s, "title");
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(s, "entries");
    for (const cJSON *en = entries ? entries->child : NULL; en; en = en->next) {
      const char *kind = cJSON_GetObjectItemCaseSensitive(en, "kind")->valuestring;
      entry x = {ENTRY_TEXT, 0, NULL};
      if (!strcmp(kind, "text")) {
        x.text = cJSON_GetObjectItemCaseSensitive(en, "content")->valuestring;
      } else if (!strcmp(kind, "builtin")) {
        x.kind = ENTRY_BUILTIN;
        x.which = lookup(cJSON_GetObjectItemCaseSensitive(en, "builtin"), BUILTIN_NAMES);
      } else {
        x.kind = ENTRY_SLOT;
        x.which = lookup(cJSON_GetObjectItemCaseSensitive(en, "slot"), SLOT_NAMES);
      }
      render_entry(r, &x);
    }
    finish_section(r, cJSON_IsString(title) ? title->valuestring : NULL);
  }
}

char *lash__prompt_render(const lash_allocator *a, const lash_prompt_ctx *ctx,
                          const cJSON *const *layers, size_t n_layers, size_t *out_len,
                          lash_err *e) {
  static const lash_prompt_ctx no_ctx = {NULL, NULL, NULL};
  char at[48];
  if (out_len) *out_len = 0;
  if (!ctx) ctx = &no_ctx;
  if (n_layers && !layers) {
    lash__err(e, INVALID, "prompt", "null layer list");
    return NULL;
  }

  /* Validate everything first so resolution can trust the shapes. */
  const cJSON *pre = ctx->preamble;
  if (!lash__json_is_nullish(pre)) {
    if (!cJSON_IsArray(pre)) {
      lash__err(e, INVALID, "prompt", "`preamble` must be an array of contributions");
      return NULL;
    }
    int i = 0;
    for (const cJSON *c = pre->child; c; c = c->next, i++) {
      snprintf(at, sizeof at, "preamble[%d]", i);
      if (check_contribution(c, "prompt", at, e)) return NULL;
    }
  }
  for (size_t i = 0; i < n_layers; i++) {
    snprintf(at, sizeof at, "layers[%zu]", i);
    if (check_layer_at(layers[i], "prompt", at, e)) return NULL;
  }

  /* resolve_prompt_layers: the preamble is a layer of plain appends (no reset). */
  contrib_list l = {a, NULL, 0, 0};
  const cJSON *template = NULL; /* NULL = default_prompt_template() */
  int ok = 1;
  if (cJSON_IsArray(pre))
    for (const cJSON *c = pre->child; c && ok; c = c->next)
      ok = add(&l, c, lookup(cJSON_GetObjectItemCaseSensitive(c, "slot"), SLOT_NAMES));
  for (size_t i = 0; i < n_layers && ok; i++) {
    const cJSON *layer = layers[i];
    if (lash__json_is_nullish(layer)) continue;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(layer, "template");
    if (!lash__json_is_nullish(t)) template = t;
    const cJSON *slots = cJSON_GetObjectItemCaseSensitive(layer, "slots");
    /* slots is a map: a key given twice keeps its last value */
    const cJSON *last[N_SLOTS] = {NULL};
    for (const cJSON *s = slots ? slots->child : NULL; s; s = s->next)
      for (int k = 0; k < N_SLOTS; k++)
        if (!strcmp(s->string, SLOT_NAMES[k])) last[k] = s;
    for (int k = 0; k < N_SLOTS && ok; k++) {
      if (!last[k]) continue;
      if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(last[k], "reset"))) drop_slot(&l, k);
      const cJSON *cs = cJSON_GetObjectItemCaseSensitive(last[k], "contributions");
      for (const cJSON *c = cs ? cs->child : NULL; c && ok; c = c->next) ok = add(&l, c, k);
    }
  }
  if (!ok) {
    lash__free(a, l.v);
    lash__err(e, LASH_E_NOMEM, NULL, NULL);
    return NULL;
  }

  /* Gate against the tool catalog, then PromptContributionSet: sort and drop duplicates. */
  size_t n = 0;
  for (size_t i = 0; i < l.n; i++)
    if (gate_open(l.v[i].gate, ctx->tools)) l.v[n++] = l.v[i];
  if (n > 1) qsort(l.v, n, sizeof *l.v, cmp_contrib);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    if (!kept || cmp_contrib(&l.v[kept - 1], &l.v[i])) l.v[kept++] = l.v[i];

  renderer r;
  memset(&r, 0, sizeof r);
  r.ctx = ctx;
  r.v = l.v;
  for (size_t i = 0, k = 0; k < N_SLOTS; k++) {
    r.start[k] = i;
    while (i < kept && l.v[i].slot == (int)k) i++;
    r.end[k] = i;
  }
  lash__buf_init(&r.out, a);
  lash__buf_init(&r.parts, a);
  if (template) {
    render_template(&r, template);
  } else {
    for (size_t s = 0; s < sizeof DEFAULT_TEMPLATE / sizeof *DEFAULT_TEMPLATE; s++) {
      for (int k = 0; k < DEFAULT_TEMPLATE[s].n; k++) render_entry(&r, &DEFAULT_TEMPLATE[s].entries[k]);
      finish_section(&r, DEFAULT_TEMPLATE[s].title);
    }
  }
  lash__buf_append(&r.out, "", 0); /* NUL-terminate even an empty prompt */
  if (r.parts.oom) r.out.oom = 1;
  lash__buf_free(&r.parts);
  lash__free(a, l.v);
  char *text = lash__buf_take(&r.out, out_len);
  if (!text) lash__err(e, LASH_E_NOMEM, NULL, NULL);
  return text;
}
