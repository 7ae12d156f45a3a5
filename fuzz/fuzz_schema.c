/* libFuzzer: tool-argument schema validation. The input is a schema's JSON, a NUL,
 * then the value's JSON (no NUL: the value is empty). Any input must validate
 * or fail with one non-empty message: no crash, leak or UB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "tools/schema.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  const char *nul = memchr(text, '\0', size);
  size_t schema_len = nul ? (size_t)(nul - text) : size;
  lash_err e;
  cJSON *schema = lash__json_parse(text, schema_len, 1u << 20, "schema", &e);
  cJSON *value = nul ? lash__json_parse(nul + 1, size - schema_len - 1, 1u << 20, "value", &e) : NULL;
  if (schema && value) {
    lash_buf err;
    lash__buf_init(&err, NULL);
    int ok = lash__schema_validate(schema, value, &err);
    /* valid leaves err empty; invalid says why */
    if (ok ? err.len != 0 : (err.len == 0 && !err.oom)) abort();
    if (ok != lash__schema_validate(schema, value, NULL)) abort();
    lash__buf_free(&err);
  }
  cJSON_Delete(schema);
  cJSON_Delete(value);
  return 0;
}
