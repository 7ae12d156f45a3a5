/* Tool-output budget projector. Expected values are worked out from lash's rules
 * (lash-plugin-tool-output-budget/src/lib.rs, lash-sansio/src/tool_output.rs); tests
 * named after a lash test port it. JSON literals use ' for " (see J()). */
#include <stdlib.h>

#include "plugins/budget.h"
#include "test.h"
#include "util/alloc.h"

/* lib.rs truncation_hint(), no path */
#define HINT                                                                                 \
  "The tool output was truncated. Use `read_file` with `offset`/`limit` or `grep` to inspect " \
  "specific sections instead of reading the whole file at once."
/* the same, as it appears inside a JSON string (serde escapes \n) */
#define HINT_AT_JSON(path)                                                                     \
  "The tool output was truncated. Full output saved to: " path "\\nUse `read_file` with "     \
  "`offset`/`limit` or `grep` to inspect specific sections instead of reading the whole file " \
  "at once."

static lash_budget_cfg cfg(lash_budget_mode mode, size_t limit, size_t max_lines) {
  lash_budget_cfg c = {mode, limit, max_lines};
  return c;
}

static char scratch[8][65536];
static int scratch_i;
/* s with ' turned into " (owned by a rotating static buffer). */
static const char *Q(const char *s) {
  char *d = scratch[scratch_i++ % 8];
  size_t i = 0;
  for (; s[i] && i + 1 < sizeof scratch[0]; i++) d[i] = s[i] == '\'' ? '"' : s[i];
  d[i] = '\0';
  return d;
}
static char *rep(const char *unit, size_t n) {
  size_t u = strlen(unit);
  char *d = malloc(u * n + 1);
  for (size_t i = 0; i < n; i++) memcpy(d + i * u, unit, u);
  d[u * n] = '\0';
  return d;
}
static cJSON *J(const char *s) {
  cJSON *v = cJSON_Parse(Q(s));
  if (!v) fprintf(stderr, "bad test JSON: %s\n", s);
  return v;
}
static cJSON *success_of(cJSON *payload) {
  cJSON *o = cJSON_CreateObject(), *oc = cJSON_AddObjectToObject(o, "outcome");
  cJSON_AddStringToObject(oc, "status", "success");
  cJSON_AddItemToObject(oc, "payload", payload);
  return o;
}

/* Truncate with the tool hint; returns a malloc'd copy for CHECK_STR. */
static char *trunc_text(lash_budget_cfg c, const char *text, int tail) {
  size_t n = 99;
  char *r = lash__budget_truncate_text(NULL, &c, text, strlen(text), tail, &n);
  CHECK(r && strlen(r) == n);
  return r;
}
#define CHECK_TRUNC(c, text, tail, want)       \
  do {                                         \
    char *r_ = trunc_text((c), (text), (tail)); \
    CHECK_STR(r_, (want));                     \
    free(r_);                                  \
  } while (0)

/* Project and return the whole parts array printed compactly (cJSON order). */
static char *project_print(lash_budget_cfg c, const char *tool, const cJSON *args, cJSON *output) {
  cJSON *parts = lash__budget_project_args(&c, tool, args, output);
  CHECK(parts != NULL);
  char *s = parts ? cJSON_PrintUnformatted(parts) : NULL;
  cJSON_Delete(parts);
  cJSON_Delete(output);
  return s;
}
/* The text of a projection that must be exactly one text part. */
static char *project_text1(lash_budget_cfg c, const char *tool, const cJSON *args, cJSON *output) {
  cJSON *parts = lash__budget_project_args(&c, tool, args, output);
  cJSON_Delete(output);
  CHECK(cJSON_GetArraySize(parts) == 1);
  cJSON *p = cJSON_GetArrayItem(parts, 0);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(p, "type")), "text");
  const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(p, "text"));
  char *r = t ? lash__strndup(NULL, t, strlen(t)) : NULL;
  cJSON_Delete(parts);
  return r;
}
#define CHECK_TEXT1(c, tool, output, want)                    \
  do {                                                        \
    char *r_ = project_text1((c), (tool), NULL, (output));    \
    CHECK_STR(r_, (want));                                    \
    free(r_);                                                 \
  } while (0)

