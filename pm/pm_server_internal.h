/* SPDX-License-Identifier: BSD-3-Clause */
/* What the Pool Manager's server modules share (internal to pm/): the
 * server's state and the functions one module offers the others.
 *   pm_members.c   members, JOIN, peers, malformed messages, heartbeats
 *   pm_pool.c      offers, demands, requires, tickets, withdraw
 *   pm_events.c    event forwarding, _REQUIRE_ACK holds, ACK_MASK, SUBSCRIBE
 *   pm_groups.c    groups: offers in pages, demands, requires, group events
 *   pm_send.c      sending without waiting: per-member queues, dropping
 *   pm_dispatch.c  frame handling and dispatch, server lifecycle
 * Only the server thread touches this state (pm_server.h). */
#ifndef MSTRO_PM_SERVER_INTERNAL_H
#define MSTRO_PM_SERVER_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maestro.h"
#include "mstro_log.h"
#include "pm_lifetime.h"
#include "pm_server.h"
#include "pool_dir.h"
#include "proto_codec.h"

/* A peer that was answered (REFUSE, BYE) is forgotten only after this delay,
 * so that tearing its connection down cannot overtake the answer. */
#define REMOVE_DELAY_NS      (2ull * 1000000000ull)
#define PENDING_REMOVALS_MAX 64
#define LOG_NAME_MAX         80

struct pm_outmsg;

/* An intrusive hash index keyed by 64 bits (pm_hash.c); a node is the first
 * member of what it indexes. Lookups walk one chain; equal keys may be
 * different entries (callers compare the fields). */
struct pm_hnode {
  struct pm_hnode *next;
  uint64_t key;
};
struct pm_hash {
  struct pm_hnode **b;
  size_t nb, n;
};

/* Doubly linked lists (a `prev` and a `next` member): unlinking costs O(1). */
#define PM_DLIST_PUSH(head, x)                                                                     \
  do {                                                                                             \
    (x)->prev = NULL;                                                                              \
    (x)->next = (head);                                                                            \
    if ((head) != NULL)                                                                            \
      (head)->prev = (x);                                                                          \
    (head) = (x);                                                                                  \
  } while (0)
#define PM_DLIST_UNLINK(head, x)                                                                   \
  do {                                                                                             \
    if ((x)->prev != NULL)                                                                         \
      (x)->prev->next = (x)->next;                                                                 \
    else                                                                                           \
      (head) = (x)->next;                                                                          \
    if ((x)->next != NULL)                                                                         \
      (x)->next->prev = (x)->prev;                                                                 \
  } while (0)

struct member {
  uint64_t appid;
  uint64_t session;
  mstro__pm_peer peer;
  char addr[MSTRO__PROTO_ADDR_MAX + 1]; /* the address `peer` was inserted with */
  char *component_name;
  int64_t component_index;
  uint32_t pid;
  char host[MSTRO__PROTO_HOST_MAX + 1];
  uint64_t last_seen_ns;
  unsigned bad;
  /* the ACK_MASK it was told (WELCOME or ACK_MASK) and whether it confirmed it */
  uint32_t ack_kinds, event_kinds;
  uint64_t mask_sent, mask_confirmed;
  /* frames it could not take yet, oldest first (pm_send.c), and when that
   * queue last moved */
  struct pm_outmsg *out_head, *out_tail;
  size_t out_n;
  uint64_t out_moved_ns;
  /* to be dropped at the next safe point, and why */
  bool doomed;
  char doomed_why[128];
};

/* An offer in the pool: where its bytes are and who reads them. It leaves
 * the directory at withdraw (or when its producer goes) and is freed once no
 * ticket reads it any more. */
