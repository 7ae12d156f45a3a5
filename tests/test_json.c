/* The JSON boundary decoder: sizes, UTF-8, depth, trailing data, typed fields. */
#include "cJSON.h"
#include "test.h"
#include "util/json.h"

static void utf8(void) {
  CHECK(lash__utf8_valid("", 0));
  CHECK(lash__utf8_valid("h\xc3\xa9llo \xf0\x9f\x98\x80", 11));
  CHECK(!lash__utf8_valid("\xc3", 1));             /* truncated */
  CHECK(!lash__utf8_valid("\xc0\xaf", 2));         /* overlong */
  CHECK(!lash__utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
  CHECK(!lash__utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
  CHECK(!lash__utf8_valid("\xff", 1));
}

static void parse_bounds(void) {
  lash_err e = {0};
  cJSON *v = lash__json_parse("{\"a\":1}  \n", 10, 100, "x", &e);
  CHECK(v != NULL);
  cJSON_Delete(v);
  CHECK(lash__json_parse("{\"a\":1} x", 9, 100, "cfg", &e) == NULL);
  CHECK(e.code == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.argument, "cfg");
  CHECK(lash__json_parse("{\"a\":1}", 7, 6, "cfg", &e) == NULL);
  CHECK(lash__json_parse("{\"a\":", 5, 100, "cfg", &e) == NULL);
  CHECK(lash__json_parse("\"\xff\"", 3, 100, "cfg", &e) == NULL);
  char deep[200];
  for (int i = 0; i < 100; i++) { deep[i] = '['; deep[199 - i] = ']'; }
  CHECK(lash__json_parse(deep, 200, 1000, "cfg", &e) == NULL); /* depth > 64 */
  cJSON *ok = lash__json_parse(deep + 40, 120, 1000, "cfg", &e); /* depth 60 */
  CHECK(ok != NULL);
  cJSON_Delete(ok);
}

static void fields(void) {
  lash_err e = {0};
  cJSON *v = cJSON_Parse("{\"s\":\"abc\",\"n\":3,\"z\":0,\"f\":1.5,\"neg\":-1,\"big\":1e300}");
  const char *s;
  int present;
  uint64_t n;
  CHECK(lash__json_opt_string(v, "s", 3, "a", &s, &e) == LASH_OK && !strcmp(s, "abc"));
  CHECK(lash__json_opt_string(v, "s", 2, "a", &s, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK(lash__json_opt_string(v, "n", 9, "a", &s, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK(lash__json_opt_string(v, "missing", 9, "a", &s, &e) == LASH_OK && s == NULL);
  CHECK(lash__json_opt_u64(v, "n", 0, "a", &present, &n, &e) == LASH_OK && present && n == 3);
  CHECK(lash__json_opt_u64(v, "z", 0, "a", &present, &n, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e.detail, "z must be greater than zero");
  CHECK(lash__json_opt_u64(v, "z", 1, "a", &present, &n, &e) == LASH_OK && present && n == 0);
  CHECK(lash__json_opt_u64(v, "f", 1, "a", &present, &n, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK(lash__json_opt_u64(v, "neg", 1, "a", &present, &n, &e) == LASH_E_INVALID_ARGUMENT);
  CHECK(lash__json_opt_u64(v, "big", 1, "a", &present, &n, &e) == LASH_E_INVALID_ARGUMENT);
  static const char *const allowed[] = {"s", "n", NULL};
  CHECK(lash__json_deny_unknown(v, allowed, "a", &e) == LASH_E_INVALID_ARGUMENT);
  cJSON_Delete(v);
}

TEST_MAIN(RUN(utf8); RUN(parse_bounds); RUN(fields))