static const lash_budget_cfg k_big = {LASH_BUDGET_BYTES, 1024, 400};

/* windowed_truncation_returns_input_unchanged_when_within_budget, plus the edges:
 * exactly the byte limit and exactly max_lines lines still pass through. */
static void test_passthrough(void) {
  CHECK_TRUNC(k_big, "a\nb\nc", 0, "a\nb\nc");
  CHECK_TEXT1(k_big, "grep", success_of(cJSON_CreateString("a\nb\nc")), "a\nb\nc");
  lash_budget_cfg d;
  lash__budget_default(&d);
  CHECK(d.mode == LASH_BUDGET_BYTES && d.limit == 16384 && d.max_lines == 400);
  char *x = rep("x", 16384);
  CHECK_TRUNC(d, x, 0, x);
  free(x);
  char *lines = rep("l\n", 400); /* 400 lines; the trailing \n adds none */
  CHECK_TRUNC(d, lines, 0, lines);
  free(lines);
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 0, 0), "", 0, ""); /* empty text is never cut */
}

/* Line cap bites first: unit "lines", count = lines dropped. */
static void test_line_cap_head(void) {
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 1000, 2), "a\nb\nc\nd", 0,
              "a\nb\n\n...2 lines truncated...\n\n" HINT);
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 1000, 2), "grep", success_of(cJSON_CreateString("a\nb\nc\nd")),
              "a\nb\n\n...2 lines truncated...\n\n" HINT);
  /* lines() drops the \r of \r\n; the preview is re-joined with \n */
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 1000, 2), "a\r\nb\r\nc", 0,
              "a\nb\n\n...1 lines truncated...\n\n" HINT);
  /* max_lines 0 keeps nothing */
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 1000, 0), "abc", 0, "\n\n...1 lines truncated...\n\n" HINT);
  /* lash quirk: over the byte limit only through the trailing \n, nothing is dropped */
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 3, 400), "abc\n", 0, "abc\n\n...0 lines truncated...\n\n" HINT);
}

/* exec_command / write_stdin keep the tail; marker and hint come first. */
static void test_tail_mode(void) {
  lash_budget_cfg c = cfg(LASH_BUDGET_BYTES, 1000, 2);
  CHECK_TEXT1(c, "exec_command", success_of(cJSON_CreateString("a\nb\nc\nd")),
              "...2 lines truncated...\n\n" HINT "\n\nc\nd");
  CHECK_TEXT1(c, "write_stdin", success_of(cJSON_CreateString("a\nb\nc\nd")),
              "...2 lines truncated...\n\n" HINT "\n\nc\nd");
  CHECK_TRUNC(c, "a\nb\nc\nd", 1, "...2 lines truncated...\n\n" HINT "\n\nc\nd");
  /* byte budget from the end: l4 (2) + \n l3 (3) = 5; l2 no longer fits; 11-5 chars gone */
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 5, 400), "exec_command",
              success_of(cJSON_CreateString("l1\nl2\nl3\nl4")),
              "...6 bytes truncated...\n\n" HINT "\n\nl3\nl4");
  /* walking back, a \r\n line costs its text only: c (1) + \n b (2) = 3; 9 - 3 chars gone */
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 3, 400), "exec_command",
              success_of(cJSON_CreateString("a\r\nb\r\nc\r\n")),
              "...6 bytes truncated...\n\n" HINT "\n\nb\nc");
  /* a lone over-long line keeps its head even in tail mode (lash cuts line[..cut]) */
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 4, 400), "0123456789", 1,
              "...6 bytes truncated...\n\n" HINT "\n\n0123");
}

/* Byte cap: whole lines while they fit; removed counts chars, labelled bytes; cuts land
 * on UTF-8 boundaries. */
