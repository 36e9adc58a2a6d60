/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's members: JOIN (checked and welcomed or refused),
 * peers answered and removed after a delay, malformed messages counted per
 * sender, members dropped on silence or misbehaviour. See pm_server.h. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pm_server_internal.h"
#include "pm_transport.h"

/* ---- members ---------------------------------------------------------------- */

static bool secret_equal(const uint8_t *a, const uint8_t *b)
{
  uint8_t diff = 0;
  for (size_t i = 0; i < MSTRO__PROTO_SECRET_LEN; i++)
    diff |= (uint8_t)(a[i] ^ b[i]);
  return diff == 0;
}

static void remove_peer_later(struct mstro__pm_server *srv, mstro__pm_peer peer, const char *addr)
{
  if (peer == MSTRO__PM_PEER_UNKNOWN)
    return;
  if (srv->n_pending == PENDING_REMOVALS_MAX) {
    srv->chan->ops->peer_remove(srv->chan, srv->pending[0].peer);
    memmove(srv->pending, srv->pending + 1, (PENDING_REMOVALS_MAX - 1) * sizeof srv->pending[0]);
    srv->n_pending--;
  }
  struct pending_removal *r = &srv->pending[srv->n_pending++];
  r->peer = peer;
  r->when_ns = mstro_clock() + REMOVE_DELAY_NS;
  snprintf(r->addr, sizeof r->addr, "%s", addr);
}

void mstro__pm_remove_due_peers(struct mstro__pm_server *srv, bool all)
{
  uint64_t now = mstro_clock();
  size_t keep = 0;
  for (size_t i = 0; i < srv->n_pending; i++) {
    if (all || srv->pending[i].when_ns <= now)
      srv->chan->ops->peer_remove(srv->chan, srv->pending[i].peer);
    else
      srv->pending[keep++] = srv->pending[i];
  }
  srv->n_pending = keep;
}

/* The peer to answer a JOIN on: a peer of the same address that awaits
 * removal (a component that was refused or left and tries again: a second
 * insertion of its address could share, and later tear down, the
 * connection), otherwise the address inserted anew. */
static mstro_status peer_for_join(struct mstro__pm_server *srv, const char *addr,
                                  mstro__pm_peer *peer)
{
  for (size_t i = 0; i < srv->n_pending; i++)
    if (strcmp(srv->pending[i].addr, addr) == 0) {
      *peer = srv->pending[i].peer;
      srv->pending[i] = srv->pending[--srv->n_pending];
      return MSTRO_OK;
    }
  return srv->chan->ops->peer_insert(srv->chan, addr, peer);
}

static struct member *member_by_peer(struct mstro__pm_server *srv, mstro__pm_peer peer)
{
  for (size_t i = 0; i < srv->n_members; i++)
    if (srv->members[i].peer == peer)
      return &srv->members[i];
  return NULL;
}

struct member *mstro__pm_member_by_appid(struct mstro__pm_server *srv, uint64_t appid)
{
  for (size_t i = 0; i < srv->n_members; i++)
    if (srv->members[i].appid == appid)
      return &srv->members[i];
  return NULL;
}

/* Forget a member; its peer is removed after a delay. */
static void member_remove_as(struct mstro__pm_server *srv, struct member *m, bool crashed)
{
  mstro__pm_groups_member_gone(srv, m->appid);
  mstro__pm_pool_member_gone(srv, m->appid);
  mstro__pm_acks_member_gone(srv, m->appid);
  for (struct pm_sub **pp = &srv->subs; *pp != NULL;) {
    struct pm_sub *sb = *pp;
    if (sb->appid == m->appid) {
      *pp = sb->next;
      free(sb);
    } else {
      pp = &sb->next;
    }
  }
  struct pm_event ev = {.kind = MSTRO_POOL_EVENT_APP_LEAVE,
                        .appid = m->appid,
                        .component_name = m->component_name,
                        .component_index = m->component_index,
                        .crashed = crashed};
  mstro__pm_emit(srv, &ev);
  mstro__pm_send_forget(srv, m);
  remove_peer_later(srv, m->peer, m->addr);
  free(m->component_name);
  size_t i = (size_t)(m - srv->members);
  srv->members[i] = srv->members[--srv->n_members];
  atomic_store(&srv->live, srv->n_members);
  /* its subscriptions no longer hold anybody; a SUBSCRIBE no longer waits for it */
  mstro__pm_masks_update(srv);
}

void mstro__pm_member_remove(struct mstro__pm_server *srv, struct member *m)
{
  member_remove_as(srv, m, false);
}

void mstro__pm_member_drop(struct mstro__pm_server *srv, struct member *m, mstro_status why_status,
                           const char *why, bool notify)
{
  char name[LOG_NAME_MAX];
  MSTRO_LOG_WARN(PM, "dropping component '%s' index %lld (appid %llu): %s",
                 mstro__pm_printable(m->component_name, name, sizeof name),
                 (long long)m->component_index, (unsigned long long)m->appid, why);
  if (notify)
    mstro__pm_send_refuse(srv, m->peer, 0, why_status, why);
  member_remove_as(srv, m, true);
}

