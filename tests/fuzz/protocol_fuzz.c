/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness of the control protocol's decoders (issue 6): frames
 * (mstro__proto_decode) and the Pool Manager's contact string
 * (mstro__proto_info_parse). Whatever decodes must validate, re-encode to a
 * frame that decodes again, and free cleanly.
 *
 * Built only with clang and -DMSTRO_FUZZ=ON (tests/fuzz/fuzz-protocol.cmake):
 *   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DMSTRO_FUZZ=ON -DMSTRO_SANITIZE=address
 *   cmake --build build-fuzz --target protocol_fuzz
 *   build-fuzz/tests/fuzz/protocol_fuzz -max_total_time=60 [corpus dir]
 * ctest runs it for a few seconds (test_protocol_fuzz_smoke). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto_codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  /* One warning per refused input would slow the fuzzer to a crawl. */
  setenv("MSTRO_LOG_MODULES", "^core.proto", 1);
  return 0;
}

/* Decodes a frame; whatever decodes must validate and survive a round trip. */
static void one_frame(const uint8_t *data, size_t size)
{
  char why[MSTRO__PROTO_WHY_MAX];
  Mstro__Proto__Envelope *env = NULL;
  if (mstro__proto_decode(data, size, &env, why, sizeof why) == MSTRO_OK) {
    uint8_t *buf = NULL;
    size_t len = 0;
    if (mstro__proto_validate(env, NULL, 0) != MSTRO_OK ||
        mstro__proto_encode_alloc(env, &buf, &len) != MSTRO_OK)
      abort();
    Mstro__Proto__Envelope *again = NULL;
    if (mstro__proto_decode(buf, len, &again, NULL, 0) != MSTRO_OK ||
        again->msg_case != env->msg_case || again->seq != env->seq)
      abort();
    mstro__proto_free(again);
    free(buf);
    mstro__proto_free(env);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* The bytes as a frame, and as the payload of a frame with a valid header
   * (so that the fuzzer need not discover the header to reach protobuf-c and
   * the validator). */
  one_frame(data, size);
  uint8_t *frame = malloc(MSTRO__PROTO_HEADER_SIZE + size);
  if (frame != NULL && size <= MSTRO__PROTO_FRAME_MAX) {
    const uint32_t magic = MSTRO__PROTO_MAGIC, len = (uint32_t)size;
    const uint8_t hdr[MSTRO__PROTO_HEADER_SIZE] = {(uint8_t)(magic >> 24),
                                                   (uint8_t)(magic >> 16),
                                                   (uint8_t)(magic >> 8),
                                                   (uint8_t)magic,
                                                   0,
                                                   (uint8_t)MSTRO__PROTO_VERSION,
                                                   0,
                                                   0,
                                                   (uint8_t)(len >> 24),
                                                   (uint8_t)(len >> 16),
                                                   (uint8_t)(len >> 8),
                                                   (uint8_t)len};
    memcpy(frame, hdr, sizeof hdr);
    if (size > 0)
      memcpy(frame + sizeof hdr, data, size);
    one_frame(frame, sizeof hdr + size);
  }
  free(frame);

  /* The same bytes as a contact string. */
  char *text = malloc(size + 1);
  if (text != NULL) {
    memcpy(text, data, size);
    text[size] = '\0';
    struct mstro__proto_pm_info info;
    if (mstro__proto_info_parse(text, &info, NULL, 0) == MSTRO_OK) {
      char *again = NULL;
      if (mstro__proto_info_format(&info, &again) != MSTRO_OK)
        abort();
      free(again);
    }
    free(text);
  }
  return 0;
}
