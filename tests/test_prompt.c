/* Prompt layers. Expected texts follow lash's code (session_model/prompt.rs render,
 * prompt.rs merge, tool_catalog.rs gates); tests named lash_* port lash's own tests
 * (same inputs, their assertions plus the exact text the algorithm yields). */
#include <stdlib.h>

#include "cJSON.h"
#include "prompt/prompt.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"

#define INTRO "You are an AI coding assistant piloting the lash harness."
#define G1 "- Be concise. Avoid filler, hedging, and performative tone."
#define G_ASK "- Take initiative when the user's intent is clear. Ask only when progress is blocked."
#define G2                                                                                     \
  "- Do not restate a conclusion you already stated. Once a fix location is identified, act " \
  "on it in the same turn."
#define G3 "- Prefer the simplest correct solution over cleverness or unnecessary abstraction."
#define GUIDE G1 "\n" G2 "\n" G3
#define GUIDE_ASK G1 "\n" G_ASK "\n" G2 "\n" G3

static const char *const NO_TOOLS[] = {NULL};
static const char *const ASK[] = {"ask", NULL};

/* JSON written with single quotes (no apostrophes inside), parsed with double. */
static cJSON *J(const char *single_quoted) {
  if (!single_quoted) return NULL;
  size_t n = strlen(single_quoted);
  char *s = malloc(n + 1);
  for (size_t i = 0; i <= n; i++) s[i] = single_quoted[i] == '\'' ? '"' : single_quoted[i];
  cJSON *v = cJSON_Parse(s);
  free(s);
  if (!v) fprintf(stderr, "bad test JSON: %s\n", single_quoted);
  return v;
}

/* Render layers given as JSON texts (NULL = absent layer); e may be NULL. */
static char *render_n(const lash_prompt_ctx *ctx, const char *const *layers, size_t n,
                      lash_err *e) {
  const cJSON *parsed[8] = {NULL};
  for (size_t i = 0; i < n; i++) parsed[i] = J(layers[i]);
  lash_err local = {0};
  size_t len = 123;
  char *text = lash__prompt_render(NULL, ctx, parsed, n, &len, e ? e : &local);
  if (text) CHECK(len == strlen(text));
  else CHECK(len == 0);
  for (size_t i = 0; i < n; i++) cJSON_Delete((cJSON *)parsed[i]);
  return text;
}
#define RENDER(ctx, ...)                                                               \
  render_n(ctx, (const char *const[]){__VA_ARGS__},                                    \
           sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), NULL)

/* Check and free. */
static void expect(char *got, const char *want) {
  CHECK_STR(got, want);
  free(got);
}

/* ---- builtins and the default template ---- */

/* lash: default_template_renders_builtin_sections */
static void lash_default_template_renders_builtin_sections(void) {
  lash_prompt_ctx ctx = {NULL, "protocol execution", ASK};
  char *t = RENDER(&ctx, NULL);
  CHECK(t && strstr(t, INTRO));
  CHECK(t && strstr(t, "## Execution"));
  CHECK(t && strstr(t, "protocol execution"));
  CHECK(t && strstr(t, "## Guidance"));
  CHECK(t && strstr(t, "Ask only when progress is blocked"));
  /* Environment has no contributions: dropped. */
  expect(t, INTRO "\n\n## Execution\n\nprotocol execution\n\n## Guidance\n\n" GUIDE_ASK);
}

/* lash: core_guidance_drops_ask_line_when_ask_tool_absent */
static void lash_core_guidance_drops_ask_line_when_ask_tool_absent(void) {
  const char *const tools[] = {"read_file", "asking", NULL};
  lash_prompt_ctx ctx = {NULL, "protocol execution", tools};
  char *t = RENDER(&ctx, NULL);
  CHECK(t && strstr(t, "Be concise"));
  CHECK(t && strstr(t, "Prefer the simplest correct solution"));
  CHECK(t && !strstr(t, "Ask only when progress is blocked"));
  expect(t, INTRO "\n\n## Execution\n\nprotocol execution\n\n## Guidance\n\n" GUIDE);
}

