/* Ports of lash's crates/lashlang/tests/rlm_prompt_claims.rs (commit 4af52886):
 * every claim the RLM system prompt makes about Lashlang runs as claimed. The
 * host plays lash's MockHost (files.read, tools.boom, shell.exec, files.patch).
 *
 * Not ported (process handles are gated in this port until processes land;
 * test_lashlang.c checks the refusal text): prompt_claim_start_returns_unwrapped_handle,
 * prompt_claim_named_process_start_returns_unwrapped_handle,
 * prompt_claim_await_handle_wraps_result_with_ok_value,
 * prompt_claim_question_unwraps_awaited_handle_results,
 * prompt_claim_await_list_returns_wrappers_in_order,
 * prompt_claim_await_record_returns_wrappers_by_name,
 * prompt_claim_cancel_handle_runs_without_error,
 * prompt_fanout_example_unwraps_spawn_and_wait_results_with_question. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "test.h"

static const char *g_files[][2] = {
  {"a.txt", "hello world"}, {"Cargo.toml", "line0\nline1\nline2\nline3\n"}, {"README.md", "abcdef"},
};

static void mock_call(const char *module, const char *tool, const char *args, int *ok, char **json) {
  cJSON *a = cJSON_Parse(args);
  cJSON *out = NULL;
  char key[128], msg[300];
  snprintf(key, sizeof key, "%s.%s", module, tool);
  *ok = 1;
  if (!strcmp(key, "files.read")) {
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "path"));
    for (size_t i = 0; path && i < sizeof g_files / sizeof *g_files; i++)
      if (!strcmp(g_files[i][0], path)) out = cJSON_CreateString(g_files[i][1]);
    if (!out) {
      snprintf(msg, sizeof msg, "no such file: %s", path ? path : "");
      out = cJSON_CreateString(path ? msg : "missing path");
      *ok = 0;
    }
  } else if (!strcmp(key, "shell.exec")) {
    const char *cmd = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "cmd"));
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "status", "completed");
    cJSON_AddBoolToObject(out, "done", 1);
    cJSON_AddBoolToObject(out, "running", 0);
    snprintf(msg, sizeof msg, "ran: %s", cmd ? cmd : "");
    cJSON_AddStringToObject(out, "output", msg);
    cJSON_AddNumberToObject(out, "exit_code", cmd && !strcmp(cmd, "test -f Cargo.lock") ? 1 : 0);
  } else if (!strcmp(key, "files.patch")) {
    out = cJSON_CreateString("patch applied");
  } else if (!strcmp(key, "tools.boom")) {
    out = cJSON_CreateString("explicit failure for tests");
    *ok = 0;
  } else {
    snprintf(msg, sizeof msg, "unknown tool: %s", tool);
    out = cJSON_CreateString(msg);
    *ok = 0;
  }
  *json = cJSON_PrintUnformatted(out);
  cJSON_Delete(out);
  cJSON_Delete(a);
}
#define LL_HOST_CALL mock_call
#include "lashlang_harness.h"

static void test_prompt_claim_value_literals_parse_and_evaluate(void) {
  CHECK_STR(run("submit null"), "null");
  CHECK_STR(run("submit true"), "true");
  CHECK_STR(run("submit 42"), "42");
  CHECK_STR(run("submit \"hi\""), "\"hi\"");
  CHECK_STR(run("submit [1, 2, 3]"), "[1,2,3]");
  CHECK_STR(run("submit { a: 1, b: 2 }"), "{\"a\":1,\"b\":2}");
}
static void test_prompt_claim_rust_style_raw_strings_parse_and_evaluate(void) {
  CHECK_STR(run("submit r##\"python3 - <<'PY'\nprint(\"\"\"hello\"\"\")\n\\n { braces stay raw }\nPY\"##"),
            "\"python3 - <<'PY'\\nprint(\\\"\\\"\\\"hello\\\"\\\"\\\")\\n\\\\n { braces stay raw }\\nPY\"");
}
static void test_prompt_claim_assignment_persists_within_program(void) { CHECK_STR(run("x = 7\ny = x + 3\nsubmit y"), "10"); }
static void test_prompt_claim_indexed_and_field_assignment_examples_work(void) {
  CHECK_STR(run("counts = {}\ng = \"alpha\"\ncounts[g] = counts[g] + 1\ncounts.total = 1\nitems = [0, 0]\n"
                "items[1] = counts[g]\nsubmit { counts: counts, items: items }"),
            "{\"counts\":{\"alpha\":1,\"total\":1},\"items\":[0,1]}");
}
static void test_prompt_claim_tool_call_success_is_wrapped_with_ok_and_value(void) {
  CHECK_STR(run("submit await files.read({ path: \"a.txt\" })"), "{\"ok\":true,\"value\":\"hello world\"}");
}
static void test_prompt_claim_tool_call_failure_is_wrapped_with_ok_false_and_error(void) {
  CHECK_STR(run("submit await tools.boom({})"), "{\"ok\":false,\"error\":\"explicit failure for tests\"}");
}
static void test_prompt_claim_value_field_reaches_the_underlying_tool_output(void) {
  CHECK_STR(run("r = await files.read({ path: \"a.txt\" })\nsubmit r.value"), "\"hello world\"");
}
static void test_prompt_claim_question_unwraps_successful_tool_results(void) {
  CHECK_STR(run("text = await files.read({ path: \"a.txt\" })?\nsubmit text"), "\"hello world\"");
}
static void test_prompt_claim_question_aborts_failed_tool_results_with_error(void) {
  CHECK(strstr(err_msg("submit await tools.boom({})?"), "explicit failure for tests") != NULL);
}
static void test_prompt_claim_print_feeds_value_to_host(void) {
  lash_ll_vm *vm = lash__ll_new(NULL, NULL);
  CHECK_STR(run_in(vm, "v = { total: 42 }\nprint v"), "DONE");
  CHECK(lash__ll_printed_count(vm) == 1);
  CHECK_STR(lash__ll_printed(vm, 0), "{\"total\":42}");
  lash__ll_free(vm);
}
static void test_prompt_claim_submit_terminates_program_with_value(void) { CHECK_STR(run("x = 3\nsubmit x * 2"), "6"); }
static void test_prompt_claim_bare_submit_terminates_with_null(void) { CHECK_STR(run("submit"), "null"); }
static void test_prompt_claim_if_for_while_and_ternary_work(void) {
  CHECK_STR(run("total = 0\nfor n in [1, 2, 3] {\n  total = total + n\n}\nsubmit total"), "6");
  CHECK_STR(run("submit true ? \"a\" : \"b\""), "\"a\"");
  CHECK_STR(run("if 1 < 2 { submit 7 } else { submit 9 }"), "7");
  CHECK_STR(run("items = []\nwhile len(items) < 3 {\n  items = items + [len(items)]\n}\nsubmit items"), "[0,1,2]");
}
static void test_prompt_claim_break_and_continue_control_nearest_loop(void) {
  CHECK_STR(run("seen = []\nfor outer in [1, 2] {\n  for inner in [1, 2, 3] {\n    if inner == 2 {\n      continue\n    }\n"
                "    if inner == 3 {\n      break\n    }\n    seen = seen + [format(\"{}:{}\", outer, inner)]\n  }\n}\nsubmit seen"),
            "[\"1:1\",\"2:1\"]");
}
static void test_prompt_claim_submit_exits_whole_program_not_loop(void) {
  CHECK_STR(run("for n in [1, 2, 3] {\n  submit n\n}\nsubmit 99"), "1");
}
static void test_prompt_claim_loop_control_requires_loop(void) {
  CHECK_STR(err_msg("break"), "`break` can only be used inside a loop");
  CHECK_STR(err_msg("continue"), "`continue` can only be used inside a loop");
}
static void test_prompt_claim_both_negation_forms_work(void) {
  CHECK_STR(run("submit !true"), "false");
  CHECK_STR(run("submit not true"), "false");
  CHECK_STR(run("submit !false"), "true");
  CHECK_STR(run("submit not false"), "true");
}
static void test_prompt_claim_builtin_len_returns_length(void) {
  CHECK_STR(run("submit len(\"hi\")"), "2");
  CHECK_STR(run("submit len([1,2,3])"), "3");
  CHECK_STR(run("submit len({a: 1, b: 2})"), "2");
  CHECK_STR(run("submit len(null)"), "0");
}
static void test_prompt_claim_builtin_empty_checks_zero_length(void) {
  CHECK_STR(run("submit empty(\"\")"), "true");
  CHECK_STR(run("submit empty(\"x\")"), "false");
  CHECK_STR(run("submit empty([])"), "true");
  CHECK_STR(run("submit empty([1])"), "false");
}
static void test_prompt_claim_builtin_slice_supports_null_bounds_and_negative_bounds(void) {
  CHECK_STR(run("submit slice(\"abcdef\", null, 3)"), "\"abc\"");
  CHECK_STR(run("submit slice(\"abcdef\", 3, null)"), "\"def\"");
  CHECK_STR(run("submit slice(\"abcdef\", 0, -2)"), "\"abcd\"");
  CHECK_STR(run("submit slice([1,2,3,4], 1, 3)"), "[2,3]");
}
static void test_prompt_claim_builtin_range_and_push_build_lists(void) {
  CHECK_STR(run("submit range(3)"), "[0,1,2]");
  CHECK_STR(run("submit range(-2, 1)"), "[-2,-1,0]");
  CHECK_STR(run("submit range(3, 3)"), "[]");
  CHECK_STR(run("submit range(0, 5, 2)"), "[0,2,4]");
  CHECK_STR(run("submit range(5, 0, -2)"), "[5,3,1]");
  CHECK_STR(run("base = [\"a\"]\nextended = push(base, \"b\")\nsubmit { base: base, extended: extended }"),
            "{\"base\":[\"a\"],\"extended\":[\"a\",\"b\"]}");
}
static void test_prompt_claim_start_is_contextual(void) {
  CHECK_STR(run("start = 1\nfor start in range(3) {\n  last = start\n}\nsubmit { value: start, field: { start: last }.start }"),
            "{\"value\":1,\"field\":2}");
}
static void test_prompt_claim_integer_division_helpers_support_chunk_math(void) {
  CHECK_STR(run("items = range(10)\nstep = ceil_div(len(items), 3)\nstarts = []\nfor i in range(0, len(items), step) {\n"
                "  starts = push(starts, i)\n}\nsubmit {\n  ceil_pos: ceil_div(10, 3),\n  floor_pos: floor_div(10, 3),\n"
                "  ceil_neg: ceil_div(-10, 3),\n  floor_neg: floor_div(-10, 3),\n  starts: starts\n}"),
            "{\"ceil_pos\":4,\"floor_pos\":3,\"ceil_neg\":-3,\"floor_neg\":-4,\"starts\":[0,4,8]}");
}
static void test_prompt_claim_builtin_split_and_join(void) {
  CHECK_STR(run("submit split(\"a,b,c\", \",\")"), "[\"a\",\"b\",\"c\"]");
  CHECK_STR(run("submit join([\"a\", \"b\", \"c\"], \"-\")"), "\"a-b-c\"");
}
static void test_prompt_claim_builtin_trim_strips_whitespace(void) { CHECK_STR(run("submit trim(\"  hi  \")"), "\"hi\""); }
static void test_prompt_claim_builtin_starts_ends_contains(void) {
  CHECK_STR(run("submit starts_with(\"foobar\", \"foo\")"), "true");
  CHECK_STR(run("submit ends_with(\"foobar\", \"bar\")"), "true");
  CHECK_STR(run("submit contains(\"foobar\", \"oob\")"), "true");
  CHECK_STR(run("submit contains([1,2,3], 2)"), "true");
}
static void test_prompt_claim_builtin_find_and_grep_text(void) {
  CHECK_STR(run("submit find(\"alpha beta\", \"beta\")"), "6");
  CHECK_STR(run("submit find(\"alpha\", \"z\")"), "null");
  CHECK_STR(run("submit grep_text(\"one\\nmatch here\\r\\nmatch again\\n\", \"match\")"),
            "[{\"line\":2,\"text\":\"match here\",\"match\":\"match\",\"start\":0,\"end\":5},"
            "{\"line\":3,\"text\":\"match again\",\"match\":\"match\",\"start\":0,\"end\":5}]");
}
static void test_prompt_claim_builtin_keys_and_values(void) {
  CHECK_STR(run("submit keys({a: 1, b: 2})"), "[\"a\",\"b\"]");
  CHECK_STR(run("submit values({a: 1, b: 2})"), "[1,2]");
}
static void test_prompt_claim_builtin_to_string_to_int_to_float(void) {
  CHECK_STR(run("submit to_string(42)"), "\"42\"");
  CHECK_STR(run("submit to_int(\"7\")"), "7");
  CHECK_STR(run("submit to_float(\"3.5\")"), "3.5");
}
static void test_prompt_claim_builtin_json_parse_parses_strings_to_values(void) {
  CHECK_STR(run("submit json_parse(\"{\\\"a\\\": 1}\")"), "{\"a\":1}");
}
static void test_prompt_claim_builtin_format_positional_placeholders(void) {
  CHECK_STR(run("submit format(\"hi {} you are {}\", \"sam\", 3)"), "\"hi sam you are 3\"");
  CHECK_STR(run("submit format(\"{1} {0}\", \"world\", \"hello\")"), "\"hello world\"");
  CHECK_STR(run("submit format(\"{{ {} }}\", \"x\")"), "\"{ x }\"");
}
static void test_prompt_claim_builtin_validate_checks_type_literals_mid_program(void) {
  CHECK_STR(run("raw = { name: \"lashlang\", labels: [\"agent\", \"runtime\"] }\nsubmit validate(raw, Type { name: str, labels: list[str] })"),
            "{\"name\":\"lashlang\",\"labels\":[\"agent\",\"runtime\"]}");
  CHECK(strstr(err_msg("submit validate({ labels: [\"agent\", 42] }, Type { labels: list[str] })"),
               "$.labels[1]: expected string, got number") != NULL);
}
static void test_prompt_example_format_block_executes_as_shown(void) {
  CHECK_STR(run("r = await files.read({ path: \"Cargo.toml\" })\nsubmit split(r.value, \"\\n\")[2]"), "\"line2\"");
}
static void test_prompt_example_allow_nonzero_exit_inspects_shell_exit_code(void) {
  CHECK_STR(run("probe = await shell.exec({ cmd: \"test -f Cargo.lock\", allow_nonzero_exit: true })?\n"
                "submit probe.exit_code == 0 ? \"Cargo.lock exists\" : \"Cargo.lock is missing\""),
            "\"Cargo.lock is missing\"");
}
static void test_prompt_example_loop_builds_collection_without_comprehension(void) {
  CHECK_STR(run("items = []\nfor path in [\"a.txt\", \"README.md\"] {\n  text = await files.read({ path: path })?\n"
                "  items = push(items, { path: path, chars: len(text) })\n}\nsubmit items"),
            "[{\"path\":\"a.txt\",\"chars\":11},{\"path\":\"README.md\",\"chars\":6}]");
}
static void test_prompt_example_prints_targeted_slice_for_large_values(void) {
  lash_ll_vm *vm = lash__ll_new(NULL, NULL);
  CHECK_STR(run_in(vm, "text = await files.read({ path: \"README.md\" })?\nprint { chars: len(text), head: slice(text, 0, 3) }"), "DONE");
  CHECK_STR(lash__ll_printed(vm, 0), "{\"chars\":6,\"head\":\"abc\"}");
  lash__ll_free(vm);
}
static void test_prompt_example_validates_nontrivial_edit_before_submit(void) {
  CHECK_STR(run("patch = r#\"*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-old\n+new\n*** End Patch\"#\n"
                "await files.patch({ input: patch })?\n"
                "check = await shell.exec({ cmd: \"cargo check --workspace --all-targets\", allow_nonzero_exit: true })?\n"
                "if check.exit_code != 0 {\n  print slice(check.output, 0, 4000)\n} else {\n"
                "  submit \"Edit applied and validation passed.\"\n}"),
            "\"Edit applied and validation passed.\"");
}
static void test_prompt_mentions_every_builtin_we_document(void) {
  static const char *smoke[] = {
    "submit len(\"a\")", "submit empty(\"\")", "submit slice(\"abc\", 0, 1)", "submit split(\"a,b\", \",\")",
    "submit join([\"a\",\"b\"], \",\")", "submit trim(\" a \")", "submit find(\"abc\", \"b\")",
    "submit grep_text(\"abc\", \"b\")", "submit starts_with(\"abc\", \"a\")", "submit ends_with(\"abc\", \"c\")",
    "submit contains(\"abc\", \"b\")", "submit keys({a: 1})", "submit values({a: 1})", "submit to_string(1)",
    "submit to_int(\"1\")", "submit to_float(\"1.5\")", "submit json_parse(\"1\")", "submit format(\"x\")",
    "submit validate({ value: \"x\" }, Type { value: str })", "submit range(1)", "submit ceil_div(3, 2)",
    "submit floor_div(3, 2)", "submit push([], \"x\")",
  };
  CHECK(sizeof smoke / sizeof *smoke == 23);
  for (size_t i = 0; i < sizeof smoke / sizeof *smoke; i++) {
    const char *out = run(smoke[i]);
    if (!strncmp(out, "ERR:", 4) || !strcmp(out, "DONE")) { fprintf(stderr, "  %s -> %s\n", smoke[i], out); CHECK(0); }
  }
}

TEST_MAIN(
  RUN(test_prompt_claim_value_literals_parse_and_evaluate);
  RUN(test_prompt_claim_rust_style_raw_strings_parse_and_evaluate);
  RUN(test_prompt_claim_assignment_persists_within_program);
  RUN(test_prompt_claim_indexed_and_field_assignment_examples_work);
  RUN(test_prompt_claim_tool_call_success_is_wrapped_with_ok_and_value);
  RUN(test_prompt_claim_tool_call_failure_is_wrapped_with_ok_false_and_error);
  RUN(test_prompt_claim_value_field_reaches_the_underlying_tool_output);
  RUN(test_prompt_claim_question_unwraps_successful_tool_results);
  RUN(test_prompt_claim_question_aborts_failed_tool_results_with_error);
  RUN(test_prompt_claim_print_feeds_value_to_host);
  RUN(test_prompt_claim_submit_terminates_program_with_value);
  RUN(test_prompt_claim_bare_submit_terminates_with_null);
  RUN(test_prompt_claim_if_for_while_and_ternary_work);
  RUN(test_prompt_claim_break_and_continue_control_nearest_loop);
  RUN(test_prompt_claim_submit_exits_whole_program_not_loop);
  RUN(test_prompt_claim_loop_control_requires_loop);
  RUN(test_prompt_claim_both_negation_forms_work);
  RUN(test_prompt_claim_builtin_len_returns_length);
  RUN(test_prompt_claim_builtin_empty_checks_zero_length);
  RUN(test_prompt_claim_builtin_slice_supports_null_bounds_and_negative_bounds);
  RUN(test_prompt_claim_builtin_range_and_push_build_lists);
  RUN(test_prompt_claim_start_is_contextual);
  RUN(test_prompt_claim_integer_division_helpers_support_chunk_math);
  RUN(test_prompt_claim_builtin_split_and_join);
  RUN(test_prompt_claim_builtin_trim_strips_whitespace);
  RUN(test_prompt_claim_builtin_starts_ends_contains);
  RUN(test_prompt_claim_builtin_find_and_grep_text);
  RUN(test_prompt_claim_builtin_keys_and_values);
  RUN(test_prompt_claim_builtin_to_string_to_int_to_float);
  RUN(test_prompt_claim_builtin_json_parse_parses_strings_to_values);
  RUN(test_prompt_claim_builtin_format_positional_placeholders);
  RUN(test_prompt_claim_builtin_validate_checks_type_literals_mid_program);
  RUN(test_prompt_example_format_block_executes_as_shown);
  RUN(test_prompt_example_allow_nonzero_exit_inspects_shell_exit_code);
  RUN(test_prompt_example_loop_builds_collection_without_comprehension);
  RUN(test_prompt_example_prints_targeted_slice_for_large_values);
  RUN(test_prompt_example_validates_nontrivial_edit_before_submit);
  RUN(test_prompt_mentions_every_builtin_we_document))
