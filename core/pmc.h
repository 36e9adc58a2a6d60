/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager client (internal to pmc_*.c): the state the PM-client
 * backend shares between its three parts.
 *
 *  - pmc_link.c: requests and their answers, the release of held
 *    operations (_REQUIRE_ACK across processes), receiving and dispatch, the
 *    receiver thread;
 *  - pmc_data.c: the data path: stores, peers, the transport of offers,
 *    fetching a ticket's bytes, transfers started at require (prefetch);
 *  - pmc_ops.c: the pool operations, join and leave, and the backend table
 *    (pool_backend.h).
 *
 * Locks: mstro__pmc.lock serializes sends (the client's sequence numbers)
 * and guards every list here; rx_lock is held for one receive poll and its
 * dispatch.
 */
#ifndef MSTRO_PMC_H
#define MSTRO_PMC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cdo.h"
#include "maestro.h"
#include "mtr.h"
#include "proto_client.h"

#define RETRY_PAUSE_MS 100

/* A call waiting for an answer (or for the release of a held operation). */
struct mstro__pmc_call {
  uint64_t seq;
  Mstro__Proto__Envelope__MsgCase want;
  Mstro__Proto__Envelope *answer;
  mstro_status st;
  bool done;
  pthread_cond_t cv;
  struct mstro__pmc_call *next;
};

/* An offer of this component. */
struct mstro__pmc_offer {
  mstro_cdo cdo;
  uint64_t id;
  mtr_region *region;
  char key[MTR_KEY_MAX + 1]; /* GFS / MIO key, "" for OFI */
  struct mstro__pmc_offer *next;
};

/* A require whose bytes the PM started moving before the demand: its ticket
 * is served by a worker thread into Maestro-provided memory. */
enum { PF_WAITING, PF_FETCHING, PF_DONE, PF_FAILED };
struct mstro__pmc_prefetch {
  mstro_cdo cdo;
  uint64_t seq; /* of the REQUIRE; the ticket answers it */
  int state;
  Mstro__Proto__Envelope *ticket;
  void *data;
  const char *via;
  pthread_t th;
  bool th_started;
  struct mstro__pmc_prefetch *next;
};

struct mstro__pmc_peer {
  char addr[MSTRO__PROTO_ADDR_MAX + 1];
  mtr_peer peer;
  struct mstro__pmc_peer *next;
};

/* The client's state (one Pool Manager per process). */
struct mstro__pmc {
  struct mstro__proto_client *c;
  mtr_ep *ep;
  uint64_t appid;
  pthread_t rx;
  bool rx_started;
  pthread_mutex_t lock;
  pthread_mutex_t rx_lock; /* held for one receive poll and its dispatch */
  unsigned polling;        /* calls polling for their answers (mstro__pmc.lock) */
  uint64_t spin_ns;        /* MSTRO_PM_SPIN_US */
  bool block;              /* MSTRO_PM_BLOCK */
  uint64_t spin_cur_ns;    /* the adaptive spin (mstro__pmc.lock) */
  bool rx_blocking;        /* the receiver thread blocks in a receive (mstro__pmc.lock) */
  struct mstro__pmc_call *calls;
  struct mstro__pmc_offer *offers;
  struct mstro__pmc_peer *peers;
  struct mstro__pmc_prefetch *prefetches;
  pthread_cond_t pf_cv; /* a prefetch changed state */
  bool stop;
  mstro_status dead; /* MSTRO_OK while the PM is there */
  uint64_t last_heard_ns;
  uint64_t last_sent_ns;
  int timeout_ms;
  const struct mtr_ops *data_ops; /* the transport offers use */
  Mstro__Proto__TransportKind data_kind;
  mtr_store *store;
  mtr_store *read_stores[2]; /* other stores offers were read from */
  uint64_t key_serial;
  /* The kinds of this component's operations that other members hold
   * (_REQUIRE_ACK) and watch: the PM's ACK_MASK. An operation of a held
   * kind is sent with wait_ack and returns only after the PM's EVENT_ACK;
   * SEAL and TRANSFER_STARTED are told to the PM only when watched. */
  atomic_uint ack_kinds, event_kinds;
  mstro__proto_link_open_fn open_link; /* NULL: a transport-layer endpoint */
};
extern struct mstro__pmc mstro__pmc;

/* ---- link (pmc_link.c) ---- */
void mstro__pmc_call_init(struct mstro__pmc_call *c, Mstro__Proto__Envelope__MsgCase want);
/* Send under the lock; if `call` is given it is registered for the answer;
 * if `rel` is given the message goes with wait_ack and `rel` is registered
 * for the PM's EVENT_ACK releasing it (a call not sent is done with the
 * error, so it can always be waited for). */
mstro_status mstro__pmc_send_locked_calls(Mstro__Proto__Envelope *env, struct mstro__pmc_call *call,
                                          struct mstro__pmc_call *rel, uint64_t *seq_out);
mstro_status mstro__pmc_send_locked(Mstro__Proto__Envelope *env, struct mstro__pmc_call *call);
mstro_status mstro__pmc_send_msg(Mstro__Proto__Envelope *env);
/* Wait until `c` is done (lock held), polling first for the spin (at most
 * MSTRO_PM_SPIN_US). */
void mstro__pmc_call_wait_locked(struct mstro__pmc_call *c);
/* The release of an operation of kind `kind`: `rel` when another member
 * holds that kind, NULL when not (no round trip). */
struct mstro__pmc_call *mstro__pmc_rel_prepare(struct mstro__pmc_call *rel,
                                               mstro_pool_event_kind kind);
/* Wait for the release prepared by rel_prepare (NULL: none). */
mstro_status mstro__pmc_rel_wait(struct mstro__pmc_call *rel, const char *op, const char *name);
/* A one-way operation message, held when its kind is. */
mstro_status mstro__pmc_send_op(Mstro__Proto__Envelope *env, mstro_pool_event_kind kind,
                                const char *op, const char *name);
/* Send a request and wait for its answer of kind `want`; with `rel` that
 * is registered for the release of the same message. */
mstro_status mstro__pmc_request_rel(Mstro__Proto__Envelope *env,
                                    Mstro__Proto__Envelope__MsgCase want,
                                    Mstro__Proto__Envelope **answer, struct mstro__pmc_call *rel);
mstro_status mstro__pmc_request(Mstro__Proto__Envelope *env, Mstro__Proto__Envelope__MsgCase want,
                                Mstro__Proto__Envelope **answer);
/* The PM is gone: fail every waiting call (lock held). */
void mstro__pmc_fail_all_locked(mstro_status why);
/* One receive poll, if no other thread polls: true when a message came. */
bool mstro__pmc_rx_poll(void);
/* The first adaptive spin (MSTRO_PM_BLOCK) or MSTRO_PM_SPIN_US. */
uint64_t mstro__pmc_spin_start(void);
/* The receiver thread. */
void *mstro__pmc_rx_main(void *arg);
/* Whether another member holds (_REQUIRE_ACK) / watches this kind. */
bool mstro__pmc_holds(mstro_pool_event_kind kind);
bool mstro__pmc_watched(mstro_pool_event_kind kind);

/* ---- data (pmc_data.c) ---- */
/* A ticket nobody waits for: released at once (lock held). */
void mstro__pmc_drop_ticket_locked(const Mstro__Proto__TransferTicket *t);
/* The ticket answers a REQUIRE: start its transfer now (lock held); false
 * when it answers none (the caller keeps e). */
bool mstro__pmc_ticket_for_prefetch_locked(Mstro__Proto__Envelope *e);
/* Unlink and free a prefetch, waiting for its worker (lock held). */
void mstro__pmc_prefetch_free_locked(struct mstro__pmc_prefetch *p);
struct mstro__pmc_prefetch *mstro__pmc_prefetch_of_locked(mstro_cdo cdo);
/* The transport of offers (at join). */
mstro_status mstro__pmc_choose_transport(void);
void mstro__pmc_release_offer_rec(struct mstro__pmc_offer *r);
/* Tell the PM a ticket is done (held when TRANSFER_COMPLETED is). */
void mstro__pmc_completed(const Mstro__Proto__TransferTicket *t, mstro_status status);
/* Tell the PM a ticket's bytes start moving, when someone watches. */
void mstro__pmc_transfer_started(const Mstro__Proto__TransferTicket *t);
/* Whether the bytes may land in the consumer's own buffer directly. */
bool mstro__pmc_into_user_buffer(mstro_cdo cdo, uint64_t size);
/* Bring the bytes a ticket names into *buf (the consumer's buffer, or NULL:
 * Maestro-provided memory allocated here); *via names the transport. */
mstro_status mstro__pmc_fetch(mstro_cdo cdo, const Mstro__Proto__TransferTicket *t, void **buf,
                              const char **via);
/* Close the stores and forget the peers (leave). */
void mstro__pmc_data_close(void);

/* ---- groups (pmc_groups.c): the backend's group operations ---- */
struct mstro_group_;
mstro_status mstro__pmc_group_offer(struct mstro_group_ *g, const char *name);
mstro_status mstro__pmc_group_withdraw(struct mstro_group_ *g, const char *name);
mstro_status mstro__pmc_group_require(struct mstro_group_ *g, const char *name, bool require);
mstro_status mstro__pmc_group_demand(struct mstro_group_ *g, const char *name,
                                     mstro_status (*fill)(struct mstro_group_ *,
                                                          const struct mstro_group_ *));
mstro_status mstro__pmc_group_sealed(struct mstro_group_ *g, const char *name);

/* ---- tests ---- */
/* Join through links opened by `open` (NULL: a transport-layer endpoint),
 * e.g. an in-process loopback channel; set before mstro_init. */
void mstro__pmc_use_link(mstro__proto_link_open_fn open);

#endif
