/* The op names of include/lash/lash_ops.h, by a kind known only at run time. */
#include "lash/lash_ops.h"

const char *lash_op_name(int kind) { return kind >= 0 && kind < (int)LASH_OPK_COUNT ? lash_op_names_[kind] : ""; }

const char *lash_diag_op_name(int kind) {
  return kind >= 0 && kind < (int)LASH_OPK_DIAG_END ? lash_diag_op_names_[kind] : "";
}
