/* Tool-argument schema validation (src/tools/schema.c) against lash's
 * validate_schema (lash-sansio tool_contract/schema_validation.rs). The first
 * group is lash's own tests; every other expected message is what lash's
 * validate_schema returns for the same schema and value (serde_json 1.0.149). */
#include <stdint.h>
#include <stdlib.h>

#include "cJSON.h"
#include "test.h"
#include "tools/schema.h"
#include "util/json.h"

typedef struct {
  int line;
  const char *schema, *value;
  const char *expect; /* NULL: valid */
} schema_case;

#define C(schema, value, expect) {__LINE__, schema, value, expect}

static cJSON *parse(const char *s) {
  lash_err e;
  return lash__json_parse(s, strlen(s), 1u << 20, "test", &e);
}

static void run_cases(const schema_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const schema_case *k = &cases[i];
    cJSON *s = parse(k->schema), *v = parse(k->value);
    lash_buf err;
    lash__buf_init(&err, NULL);
    CHECK(s && v);
    int ok = lash__schema_validate(s, v, &err);
    const char *got = err.len ? err.data : "", *want = k->expect ? k->expect : "";
    t_checks++;
    if (ok != !k->expect || strcmp(got, want)) {
      t_failed++;
      fprintf(stderr, "%s:%d: valid=%d\n   expected \"%s\"\n   got \"%s\"\n", __FILE__, k->line, ok,
              want, got);
    }
    lash__buf_free(&err);
    cJSON_Delete(s);
    cJSON_Delete(v);
  }
}
#define RUN_CASES(arr) run_cases(arr, sizeof arr / sizeof arr[0])

/* schema_validation.rs #[cfg(test)] and lash-core tool_dispatch/tests.rs */
static void lash_tests(void) {
  static const schema_case cases[] = {
      /* validation_reports_missing_required_property_by_path */
      C("{\"type\":\"object\",\"properties\":{\"access_token\":{\"type\":\"string\"}},"
        "\"required\":[\"access_token\"],\"additionalProperties\":false}",
        "{}", "access_token: required property missing"),
      /* validation_reports_numeric_limits_by_path */
      C("{\"type\":\"object\",\"properties\":{\"page_limit\":{\"type\":\"integer\",\"maximum\":20}},"
        "\"required\":[\"page_limit\"],\"additionalProperties\":false}",
        "{\"page_limit\":100}", "page_limit: expected integer <= 20, got 100"),
      /* validation_rejects_unknown_property_when_additional_properties_is_omitted
       * (and dispatch_rejects_unknown_mcp_args_before_provider_execution) */
      C("{\"type\":\"object\",\"properties\":{\"min_created_at\":{\"type\":\"string\"},"
        "\"max_created_at\":{\"type\":\"string\"},\"limit\":{\"type\":\"integer\",\"maximum\":100}},"
        "\"required\":[\"limit\"]}",
        "{\"min_datetime\":\"2024-01-01T00:00:00Z\",\"limit\":20}", "min_datetime: unexpected property"),
      /* validation_allows_unknown_property_when_additional_properties_is_true */
      C("{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"}},\"additionalProperties\":true}",
        "{\"path\":\"README.md\",\"unknown\":\"preserved\"}", NULL),
      /* validation_preserves_internal_session_id_argument */
      C("{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\"}}}",
        "{\"query\":\"hello\",\"__session_id__\":\"session\"}", NULL),
      /* dispatch_rejects_invalid_args_before_provider_execution (beta tool) */
      C("{\"type\":\"object\",\"properties\":{\"value\":{\"type\":\"string\"}},\"required\":[\"value\"],"
        "\"additionalProperties\":false}",
        "{}", "value: required property missing"),
      C("{\"type\":\"object\",\"properties\":{\"value\":{\"type\":\"string\"}},\"required\":[\"value\"],"
        "\"additionalProperties\":false}",
        "{\"value\":\"ok\"}", NULL),
  };
  RUN_CASES(cases);
}