static void test_bytes_utf8(void) {
  /* héllo (6 bytes) fits 9; \n+wörld would need 7 more. 15 chars - 5 kept = 10 */
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 9, 400), "h\xC3\xA9llo\nw\xC3\xB6rld\nfoo", 0,
              "h\xC3\xA9llo\n\n...10 bytes truncated...\n\n" HINT);
  /* 5 x 2-byte é, budget 5 -> back off to 4 bytes (2 chars); 3 chars removed */
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 5, 400), "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 0,
              "\xC3\xA9\xC3\xA9\n\n...3 bytes truncated...\n\n" HINT);
  /* windowed_truncation_never_splits_a_multibyte_char: 100 x '★' (3 bytes), budget 10 */
  char *stars = rep("\xE2\x98\x85", 100);
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 10, 400), stars, 0,
              "\xE2\x98\x85\xE2\x98\x85\xE2\x98\x85\n\n...97 bytes truncated...\n\n" HINT);
  free(stars);
}

/* windowed_truncation_truncates_over_long_single_line_instead_of_dropping_it */
static void test_single_huge_line(void) {
  char *line = rep("x", 1000), *head = rep("x", 64), want[1024];
  snprintf(want, sizeof want, "%s\n\n...936 bytes truncated...\n\n" HINT, head);
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 64, 400), line, 0, want);
  free(line);
  free(head);
}

/* tokens: size = ceil(bytes/4) against limit, window = limit*4 bytes, removed =
 * ceil(removed bytes/4). */
static void test_tokens(void) {
  /* truncates_strings_with_terminal_style_marker: 60 bytes = 15 tokens > 5; window 20
   * bytes; ceil(40/4) = 10 (no spill file here, so no "Full output saved to") */
  CHECK_TRUNC(cfg(LASH_BUDGET_TOKENS, 5, 400),
              "this is an example of a long output that should be truncated", 0,
              "this is an example o\n\n...10 tokens truncated...\n\n" HINT);
  char *x20 = rep("x", 20), *x21 = rep("x", 21), want[512];
  CHECK_TRUNC(cfg(LASH_BUDGET_TOKENS, 5, 400), x20, 0, x20); /* exactly 5 tokens */
  snprintf(want, sizeof want, "%s\n\n...1 tokens truncated...\n\n" HINT, x20);
  CHECK_TRUNC(cfg(LASH_BUDGET_TOKENS, 5, 400), x21, 0, want);
  free(x20);
  free(x21);
  CHECK_TRUNC(cfg(LASH_BUDGET_TOKENS, 100, 1), "a\nb\nc", 0, "a\n\n...2 lines truncated...\n\n" HINT);
}

/* limit 0: only format_truncation_marker(), with the ellipsis character. */
static void test_limit_zero(void) {
  CHECK_TRUNC(cfg(LASH_BUDGET_BYTES, 0, 400), "h\xC3\xA9llo", 0,
              "\xE2\x80\xA6" "5 chars truncated\xE2\x80\xA6");
  CHECK_TRUNC(cfg(LASH_BUDGET_TOKENS, 0, 400), "h\xC3\xA9llo", 1,
              "\xE2\x80\xA6" "2 tokens truncated\xE2\x80\xA6");
  /* an empty String payload is still one (empty) text part */
  char *t = project_text1(cfg(LASH_BUDGET_BYTES, 0, 400), "grep", NULL,
                          success_of(cJSON_CreateString("")));
  CHECK_STR(t, "");
  free(t);
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 0, 400), "grep", success_of(J("{'a':'xyz'}")),
              Q("{'a':'\xE2\x80\xA6" "3 chars truncated\xE2\x80\xA6'}"));
}

