/* SPDX-License-Identifier: BSD-3-Clause */
/* Maestro control protocol: framing, encoding, hostile-input-safe decoding
 * and validation (see proto_codec.h). */
#include "proto_codec.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "maestro/pool_events.h"
#include "mstro_log.h"

/* ---- errors ------------------------------------------------------------ */

/* Where a validation or decoding failure is reported: the log and `why`. */
struct why {
  char *buf;
  size_t len;
  const char *what; /* "decode", "encode", "validate" */
};

static mstro_status fail(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static mstro_status fail(struct why *w, const char *fmt, ...)
{
  char text[MSTRO__PROTO_WHY_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  MSTRO_LOG_WARN(PROTO, "%s: invalid message: %s", w->what, text);
  if (w->buf != NULL && w->len > 0)
    snprintf(w->buf, w->len, "%s", text);
  return MSTRO_INVMSG;
}

/* ---- names ------------------------------------------------------------- */

const char *mstro__proto_msg_name(Mstro__Proto__Envelope__MsgCase c)
{
  switch (c) {
  case MSTRO__PROTO__ENVELOPE__MSG__NOT_SET:
    return "NONE";
  case MSTRO__PROTO__ENVELOPE__MSG_JOIN:
    return "JOIN";
  case MSTRO__PROTO__ENVELOPE__MSG_WELCOME:
    return "WELCOME";
  case MSTRO__PROTO__ENVELOPE__MSG_REFUSE:
    return "REFUSE";
  case MSTRO__PROTO__ENVELOPE__MSG_LEAVE:
    return "LEAVE";
  case MSTRO__PROTO__ENVELOPE__MSG_BYE:
    return "BYE";
  case MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT:
    return "HEARTBEAT";
  case MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE:
    return "PM_LEAVE";
  case MSTRO__PROTO__ENVELOPE__MSG_DECLARE:
    return "DECLARE";
  case MSTRO__PROTO__ENVELOPE__MSG_DECLARE_ACK:
    return "DECLARE_ACK";
  case MSTRO__PROTO__ENVELOPE__MSG_OFFER:
    return "OFFER";
  case MSTRO__PROTO__ENVELOPE__MSG_REQUIRE:
    return "REQUIRE";
  case MSTRO__PROTO__ENVELOPE__MSG_RETRACT:
    return "RETRACT";
  case MSTRO__PROTO__ENVELOPE__MSG_DEMAND:
    return "DEMAND";
  case MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW:
    return "WITHDRAW";
  case MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK:
    return "WITHDRAW_ACK";
  case MSTRO__PROTO__ENVELOPE__MSG_DISPOSE:
    return "DISPOSE";
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET:
    return "TRANSFER_TICKET";
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED:
    return "TRANSFER_COMPLETED";
  case MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE:
    return "SUBSCRIBE";
  case MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE:
    return "UNSUBSCRIBE";
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT:
    return "EVENT";
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK:
    return "EVENT_ACK";
  case MSTRO__PROTO__ENVELOPE__MSG_SEAL:
    return "SEAL";
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED:
    return "TRANSFER_STARTED";
  case MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK:
    return "ACK_MASK";
  case MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM:
    return "ACK_MASK_CONFIRM";
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER:
    return "GROUP_OFFER";
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_WITHDRAW:
    return "GROUP_WITHDRAW";
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_REQUIRE:
    return "GROUP_REQUIRE";
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_DEMAND:
    return "GROUP_DEMAND";
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS:
    return "GROUP_MEMBERS";
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_ACK:
    return "GROUP_ACK";
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_SEAL:
    return "GROUP_SEAL";
  default:
    return "UNKNOWN";
  }
}

Mstro__Proto__TransportKind mstro__proto_transport_kind(const char *name)
{
  if (strcmp(name, "OFI") == 0)
    return MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
  if (strcmp(name, "GFS") == 0)
    return MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS;
  if (strcmp(name, "MIO") == 0)
    return MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_MIO;
  return MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED;
}

const char *mstro__proto_transport_name(int kind)
{
  switch (kind) {
  case MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED:
    return "UNSPECIFIED";
  case MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_LOCAL:
    return "LOCAL";
  case MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI:
    return "OFI";
  case MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS:
    return "GFS";
  case MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_MIO:
    return "MIO";
  default:
    return "UNKNOWN";
  }
}

void mstro__proto_envelope_init(Mstro__Proto__Envelope *env, uint64_t seq)
{
  mstro__proto__envelope__init(env);
  env->version = MSTRO__PROTO_VERSION;
  env->seq = seq;
}

/* ---- field checks -------------------------------------------------------- */

/* A string field: present, at most `max` bytes, non-empty if `name` is set.
 * NUL bytes inside cannot be seen here (C strings); the wire scan refuses them
 * before unpacking. */
static mstro_status check_str(struct why *w, const char *msg, const char *field, const char *s,
                              size_t max, bool nonempty)
{
  if (s == NULL)
    return fail(w, "%s.%s is missing", msg, field);
  size_t n = strnlen(s, (size_t)max + 1);
  if (n > max)
    return fail(w, "%s.%s is longer than %zu bytes", msg, field, (size_t)max);
  if (nonempty && n == 0)
    return fail(w, "%s.%s is empty", msg, field);
  return MSTRO_OK;
}

static mstro_status check_bytes(struct why *w, const char *msg, const char *field,
                                const ProtobufCBinaryData *b, size_t min, size_t max)
{
  if (b->len > 0 && b->data == NULL)
    return fail(w, "%s.%s has %zu bytes but no data", msg, field, b->len);
  if (b->len < min || b->len > max) {
    if (min == max)
      return fail(w, "%s.%s has %zu bytes, not %zu", msg, field, b->len, min);
    return fail(w, "%s.%s has %zu bytes, outside [%zu, %zu]", msg, field, b->len, min, max);
  }
  return MSTRO_OK;
}

static mstro_status check_transport(struct why *w, const char *msg, const char *field, int v,
                                    bool allow_unspecified)
{
  if (protobuf_c_enum_descriptor_get_value(&mstro__proto__transport_kind__descriptor, v) == NULL)
    return fail(w, "%s.%s has the unknown transport kind %d", msg, field, v);
  if (!allow_unspecified && v == MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED)
    return fail(w, "%s.%s has no transport kind", msg, field);
  return MSTRO_OK;
}

static mstro_status check_transports(struct why *w, const char *msg, size_t n,
                                     const Mstro__Proto__TransportKind *v)
{
  if (n > MSTRO__PROTO_TRANSPORTS_MAX)
    return fail(w, "%s.transports has %zu entries, more than %u", msg, n,
                MSTRO__PROTO_TRANSPORTS_MAX);
  if (n > 0 && v == NULL)
    return fail(w, "%s.transports has %zu entries but no data", msg, n);
  for (size_t i = 0; i < n; i++) {
    mstro_status s = check_transport(w, msg, "transports", (int)v[i], false);
    if (s != MSTRO_OK)
      return s;
  }
  return MSTRO_OK;
}

static mstro_status check_status(struct why *w, const char *msg, const char *field, uint32_t s,
                                 bool allow_ok)
{
  if (s >= (uint32_t)MSTRO_STATUS_MAX)
    return fail(w, "%s.%s has the unknown status %u", msg, field, s);
  if (!allow_ok && s == MSTRO_OK)
    return fail(w, "%s.%s is MSTRO_OK where an error is expected", msg, field);
  return MSTRO_OK;
}

#define ALL_KINDS ((uint32_t)MSTRO_POOL_EVENT__ALL)
#define ALL_OPTS                                                                                   \
  ((uint32_t)(MSTRO_SUBSCRIPTION_OPTS_SIGNAL_BEFORE | MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK |        \
              MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS | MSTRO_SUBSCRIPTION_OPTS_NO_REMOTE_EVENTS))

/* Every check returns at the first failure. */
#define CHECK(expr)                                                                                \
  do {                                                                                             \
    mstro_status s_ = (expr);                                                                      \
    if (s_ != MSTRO_OK)                                                                            \
      return s_;                                                                                   \
  } while (0)
#define NAME(m, msg, f)            CHECK(check_str(w, msg, #f, (m)->f, MSTRO__PROTO_NAME_MAX, true))
#define STR(m, msg, f, max)        CHECK(check_str(w, msg, #f, (m)->f, (max), false))
#define BYTES(m, msg, f, min, max) CHECK(check_bytes(w, msg, #f, &(m)->f, (min), (max)))

static mstro_status check_join(struct why *w, const Mstro__Proto__Join *m)
{
  if (m->protocol_version != MSTRO__PROTO_VERSION)
    return fail(w, "JOIN.protocol_version is %u, this side speaks %u", m->protocol_version,
                MSTRO__PROTO_VERSION);
  NAME(m, "JOIN", workflow_name);
  NAME(m, "JOIN", component_name);
  BYTES(m, "JOIN", workflow_secret, MSTRO__PROTO_SECRET_LEN, MSTRO__PROTO_SECRET_LEN);
  BYTES(m, "JOIN", endpoint_address, 1, MSTRO__PROTO_ADDR_MAX);
  if (memchr(m->endpoint_address.data, 0, m->endpoint_address.len) != NULL)
    return fail(w, "JOIN.endpoint_address contains a NUL byte");
  STR(m, "JOIN", hostname, MSTRO__PROTO_HOST_MAX);
  return check_transports(w, "JOIN", m->n_transports, m->transports);
}

static mstro_status check_offer(struct why *w, const Mstro__Proto__Offer *m)
{
  NAME(m, "OFFER", cdo_name);
  BYTES(m, "OFFER", attributes, 0, MSTRO__PROTO_ATTR_MAX);
  BYTES(m, "OFFER", region_desc, 0, MSTRO__PROTO_REGION_DESC_MAX);
  STR(m, "OFFER", gfs_path, MSTRO__PROTO_PATH_MAX);
  STR(m, "OFFER", mio_object, MSTRO__PROTO_PATH_MAX);
  return check_transports(w, "OFFER", m->n_transports, m->transports);
}

static mstro_status check_ticket(struct why *w, const Mstro__Proto__TransferTicket *m)
{
  const char *msg = "TRANSFER_TICKET";
  if (m->ticket_id == 0)
    return fail(w, "%s.ticket_id is 0", msg);
  NAME(m, msg, cdo_name);
  if (m->src_appid == 0)
    return fail(w, "%s.src_appid is 0", msg);
  BYTES(m, msg, src_endpoint_address, 0, MSTRO__PROTO_ADDR_MAX);
  CHECK(check_transport(w, msg, "transport", (int)m->transport, false));
  BYTES(m, msg, region_desc, 0, MSTRO__PROTO_REGION_DESC_MAX);
  STR(m, msg, gfs_path, MSTRO__PROTO_PATH_MAX);
  STR(m, msg, mio_object, MSTRO__PROTO_PATH_MAX);
  BYTES(m, msg, attributes, 0, MSTRO__PROTO_ATTR_MAX);
  return MSTRO_OK;
}

static mstro_status check_event(struct why *w, const Mstro__Proto__Event *m)
{
  const char *msg = "EVENT";
  if (m->kind == 0 || (m->kind & (m->kind - 1)) != 0 || (m->kind & ~ALL_KINDS) != 0)
    return fail(w, "%s.kind 0x%x is not one event kind", msg, m->kind);
  STR(m, msg, cdo_name, MSTRO__PROTO_NAME_MAX);
  STR(m, msg, component_name, MSTRO__PROTO_NAME_MAX);
  BYTES(m, msg, attributes, 0, MSTRO__PROTO_ATTR_MAX);
  return check_transport(w, msg, "transport", (int)m->transport, true);
}

static mstro_status check_subscribe(struct why *w, const Mstro__Proto__Subscribe *m)
{
  const char *msg = "SUBSCRIBE";
  STR(m, msg, selector, MSTRO__PROTO_SELECTOR_MAX);
  STR(m, msg, selector_namespace, MSTRO__PROTO_NAME_MAX);
  if (m->kind_mask == 0 || (m->kind_mask & ~ALL_KINDS) != 0)
    return fail(w, "%s.kind_mask 0x%x is empty or has unknown bits", msg, m->kind_mask);
  if ((m->options & ~ALL_OPTS) != 0)
    return fail(w, "%s.options 0x%x has unknown bits", msg, m->options);
  return MSTRO_OK;
}

/* A page of group members: bounded count, every entry present and named. */
static mstro_status check_members(struct why *w, const char *msg, size_t n,
                                  Mstro__Proto__GroupMember *const *v)
{
  if (n > MSTRO__PROTO_GROUP_PAGE_MAX)
    return fail(w, "%s.members has %zu entries, more than %u", msg, n, MSTRO__PROTO_GROUP_PAGE_MAX);
  if (n > 0 && v == NULL)
    return fail(w, "%s.members has %zu entries but no data", msg, n);
  for (size_t i = 0; i < n; i++) {
    if (v[i] == NULL)
      return fail(w, "%s.members[%zu] is missing", msg, i);
    CHECK(check_str(w, msg, "members.name", v[i]->name, MSTRO__PROTO_NAME_MAX, true));
    CHECK(check_bytes(w, msg, "members.attributes", &v[i]->attributes, 0, MSTRO__PROTO_ATTR_MAX));
    if (!v[i]->offered && v[i]->attributes.len > 0)
      return fail(w, "%s.members[%zu] has attributes but no offer", msg, i);
  }
  return MSTRO_OK;
}

static mstro_status check_group_members(struct why *w, const Mstro__Proto__GroupMembers *m)
{
  const char *msg = "GROUP_MEMBERS";
  NAME(m, msg, group_name);
  if (m->offer_id == 0)
    return fail(w, "%s.offer_id is 0", msg);
  if (m->start > m->total || m->n_members > m->total - m->start)
    return fail(w, "%s: members [%llu, +%zu) outside a group of %llu", msg,
                (unsigned long long)m->start, m->n_members, (unsigned long long)m->total);
  if (m->n_members == 0 && m->start < m->total)
    return fail(w, "%s: an empty page before the end of the group", msg);
  return check_members(w, msg, m->n_members, m->members);
}

/* The named oneof member must be present (the case says so). */
#define MEMBER(ptr, label)                                                                         \
  do {                                                                                             \
    if ((ptr) == NULL)                                                                             \
      return fail(w, "the envelope says %s but carries none", label);                              \
  } while (0)

static mstro_status check_envelope(struct why *w, const Mstro__Proto__Envelope *e)
{
  if (e->version != MSTRO__PROTO_VERSION)
    return fail(w, "envelope version %u, this side speaks %u", e->version, MSTRO__PROTO_VERSION);
  if (e->seq == 0)
    return fail(w, "envelope sequence number 0");
  const char *label = mstro__proto_msg_name(e->msg_case);
  switch (e->msg_case) {
  case MSTRO__PROTO__ENVELOPE__MSG__NOT_SET:
    return fail(w, "the envelope carries no message");
  case MSTRO__PROTO__ENVELOPE__MSG_JOIN:
    MEMBER(e->join, label);
    return check_join(w, e->join);
  case MSTRO__PROTO__ENVELOPE__MSG_WELCOME:
    MEMBER(e->welcome, label);
    if (e->welcome->appid == 0)
      return fail(w, "WELCOME.appid is 0");
    if (e->welcome->heartbeat_interval_ms == 0)
      return fail(w, "WELCOME.heartbeat_interval_ms is 0");
    if (((e->welcome->ack_kinds | e->welcome->event_kinds) & ~ALL_KINDS) != 0)
      return fail(w, "WELCOME event kinds 0x%x / 0x%x have unknown bits", e->welcome->ack_kinds,
                  e->welcome->event_kinds);
    return check_transport(w, "WELCOME", "transport", e->welcome->transport, true);
  case MSTRO__PROTO__ENVELOPE__MSG_REFUSE:
    MEMBER(e->refuse, label);
    CHECK(check_status(w, label, "status", e->refuse->status, false));
    STR(e->refuse, label, reason, MSTRO__PROTO_TEXT_MAX);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_LEAVE:
    MEMBER(e->leave, label);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_BYE:
    MEMBER(e->bye, label);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT:
    MEMBER(e->heartbeat, label);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE:
    MEMBER(e->pm_leave, label);
    STR(e->pm_leave, label, reason, MSTRO__PROTO_TEXT_MAX);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_DECLARE:
    MEMBER(e->declare, label);
    NAME(e->declare, label, cdo_name);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_DECLARE_ACK:
    MEMBER(e->declare_ack, label);
    return check_status(w, label, "status", e->declare_ack->status, true);
  case MSTRO__PROTO__ENVELOPE__MSG_OFFER:
    MEMBER(e->offer, label);
    return check_offer(w, e->offer);
  case MSTRO__PROTO__ENVELOPE__MSG_REQUIRE:
    MEMBER(e->require, label);
    NAME(e->require, label, cdo_name);
    BYTES(e->require, label, attributes, 0, MSTRO__PROTO_ATTR_MAX);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_RETRACT:
    MEMBER(e->retract, label);
    NAME(e->retract, label, cdo_name);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_DEMAND:
    MEMBER(e->demand, label);
    NAME(e->demand, label, cdo_name);
    BYTES(e->demand, label, attributes, 0, MSTRO__PROTO_ATTR_MAX);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW:
    MEMBER(e->withdraw, label);
    NAME(e->withdraw, label, cdo_name);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK:
    MEMBER(e->withdraw_ack, label);
    return check_status(w, label, "status", e->withdraw_ack->status, true);
  case MSTRO__PROTO__ENVELOPE__MSG_DISPOSE:
    MEMBER(e->dispose, label);
    NAME(e->dispose, label, cdo_name);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET:
    MEMBER(e->transfer_ticket, label);
    return check_ticket(w, e->transfer_ticket);
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED:
    MEMBER(e->transfer_completed, label);
    if (e->transfer_completed->ticket_id == 0)
      return fail(w, "TRANSFER_COMPLETED.ticket_id is 0");
    return check_status(w, label, "status", e->transfer_completed->status, true);
  case MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE:
    MEMBER(e->subscribe, label);
    return check_subscribe(w, e->subscribe);
  case MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE:
    MEMBER(e->unsubscribe, label);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT:
    MEMBER(e->event, label);
    return check_event(w, e->event);
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK:
    MEMBER(e->event_ack, label);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_SEAL:
    MEMBER(e->seal, label);
    NAME(e->seal, label, cdo_name);
    BYTES(e->seal, label, attributes, 0, MSTRO__PROTO_ATTR_MAX);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED:
    MEMBER(e->transfer_started, label);
    if (e->transfer_started->ticket_id == 0)
      return fail(w, "TRANSFER_STARTED.ticket_id is 0");
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK:
    MEMBER(e->ack_mask, label);
    if (((e->ack_mask->ack_kinds | e->ack_mask->event_kinds) & ~ALL_KINDS) != 0)
      return fail(w, "ACK_MASK kinds 0x%x / 0x%x have unknown bits", e->ack_mask->ack_kinds,
                  e->ack_mask->event_kinds);
    if ((e->ack_mask->ack_kinds & ~e->ack_mask->event_kinds) != 0)
      return fail(w, "ACK_MASK holds kinds 0x%x it does not forward", e->ack_mask->ack_kinds);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM:
    MEMBER(e->ack_mask_confirm, label);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER:
    MEMBER(e->group_offer, label);
    NAME(e->group_offer, label, group_name);
    return check_members(w, label, e->group_offer->n_members, e->group_offer->members);
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_WITHDRAW:
    MEMBER(e->group_withdraw, label);
    NAME(e->group_withdraw, label, group_name);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_REQUIRE:
    MEMBER(e->group_require, label);
    NAME(e->group_require, label, group_name);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_DEMAND:
    MEMBER(e->group_demand, label);
    NAME(e->group_demand, label, group_name);
    if (e->group_demand->offer_id == 0 && e->group_demand->start != 0)
      return fail(w, "GROUP_DEMAND.start is %llu without an offer_id",
                  (unsigned long long)e->group_demand->start);
    return MSTRO_OK;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS:
    MEMBER(e->group_members, label);
    return check_group_members(w, e->group_members);
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_ACK:
    MEMBER(e->group_ack, label);
    NAME(e->group_ack, label, group_name);
    return check_status(w, label, "status", e->group_ack->status, true);
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_SEAL:
    MEMBER(e->group_seal, label);
    NAME(e->group_seal, label, group_name);
    return MSTRO_OK;
  default:
    return fail(w, "the envelope carries the unknown message kind %d", (int)e->msg_case);
  }
}

mstro_status mstro__proto_validate(const Mstro__Proto__Envelope *env, char *why, size_t whylen)
{
  struct why w = {why, whylen, "validate"};
  if (env == NULL) {
    MSTRO_LOG_ERR(PROTO, "validate: NULL envelope");
    return MSTRO_INVARG;
  }
  return check_envelope(&w, env);
}

size_t mstro__proto_group_page(Mstro__Proto__GroupMember *const *m, size_t n)
{
  /* the envelope's own fields, the group name and the page's counters */
  size_t used = 64 + MSTRO__PROTO_NAME_MAX + MSTRO__PROTO_HEADER_SIZE;
  size_t k = 0;
  while (k < n && k < MSTRO__PROTO_GROUP_PAGE_MAX) {
    size_t one = protobuf_c_message_get_packed_size(&m[k]->base) + 1 + 5; /* tag, length */
    if (used + one > MSTRO__PROTO_FRAME_MAX)
      break;
    used += one;
    k++;
  }
  return k;
}

/* ---- encoding ------------------------------------------------------------ */

static void put_be32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static void put_be16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static uint32_t get_be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static uint16_t get_be16(const uint8_t *p)
{
  return (uint16_t)((unsigned)p[0] << 8 | (unsigned)p[1]);
}

mstro_status mstro__proto_frame_size(const Mstro__Proto__Envelope *env, size_t *len)
{
  struct why w = {NULL, 0, "encode"};
  if (env == NULL || len == NULL) {
    MSTRO_LOG_ERR(PROTO, "encode: NULL envelope or length");
    return MSTRO_INVARG;
  }
  mstro_status s = check_envelope(&w, env);
  if (s != MSTRO_OK)
    return s;
  size_t payload = protobuf_c_message_get_packed_size(&env->base);
  if (payload > MSTRO__PROTO_FRAME_MAX - MSTRO__PROTO_HEADER_SIZE)
    return fail(&w, "%s frame of %zu bytes exceeds the frame limit of %u bytes",
                mstro__proto_msg_name(env->msg_case), payload + MSTRO__PROTO_HEADER_SIZE,
                MSTRO__PROTO_FRAME_MAX);
  *len = payload + MSTRO__PROTO_HEADER_SIZE;
  return MSTRO_OK;
}

/* Header and payload of a validated envelope whose frame takes `need` bytes. */
static void write_frame(const Mstro__Proto__Envelope *env, uint8_t *buf, size_t need)
{
  size_t payload = need - MSTRO__PROTO_HEADER_SIZE;
  put_be32(buf, MSTRO__PROTO_MAGIC);
  put_be16(buf + 4, (uint16_t)MSTRO__PROTO_VERSION);
  put_be16(buf + 6, 0);
  put_be32(buf + 8, (uint32_t)payload);
  size_t packed = protobuf_c_message_pack(&env->base, buf + MSTRO__PROTO_HEADER_SIZE);
  MMB__ASSERT(packed == payload);
}

mstro_status mstro__proto_encode(const Mstro__Proto__Envelope *env, uint8_t *buf, size_t cap,
                                 size_t *len)
{
  size_t need = 0;
  if (buf == NULL || len == NULL) {
    MSTRO_LOG_ERR(PROTO, "encode: NULL buffer or length");
    return MSTRO_INVARG;
  }
  mstro_status s = mstro__proto_frame_size(env, &need);
  if (s != MSTRO_OK)
    return s;
  if (cap < need) {
    MSTRO_LOG_ERR(PROTO, "encode: %s frame needs %zu bytes, the buffer holds %zu",
                  mstro__proto_msg_name(env->msg_case), need, cap);
    return MSTRO_INVOUT;
  }
  write_frame(env, buf, need);
  *len = need;
  return MSTRO_OK;
}

mstro_status mstro__proto_encode_alloc(const Mstro__Proto__Envelope *env, uint8_t **buf,
                                       size_t *len)
{
  size_t need = 0;
  if (buf == NULL || len == NULL) {
    MSTRO_LOG_ERR(PROTO, "encode: NULL output");
    return MSTRO_INVARG;
  }
  *buf = NULL;
  mstro_status s = mstro__proto_frame_size(env, &need);
  if (s != MSTRO_OK)
    return s;
  uint8_t *b = malloc(need);
  if (b == NULL) {
    MSTRO_LOG_ERR(PROTO, "encode: cannot allocate %zu bytes", need);
    return MSTRO_NOMEM;
  }
  write_frame(env, b, need);
  *buf = b;
  *len = need;
  return MSTRO_OK;
}

/* ---- decoding ------------------------------------------------------------ */

/* An allocator that caps what one unpack may take. Each block carries its size
 * in a header so that the cap can be enforced and the same blocks freed later
 * (with allocator_data NULL, no accounting). */
#define BLOCK_HDR ((size_t)alignof(max_align_t))

struct capped {
  size_t used;
  size_t cap;
  bool exceeded;
};

static void *capped_alloc(void *data, size_t size)
{
  struct capped *c = data;
  if (c != NULL && size > c->cap - c->used) {
    c->exceeded = true;
    return NULL;
  }
  if (size > SIZE_MAX - BLOCK_HDR)
    return NULL;
  unsigned char *p = malloc(BLOCK_HDR + size);
  if (p == NULL)
    return NULL;
  memcpy(p, &size, sizeof size);
  if (c != NULL)
    c->used += size;
  return p + BLOCK_HDR;
}

static void capped_free(void *data, void *ptr)
{
  if (ptr == NULL)
    return;
  unsigned char *p = (unsigned char *)ptr - BLOCK_HDR;
  struct capped *c = data;
  if (c != NULL) {
    size_t size;
    memcpy(&size, p, sizeof size);
    c->used -= size;
  }
  free(p);
}

static ProtobufCAllocator free_allocator = {capped_alloc, capped_free, NULL};

void mstro__proto_free(Mstro__Proto__Envelope *env)
{
  if (env != NULL)
    protobuf_c_message_free_unpacked(&env->base, &free_allocator);
}

/* Wire-level scan before unpacking: well-formed tags, lengths inside the
 * buffer, no groups, and no NUL byte in a string field (protobuf-c would
 * silently cut the string there). Recurses into sub-messages, bounded. */
#define SCAN_DEPTH_MAX 4

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
  uint64_t r = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (*p >= end)
      return false;
    uint8_t b = *(*p)++;
    r |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return false;
}

/* What unpacking one group member allocates beyond 8 x its bytes: the
 * struct, its slot in the array and the blocks' headers. */
#define GROUP_MEMBER_UNPACK (sizeof(Mstro__Proto__GroupMember) + sizeof(void *) + 4 * BLOCK_HDR)

static mstro_status scan(struct why *w, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                         const uint8_t *end, int depth)
{
  while (p < end) {
    uint64_t key;
    if (!read_varint(&p, end, &key))
      return fail(w, "%s: truncated field key", d->short_name);
    uint64_t number = key >> 3;
    unsigned wt = (unsigned)(key & 7);
    if (number == 0 || number > 536870911u)
      return fail(w, "%s: field number %llu out of range", d->short_name,
                  (unsigned long long)number);
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(d, (unsigned)number);
    uint64_t v;
    switch (wt) {
    case 0:
      if (!read_varint(&p, end, &v))
        return fail(w, "%s: truncated varint in field %llu", d->short_name,
                    (unsigned long long)number);
      break;
    case 1:
      if (end - p < 8)
        return fail(w, "%s: truncated 64-bit field %llu", d->short_name,
                    (unsigned long long)number);
      p += 8;
      break;
    case 5:
      if (end - p < 4)
        return fail(w, "%s: truncated 32-bit field %llu", d->short_name,
                    (unsigned long long)number);
      p += 4;
      break;
    case 2:
      if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p))
        return fail(w, "%s: field %llu has a length beyond the message", d->short_name,
                    (unsigned long long)number);
      if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING && memchr(p, 0, (size_t)v) != NULL)
        return fail(w, "%s.%s contains a NUL byte", d->short_name, f->name);
      if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
        if (depth >= SCAN_DEPTH_MAX)
          return fail(w, "%s: messages nested too deep", d->short_name);
        mstro_status s = scan(w, f->descriptor, p, p + v, depth + 1);
        if (s != MSTRO_OK)
          return s;
      }
      p += v;
      break;
    default:
      return fail(w, "%s: field %llu has the unsupported wire type %u", d->short_name,
                  (unsigned long long)number, wt);
    }
  }
  return MSTRO_OK;
}

