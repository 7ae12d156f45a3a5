/* SHA-256 against the FIPS 180-4 / NIST example vectors. */
#include "test.h"
#include "util/sha256.h"

static void vectors(void) {
  char out[65];
  lash__sha256_hex("", 0, out);
  CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  lash__sha256_hex("abc", 3, out);
  CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  lash__sha256_hex(m, strlen(m), out);
  CHECK_STR(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void million_a_in_pieces(void) {
  lash_sha256 s;
  uint8_t d[32];
  char chunk[1001];
  memset(chunk, 'a', sizeof chunk);
  lash__sha256_init(&s);
  for (int i = 0; i < 1000; i++) lash__sha256_update(&s, chunk, i % 2 ? 999 : 1001); /* uneven pieces, 10^6 bytes */
  lash__sha256_final(&s, d);
  static const uint8_t expect[32] = {0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2, 0x84, 0xd7, 0x3e, 0x67,
                                     0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0};
  CHECK(memcmp(d, expect, 32) == 0);
}

TEST_MAIN(RUN(vectors); RUN(million_a_in_pieces))
