/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Dense N-dimensional layouts and local transforms.
 *
 * A layout maps a logical index space (ndims extents, dims[0] is the first
 * index) onto bytes: element (i0, ..., in-1) lives at
 *
 *     buffer + offset + sum_k i_k * stride_k          (all in bytes)
 *
 * Row-major (C) order makes the last index fastest, column-major (Fortran)
 * the first. An explicit axis order with padded extents, arbitrary strides
 * and sub-blocks (offset + extent of a parent layout) are all the same kind
 * of object. Layouts are immutable after creation and may be shared between
 * threads.
 *
 * A transform copies every element of one layout into another layout over
 * the same index space (same element size, same ndims, same dims): this is a
 * transpose, an axis permutation, a padding change or a sub-block
 * extraction, depending on the two layouts.
 *
 * Every function returns LYT_OK or a status and logs the reason at error
 * level (module layout.desc / layout.transform).
 */
#ifndef LYT_LAYOUT_H
#define LYT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "lyt_export.h"
#include "lyt_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most dimensions a layout may have. */
#define LYT_MAX_DIMS 16

/** Element order of a dense layout. The values are fixed (0 and 1). */
typedef enum {
  LYT_ROW_MAJOR = 0, /**< C order: the last index varies fastest */
  LYT_COL_MAJOR = 1  /**< Fortran order: the first index varies fastest */
} lyt_order;

/** Opaque, immutable layout description. */
typedef struct lyt_layout_ lyt_layout;

/** Dense layout without padding.
 * @param elem_size  bytes per element, > 0 (any size; 1, 2, 4, 8, 16 are fast paths)
 * @param ndims      1 .. LYT_MAX_DIMS
 * @param dims       ndims extents, each > 0
 * @param order      LYT_ROW_MAJOR or LYT_COL_MAJOR
 * @param[out] out   the new layout (free with lyt_layout_destroy)
 * @return LYT_OK; LYT_INVALID_ARG (NULL, elem_size 0, ndims out of range,
 *         a dim <= 0, bad order); LYT_OVERFLOW (the byte size does not fit
 *         in int64); LYT_NOMEM. */
LYT_API lyt_status lyt_layout_create_dense(size_t elem_size, int ndims, const int64_t *dims,
                                           lyt_order order, lyt_layout **out);

/** Dense layout with an explicit axis order and optional padding.
 * @param elem_size   bytes per element, > 0
 * @param ndims       1 .. LYT_MAX_DIMS
 * @param dims        ndims extents, each > 0
 * @param axis_order  a permutation of 0..ndims-1 listing the axes from the
 *                    slowest-varying in memory to the fastest
 *                    (row-major = {0,1,..}, column-major = {..,1,0})
 * @param padded_dims NULL, or ndims allocated extents >= dims (padding)
 * @param[out] out    the new layout (free with lyt_layout_destroy)
 * @return as lyt_layout_create_dense; LYT_INVALID_ARG also for an axis_order
 *         that is not a permutation or padded_dims[k] < dims[k]. */
LYT_API lyt_status lyt_layout_create_ordered(size_t elem_size, int ndims, const int64_t *dims,
                                             const int *axis_order, const int64_t *padded_dims,
                                             lyt_layout **out);

/** Fully general strided layout.
 * @param elem_size bytes per element, > 0
 * @param ndims    1 .. LYT_MAX_DIMS
 * @param dims     ndims extents, each > 0
 * @param strides  ndims byte strides, each >= 0 (0 only when dims[k] == 1)
 * @param offset   byte offset of element (0,..,0) from the buffer pointer, >= 0
 * @param[out] out the new layout (free with lyt_layout_destroy)
 * @return as lyt_layout_create_dense; LYT_INVALID_ARG also for a negative
 *         stride or offset; LYT_OVERLAP when two different indices map to
 *         overlapping bytes (the layout could not be a transform target). */
LYT_API lyt_status lyt_layout_create_strided(size_t elem_size, int ndims, const int64_t *dims,
                                             const int64_t *strides, int64_t offset,
                                             lyt_layout **out);

/** Sub-block of a layout: the index space extent[], starting at index
 * offset[] of parent; same buffer, same strides.
 * @param parent the layout the block is taken from
 * @param offset ndims start indices of the block, each >= 0
 * @param extent ndims extents of the block, each > 0
 * @param[out] out the new layout (free with lyt_layout_destroy)
 * @return LYT_OK; LYT_INVALID_ARG (NULL, extent <= 0, offset < 0, block
 *         outside the parent's dims); LYT_NOMEM. */
LYT_API lyt_status lyt_layout_create_subblock(const lyt_layout *parent, const int64_t *offset,
                                              const int64_t *extent, lyt_layout **out);

/** Copy of a layout.
 * @param l the layout
 * @param[out] out the copy (free with lyt_layout_destroy)
 * @return LYT_OK, LYT_INVALID_ARG, LYT_NOMEM. */
LYT_API lyt_status lyt_layout_copy(const lyt_layout *l, lyt_layout **out);

/** Frees a layout.
 * @param l the layout; NULL is allowed */
LYT_API void lyt_layout_destroy(lyt_layout *l);

/* Accessors: never fail for a valid layout; return 0 for NULL. */
/** Element size.
 * @param l the layout
 * @return bytes per element; 0 for NULL. */
LYT_API size_t lyt_layout_elem_size(const lyt_layout *l);
/** Number of dimensions.
 * @param l the layout
 * @return ndims; 0 for NULL. */
