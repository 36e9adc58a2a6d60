/* SPDX-License-Identifier: BSD-3-Clause */
/* Copy and transpose kernels.
 *
 * Portable kernels are cache-blocked loops over typed elements that GCC
 * vectorizes at -O3 (check with -fopt-info-vec). On x86-64 with AVX2 (checked
 * at run time with __builtin_cpu_supports), 4- and 8-byte transposes use 8x8
 * register tiles built from unpack/shuffle/permute and, for large
 * destinations, non-temporal stores that write whole cache lines.
 * LYT_NO_SIMD=1 in the environment forces the portable kernels.
 */
#include <stdlib.h>
#include <string.h>

#include "lyt_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LYT__X86 1
#endif

typedef uint8_t u8u __attribute__((aligned(1), may_alias));
typedef uint16_t u16u __attribute__((aligned(1), may_alias));
typedef uint32_t u32u __attribute__((aligned(1), may_alias));
typedef uint64_t u64u __attribute__((aligned(1), may_alias));
typedef struct {
  uint64_t lo, hi;
} __attribute__((packed, may_alias)) u128u; /* packed: alignment 1 */

static inline int64_t imin(int64_t a, int64_t b)
{
  return a < b ? a : b;
}

/* ---------------------------------------------------------------- portable */

/* Element loop for the ragged edges of a tile. */
#define DEF_TRANSPOSE_EDGE(NAME, T)                                                                \
  static inline void NAME(const char *src, int64_t lds, char *dst, int64_t ldd, int64_t r0,        \
                          int64_t rm, int64_t c0, int64_t cm)                                      \
  {                                                                                                \
    for (int64_t c = c0; c < cm; c++) {                                                            \
      T *restrict d = (T *)(dst + c * ldd);                                                        \
      const char *restrict s = src + c * (int64_t)sizeof(T);                                       \
      for (int64_t r = r0; r < rm; r++)                                                            \
        d[r] = *(const T *)(s + r * lds);                                                          \
    }                                                                                              \
  }

/* N x N register tile: N row loads, an in-register transpose, N row stores.
 * With fixed N, GCC's vectorizer turns this into whole-row vector loads,
 * unpack shuffles and vector stores (-fopt-info-vec: "loop vectorized"). */
#define DEF_TILE(NAME, T, N)                                                                       \
  static inline void NAME(const char *restrict s, int64_t lds, char *restrict d, int64_t ldd)      \
  {                                                                                                \
    T a[N][N], b[N][N];                                                                            \
    for (int i = 0; i < N; i++)                                                                    \
      memcpy(a[i], s + i * lds, sizeof a[i]);                                                      \
    for (int j = 0; j < N; j++)                                                                    \
      for (int i = 0; i < N; i++)                                                                  \
        b[j][i] = a[i][j];                                                                         \
    for (int j = 0; j < N; j++)                                                                    \
      memcpy(d + j * ldd, b[j], sizeof b[j]);                                                      \
  }

/* Cache-blocked transpose: PORT_RB x PORT_CB macro tiles (source rows x
 * columns, as for the AVX2 kernels below) of N x N register tiles. */