/* Other JSON: compact serde rendering, keys sorted (BTreeMap), string leaves cut. */
static void test_json_leaves(void) {
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 10, 400), "grep",
              success_of(J("{'z':[1,2.5,true,null,'abcdefghijkl'],'a':{'c':'x','b':-3},"
                           "'q':'q\\'\\b\\f\\u0001/\xC3\xA9'}")),
              Q("{'a':{'b':-3,'c':'x'},'q':'q\\'\\b\\f\\u0001/\xC3\xA9','z':[1,2.5,true,null,"
                "'abcdefghij\\n\\n...2 bytes truncated...\\n\\n" HINT "']}"));
  /* model_projection_can_collapse_large_structured_payload_to_string */
  char *x = rep("x", 200), *x40 = rep("x", 40), in[512], want[1024];
  snprintf(in, sizeof in, "{'results':[{'output':'%s'}]}", x);
  snprintf(want, sizeof want,
           "{'results':[{'output':'%s\\n\\n...160 bytes truncated...\\n\\n" HINT "'}]}", x40);
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 40, 400), "search_tools", success_of(J(in)), Q(want));
  free(x);
  free(x40);
  /* serde_json::Map keeps the last of repeated keys; scalars render as serde does */
  CHECK_TEXT1(k_big, "grep", success_of(J("{'a':'first','b':1,'a':'second'}")),
              Q("{'a':'second','b':1}"));
  CHECK_TEXT1(k_big, "grep", success_of(J("null")), "null");
  CHECK_TEXT1(k_big, "grep", success_of(J("true")), "true");
  CHECK_TEXT1(k_big, "grep",
              success_of(J("[1e20,0.1,1.5e-7,123456.5,0.00001,1e-6,-0.0,10000000000000000,"
                           "1.2345e21,18446744073709551616,-42,3]")),
              "[1e20,0.1,1.5e-7,123456.5,0.00001,1e-6,-0.0,10000000000000000,1.2345e21,"
              "1.8446744073709552e19,-42,3]");
  /* an escaped object is rendered as its entries (tool_value_escapes_user_reserved_key) */
  CHECK_TEXT1(k_big, "grep",
              success_of(J("{'$lash_tool_value':'object','entries':{'k':'v','$lash_tool_value':'user'}}")),
              Q("{'$lash_tool_value':'user','k':'v'}"));
}

/* truncation_hint_reuses_existing_full_output_path */
static void test_full_output_path(void) {
  char *x = rep("x", 20000), *tail = rep("x", 512);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "output", x);
  cJSON_AddStringToObject(p, "full_output_path", "/tmp/existing-shell-output.log");
  static char want[4096];
  snprintf(want, sizeof want,
           "{'full_output_path':'/tmp/existing-shell-output.log','output':'...19488 bytes "
           "truncated...\\n\\n" HINT_AT_JSON("/tmp/existing-shell-output.log") "\\n\\n%s'}",
           tail);
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 512, 400), "exec_command", success_of(p), Q(want));
  /* a blank path is ignored (lash filters !trim().is_empty(), Unicode whitespace) */
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 3, 400), "grep",
              success_of(J("{'full_output_path':'\\t\xC2\xA0','o':'abcd'}")),
              Q("{'full_output_path':'\\t\xC2\xA0','o':'abc\\n\\n...1 bytes truncated...\\n\\n" HINT "'}"));
  /* head mode names the path too */
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 2, 400), "grep",
              success_of(J("{'full_output_path':'/p','v':'abc'}")),
              Q("{'full_output_path':'/p','v':'ab\\n\\n...1 bytes truncated...\\n\\n" HINT_AT_JSON("/p") "'}"));
  /* an escaped object is read through its entries... */
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 2, 400), "grep",
              success_of(J("{'$lash_tool_value':'object','entries':{'full_output_path':'/p','v':'abc'}}")),
              Q("{'full_output_path':'/p','v':'ab\\n\\n...1 bytes truncated...\\n\\n" HINT_AT_JSON("/p") "'}"));
  /* ...but entries holding the tag key re-serialize escaped, so lash sees no path */
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 2, 400), "grep",
              success_of(J("{'$lash_tool_value':'object','entries':{'$lash_tool_value':'u',"
                           "'full_output_path':'/p','v':'abc'}}")),
              Q("{'$lash_tool_value':'u','full_output_path':'/p','v':'ab\\n\\n...1 bytes truncated...\\n\\n" HINT "'}"));
  free(x);
  free(tail);
}

#define IMG_REF "{'id':'img','media_type':{'kind':'image','type':'png'},'byte_len':3,'width':1,'height':1,'label':'tiny'}"
#define IMG_PART "{'type':'attachment','id':'img','media_type':{'kind':'image','type':'png'},'byte_len':3,'width':1,'height':1,'label':'tiny'}"