struct pm_offer {
  struct pm_hnode hn; /* in offer_index, by (appid, cdo_id) */
  uint64_t appid, cdo_id;
  char *name;
  uint8_t *attrs;
  size_t attrs_len;
  uint8_t desc[MSTRO__PROTO_REGION_DESC_MAX];
  size_t desc_len;
  uint64_t size;
  int transport;
  char *key; /* GFS path or MIO object */
  char addr[MSTRO__PROTO_ADDR_MAX + 1];
  unsigned inflight;
  bool listed;
  bool withdraw_pending;
  uint64_t withdraw_seq;
  struct pm_offer *prev, *next;
};

/* A demand waiting for an offer. */
struct pm_waiter {
  uint64_t appid, seq;
  char *name;
  struct pm_waiter *prev, *next;
};

/* A member's subscription: the PM forwards other members' events of its
 * kinds (the member evaluates its selector on the attributes sent along). */
struct pm_sub {
  uint64_t appid, id;
  uint32_t mask;
  uint32_t opts; /* mstro_subscription_opts: REQUIRE_ACK holds the causing operation */
  struct pm_sub *next;
};

/* A require not yet served: when an offer of its name (with data) is listed,
 * the requirer gets a ticket at once, so that the bytes move before the
 * demand (prefetch). */
struct pm_require {
  struct pm_hnode hn; /* in require_index, by name */
  uint64_t appid, seq, cdo_id;
  char *name;
  struct pm_require *prev, *next;
};

/* A transfer handed to a consumer and not yet reported complete. */
struct pm_ticket {
  struct pm_hnode hn; /* in ticket_index, by id */
  uint64_t id;
  struct pm_offer *o;
  uint64_t dst_appid;
  struct pm_ticket *prev, *next;
};

/* _REQUIRE_ACK across processes: an operation whose answer waits until every
 * subscriber that must ack has acked (or left), and one ack it waits for. */
struct pm_hold {
  uint64_t appid, seq; /* the operation's member and request */
  unsigned pending;
  struct pm_hold *next;
};

struct pm_ack_wait {
  uint64_t sub_appid, sub_id, event_id;
  struct pm_hold *h;
  struct pm_ack_wait *next;
};

/* A SUBSCRIBE answered (EVENT_ACK) once every member confirmed the ACK_MASK
 * in force, so that an operation started after mstro_subscribe returned is
 * held or seen. */
struct pm_barrier {
  uint64_t appid, seq;
  struct pm_barrier *next;
};

/* The kinds whose causing operation a _REQUIRE_ACK subscriber can hold: the
 * operation is a call in the component that raised them. */
#define HOLD_KINDS                                                                                 \
  (MSTRO_POOL_EVENT_DECLARE | MSTRO_POOL_EVENT_SEAL | MSTRO_POOL_EVENT_OFFER |                     \
   MSTRO_POOL_EVENT_REQUIRE | MSTRO_POOL_EVENT_RETRACT | MSTRO_POOL_EVENT_DEMAND |                 \
   MSTRO_POOL_EVENT_WITHDRAW | MSTRO_POOL_EVENT_DISPOSE | MSTRO_POOL_EVENT_TRANSFER_STARTED |      \
   MSTRO_POOL_EVENT_TRANSFER_COMPLETED | MSTRO_POOL_EVENT_GROUP_SEAL |                             \
   MSTRO_POOL_EVENT_GROUP_OFFER | MSTRO_POOL_EVENT_GROUP_DEMAND | MSTRO_POOL_EVENT_GROUP_WITHDRAW)

struct pending_removal {
  mstro__pm_peer peer;
  uint64_t when_ns;
  char addr[MSTRO__PROTO_ADDR_MAX + 1];
};