mstro_status mstro__proto_decode(const uint8_t *buf, size_t len, Mstro__Proto__Envelope **env,
                                 char *why, size_t whylen)
{
  struct why w = {why, whylen, "decode"};
  if (env == NULL || (buf == NULL && len > 0)) {
    MSTRO_LOG_ERR(PROTO, "decode: NULL buffer or result");
    return MSTRO_INVARG;
  }
  *env = NULL;
  if (len < MSTRO__PROTO_HEADER_SIZE)
    return fail(&w, "frame of %zu bytes is shorter than its %u-byte header", len,
                MSTRO__PROTO_HEADER_SIZE);
  if (len > MSTRO__PROTO_FRAME_MAX)
    return fail(&w, "frame of %zu bytes exceeds the limit of %u", len, MSTRO__PROTO_FRAME_MAX);
  uint32_t magic = get_be32(buf);
  if (magic != MSTRO__PROTO_MAGIC)
    return fail(&w, "bad magic 0x%08x (not a maestro control frame)", magic);
  uint16_t version = get_be16(buf + 4);
  if (version != MSTRO__PROTO_VERSION)
    return fail(&w, "protocol version %u, this side speaks %u", version, MSTRO__PROTO_VERSION);
  uint16_t flags = get_be16(buf + 6);
  if (flags != 0)
    return fail(&w, "reserved header flags 0x%04x set", flags);
  uint32_t payload = get_be32(buf + 8);
  if ((size_t)payload != len - MSTRO__PROTO_HEADER_SIZE)
    return fail(&w, "header announces %u payload bytes, the frame has %zu", payload,
                len - MSTRO__PROTO_HEADER_SIZE);

  const uint8_t *p = buf + MSTRO__PROTO_HEADER_SIZE;
  mstro_status s = scan(&w, &mstro__proto__envelope__descriptor, p, p + payload, 0);
  if (s != MSTRO_OK)
    return s;

  /* A group page's members cost a few blocks each beyond their bytes. */
  size_t cap = (size_t)payload * 8u + 65536u + MSTRO__PROTO_GROUP_PAGE_MAX * GROUP_MEMBER_UNPACK;
  if (cap > MSTRO__PROTO_ALLOC_CAP)
    cap = MSTRO__PROTO_ALLOC_CAP;
  struct capped c = {0, cap, false};
  ProtobufCAllocator a = {capped_alloc, capped_free, &c};
  Mstro__Proto__Envelope *e = mstro__proto__envelope__unpack(&a, payload, p);
  if (e == NULL) {
    if (c.exceeded)
      return fail(&w, "payload of %u bytes needs more than %zu bytes to unpack", payload, cap);
    return fail(&w, "payload of %u bytes is not a well-formed envelope", payload);
  }
  s = check_envelope(&w, e);
  if (s != MSTRO_OK) {
    protobuf_c_message_free_unpacked(&e->base, &a);
    return s;
  }
  *env = e;
  return MSTRO_OK;
}