static void test_attachment(void) {
  char *s = project_print(k_big, "view", NULL,
                          success_of(J("{'$lash_tool_value':'attachment','ref':" IMG_REF "}")));
  CHECK_STR(s, Q("[" IMG_PART "]"));
  free(s);
  /* AttachmentRef field order, null optionals skipped */
  s = project_print(k_big, "view", NULL,
                    success_of(J("{'ref':{'label':'tiny','height':null,'byte_len':3,'id':'img',"
                                 "'media_type':{'kind':'image','type':'png'}},'$lash_tool_value':'attachment'}")));
  CHECK_STR(s, Q("[{'type':'attachment','id':'img','media_type':{'kind':'image','type':'png'},"
                 "'byte_len':3,'label':'tiny'}]"));
  free(s);
  /* tool_value_model_parts_preserve_attachment_position */
  s = project_print(k_big, "view", NULL,
                    success_of(J("['before',{'$lash_tool_value':'attachment','ref':" IMG_REF "},'after']")));
  CHECK_STR(s, Q("[{'type':'text','text':'[\\'before\\','}," IMG_PART ",{'type':'text','text':',\\'after\\']'}]"));
  free(s);
}

static cJSON *outcome_of(const char *status, const char *payload) {
  cJSON *o = cJSON_CreateObject(), *oc = cJSON_AddObjectToObject(o, "outcome");
  cJSON_AddStringToObject(oc, "status", status);
  cJSON_AddItemToObject(oc, "payload", J(payload));
  return o;
}

static void test_failure_cancel(void) {
  /* tool_output_failure_projects_raw_attachments_after_failure_text */
  char *s = project_print(k_big, "view", NULL,
                          outcome_of("failure", "{'class':'execution','code':'boom','message':'boom',"
                                     "'source':'tool','retry':{'type':'never'},'raw':{'image':"
                                     "{'$lash_tool_value':'attachment','ref':" IMG_REF "}}}"));
  CHECK_STR(s, Q("[{'type':'text','text':'[Tool execution failed]\\nboom'}," IMG_PART "]"));
  free(s);
  /* raw attachments in ToolValue order: keys sorted, arrays in order */
  s = project_print(k_big, "view", NULL,
                    outcome_of("failure", "{'message':'m','raw':{'b':{'$lash_tool_value':'attachment',"
                               "'ref':{'id':'B','media_type':1,'byte_len':1}},'a':[{'$lash_tool_value':"
                               "'attachment','ref':{'id':'A','media_type':1,'byte_len':1}}]}}"));
  CHECK_STR(s, Q("[{'type':'text','text':'[Tool execution failed]\\nm'},{'type':'attachment','id':'A',"
                 "'media_type':1,'byte_len':1},{'type':'attachment','id':'B','media_type':1,'byte_len':1}]"));
  free(s);
  CHECK_TEXT1(k_big, "grep", outcome_of("failure", "{'class':'execution','code':'c','message':''}"),
              "[Tool execution failed]");
  /* failure text is not budgeted */
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 4, 1), "grep",
              outcome_of("failure", "{'message':'a long\\nfailure message'}"),
              "[Tool execution failed]\na long\nfailure message");
  CHECK_TEXT1(k_big, "grep", outcome_of("cancelled", "{'message':'stopped','source':'cancellation'}"),
              "[Tool execution cancelled]\nstopped");
  CHECK_TEXT1(k_big, "grep", outcome_of("cancelled", "{'message':'','source':'cancellation'}"),
              "[Tool execution cancelled]");
}

/* batch_model_projection_preserves_projected_child_payloads */
static void test_batch_preserves(void) {
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 16384, 400), "batch",
              success_of(J("{'results':[{'tool':'read_file','success':true,'duration_ms':1,'result':"
                           "'very long child payload'},{'tool':'grep','success':false,'duration_ms':1,"
                           "'error':'boom'}]}")),
              Q("{'results':[{'duration_ms':1,'result':'very long child payload','success':true,"
                "'tool':'read_file'},{'duration_ms':1,'error':'boom','success':false,'tool':'grep'}]}"));
}

/* batch_history_projection_recursively_projects_child_payloads */
static void test_batch_recursive(void) {
  CHECK_TEXT1(cfg(LASH_BUDGET_BYTES, 8, 400), "batch",
              success_of(J("{'results':[{'tool':'read_file','success':true,'duration_ms':1,'result':"
                           "'child payload'},{'tool':'grep','success':false,'duration_ms':1,'error':'boom'}]}")),
              Q("{'results':[{'duration_ms':1,'result':'child pa\\n\\n...5 bytes truncated...\\n\\n" HINT
                "','success':true,'tool':'read_file'},{'duration_ms':1,'error':'boom','success':false,"
                "'tool':'grep'}]}"));
}