#ifndef PORT_RB
#define PORT_RB 32
#endif
#ifndef PORT_CB
#define PORT_CB 512
#endif
#define DEF_TRANSPOSE(NAME, T, U, N)                                                               \
  DEF_TRANSPOSE_EDGE(NAME##_edge, T)                                                               \
  DEF_TILE(NAME##_tile, U, N)                                                                      \
  static void NAME(const char *src, int64_t lds, char *dst, int64_t ldd, int64_t R, int64_t C)     \
  {                                                                                                \
    const int64_t sz = (int64_t)sizeof(T);                                                         \
    for (int64_t c0 = 0; c0 < C; c0 += PORT_CB) {                                                  \
      const int64_t cm = imin(C, c0 + PORT_CB), cn = c0 + (cm - c0) / N * N;                       \
      for (int64_t r0 = 0; r0 < R; r0 += PORT_RB) {                                                \
        const int64_t rm = imin(R, r0 + PORT_RB), rn = r0 + (rm - r0) / N * N;                     \
        for (int64_t c = c0; c < cn; c += N)                                                       \
          for (int64_t r = r0; r < rn; r += N)                                                     \
            NAME##_tile(src + r * lds + c * sz, lds, dst + c * ldd + r * sz, ldd);                 \
        NAME##_edge(src, lds, dst, ldd, rn, rm, c0, cn);                                           \
        NAME##_edge(src, lds, dst, ldd, r0, rm, cn, cm);                                           \
      }                                                                                            \
    }                                                                                              \
  }

DEF_TRANSPOSE(tr_u8, u8u, uint8_t, 16)
DEF_TRANSPOSE(tr_u16, u16u, uint16_t, 8)
DEF_TRANSPOSE(tr_u32, u32u, uint32_t, 8)
DEF_TRANSPOSE(tr_u64, u64u, uint64_t, 8)
DEF_TRANSPOSE(tr_u128, u128u, u128u, 4)

static void tr_generic(size_t e, const char *src, int64_t lds, char *dst, int64_t ldd, int64_t R,
                       int64_t C)
{
  const int64_t tb = 32;
  for (int64_t c0 = 0; c0 < C; c0 += tb) {
    const int64_t cm = imin(C, c0 + tb);
    for (int64_t r0 = 0; r0 < R; r0 += tb) {
      const int64_t rm = imin(R, r0 + tb);
      for (int64_t c = c0; c < cm; c++)
        for (int64_t r = r0; r < rm; r++)
          memcpy(dst + c * ldd + r * (int64_t)e, src + r * lds + c * (int64_t)e, e);
    }
  }
}

/* -------------------------------------------------------------------- AVX2 */

#ifdef LYT__X86
#define AVX2 __attribute__((target("avx2")))

AVX2 static inline void st_pd(char *p, __m256d v, int nt)
{
  if (nt)
    _mm256_stream_pd((double *)p, v);
  else
    _mm256_storeu_pd((double *)p, v);
}
AVX2 static inline void st_ps(char *p, __m256 v, int nt)
{
  if (nt)
    _mm256_stream_ps((float *)p, v);
  else
    _mm256_storeu_ps((float *)p, v);
}

/* 8x8 of 4-byte elements into registers: o[c] = column c of the tile. */
AVX2 static inline void tr8x8_32_regs(const char *s, int64_t lds, __m256 o[8])
{
  __m256 r0 = _mm256_loadu_ps((const float *)s);
  __m256 r1 = _mm256_loadu_ps((const float *)(s + lds));
  __m256 r2 = _mm256_loadu_ps((const float *)(s + 2 * lds));
  __m256 r3 = _mm256_loadu_ps((const float *)(s + 3 * lds));
  __m256 r4 = _mm256_loadu_ps((const float *)(s + 4 * lds));
  __m256 r5 = _mm256_loadu_ps((const float *)(s + 5 * lds));
  __m256 r6 = _mm256_loadu_ps((const float *)(s + 6 * lds));
  __m256 r7 = _mm256_loadu_ps((const float *)(s + 7 * lds));
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  o[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  o[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  o[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  o[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  o[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  o[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  o[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  o[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* 16 source rows x 8 columns -> 8 destination rows of 64 bytes, each line
 * written back to back (write-combining buffers are few). */
AVX2 static inline void tr16x8_32(const char *s, int64_t lds, char *d, int64_t ldd, int nt)
{
  __m256 a[8], b[8];
  tr8x8_32_regs(s, lds, a);
  tr8x8_32_regs(s + 8 * lds, lds, b);
  for (int i = 0; i < 8; i++) {
    st_ps(d + i * ldd, a[i], nt);
    st_ps(d + i * ldd + 32, b[i], nt);
  }
}

/* 8 source rows x 4 columns of 8-byte elements -> 4 destination lines. */
AVX2 static inline void tr8x4_64(const char *s, int64_t lds, char *d, int64_t ldd, int nt)
{
  __m256d o[8];
  for (int h = 0; h < 2; h++) {
    const char *q = s + 4 * h * lds;
    __m256d r0 = _mm256_loadu_pd((const double *)q);
    __m256d r1 = _mm256_loadu_pd((const double *)(q + lds));
    __m256d r2 = _mm256_loadu_pd((const double *)(q + 2 * lds));
    __m256d r3 = _mm256_loadu_pd((const double *)(q + 3 * lds));
    __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    o[h + 0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    o[h + 2] = _mm256_permute2f128_pd(t1, t3, 0x20);
    o[h + 4] = _mm256_permute2f128_pd(t0, t2, 0x31);
    o[h + 6] = _mm256_permute2f128_pd(t1, t3, 0x31);
  }
  for (int i = 0; i < 4; i++) {
    st_pd(d + i * ldd, o[2 * i], nt);
    st_pd(d + i * ldd + 32, o[2 * i + 1], nt);
  }
}

/* Macro tile of the AVX2 kernels: AVX_RB source rows x AVX_CB source columns
 * (elements; AVX_RB a multiple of 16). Measured on a Xeon (SPR) VM: wide
 * tiles let each of the AVX_RB source rows stream through whole pages (the
 * L2 streamer follows them), while each destination row receives 4 whole
 * lines per tile; 32 x 512 was the best of 8..128 x 32..1024. */
#ifndef AVX_RB
#define AVX_RB 32
#endif
#ifndef AVX_CB
#define AVX_CB 512
#endif
#ifndef LYT__PF_LOCALITY
#define LYT__PF_LOCALITY 2 /* prefetcht1: into L2, the L1 sets alias for power-of-2 strides */
#endif

/* Prefetch the nrows source lines of the block that follows (r, c) in the
 * traversal: the next column strip of the same rows, or the first strip of
 * the next row block. */
static inline void prefetch_next(const char *src, int64_t lds, int64_t r, int64_t c, int64_t bw,
                                 int64_t cm, int64_t c0, int64_t R, int nrows, size_t e)
{
  int64_t pr = r, pc = c + bw;
  if (pc >= cm) {
    pr = r + AVX_RB;
    pc = c0;
    if (pr + nrows > R)
      return;
  }
  const char *p = src + pr * lds + pc * (int64_t)e;
  for (int i = 0; i < nrows; i++)
    __builtin_prefetch(p + i * lds, 0, LYT__PF_LOCALITY);
}

/* 8-byte transpose: 8x8 blocks (four 4x4); each source row gives one whole
 * 64-byte line and each destination row receives one whole line per block. */
AVX2 static void tr_u64_avx2(const char *src, int64_t lds, char *dst, int64_t ldd, int64_t R,
                             int64_t C, int nt)
{
  const int64_t R8 = R & ~(int64_t)7, C8 = C & ~(int64_t)7;
  for (int64_t c0 = 0; c0 < C8; c0 += AVX_CB) {
    const int64_t cm = imin(C8, c0 + AVX_CB);
    for (int64_t r0 = 0; r0 < R8; r0 += AVX_RB) {
      const int64_t rm = imin(R8, r0 + AVX_RB);
      for (int64_t c = c0; c < cm; c += 8) {
        for (int64_t r = r0; r < rm; r += 8) {
          const char *s = src + r * lds + c * 8;
          char *d = dst + c * ldd + r * 8;
          prefetch_next(src, lds, r, c, 8, cm, c0, R8, 8, 8);
          tr8x4_64(s, lds, d, ldd, nt);
          tr8x4_64(s + 32, lds, d + 4 * ldd, ldd, nt);
        }
      }
    }
  }
  /* edges: rows R8..R for all columns, columns C8..C for rows < R8 */
  if (R8 < R)
    tr_u64(src + R8 * lds, lds, dst + R8 * 8, ldd, R - R8, C);
  if (C8 < C)
    tr_u64(src + C8 * 8, lds, dst + C8 * ldd, ldd, R8, C - C8);
}

/* 4-byte transpose: 16x16 blocks (four 8x8), whole lines on both sides. */
AVX2 static void tr_u32_avx2(const char *src, int64_t lds, char *dst, int64_t ldd, int64_t R,
                             int64_t C, int nt)
{
  const int64_t R16 = R & ~(int64_t)15, C16 = C & ~(int64_t)15;
  for (int64_t c0 = 0; c0 < C16; c0 += AVX_CB) {
    const int64_t cm = imin(C16, c0 + AVX_CB);
    for (int64_t r0 = 0; r0 < R16; r0 += AVX_RB) {
      const int64_t rm = imin(R16, r0 + AVX_RB);
      for (int64_t c = c0; c < cm; c += 16) {
        for (int64_t r = r0; r < rm; r += 16) {
          const char *s = src + r * lds + c * 4;
          char *d = dst + c * ldd + r * 4;
          prefetch_next(src, lds, r, c, 16, cm, c0, R16, 16, 4);
          tr16x8_32(s, lds, d, ldd, nt);
          tr16x8_32(s + 32, lds, d + 8 * ldd, ldd, nt);
        }
      }
    }
  }
  if (R16 < R)
    tr_u32(src + R16 * lds, lds, dst + R16 * 4, ldd, R - R16, C);
  if (C16 < C)
    tr_u32(src + C16 * 4, lds, dst + C16 * ldd, ldd, R16, C - C16);
}

AVX2 static void copy_stream_avx2(char *dst, const char *src, size_t n)
{
  /* whole lines only: a line half written with streaming stores would be
   * flushed partially from the write-combining buffer */
  size_t head = (64 - ((uintptr_t)dst & 63)) & 63;
  if (head > n)
    head = n;
  memcpy(dst, src, head);
  dst += head;
  src += head;
  n -= head;
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    __m256i a = _mm256_loadu_si256((const __m256i *)(src + i));
    __m256i b = _mm256_loadu_si256((const __m256i *)(src + i + 32));
    __m256i c = _mm256_loadu_si256((const __m256i *)(src + i + 64));
    __m256i d = _mm256_loadu_si256((const __m256i *)(src + i + 96));
    _mm256_stream_si256((__m256i *)(dst + i), a);
    _mm256_stream_si256((__m256i *)(dst + i + 32), b);
    _mm256_stream_si256((__m256i *)(dst + i + 64), c);
    _mm256_stream_si256((__m256i *)(dst + i + 96), d);
  }
  memcpy(dst + i, src + i, n - i);
}
/* Streaming transpose for destinations whose rows are not 32-byte aligned
 * (odd leading dimensions such as 3001 x 2999): a strip of BS destination
 * rows is transposed, STRIP_RC source rows at a time, into a cache-resident
 * bounce buffer on the stack, and each of its rows is then written with
 * non-temporal stores as one contiguous segment (only the two ends of a
 * segment use ordinary stores). */
#ifndef STRIP_BS
#define STRIP_BS 32
#endif
AVX2 static void tr_strips_avx2(size_t e, const char *src, int64_t lds, char *dst, int64_t ldd,
                                int64_t R, int64_t C)
{
  /* STRIP_BS destination rows x rc elements = 64 KiB of bounce buffer */
  const int64_t bs = STRIP_BS, ei = (int64_t)e, rcmax = 65536 / (STRIP_BS * ei), bld = rcmax * ei;
  _Alignas(64) char bounce[65536];
  const int64_t Cs = C / bs * bs;
  for (int64_t r0 = 0; r0 < R; r0 += rcmax) {
    const int64_t rc = imin(R - r0, rcmax);
    for (int64_t c = 0; c < Cs; c += bs) {
      const char *s = src + r0 * lds + c * ei;
      if (e == 8)
        tr_u64_avx2(s, lds, bounce, bld, rc, bs, 0);
      else
        tr_u32_avx2(s, lds, bounce, bld, rc, bs, 0);
      for (int64_t i = 0; i < bs; i++)
        copy_stream_avx2(dst + (c + i) * ldd + r0 * ei, bounce + i * bld, (size_t)(rc * ei));
    }
  }
  if (Cs < C) {
    if (e == 8)
      tr_u64_avx2(src + Cs * ei, lds, dst + Cs * ldd, ldd, R, C - Cs, 0);
    else
      tr_u32_avx2(src + Cs * ei, lds, dst + Cs * ldd, ldd, R, C - Cs, 0);
  }
}
#endif

/* ---------------------------------------------------------------- dispatch */

static int simd_level = -1; /* 0 portable, 1 avx2 */

static int get_simd(void)
{
  int lvl = __atomic_load_n(&simd_level, __ATOMIC_RELAXED);
  if (lvl < 0) {
    lvl = 0;
#ifdef LYT__X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2"))
      lvl = 1;
#endif
    const char *env = getenv("LYT_NO_SIMD");
    if (env && env[0] && env[0] != '0')
      lvl = 0;
    __atomic_store_n(&simd_level, lvl, __ATOMIC_RELAXED);
  }
  return lvl;
}

void lyt__stream_fence(void)
{
#ifdef LYT__X86
  _mm_sfence();
#else
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

void lyt__transpose2d(size_t e, const char *src, int64_t lds, char *dst, int64_t ldd, int64_t R,
                      int64_t C, int stream)
{
#ifdef LYT__X86
  if (get_simd() >= 1) {
    int nt = stream && ((uintptr_t)dst & 31) == 0 && (ldd & 31) == 0;
    if (stream && !nt && (e == 8 || e == 4) && R >= 128 && C >= 16) {
      tr_strips_avx2(e, src, lds, dst, ldd, R, C);
      return;
    }
    if (e == 8 && R >= 8 && C >= 8) {
      tr_u64_avx2(src, lds, dst, ldd, R, C, nt);
      return;
    }
    if (e == 4 && R >= 16 && C >= 16) {
      tr_u32_avx2(src, lds, dst, ldd, R, C, nt);
      return;
    }
  }
#else
  (void)stream;
#endif
  switch (e) {
  case 1:
    tr_u8(src, lds, dst, ldd, R, C);
    break;
  case 2:
    tr_u16(src, lds, dst, ldd, R, C);
    break;
  case 4:
    tr_u32(src, lds, dst, ldd, R, C);
    break;
  case 8:
    tr_u64(src, lds, dst, ldd, R, C);
    break;
  case 16:
    tr_u128(src, lds, dst, ldd, R, C);
    break;
  default:
    tr_generic(e, src, lds, dst, ldd, R, C);
    break;
  }
}

#define DEF_COPY1D(NAME, T)                                                                        \
  static void NAME(const char *src, int64_t ss, char *dst, int64_t ds, int64_t n)                  \
  {                                                                                                \
    for (int64_t i = 0; i < n; i++)                                                                \
      *(T *)(dst + i * ds) = *(const T *)(src + i * ss);                                           \
  }
DEF_COPY1D(c1_u8, u8u)
DEF_COPY1D(c1_u16, u16u)
DEF_COPY1D(c1_u32, u32u)
DEF_COPY1D(c1_u64, u64u)
DEF_COPY1D(c1_u128, u128u)

void lyt__copy1d(size_t e, const char *src, int64_t ss, char *dst, int64_t ds, int64_t n)
{
  switch (e) {
  case 1:
    c1_u8(src, ss, dst, ds, n);
    break;
  case 2:
    c1_u16(src, ss, dst, ds, n);
    break;
  case 4:
    c1_u32(src, ss, dst, ds, n);
    break;
  case 8:
    c1_u64(src, ss, dst, ds, n);
    break;
  case 16:
    c1_u128(src, ss, dst, ds, n);
    break;
  default:
    for (int64_t i = 0; i < n; i++)
      memcpy(dst + i * ds, src + i * ss, e);
    break;
  }
}

void lyt__copy_contig(char *dst, const char *src, size_t n, int stream)
{
#ifdef LYT__X86
  /* short unaligned runs would leave partial lines in the write-combining
   * buffers (measured: much slower than cached stores) */
  if (get_simd() >= 1 && ((stream && n >= 4096) || (stream == LYT__STREAM_SEQ && n >= 64 &&
                                                    ((uintptr_t)dst & 63) == 0 && (n & 63) == 0))) {
    copy_stream_avx2(dst, src, n);
    return;
  }
#else
  (void)stream;
#endif
  memcpy(dst, src, n);
}

/* ------------------------------------------------------ in-place transpose */

#define DEF_INPLACE(NAME, T)                                                                       \
  static void NAME(char *base, int64_t n, int64_t s0, int64_t s1)                                  \
  {                                                                                                \
    const int64_t tb = 32;                                                                         \
    for (int64_t i0 = 0; i0 < n; i0 += tb)                                                         \
      for (int64_t j0 = i0; j0 < n; j0 += tb) {                                                    \
        const int64_t im = imin(n, i0 + tb), jm = imin(n, j0 + tb);                                \
        for (int64_t i = i0; i < im; i++)                                                          \
          for (int64_t j = (j0 == i0 ? i + 1 : j0); j < jm; j++) {                                 \
            T *a = (T *)(base + i * s0 + j * s1), *b = (T *)(base + j * s0 + i * s1);              \
            T t = *a;                                                                              \
            *a = *b;                                                                               \
            *b = t;                                                                                \
          }                                                                                        \
      }                                                                                            \
  }
DEF_INPLACE(ip_u8, u8u)
DEF_INPLACE(ip_u16, u16u)
DEF_INPLACE(ip_u32, u32u)
DEF_INPLACE(ip_u64, u64u)
DEF_INPLACE(ip_u128, u128u)

void lyt__transpose_inplace(size_t e, char *base, int64_t n, int64_t s0, int64_t s1)
{
  switch (e) {
  case 1:
    ip_u8(base, n, s0, s1);
    return;
  case 2:
    ip_u16(base, n, s0, s1);
    return;
  case 4:
    ip_u32(base, n, s0, s1);
    return;
  case 8:
    ip_u64(base, n, s0, s1);
    return;
  case 16:
    ip_u128(base, n, s0, s1);
    return;
  default:
    break;
  }
  unsigned char tmp[256];
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i + 1; j < n; j++) {
      char *a = base + i * s0 + j * s1, *b = base + j * s0 + i * s1;
      for (size_t off = 0; off < e; off += sizeof tmp) {
        size_t k = e - off < sizeof tmp ? e - off : sizeof tmp;
        memcpy(tmp, a + off, k);
        memcpy(a + off, b + off, k);
        memcpy(b + off, tmp, k);
      }
    }
}