/* lash: core_guidance_keeps_ask_line_when_ask_tool_present (the line goes second) */
static void lash_core_guidance_keeps_ask_line_when_ask_tool_present(void) {
  const char *const tools[] = {"read_file", "ask", NULL};
  lash_prompt_ctx ctx = {NULL, "x", tools};
  expect(RENDER(&ctx, "{'template':{'sections':[{'entries':[{'kind':'builtin','builtin':'core_guidance'}]}]}}"),
         GUIDE_ASK);
}

static void default_template_without_execution_prompt(void) {
  /* No protocol text and no contributions: only intro and guidance remain. */
  expect(RENDER(NULL, NULL), INTRO "\n\n## Guidance\n\n" GUIDE);
  lash_prompt_ctx ctx = {NULL, " \n\t ", NO_TOOLS}; /* blank text trims away */
  expect(RENDER(&ctx, "{}", NULL), INTRO "\n\n## Guidance\n\n" GUIDE);
  /* Execution text is trimmed like any template text. */
  ctx.execution_prompt = "\n  run things  \n";
  expect(RENDER(&ctx, NULL), INTRO "\n\n## Execution\n\nrun things\n\n## Guidance\n\n" GUIDE);
}

static void standard_preamble(void) {
  const char *x = lash__prompt_standard_execution_text();
  CHECK(strstr(x, "Example \xE2\x80\x94 two independent reads in one `batch` call:\n\n```json\n{\n") != NULL);
  CHECK(strstr(x, "    { \"tool\": \"grep\", \"parameters\": { \"query\": \"ToolProvider\", \"path\": \"crates/lash/src/\" } }\n  ]\n}\n```") != NULL);
  CHECK(!strncmp(x, "Use direct tool calls.\n\n- Use `batch` (up to 25 calls)", 54));
  CHECK(strlen(x) >= 3 && !strcmp(x + strlen(x) - 3, "```")); /* raw string: no final newline */

  /* The standard driver contributes nothing of its own (extra_prompt_contributions is empty). */
  cJSON *pre = lash__prompt_standard_preamble();
  CHECK(cJSON_IsArray(pre) && cJSON_GetArraySize(pre) == 0);
  const char *const tools[] = {"batch", NULL};
  lash_prompt_ctx ctx = {pre, x, tools};
  char *t = RENDER(&ctx, NULL, "{}", NULL, NULL);
  lash_buf want;
  lash__buf_init(&want, NULL);
  lash__buf_printf(&want, "%s\n\n## Execution\n\n%s\n\n## Guidance\n\n%s", INTRO, x, GUIDE);
  expect(t, want.data);
  lash__buf_free(&want);
  cJSON_Delete(pre);

  /* Preamble contributions land in their own slot, after the builtin. */
  pre = J("[{'slot':'execution','title':'Protocol','priority':0,'content':'extra'}]");
  ctx.preamble = pre;
  ctx.execution_prompt = "run";
  expect(RENDER(&ctx, NULL),
         INTRO "\n\n## Execution\n\nrun\n\n### Protocol\n\nextra\n\n## Guidance\n\n" GUIDE);
  cJSON_Delete(pre);
}

/* ---- contributions ---- */

/* lash: build_prompt_renders_template_from_merged_context (duplicates merge) */
static void lash_build_prompt_renders_template_from_merged_context(void) {
  const char *const tools[] = {"read_file", NULL};
  lash_prompt_ctx ctx = {NULL, "Use tools.", tools};
  char *t = RENDER(&ctx,
                   "{'slots':{'guidance':{'contributions':["
                   "{'slot':'guidance','title':'Repo','content':'Follow repo rules.'},"
                   "{'slot':'guidance','title':'Repo','content':'Follow repo rules.'}]},"
                   "'project_instructions':{'contributions':["
                   "{'slot':'project_instructions','title':'Project Instructions','priority':0,"
                   "'content':'Be careful.'}]}}}");
  CHECK(t && strstr(t, "Use tools.") && strstr(t, "Follow repo rules.") && strstr(t, "Be careful."));
  /* project_instructions precedes guidance in the Guidance section */
  expect(t, INTRO "\n\n## Execution\n\nUse tools.\n\n## Guidance\n\n" GUIDE
                  "\n\n### Project Instructions\n\nBe careful.\n\n### Repo\n\nFollow repo rules.");
}