/* Child names from args, per-child direction, re-reading rendered children as JSON,
 * non-object children and nested batches. */
static void test_batch_children(void) {
  const char *results =
      "{'results':[{'index':0,'success':true,'result':'a\\nb'},{'success':true,'tool':'t','result':'123'},"
      "{'success':true,'tool':'t','result':'007'},{'success':true,'tool':'t','result':{'b':1,'a':'s'}},"
      "'loose\\nstring',{'tool':'batch','success':true,'result':{'results':['p\\nq']}}]}";
  cJSON *args = J("{'tool_calls':[{'tool':'exec_command','parameters':{}},{'tool':'x'}]}");
  char *t = project_text1(cfg(LASH_BUDGET_BYTES, 1000, 1), "batch", args, success_of(J(results)));
  CHECK_STR(t, Q("{'results':[{'duration_ms':0,'index':0,'result':'...1 lines truncated...\\n\\n" HINT
                 "\\n\\nb','success':true,'tool':'exec_command'},{'duration_ms':0,'result':123,'success':true,"
                 "'tool':'t'},{'duration_ms':0,'result':'007','success':true,'tool':'t'},{'duration_ms':0,"
                 "'result':{'a':'s','b':1},'success':true,'tool':'t'},'loose\\n\\n...1 lines truncated...\\n\\n"
                 HINT "',{'duration_ms':0,'result':{'results':['p\\n\\n...1 lines truncated...\\n\\n" HINT
                 "']},'success':true,'tool':'batch'}]}"));
  free(t);
  cJSON_Delete(args);
  /* without args the child is "tool" and keeps its head */
  t = project_text1(cfg(LASH_BUDGET_BYTES, 1000, 1), "batch", NULL,
                    success_of(J("{'results':[{'success':true,'duration_ms':7,'result':'a\\nb'}]}")));
  CHECK_STR(t, Q("{'results':[{'duration_ms':7,'result':'a\\n\\n...1 lines truncated...\\n\\n" HINT
                 "','success':true,'tool':'tool'}]}"));
  free(t);
  /* a failed batch projects its ToolFailure, which has no results */
  CHECK_TEXT1(k_big, "batch", outcome_of("failure", "{'message':'boom'}"), Q("{'results':[]}"));
  CHECK_TEXT1(k_big, "batch", success_of(J("{'other':1}")), Q("{'results':[]}"));
  CHECK_TEXT1(k_big, "batch", success_of(J("'hello'")), "hello");
}

/* observation_truncation_uses_shared_limits_and_hint */
static void test_observation(void) {
  lash_budget_cfg c = cfg(LASH_BUDGET_BYTES, 12, 2);
  size_t n;
  char *r = lash__budget_truncate_observation(NULL, &c, "line one\nline two\nline three", 28, &n);
  CHECK_STR(r, "line one\n\n...20 bytes truncated...\n\nThe print output was capped at 12 bytes and 2 "
               "lines max; original size was 28 bytes across 3 lines. Use a narrower `print` "
               "expression to inspect specific fields or slices instead of dumping the whole value "
               "at once.");
  CHECK(r && n == strlen(r));
  free(r);
  r = lash__budget_truncate_observation(NULL, &c, "short", 5, &n);
  CHECK_STR(r, "short");
  free(r);
}

