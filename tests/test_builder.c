/* build() in C: lash's order and messages for a few representative configs,
 * and the error JSON shape the JavaScript side turns into a LashError. The full
 * matrix runs through the public API in wasm-tests/builder.test.js. */
#include "cJSON.h"
#include "lash/lash_host.h"
#include "test.h"

static const char *build_err(const char *cfg, int *rc) {
  static char out[2048];
  lash_core *c = lash_core_new(NULL, NULL);
  *rc = lash_core_build(c, cfg, strlen(cfg));
  size_t n;
  const char *e = lash_core_last_error(c, &n);
  snprintf(out, sizeof out, "%.*s", (int)n, e);
  lash_core_free(c);
  return out;
}

#define MODEL "{\"id\":\"m\",\"limits\":{\"context_window_tokens\":8192}}"
#define INLINE "{\"tier\":\"inline\"}"
#define DURABLE "{\"tier\":\"durable\"}"

static void order_of_missing_facets(void) {
  int rc;
  const char *e = build_err("{\"kind\":\"standard\",\"provider\":{\"kind\":\"embed-test\"},"
                            "\"session_spec\":{\"provider_id\":\"embed-test\",\"model\":" MODEL "}}", &rc);
  CHECK(rc == LASH_E_MISSING_EFFECT_HOST);
  CHECK_STR(e, "{\"code\":\"MissingEffectHost\",\"message\":\"effect host is required; provide an explicit "
               "effect host with .effect_host(...)\"}");
  build_err("{\"kind\":\"standard\",\"effect_host\":" INLINE ",\"session_spec\":{\"model\":" MODEL "}}", &rc);
  CHECK(rc == LASH_E_MISSING_ATTACHMENT_STORE);
  build_err("{\"kind\":\"standard\",\"effect_host\":" INLINE ",\"session_spec\":{}}", &rc);
  CHECK(rc == LASH_E_MISSING_MODEL_SPEC);
  build_err("{\"kind\":\"lash\",\"session_spec\":{}}", &rc);
  CHECK(rc == LASH_E_MISSING_PROTOCOL_PLUGIN);
  build_err("{\"kind\":\"rlm\",\"store_factory\":" DURABLE ",\"lashlang_artifact_store\":" INLINE "}", &rc);
  CHECK(rc == LASH_E_DURABLE_STORE_PEER_REQUIRED);
  build_err("{\"kind\":\"rlm\"}", &rc);
  CHECK(rc == LASH_E_MISSING_LASHLANG_ARTIFACT_STORE);
}

static void peer_coherence_message(void) {
  int rc;
  const char *e = build_err("{\"kind\":\"standard\",\"store_factory\":" DURABLE
                            ",\"attachment_store\":" INLINE "}", &rc);
  CHECK(rc == LASH_E_DURABLE_STORE_PEER_REQUIRED);
  CHECK_STR(e, "{\"code\":\"DurableStorePeerRequired\",\"message\":\"durable session store requires a "
               "durable attachment store; an ephemeral attachment store cannot back a durable session "
               "store\",\"facet\":\"attachment store\"}");
}

static void success_and_policy(void) {
  const char *cfg = "{\"kind\":\"standard\",\"provider\":{\"kind\":\"embed-test\"},\"effect_host\":" INLINE
                    ",\"attachment_store\":" INLINE ",\"process_env_store\":" INLINE
                    ",\"session_spec\":{\"provider_id\":\" embed-test \",\"model\":" MODEL ",\"max_turns\":7},"
                    "\"process_work_source\":{\"kind\":\"external\",\"registry\":" INLINE "}}";
  lash_core *c = lash_core_new(NULL, NULL);
  CHECK(lash_core_build(c, cfg, strlen(cfg)) == LASH_OK);
  size_t n;
  const char *info = lash_core_info(c, &n);
  CHECK_STR(info, "{\"policy\":{\"model\":{\"id\":\"m\",\"limits\":{\"context_window_tokens\":8192}},"
                  "\"provider_id\":\"embed-test\",\"session_id\":null,\"autonomous\":false,\"max_turns\":7},"
                  "\"process_work_runner\":\"external\"}");
  CHECK(lash_core_build(c, cfg, strlen(cfg)) == LASH_E_STATE); /* one build per core */
  lash_core_free(c);
}

static void invalid_arguments(void) {
  int rc;
  const char *e = build_err("{\"kind\":\"standard\",\"session_spec\":{\"model\":{\"id\":\"m\",\"limits\":"
                            "{\"context_window_tokens\":0}}}}", &rc);
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e, "{\"code\":\"InvalidArgument\",\"message\":\"invalid argument `model`: "
               "context_window_tokens must be greater than zero\",\"argument\":\"model\"}");
  build_err("{\"kind\":\"standard\",\"session_spec\":{\"model\":{\"id\":\"m\",\"extra\":1,\"limits\":"
            "{\"context_window_tokens\":1}}}}", &rc);
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  build_err("{\"kind\":\"standard\",\"store_factory\":{\"tier\":\"sometimes\"}}", &rc);
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  build_err("[1,2]", &rc);
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  build_err("", &rc);
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
}

/* Plugin configs are decoded once, at build(): a bad tool_output_budget config
 * fails the build (it used to pass and be replaced by defaults at every turn). */
static void bad_plugin_config_fails_build(void) {
#define READY "{\"kind\":\"standard\",\"provider\":{\"kind\":\"embed-test\"},\"effect_host\":" INLINE \
              ",\"attachment_store\":" INLINE ",\"process_env_store\":" INLINE                     \
              ",\"session_spec\":{\"provider_id\":\"embed-test\",\"model\":" MODEL "},\"plugins\":"
  int rc;
  const char *e = build_err(READY "[{\"id\":\"tool_output_budget\",\"config\":{\"mode\":\"lines\"}}]}", &rc);
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  CHECK_STR(e, "{\"code\":\"InvalidArgument\",\"message\":\"invalid argument `tool_output_budget`: "
               "`mode` must be \\\"bytes\\\" or \\\"tokens\\\"\",\"argument\":\"tool_output_budget\"}");
  build_err(READY "[{\"id\":\"tool_output_budget\",\"config\":[1]}]}", &rc);
  CHECK(rc == LASH_E_INVALID_ARGUMENT);
  build_err(READY "[{\"id\":\"tool_output_budget\",\"config\":{\"mode\":\"tokens\",\"limit\":100}}]}", &rc);
  CHECK(rc == LASH_OK);
  build_err(READY "[{\"id\":\"tool_output_budget\"}]}", &rc); /* no config: lash's defaults */
  CHECK(rc == LASH_OK);
#undef READY
}

TEST_MAIN(RUN(order_of_missing_facets); RUN(peer_coherence_message); RUN(success_and_policy);
          RUN(invalid_arguments); RUN(bad_plugin_config_fails_build))
