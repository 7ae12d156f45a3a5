#include "lash/lash.h"

static const char *const k_names[] = {
#define LASH_X_NAME(sym, name, msg) name,
    LASH_STATUS_TABLE(LASH_X_NAME)
#undef LASH_X_NAME
};

static const char *const k_templates[] = {
#define LASH_X_MSG(sym, name, msg) msg,
    LASH_STATUS_TABLE(LASH_X_MSG)
#undef LASH_X_MSG
};

const char *lash_status_name(int s) {
  return (s >= 0 && s < LASH_STATUS_COUNT) ? k_names[s] : "Unknown";
}

const char *lash_status_template(int s) {
  return (s >= 0 && s < LASH_STATUS_COUNT) ? k_templates[s] : "unknown status";
}
