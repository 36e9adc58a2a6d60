/* SPDX-License-Identifier: BSD-3-Clause */
/* Base64 (RFC 4648) for the whole core: the PM contact string (base64url,
 * unpadded, canonical) and blob values written in YAML (the standard
 * alphabet, as text: whitespace and '=' padding allowed). */
#ifndef MSTRO_BASE64_H
#define MSTRO_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Flags of mstro__base64_decode. */
#define MSTRO__B64_URL 1u /* the URL alphabet ('-', '_') instead of '+', '/' */
#define MSTRO__B64_TEXT                                                                            \
  2u /* text: whitespace skipped, '=' padding accepted at the end, trailing                        \
        bits not checked; without it only canonical unpadded input */

/* Decodes `n` characters into at most `cap` bytes: the byte count, or -1 for
 * a bad character, an impossible length, non-zero trailing bits (unless
 * MSTRO__B64_TEXT) or more than cap bytes. */
long mstro__base64_decode(const char *in, size_t n, unsigned flags, uint8_t *out, size_t cap);

/* Writes the unpadded base64url text of `n` bytes at `out` (room for
 * (n + 2) / 3 * 4 characters); returns its length. */
size_t mstro__base64url_encode(const uint8_t *in, size_t n, char *out);

#endif