/* ---- the contact string ---------------------------------------------------- */

mstro_status mstro__proto_info_format(const struct mstro__proto_pm_info *info, char **text)
{
  if (info == NULL || text == NULL || info->n_addrs == 0 ||
      info->n_addrs > MSTRO__PROTO_INFO_ADDRS_MAX) {
    MSTRO_LOG_ERR(PROTO, "info: NULL argument or %zu addresses (1 to %u allowed)",
                  info ? info->n_addrs : 0, MSTRO__PROTO_INFO_ADDRS_MAX);
    return MSTRO_INVARG;
  }
  size_t need = sizeof MSTRO__PROTO_INFO_PREFIX + 2 * MSTRO__PROTO_SECRET_LEN + 1;
  for (size_t i = 0; i < info->n_addrs; i++) {
    size_t n = strnlen(info->addrs[i], sizeof info->addrs[i]);
    if (n == 0 || n > MSTRO__PROTO_ADDR_MAX) {
      MSTRO_LOG_ERR(PROTO, "info: address %zu is empty or longer than %u bytes", i,
                    MSTRO__PROTO_ADDR_MAX);
      return MSTRO_INVARG;
    }
    need += (n + 2) / 3 * 4 + 1;
  }
  char *t = malloc(need);
  if (t == NULL) {
    MSTRO_LOG_ERR(PROTO, "info: cannot allocate %zu bytes", need);
    return MSTRO_NOMEM;
  }
  size_t o = strlen(MSTRO__PROTO_INFO_PREFIX);
  memcpy(t, MSTRO__PROTO_INFO_PREFIX, o);
  for (size_t i = 0; i < MSTRO__PROTO_SECRET_LEN; i++)
    o += (size_t)sprintf(t + o, "%02x", info->secret[i]);
  t[o++] = ':';
  for (size_t i = 0; i < info->n_addrs; i++) {
    if (i > 0)
      t[o++] = ',';
    o += mstro__base64url_encode((const uint8_t *)info->addrs[i], strlen(info->addrs[i]), t + o);
  }
  t[o] = '\0';
  *text = t;
  return MSTRO_OK;
}

