/* libFuzzer: the JSON boundary decoder and the builder config decoder behind it.
 * Any input must give LASH_OK or a clean error JSON: no crash, leak or UB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "lash/lash_host.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lash_err e;
  cJSON *v = lash__json_parse((const char *)data, size, 1u << 20, "fuzz", &e);
  cJSON_Delete(v);
  lash_core *c = lash_core_new(NULL, NULL);
  if (!c) return 0;
  int rc = lash_core_build(c, (const char *)data, size);
  size_t n;
  const char *err = lash_core_last_error(c, &n);
  if (rc != LASH_OK) {
    /* the error must itself be valid JSON with a code and a message */
    cJSON *j = cJSON_ParseWithLength(err, n);
    if (!j || !cJSON_IsString(cJSON_GetObjectItem(j, "code")) ||
        !cJSON_IsString(cJSON_GetObjectItem(j, "message")))
      abort();
    cJSON_Delete(j);
  }
  lash_core_free(c);
  return 0;
}
