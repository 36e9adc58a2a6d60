/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * mmbArray: a dense N-dimensional array in a memory space (created by
 * libmamba or wrapped over user memory), its tiling into sub-arrays (tiles),
 * a tile iterator, and copy/migration between spaces.
 *
 * An array has an element size (bytes, any value > 0), 1..MMB_MAX_DIMS
 * dimensions and an order: row-major (C, last index fastest) or column-major
 * (Fortran, first index fastest). Dimensions are always given in index order
 * (dims[0] is the first index), whatever the order.
 *
 * A tile is a view: an mmbArray that shares its parent's memory, with the
 * tile's dims and the parent's strides; it is not contiguous in general.
 * Tiles are owned by their parent (valid until the parent is destroyed or
 * re-tiled, or its data migrate); mmb_array_destroy() of a tile is a no-op.
 *
 * Thread safety: distinct arrays may be used from distinct threads; one array
 * must not be migrated, re-tiled or destroyed while another thread uses it.
 */
#ifndef MMB_ARRAY_H
#define MMB_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

#include "mmb_export.h"
#include "mmb_memory.h"
#include "mmb_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest number of dimensions of an array. */
#define MMB_MAX_DIMS 8

/** Storage order of an array. Values equal MSTRO_CDO_LAYOUT_ORDER_*. */
typedef enum {
  MMB_LAYOUT_ROW_MAJOR = 0, /**< C order: the last index varies fastest */
  MMB_LAYOUT_COL_MAJOR = 1, /**< Fortran order: the first index varies fastest */
} mmb_layout_order;

/** An array: element size, dims, order, strides and memory in a space (or a
 * tile: a view of part of its parent). */
typedef struct mmbArray mmbArray;
/** Iterator over the tiles of a tiled array. */
typedef struct mmbTileIterator mmbTileIterator;

/** Create an array whose memory libmamba allocates in `space` (NULL: DRAM)
 * through the interface mmb_alloc_in() would use (the space's pool, or its
 * system allocator for a space limited below 64 MiB), aligned to 64 bytes.
 * Memory is not initialized.
 * @param space     memory space, or NULL for DRAM
 * @param elem_size bytes per element, > 0
 * @param ndims     number of dimensions, 1 .. MMB_MAX_DIMS
 * @param dims      ndims extents, each > 0
 * @param order     storage order
 * @param[out] array receives the array (destroy with mmb_array_destroy)
 * @return MMB_OK; MMB_INVALID_ARG (elem_size 0, ndims 0 or > MMB_MAX_DIMS,
 *         a zero dimension, size overflow); MMB_OUT_OF_MEMORY; MMB_LIMIT; MMB_UNINIT. */
MMB_API mmb_status mmb_array_create(mmbMemSpace *space, size_t elem_size, size_t ndims,
                                    const size_t *dims, mmb_layout_order order, mmbArray **array);

/** Same as mmb_array_create, allocating through a given interface.
 * @param iface     the allocation interface
 * @param elem_size bytes per element, > 0
 * @param ndims     number of dimensions, 1 .. MMB_MAX_DIMS
 * @param dims      ndims extents, each > 0
 * @param order     storage order
 * @param[out] array receives the array (destroy with mmb_array_destroy)
 * @return as mmb_array_create; MMB_INVALID_ARG for a NULL interface. */
MMB_API mmb_status mmb_array_create_iface(mmbMemInterface *iface, size_t elem_size, size_t ndims,
                                          const size_t *dims, mmb_layout_order order,
                                          mmbArray **array);

/** Wrap user memory (not owned: never freed by libmamba). `space` NULL: the
 * space is looked up from the pointer, host DRAM when mamba did not allocate it.
 * @param data      the user's memory (count * elem_size bytes in `order`)
 * @param space     its memory space, or NULL
 * @param elem_size bytes per element, > 0
 * @param ndims     number of dimensions, 1 .. MMB_MAX_DIMS
 * @param dims      ndims extents, each > 0
 * @param order     storage order
 * @param[out] array receives the array (destroy with mmb_array_destroy)
 * @return MMB_OK; MMB_INVALID_ARG (data NULL, shape as above); MMB_UNINIT. */
MMB_API mmb_status mmb_array_wrap(void *data, mmbMemSpace *space, size_t elem_size, size_t ndims,
                                  const size_t *dims, mmb_layout_order order, mmbArray **array);

/** Destroy an array (and its memory if libmamba owns it, and its tiles).
 * NULL and tiles: no-op.
 * @param array the array
 * @return MMB_OK. */
MMB_API mmb_status mmb_array_destroy(mmbArray *array);

/* Accessors; each returns 0/NULL for a NULL array. */
/** Address of the first element.
 * @param array the array
 * @return the data pointer; NULL for NULL. */
MMB_API void *mmb_array_data(const mmbArray *array);
/** Element size.
 * @param array the array
 * @return bytes per element; 0 for NULL. */
MMB_API size_t mmb_array_elem_size(const mmbArray *array);
/** Number of dimensions.
 * @param array the array
 * @return ndims; 0 for NULL. */
MMB_API size_t mmb_array_ndims(const mmbArray *array);
/** Extents.
 * @param array the array
 * @return dims[0..ndims-1], valid as long as the array; NULL for NULL. */
MMB_API const size_t *mmb_array_dims(const mmbArray *array);
/** Byte distance between neighbours along each dimension.
 * @param array the array
 * @return strides[0..ndims-1], valid as long as the array; NULL for NULL. */
MMB_API const size_t *mmb_array_strides(const mmbArray *array);
/** Storage order.
 * @param array the array
 * @return the order (MMB_LAYOUT_ROW_MAJOR for NULL). */
MMB_API mmb_layout_order mmb_array_order(const mmbArray *array);
/** Number of elements (product of dims).
 * @param array the array
 * @return the count; 0 for NULL. */