static mstro_status info_fail(struct why *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static mstro_status info_fail(struct why *w, const char *fmt, ...)
{
  char text[MSTRO__PROTO_WHY_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  MSTRO_LOG_ERR(PROTO, "MSTRO_POOL_MANAGER_INFO is malformed: %s", text);
  if (w->buf != NULL && w->len > 0)
    snprintf(w->buf, w->len, "%s", text);
  return MSTRO_INVARG;
}

static int hex_value(char ch)
{
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  return -1;
}

mstro_status mstro__proto_info_parse(const char *text, struct mstro__proto_pm_info *info, char *why,
                                     size_t whylen)
{
  struct why w = {why, whylen, "info"};
  if (text == NULL || info == NULL)
    return info_fail(&w, "no string");
  size_t n = strnlen(text, MSTRO__PROTO_INFO_MAX + 1);
  if (n > MSTRO__PROTO_INFO_MAX)
    return info_fail(&w, "longer than %u bytes", MSTRO__PROTO_INFO_MAX);
  size_t plen = strlen(MSTRO__PROTO_INFO_PREFIX);
  if (strncmp(text, MSTRO__PROTO_INFO_PREFIX, plen) != 0)
    return info_fail(&w,
                     "does not start with \"%s\" (another version, or not a maestro-pm "
                     "contact string)",
                     MSTRO__PROTO_INFO_PREFIX);
  struct mstro__proto_pm_info out;
  memset(&out, 0, sizeof out);
  const char *p = text + plen;
  for (size_t i = 0; i < MSTRO__PROTO_SECRET_LEN; i++) {
    int hi = hex_value(p[2 * i]), lo = hi < 0 ? -1 : hex_value(p[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return info_fail(&w, "the secret is not %u lowercase hex digits",
                       2 * MSTRO__PROTO_SECRET_LEN);
    out.secret[i] = (uint8_t)(hi << 4 | lo);
  }
  p += 2 * MSTRO__PROTO_SECRET_LEN;
  if (*p != ':')
    return info_fail(&w, "no ':' after the secret");
  p++;
  for (;;) {
    size_t k = strcspn(p, ",");
    if (k == 0)
      return info_fail(&w, "empty address %zu", out.n_addrs);
    if (out.n_addrs == MSTRO__PROTO_INFO_ADDRS_MAX)
      return info_fail(&w, "more than %u addresses", MSTRO__PROTO_INFO_ADDRS_MAX);
    char *a = out.addrs[out.n_addrs];
    long got = mstro__base64_decode(p, k, MSTRO__B64_URL, (uint8_t *)a, MSTRO__PROTO_ADDR_MAX);
    if (got <= 0)
      return info_fail(&w, "address %zu is not base64url of at most %u bytes", out.n_addrs,
                       MSTRO__PROTO_ADDR_MAX);
    if (memchr(a, 0, (size_t)got) != NULL)
      return info_fail(&w, "address %zu contains a NUL byte", out.n_addrs);
    a[got] = '\0';
    out.n_addrs++;
    p += k;
    if (*p == '\0')
      break;
    p++; /* ',' */
  }
  *info = out;
  return MSTRO_OK;
}
