#include "effect/identity.h"

#include <string.h>

#include "util/sha256.h"

void lash__identity_u8(lash_buf *b, uint8_t v) {
  char c = (char)v;
  lash__buf_append(b, &c, 1);
}

void lash__identity_u64(lash_buf *b, uint64_t v) {
  char be[8];
  for (int i = 0; i < 8; i++) be[i] = (char)(v >> (56 - 8 * i));
  lash__buf_append(b, be, 8);
}

void lash__identity_bytes(lash_buf *b, const void *p, size_t n) {
  lash__identity_u64(b, n);
  lash__buf_append(b, p, n);
}

void lash__identity_string(lash_buf *b, const char *s) { lash__identity_bytes(b, s, strlen(s)); }

void lash__identity_begin(lash_buf *b, const char *domain, uint8_t family_version) {
  lash__buf_append(b, "lash-stable-identity", 20);
  lash__identity_u8(b, 1); /* GLOBAL_SALT */
  lash__identity_u8(b, family_version);
  lash__identity_string(b, domain);
}

int lash__identity_render(lash_buf *out, const char *prefix, uint8_t family_version, const lash_buf *preimage) {
  if (preimage->oom) {
    out->oom = 1;
    return 0;
  }
  char hex[65];
  lash__sha256_hex(preimage->data ? preimage->data : "", preimage->len, hex);
  return lash__buf_printf(out, "%s:v%u:sha256:%s", prefix, (unsigned)family_version, hex);
}