struct mstro__pm_server {
  struct mstro__pm_config cfg;
  char *workflow;
  struct mstro__pm_chan *chan;
  uint8_t secret[MSTRO__PROTO_SECRET_LEN];
  char addr[MSTRO__PM_ADDR_MAX];
  struct member *members;
  size_t n_members, cap_members;
  struct pending_removal pending[PENDING_REMOVALS_MAX];
  size_t n_pending;
  uint64_t next_appid;
  uint64_t seq;
  uint8_t *rxbuf;
  uint64_t unknown_bad;
  atomic_bool stop;
  atomic_size_t live;
  atomic_uint_fast64_t joined;
  atomic_uint_fast64_t bad_total;
  /* The channel named a source for a sender that was never inserted (or
   * another endpoint's): malformed frames can no longer be pinned on a member. */
  bool sources_unreliable;
  /* the pool (only the server thread touches it) */
  mstro__pool_dir *dir;
  struct pm_offer *offers;
  struct pm_waiter *waiters;
  struct pm_ticket *tickets;
  uint64_t next_ticket;
  uint64_t next_cdo_id;
  struct pm_sub *subs;
  uint64_t event_serial;
  struct pm_require *requires;
  struct pm_hash offer_index, ticket_index, require_index;
  mstro__pm_lifetimes *lifetimes; /* offers with a lifetime, by deadline */
  struct pm_hold *holds;
  struct pm_ack_wait *ack_waits;
  struct pm_barrier *barriers;
  uint64_t mask_serial;
  struct pm_groups *groups;      /* pm_groups.c */
  atomic_uint_fast64_t releases; /* EVENT_ACKs that released a held operation or SUBSCRIBE */
  size_t out_total;              /* frames queued for all members */
  bool any_doomed;               /* some member waits to be dropped */
};

struct pm_event {
  uint32_t kind;
  uint64_t appid, src_appid, size;
  const char *cdo_name, *component_name;
  int64_t component_index;
  bool crashed;
  int transport;
  const uint8_t *attrs;
  size_t attrs_len;
  struct pm_hold *hold; /* the operation that waits for REQUIRE_ACK subscribers; may be NULL */
};

/* pm_dispatch.c */
const char *mstro__pm_printable(const char *s, char *buf, size_t len);
mstro_status mstro__pm_random_bytes(void *buf, size_t n);

/* pm_send.c: sends that never wait (see there) */
void mstro__pm_env_init(struct mstro__pm_server *srv, Mstro__Proto__Envelope *env,
                        uint64_t in_reply_to);
/* MSTRO_OK when sent or queued; MSTRO_TRANSPORT when the member is (now) to
 * be dropped; a frame to a non-member that cannot go now is dropped. */
mstro_status mstro__pm_send_env(struct mstro__pm_server *srv, mstro__pm_peer peer,
                                const Mstro__Proto__Envelope *env);
void mstro__pm_send_refuse(struct mstro__pm_server *srv, mstro__pm_peer peer, uint64_t in_reply_to,
                           mstro_status status, const char *reason);
void mstro__pm_send_flush(struct mstro__pm_server *srv);
bool mstro__pm_send_pending(const struct mstro__pm_server *srv);
void mstro__pm_send_forget(struct mstro__pm_server *srv, struct member *m);
void mstro__pm_reap_doomed(struct mstro__pm_server *srv);

/* pm_members.c */
void mstro__pm_remove_due_peers(struct mstro__pm_server *srv, bool all);
struct member *mstro__pm_member_by_appid(struct mstro__pm_server *srv, uint64_t appid);
void mstro__pm_member_remove(struct mstro__pm_server *srv, struct member *m);
void mstro__pm_member_drop(struct mstro__pm_server *srv, struct member *m, mstro_status why_status,
                           const char *why, bool notify);
void mstro__pm_member_bad(struct mstro__pm_server *srv, struct member *m, const char *why);
void mstro__pm_count_bad(struct mstro__pm_server *srv, mstro__pm_peer from, const char *why);
void mstro__pm_handle_join(struct mstro__pm_server *srv, mstro__pm_peer from,
                           const Mstro__Proto__Envelope *env);
void mstro__pm_check_heartbeats(struct mstro__pm_server *srv);