/* lash: template_renders_slot_contributions_in_order */
static void lash_template_renders_slot_contributions_in_order(void) {
  lash_prompt_ctx ctx = {NULL, "protocol execution", NO_TOOLS};
  char *t = RENDER(&ctx, "{'slots':{'guidance':{'contributions':["
                         "{'slot':'guidance','title':'Second Guide','priority':10,'content':'Second details.'},"
                         "{'slot':'guidance','title':'First Guide','priority':0,'content':'First details.'}]}}}");
  CHECK(t && strstr(t, "### First Guide") && strstr(t, "### Second Guide"));
  CHECK(t && strstr(t, "### First Guide") < strstr(t, "### Second Guide"));
  expect(t, INTRO "\n\n## Execution\n\nprotocol execution\n\n## Guidance\n\n" GUIDE
                  "\n\n### First Guide\n\nFirst details.\n\n### Second Guide\n\nSecond details.");
}

/* Ascending priority; ties by title (untitled first, then bytes), then content. */
static void priority_ordering(void) {
  expect(RENDER(NULL, "{'template':{'sections':[{'entries':[{'kind':'slot','slot':'guidance'}]}]},"
                      "'slots':{'guidance':{'contributions':["
                      "{'slot':'guidance','title':'b','content':'B'},"
                      "{'slot':'guidance','content':'untitled z'},"
                      "{'slot':'guidance','title':'a','content':'A2'},"
                      "{'slot':'guidance','title':'a','content':'A1'},"
                      "{'slot':'guidance','title':'Z','content':'upper sorts first'},"
                      "{'slot':'guidance','title':'late','priority':7,'content':'L'},"
                      "{'slot':'guidance','title':'early','priority':-2147483648,'content':'E'}]}}}"),
         "### early\n\nE\n\nuntitled z\n\n### Z\n\nupper sorts first\n\n### a\n\nA1\n\n### a\n\nA2"
         "\n\n### b\n\nB\n\n### late\n\nL");
}

/* PromptContributionSet normalisation: trimmed, blank titles dropped, blank content dropped. */
static void contribution_normalisation(void) {
  expect(RENDER(NULL, "{'template':{'sections':[{'title':'S','entries':[{'kind':'slot','slot':'environment'}]}]},"
                      "'slots':{'environment':{'contributions':["
                      "{'slot':'environment','title':'  T  ','content':'  body \\n'},"
                      "{'slot':'environment','title':' ','content':'no title'},"
                      "{'slot':'environment','title':null,'content':'null title'},"
                      "{'slot':'environment','title':'Empty','content':' \\t\\n '},"
                      "{'slot':'environment','content':'\\u00a0\\u3000nbsp\\u2028'},"
                      "{'slot':'environment','title':'T','content':'body'}]}}}"),
         /* 'nbsp' sorts before 'no title', 'null title'; the duplicate T/body merges */
         "## S\n\nnbsp\n\nno title\n\nnull title\n\n### T\n\nbody");
}

