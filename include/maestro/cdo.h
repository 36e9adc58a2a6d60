/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Core Data Objects: declaration, the producer and consumer lifecycles, data access.
 *
 * Producer: declare -> attribute_set* -> seal -> offer -> withdraw -> dispose.
 * Consumer: declare -> attribute_set* -> [seal] -> require -> [retract] | demand -> dispose.
 * A call in the wrong state returns MSTRO_INVSTATE and logs the state; nothing
 * is changed. While offered, the producer must not touch the data; after
 * withdraw they are guaranteed unchanged.
 *
 * Thread safety: different CDO handles may be used from different threads at
 * once; one handle must not be used by two threads at the same time.
 */
#ifndef MAESTRO_CDO_H
#define MAESTRO_CDO_H

#include <stdint.h>

#include "mamba.h"
#include "maestro/attributes.h"
#include "maestro/export.h"
#include "maestro/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Declare a CDO named `name` (1 to at least 1000 bytes, NUL-terminated).
 * @param name the CDO's name; producer and consumer of the same data use the same name
 * @param attr MSTRO_ATTR_DEFAULT or a predefined attribute set
 * @param[out] result the new CDO handle (release with mstro_cdo_dispose)
 * @return MSTRO_OK; MSTRO_INVARG for a NULL or empty name or NULL result;
 *         MSTRO_UNINIT before mstro_init; MSTRO_NOMEM. */
MSTRO_API mstro_status mstro_cdo_declare(const char *name, mstro_cdo_attributes attr,
                                         mstro_cdo *result);

/** Seal: attributes are final; Maestro-provided memory is allocated if asked.
 * @param cdo the CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL or an inconsistent set of
 *         attributes (e.g. layout dims that disagree with scope.local-size);
 *         MSTRO_INVSTATE if already sealed or disposed; MSTRO_NOMEM. */
MSTRO_API mstro_status mstro_cdo_seal(mstro_cdo cdo);

/** Offer a sealed CDO to the pool (seals it first if it is not).
 * @param cdo the CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_INVSTATE if already offered,
 *         required, demanded or disposed; MSTRO_NO_PM when the Pool Manager is gone. */
MSTRO_API mstro_status mstro_cdo_offer(mstro_cdo cdo);

/** Withdraw an offered CDO; waits until transfers and demands in flight from
 * this offer are served and consumers sharing its buffer (zero-copy) have
 * disposed their handles. The data are then unchanged and the producer's
 * again. (A zero-copy consumer handle demanded by the calling thread itself
 * first gets a private copy, since waiting for it could never end.)
 * @param cdo the CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_INVSTATE if not offered;
 *         MSTRO_NO_PM. */
MSTRO_API mstro_status mstro_cdo_withdraw(mstro_cdo cdo);

/** Announce a future demand so that transport can start early.
 * @param cdo the CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_INVSTATE if offered,
 *         already required, demanded or disposed; MSTRO_NO_PM. */
MSTRO_API mstro_status mstro_cdo_require(mstro_cdo cdo);

/** Cancel a require.
 * @param cdo the CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_INVSTATE if not required. */
MSTRO_API mstro_status mstro_cdo_retract(mstro_cdo cdo);

/** Demand (requiring first if needed): when it returns MSTRO_OK, data and
 * metadata are local and complete.
 * @param cdo the CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_INVSTATE if offered, demanded
 *         or disposed; MSTRO_NO_PM when the Pool Manager went away (after
 *         MSTRO_PM_TIMEOUT); MSTRO_NOMEM. */
MSTRO_API mstro_status mstro_cdo_demand(mstro_cdo cdo);

/** Dispose the handle and everything it owns (Maestro-provided memory,
 * attribute values not owned by the user).
 * @param cdo the CDO
 * @return MSTRO_OK; MSTRO_INVARG for NULL; MSTRO_INVSTATE while offered or
 *         required (withdraw or retract first) or when already disposed. */
MSTRO_API mstro_status mstro_cdo_dispose(mstro_cdo cdo);

/** Access the data of a CDO in every state in which the caller owns them:
 * declared (once raw-ptr and size are set), sealed, withdrawn, demanded.
 * @param cdo      the CDO
 * @param data     receives the data pointer
 * @param data_len receives the size in bytes
 * @return MSTRO_OK; MSTRO_INVARG for NULL arguments; MSTRO_NOENT when the CDO
 *         has no data (*data NULL, *data_len 0: no raw-ptr set, or a declared
 *         consumer CDO); MSTRO_INVSTATE while offered (the pool owns the
 *         data: withdraw first), while required (before demand returned) and
 *         after dispose. */
MSTRO_API mstro_status mstro_cdo_access_ptr(mstro_cdo cdo, void **data, int64_t *data_len);

/** Access the data of a CDO as a libmamba array (element size, dims and order
 * from the layout attributes; a 1-D byte array without them). The array is
 * owned by the CDO and valid until dispose.
 * @param cdo   the CDO (sealed, withdrawn or demanded: the layout is final)
 * @param[out] array receives the array
 * @return as mstro_cdo_access_ptr, and MSTRO_INVSTATE while declared too;
 *         MSTRO_NOMEM. */
MSTRO_API mstro_status mstro_cdo_access_mamba_array(mstro_cdo cdo, mmbArray **array);

/** Name of a CDO as declared. Valid until dispose.
 * @param cdo the CDO
 * @return the name; NULL for a NULL handle. */
MSTRO_API const char *mstro_cdo_name(mstro_cdo cdo);

#ifdef __cplusplus
}
#endif
#endif