/* One more malformed or forbidden message from member `m`. */
void mstro__pm_member_bad(struct mstro__pm_server *srv, struct member *m, const char *why)
{
  char name[LOG_NAME_MAX];
  atomic_fetch_add(&srv->bad_total, 1);
  m->bad++;
  MSTRO_LOG_WARN(PM,
                 "malformed control message %u of at most %u from component '%s' (appid "
                 "%llu): %s",
                 m->bad, srv->cfg.max_bad_msgs,
                 mstro__pm_printable(m->component_name, name, sizeof name),
                 (unsigned long long)m->appid, why);
  if (m->bad >= srv->cfg.max_bad_msgs)
    mstro__pm_member_drop(srv, m, MSTRO_INVMSG, "too many malformed control messages", true);
}

/* One more malformed message from `from`: pinned on the member of that peer
 * when the channel's sources can be trusted, otherwise only counted. */
void mstro__pm_count_bad(struct mstro__pm_server *srv, mstro__pm_peer from, const char *why)
{
  struct member *m =
      from == MSTRO__PM_PEER_UNKNOWN || srv->sources_unreliable ? NULL : member_by_peer(srv, from);
  if (m != NULL) {
    mstro__pm_member_bad(srv, m, why);
    return;
  }
  atomic_fetch_add(&srv->bad_total, 1);
  uint64_t n = ++srv->unknown_bad;
  /* 1, 10, 100, ...: a flood from strangers must not flood the log. */
  uint64_t p = 1;
  while (p < n && p <= UINT64_MAX / 10)
    p *= 10;
  if (p == n)
    MSTRO_LOG_WARN(PM,
                   "malformed control message from a sender that is not a member (%llu so "
                   "far): %s",
                   (unsigned long long)n, why);
}

/* A JOIN says which address it comes from; the channel says which peer. A
 * peer that is not ours, or ours under another address, means the channel
 * reports sources it should not (seen with the shm provider, which names a
 * peer for senders never inserted). From then on garbage is only counted, so
 * that a stranger cannot get a member dropped. */
static void check_source(struct mstro__pm_server *srv, mstro__pm_peer from, const char *addr)
{
  if (from == MSTRO__PM_PEER_UNKNOWN || srv->sources_unreliable)
    return;
  const char *ours = NULL;
  struct member *m = member_by_peer(srv, from);
  if (m != NULL)
    ours = m->addr;
  for (size_t i = 0; ours == NULL && i < srv->n_pending; i++)
    if (srv->pending[i].peer == from)
      ours = srv->pending[i].addr;
  if (ours == NULL || strcmp(ours, addr) != 0) {
    srv->sources_unreliable = true;
    MSTRO_LOG_WARN(PM,
                   "the control channel reports message sources it cannot know (peer %llu "
                   "for a JOIN from another address): malformed messages are no longer "
                   "attributed to members",
                   (unsigned long long)from);
  }
}