static void test_from_json(void) {
  lash_budget_cfg c;
  lash_err e;
  CHECK(lash__budget_from_json(NULL, &c, &e) == LASH_OK && c.limit == 16384 && c.max_lines == 400);
  cJSON *v = J("{'mode':'tokens','limit':5,'max_lines':0,'other':true}");
  CHECK(lash__budget_from_json(v, &c, &e) == LASH_OK);
  CHECK(c.mode == LASH_BUDGET_TOKENS && c.limit == 5 && c.max_lines == 0);
  cJSON_Delete(v);
  v = J("{'limit':7}");
  CHECK(lash__budget_from_json(v, &c, &e) == LASH_OK && c.mode == LASH_BUDGET_BYTES && c.limit == 7 &&
        c.max_lines == 400);
  cJSON_Delete(v);
  static const char *const bad[] = {"{'mode':'chars'}", "{'mode':1}", "{'limit':-1}", "{'limit':1.5}",
                                    "{'limit':'5'}", "{'max_lines':null}", "{'limit':1,'limit':2}", "[]", "5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    v = J(bad[i]);
    c = cfg(LASH_BUDGET_TOKENS, 1, 1);
    memset(&e, 0, sizeof e);
    CHECK(lash__budget_from_json(v, &c, &e) == LASH_E_INVALID_ARGUMENT);
    CHECK_STR(e.argument, "tool_output_budget");
    CHECK(c.mode == LASH_BUDGET_TOKENS && c.limit == 1); /* untouched */
    cJSON_Delete(v);
  }
}

/* Every allocation failing in turn: NULL (never a partial answer) and no leaks. */
static long fail_after;
static void *f_alloc(size_t n, void *ud) { (void)ud; return fail_after-- > 0 ? malloc(n) : NULL; }
static void *f_realloc(void *p, size_t n, void *ud) { (void)ud; return fail_after-- > 0 ? realloc(p, n) : NULL; }
static void f_free(void *p, void *ud) { (void)ud; free(p); }
static void test_oom(void) {
  lash_allocator fa = {f_alloc, f_realloc, f_free, NULL};
  lash_budget_cfg c = cfg(LASH_BUDGET_BYTES, 8, 1);
  cJSON *args = J("{'tool_calls':[{'tool':'exec_command'}]}");
  cJSON *batch = success_of(J("{'results':[{'success':true,'result':'a\\nbcdefghijkl'},{'success':true,"
                              "'tool':'t','result':{'k':'123','j':[1]}},{'success':false,'error':'xyzxyzxyz'}]}"));
  cJSON *att = outcome_of("failure", "{'message':'m','raw':['x',{'$lash_tool_value':'attachment','ref':" IMG_REF "}]}");
  cJSON *mixed = success_of(J("{'b':['long string here',{'$lash_tool_value':'attachment','ref':" IMG_REF "}],'a':2.5}"));
  const cJSON *cases[] = {batch, att, mixed};
  const char *tools[] = {"batch", "view", "grep"};
  for (int k = 0; k < 3; k++) {
    cJSON *ref = lash__budget_project_args(&c, tools[k], args, cases[k]);
    char *want = cJSON_PrintUnformatted(ref);
    cJSON_Delete(ref);
    int done = 0;
    for (long n = 0; n < 10000 && !done; n++) {
      fail_after = n;
      lash__install_json_hooks(&fa);
      cJSON *got = lash__budget_project_args(&c, tools[k], args, cases[k]);
      fail_after = 1L << 30;
      if (got) {
        char *s = cJSON_PrintUnformatted(got);
        CHECK_STR(s, want);
        cJSON_free(s);
        cJSON_Delete(got);
        done = 1;
      }
    }
    lash__install_json_hooks(NULL);
    CHECK(done);
    cJSON_free(want);
  }
  for (long n = 0;; n++) {
    fail_after = n;
    size_t len;
    char *r = lash__budget_truncate_text(&fa, &c, "abc\ndef\nghi", 11, 1, &len);
    if (!r) continue;
    CHECK_STR(r, "...2 lines truncated...\n\n" HINT "\n\nghi");
    free(r);
    break;
  }
  cJSON_Delete(args);
  cJSON_Delete(batch);
  cJSON_Delete(att);
  cJSON_Delete(mixed);
}

TEST_MAIN(RUN(test_passthrough); RUN(test_line_cap_head); RUN(test_tail_mode); RUN(test_bytes_utf8);
          RUN(test_single_huge_line); RUN(test_tokens); RUN(test_limit_zero); RUN(test_json_leaves);
          RUN(test_full_output_path); RUN(test_attachment); RUN(test_failure_cancel);
          RUN(test_batch_preserves); RUN(test_batch_recursive); RUN(test_batch_children);
          RUN(test_observation); RUN(test_from_json); RUN(test_oom))