/* pm_hash.c */
uint64_t mstro__pm_hash_str(const char *s);
uint64_t mstro__pm_hash_pair(uint64_t a, uint64_t b);
mstro_status mstro__pm_hash_init(struct pm_hash *h);
void mstro__pm_hash_insert(struct pm_hash *h, struct pm_hnode *n, uint64_t key);
void mstro__pm_hash_remove(struct pm_hash *h, struct pm_hnode *n);
struct pm_hnode *mstro__pm_hash_first(const struct pm_hash *h, uint64_t key);
struct pm_hnode *mstro__pm_hash_next(const struct pm_hnode *n);
void mstro__pm_hash_destroy(struct pm_hash *h);

/* pm_pool.c */
mstro_status mstro__pm_pool_init(struct mstro__pm_server *srv);
void mstro__pm_pool_free(struct mstro__pm_server *srv);
void mstro__pm_handle_offer(struct mstro__pm_server *srv, struct member *m,
                            const Mstro__Proto__Envelope *env);
void mstro__pm_handle_demand(struct mstro__pm_server *srv, struct member *m,
                             const Mstro__Proto__Envelope *env);
void mstro__pm_handle_withdraw(struct mstro__pm_server *srv, struct member *m,
                               const Mstro__Proto__Envelope *env);
void mstro__pm_handle_completed(struct mstro__pm_server *srv, struct member *m,
                                const Mstro__Proto__Envelope *env);
void mstro__pm_handle_started(struct mstro__pm_server *srv, struct member *m,
                              const Mstro__Proto__Envelope *env);
void mstro__pm_handle_declare(struct mstro__pm_server *srv, struct member *m,
                              const Mstro__Proto__Envelope *env);
void mstro__pm_handle_require(struct mstro__pm_server *srv, struct member *m,
                              const Mstro__Proto__Envelope *env);
void mstro__pm_drop_requires(struct mstro__pm_server *srv, uint64_t appid, const uint64_t *cdo_id,
                             const char *name);
void mstro__pm_pool_member_gone(struct mstro__pm_server *srv, uint64_t appid);
void mstro__pm_offers_expire(struct mstro__pm_server *srv);

/* pm_pool.c: the offer of (appid, cdo_id), listed or (unless listed_only) not */
struct pm_offer *mstro__pm_offer_find(struct mstro__pm_server *srv, uint64_t appid, uint64_t cdo_id,
                                      bool listed_only);

/* pm_groups.c */
void mstro__pm_handle_group(struct mstro__pm_server *srv, struct member *m,
                            const Mstro__Proto__Envelope *env);
void mstro__pm_groups_member_gone(struct mstro__pm_server *srv, uint64_t appid);
void mstro__pm_groups_free(struct mstro__pm_server *srv);

/* pm_events.c */
void mstro__pm_events_free(struct mstro__pm_server *srv);
void mstro__pm_emit(struct mstro__pm_server *srv, const struct pm_event *ev);
struct pm_hold *mstro__pm_hold_begin(const struct member *m, const Mstro__Proto__Envelope *env);
void mstro__pm_hold_end(struct mstro__pm_server *srv, const struct member *m,
                        const Mstro__Proto__Envelope *env, struct pm_hold *h);
void mstro__pm_acks_member_gone(struct mstro__pm_server *srv, uint64_t appid);
void mstro__pm_handle_event_ack(struct mstro__pm_server *srv, struct member *m,
                                const Mstro__Proto__Envelope *env);
void mstro__pm_emit_cdo(struct mstro__pm_server *srv, uint32_t kind, const struct member *m,
                        const char *name, const ProtobufCBinaryData *attrs, uint64_t size,
                        struct pm_hold *hold);
void mstro__pm_masks_of(const struct mstro__pm_server *srv, uint64_t appid, uint32_t *ack,
                        uint32_t *watched);
void mstro__pm_masks_update(struct mstro__pm_server *srv);
void mstro__pm_handle_mask_confirm(struct mstro__pm_server *srv, struct member *m,
                                   const Mstro__Proto__Envelope *env);
void mstro__pm_handle_subscribe(struct mstro__pm_server *srv, struct member *m,
                                const Mstro__Proto__Envelope *env);

#endif