/* lash: template_can_place_project_instructions_separately */
static void lash_template_can_place_project_instructions_separately(void) {
  lash_prompt_ctx ctx = {NULL, "protocol execution", NO_TOOLS};
  char *t = RENDER(&ctx,
                   "{'template':{'sections':["
                   "{'title':'Rules','entries':[{'kind':'slot','slot':'project_instructions'}]},"
                   "{'title':'Guidance','entries':[{'kind':'slot','slot':'guidance'}]}]},"
                   "'slots':{'project_instructions':{'contributions':[{'slot':'project_instructions',"
                   "'title':'Project Instructions','content':'Repo rules'}]},"
                   "'guidance':{'contributions':[{'slot':'guidance','title':'Shell','content':'Use exec_command.'}]}}}");
  CHECK(t && strstr(t, "## Rules") && strstr(t, "Repo rules") && strstr(t, "## Guidance") &&
        strstr(t, "### Shell"));
  expect(t, "## Rules\n\n### Project Instructions\n\nRepo rules\n\n## Guidance\n\n### Shell\n\nUse exec_command.");
}

/* ---- layers ---- */

#define G_P_TEMPLATE                                                              \
  "'template':{'sections':[{'title':'G','entries':[{'kind':'slot','slot':'guidance'}]}," \
  "{'title':'P','entries':[{'kind':'slot','slot':'project_instructions'}]}]}"

/* lash: prompt_layers_append_inherited_slot_content */
static void lash_prompt_layers_append_inherited_slot_content(void) {
  expect(RENDER(NULL, "{" G_P_TEMPLATE ",'slots':{'guidance':{'contributions':[{'slot':'guidance','title':'Core','content':'core'}]}}}",
                "{'slots':{'guidance':{'contributions':[{'slot':'guidance','title':'Session','content':'session'}]}}}"),
         "## G\n\n### Core\n\ncore\n\n### Session\n\nsession");
}

/* lash: prompt_layers_clear_one_slot_without_touching_others */
static void lash_prompt_layers_clear_one_slot_without_touching_others(void) {
  expect(RENDER(NULL, "{" G_P_TEMPLATE ",'slots':{'guidance':{'contributions':[{'slot':'guidance','title':'Guide','content':'guide'}]},"
                      "'project_instructions':{'contributions':[{'slot':'project_instructions','title':'Project Instructions','content':'project'}]}}}",
                "{'slots':{'guidance':{'reset':true}}}"),
         "## P\n\n### Project Instructions\n\nproject");
}

/* lash: prompt_layers_replace_slot_and_normalize_contribution_slot */
static void lash_prompt_layers_replace_slot_and_normalize_contribution_slot(void) {
  expect(RENDER(NULL, "{" G_P_TEMPLATE ",'slots':{'guidance':{'contributions':[{'slot':'guidance','title':'Guide','content':'old'}]}}}",
                "{'slots':{'guidance':{'reset':true,'contributions':[{'slot':'project_instructions','title':'Project Instructions','content':'new'}]}}}"),
         /* filed under guidance, so it renders there, not under P */
         "## G\n\n### Project Instructions\n\nnew");
}

/* lash: prompt_layers_allow_later_append_after_replace (core -> session -> turn) */
static void lash_prompt_layers_allow_later_append_after_replace(void) {
  expect(RENDER(NULL, "{" G_P_TEMPLATE ",'slots':{'guidance':{'contributions':[{'slot':'guidance','title':'Guide','content':'old'}]}}}",
                "{'slots':{'guidance':{'reset':true,'contributions':[{'slot':'guidance','title':'New','content':'new'}]}}}",
                "{'slots':{'guidance':{'contributions':[{'slot':'guidance','title':'Turn','content':'turn'}]}}}"),
         "## G\n\n### New\n\nnew\n\n### Turn\n\nturn");
}

/* Reset reaches the protocol preamble too, and spares the resetting layer's own entries
 * and other slots; reset:false appends; a slot key given twice keeps its last value. */
static void reset_across_layers(void) {
  cJSON *pre = J("[{'slot':'guidance','title':'Pre','content':'from protocol'},"
                 "{'slot':'project_instructions','content':'pre project'}]");
  lash_prompt_ctx ctx = {pre, NULL, NO_TOOLS};
  expect(RENDER(&ctx, "{" G_P_TEMPLATE "}",
                "{'slots':{'guidance':{'reset':false,'contributions':[{'slot':'guidance','title':'Core','content':'kept?'}]}}}",
                "{'slots':{'guidance':{'reset':true,'contributions':[{'slot':'guidance','title':'Session','content':'s'}]}}}",
                "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'first value'}]},"
                "'guidance':{'contributions':[{'slot':'guidance','title':'Turn','content':'t'}]}}}"),
         "## G\n\n### Session\n\ns\n\n### Turn\n\nt\n\n## P\n\npre project");
  cJSON_Delete(pre);
}

