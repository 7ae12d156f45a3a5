/* The tool-output budget plugin's projector (lash-plugin-tool-output-budget, spec §6.3):
 * turns a ToolCallOutput into the ModelToolReturn parts the model sees, cutting long
 * text to a head/tail window. Pure functions; no state, no file system (the WASM port
 * has no spill file, so hints name a path only when the output carries
 * `full_output_path`). */
#ifndef LASH_PLUGINS_BUDGET_H
#define LASH_PLUGINS_BUDGET_H
#include <stddef.h>

#include "cJSON.h"
#include "lash/lash.h"
#include "util/json.h"

typedef enum { LASH_BUDGET_BYTES = 0, LASH_BUDGET_TOKENS = 1 } lash_budget_mode;
typedef struct {
  lash_budget_mode mode;
  size_t limit;     /* bytes, or tokens (~4 bytes each) */
  size_t max_lines;
} lash_budget_cfg;

/* mode bytes, limit 16384, max_lines 400 (lash's defaults). */
void lash__budget_default(lash_budget_cfg *cfg);

/* Decode {mode?: "bytes"|"tokens", limit?, max_lines?} (the JS plugin config; NULL or
 * JSON null = defaults; unknown keys ignored as serde does). On bad input returns
 * InvalidArgument with argument "tool_output_budget" and leaves *out untouched. */
int lash__budget_from_json(const cJSON *cfg_json, lash_budget_cfg *out, lash_err *e);

/* Project one tool output for the model. output = lash ToolCallOutput JSON
 * {"outcome":{"status":"success","payload":<ToolValue>} |
 *            {"status":"failure","payload":ToolFailure} |
 *            {"status":"cancelled","payload":ToolCancellation}, "control"?}.
 * Returns an owned cJSON array of ModelToolReturn parts:
 * [{"type":"text","text":...} | {"type":"attachment", ...AttachmentRef fields}].
 * tool_name picks head vs tail windows (exec_command / write_stdin keep the tail) and
 * the batch path (tool "batch"). Raw scratch memory comes from cJSON's hooks (the core's
 * allocator). NULL only on OOM. */
cJSON *lash__budget_project(const lash_budget_cfg *cfg, const char *tool_name /* borrowed */,
                            const cJSON *output /* borrowed */);
/* Same, with the call's arguments: a batch child without a "tool" field takes its name
 * from args.tool_calls[i].tool, as lash does. args may be NULL. */
cJSON *lash__budget_project_args(const lash_budget_cfg *cfg, const char *tool_name,
                                 const cJSON *args /* borrowed */, const cJSON *output);

/* The text core (lash's project_text without a spill path): returns text unchanged
 * when it fits, else the window plus marker and the tool hint. Owned, NUL-terminated;
 * NULL only on OOM. */
char *lash__budget_truncate_text(const lash_allocator *a, const lash_budget_cfg *cfg,
                                 const char *text, size_t len, int keep_tail, size_t *out_len);
/* Same with a caller-supplied hint (hint_len bytes). */
char *lash__budget_truncate_text_hint(const lash_allocator *a, const lash_budget_cfg *cfg,
                                      const char *text, size_t len, int keep_tail,
                                      const char *hint, size_t hint_len, size_t *out_len);
/* lash's truncate_observation_text: head window with the RLM `print` hint. */
char *lash__budget_truncate_observation(const lash_allocator *a, const lash_budget_cfg *cfg,
                                        const char *text, size_t len, size_t *out_len);
#endif
