/* SPDX-License-Identifier: BSD-3-Clause */
/* Maestro control protocol: framing, encoding and hostile-input-safe decoding
 * of the messages of mstro_pm.proto (internal, mstro__proto_*).
 *
 * A frame is a fixed 12-byte header followed by the protobuf payload of one
 * Envelope:
 *
 *   offset 0  uint32 magic    MSTRO__PROTO_MAGIC, big-endian ("MSPM")
 *   offset 4  uint16 version  MSTRO__PROTO_VERSION, big-endian
 *   offset 6  uint16 flags    0 (reserved; anything else is refused)
 *   offset 8  uint32 length   payload bytes, big-endian
 *   offset 12 payload         protobuf-c packed Mstro__Proto__Envelope
 *
 * Decoding treats its input as hostile: the frame and every field are bounded
 * (the MSTRO__PROTO_*_MAX constants), unpacking allocates through an allocator
 * that caps the total, strings must be NUL-free and names non-empty, enum
 * values and status codes must be in range, the envelope must carry a message
 * and the versions must match. Anything else is MSTRO_INVMSG with a log line
 * (and, if asked for, the same text in `why`) naming what was wrong; never a
 * crash. Encoding validates the same way, so a sender cannot emit a message
 * its peer would refuse.
 *
 * Thread safety: every function is reentrant; no global state.
 */
#ifndef MSTRO_PROTO_CODEC_H
#define MSTRO_PROTO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "maestro/status.h"
#include "mstro_pm.pb-c.h"

/** Protocol version spoken by this build. 2: ACK_MASK (a member must confirm
 * it, SUBSCRIBE is answered), SEAL, TRANSFER_STARTED, Envelope.wait_ack. */
#define MSTRO__PROTO_VERSION 2u
/** Frame magic, "MSPM". */
#define MSTRO__PROTO_MAGIC 0x4d53504du
/** Size of the fixed frame header. */
#define MSTRO__PROTO_HEADER_SIZE 12u
/** Largest frame, header included. */
#define MSTRO__PROTO_FRAME_MAX (256u * 1024u)
/** Tag of control messages on a transport endpoint (mtr_ep_send). */
#define MSTRO__PROTO_TAG UINT64_C(0x6d7374726f706d31) /* "mstropm1" */

/* Field bounds (bytes, NUL excluded). */
#define MSTRO__PROTO_NAME_MAX        1024u          /**< workflow, component, CDO names */
#define MSTRO__PROTO_HOST_MAX        255u           /**< hostname */
#define MSTRO__PROTO_TEXT_MAX        2048u          /**< refusal and leave reasons */
#define MSTRO__PROTO_SELECTOR_MAX    16384u         /**< selector text */
#define MSTRO__PROTO_PATH_MAX        4096u          /**< GFS path, MIO object name */
#define MSTRO__PROTO_ADDR_MAX        511u           /**< fabric endpoint address */
#define MSTRO__PROTO_SECRET_LEN      32u            /**< workflow secret (exactly) */
#define MSTRO__PROTO_REGION_DESC_MAX 256u           /**< RMA region descriptor */
#define MSTRO__PROTO_ATTR_MAX        (192u * 1024u) /**< serialized attributes */
#define MSTRO__PROTO_TRANSPORTS_MAX  8u             /**< entries of a transports list */
#define MSTRO__PROTO_GROUP_PAGE_MAX  4096u          /**< members in one group page */
/** Cap on the memory one decode may allocate. */
#define MSTRO__PROTO_ALLOC_CAP (4u * 1024u * 1024u)

/** Size for a `why` buffer that holds every message of this module. */
#define MSTRO__PROTO_WHY_MAX 256u

/** How many of the group members m[0..n) fit into one GROUP_OFFER or
 * GROUP_MEMBERS frame (at least one when n > 0: one member's name and
 * attributes always fit; at most MSTRO__PROTO_GROUP_PAGE_MAX). */
size_t mstro__proto_group_page(Mstro__Proto__GroupMember *const *m, size_t n);

/** Zero an envelope and set its version and sequence number. */
void mstro__proto_envelope_init(Mstro__Proto__Envelope *env, uint64_t seq);

/** Name of a message kind ("JOIN", "PM_LEAVE", ...); "NONE" / "UNKNOWN". */
const char *mstro__proto_msg_name(Mstro__Proto__Envelope__MsgCase c);