LYT_API int lyt_layout_ndims(const lyt_layout *l);
/** Number of elements (product of dims).
 * @param l the layout
 * @return the element count; 0 for NULL. */
LYT_API int64_t lyt_layout_nelems(const lyt_layout *l);
/** Bytes a buffer must have for this layout: offset + the highest byte
 * addressed + 1 (for a dense layout: nelems * elem_size).
 * @param l the layout
 * @return the span in bytes; 0 for NULL. */
LYT_API int64_t lyt_layout_span_bytes(const lyt_layout *l);
/** Byte offset of element (0,..,0).
 * @param l the layout
 * @return the offset in bytes; 0 for NULL. */
LYT_API int64_t lyt_layout_offset(const lyt_layout *l);

/** Copies the dims into a caller array of ndims entries.
 * @param l the layout
 * @param[out] dims receives ndims extents
 * @return LYT_OK or LYT_INVALID_ARG (NULL). */
LYT_API lyt_status lyt_layout_get_dims(const lyt_layout *l, int64_t *dims);
/** Copies the byte strides into a caller array of ndims entries.
 * @param l the layout
 * @param[out] strides receives ndims byte strides
 * @return LYT_OK or LYT_INVALID_ARG (NULL). */
LYT_API lyt_status lyt_layout_get_strides(const lyt_layout *l, int64_t *strides);

/** Whether the layout is contiguous.
 * @param l the layout
 * @return 1 when the elements fill [offset, offset + nelems*elem_size)
 *         without gaps, else 0. */
LYT_API int lyt_layout_is_contiguous(const lyt_layout *l);

/** Whether a transform between a and b is possible (same element size,
 * ndims and dims).
 * @param a one layout
 * @param b the other layout
 * @return LYT_OK when possible; LYT_MISMATCH (logged, naming the
 *         difference) otherwise. */
LYT_API lyt_status lyt_layout_check_compatible(const lyt_layout *a, const lyt_layout *b);

/** Writes a one-line description ("f64-like 8B [4096x4096] strides [32768,8] +0")
 * into buf (always NUL-terminated when len > 0).
 * @param l   the layout
 * @param buf destination of the text
 * @param len bytes available at buf
 * @return buf. */
LYT_API char *lyt_layout_describe(const lyt_layout *l, char *buf, size_t len);

/** Non-temporal (streaming) store policy of a transform. */
typedef enum {
  LYT_STREAM_AUTO = 0, /**< streaming stores for large destinations (default) */
  LYT_STREAM_ON = 1,
  LYT_STREAM_OFF = 2
} lyt_stream_policy;

/** Options of lyt_transform; an all-zero struct (or a NULL pointer) means
 * defaults. */
typedef struct lyt_transform_opts {
  int nthreads;             /**< worker threads incl. the caller; 0 or 1: caller only */
  lyt_stream_policy stream; /**< non-temporal stores */
  size_t src_size;          /**< bytes of the source buffer, checked when > 0 */
  size_t dst_size;          /**< bytes of the destination buffer, checked when > 0 */
} lyt_transform_opts;

/** Copies every element of src (at src_ptr) to its place in dst (at dst_ptr).
 *
 * Buffers must not overlap, except for the in-place case: src_ptr == dst_ptr
 * with a square 2D layout and dst the transpose of src (dst strides =
 * src strides swapped, same offset), or dst identical to src (no-op).
 *
 * @param src     layout of the source buffer
 * @param src_ptr source buffer
 * @param dst     layout of the destination buffer (same element size and index space)
 * @param dst_ptr destination buffer
 * @param opts NULL for defaults
 * @return LYT_OK; LYT_INVALID_ARG (NULL, overlapping buffers other than the
 *         in-place case); LYT_MISMATCH (element size, ndims or dims differ,
 *         or a buffer size given in opts is smaller than the layout's span).
 *         A worker thread that cannot be started is logged and its share done
 *         by the calling thread. */
LYT_API lyt_status lyt_transform(const lyt_layout *src, const void *src_ptr, const lyt_layout *dst,
                                 void *dst_ptr, const lyt_transform_opts *opts);

/** Convenience: row-major <-> column-major conversion of a dense array.
 * Equivalent to lyt_transform between the two dense layouts of dims.
 * @param elem_size bytes per element, > 0
 * @param ndims     1 .. LYT_MAX_DIMS
 * @param dims      ndims extents, each > 0
 * @param src_order order of the source buffer
 * @param src_ptr   source buffer
 * @param dst_order order of the destination buffer
 * @param dst_ptr   destination buffer
 * @param opts      NULL for defaults
 * @return as lyt_layout_create_dense and lyt_transform. */
LYT_API lyt_status lyt_transform_dense(size_t elem_size, int ndims, const int64_t *dims,
                                       lyt_order src_order, const void *src_ptr,
                                       lyt_order dst_order, void *dst_ptr,
                                       const lyt_transform_opts *opts);

/** Naive element-by-element reference transform (an odometer over the index
 * space, memcpy per element). Slow; for tests and as a benchmark baseline.
 * @param src     layout of the source buffer
 * @param src_ptr source buffer
 * @param dst     layout of the destination buffer
 * @param dst_ptr destination buffer
 * @return as lyt_transform (no in-place support: buffers must not overlap). */
LYT_API lyt_status lyt_transform_reference(const lyt_layout *src, const void *src_ptr,
                                           const lyt_layout *dst, void *dst_ptr);

#ifdef __cplusplus
}
#endif
#endif