/* lash: prompt_layers_use_later_template */
static void lash_prompt_layers_use_later_template(void) {
  lash_prompt_ctx ctx = {NULL, "execute", NO_TOOLS};
  char *t = RENDER(&ctx,
                   "{'template':{'sections':[{'entries':[{'kind':'text','content':'core'},{'kind':'builtin','builtin':'execution_instructions'}]}]}}",
                   "{'template':{'sections':[{'entries':[{'kind':'text','content':'session'},{'kind':'builtin','builtin':'execution_instructions'}]}]}}");
  CHECK(t && strstr(t, "session") && !strstr(t, "core"));
  expect(t, "session\n\nexecute");
}

/* plugin -> core -> session -> turn: the turn template wins; a null template keeps the
 * inherited one; contributions from every layer still apply. */
static void turn_layer_overrides_core_template(void) {
  lash_prompt_ctx ctx = {NULL, "execute", NO_TOOLS};
  expect(RENDER(&ctx, NULL,
                "{'template':{'sections':[{'title':'Core','entries':[{'kind':'text','content':'core'}]}]}}",
                "{'slots':{'intro':{'contributions':[{'slot':'intro','content':'session intro'}]}}}",
                "{'template':{'sections':[{'title':'Turn','entries':[{'kind':'slot','slot':'intro'},{'kind':'builtin','builtin':'main_agent_intro'}]}]}}"),
         "## Turn\n\nsession intro\n\n" INTRO);
  expect(RENDER(&ctx, "{'template':{'sections':[{'entries':[{'kind':'text','content':'core'}]}]}}",
                "{'template':null}"),
         "core");
}

/* ---- custom templates ---- */

static void custom_template_entries(void) {
  lash_prompt_ctx ctx = {NULL, "  exec text  ", NO_TOOLS};
  expect(RENDER(&ctx,
                "{'template':{'sections':["
                "{'entries':[{'kind':'text','content':'  Hello  '},{'kind':'builtin','builtin':'main_agent_intro'}]},"
                "{'title':'  Tools  ','entries':[{'kind':'builtin','builtin':'execution_instructions'},{'kind':'slot','slot':'execution'}]},"
                "{'title':'Empty','entries':[{'kind':'text','content':'   '},{'kind':'slot','slot':'environment'}]},"
                "{'title':'NoEntries'},"
                "{'title':'   ','entries':[{'kind':'text','content':'no heading'}]},"
                "{'title':'Guide','entries':[{'kind':'builtin','builtin':'core_guidance'},{'kind':'text','content':'tail'}]}]},"
                "'slots':{'execution':{'contributions':[{'slot':'execution','title':'X','content':'x content'}]}}}"),
         "Hello\n\n" INTRO "\n\n## Tools\n\nexec text\n\n### X\n\nx content\n\nno heading\n\n## Guide\n\n" GUIDE
         "\n\ntail");
}

/* lash: template_can_omit_builtin_guidance_and_keep_plugin_guidance */
static void lash_template_can_omit_builtin_guidance_and_keep_plugin_guidance(void) {
  lash_prompt_ctx ctx = {NULL, "protocol execution", NO_TOOLS};
  char *t = RENDER(&ctx, "{'template':{'sections':[{'title':'Guidance','entries':[{'kind':'slot','slot':'guidance'}]}]},"
                         "'slots':{'guidance':{'contributions':[{'slot':'guidance','title':'Custom','content':'More guidance.'}]}}}");
  CHECK(t && strstr(t, "## Guidance") && strstr(t, "### Custom") && !strstr(t, "Be concise. Avoid filler"));
  expect(t, "## Guidance\n\n### Custom\n\nMore guidance.");
}