void mstro__pm_handle_join(struct mstro__pm_server *srv, mstro__pm_peer from,
                           const Mstro__Proto__Envelope *env)
{
  const Mstro__Proto__Join *j = env->join;
  char name[LOG_NAME_MAX], host[LOG_NAME_MAX], wf[LOG_NAME_MAX];
  char addr[MSTRO__PROTO_ADDR_MAX + 1];
  memcpy(addr, j->endpoint_address.data, j->endpoint_address.len);
  addr[j->endpoint_address.len] = '\0';
  mstro__pm_printable(j->component_name, name, sizeof name);
  mstro__pm_printable(j->hostname, host, sizeof host);
  check_source(srv, from, addr);

  const char *reason = NULL;
  mstro_status refusal = MSTRO_AUTH;
  /* The sender's own claim decides, not the fabric's idea of the source
   * (some providers report a source for senders never inserted). */
  struct member *known = NULL;
  for (size_t i = 0; i < srv->n_members; i++)
    if (strcmp(srv->members[i].addr, addr) == 0)
      known = &srv->members[i];
  if (strcmp(j->workflow_name, srv->workflow) != 0) {
    reason = "wrong workflow name";
  } else if (!secret_equal(j->workflow_secret.data, srv->secret)) {
    reason = "wrong workflow secret";
  } else if (known != NULL) {
    reason = "this endpoint has already joined";
    refusal = MSTRO_NOT_TWICE;
  } else {
    for (size_t i = 0; i < srv->n_members; i++)
      if (srv->members[i].component_index == j->component_index &&
          strcmp(srv->members[i].component_name, j->component_name) == 0) {
        reason = "a component of this name and index is already a member";
        refusal = MSTRO_NOT_TWICE;
      }
  }

  if (reason != NULL) {
    if (refusal == MSTRO_AUTH && strcmp(reason, "wrong workflow name") == 0)
      MSTRO_LOG_WARN(PM,
                     "refused JOIN of component '%s' index %lld (pid %u on '%s'): %s '%s' "
                     "(this Pool Manager serves '%s')",
                     name, (long long)j->component_index, j->pid, host, reason,
                     mstro__pm_printable(j->workflow_name, wf, sizeof wf), srv->workflow);
    else
      MSTRO_LOG_WARN(PM, "refused JOIN of component '%s' index %lld (pid %u on '%s'): %s", name,
                     (long long)j->component_index, j->pid, host, reason);
    mstro__pm_peer peer = known ? known->peer : MSTRO__PM_PEER_UNKNOWN;
    if (peer == MSTRO__PM_PEER_UNKNOWN && peer_for_join(srv, addr, &peer) != MSTRO_OK) {
      MSTRO_LOG_WARN(PM, "cannot answer component '%s': its endpoint address is unusable", name);
      return;
    }
    mstro__pm_send_refuse(srv, peer, env->seq, refusal, reason);
    if (known == NULL)
      remove_peer_later(srv, peer, addr);
    return;
  }

  mstro__pm_peer peer = MSTRO__PM_PEER_UNKNOWN;
  uint64_t session = 0;
  if (peer_for_join(srv, addr, &peer) != MSTRO_OK) {
    MSTRO_LOG_WARN(PM,
                   "cannot admit component '%s' index %lld: its endpoint address is "
                   "unusable",
                   name, (long long)j->component_index);
    return;
  }
  while (session == 0)
    if (mstro__pm_random_bytes(&session, sizeof session) != MSTRO_OK) {
      remove_peer_later(srv, peer, addr);
      return;
    }
  if (srv->n_members == srv->cap_members) {
    size_t cap = srv->cap_members ? 2 * srv->cap_members : 16;
    struct member *mm = realloc(srv->members, cap * sizeof *mm);
    if (mm == NULL) {
      mstro__pm_send_refuse(srv, peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory");
      remove_peer_later(srv, peer, addr);
      return;
    }
    srv->members = mm;
    srv->cap_members = cap;
  }
  char *cname = strdup(j->component_name);
  if (cname == NULL) {
    mstro__pm_send_refuse(srv, peer, env->seq, MSTRO_NOMEM, "the Pool Manager is out of memory");
    remove_peer_later(srv, peer, addr);
    return;
  }
  struct member *m = &srv->members[srv->n_members];
  memset(m, 0, sizeof *m);
  m->appid = srv->next_appid++;
  m->session = session;
  m->peer = peer;
  snprintf(m->addr, sizeof m->addr, "%s", addr);
  m->component_name = cname;
  m->component_index = j->component_index;
  m->pid = j->pid;
  snprintf(m->host, sizeof m->host, "%s", j->hostname);
  m->last_seen_ns = mstro_clock();

  Mstro__Proto__Envelope out;
  Mstro__Proto__Welcome w;
  mstro__pm_env_init(srv, &out, env->seq);
  mstro__proto__welcome__init(&w);
  w.appid = m->appid;
  w.heartbeat_interval_ms = srv->cfg.heartbeat_ms;
  w.session = session;
  w.transport = mstro__pm_transport_for_member((Mstro__Proto__TransportKind)srv->cfg.transport,
                                               j->transports, j->n_transports, cname);
  /* the masks in force: its operations are held from the first one on */
  mstro__pm_masks_of(srv, m->appid, &m->ack_kinds, &m->event_kinds);
  w.ack_kinds = m->ack_kinds;
  w.event_kinds = m->event_kinds;
  out.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WELCOME;
  out.welcome = &w;
  if (mstro__pm_send_env(srv, peer, &out) != MSTRO_OK) {
    MSTRO_LOG_WARN(PM, "component '%s' index %lld could not be welcomed", name,
                   (long long)j->component_index);
    free(cname);
    remove_peer_later(srv, peer, addr);
    return;
  }
  srv->n_members++;
  atomic_store(&srv->live, srv->n_members);
  atomic_fetch_add(&srv->joined, 1);
  {
    struct pm_event ev = {.kind = MSTRO_POOL_EVENT_APP_JOIN,
                          .appid = m->appid,
                          .component_name = m->component_name,
                          .component_index = m->component_index};
    mstro__pm_emit(srv, &ev);
  }
  MSTRO_LOG_INFO(PM,
                 "component '%s' index %lld (pid %u on '%s') joined workflow '%s' as appid "
                 "%llu",
                 name, (long long)j->component_index, j->pid, host, srv->workflow,
                 (unsigned long long)m->appid);
}

void mstro__pm_check_heartbeats(struct mstro__pm_server *srv)
{
  uint64_t now = mstro_clock();
  uint64_t limit = (uint64_t)srv->cfg.heartbeat_ms * srv->cfg.heartbeat_grace * 1000000ull;
  for (size_t i = 0; i < srv->n_members;) {
    struct member *m = &srv->members[i];
    if (now - m->last_seen_ns > limit) {
      char why[128];
      snprintf(why, sizeof why, "silent for %llu ms: taken as crashed",
               (unsigned long long)((now - m->last_seen_ns) / 1000000ull));
      mstro__pm_member_drop(srv, m, MSTRO_TIMEOUT, why, false);
      continue; /* the last member moved into slot i */
    }
    i++;
  }
  mstro__pm_remove_due_peers(srv, false);
}