/* matches_type / matches_single_type / type_description */
static void types(void) {
  static const schema_case cases[] = {
      C("{\"type\":\"string\"}", "5", "arguments: expected string, got 5"),
      C("{\"type\":\"integer\"}", "1.5", "arguments: expected integer, got 1.5"),
      C("{\"type\":\"integer\"}", "-7", NULL),
      C("{\"type\":\"integer\"}", "9007199254740993", NULL),
      C("{\"type\":\"number\"}", "7", NULL),
      /* beyond i64/u64 serde_json holds a float */
      C("{\"type\":\"integer\"}", "1e300", "arguments: expected integer, got 1e+300"),
      C("{\"type\":\"integer\"}", "18446744073709551616",
        "arguments: expected integer, got 1.8446744073709552e+19"),
      /* serde_json reads -0 as the float -0.0 */
      C("{\"type\":\"integer\"}", "-0", "arguments: expected integer, got -0.0"),
      C("{\"type\":[\"string\",\"null\"]}", "null", NULL),
      C("{\"type\":[\"string\",\"null\"]}", "\"x\"", NULL),
      C("{\"type\":[\"string\",\"null\"]}", "5", "arguments: expected string or null, got 5"),
      /* a list matches only through its string entries, and describes only them */
      C("{\"type\":[]}", "\"x\"", "arguments: expected , got \"x\""),
      C("{\"type\":[1,\"boolean\"]}", "0", "arguments: expected boolean, got 0"),
      /* unknown names and non-string, non-list types match anything */
      C("{\"type\":\"uuid\"}", "5", NULL),
      C("{\"type\":5}", "\"x\"", NULL),
      C("{\"type\":\"object\"}", "[]", "arguments: expected object, got []"),
      C("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}", "{\"a\":1}",
        "arguments: expected array, got {\"a\":1}"),
      C("{\"type\":\"boolean\"}", "null", "arguments: expected boolean, got null"),
      C("{\"type\":\"null\"}", "false", "arguments: expected null, got false"),
      /* the last of duplicate keys wins, in the schema as in the value */
      C("{\"type\":\"string\",\"type\":\"integer\"}", "5", NULL),
  };
  RUN_CASES(cases);
}

/* enum: Value equality, checked before type */
static void enums(void) {
  static const schema_case cases[] = {
      C("{\"enum\":[\"a\",\"b\",1,null]}", "\"c\"",
        "arguments: expected one of \"a\", \"b\", 1, null, got \"c\""),
      C("{\"enum\":[{\"b\":1,\"a\":[true,null]}]}", "{\"a\":[true,null],\"b\":1}", NULL),
      C("{\"enum\":[]}", "1", "arguments: expected one of , got 1"),
      C("{\"type\":\"string\",\"enum\":[\"a\"]}", "5", "arguments: expected one of \"a\", got 5"),
      C("{\"enum\":[1]}", "-1", "arguments: expected one of 1, got -1"),
      C("{\"enum\":[[1,2]]}", "[1,2,3]", "arguments: expected one of [1,2], got [1,2,3]"),
      C("{\"enum\":\"a\"}", "\"b\"", NULL),
      C("{\"enum\":[0]}", "-0", "arguments: expected one of 0, got -0.0"),
      C("{\"enum\":[1.5]}", "1.5", NULL),
      C("{\"enum\":[{\"a\":1}]}", "{\"a\":1,\"b\":2}", "arguments: expected one of {\"a\":1}, got {\"a\":1,\"b\":2}"),
  };
  RUN_CASES(cases);
}