/* lash: empty_sections_are_skipped (an empty prompt is "", not NULL) */
static void lash_empty_sections_are_skipped(void) {
  lash_prompt_ctx ctx = {NULL, "protocol execution", NO_TOOLS};
  expect(RENDER(&ctx, "{'template':{'sections':[{'title':'Environment','entries':[{'kind':'slot','slot':'environment'}]}]}}"),
         "");
  expect(RENDER(&ctx, "{'template':{'sections':[]}}"), "");
}

/* ---- gates ---- */

/* lash: prompt_gate_requires_matching_tool_availability, over the port's catalog (the
 * callable tools) */
static void gated_contributions(void) {
  const char *const tools[] = {"search_tools", "read_file", NULL};
  cJSON *pre = J("[{'slot':'guidance','title':'PreGated','content':'hidden','gate':{'tools':['missing_tool']}}]");
  lash_prompt_ctx ctx = {pre, NULL, tools};
  expect(RENDER(&ctx, "{'template':{'sections':[{'entries':[{'kind':'slot','slot':'guidance'}]}]},"
                      "'slots':{'guidance':{'contributions':["
                      "{'slot':'guidance','title':'Plain','content':'always'},"
                      "{'slot':'guidance','title':'Discovery','content':'discover','gate':{'tools':['search_tools'],'minimum_availability':'callable'}},"
                      "{'slot':'guidance','title':'Off','content':'off','gate':{'tools':['missing_tool'],'minimum_availability':'callable'}},"
                      "{'slot':'guidance','title':'Any','content':'any','gate':{'tools':['missing_tool','read_file']}},"
                      "{'slot':'guidance','title':'Searchable','content':'s','gate':{'tools':['read_file'],'minimum_availability':'searchable'}},"
                      "{'slot':'guidance','title':'Showcased','content':'sc','gate':{'tools':['read_file'],'minimum_availability':'showcased'}},"
                      "{'slot':'guidance','title':'NoTools','content':'open','gate':{'tools':[],'minimum_availability':'showcased'}},"
                      "{'slot':'guidance','title':'EmptyGate','content':'open too','gate':{}}]}}}"),
         "### Any\n\nany\n\n### Discovery\n\ndiscover\n\n### EmptyGate\n\nopen too\n\n### NoTools\n\nopen"
         "\n\n### Plain\n\nalways\n\n### Searchable\n\ns");
  /* no tool catalog at all: every gated contribution is hidden */
  ctx.tools = NULL;
  expect(RENDER(&ctx, "{'template':{'sections':[{'entries':[{'kind':'slot','slot':'guidance'}]}]},"
                      "'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'plain'},"
                      "{'slot':'guidance','content':'gated','gate':{'tools':['read_file']}}]}}}"),
         "plain");
  cJSON_Delete(pre);
}

/* ---- validation ---- */

static int layer_error(const char *json, const char *argument, lash_err *e) {
  cJSON *v = J(json);
  memset(e, 0, sizeof *e);
  int rc = lash__prompt_check_layer(v, argument, e);
  cJSON_Delete(v);
  return rc;
}

