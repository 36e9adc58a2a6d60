/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * CDO attributes: value types, built-in keys and the get/set calls.
 *
 * Keys are absolute (".maestro.core.cdo.scope.local-size") or relative to
 * ".maestro.core.cdo." ("scope.local-size"). The type of a value is the one
 * the loaded schemas give its key; `val` carries no type.
 */
#ifndef MAESTRO_ATTRIBUTES_H
#define MAESTRO_ATTRIBUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Value types of attributes. */
enum mstro_cdo_attr_value_type {
  MSTRO_CDO_ATTR_VALUE_INVALID = 0, /**< no such value */
  MSTRO_CDO_ATTR_VALUE_bool,        /**< bool */
  MSTRO_CDO_ATTR_VALUE_int32,       /**< int32_t */
  MSTRO_CDO_ATTR_VALUE_int64,       /**< int64_t */
  MSTRO_CDO_ATTR_VALUE_uint32,      /**< uint32_t */
  MSTRO_CDO_ATTR_VALUE_uint64,      /**< uint64_t */
  MSTRO_CDO_ATTR_VALUE_float,       /**< float */
  MSTRO_CDO_ATTR_VALUE_double,      /**< double */
  MSTRO_CDO_ATTR_VALUE_cstring,     /**< const char * (val is a const char **) */
  MSTRO_CDO_ATTR_VALUE_timestamp,   /**< mstro_timestamp */
  MSTRO_CDO_ATTR_VALUE_pointer,     /**< void * (val is a void **) */
  MSTRO_CDO_ATTR_VALUE_blob,        /**< mstro_blob */
  MSTRO_CDO_ATTR_VALUE_int64_array, /**< int64_t[n], n given by a companion key */
  MSTRO_CDO_ATTR_VALUE_NA,          /**< set but without a value (default absent) */
  MSTRO_CDO_ATTR_VALUE__MAX
};

/** A point in time: seconds and nanoseconds since the epoch, UTC offset in minutes. */
typedef struct {
  int64_t sec;    /**< seconds since 1970-01-01T00:00:00Z */
  int32_t nsec;   /**< nanoseconds, 0 .. 999999999 */
  int32_t offset; /**< UTC offset of the original time zone, minutes */
} mstro_timestamp;

/** An opaque byte string value. */
typedef struct {
  size_t len; /**< bytes at data */
  void *data; /**< the bytes */
} mstro_blob;

/** Handle of a CDO (declared in maestro/cdo.h). */
typedef struct mstro_cdo_ *mstro_cdo;

/** A predefined attribute set, passed to mstro_cdo_declare. */
typedef struct mstro_cdo_attributes_ *mstro_cdo_attributes;
/** No predefined attribute set. */
#define MSTRO_ATTR_DEFAULT NULL

/** Layout orders, values of MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER (int64). */
enum mstro_cdo_layout_order {
  MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR = 1, /**< C order: last index fastest */
  MSTRO_CDO_LAYOUT_ORDER_COLMAJOR = 2, /**< Fortran order: first index fastest */
};

/** Namespace of the built-in keys. */
#define MSTRO_ATTR_CORE_CDO_NAMESPACE ".maestro.core.cdo."
/** cstring: the CDO's name (read-only). */
#define MSTRO_ATTR_CORE_CDO_NAME ".maestro.core.cdo.name"
/** pointer: the producer's or consumer's buffer. */
#define MSTRO_ATTR_CORE_CDO_RAW_PTR ".maestro.core.cdo.raw-ptr"
/** int64: bytes of data in this process (>= 0; -1: unknown yet). */
#define MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE ".maestro.core.cdo.scope.local-size"
/** bool: allocate Maestro-provided memory of scope.local-size at seal. */
#define MSTRO_ATTR_CORE_CDO_ALLOCATE_NOW ".maestro.core.cdo.allocate-now"
/** bool: the data were allocated by Maestro (read-only). */
#define MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE ".maestro.core.cdo.maestro-provided-storage"
/** int64: bytes per element. */
#define MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE ".maestro.core.cdo.layout.element-size"
/** int64: number of dimensions. */
#define MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS ".maestro.core.cdo.layout.ndims"
/** int64 array of layout.ndims entries: extent of each dimension (set ndims first). */
#define MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE ".maestro.core.cdo.layout.dims-size"
/** int64: MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR or MSTRO_CDO_LAYOUT_ORDER_COLMAJOR. */
#define MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER ".maestro.core.cdo.layout.order"
/** blob: the distributed layout (a serialized liblyt distribution). */
#define MSTRO_ATTR_CORE_CDO_LAYOUT_DISTRIBUTION ".maestro.core.cdo.layout.distribution"
/** cstring: memory layer for Maestro-allocated data: "DRAM", "NUMA:<n>", "GPU:<n>". */
#define MSTRO_ATTR_CORE_CDO_MEM_LAYER ".maestro.core.cdo.mem-layer"
/** int64: seconds an offer stays in the pool; then the Pool Manager withdraws it (0: no limit). */
#define MSTRO_ATTR_CORE_CDO_LIFETIME ".maestro.core.cdo.lifetime"
/** cstring: transport to use for this CDO ("OFI", "GFS", "MIO"), overriding the default. */
#define MSTRO_ATTR_CORE_CDO_TRANSPORT ".maestro.core.cdo.transport"

