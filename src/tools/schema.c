/* Port of lash's tool-argument validation (lash-sansio tool_contract/
 * schema_validation.rs: validate_schema and its helpers, at the spec's commit).
 * Messages are formatted as lash formats them: a string value in Rust's Debug form
 * ({:?}), any other value as serde_json's compact text. serde_json::Map is a
 * BTreeMap, so object keys are visited and printed sorted (by bytes) and the last
 * of duplicate keys wins; cJSON keeps document order and duplicates, hence the
 * sorted views below. */
#include "tools/schema.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

/* ---- Rust's <str as Debug>: which scalars (>= U+0080) print as \u{..} ----
 * Generated with rustc 1.95 by formatting every char as a one-char string: the
 * escaped ones are the grapheme extenders and the non-printables (controls,
 * format chars, separators other than ' ', private use, unassigned). The list
 * holds the code points where "escaped" flips, as low 16 bits grouped by plane;
 * k_debug_esc_plane[p] is the index of plane p's first entry. */
static const uint16_t k_debug_esc_plane[18] = {
    0, 881, 1793, 1805, 1809, 1809, 1809, 1809, 1809, 1809, 1809, 1809,
    1809, 1809, 1809, 1809, 1809, 1809,
};
static const uint16_t k_debug_esc_lo[1810] = {
    0x0080, 0x00a1, 0x00ad, 0x00ae, 0x0300, 0x0370, 0x0378, 0x037a, 0x0380, 0x0384, 0x038b, 0x038c,
    0x038d, 0x038e, 0x03a2, 0x03a3, 0x0483, 0x048a, 0x0530, 0x0531, 0x0557, 0x0559, 0x058b, 0x058d,
    0x0590, 0x05be, 0x05bf, 0x05c0, 0x05c1, 0x05c3, 0x05c4, 0x05c6, 0x05c7, 0x05d0, 0x05eb, 0x05ef,
    0x05f5, 0x0606, 0x0610, 0x061b, 0x061c, 0x061d, 0x064b, 0x0660, 0x0670, 0x0671, 0x06d6, 0x06de,
    0x06df, 0x06e5, 0x06e7, 0x06e9, 0x06ea, 0x06ee, 0x070e, 0x0710, 0x0711, 0x0712, 0x0730, 0x074d,
    0x07a6, 0x07b1, 0x07b2, 0x07c0, 0x07eb, 0x07f4, 0x07fb, 0x07fe, 0x0816, 0x081a, 0x081b, 0x0824,
    0x0825, 0x0828, 0x0829, 0x0830, 0x083f, 0x0840, 0x0859, 0x085e, 0x085f, 0x0860, 0x086b, 0x0870,
    0x0890, 0x08a0, 0x08ca, 0x0903, 0x093a, 0x093b, 0x093c, 0x093d, 0x0941, 0x0949, 0x094d, 0x094e,
    0x0951, 0x0958, 0x0962, 0x0964, 0x0981, 0x0982, 0x0984, 0x0985, 0x098d, 0x098f, 0x0991, 0x0993,
    0x09a9, 0x09aa, 0x09b1, 0x09b2, 0x09b3, 0x09b6, 0x09ba, 0x09bd, 0x09be, 0x09bf, 0x09c1, 0x09c7,
    0x09c9, 0x09cb, 0x09cd, 0x09ce, 0x09cf, 0x09dc, 0x09de, 0x09df, 0x09e2, 0x09e6, 0x09fe, 0x0a03,
    0x0a04, 0x0a05, 0x0a0b, 0x0a0f, 0x0a11, 0x0a13, 0x0a29, 0x0a2a, 0x0a31, 0x0a32, 0x0a34, 0x0a35,
    0x0a37, 0x0a38, 0x0a3a, 0x0a3e, 0x0a41, 0x0a59, 0x0a5d, 0x0a5e, 0x0a5f, 0x0a66, 0x0a70, 0x0a72,
    0x0a75, 0x0a76, 0x0a77, 0x0a83, 0x0a84, 0x0a85, 0x0a8e, 0x0a8f, 0x0a92, 0x0a93, 0x0aa9, 0x0aaa,
    0x0ab1, 0x0ab2, 0x0ab4, 0x0ab5, 0x0aba, 0x0abd, 0x0ac1, 0x0ac9, 0x0aca, 0x0acb, 0x0acd, 0x0ad0,
    0x0ad1, 0x0ae0, 0x0ae2, 0x0ae6, 0x0af2, 0x0af9, 0x0afa, 0x0b02, 0x0b04, 0x0b05, 0x0b0d, 0x0b0f,
    0x0b11, 0x0b13, 0x0b29, 0x0b2a, 0x0b31, 0x0b32, 0x0b34, 0x0b35, 0x0b3a, 0x0b3d, 0x0b3e, 0x0b40,
    0x0b41, 0x0b47, 0x0b49, 0x0b4b, 0x0b4d, 0x0b5c, 0x0b5e, 0x0b5f, 0x0b62, 0x0b66, 0x0b78, 0x0b83,
    0x0b84, 0x0b85, 0x0b8b, 0x0b8e, 0x0b91, 0x0b92, 0x0b96, 0x0b99, 0x0b9b, 0x0b9c, 0x0b9d, 0x0b9e,
    0x0ba0, 0x0ba3, 0x0ba5, 0x0ba8, 0x0bab, 0x0bae, 0x0bba, 0x0bbf, 0x0bc0, 0x0bc1, 0x0bc3, 0x0bc6,
    0x0bc9, 0x0bca, 0x0bcd, 0x0bd0, 0x0bd1, 0x0be6, 0x0bfb, 0x0c01, 0x0c04, 0x0c05, 0x0c0d, 0x0c0e,
    0x0c11, 0x0c12, 0x0c29, 0x0c2a, 0x0c3a, 0x0c3d, 0x0c3e, 0x0c41, 0x0c45, 0x0c58, 0x0c5b, 0x0c5c,
    0x0c5e, 0x0c60, 0x0c62, 0x0c66, 0x0c70, 0x0c77, 0x0c81, 0x0c82, 0x0c8d, 0x0c8e, 0x0c91, 0x0c92,
    0x0ca9, 0x0caa, 0x0cb4, 0x0cb5, 0x0cba, 0x0cbd, 0x0cbf, 0x0cc1, 0x0cc2, 0x0cc3, 0x0cc5, 0x0cdc,
    0x0cdf, 0x0ce0, 0x0ce2, 0x0ce6, 0x0cf0, 0x0cf1, 0x0cf4, 0x0d02, 0x0d0d, 0x0d0e, 0x0d11, 0x0d12,
    0x0d3b, 0x0d3d, 0x0d3e, 0x0d3f, 0x0d41, 0x0d46, 0x0d49, 0x0d4a, 0x0d4d, 0x0d4e, 0x0d50, 0x0d54,
    0x0d57, 0x0d58, 0x0d62, 0x0d66, 0x0d80, 0x0d82, 0x0d84, 0x0d85, 0x0d97, 0x0d9a, 0x0db2, 0x0db3,
    0x0dbc, 0x0dbd, 0x0dbe, 0x0dc0, 0x0dc7, 0x0dd0, 0x0dd2, 0x0dd8, 0x0ddf, 0x0de6, 0x0df0, 0x0df2,
    0x0df5, 0x0e01, 0x0e31, 0x0e32, 0x0e34, 0x0e3f, 0x0e47, 0x0e4f, 0x0e5c, 0x0e81, 0x0e83, 0x0e84,
    0x0e85, 0x0e86, 0x0e8b, 0x0e8c, 0x0ea4, 0x0ea5, 0x0ea6, 0x0ea7, 0x0eb1, 0x0eb2, 0x0eb4, 0x0ebd,
    0x0ebe, 0x0ec0, 0x0ec5, 0x0ec6, 0x0ec7, 0x0ed0, 0x0eda, 0x0edc, 0x0ee0, 0x0f00, 0x0f18, 0x0f1a,
    0x0f35, 0x0f36, 0x0f37, 0x0f38, 0x0f39, 0x0f3a, 0x0f48, 0x0f49, 0x0f6d, 0x0f7f, 0x0f80, 0x0f85,
    0x0f86, 0x0f88, 0x0f8d, 0x0fbe, 0x0fc6, 0x0fc7, 0x0fcd, 0x0fce, 0x0fdb, 0x1000, 0x102d, 0x1031,
    0x1032, 0x1038, 0x1039, 0x103b, 0x103d, 0x103f, 0x1058, 0x105a, 0x105e, 0x1061, 0x1071, 0x1075,
    0x1082, 0x1083, 0x1085, 0x1087, 0x108d, 0x108e, 0x109d, 0x109e, 0x10c6, 0x10c7, 0x10c8, 0x10cd,
    0x10ce, 0x10d0, 0x1249, 0x124a, 0x124e, 0x1250, 0x1257, 0x1258, 0x1259, 0x125a, 0x125e, 0x1260,
    0x1289, 0x128a, 0x128e, 0x1290, 0x12b1, 0x12b2, 0x12b6, 0x12b8, 0x12bf, 0x12c0, 0x12c1, 0x12c2,
    0x12c6, 0x12c8, 0x12d7, 0x12d8, 0x1311, 0x1312, 0x1316, 0x1318, 0x135b, 0x1360, 0x137d, 0x1380,
    0x139a, 0x13a0, 0x13f6, 0x13f8, 0x13fe, 0x1400, 0x1680, 0x1681, 0x169d, 0x16a0, 0x16f9, 0x1700,
    0x1712, 0x171f, 0x1732, 0x1735, 0x1737, 0x1740, 0x1752, 0x1760, 0x176d, 0x176e, 0x1771, 0x1780,
    0x17b4, 0x17b6, 0x17b7, 0x17be, 0x17c6, 0x17c7, 0x17c9, 0x17d4, 0x17dd, 0x17e0, 0x17ea, 0x17f0,
    0x17fa, 0x1800, 0x180b, 0x1810, 0x181a, 0x1820, 0x1879, 0x1880, 0x1885, 0x1887, 0x18a9, 0x18aa,
    0x18ab, 0x18b0, 0x18f6, 0x1900, 0x191f, 0x1923, 0x1927, 0x1929, 0x192c, 0x1930, 0x1932, 0x1933,
    0x1939, 0x1940, 0x1941, 0x1944, 0x196e, 0x1970, 0x1975, 0x1980, 0x19ac, 0x19b0, 0x19ca, 0x19d0,
    0x19db, 0x19de, 0x1a17, 0x1a19, 0x1a1b, 0x1a1e, 0x1a56, 0x1a57, 0x1a58, 0x1a61, 0x1a62, 0x1a63,
    0x1a65, 0x1a6d, 0x1a73, 0x1a80, 0x1a8a, 0x1a90, 0x1a9a, 0x1aa0, 0x1aae, 0x1b04, 0x1b34, 0x1b3e,
    0x1b42, 0x1b45, 0x1b4d, 0x1b4e, 0x1b6b, 0x1b74, 0x1b80, 0x1b82, 0x1ba2, 0x1ba6, 0x1ba8, 0x1bae,
    0x1be6, 0x1be7, 0x1be8, 0x1bea, 0x1bed, 0x1bee, 0x1bef, 0x1bfc, 0x1c2c, 0x1c34, 0x1c36, 0x1c3b,
    0x1c4a, 0x1c4d, 0x1c8b, 0x1c90, 0x1cbb, 0x1cbd, 0x1cc8, 0x1cd3, 0x1cd4, 0x1ce1, 0x1ce2, 0x1ce9,
    0x1ced, 0x1cee, 0x1cf4, 0x1cf5, 0x1cf8, 0x1cfa, 0x1cfb, 0x1d00, 0x1dc0, 0x1e00, 0x1f16, 0x1f18,
    0x1f1e, 0x1f20, 0x1f46, 0x1f48, 0x1f4e, 0x1f50, 0x1f58, 0x1f59, 0x1f5a, 0x1f5b, 0x1f5c, 0x1f5d,
    0x1f5e, 0x1f5f, 0x1f7e, 0x1f80, 0x1fb5, 0x1fb6, 0x1fc5, 0x1fc6, 0x1fd4, 0x1fd6, 0x1fdc, 0x1fdd,
    0x1ff0, 0x1ff2, 0x1ff5, 0x1ff6, 0x1fff, 0x2010, 0x2028, 0x2030, 0x205f, 0x2070, 0x2072, 0x2074,
    0x208f, 0x2090, 0x209d, 0x20a0, 0x20c2, 0x2100, 0x218c, 0x2190, 0x242a, 0x2440, 0x244b, 0x2460,
    0x2b74, 0x2b76, 0x2cef, 0x2cf2, 0x2cf4, 0x2cf9, 0x2d26, 0x2d27, 0x2d28, 0x2d2d, 0x2d2e, 0x2d30,
    0x2d68, 0x2d6f, 0x2d71, 0x2d80, 0x2d97, 0x2da0, 0x2da7, 0x2da8, 0x2daf, 0x2db0, 0x2db7, 0x2db8,
    0x2dbf, 0x2dc0, 0x2dc7, 0x2dc8, 0x2dcf, 0x2dd0, 0x2dd7, 0x2dd8, 0x2ddf, 0x2e00, 0x2e5e, 0x2e80,
    0x2e9a, 0x2e9b, 0x2ef4, 0x2f00, 0x2fd6, 0x2ff0, 0x3000, 0x3001, 0x302a, 0x3030, 0x3040, 0x3041,
    0x3097, 0x309b, 0x3100, 0x3105, 0x3130, 0x3131, 0x318f, 0x3190, 0x31e6, 0x31ef, 0x321f, 0x3220,
    0xa48d, 0xa490, 0xa4c7, 0xa4d0, 0xa62c, 0xa640, 0xa66f, 0xa673, 0xa674, 0xa67e, 0xa69e, 0xa6a0,
    0xa6f0, 0xa6f2, 0xa6f8, 0xa700, 0xa7dd, 0xa7f1, 0xa802, 0xa803, 0xa806, 0xa807, 0xa80b, 0xa80c,
    0xa825, 0xa827, 0xa82c, 0xa830, 0xa83a, 0xa840, 0xa878, 0xa880, 0xa8c4, 0xa8ce, 0xa8da, 0xa8f2,
    0xa8ff, 0xa900, 0xa926, 0xa92e, 0xa947, 0xa952, 0xa953, 0xa95f, 0xa97d, 0xa983, 0xa9b3, 0xa9b4,
    0xa9b6, 0xa9ba, 0xa9bc, 0xa9be, 0xa9c0, 0xa9c1, 0xa9ce, 0xa9cf, 0xa9da, 0xa9de, 0xa9e5, 0xa9e6,
    0xa9ff, 0xaa00, 0xaa29, 0xaa2f, 0xaa31, 0xaa33, 0xaa35, 0xaa40, 0xaa43, 0xaa44, 0xaa4c, 0xaa4d,
    0xaa4e, 0xaa50, 0xaa5a, 0xaa5c, 0xaa7c, 0xaa7d, 0xaab0, 0xaab1, 0xaab2, 0xaab5, 0xaab7, 0xaab9,
    0xaabe, 0xaac0, 0xaac1, 0xaac2, 0xaac3, 0xaadb, 0xaaec, 0xaaee, 0xaaf6, 0xab01, 0xab07, 0xab09,
    0xab0f, 0xab11, 0xab17, 0xab20, 0xab27, 0xab28, 0xab2f, 0xab30, 0xab6c, 0xab70, 0xabe5, 0xabe6,
    0xabe8, 0xabe9, 0xabed, 0xabf0, 0xabfa, 0xac00, 0xd7a4, 0xd7b0, 0xd7c7, 0xd7cb, 0xd7fc, 0xf900,
    0xfa6e, 0xfa70, 0xfada, 0xfb00, 0xfb07, 0xfb13, 0xfb18, 0xfb1d, 0xfb1e, 0xfb1f, 0xfb37, 0xfb38,
    0xfb3d, 0xfb3e, 0xfb3f, 0xfb40, 0xfb42, 0xfb43, 0xfb45, 0xfb46, 0xfdd0, 0xfdf0, 0xfe00, 0xfe10,
    0xfe1a, 0xfe30, 0xfe53, 0xfe54, 0xfe67, 0xfe68, 0xfe6c, 0xfe70, 0xfe75, 0xfe76, 0xfefd, 0xff01,
    0xff9e, 0xffa0, 0xffbf, 0xffc2, 0xffc8, 0xffca, 0xffd0, 0xffd2, 0xffd8, 0xffda, 0xffdd, 0xffe0,
    0xffe7, 0xffe8, 0xffef, 0xfffc, 0xfffe, 0x0000, 0x000c, 0x000d, 0x0027, 0x0028, 0x003b, 0x003c,
    0x003e, 0x003f, 0x004e, 0x0050, 0x005e, 0x0080, 0x00fb, 0x0100, 0x0103, 0x0107, 0x0134, 0x0137,
    0x018f, 0x0190, 0x019d, 0x01a0, 0x01a1, 0x01d0, 0x01fd, 0x0280, 0x029d, 0x02a0, 0x02d1, 0x02e1,
    0x02fc, 0x0300, 0x0324, 0x032d, 0x034b, 0x0350, 0x0376, 0x0380, 0x039e, 0x039f, 0x03c4, 0x03c8,
    0x03d6, 0x0400, 0x049e, 0x04a0, 0x04aa, 0x04b0, 0x04d4, 0x04d8, 0x04fc, 0x0500, 0x0528, 0x0530,
    0x0564, 0x056f, 0x057b, 0x057c, 0x058b, 0x058c, 0x0593, 0x0594, 0x0596, 0x0597, 0x05a2, 0x05a3,
    0x05b2, 0x05b3, 0x05ba, 0x05bb, 0x05bd, 0x05c0, 0x05f4, 0x0600, 0x0737, 0x0740, 0x0756, 0x0760,
    0x0768, 0x0780, 0x0786, 0x0787, 0x07b1, 0x07b2, 0x07bb, 0x0800, 0x0806, 0x0808, 0x0809, 0x080a,
    0x0836, 0x0837, 0x0839, 0x083c, 0x083d, 0x083f, 0x0856, 0x0857, 0x089f, 0x08a7, 0x08b0, 0x08e0,
    0x08f3, 0x08f4, 0x08f6, 0x08fb, 0x091c, 0x091f, 0x093a, 0x093f, 0x095a, 0x0980, 0x09b8, 0x09bc,
    0x09d0, 0x09d2, 0x0a01, 0x0a10, 0x0a14, 0x0a15, 0x0a18, 0x0a19, 0x0a36, 0x0a40, 0x0a49, 0x0a50,
    0x0a59, 0x0a60, 0x0aa0, 0x0ac0, 0x0ae5, 0x0aeb, 0x0af7, 0x0b00, 0x0b36, 0x0b39, 0x0b56, 0x0b58,
    0x0b73, 0x0b78, 0x0b92, 0x0b99, 0x0b9d, 0x0ba9, 0x0bb0, 0x0c00, 0x0c49, 0x0c80, 0x0cb3, 0x0cc0,
    0x0cf3, 0x0cfa, 0x0d24, 0x0d30, 0x0d3a, 0x0d40, 0x0d66, 0x0d6e, 0x0d86, 0x0d8e, 0x0d90, 0x0e60,
    0x0e7f, 0x0e80, 0x0eaa, 0x0ead, 0x0eae, 0x0eb0, 0x0eb2, 0x0ec2, 0x0ec8, 0x0ed0, 0x0ed9, 0x0f00,
    0x0f28, 0x0f30, 0x0f46, 0x0f51, 0x0f5a, 0x0f70, 0x0f82, 0x0f86, 0x0f8a, 0x0fb0, 0x0fcc, 0x0fe0,
    0x0ff7, 0x1000, 0x1001, 0x1002, 0x1038, 0x1047, 0x104e, 0x1052, 0x1070, 0x1071, 0x1073, 0x1075,
    0x1076, 0x1082, 0x10b3, 0x10b7, 0x10b9, 0x10bb, 0x10bd, 0x10be, 0x10c2, 0x10d0, 0x10e9, 0x10f0,
    0x10fa, 0x1103, 0x1127, 0x112c, 0x112d, 0x1136, 0x1148, 0x1150, 0x1173, 0x1174, 0x1177, 0x1182,
    0x11b6, 0x11bf, 0x11c0, 0x11c1, 0x11c9, 0x11cd, 0x11cf, 0x11d0, 0x11e0, 0x11e1, 0x11f5, 0x1200,
    0x1212, 0x1213, 0x122f, 0x1232, 0x1234, 0x1238, 0x123e, 0x123f, 0x1241, 0x1280, 0x1287, 0x1288,
    0x1289, 0x128a, 0x128e, 0x128f, 0x129e, 0x129f, 0x12aa, 0x12b0, 0x12df, 0x12e0, 0x12e3, 0x12f0,
    0x12fa, 0x1302, 0x1304, 0x1305, 0x130d, 0x130f, 0x1311, 0x1313, 0x1329, 0x132a, 0x1331, 0x1332,
    0x1334, 0x1335, 0x133a, 0x133d, 0x133e, 0x133f, 0x1340, 0x1341, 0x1345, 0x1347, 0x1349, 0x134b,
    0x134d, 0x1350, 0x1351, 0x135d, 0x1364, 0x1380, 0x138a, 0x138b, 0x138c, 0x138e, 0x138f, 0x1390,
    0x13b6, 0x13b7, 0x13b8, 0x13b9, 0x13bb, 0x13ca, 0x13cb, 0x13cc, 0x13ce, 0x13d1, 0x13d2, 0x13d3,
    0x13d6, 0x13d7, 0x13d9, 0x1400, 0x1438, 0x1440, 0x1442, 0x1445, 0x1446, 0x1447, 0x145c, 0x145d,
    0x145e, 0x145f, 0x1462, 0x1480, 0x14b0, 0x14b1, 0x14b3, 0x14b9, 0x14ba, 0x14bb, 0x14bd, 0x14be,
    0x14bf, 0x14c1, 0x14c2, 0x14c4, 0x14c8, 0x14d0, 0x14da, 0x1580, 0x15af, 0x15b0, 0x15b2, 0x15b8,
    0x15bc, 0x15be, 0x15bf, 0x15c1, 0x15dc, 0x1600, 0x1633, 0x163b, 0x163d, 0x163e, 0x163f, 0x1641,
    0x1645, 0x1650, 0x165a, 0x1660, 0x166d, 0x1680, 0x16ab, 0x16ac, 0x16ad, 0x16ae, 0x16b0, 0x16b8,
    0x16ba, 0x16c0, 0x16ca, 0x16d0, 0x16e4, 0x1700, 0x171b, 0x171e, 0x171f, 0x1720, 0x1722, 0x1726,
    0x1727, 0x1730, 0x1747, 0x1800, 0x182f, 0x1838, 0x1839, 0x183b, 0x183c, 0x18a0, 0x18f3, 0x18ff,
    0x1907, 0x1909, 0x190a, 0x190c, 0x1914, 0x1915, 0x1917, 0x1918, 0x1930, 0x1931, 0x1936, 0x1937,
    0x1939, 0x193f, 0x1943, 0x1944, 0x1947, 0x1950, 0x195a, 0x19a0, 0x19a8, 0x19aa, 0x19d4, 0x19dc,
    0x19e0, 0x19e1, 0x19e5, 0x1a00, 0x1a01, 0x1a0b, 0x1a33, 0x1a39, 0x1a3b, 0x1a3f, 0x1a47, 0x1a50,
    0x1a51, 0x1a57, 0x1a59, 0x1a5c, 0x1a8a, 0x1a97, 0x1a98, 0x1a9a, 0x1aa3, 0x1ab0, 0x1af9, 0x1b00,
    0x1b0a, 0x1b61, 0x1b62, 0x1b65, 0x1b66, 0x1b67, 0x1b68, 0x1bc0, 0x1be2, 0x1bf0, 0x1bfa, 0x1c00,
    0x1c09, 0x1c0a, 0x1c30, 0x1c3e, 0x1c3f, 0x1c40, 0x1c46, 0x1c50, 0x1c6d, 0x1c70, 0x1c90, 0x1ca9,
    0x1caa, 0x1cb1, 0x1cb2, 0x1cb4, 0x1cb5, 0x1d00, 0x1d07, 0x1d08, 0x1d0a, 0x1d0b, 0x1d31, 0x1d46,
    0x1d47, 0x1d50, 0x1d5a, 0x1d60, 0x1d66, 0x1d67, 0x1d69, 0x1d6a, 0x1d8f, 0x1d93, 0x1d95, 0x1d96,
    0x1d97, 0x1d98, 0x1d99, 0x1da0, 0x1daa, 0x1db0, 0x1ddc, 0x1de0, 0x1dea, 0x1ee0, 0x1ef3, 0x1ef5,
    0x1ef9, 0x1f02, 0x1f11, 0x1f12, 0x1f36, 0x1f3e, 0x1f40, 0x1f43, 0x1f5a, 0x1fb0, 0x1fb1, 0x1fc0,
    0x1ff2, 0x1fff, 0x239a, 0x2400, 0x246f, 0x2470, 0x2475, 0x2480, 0x2544, 0x2f90, 0x2ff3, 0x3000,
    0x3430, 0x3441, 0x3447, 0x3460, 0x43fb, 0x4400, 0x4647, 0x6100, 0x611e, 0x612a, 0x612d, 0x6130,
    0x613a, 0x6800, 0x6a39, 0x6a40, 0x6a5f, 0x6a60, 0x6a6a, 0x6a6e, 0x6abf, 0x6ac0, 0x6aca, 0x6ad0,
    0x6aee, 0x6af5, 0x6af6, 0x6b00, 0x6b30, 0x6b37, 0x6b46, 0x6b50, 0x6b5a, 0x6b5b, 0x6b62, 0x6b63,
    0x6b78, 0x6b7d, 0x6b90, 0x6d40, 0x6d7a, 0x6e40, 0x6e9b, 0x6ea0, 0x6eb9, 0x6ebb, 0x6ed4, 0x6f00,
    0x6f4b, 0x6f50, 0x6f88, 0x6f93, 0x6fa0, 0x6fe0, 0x6fe4, 0x6ff2, 0x6ff7, 0x7000, 0x8cd6, 0x8cff,
    0x8d1f, 0x8d80, 0x8df3, 0xaff0, 0xaff4, 0xaff5, 0xaffc, 0xaffd, 0xafff, 0xb000, 0xb123, 0xb132,
    0xb133, 0xb150, 0xb153, 0xb155, 0xb156, 0xb164, 0xb168, 0xb170, 0xb2fc, 0xbc00, 0xbc6b, 0xbc70,
    0xbc7d, 0xbc80, 0xbc89, 0xbc90, 0xbc9a, 0xbc9c, 0xbc9d, 0xbc9f, 0xbca0, 0xcc00, 0xccfd, 0xcd00,
    0xceb4, 0xceba, 0xced1, 0xcee0, 0xcef1, 0xcf50, 0xcfc4, 0xd000, 0xd0f6, 0xd100, 0xd127, 0xd129,
    0xd165, 0xd16a, 0xd16d, 0xd183, 0xd185, 0xd18c, 0xd1aa, 0xd1ae, 0xd1eb, 0xd200, 0xd242, 0xd245,
    0xd246, 0xd2c0, 0xd2d4, 0xd2e0, 0xd2f4, 0xd300, 0xd357, 0xd360, 0xd379, 0xd400, 0xd455, 0xd456,
    0xd49d, 0xd49e, 0xd4a0, 0xd4a2, 0xd4a3, 0xd4a5, 0xd4a7, 0xd4a9, 0xd4ad, 0xd4ae, 0xd4ba, 0xd4bb,
    0xd4bc, 0xd4bd, 0xd4c4, 0xd4c5, 0xd506, 0xd507, 0xd50b, 0xd50d, 0xd515, 0xd516, 0xd51d, 0xd51e,
    0xd53a, 0xd53b, 0xd53f, 0xd540, 0xd545, 0xd546, 0xd547, 0xd54a, 0xd551, 0xd552, 0xd6a6, 0xd6a8,
    0xd7cc, 0xd7ce, 0xda00, 0xda37, 0xda3b, 0xda6d, 0xda75, 0xda76, 0xda84, 0xda85, 0xda8c, 0xdf00,
    0xdf1f, 0xdf25, 0xdf2b, 0xe030, 0xe06e, 0xe100, 0xe12d, 0xe137, 0xe13e, 0xe140, 0xe14a, 0xe14e,
    0xe150, 0xe290, 0xe2ae, 0xe2c0, 0xe2ec, 0xe2f0, 0xe2fa, 0xe2ff, 0xe300, 0xe4d0, 0xe4ec, 0xe4f0,
    0xe4fa, 0xe5d0, 0xe5ee, 0xe5f0, 0xe5fb, 0xe5ff, 0xe600, 0xe6c0, 0xe6df, 0xe6e0, 0xe6e3, 0xe6e4,
    0xe6e6, 0xe6e7, 0xe6ee, 0xe6f0, 0xe6f5, 0xe6fe, 0xe700, 0xe7e0, 0xe7e7, 0xe7e8, 0xe7ec, 0xe7ed,
    0xe7ef, 0xe7f0, 0xe7ff, 0xe800, 0xe8c5, 0xe8c7, 0xe8d0, 0xe900, 0xe944, 0xe94b, 0xe94c, 0xe950,
    0xe95a, 0xe95e, 0xe960, 0xec71, 0xecb5, 0xed01, 0xed3e, 0xee00, 0xee04, 0xee05, 0xee20, 0xee21,
    0xee23, 0xee24, 0xee25, 0xee27, 0xee28, 0xee29, 0xee33, 0xee34, 0xee38, 0xee39, 0xee3a, 0xee3b,
    0xee3c, 0xee42, 0xee43, 0xee47, 0xee48, 0xee49, 0xee4a, 0xee4b, 0xee4c, 0xee4d, 0xee50, 0xee51,
    0xee53, 0xee54, 0xee55, 0xee57, 0xee58, 0xee59, 0xee5a, 0xee5b, 0xee5c, 0xee5d, 0xee5e, 0xee5f,
    0xee60, 0xee61, 0xee63, 0xee64, 0xee65, 0xee67, 0xee6b, 0xee6c, 0xee73, 0xee74, 0xee78, 0xee79,
    0xee7d, 0xee7e, 0xee7f, 0xee80, 0xee8a, 0xee8b, 0xee9c, 0xeea1, 0xeea4, 0xeea5, 0xeeaa, 0xeeab,
    0xeebc, 0xeef0, 0xeef2, 0xf000, 0xf02c, 0xf030, 0xf094, 0xf0a0, 0xf0af, 0xf0b1, 0xf0c0, 0xf0c1,
    0xf0d0, 0xf0d1, 0xf0f6, 0xf100, 0xf1ae, 0xf1e6, 0xf203, 0xf210, 0xf23c, 0xf240, 0xf249, 0xf250,
    0xf252, 0xf260, 0xf266, 0xf300, 0xf6d9, 0xf6dc, 0xf6ed, 0xf6f0, 0xf6fd, 0xf700, 0xf7da, 0xf7e0,
    0xf7ec, 0xf7f0, 0xf7f1, 0xf800, 0xf80c, 0xf810, 0xf848, 0xf850, 0xf85a, 0xf860, 0xf888, 0xf890,
    0xf8ae, 0xf8b0, 0xf8bc, 0xf8c0, 0xf8c2, 0xf8d0, 0xf8d9, 0xf900, 0xfa58, 0xfa60, 0xfa6e, 0xfa70,
    0xfa7d, 0xfa80, 0xfa8b, 0xfa8e, 0xfac7, 0xfac8, 0xfac9, 0xfacd, 0xfadd, 0xfadf, 0xfaeb, 0xfaef,
    0xfaf9, 0xfb00, 0xfb93, 0xfb94, 0xfbfb, 0x0000, 0xa6e0, 0xa700, 0xb81e, 0xb820, 0xceae, 0xceb0,
    0xebe1, 0xebf0, 0xee5e, 0xf800, 0xfa1e, 0x0000, 0x134b, 0x1350, 0x347a, 0x0000,
};