static void malformed_layers(void) {
  lash_err e;
  static const char *const bad[] = {
      "[]",
      "'text'",
      "{'template':{}}",
      "{'template':{'sections':{}}}",
      "{'template':{'sections':[1]}}",
      "{'template':{'sections':[{'title':3}]}}",
      "{'template':{'sections':[{'entries':null}]}}",
      "{'template':{'sections':[{'entries':[{'kind':'builtin','builtin':'MainAgentIntro'}]}]}}",
      "{'template':{'sections':[{'entries':[{'kind':'builtin'}]}]}}",
      "{'template':{'sections':[{'entries':[{'kind':'slot','slot':'footer'}]}]}}",
      "{'template':{'sections':[{'entries':[{'kind':'heading','content':'x'}]}]}}",
      "{'template':{'sections':[{'entries':[{'content':'x'}]}]}}",
      "{'template':{'sections':[{'entries':[{'kind':'text'}]}]}}",
      "{'template':{'sections':[{'entries':[{'kind':'text','content':1}]}]}}",
      "{'template':{'sections':[{'entries':[{'kind':'text','kind':'text','content':'x'}]}]}}",
      "{'slots':null}",
      "{'slots':[]}",
      "{'slots':{'bogus':{}}}",
      "{'slots':{'guidance':[]}}",
      "{'slots':{'guidance':{'reset':'yes'}}}",
      "{'slots':{'guidance':{'contributions':{}}}}",
      "{'slots':{'guidance':{'contributions':null}}}",
      "{'slots':{'guidance':{'contributions':['x']}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance'}]}}}",
      "{'slots':{'guidance':{'contributions':[{'content':'c'}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'Guidance','content':'c'}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','priority':1.5}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','priority':2147483648}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','priority':null}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','priority':'1'}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','title':1}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','gate':null}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','gate':{'tools':'ask'}}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','gate':{'tools':[1]}}]}}}",
      "{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','gate':{'minimum_availability':'sometimes'}}]}}}",
      "{'template':null,'template':null}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = layer_error(bad[i], "sessionPrompt", &e);
    if (rc != LASH_E_INVALID_ARGUMENT) fprintf(stderr, "accepted: %s\n", bad[i]);
    CHECK(rc == LASH_E_INVALID_ARGUMENT && !strcmp(e.argument, "sessionPrompt") && e.detail[0]);
  }
  static const char *const good[] = {
      "{}",
      "null",
      "{'template':null}",
      "{'unknown':1,'slots':{}}",
      "{'template':{'sections':[]}}",
      "{'template':{'sections':[{'title':null},{'title':'t','entries':[],'extra':true}]}}",
      "{'slots':{'guidance':{}}}",
      "{'slots':{'guidance':{'reset':false,'contributions':[]}}}",
      "{'slots':{'environment':{'contributions':[{'slot':'intro','title':null,'content':'','priority':-2147483648,"
      "'gate':{'tools':['a'],'minimum_availability':'off'},'other':1}]}}}",
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    int rc = layer_error(good[i], "sessionPrompt", &e);
    if (rc) fprintf(stderr, "rejected: %s (%s)\n", good[i], e.detail);
    CHECK(rc == LASH_OK);
  }
  CHECK(lash__prompt_check_layer(NULL, "x", &e) == LASH_OK);

  /* Messages name the path inside the layer. */
  CHECK(layer_error("{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'c','priority':1.5}]}}}",
                    "prompt", &e));
  CHECK_STR(e.detail, "`layer.slots.guidance.contributions[0].priority` must be a 32-bit integer");
  CHECK(layer_error("{'template':{'sections':[{'entries':[{'kind':'builtin','builtin':'MainAgentIntro'}]}]}}",
                    "prompt", &e));
  CHECK_STR(e.detail, "`layer.template.sections[0].entries[0].builtin`: unknown variant `MainAgentIntro`");
  CHECK(layer_error("{'template':null,'template':null}", "prompt", &e));
  CHECK_STR(e.detail, "`layer`: duplicate field `template`");

  /* render validates every layer (and the preamble) before resolving; errors name "prompt" */
  memset(&e, 0, sizeof e);
  const char *const layers[] = {"{'slots':{'guidance':{'contributions':[{'slot':'guidance','content':'ok'}]}}}",
                                NULL, "{'slots':{'bogus':{}}}"};
  CHECK(render_n(NULL, layers, 3, &e) == NULL);
  CHECK(e.code == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "prompt");
  CHECK_STR(e.detail, "`layers[2].slots`: unknown slot `bogus`");

  cJSON *pre = J("{'slot':'guidance','content':'x'}");
  lash_prompt_ctx ctx = {pre, NULL, NULL};
  memset(&e, 0, sizeof e);
  CHECK(render_n(&ctx, NULL, 0, &e) == NULL);
  CHECK(e.code == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "prompt");
  cJSON_Delete(pre);
  pre = J("[{'slot':'guidance'}]");
  ctx.preamble = pre;
  memset(&e, 0, sizeof e);
  CHECK(render_n(&ctx, NULL, 0, &e) == NULL);
  CHECK_STR(e.detail, "`preamble[0]`: missing field `content`");
  cJSON_Delete(pre);

  memset(&e, 0, sizeof e);
  CHECK(lash__prompt_render(NULL, NULL, NULL, 2, NULL, &e) == NULL);
  CHECK(e.code == LASH_E_INVALID_ARGUMENT);
}