/* anyOf / oneOf (both "any"); allOf, const, not are not lash keywords */
static void combinators(void) {
  static const schema_case cases[] = {
      C("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "true",
        "arguments: expected matching schema, got true"),
      C("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "3", NULL),
      C("{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}", "3", NULL),
      C("{\"type\":\"object\",\"oneOf\":[{\"required\":[\"a\"]},{\"required\":[\"b\"]}]}", "{\"c\":1}",
        "arguments: expected object, got {\"c\":1}"),
      /* a matching branch skips every other keyword */
      C("{\"anyOf\":[{}],\"type\":\"string\",\"enum\":[1]}", "5", NULL),
      /* anyOf present but not a list hides oneOf */
      C("{\"anyOf\":5,\"oneOf\":[{\"type\":\"string\"}]}", "5", NULL),
      C("{\"anyOf\":[]}", "1", "arguments: expected matching schema, got 1"),
      C("{\"anyOf\":[{\"type\":\"integer\"}],\"minimum\":3}", "\"x\"",
        "arguments: expected matching schema >= 3, got \"x\""),
      C("{\"anyOf\":null,\"maximum\":1}", "2", "arguments: expected matching schema <= 1, got 2"),
      C("{\"properties\":{\"p\":{\"anyOf\":[{\"type\":\"string\"}]}}}", "{\"p\":[1]}",
        "p: expected matching schema, got [1]"),
      C("{\"allOf\":[{\"type\":\"string\"}]}", "5", NULL),
      C("{\"const\":1}", "2", NULL),
      C("{\"not\":{}}", "1", NULL),
  };
  RUN_CASES(cases);
}

/* minimum/maximum (as_f64), minLength/maxLength (chars), minItems/maxItems */
static void bounds(void) {
  static const schema_case cases[] = {
      C("{\"type\":\"number\",\"minimum\":0,\"maximum\":10.5}", "11",
        "arguments: expected number >= 0 <= 10.5, got 11"),
      C("{\"type\":\"number\",\"minimum\":0,\"maximum\":10.5}", "-1",
        "arguments: expected number >= 0 <= 10.5, got -1"),
      C("{\"type\":\"number\",\"minimum\":0,\"maximum\":10.5}", "10.5", NULL),
      C("{\"minimum\":10,\"maximum\":5}", "7", "arguments: expected >= 10 <= 5, got 7"),
      C("{\"type\":\"integer\",\"maximum\":5}", "\"x\"", "arguments: expected integer <= 5, got \"x\""),
      C("{\"maximum\":\"5\"}", "9", NULL),
      C("{\"type\":\"integer\",\"minimum\":\"5\"}", "\"x\"",
        "arguments: expected integer >= \"5\", got \"x\""),
      C("{\"maximum\":5}", "\"99\"", NULL),
      C("{\"minimum\":1.5}", "1", "arguments: expected >= 1.5, got 1"),
      C("{\"type\":\"string\",\"maxLength\":3}", "\"h\\u00e9llo\"",
        "arguments: expected string length <= 3, got \"h\xc3\xa9llo\""),
      C("{\"type\":\"string\",\"maxLength\":3}", "\"h\\u00e9\\u00e9\"", NULL),
      C("{\"minLength\":2}", "\"\\ud83d\\ude00\"",
        "arguments: expected length >= 2, got \"\xf0\x9f\x98\x80\""),
      C("{\"maxLength\":2.5}", "\"abcdef\"", NULL),
      C("{\"type\":\"integer\",\"maxLength\":2.5}", "\"abcdef\"",
        "arguments: expected integer length <= 2.5, got \"abcdef\""),
      C("{\"maxLength\":1}", "12345", NULL),
      C("{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":1}", "[\"a\",\"b\"]",
        "arguments: expected array items <= 1, got 2 items"),
      C("{\"minItems\":3}", "[1]", "arguments: expected items >= 3, got 1 items"),
      C("{\"maxItems\":0,\"minItems\":5}", "[1]", "arguments: expected items >= 5 items <= 0, got 1 items"),
  };
  RUN_CASES(cases);
}

/* items, required, properties, additionalProperties, and the paths */
static void structure(void) {
  static const schema_case cases[] = {
      C("{\"items\":{\"type\":\"string\"}}", "[\"a\",2]", "[1]: expected string, got 2"),
      C("{\"properties\":{\"a\":{\"items\":{\"properties\":{\"b\":{\"type\":\"integer\"}}}}}}",
        "{\"a\":[{\"b\":1},{\"b\":\"x\"}]}", "a[1].b: expected integer, got \"x\""),
      C("{\"items\":[{\"type\":\"string\"}]}", "[1]", NULL),
      C("{\"items\":{\"required\":[\"x\"]}}", "[{}]", "[0].x: required property missing"),
      C("{\"required\":[\"b\",\"a\"]}", "{}", "b: required property missing"),
      C("{\"required\":[1,\"a\"]}", "{\"a\":1}", NULL),
      C("{\"required\":[\"a\"]}", "{\"a\":1,\"z\":2}", NULL),
      C("{\"required\":[\"a\"]}", "[]", NULL),
      /* properties are visited in key order */
      C("{\"properties\":{\"z\":{\"type\":\"string\"},\"a\":{\"type\":\"string\"}}}", "{\"z\":1,\"a\":1}",
        "a: expected string, got 1"),
      C("{\"properties\":{}}", "{\"z\":1,\"b\":2}", "b: unexpected property"),
      C("{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"string\"}}",
        "{\"a\":1,\"c\":\"x\",\"b\":2}", "b: expected string, got 2"),
      /* additionalProperties counts only next to properties */
      C("{\"type\":\"object\",\"additionalProperties\":false}", "{\"x\":1}", NULL),
      C("{\"properties\":{\"a\":{}},\"additionalProperties\":\"yes\"}", "{\"b\":1}",
        "b: unexpected property"),
      C("{\"properties\":{},\"additionalProperties\":{\"type\":\"string\"}}", "{\"__session_id__\":1}",
        NULL),
      C("{\"properties\":{\"o\":{\"properties\":{}}}}", "{\"o\":{\"k\":1}}", "o.k: unexpected property"),
      /* join_path, not display_path, names a missing or unexpected property */
      C("{\"required\":[\"\"]}", "{}", ": required property missing"),
      C("{\"properties\":{\"\":{\"type\":\"string\"}}}", "{\"\":1}", "arguments: expected string, got 1"),
      C("{\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"b\"]}", "{\"a\":1}",
        "b: required property missing"),
      C("{\"properties\":{\"z\":{\"type\":\"string\"}}}", "{\"a\":1,\"z\":1}", "z: expected string, got 1"),
      C("{\"properties\":{\"a\":{\"type\":\"string\"}}}", "{\"a\":1,\"a\":\"s\"}", NULL),
      /* a schema that is not an object has no keywords */
      C("true", "5", NULL),
      C("false", "5", NULL),
      C("[]", "{}", NULL),
      C("\"string\"", "5", NULL),
      C("null", "1", NULL),
      C("{}", "{\"anything\":[1,{\"x\":null}]}", NULL),
  };
  RUN_CASES(cases);
}

/* display_value: strings as Rust's {:?}, the rest as serde_json's compact text */
static void display(void) {
  static const schema_case cases[] = {
      C("{\"type\":\"integer\"}", "\"a\\\"b\\\\c\\n\\t\\r\\u0001\\u001b\\u007f'\"",
        "arguments: expected integer, got \"a\\\"b\\\\c\\n\\t\\r\\u{1}\\u{1b}\\u{7f}'\""),
      /* printable, NBSP, combining acute, ZWSP, VS16, private use, unassigned,
       * emoji, tag, NEL */
      C("{\"type\":\"integer\"}",
        "\"\\u00e9\\u00a0\\u0301\\u200b\\ufe0f\\ue000\\u0378\\ud83d\\ude00\\udb40\\udc01\\u0085\"",
        "arguments: expected integer, got \"\xc3\xa9\\u{a0}\\u{301}\\u{200b}\\u{fe0f}\\u{e000}\\u{378}"
        "\xf0\x9f\x98\x80\\u{e0001}\\u{85}\""),
      C("{\"type\":\"string\"}", "[\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u007f\\u00e9/\"]",
        "arguments: expected string, got [\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\x7f\xc3\xa9/\"]"),
      C("{\"type\":\"string\"}", "{\"b\":\"x\",\"a\":[1,2.5,null,true]}",
        "arguments: expected string, got {\"a\":[1,2.5,null,true],\"b\":\"x\"}"),
      C("{\"type\":\"string\"}", "{\"k\":1,\"k\":2}", "arguments: expected string, got {\"k\":2}"),
      C("{\"type\":\"string\"}",
        "[0.1,3.1,-1.5,0.5,1e-7,0.000001,0.00001,0.0000123,123.456,1e20,1.5e300,"
        "2.220446049250313e-16,1.7976931348623157e308,-1.7976931348623157e308,5e-324,"
        "1234567.125,1234567890123456.5,265033471150705.625]",
        "arguments: expected string, got [0.1,3.1,-1.5,0.5,1e-7,1e-6,0.00001,0.0000123,123.456,"
        "1e+20,1.5e+300,2.220446049250313e-16,1.7976931348623157e+308,-1.7976931348623157e+308,"
        "5e-324,1234567.125,1234567890123456.5,265033471150705.62]"),
      C("{\"type\":\"string\"}", "[0,-9223372036854775808,9007199254740992,-42]",
        "arguments: expected string, got [0,-9223372036854775808,9007199254740992,-42]"),
      C("{\"type\":\"string\"}", "{}", "arguments: expected string, got {}"),
  };
  RUN_CASES(cases);
}

/* ---- what only the port has: NULL err, appending, depth, allocation failure ---- */

static void api(void) {
  cJSON *s = parse("{\"type\":\"string\"}"), *v = parse("5");
  CHECK(lash__schema_validate(s, v, NULL) == 0);
  CHECK(lash__schema_validate(s, NULL, NULL) == 0); /* NULL reads as JSON null */
  CHECK(lash__schema_validate(NULL, v, NULL) == 1);
  lash_buf err;
  lash__buf_init(&err, NULL);
  lash__buf_puts(&err, "earlier; ");
  CHECK(lash__schema_validate(s, v, &err) == 0);
  CHECK_STR(err.data, "earlier; arguments: expected string, got 5");
  CHECK(lash__schema_validate(v, s, &err) == 1); /* valid: err untouched */
  CHECK_STR(err.data, "earlier; arguments: expected string, got 5");
  lash__buf_free(&err);
  cJSON_Delete(s);
  cJSON_Delete(v);
}

static void depth(void) {
  /* 64 nested arrays (the boundary's limit) validate normally */
  char text[200];
  size_t n = 0;
  for (int i = 0; i < 64; i++) text[n++] = '[';
  text[n++] = '1';
  for (int i = 0; i < 64; i++) text[n++] = ']';
  text[n] = '\0';
  cJSON *s = parse("{\"type\":\"string\"}"), *v = parse(text);
  CHECK(v != NULL);
  lash_buf err;
  lash__buf_init(&err, NULL);
  CHECK(lash__schema_validate(s, v, &err) == 0);
  CHECK(err.len > 0 && !strncmp(err.data, "arguments: expected string, got [[[[", 36));
  lash__buf_free(&err);
  /* one level more can only be built in C; it is refused, not walked */
  cJSON *deeper = cJSON_CreateArray();
  cJSON_AddItemToArray(deeper, v);
  lash__buf_init(&err, NULL);
  CHECK(lash__schema_validate(s, deeper, &err) == 0);
  CHECK_STR(err.data, "arguments: JSON nesting exceeds 64 levels");
  lash__buf_free(&err);
  lash__buf_init(&err, NULL);
  CHECK(lash__schema_validate(deeper, s, &err) == 0);
  CHECK_STR(err.data, "arguments: JSON nesting exceeds 64 levels");
  lash__buf_free(&err);
  cJSON_Delete(deeper);
  /* a deep schema of nested items recurses once per level */
  char sch[1200];
  n = 0;
  for (int i = 0; i < 31; i++) n += (size_t)snprintf(sch + n, sizeof sch - n, "{\"items\":");
  n += (size_t)snprintf(sch + n, sizeof sch - n, "{\"type\":\"string\"}");
  for (int i = 0; i < 31; i++) sch[n++] = '}';
  sch[n] = '\0';
  cJSON *ds = parse(sch);
  for (n = 0; n < 31; n++) text[n] = '[';
  text[n++] = '1';
  for (int i = 0; i < 31; i++) text[n++] = ']';
  text[n] = '\0';
  cJSON *dv = parse(text);
  CHECK(ds && dv);
  lash__buf_init(&err, NULL);
  CHECK(lash__schema_validate(ds, dv, &err) == 0);
  CHECK_STR(err.data, "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                      "[0][0][0][0][0][0]: expected string, got 1");
  lash__buf_free(&err);
  cJSON_Delete(ds);
  cJSON_Delete(dv);
  cJSON_Delete(s);
}

/* An allocator that fails after `budget` allocations. */
typedef struct {
  int budget, live;
} fail_alloc;
static void *fa_alloc(size_t n, void *ud) {
  fail_alloc *f = ud;
  if (f->budget-- <= 0) return NULL;
  f->live++;
  return malloc(n);
}
static void *fa_realloc(void *p, size_t n, void *ud) {
  fail_alloc *f = ud;
  if (f->budget-- <= 0) return NULL;
  if (!p) f->live++;
  return realloc(p, n);
}
static void fa_free(void *p, void *ud) {
  ((fail_alloc *)ud)->live--;
  free(p);
}

static void out_of_memory(void) {
  cJSON *s = parse("{\"properties\":{\"b\":{\"enum\":[{\"x\":1}]},\"a\":{}},\"required\":[\"a\"]}");
  cJSON *v = parse("{\"a\":{\"q\":[1,{\"r\":2}]},\"b\":{\"y\":{\"z\":1}}}");
  const char *want = "b: expected one of {\"x\":1}, got {\"y\":{\"z\":1}}";
  int reached = 0;
  for (int budget = 0; budget < 64 && !reached; budget++) {
    fail_alloc f = {budget, 0};
    lash_allocator a = {fa_alloc, fa_realloc, fa_free, &f};
    lash_buf err;
    lash__buf_init(&err, &a);
    int ok = lash__schema_validate(s, v, &err);
    CHECK(ok == 0);
    if (!err.oom) {
      CHECK_STR(err.data, want);
      reached = 1;
    }
    lash__buf_free(&err);
    CHECK(f.live == 0);
  }
  CHECK(reached);
  cJSON_Delete(s);
  cJSON_Delete(v);
}

TEST_MAIN(RUN(lash_tests); RUN(types); RUN(enums); RUN(combinators); RUN(bounds); RUN(structure);
          RUN(display); RUN(api); RUN(depth); RUN(out_of_memory))