/** Name of a transport kind ("OFI", ...); "UNKNOWN" out of range. */
const char *mstro__proto_transport_name(int kind);

/** The kind of a transport layer name ("OFI", "GFS", "MIO"; UNSPECIFIED for
 * any other). */
Mstro__Proto__TransportKind mstro__proto_transport_kind(const char *name);

/** Check every field of an envelope against the protocol's rules.
 * @return MSTRO_OK; MSTRO_INVMSG (logged, and the reason in `why` when
 *         `why` is not NULL); MSTRO_INVARG for a NULL envelope. */
mstro_status mstro__proto_validate(const Mstro__Proto__Envelope *env, char *why, size_t whylen);

/** Size of the frame that mstro__proto_encode would write.
 * @return MSTRO_OK; MSTRO_INVMSG if the envelope is invalid or the frame would
 *         exceed MSTRO__PROTO_FRAME_MAX; MSTRO_INVARG for NULL. */
mstro_status mstro__proto_frame_size(const Mstro__Proto__Envelope *env, size_t *len);

/** Validate and encode one frame into `buf` (capacity `cap`); sets `*len`.
 * @return MSTRO_OK; MSTRO_INVMSG (invalid or too large); MSTRO_INVOUT if `cap`
 *         is too small (nothing useful written); MSTRO_INVARG for NULL. */
mstro_status mstro__proto_encode(const Mstro__Proto__Envelope *env, uint8_t *buf, size_t cap,
                                 size_t *len);

/** As mstro__proto_encode into a malloc'ed buffer (*buf, freed by the caller).
 * @return as mstro__proto_encode; MSTRO_NOMEM. */
mstro_status mstro__proto_encode_alloc(const Mstro__Proto__Envelope *env, uint8_t **buf,
                                       size_t *len);

/** Decode and validate one frame of exactly `len` bytes.
 * On MSTRO_OK, `*env` is a new envelope to free with mstro__proto_free; on
 * error `*env` is NULL.
 * @return MSTRO_OK; MSTRO_INVMSG for anything malformed (logged at warning
 *         level, the reason in `why` when not NULL); MSTRO_INVARG for NULL
 *         `buf` with a non-zero `len` or a NULL `env`. */
mstro_status mstro__proto_decode(const uint8_t *buf, size_t len, Mstro__Proto__Envelope **env,
                                 char *why, size_t whylen);

/** Free an envelope returned by mstro__proto_decode; NULL is a no-op. */
void mstro__proto_free(Mstro__Proto__Envelope *env);

/* ---- the Pool Manager's contact string (MSTRO_POOL_MANAGER_INFO) ---------
 *
 * Format (version 1), printable ASCII without ';', '\\', quotes or
 * whitespace so that `read -d ';'` in a shell passes it unchanged:
 *
 *   mpm1:<64 lowercase hex digits: the workflow secret>:<addr>[,<addr>...]
 *
 * where each <addr> is one fabric address of the PM, base64url-encoded without
 * padding. At most MSTRO__PROTO_INFO_ADDRS_MAX addresses; the whole string at
 * most MSTRO__PROTO_INFO_MAX bytes. */
#define MSTRO__PROTO_INFO_PREFIX    "mpm1:"
#define MSTRO__PROTO_INFO_ADDRS_MAX 4u
#define MSTRO__PROTO_INFO_MAX       4096u

/** The content of a contact string. Addresses are NUL-terminated, NUL-free. */
struct mstro__proto_pm_info {
  uint8_t secret[MSTRO__PROTO_SECRET_LEN];
  size_t n_addrs;
  char addrs[MSTRO__PROTO_INFO_ADDRS_MAX][MSTRO__PROTO_ADDR_MAX + 1];
};

/** Format a contact string (malloc'ed, caller frees).
 * @return MSTRO_OK; MSTRO_INVARG for NULL, no address, too many, or an
 *         address that is empty or too long; MSTRO_NOMEM. */
mstro_status mstro__proto_info_format(const struct mstro__proto_pm_info *info, char **text);

/** Parse a contact string strictly.
 * @return MSTRO_OK; MSTRO_INVARG (logged, reason in `why` when not NULL) for
 *         NULL or anything that is not a well-formed version-1 string. */
mstro_status mstro__proto_info_parse(const char *text, struct mstro__proto_pm_info *info, char *why,
                                     size_t whylen);

#endif