MMB_API size_t mmb_array_count(const mmbArray *array);
/** Bytes of the elements (count * elem_size); for a tile, not its span.
 * @param array the array
 * @return the byte count; 0 for NULL. */
MMB_API size_t mmb_array_bytes(const mmbArray *array);
/** Memory space of the data.
 * @param array the array
 * @return the space; NULL for NULL. */
MMB_API mmbMemSpace *mmb_array_space(const mmbArray *array);
/** Whether the elements are dense in the array's order.
 * @param array the array
 * @return true for arrays and tiles of one block; false otherwise and for NULL. */
MMB_API bool mmb_array_is_contiguous(const mmbArray *array);
/** Whether libmamba allocated the memory.
 * @param array the array
 * @return true when owned (not wrapped, not a tile); false for NULL. */
MMB_API bool mmb_array_owns_data(const mmbArray *array);
/** Address of one element.
 * @param array the array
 * @param idx   ndims element indices
 * @return the element's address; NULL out of range. */
MMB_API void *mmb_array_element(const mmbArray *array, const size_t *idx);

/** Copy the elements of src into dst: same elem_size and dims; orders,
 * spaces and strides (tiles) may differ (a row-major to column-major copy
 * transposes).
 * @param dst destination array
 * @param src source array
 * @return MMB_OK; MMB_INVALID_ARG (shape mismatch);
 * MMB_NO_DEVICE; MMB_OUT_OF_MEMORY (staging for device strided copies). */
MMB_API mmb_status mmb_array_copy(mmbArray *dst, const mmbArray *src);

/** A new owned array in `space` (NULL: DRAM) with src's shape and order and
 * a copy of its elements (src may be a tile: the clone is dense).
 * @param src   the array to clone
 * @param space memory space of the clone, or NULL for DRAM
 * @param[out] dst receives the clone (destroy with mmb_array_destroy)
 * @return as mmb_array_create and mmb_array_copy. */
MMB_API mmb_status mmb_array_clone(const mmbArray *src, mmbMemSpace *space, mmbArray **dst);

/** Move an array's data to `space`: the array afterwards owns new memory in
 * that space (the old memory is freed if owned) and its tiling is kept (tile
 * views are rebuilt). Wrapped user memory is left untouched.
 * @param array the array
 * @param space the target space
 * @return MMB_OK (also when already there); MMB_INVALID_ARG (tile);
 *         MMB_OUT_OF_MEMORY; MMB_LIMIT; MMB_NO_DEVICE. */
MMB_API mmb_status mmb_array_migrate(mmbArray *array, mmbMemSpace *space);

/* ---- tiles ---- */

/** Tile an array with tiles of tile_dims (each in 1..dims[i]); edge tiles are
 * smaller when a dimension is not a multiple. Replaces a previous tiling.
 * @param array     the array
 * @param tile_dims ndims tile extents
 * @return MMB_OK; MMB_INVALID_ARG (tile, zero or too large tile dims);
 *         MMB_OUT_OF_MEMORY. */
MMB_API mmb_status mmb_array_tile(mmbArray *array, const size_t *tile_dims);

/** Remove the tiling (tile views become invalid).
 * @param array the array
 * @return MMB_OK; MMB_INVALID_ARG for NULL or a tile. */
MMB_API mmb_status mmb_array_untile(mmbArray *array);

/** Number of tiles along each dimension (counts[0..ndims-1]) and in total
 * (either may be NULL).
 * @param array the tiled array
 * @param[out] counts receives ndims tile counts, or NULL
 * @param[out] total  receives the number of tiles, or NULL
 * @return MMB_OK; MMB_INVALID_ARG (not tiled). */
MMB_API mmb_status mmb_array_tile_count(const mmbArray *array, size_t *counts, size_t *total);

/** The tile with tile coordinates tidx[0..ndims-1].
 * @param array the tiled array
 * @param tidx  ndims tile coordinates
 * @param[out] tile receives the tile (owned by the array)
 * @return MMB_OK; MMB_INVALID_ARG (not tiled, out of range). */
MMB_API mmb_status mmb_array_tile_get(mmbArray *array, const size_t *tidx, mmbArray **tile);

/** Element coordinates of a tile's first element in its parent (origin[ndims])
 * and its tile coordinates (tidx[ndims]; either may be NULL).
 * @param tile the tile
 * @param[out] origin receives ndims element coordinates, or NULL
 * @param[out] tidx   receives ndims tile coordinates, or NULL
 * @return MMB_OK; MMB_INVALID_ARG (not a tile). */
MMB_API mmb_status mmb_tile_position(const mmbArray *tile, size_t *origin, size_t *tidx);

/** Iterate over the tiles of a tiled array in the array's order (tile
 * coordinates vary like element indices do).
 * @param array the tiled array
 * @param[out] it receives the iterator (destroy with mmb_tile_iterator_destroy)
 * @return MMB_OK; MMB_INVALID_ARG (not tiled); MMB_OUT_OF_MEMORY. */
MMB_API mmb_status mmb_tile_iterator_create(mmbArray *array, mmbTileIterator **it);
/** The next tile.
 * @param it the iterator
 * @param[out] tile receives the next tile, or NULL after the last
 * @return true while there was a tile; false after the last. */
MMB_API bool mmb_tile_iterator_next(mmbTileIterator *it, mmbArray **tile);
/** Start again from the first tile.
 * @param it the iterator */
MMB_API void mmb_tile_iterator_reset(mmbTileIterator *it);
/** Free an iterator.
 * @param it the iterator; NULL is allowed */
MMB_API void mmb_tile_iterator_destroy(mmbTileIterator *it);

#ifdef __cplusplus
}
#endif
#endif
