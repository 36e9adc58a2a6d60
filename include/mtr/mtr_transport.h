/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * The transport layer's one versioned ops table, its registry and the generic
 * calls that dispatch through it.
 *
 * A transport moves bytes; it knows nothing of CDOs. Two families exist:
 *
 * - **Endpoint transports** (capabilities #MTR_CAP_MSG and #MTR_CAP_RMA; "OFI",
 *   alias "RDMA"): an endpoint has a printable address, inserts peers by their
 *   addresses, sends and receives small bounded control messages, exposes
 *   memory regions for one-sided reads (a region is described by a serializable
 *   descriptor) and reads a peer's exposed region into local memory.
 * - **Store transports** (capability #MTR_CAP_STORE; "GFS", "MIO"): put/get/
 *   stat/remove of whole byte strings under a key, in a shared directory or an
 *   object store.
 *
 * Every transport fills one `struct mtr_ops` (name, capabilities, probe) and,
 * for its family, one `struct mtr_ep_ops` or `struct mtr_store_ops`, all with
 * designated initializers. Each table starts with its size and version
 * (libfabric style): fields are only ever appended, a table whose size does
 * not reach a field does not have it, and the generic calls refuse a table of
 * a version they do not know (MTR_INVALID_ARG, logged) and answer
 * MTR_UNIMPLEMENTED for an operation a table lacks or leaves NULL.
 *
 * Configuration structs (#mtr_ep_config, #mtr_store_config) start with their
 * size too: one from an older caller, smaller than the current one, is
 * accepted and the fields it lacks take their defaults.
 *
 * Handles (#mtr_ep, #mtr_store) carry their ops table, so the generic calls
 * (mtr_ep_send(), mtr_store_put(), ...) work for any transport.
 *
 * Conventions for every function here:
 * - returns MTR_OK or an error status, and logs why at error level (module
 *   `transport.*`, configured with MSTRO_LOG_LEVEL / MSTRO_LOG_MODULES);
 * - bad input (NULL handle or pointer, zero length where data is required, an
 *   oversized message, a malformed address or descriptor) is MTR_INVALID_ARG or
 *   MTR_TRUNCATED, never a crash;
 * - every call that waits takes `timeout_ms` (milliseconds; a negative value
 *   means the transport's default, MSTRO_TRANSPORT_TIMEOUT seconds, default
 *   60) and returns MTR_TIMEOUT when it expires; nothing waits forever.
 *
 * Thread safety: an endpoint or store may be used from several threads; calls
 * on one endpoint are serialized internally.
 */
#ifndef MTR_TRANSPORT_H
#define MTR_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mtr_export.h"
#include "mtr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Version of `struct mtr_ops` described by this header. Version 1 was one
 * flat table for both families (its `invalidate` appended later); version 2
 * points to a table per family. Tables of version 1 are refused. */
#define MTR_OPS_VERSION 2u
/** Version of `struct mtr_ep_ops` described by this header (2: `try_send`). */
#define MTR_EP_OPS_VERSION 2u
/** Version of `struct mtr_store_ops` described by this header. */
#define MTR_STORE_OPS_VERSION 1u

/** Capability bits of a transport. */
enum mtr_caps {
  MTR_CAP_MSG = 1u << 0,   /**< bounded control messages between endpoints */
  MTR_CAP_RMA = 1u << 1,   /**< one-sided reads of exposed regions */
  MTR_CAP_STORE = 1u << 2, /**< keyed put/get of byte strings */
};

typedef struct mtr_ep_ mtr_ep;         /**< an endpoint (OFI) */
typedef struct mtr_region_ mtr_region; /**< a local region exposed for remote reads */
typedef struct mtr_store_ mtr_store;   /**< an open store (GFS, MIO) */
typedef uint64_t mtr_peer;             /**< a peer inserted into an endpoint */

/** A peer that is not (or no longer) known to the endpoint. */
#define MTR_PEER_UNKNOWN UINT64_MAX

/** Largest printable endpoint address, NUL included. */
#define MTR_ADDR_MAX 512
/** Size of a serialized region descriptor (mtr_region_desc()). */
#define MTR_REGION_DESC_SIZE 40
/** Default and largest bound on one control message's payload. */
#define MTR_MSG_DEFAULT_MAX (64u * 1024u)
/** Largest bound on one control message's payload (msg_max may not exceed it). */
#define MTR_MSG_LIMIT (4u * 1024u * 1024u)

/** Options of mtr_ep_open(); zero-initialize and set what you need. */
struct mtr_ep_config {
  size_t size;           /**< sizeof(struct mtr_ep_config) where the caller was built; 0 is
                              taken as the current size; a smaller one (an older caller)
                              leaves the fields past it at their defaults */
  const char *provider;  /**< OFI provider ("tcp;ofi_rxm", "sockets", "shm", ...); NULL:
                              MSTRO_OFI_PROVIDER, then FI_PROVIDER, then automatic */
  size_t msg_max;        /**< bound on a control message payload; 0: MTR_MSG_DEFAULT_MAX */
  unsigned rx_depth;     /**< receive buffers posted; 0: 64 */
  size_t chunk_size;     /**< RMA chunk; 0: min(provider max_msg_size, 8 MiB, or
                              MSTRO_OFI_CHUNK_SIZE) */
  unsigned max_inflight; /**< RMA chunks in flight; 0: min(provider tx_size, 16, or
                              MSTRO_OFI_INFLIGHT) */
  bool progress_thread;  /**< run a background thread that drives progress, so that
                              exposed regions are served while the owner does not call
                              into the endpoint (needed by manual-progress providers) */
};

/** Options of mtr_store_open(); zero-initialize and set what you need. */
struct mtr_store_config {
  size_t size;          /**< sizeof(struct mtr_store_config) where the caller was built; 0
                             is taken as the current size; a smaller one (an older caller)
                             leaves the fields past it at their defaults */
  const char *location; /**< GFS: directory (NULL: MSTRO_GFS_DIR); MIO: ceph.conf path
                             (NULL: MSTRO_MIO_CONF) */
  const char *pool;     /**< MIO: pool name (NULL: MSTRO_MIO_POOL, default "maestro") */
  size_t chunk_size;    /**< MIO: object chunk; 0: min(osd_max_object_size,
                             osd_max_write_size) of the cluster configuration */
  int timeout_ms;       /**< MIO: bound on connect and each operation; 0: default */
};

/** The operations of an endpoint transport (#MTR_CAP_MSG, #MTR_CAP_RMA).
 * Fields are only ever appended; `size` tells which ones the table has. */
struct mtr_ep_ops {
  size_t size;      /**< sizeof(struct mtr_ep_ops) where the table was built */
  uint32_t version; /**< MTR_EP_OPS_VERSION where the table was built */
  /** Implements mtr_ep_open(); `cfg` is NULL or of the current size. */
  mtr_status (*open)(const struct mtr_ep_config *cfg, mtr_ep **ep);
  /** Implements mtr_ep_close(). */
  mtr_status (*close)(mtr_ep *ep);
  /** Implements mtr_ep_addr(). */
  mtr_status (*addr)(mtr_ep *ep, char *buf, size_t buflen);
  /** Implements mtr_ep_info(). */
  mtr_status (*info)(mtr_ep *ep, char *buf, size_t buflen);
  /** Implements mtr_ep_peer_insert(). */
  mtr_status (*peer_insert)(mtr_ep *ep, const char *addr, mtr_peer *peer);
  /** Implements mtr_ep_peer_remove(). */
  mtr_status (*peer_remove)(mtr_ep *ep, mtr_peer peer);
  /** Implements mtr_ep_send(). */
  mtr_status (*send)(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf, size_t len,
                     int timeout_ms);
  /** Implements mtr_ep_recv(). */
  mtr_status (*recv)(mtr_ep *ep, mtr_peer *from, uint64_t *tag, void *buf, size_t cap, size_t *len,
                     int timeout_ms);
  /** Implements mtr_ep_progress(). */
  mtr_status (*progress)(mtr_ep *ep);
  /** Implements mtr_region_expose(). */
  mtr_status (*expose)(mtr_ep *ep, const void *buf, size_t len, mtr_region **region);
  /** Implements mtr_region_desc(). */
  mtr_status (*region_desc)(mtr_region *region, void *desc, size_t desclen);
  /** Implements mtr_region_release(). */
  mtr_status (*unexpose)(mtr_region *region);
  /** Implements mtr_ep_read(). */
  mtr_status (*read)(mtr_ep *ep, mtr_peer peer, const void *desc, size_t desclen, uint64_t offset,
                     void *dst, size_t len, int timeout_ms);
  /** Implements mtr_ep_invalidate(). */
  mtr_status (*invalidate)(mtr_ep *ep, const void *addr, size_t len);
  /** Implements mtr_ep_try_send() (version 2). */
  mtr_status (*try_send)(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf, size_t len);
};

/** The operations of a store transport (#MTR_CAP_STORE). Fields are only ever
 * appended; `size` tells which ones the table has. */
struct mtr_store_ops {
  size_t size;      /**< sizeof(struct mtr_store_ops) where the table was built */
  uint32_t version; /**< MTR_STORE_OPS_VERSION where the table was built */
  /** Implements mtr_store_open(); `cfg` is NULL or of the current size. */
  mtr_status (*open)(const struct mtr_store_config *cfg, mtr_store **store);
  /** Implements mtr_store_close(). */
  mtr_status (*close)(mtr_store *store);
  /** Implements mtr_store_put(). */
  mtr_status (*put)(mtr_store *store, const char *key, const void *buf, size_t len);
  /** Implements mtr_store_get(). */
  mtr_status (*get)(mtr_store *store, const char *key, void *buf, size_t cap, size_t *len);
  /** Implements mtr_store_stat(). */
  mtr_status (*stat)(mtr_store *store, const char *key, size_t *len);
  /** Implements mtr_store_remove(). */
  mtr_status (*remove)(mtr_store *store, const char *key);
};

/** The table every transport fills: what is common to both families, and the
 * table of its family (the other one NULL). Fields are only ever appended. */
struct mtr_ops {
  size_t size;             /**< sizeof(struct mtr_ops) where the table was built */
  uint32_t version;        /**< MTR_OPS_VERSION where the table was built */
  uint32_t caps;           /**< enum mtr_caps */
  const char *name;        /**< "OFI", "GFS", "MIO" */
  const char *description; /**< one line for humans */

  /** Whether the transport can work on this machine now; on failure writes why. */
  mtr_status (*probe)(char *why, size_t whylen);

  /** An endpoint transport's operations; NULL for a store transport. */
  const struct mtr_ep_ops *ep;
  /** A store transport's operations; NULL for an endpoint transport. */
  const struct mtr_store_ops *store;
};

/* ---- registry ---------------------------------------------------------- */

/** Looks a transport up by name, case-insensitively: "OFI" (alias "RDMA"),
 * "GFS", "MIO". Returns MTR_OK and the table even if the transport is not
 * usable on this machine (see mtr_transport_probe()); MTR_NOT_FOUND for an
 * unknown name, MTR_UNAVAILABLE for a transport not built in (MIO without
 * librados), MTR_INVALID_ARG for NULL.
 * @param name transport name
 * @param[out] ops receives the transport's ops table
 * @return see above. */
MTR_API mtr_status mtr_transport_find(const char *name, const struct mtr_ops **ops);

/** Number of transports built in.
 * @return the count. */
MTR_API size_t mtr_transport_count(void);
/** The i-th transport built in, in order of preference (OFI, GFS, MIO).
 * @param i 0 <= i < mtr_transport_count()
 * @return its ops table; NULL out of range. */
MTR_API const struct mtr_ops *mtr_transport_get(size_t i);

/** Whether a transport can be used here now: MTR_OK, or MTR_UNAVAILABLE with
 * the reason in `why` (a provider missing, MSTRO_GFS_DIR unset or not writable,
 * MSTRO_MIO_CONF unset, ...). `why` may be NULL.
 * @param ops    the transport
 * @param why    receives the reason when unavailable, or NULL
 * @param whylen bytes available at why
 * @return see above. */
MTR_API mtr_status mtr_transport_probe(const struct mtr_ops *ops, char *why, size_t whylen);

/** Writes one line per known transport to `buf`: "NAME: available" or
 * "NAME: unavailable (reason)", including ones not built in. MTR_TRUNCATED
 * when `buf` is too small (the text is cut, NUL-terminated).
 * @param buf    destination of the text
 * @param buflen bytes available at buf
 * @return MTR_OK or MTR_TRUNCATED. */
MTR_API mtr_status mtr_transport_list(char *buf, size_t buflen);

/** The transport MSTRO_TRANSPORT_DEFAULT asks for explicitly: the variable is
 * read here and nowhere else in Maestro (core and the Pool Manager ask this).
 * @param[out] name receives the canonical name ("OFI" for "OFI" and "RDMA",
 *                  "GFS", "MIO"), or NULL when the variable is unset or "AUTO"
 *                  (no explicit choice)
 * @return MTR_OK; MTR_INVALID_ARG for NULL or a bad value of the variable
 *         (logged). */
MTR_API mtr_status mtr_transport_requested(const char **name);

/** The transport named by MSTRO_TRANSPORT_DEFAULT ("OFI", "RDMA", "GFS",
 * "MIO"; default "AUTO", which is "OFI" first). If that one is unavailable, the first available one
 * in order of preference is chosen and the reason is logged at warning level. MTR_INVALID_ARG for a
 * bad value of the variable (logged), MTR_UNAVAILABLE if none is usable.
 * @param[out] ops receives the chosen transport's ops table
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_transport_default(const struct mtr_ops **ops);

/** Checks every environment variable of the transport layer
 * (MSTRO_TRANSPORT_DEFAULT, MSTRO_TRANSPORT_TIMEOUT, MSTRO_OFI_*, MSTRO_GFS_*,
 * MSTRO_MIO_*): MTR_OK, or MTR_INVALID_ARG with the first bad one named in
 * `why` (may be NULL) and logged. The transports themselves warn about a bad
 * value and use its default; callers that want a bad value to be an error
 * (mstro_init) call this first.
 * @param why    receives the first bad variable and value, or NULL
 * @param whylen bytes available at why
 * @return MTR_OK or MTR_INVALID_ARG. */
MTR_API mtr_status mtr_env_check(char *why, size_t whylen);
/** Prints each variable with its type, default and meaning to `out`.
 * @param out the stream to write to */
MTR_API void mtr_env_print(FILE *out);

/* ---- endpoints --------------------------------------------------------- */

/** Opens an endpoint of an endpoint transport. `cfg` may be NULL (defaults).
 * MTR_UNAVAILABLE if no provider gives what is needed, MTR_UNIMPLEMENTED for a
 * store transport, MTR_INVALID_ARG for a table of an unknown version or a
 * `cfg->size` too small to hold even the size.
 * @param ops an endpoint transport
 * @param cfg options, or NULL
 * @param[out] ep receives the endpoint
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_ep_open(const struct mtr_ops *ops, const struct mtr_ep_config *cfg,
                               mtr_ep **ep);
/** Closes an endpoint; regions still exposed are released (with a warning;
 * their handles become invalid) and transfers abandoned by a timeout are
 * dropped. NULL is MTR_OK.
 * @param ep the endpoint, or NULL
 * @return MTR_OK, or the transport's failure status. */
MTR_API mtr_status mtr_ep_close(mtr_ep *ep);
/** The endpoint's address as a printable string ("ofi:<provider>:<hex>", no ';'
 * or whitespace) for other processes' mtr_ep_peer_insert(). MTR_TRUNCATED if
 * `buflen` is too small (MTR_ADDR_MAX always suffices).
 * @param ep     the endpoint
 * @param buf    destination of the address
 * @param buflen bytes available at buf
 * @return MTR_OK, MTR_TRUNCATED or MTR_INVALID_ARG. */
MTR_API mtr_status mtr_ep_addr(mtr_ep *ep, char *buf, size_t buflen);
/** A human-readable line: provider, fabric, domain, chunk size, limits.
 * MTR_TRUNCATED if `buflen` is too small (the line is cut), MTR_INVALID_ARG
 * for a NULL or empty buffer.
 * @param ep     the endpoint
 * @param buf    destination of the line
 * @param buflen bytes available at buf
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_ep_info(mtr_ep *ep, char *buf, size_t buflen);
/** Inserts a peer by its address string. MTR_INVALID_ARG for a malformed
 * address or one of another provider.
 * @param ep   the endpoint
 * @param addr the peer's address (its mtr_ep_addr())
 * @param[out] peer receives the peer handle
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_ep_peer_insert(mtr_ep *ep, const char *addr, mtr_peer *peer);
/** Forgets a peer (its connection is torn down where the provider has one).
 * MTR_INVALID_ARG for #MTR_PEER_UNKNOWN or a peer the endpoint does not know.
 * @param ep   the endpoint
 * @param peer the peer
 * @return MTR_OK, or the status above. */
MTR_API mtr_status mtr_ep_peer_remove(mtr_ep *ep, mtr_peer peer);
/** Sends one control message of `len` bytes (0 allowed, `buf` then may be NULL)
 * with a user tag; returns when the message has left (the buffer may be
 * reused). MTR_TRUNCATED if len exceeds the endpoint's msg_max, MTR_PEER if
 * the peer is gone, MTR_TIMEOUT.
 * @param ep         the endpoint
 * @param peer       the destination
 * @param tag        user tag delivered with the message
 * @param buf        the message
 * @param len        its length in bytes
 * @param timeout_ms milliseconds to wait; negative: the default
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_ep_send(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf, size_t len,
                               int timeout_ms);
/** Sends one control message if it can go now, without waiting: MTR_OK when
 * it was handed to the fabric (copied: the buffer may be reused; it leaves in
 * the background, driven by later calls on the endpoint), MTR_AGAIN when no
 * send buffer is free or the fabric cannot take it now (try again later;
 * nothing was sent). MTR_TRUNCATED if len exceeds msg_max, MTR_PEER if the
 * fabric refuses the peer, MTR_UNIMPLEMENTED for a transport without it. A
 * failure of a message already handed over is logged (debug), not reported: callers
 * that need to know a peer is alive use their own protocol.
 * @param ep   the endpoint
 * @param peer the destination
 * @param tag  user tag delivered with the message
 * @param buf  the message
 * @param len  its length in bytes
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_ep_try_send(mtr_ep *ep, mtr_peer peer, uint64_t tag, const void *buf,
                                   size_t len);
/** Receives the next control message from any peer into `buf` (capacity
 * `cap`): sets `*len`, `*tag` and `*from` (#MTR_PEER_UNKNOWN when the sender
 * has not been inserted here or the provider does not tell; `from`/`tag` may
 * be NULL). MTR_TIMEOUT if none arrives in time (timeout 0: poll once);
 * MTR_TRUNCATED if the message is larger than `cap` (it is dropped, `*len`
 * says its size) or larger than the endpoint's msg_max.
 * @param ep         the endpoint
 * @param[out] from  receives the sender, or NULL
 * @param[out] tag   receives the message's tag, or NULL
 * @param buf        destination of the message
 * @param cap        bytes available at buf
 * @param[out] len   receives the message's length
 * @param timeout_ms milliseconds to wait; 0: poll once; negative: the default
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_ep_recv(mtr_ep *ep, mtr_peer *from, uint64_t *tag, void *buf, size_t cap,
                               size_t *len, int timeout_ms);
/** Drives progress once without waiting (serves peers' reads of exposed
 * regions with manual-progress providers; received messages are queued).
 * MTR_ERROR if the completion queue failed.
 * @param ep the endpoint
 * @return MTR_OK or MTR_ERROR. */
MTR_API mtr_status mtr_ep_progress(mtr_ep *ep);
/** Exposes `len` bytes at `buf` for remote reads (registered through the
 * registration cache). The memory must stay valid and unchanged until
 * mtr_region_release(). MTR_INVALID_ARG for NULL, a zero length or a NULL
 * result; MTR_ERROR if the registration fails (see ulimit -l, logged);
 * MTR_NOMEM.
 * @param ep  the endpoint
 * @param buf the memory
 * @param len its length in bytes, > 0
 * @param[out] region receives the region handle
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_region_expose(mtr_ep *ep, const void *buf, size_t len, mtr_region **region);
/** Serializes the region's descriptor ({addr, len, key} plus a header) into
 * `desc`, which must hold MTR_REGION_DESC_SIZE bytes (MTR_INVALID_ARG
 * otherwise). The descriptor is plain bytes: send it in any message.
 * @param region  the region
 * @param desc    destination of the descriptor
 * @param desclen bytes available at desc
 * @return MTR_OK or MTR_INVALID_ARG. */
MTR_API mtr_status mtr_region_desc(mtr_region *region, void *desc, size_t desclen);
/** Withdraws a region; NULL is MTR_OK. The registration may stay cached
 * for the next transfer from the same memory: memory that is then freed
 * outside libmamba (free(), munmap()) must be reported with
 * mtr_ep_invalidate() before it is freed.
 * @param region the region, or NULL
 * @return MTR_OK, or the transport's failure status. */
MTR_API mtr_status mtr_region_release(mtr_region *region);
/** Drops cached registrations overlapping [addr, addr+len): call it before
 * freeing memory that was exposed or read into and was not allocated through
 * libmamba (whose frees invalidate by themselves). Registrations still in use
 * by a region or a transfer are dropped when that ends.
 * @param ep   the endpoint
 * @param addr start of the memory
 * @param len  its length in bytes
 * @return MTR_OK; MTR_INVALID_ARG for a NULL endpoint or address or a
 *         zero length; MTR_UNIMPLEMENTED for a transport without it. */
MTR_API mtr_status mtr_ep_invalidate(mtr_ep *ep, const void *addr, size_t len);
/** Reads `len` bytes at `offset` of a peer's region (its descriptor `desc`)
 * into `dst`, in pipelined chunks, and returns when all have arrived.
 * MTR_INVALID_ARG for a malformed descriptor or a range outside the region,
 * MTR_PEER if the peer is gone or refuses, MTR_TIMEOUT. After an error the
 * content of `dst` is undefined; after MTR_TIMEOUT chunks still in flight may
 * land in `dst` until the peer is removed or the endpoint is closed.
 * @param ep         the endpoint
 * @param peer       the peer that exposed the region
 * @param desc       the region's descriptor (from the peer's mtr_region_desc())
 * @param desclen    its length in bytes
 * @param offset     first byte of the region to read
 * @param dst        destination
 * @param len        bytes to read
 * @param timeout_ms milliseconds to wait; negative: the default
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_ep_read(mtr_ep *ep, mtr_peer peer, const void *desc, size_t desclen,
                               uint64_t offset, void *dst, size_t len, int timeout_ms);
/** The ops table of an endpoint.
 * @param ep the endpoint
 * @return its ops table; NULL for NULL. */
MTR_API const struct mtr_ops *mtr_ep_ops(const mtr_ep *ep);
/** The ops table of a store.
 * @param store the store
 * @return its ops table; NULL for NULL. */
MTR_API const struct mtr_ops *mtr_store_ops(const mtr_store *store);

/* ---- stores ------------------------------------------------------------ */

/** Opens a store of a store transport. `cfg` may be NULL (environment).
 * MTR_UNAVAILABLE with the reason logged (GFS: directory unset, missing or not
 * writable; MIO: configuration unreadable, cluster unreachable, pool missing),
 * MTR_TIMEOUT (MIO connect), MTR_INVALID_ARG (bad configuration, e.g. a
 * chunk_size outside the cluster's limits, a table of an unknown version or a
 * `cfg->size` too small to hold even the size), MTR_UNIMPLEMENTED for an
 * endpoint transport.
 * @param ops a store transport
 * @param cfg options, or NULL
 * @param[out] store receives the store
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_store_open(const struct mtr_ops *ops, const struct mtr_store_config *cfg,
                                  mtr_store **store);
/** Closes a store; NULL is MTR_OK; MTR_IO if the directory could not be
 * closed (GFS).
 * @param store the store, or NULL
 * @return MTR_OK or MTR_IO. */
MTR_API mtr_status mtr_store_close(mtr_store *store);
/** Stores `len` bytes under `key`, replacing an existing value atomically: a
 * reader sees the old or the new value in full, never a part. Keys are
 * non-empty strings of at most MTR_KEY_MAX bytes; any byte is allowed
 * (transports escape what their namespace forbids, so "../x" is a plain key).
 * One writer per key at a time. MTR_INVALID_ARG for a bad key or a NULL
 * buffer with a length, MTR_IO / MTR_TIMEOUT for storage errors (nothing
 * partial is left visible under the key).
 * @param store the store
 * @param key   the key
 * @param buf   the value
 * @param len   its length in bytes
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_store_put(mtr_store *store, const char *key, const void *buf, size_t len);
/** Reads the value of `key` into `buf` (capacity `cap`), sets `*len`.
 * MTR_NOT_FOUND if absent, MTR_TRUNCATED (`*len` = the value's size, the
 * content of `buf` unspecified) if the value is larger than `cap`, MTR_AGAIN
 * if it was replaced repeatedly while being read (MIO), MTR_IO.
 * @param store the store
 * @param key   the key
 * @param buf   destination of the value
 * @param cap   bytes available at buf
 * @param[out] len receives the value's size
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_store_get(mtr_store *store, const char *key, void *buf, size_t cap,
                                 size_t *len);
/** Size of the value of `key`; MTR_NOT_FOUND if absent, MTR_INVALID_ARG
 * for a bad key or a NULL `len`, MTR_IO for a storage error.
 * @param store the store
 * @param key   the key
 * @param[out] len receives the value's size
 * @return MTR_OK, or the statuses above. */
MTR_API mtr_status mtr_store_stat(mtr_store *store, const char *key, size_t *len);
/** Removes `key`.
 * @param store the store
 * @param key   the key
 * @return MTR_OK; MTR_NOT_FOUND if absent, MTR_IO for a storage error. */
MTR_API mtr_status mtr_store_remove(mtr_store *store, const char *key);

/** Longest key accepted by the stores. */
#define MTR_KEY_MAX 200

#ifdef __cplusplus
}
#endif
#endif
