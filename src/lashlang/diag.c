/* lash's source diagnostics (lib.rs format_source_diagnostic). */
#include <string.h>

#include "lashlang/ll.h"

void ll_diag_format(lash_buf *out, const char *src, size_t len, const ll_err *e) {
  const char *msg = e->msg.data ? e->msg.data : "";
  lash__buf_puts(out, msg);
  if (e->has_span) {
    size_t off = e->offset < len ? e->offset : len;
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < off; i++)
      if (src[i] == '\n') { line++; line_start = i + 1; }
    size_t column = ll_utf8_count(src + line_start, off - line_start) + 1;
    size_t line_end = off;
    while (line_end < len && src[line_end] != '\n') line_end++;
    size_t shown = line_end;
    while (shown > line_start && src[shown - 1] == '\r') shown--;
    lash__buf_printf(out, "\n--> line %zu, column %zu\n", line, column);
    lash__buf_append(out, src + line_start, shown - line_start);
    lash__buf_puts(out, "\n");
    for (size_t i = 1; i < column; i++) lash__buf_append(out, " ", 1);
    lash__buf_puts(out, "^");
  }
  if (e->hint) {
    lash__buf_puts(out, "\nhint: ");
    lash__buf_puts(out, e->hint);
  }
}