static int debug_escaped(uint32_t cp) {
  uint32_t plane = cp >> 16;
  if (plane > 16) return 1;
  size_t lo = k_debug_esc_plane[plane], hi = k_debug_esc_plane[plane + 1];
  uint16_t key = (uint16_t)(cp & 0xFFFF);
  while (lo < hi) { /* count this plane's flips at or below cp */
    size_t mid = lo + (hi - lo) / 2;
    if (k_debug_esc_lo[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return (int)(lo & 1); /* lo = flips at or below cp, all planes counted */
}

/* Next scalar of a NUL-terminated UTF-8 string. The boundary decoder admits only
 * valid UTF-8; anything else (a tree built in C) reads as U+FFFD, one byte at a
 * time, so no read passes the terminator. *valid tells which happened. */
static uint32_t utf8_next(const unsigned char **sp, int *valid) {
  const unsigned char *s = *sp;
  uint32_t c = s[0];
  size_t need = 0;
  uint32_t min = 0;
  *valid = 1;
  if (c < 0x80) { *sp = s + 1; return c; }
  if ((c & 0xE0) == 0xC0) { need = 1; min = 0x80; c &= 0x1F; }
  else if ((c & 0xF0) == 0xE0) { need = 2; min = 0x800; c &= 0x0F; }
  else if ((c & 0xF8) == 0xF0) { need = 3; min = 0x10000; c &= 0x07; }
  for (size_t k = 1; need && k <= need; k++) {
    if ((s[k] & 0xC0) != 0x80) { need = 0; break; }
    c = (c << 6) | (s[k] & 0x3F);
  }
  if (!need || c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    *valid = 0;
    *sp = s + 1;
    return 0xFFFD;
  }
  *sp = s + need + 1;
  return c;
}

/* format!("{text:?}") */
static void write_debug_str(lash_buf *out, const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  lash__buf_append(out, "\"", 1);
  while (*s) {
    const unsigned char *start = s;
    int valid;
    uint32_t c = utf8_next(&s, &valid);
    const char *esc = NULL;
    switch (c) {
      case '\t': esc = "\\t"; break;
      case '\r': esc = "\\r"; break;
      case '\n': esc = "\\n"; break;
      case '\\': esc = "\\\\"; break;
      case '"': esc = "\\\""; break;
      default: break;
    }
    if (esc) lash__buf_puts(out, esc);
    else if (c < 0x20 || c == 0x7F || (c >= 0x80 && debug_escaped(c)))
      lash__buf_printf(out, "\\u{%" PRIx32 "}", c);
    else if (valid) lash__buf_append(out, (const char *)start, (size_t)(s - start));
    else lash__buf_puts(out, "\xEF\xBF\xBD");
  }
  lash__buf_append(out, "\"", 1);
}

/* ---- values ---- */

typedef struct {
  const lash_allocator *alloc; /* err's, for scratch */
  lash_buf path;               /* lash's `path`: "" is the arguments themselves */
  int oom;
} vctx;

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

static int jtype(const cJSON *v) {
  switch (v ? v->type & 0xFF : cJSON_NULL) {
    case cJSON_False: case cJSON_True: return J_BOOL;
    case cJSON_Number: return J_NUM;
    case cJSON_String: return J_STR;
    case cJSON_Array: return J_ARR;
    case cJSON_Object: return J_OBJ;
    default: return J_NULL; /* also Raw/Invalid, which the parser never makes */
  }
}
static const char *jstr(const cJSON *v) { return v->valuestring ? v->valuestring : ""; }
static const char *jkey(const cJSON *v) { return v->string ? v->string : ""; }

/* serde_json's three number kinds. cJSON keeps only the double, so an integral
 * value in range stands for PosInt/NegInt; -0 is a float in serde_json too. */
enum { N_POS, N_NEG, N_FLOAT };
typedef struct {
  int kind;
  uint64_t u;
  int64_t i;
} jnum;

static jnum num_of(const cJSON *v) {
  jnum n = {N_FLOAT, 0, 0};
  double d = v->valuedouble;
  if (!isfinite(d) || d != floor(d) || (d == 0 && signbit(d))) return n;
  if (d >= 0 && d < 18446744073709551616.0) { n.kind = N_POS; n.u = (uint64_t)d; }
  else if (d < 0 && d >= -9223372036854775808.0) { n.kind = N_NEG; n.i = (int64_t)d; }
  return n;
}

static int as_f64(const cJSON *v, double *out) {
  if (jtype(v) != J_NUM) return 0;
  *out = v->valuedouble;
  return 1;
}

static int as_u64(const cJSON *v, uint64_t *out) {
  if (jtype(v) != J_NUM) return 0;
  jnum n = num_of(v);
  *out = n.u;
  return n.kind == N_POS;
}

/* Value::get(key): objects only, the last duplicate wins. */
static const cJSON *obj_get(const cJSON *obj, const char *key) {
  const cJSON *found = NULL;
  if (jtype(obj) != J_OBJ) return NULL;
  for (const cJSON *m = obj->child; m; m = m->next)
    if (!strcmp(jkey(m), key)) found = m;
  return found;
}

typedef struct {
  const cJSON *item;
  size_t idx;
} member;

static int member_cmp(const void *a, const void *b) {
  const member *x = a, *y = b;
  int c = strcmp(jkey(x->item), jkey(y->item));
  if (c) return c;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* An object's entries as the BTreeMap holds them: sorted, last duplicate kept.
 * Empty objects give NULL with *n = 0; a failed allocation sets c->oom. */
static member *members(vctx *c, const cJSON *obj, size_t *n) {
  size_t count = 0, kept = 0;
  *n = 0;
  for (const cJSON *m = obj->child; m; m = m->next) count++;
  if (!count) return NULL;
  member *v = count <= (size_t)-1 / sizeof *v ? lash__alloc(c->alloc, count * sizeof *v) : NULL;
  if (!v) { c->oom = 1; return NULL; }
  count = 0;
  for (const cJSON *m = obj->child; m; m = m->next, count++) v[count] = (member){m, count};
  qsort(v, count, sizeof *v, member_cmp);
  for (size_t i = 0; i < count; i++)
    if (i + 1 == count || strcmp(jkey(v[i].item), jkey(v[i + 1].item))) v[kept++] = v[i];
  *n = kept;
  return v;
}

static const cJSON *find_member(const member *v, size_t n, const char *key) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = strcmp(jkey(v[mid].item), key);
    if (!cmp) return v[mid].item;
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* Value's PartialEq: numbers equal only within one kind (1 != 1.0). Recursion
 * follows the trees' nesting, checked at entry. */
static int values_equal(vctx *c, const cJSON *a, const cJSON *b) {
  int t = jtype(a);
  if (t != jtype(b)) return 0;
  switch (t) {
    case J_BOOL: return cJSON_IsTrue(a) == cJSON_IsTrue(b);
    case J_NUM: {
      jnum x = num_of(a), y = num_of(b);
      if (x.kind != y.kind) return 0;
      if (x.kind == N_POS) return x.u == y.u;
      if (x.kind == N_NEG) return x.i == y.i;
      return a->valuedouble == b->valuedouble;
    }
    case J_STR: return !strcmp(jstr(a), jstr(b));
    case J_ARR: {
      const cJSON *x = a->child, *y = b->child;
      for (; x && y; x = x->next, y = y->next)
        if (!values_equal(c, x, y)) return 0;
      return !x && !y;
    }
    case J_OBJ: {
      size_t na, nb;
      member *ma = members(c, a, &na);
      member *mb = members(c, b, &nb);
      int eq = !c->oom && na == nb;
      for (size_t i = 0; eq && i < na; i++)
        eq = !strcmp(jkey(ma[i].item), jkey(mb[i].item)) && values_equal(c, ma[i].item, mb[i].item);
      lash__free(c->alloc, ma);
      lash__free(c->alloc, mb);
      return eq;
    }
    default: return 1;
  }
}

/* Shortest digits that read back as x (> 0, finite), the nearest to x among
 * those, ties to even (printf's rounding): what zmij's Schubfach search yields.
 * Digits go to `digits` (no trailing zeros), the first one's decimal exponent to
 * *exp10. Checked against Rust's shortest float formatting on 400k doubles. */
static void shortest_digits(double x, char digits[24], int *exp10) {
  char s[48];
  uint64_t m = 0;
  int scale = 0;
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(s, sizeof s, "%.*e", prec - 1, x);
    const char *p = s;
    m = 0;
    for (; *p && *p != 'e'; p++)
      if (*p >= '0' && *p <= '9') m = m * 10 + (uint64_t)(*p - '0');
    scale = (*p ? atoi(p + 1) : 0) - (prec - 1); /* x ~ m * 10^scale */
    if (strtod(s, NULL) == x) break;
    /* Just above a power of two the interval below x is half as wide, so the
     * nearest candidate can miss while its other neighbour reads back. */
    int hit = 0;
    for (int k = -1; k <= 1 && !hit; k += 2) {
      uint64_t m2 = k < 0 ? m - 1 : m + 1;
      if (!m2) continue;
      snprintf(s, sizeof s, "%" PRIu64 "e%d", m2, scale);
      if (strtod(s, NULL) == x) { m = m2; hit = 1; }
    }
    if (hit) break;
  }
  while (m && m % 10 == 0) { m /= 10; scale++; }
  int len = snprintf(digits, 24, "%" PRIu64, m);
  *exp10 = len - 1 + scale;
}

/* serde_json writes floats with zmij (1.0.21 in lash's lock file): fixed notation
 * for decimal exponents -5..=15 ("100.0", "0.00001"), else "1.5e+300", "1e-7". */
static void write_f64(lash_buf *out, double d) {
  char digits[24];
  int e;
  if (!isfinite(d)) { lash__buf_puts(out, "null"); return; } /* serde_json's choice */
  if (d == 0) { lash__buf_puts(out, signbit(d) ? "-0.0" : "0.0"); return; }
  if (d < 0) { lash__buf_append(out, "-", 1); d = -d; }
  shortest_digits(d, digits, &e);
  int len = (int)strlen(digits);
  if (e >= -5 && e <= 15) {
    if (len - 1 <= e) {
      lash__buf_puts(out, digits);
      for (int i = len - 1; i < e; i++) lash__buf_append(out, "0", 1);
      lash__buf_puts(out, ".0");
    } else if (e >= 0) {
      lash__buf_append(out, digits, (size_t)e + 1);
      lash__buf_append(out, ".", 1);
      lash__buf_puts(out, digits + e + 1);
    } else {
      lash__buf_puts(out, "0.");
      for (int i = -1; i > e; i--) lash__buf_append(out, "0", 1);
      lash__buf_puts(out, digits);
    }
    return;
  }
  lash__buf_append(out, digits, 1);
  if (len > 1) {
    lash__buf_append(out, ".", 1);
    lash__buf_puts(out, digits + 1);
  }
  lash__buf_printf(out, "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
}

/* serde_json's string escaping: \" \\ \b \f \n \r \t, other controls \u00xx. */
/* serde_json string escaping (util/buf.c). */
static void write_json_str(lash_buf *out, const char *s) { lash__buf_json_string(out, s, strlen(s)); }

/* value.to_string(): compact, keys sorted. Recursion follows the value's
 * nesting, checked at entry. */
static void write_json(vctx *c, lash_buf *out, const cJSON *v) {
  switch (jtype(v)) {
    case J_BOOL: lash__buf_puts(out, cJSON_IsTrue(v) ? "true" : "false"); return;
    case J_NUM: {
      jnum n = num_of(v);
      if (n.kind == N_POS) lash__buf_printf(out, "%" PRIu64, n.u);
      else if (n.kind == N_NEG) lash__buf_printf(out, "%" PRId64, n.i);
      else write_f64(out, v->valuedouble);
      return;
    }
    case J_STR: write_json_str(out, jstr(v)); return;
    case J_ARR:
      lash__buf_append(out, "[", 1);
      for (const cJSON *x = v->child; x; x = x->next) {
        if (x != v->child) lash__buf_append(out, ",", 1);
        write_json(c, out, x);
      }
      lash__buf_append(out, "]", 1);
      return;
    case J_OBJ: {
      size_t n;
      member *m = members(c, v, &n);
      lash__buf_append(out, "{", 1);
      for (size_t i = 0; i < n; i++) {
        if (i) lash__buf_append(out, ",", 1);
        write_json_str(out, jkey(m[i].item));
        lash__buf_append(out, ":", 1);
        write_json(c, out, m[i].item);
      }
      lash__buf_append(out, "}", 1);
      lash__free(c->alloc, m);
      return;
    }
    default: lash__buf_puts(out, "null"); return;
  }
}

/* display_value */
static void write_value(vctx *c, lash_buf *out, const cJSON *v) {
  if (jtype(v) == J_STR) write_debug_str(out, jstr(v));
  else write_json(c, out, v);
}

/* ---- messages ---- */

static int failed(const vctx *c) { return c->oom || c->path.oom; }

static const char *path_str(const vctx *c) { return c->path.len ? c->path.data : ""; }

/* join_path(path, key) becomes the current path; returns the length to restore. */
static size_t path_push_key(vctx *c, const char *key) {
  size_t mark = c->path.len;
  if (mark) lash__buf_append(&c->path, ".", 1);
  lash__buf_puts(&c->path, key);
  return mark;
}

static size_t path_push_index(vctx *c, size_t idx) {
  size_t mark = c->path.len;
  lash__buf_printf(&c->path, "[%zu]", idx);
  return mark;
}

static void path_pop(vctx *c, size_t mark) {
  c->path.len = mark;
  if (c->path.data) c->path.data[mark] = '\0';
}

/* display_path */
static void write_path(const vctx *c, lash_buf *out) {
  lash__buf_puts(out, c->path.len ? c->path.data : "arguments");
}

/* expected_description(schema): the parts joined by " " (an empty type list still
 * counts as a part), "valid value" when there are none. */
static void write_expected(vctx *c, lash_buf *out, const cJSON *schema) {
  static const char *const bounds[][2] = {
      {"minimum", ">= "},          {"maximum", "<= "},         {"minLength", "length >= "},
      {"maxLength", "length <= "}, {"minItems", "items >= "}, {"maxItems", "items <= "}};
  int parts = 0;
  const cJSON *ty = obj_get(schema, "type");
  if (ty) {
    parts++;
    if (jtype(ty) == J_STR) {
      lash__buf_puts(out, jstr(ty));
    } else if (jtype(ty) == J_ARR) {
      int n = 0;
      for (const cJSON *t = ty->child; t; t = t->next)
        if (jtype(t) == J_STR) {
          if (n++) lash__buf_puts(out, " or ");
          lash__buf_puts(out, jstr(t));
        }
    } else {
      lash__buf_puts(out, "valid value");
    }
  } else if (obj_get(schema, "anyOf") || obj_get(schema, "oneOf")) {
    parts++;
    lash__buf_puts(out, "matching schema");
  }
  for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
    const cJSON *v = obj_get(schema, bounds[i][0]);
    if (!v) continue;
    if (parts++) lash__buf_append(out, " ", 1);
    lash__buf_puts(out, bounds[i][1]);
    write_value(c, out, v);
  }
  if (!parts) lash__buf_puts(out, "valid value");
}

/* "{path}: expected {description}, got {value}" */
static int fail_expected(vctx *c, lash_buf *out, const cJSON *schema, const cJSON *value) {
  if (!out) return 0;
  write_path(c, out);
  lash__buf_puts(out, ": expected ");
  write_expected(c, out, schema);
  lash__buf_puts(out, ", got ");
  write_value(c, out, value);
  return 0;
}

/* "{path}: expected {description}, got {n} items" */
static int fail_items(vctx *c, lash_buf *out, const cJSON *schema, size_t n) {
  if (!out) return 0;
  write_path(c, out);
  lash__buf_puts(out, ": expected ");
  write_expected(c, out, schema);
  lash__buf_printf(out, ", got %zu items", n);
  return 0;
}

/* "{join_path(path, name)}: {what}" (no "arguments" for the root here) */
static int fail_property(vctx *c, lash_buf *out, const char *name, const char *what) {
  if (!out) return 0;
  lash__buf_puts(out, path_str(c));
  if (c->path.len) lash__buf_append(out, ".", 1);
  lash__buf_puts(out, name);
  lash__buf_puts(out, what);
  return 0;
}

/* ---- validate_schema ---- */

static int is_internal_argument(const char *name) { return !strcmp(name, "__session_id__"); }

static int matches_single_type(const char *ty, const cJSON *v) {
  int t = jtype(v);
  if (!strcmp(ty, "null")) return t == J_NULL;
  if (!strcmp(ty, "boolean")) return t == J_BOOL;
  if (!strcmp(ty, "string")) return t == J_STR;
  if (!strcmp(ty, "integer")) return t == J_NUM && num_of(v).kind != N_FLOAT;
  if (!strcmp(ty, "number")) return t == J_NUM;
  if (!strcmp(ty, "array")) return t == J_ARR;
  if (!strcmp(ty, "object")) return t == J_OBJ;
  return 1; /* unknown type names match anything */
}

static int matches_type(const cJSON *ty, const cJSON *v) {
  if (jtype(ty) == J_STR) return matches_single_type(jstr(ty), v);
  if (jtype(ty) != J_ARR) return 1;
  for (const cJSON *t = ty->child; t; t = t->next)
    if (jtype(t) == J_STR && matches_single_type(jstr(t), v)) return 1;
  return 0; /* no string entry matched, including [] */
}

static size_t char_count(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static int validate(vctx *c, lash_buf *out, const cJSON *schema, const cJSON *value, int depth);

/* Keywords on an object value: required (array order), properties (sorted), then
 * additionalProperties, which lash only consults when properties is an object. */
static int validate_object(vctx *c, lash_buf *out, const cJSON *schema, const cJSON *value,
                           int depth) {
  const cJSON *req = obj_get(schema, "required");
  const cJSON *props = obj_get(schema, "properties");
  if (jtype(req) != J_ARR && jtype(props) != J_OBJ) return 1;
  size_t nv, np = 0;
  member *vm = members(c, value, &nv), *pm = NULL;
  int ok = !failed(c);
  if (ok && jtype(req) == J_ARR)
    for (const cJSON *r = req->child; ok && r; r = r->next)
      if (jtype(r) == J_STR && !find_member(vm, nv, jstr(r)))
        ok = fail_property(c, out, jstr(r), ": required property missing");
  if (ok && jtype(props) == J_OBJ) {
    pm = members(c, props, &np);
    ok = !failed(c);
    for (size_t i = 0; ok && i < np; i++) {
      const cJSON *pv = find_member(vm, nv, jkey(pm[i].item));
      if (!pv) continue;
      size_t mark = path_push_key(c, jkey(pm[i].item));
      ok = validate(c, out, pm[i].item, pv, depth + 1);
      path_pop(c, mark);
    }
    const cJSON *extra = obj_get(schema, "additionalProperties");
    if (ok && !cJSON_IsTrue(extra)) {
      for (size_t i = 0; ok && i < nv; i++) {
        const char *name = jkey(vm[i].item);
        if (is_internal_argument(name) || find_member(pm, np, name)) continue;
        if (jtype(extra) == J_OBJ) {
          size_t mark = path_push_key(c, name);
          ok = validate(c, out, extra, vm[i].item, depth + 1);
          path_pop(c, mark);
        } else { /* absent, false, or anything else: closed */
          ok = fail_property(c, out, name, ": unexpected property");
        }
      }
    }
  }
  lash__free(c->alloc, vm);
  lash__free(c->alloc, pm);
  return ok;
}

/* validate_schema: the first failure ends validation. out is NULL inside anyOf,
 * whose branch errors lash discards. */
static int validate(vctx *c, lash_buf *out, const cJSON *schema, const cJSON *value, int depth) {
  if (failed(c)) return 0;
  if (jtype(schema) != J_OBJ) return 1; /* Value::get on a non-object finds nothing */
  /* Each level sits one container deeper in the schema, whose nesting was
   * bounded at entry, so this cannot trip; it only keeps the bound local. */
  if (depth > LASH_MAX_JSON_DEPTH) return 0;

  /* anyOf, or else oneOf, read as "any": a match skips every other keyword */
  const cJSON *any = obj_get(schema, "anyOf");
  if (!any) any = obj_get(schema, "oneOf");
  if (jtype(any) == J_ARR) {
    for (const cJSON *s = any->child; s; s = s->next)
      if (validate(c, NULL, s, value, depth + 1)) return 1;
    return failed(c) ? 0 : fail_expected(c, out, schema, value);
  }

  const cJSON *en = obj_get(schema, "enum");
  if (jtype(en) == J_ARR) {
    int found = 0;
    for (const cJSON *e = en->child; e && !found; e = e->next) found = values_equal(c, e, value);
    if (failed(c)) return 0;
    if (!found) {
      if (!out) return 0;
      write_path(c, out);
      lash__buf_puts(out, ": expected one of ");
      for (const cJSON *e = en->child; e; e = e->next) {
        if (e != en->child) lash__buf_puts(out, ", ");
        write_value(c, out, e);
      }
      lash__buf_puts(out, ", got ");
      write_value(c, out, value);
      return 0;
    }
  }

  const cJSON *ty = obj_get(schema, "type");
  if (ty && !matches_type(ty, value)) return fail_expected(c, out, schema, value);

  double bound;
  if (as_f64(obj_get(schema, "maximum"), &bound) && jtype(value) == J_NUM &&
      value->valuedouble > bound)
    return fail_expected(c, out, schema, value);
  if (as_f64(obj_get(schema, "minimum"), &bound) && jtype(value) == J_NUM &&
      value->valuedouble < bound)
    return fail_expected(c, out, schema, value);

  uint64_t limit;
  if (jtype(value) == J_STR) {
    size_t chars = char_count(jstr(value));
    if (as_u64(obj_get(schema, "maxLength"), &limit) && (uint64_t)chars > limit)
      return fail_expected(c, out, schema, value);
    if (as_u64(obj_get(schema, "minLength"), &limit) && (uint64_t)chars < limit)
      return fail_expected(c, out, schema, value);
  }

  if (jtype(value) == J_ARR) {
    size_t n = 0;
    for (const cJSON *x = value->child; x; x = x->next) n++;
    if (as_u64(obj_get(schema, "maxItems"), &limit) && (uint64_t)n > limit)
      return fail_items(c, out, schema, n);
    if (as_u64(obj_get(schema, "minItems"), &limit) && (uint64_t)n < limit)
      return fail_items(c, out, schema, n);
    const cJSON *items = obj_get(schema, "items");
    if (items) {
      size_t idx = 0;
      for (const cJSON *x = value->child; x; x = x->next, idx++) {
        size_t mark = path_push_index(c, idx);
        int ok = validate(c, out, items, x, depth + 1);
        path_pop(c, mark);
        if (!ok) return 0;
      }
    }
  }

  if (jtype(value) == J_OBJ) return validate_object(c, out, schema, value, depth);
  return 1;
}

/* Does v nest more than LASH_MAX_JSON_DEPTH containers? Stops one level past. */
static int too_deep(const cJSON *v, int nesting) {
  int t = jtype(v);
  if (t != J_ARR && t != J_OBJ) return 0;
  if (++nesting > LASH_MAX_JSON_DEPTH) return 1;
  for (const cJSON *x = v->child; x; x = x->next)
    if (too_deep(x, nesting)) return 1;
  return 0;
}

int lash__schema_validate(const cJSON *schema, const cJSON *value, lash_buf *err) {
  vctx c;
  memset(&c, 0, sizeof c);
  c.alloc = err ? err->alloc : NULL;
  lash__buf_init(&c.path, c.alloc);
  /* lash has no such bound; the JSON boundary never admits deeper documents */
  if (too_deep(schema, 0) || too_deep(value, 0)) {
    if (err) lash__buf_printf(err, "arguments: JSON nesting exceeds %d levels", LASH_MAX_JSON_DEPTH);
    return 0;
  }
  int ok = validate(&c, err, schema, value, 0);
  if (failed(&c)) {
    ok = 0;
    if (err) err->oom = 1;
  }
  lash__buf_free(&c.path);
  return ok;
}
