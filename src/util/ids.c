#include "util/ids.h"

#include <stdio.h>

void lash__rng_seed(lash_rng *r, uint64_t seed) { r->s = seed ? seed : 0x9E3779B97F4A7C15ull; }

uint64_t lash__rng_next(lash_rng *r) { /* xorshift64* */
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

void lash__uuid4(lash_rng *r, char out[37]) {
  uint64_t a = lash__rng_next(r), b = lash__rng_next(r);
  a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x4000ull;          /* version 4 */
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull; /* variant 10 */
  snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)((a >> 16) & 0xFFFF),
           (unsigned)(a & 0xFFFF), (unsigned)(b >> 48), (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

void lash__message_id(lash_rng *r, char out[34]) {
  snprintf(out, 34, "m%016llx%016llx", (unsigned long long)lash__rng_next(r),
           (unsigned long long)lash__rng_next(r));
}