/* ---- allocator: every allocation goes through the hook, and OOM unwinds cleanly ---- */

static long fail_after, n_allocs, live;
static void *t_alloc(size_t n, void *ud) {
  (void)ud;
  if (fail_after >= 0 && n_allocs++ >= fail_after) return NULL;
  void *p = malloc(n);
  if (p) live++;
  return p;
}
static void *t_realloc(void *p, size_t n, void *ud) {
  (void)ud;
  if (fail_after >= 0 && n_allocs++ >= fail_after) return NULL;
  void *q = realloc(p, n);
  if (q && !p) live++;
  return q;
}
static void t_free(void *p, void *ud) {
  (void)ud;
  if (p) live--;
  free(p);
}

static void allocator_and_oom(void) {
  lash_allocator a = {t_alloc, t_realloc, t_free, NULL};
  cJSON *layer = J("{'slots':{'guidance':{'contributions':["
                   "{'slot':'guidance','title':'A','content':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'},"
                   "{'slot':'guidance','title':'B','content':'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'}]}}}");
  const cJSON *layers[] = {layer};
  lash_prompt_ctx ctx = {NULL, lash__prompt_standard_execution_text(), ASK};
  int succeeded = 0;
  for (fail_after = 0; fail_after < 64 && !succeeded; fail_after++) {
    n_allocs = 0;
    live = 0;
    lash_err e = {0};
    size_t len = 0;
    char *t = lash__prompt_render(&a, &ctx, layers, 1, &len, &e);
    if (t) {
      succeeded = 1;
      CHECK(live == 1 && len == strlen(t) && strstr(t, "### B\n\nbbb"));
      lash__free(&a, t);
    } else {
      CHECK(e.code == LASH_E_NOMEM);
    }
    CHECK(live == 0);
  }
  CHECK(succeeded && fail_after > 1); /* at least one failure was injected */
  cJSON_Delete(layer);
}

TEST_MAIN(RUN(lash_default_template_renders_builtin_sections);
          RUN(lash_core_guidance_drops_ask_line_when_ask_tool_absent);
          RUN(lash_core_guidance_keeps_ask_line_when_ask_tool_present);
          RUN(default_template_without_execution_prompt); RUN(standard_preamble);
          RUN(lash_build_prompt_renders_template_from_merged_context);
          RUN(lash_template_renders_slot_contributions_in_order); RUN(priority_ordering);
          RUN(contribution_normalisation);
          RUN(lash_template_can_place_project_instructions_separately);
          RUN(lash_prompt_layers_append_inherited_slot_content);
          RUN(lash_prompt_layers_clear_one_slot_without_touching_others);
          RUN(lash_prompt_layers_replace_slot_and_normalize_contribution_slot);
          RUN(lash_prompt_layers_allow_later_append_after_replace); RUN(reset_across_layers);
          RUN(lash_prompt_layers_use_later_template); RUN(turn_layer_overrides_core_template);
          RUN(custom_template_entries);
          RUN(lash_template_can_omit_builtin_guidance_and_keep_plugin_guidance);
          RUN(lash_empty_sections_are_skipped); RUN(gated_contributions); RUN(malformed_layers);
          RUN(allocator_and_oom))
