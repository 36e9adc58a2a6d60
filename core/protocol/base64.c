/* SPDX-License-Identifier: BSD-3-Clause */
/* Base64 (see base64.h). */
#include "base64.h"

#include <ctype.h>
#include <stdbool.h>

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int digit_value(int ch, bool url)
{
  if (ch >= 'A' && ch <= 'Z')
    return ch - 'A';
  if (ch >= 'a' && ch <= 'z')
    return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9')
    return ch - '0' + 52;
  if (ch == (url ? '-' : '+'))
    return 62;
  if (ch == (url ? '_' : '/'))
    return 63;
  return -1;
}

long mstro__base64_decode(const char *in, size_t n, unsigned flags, uint8_t *out, size_t cap)
{
  const bool url = (flags & MSTRO__B64_URL) != 0, text = (flags & MSTRO__B64_TEXT) != 0;
  size_t o = 0, digits = 0;
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)in[i];
    if (text && isspace(c))
      continue;
    if (text && c == '=') {
      pad++;
      continue;
    }
    int v = digit_value(c, url);
    if (v < 0 || pad > 0)
      return -1;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    digits++;
    if (bits >= 8) {
      bits -= 8;
      if (o == cap)
        return -1;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  if (pad > 2)
    return -1;
  /* canonical: no lone digit, and the bits below the last byte are zero */
  if (!text && (digits % 4 == 1 || (acc & ((1u << bits) - 1u)) != 0))
    return -1;
  return (long)o;
}

size_t mstro__base64url_encode(const uint8_t *in, size_t n, char *out)
{
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    out[o++] = b64url[(v >> 18) & 63];
    out[o++] = b64url[(v >> 12) & 63];
    if (i + 1 < n)
      out[o++] = b64url[(v >> 6) & 63];
    if (i + 2 < n)
      out[o++] = b64url[v & 63];
  }
  return o;
}