/** Set an attribute of a CDO that is not yet sealed.
 *
 * @param cdo   the CDO
 * @param key   absolute or relative key
 * @param val   pointer to a value of the key's type (for a string, a const char **)
 * @param copy_value       copy the value now (otherwise the pointer is kept)
 * @param user_owned_value when not copied: the caller frees the value (true)
 *                         or Maestro frees it at dispose (false)
 * @return MSTRO_OK; MSTRO_INVARG for a NULL argument, a key no loaded schema
 *         defines (unless MSTRO_DROP_UNKNOWN_ATTRIBUTES=1: then dropped with a
 *         warning and MSTRO_OK), or a forbidden value (the old value stays);
 *         MSTRO_INVSTATE after seal or for a read-only key; MSTRO_NOMEM;
 *         MSTRO_UNINIT.
 */
MSTRO_API mstro_status mstro_cdo_attribute_set(mstro_cdo cdo, const char *key, void *val,
                                               bool copy_value, bool user_owned_value);

/** Get an attribute: *val_p points to the stored value (valid until the CDO
 * is disposed or the key set again).
 * @param cdo        the CDO
 * @param key        absolute or relative key
 * @param[out] valtype receives the value's type
 * @param[out] val_p receives a pointer to the stored value (for a string, a
 *                   pointer to the const char *)
 * @return MSTRO_OK; MSTRO_INVARG for NULL arguments or an unknown key;
 *         MSTRO_NOENT when the key is known but has no value (then *valtype is
 *         MSTRO_CDO_ATTR_VALUE_INVALID and *val_p NULL); MSTRO_UNINIT. */
MSTRO_API mstro_status mstro_cdo_attribute_get(mstro_cdo cdo, const char *key,
                                               enum mstro_cdo_attr_value_type *valtype,
                                               const void **val_p);

/** Type the loaded schemas declare for a key, whether or not the CDO has a
 * value for it (mstro_cdo_attribute_get reports the type of a value only).
 * Language bindings use it to convert a value before mstro_cdo_attribute_set.
 * @param cdo        the CDO (any state but disposed)
 * @param key        absolute or relative key
 * @param[out] valtype receives the declared type (MSTRO_CDO_ATTR_VALUE_INVALID
 *                   on error)
 * @return MSTRO_OK; MSTRO_INVARG for a NULL key or valtype, a NULL or invalid
 *         handle; MSTRO_NOENT when no loaded schema defines the key;
 *         MSTRO_INVSTATE for a disposed handle; MSTRO_UNINIT. */
MSTRO_API mstro_status mstro_cdo_attribute_type(mstro_cdo cdo, const char *key,
                                                enum mstro_cdo_attr_value_type *valtype);

/** Set an attribute from its YAML text ("key: value" or the value only for
 * `key`); the schema decides the type.
 * @param cdo        the CDO (not yet sealed)
 * @param key        absolute or relative key, or NULL when yaml_value is "key: value"
 * @param yaml_value the value as YAML text
 * @return as mstro_cdo_attribute_set; MSTRO_INVARG when the text does not
 *         parse as the key's type. */
MSTRO_API mstro_status mstro_cdo_attribute_set_yaml(mstro_cdo cdo, const char *key,
                                                    const char *yaml_value);

/** Write every attribute of the CDO to the log at info level (human readable).
 * @param cdo the CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL. */
MSTRO_API mstro_status mstro_cdo_attributes_print(mstro_cdo cdo);

#ifdef __cplusplus
}
#endif
#endif
