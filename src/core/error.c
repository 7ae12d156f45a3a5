#include "core/error.h"

#include <string.h>

/* Fill the status's message template: {facet}, {argument}, {detail}. */
static void render_message(lash_buf *b, const lash_err *e, const char *detail) {
  const char *t = lash_status_template(e->code);
  while (*t) {
    const char *open = strchr(t, '{');
    if (!open) { lash__buf_puts(b, t); break; }
    lash__buf_append(b, t, (size_t)(open - t));
    const char *close = strchr(open, '}');
    if (!close) { lash__buf_puts(b, open); break; }
    size_t n = (size_t)(close - open - 1);
    if (n == 5 && !strncmp(open + 1, "facet", 5)) lash__buf_puts(b, e->facet ? e->facet : "");
    else if (n == 8 && !strncmp(open + 1, "argument", 8)) lash__buf_puts(b, e->argument);
    else if (n == 6 && !strncmp(open + 1, "detail", 6)) lash__buf_puts(b, detail);
    else lash__buf_append(b, open, n + 2);
    t = close + 1;
  }
}

static void field(lash_buf *out, const char *key, const char *value) {
  lash__buf_puts(out, ",\"");
  lash__buf_puts(out, key);
  lash__buf_puts(out, "\":");
  lash__buf_json_string(out, value, strlen(value));
}

void lash__error_json(lash_buf *out, const lash_err *e, const char *detail, const char *store_code) {
  lash_buf msg;
  lash__buf_init(&msg, out->alloc);
  render_message(&msg, e, detail ? detail : e->detail);
  lash__buf_puts(out, "{\"code\":");
  const char *name = lash_status_name(e->code);
  lash__buf_json_string(out, name, strlen(name));
  lash__buf_puts(out, ",\"message\":");
  lash__buf_json_string(out, msg.data ? msg.data : "", msg.len);
  if (e->facet) field(out, "facet", e->facet);
  if (e->runtime_code) field(out, "runtime_code", e->runtime_code);
  if (store_code) field(out, "store_code", store_code);
  if (e->code == LASH_E_STORE_SESSION_MISMATCH) {
    field(out, "loaded", e->detail);
    field(out, "requested", e->argument);
  }
  if (e->code == LASH_E_STORE_FACTORY) field(out, "session_id", e->argument);
  if (e->code == LASH_E_INVALID_ARGUMENT) field(out, "argument", e->argument);
  lash__buf_puts(out, "}");
  if (msg.oom) out->oom = 1; /* a message cut short must not pass for the whole one */
  lash__buf_free(&msg);
}
