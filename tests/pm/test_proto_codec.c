/* SPDX-License-Identifier: BSD-3-Clause */
/* The control protocol's codec: round trip of every message kind; framing
 * errors (truncated, oversized, wrong magic, version or flags); field
 * validation (NUL bytes, empty or overlong names, enums and statuses out of
 * range, a missing message); seeded random and mutated frames by the
 * thousand. Must pass under ASan+UBSan without a leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "maestro/pool_events.h"
#include "proto_codec.h"

/* Storage for one message of every kind. */
struct all {
  Mstro__Proto__Join join;
  Mstro__Proto__Welcome welcome;
  Mstro__Proto__Refuse refuse;
  Mstro__Proto__Leave leave;
  Mstro__Proto__Bye bye;
  Mstro__Proto__Heartbeat heartbeat;
  Mstro__Proto__PMLeave pm_leave;
  Mstro__Proto__Declare declare;
  Mstro__Proto__DeclareAck declare_ack;
  Mstro__Proto__Offer offer;
  Mstro__Proto__Require require;
  Mstro__Proto__Retract retract;
  Mstro__Proto__Demand demand;
  Mstro__Proto__Withdraw withdraw;
  Mstro__Proto__WithdrawAck withdraw_ack;
  Mstro__Proto__Dispose dispose;
  Mstro__Proto__TransferTicket ticket;
  Mstro__Proto__TransferCompleted completed;
  Mstro__Proto__Subscribe subscribe;
  Mstro__Proto__Unsubscribe unsubscribe;
  Mstro__Proto__Event event;
  Mstro__Proto__EventAck event_ack;
  Mstro__Proto__Seal seal;
  Mstro__Proto__TransferStarted started;
  Mstro__Proto__AckMask ack_mask;
  Mstro__Proto__AckMaskConfirm ack_mask_confirm;
  Mstro__Proto__GroupOffer group_offer;
  Mstro__Proto__GroupWithdraw group_withdraw;
  Mstro__Proto__GroupRequire group_require;
  Mstro__Proto__GroupDemand group_demand;
  Mstro__Proto__GroupMembers group_members;
  Mstro__Proto__GroupAck group_ack;
  Mstro__Proto__GroupSeal group_seal;
  Mstro__Proto__GroupMember gm[3];
  Mstro__Proto__GroupMember *gmp[3];
  uint8_t secret[MSTRO__PROTO_SECRET_LEN];
  uint8_t attrs[300];
  uint8_t desc[40];
  Mstro__Proto__TransportKind tk[3];
};

static const Mstro__Proto__Envelope__MsgCase all_cases[] = {
    MSTRO__PROTO__ENVELOPE__MSG_JOIN,
    MSTRO__PROTO__ENVELOPE__MSG_WELCOME,
    MSTRO__PROTO__ENVELOPE__MSG_REFUSE,
    MSTRO__PROTO__ENVELOPE__MSG_LEAVE,
    MSTRO__PROTO__ENVELOPE__MSG_BYE,
    MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT,
    MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE,
    MSTRO__PROTO__ENVELOPE__MSG_DECLARE,
    MSTRO__PROTO__ENVELOPE__MSG_DECLARE_ACK,
    MSTRO__PROTO__ENVELOPE__MSG_OFFER,
    MSTRO__PROTO__ENVELOPE__MSG_REQUIRE,
    MSTRO__PROTO__ENVELOPE__MSG_RETRACT,
    MSTRO__PROTO__ENVELOPE__MSG_DEMAND,
    MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW,
    MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK,
    MSTRO__PROTO__ENVELOPE__MSG_DISPOSE,
    MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET,
    MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED,
    MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE,
    MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE,
    MSTRO__PROTO__ENVELOPE__MSG_EVENT,
    MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK,
    MSTRO__PROTO__ENVELOPE__MSG_SEAL,
    MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED,
    MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK,
    MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM,
    MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER,
    MSTRO__PROTO__ENVELOPE__MSG_GROUP_WITHDRAW,
    MSTRO__PROTO__ENVELOPE__MSG_GROUP_REQUIRE,
    MSTRO__PROTO__ENVELOPE__MSG_GROUP_DEMAND,
    MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS,
    MSTRO__PROTO__ENVELOPE__MSG_GROUP_ACK,
    MSTRO__PROTO__ENVELOPE__MSG_GROUP_SEAL,
};
#define N_CASES (sizeof all_cases / sizeof all_cases[0])

/* Fills `e` with a valid message of kind `c`, every field set. */
static void build(struct all *a, Mstro__Proto__Envelope *e, Mstro__Proto__Envelope__MsgCase c)
{
  memset(a, 0, sizeof *a);
  for (size_t i = 0; i < sizeof a->secret; i++)
    a->secret[i] = (uint8_t)(i * 7 + 1);
  for (size_t i = 0; i < sizeof a->attrs; i++)
    a->attrs[i] = (uint8_t)(i * 13);
  for (size_t i = 0; i < sizeof a->desc; i++)
    a->desc[i] = (uint8_t)(255 - i);
  a->tk[0] = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
  a->tk[1] = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS;
  a->tk[2] = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_MIO;
  ProtobufCBinaryData attrs = {sizeof a->attrs, a->attrs};
  ProtobufCBinaryData desc = {sizeof a->desc, a->desc};
  static char addr[] = "ofi:tcp;ofi_rxm:0200a155c0000202";

  mstro__proto_envelope_init(e, 42);
  e->sender_appid = 7;
  e->session = UINT64_C(0x1122334455667788);
  e->in_reply_to = 41;
  e->msg_case = c;
  switch (c) {
  case MSTRO__PROTO__ENVELOPE__MSG_JOIN:
    mstro__proto__join__init(&a->join);
    a->join.protocol_version = MSTRO__PROTO_VERSION;
    a->join.workflow_name = "wf";
    a->join.component_name = "producer";
    a->join.component_index = -3;
    a->join.workflow_secret = (ProtobufCBinaryData){sizeof a->secret, a->secret};
    a->join.endpoint_address = (ProtobufCBinaryData){strlen(addr), (uint8_t *)addr};
    a->join.pid = 4242;
    a->join.hostname = "node01";
    a->join.n_transports = 3;
    a->join.transports = a->tk;
    e->join = &a->join;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_WELCOME:
    mstro__proto__welcome__init(&a->welcome);
    a->welcome.appid = 3;
    a->welcome.heartbeat_interval_ms = 1000;
    a->welcome.session = UINT64_C(0xfeedfacecafebeef);
    e->welcome = &a->welcome;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_REFUSE:
    mstro__proto__refuse__init(&a->refuse);
    a->refuse.status = MSTRO_AUTH;
    a->refuse.reason = "wrong workflow secret";
    e->refuse = &a->refuse;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_LEAVE:
    mstro__proto__leave__init(&a->leave);
    e->leave = &a->leave;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_BYE:
    mstro__proto__bye__init(&a->bye);
    e->bye = &a->bye;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT:
    mstro__proto__heartbeat__init(&a->heartbeat);
    a->heartbeat.timestamp_ns = UINT64_C(123456789012345);
    e->heartbeat = &a->heartbeat;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE:
    mstro__proto__pmleave__init(&a->pm_leave);
    a->pm_leave.reason = "stopping";
    e->pm_leave = &a->pm_leave;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_DECLARE:
    mstro__proto__declare__init(&a->declare);
    a->declare.cdo_name = "temperature";
    a->declare.local_id = 9;
    e->declare = &a->declare;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_DECLARE_ACK:
    mstro__proto__declare_ack__init(&a->declare_ack);
    a->declare_ack.local_id = 9;
    a->declare_ack.cdo_id = 77;
    e->declare_ack = &a->declare_ack;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_OFFER:
    mstro__proto__offer__init(&a->offer);
    a->offer.cdo_id = 77;
    a->offer.cdo_name = "temperature";
    a->offer.attributes = attrs;
    a->offer.size = UINT64_C(1) << 33;
    a->offer.region_desc = desc;
    a->offer.n_transports = 2;
    a->offer.transports = a->tk;
    a->offer.gfs_path = "a/b";
    a->offer.mio_object = "obj";
    e->offer = &a->offer;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_REQUIRE:
    mstro__proto__require__init(&a->require);
    a->require.cdo_id = 77;
    a->require.cdo_name = "temperature";
    a->require.attributes = attrs;
    e->require = &a->require;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_RETRACT:
    mstro__proto__retract__init(&a->retract);
    a->retract.cdo_id = 77;
    a->retract.cdo_name = "temperature";
    e->retract = &a->retract;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_DEMAND:
    mstro__proto__demand__init(&a->demand);
    a->demand.cdo_id = 77;
    a->demand.cdo_name = "temperature";
    a->demand.attributes = attrs;
    e->demand = &a->demand;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW:
    mstro__proto__withdraw__init(&a->withdraw);
    a->withdraw.cdo_id = 77;
    a->withdraw.cdo_name = "temperature";
    e->withdraw = &a->withdraw;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK:
    mstro__proto__withdraw_ack__init(&a->withdraw_ack);
    a->withdraw_ack.cdo_id = 77;
    a->withdraw_ack.status = MSTRO_OK;
    e->withdraw_ack = &a->withdraw_ack;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_DISPOSE:
    mstro__proto__dispose__init(&a->dispose);
    a->dispose.cdo_id = 77;
    a->dispose.cdo_name = "temperature";
    e->dispose = &a->dispose;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET:
    mstro__proto__transfer_ticket__init(&a->ticket);
    a->ticket.ticket_id = 5;
    a->ticket.cdo_id = 77;
    a->ticket.cdo_name = "temperature";
    a->ticket.src_appid = 2;
    a->ticket.src_endpoint_address = (ProtobufCBinaryData){strlen(addr), (uint8_t *)addr};
    a->ticket.transport = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
    a->ticket.region_desc = desc;
    a->ticket.gfs_path = "a/b";
    a->ticket.mio_object = "obj";
    a->ticket.size = 4096;
    a->ticket.attributes = attrs;
    e->transfer_ticket = &a->ticket;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED:
    mstro__proto__transfer_completed__init(&a->completed);
    a->completed.ticket_id = 5;
    a->completed.cdo_id = 77;
    a->completed.status = MSTRO_TRANSPORT;
    a->completed.size = 4096;
    e->transfer_completed = &a->completed;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE:
    mstro__proto__subscribe__init(&a->subscribe);
    a->subscribe.subscription_id = 11;
    a->subscribe.selector = "(.maestro.core.cdo.scope.local-size > 0)";
    a->subscribe.selector_namespace = ".maestro.core.cdo.";
    a->subscribe.kind_mask = MSTRO_POOL_EVENT_OFFER | MSTRO_POOL_EVENT_APP_JOIN;
    a->subscribe.options = MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK;
    e->subscribe = &a->subscribe;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE:
    mstro__proto__unsubscribe__init(&a->unsubscribe);
    a->unsubscribe.subscription_id = 11;
    e->unsubscribe = &a->unsubscribe;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT:
    mstro__proto__event__init(&a->event);
    a->event.subscription_id = 11;
    a->event.kind = MSTRO_POOL_EVENT_APP_LEAVE;
    a->event.serial = 3;
    a->event.ctime = UINT64_C(1795515012394136000);
    a->event.appid = 4;
    a->event.cdo_name = "";
    a->event.component_name = "consumer";
    a->event.size = 0;
    a->event.needs_ack = 1;
    a->event.event_id = 99;
    a->event.component_index = 2;
    a->event.crashed = 1;
    a->event.src_appid = 1;
    a->event.transport = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS;
    e->event = &a->event;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK:
    mstro__proto__event_ack__init(&a->event_ack);
    a->event_ack.subscription_id = 11;
    a->event_ack.event_id = 99;
    e->event_ack = &a->event_ack;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_SEAL:
    mstro__proto__seal__init(&a->seal);
    a->seal.cdo_id = 5;
    a->seal.cdo_name = "sealed";
    a->seal.attributes = attrs;
    e->wait_ack = 1;
    e->seal = &a->seal;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED:
    mstro__proto__transfer_started__init(&a->started);
    a->started.ticket_id = 8;
    a->started.cdo_id = 5;
    e->transfer_started = &a->started;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK:
    mstro__proto__ack_mask__init(&a->ack_mask);
    a->ack_mask.ack_kinds = MSTRO_POOL_EVENT_OFFER | MSTRO_POOL_EVENT_SEAL;
    a->ack_mask.event_kinds =
        MSTRO_POOL_EVENT_OFFER | MSTRO_POOL_EVENT_SEAL | MSTRO_POOL_EVENT_APP_JOIN;
    a->ack_mask.serial = 3;
    e->ack_mask = &a->ack_mask;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM:
    mstro__proto__ack_mask_confirm__init(&a->ack_mask_confirm);
    a->ack_mask_confirm.serial = 3;
    e->ack_mask_confirm = &a->ack_mask_confirm;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER:
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS: {
    static char *names[3] = {"m0", "m1", "m2"};
    bool members = c == MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS;
    for (size_t i = 0; i < 3; i++) {
      mstro__proto__group_member__init(&a->gm[i]);
      a->gm[i].name = names[i];
      a->gm[i].cdo_id = members ? 0 : i;
      a->gm[i].offered = members && i != 1;
      if (a->gm[i].offered)
        a->gm[i].attributes = attrs;
      a->gmp[i] = &a->gm[i];
    }
    if (members) {
      mstro__proto__group_members__init(&a->group_members);
      a->group_members.group_name = "grp";
      a->group_members.offer_id = 4;
      a->group_members.total = 5;
      a->group_members.start = 2;
      a->group_members.n_members = 3;
      a->group_members.members = a->gmp;
      e->group_members = &a->group_members;
    } else {
      mstro__proto__group_offer__init(&a->group_offer);
      a->group_offer.group_name = "grp";
      a->group_offer.n_members = 3;
      a->group_offer.members = a->gmp;
      a->group_offer.more = true;
      e->group_offer = &a->group_offer;
    }
    break;
  }
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_WITHDRAW:
    mstro__proto__group_withdraw__init(&a->group_withdraw);
    a->group_withdraw.group_name = "grp";
    e->group_withdraw = &a->group_withdraw;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_REQUIRE:
    mstro__proto__group_require__init(&a->group_require);
    a->group_require.group_name = "grp";
    a->group_require.require = true;
    e->group_require = &a->group_require;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_DEMAND:
    mstro__proto__group_demand__init(&a->group_demand);
    a->group_demand.group_name = "grp";
    a->group_demand.offer_id = 4;
    a->group_demand.start = 2;
    e->group_demand = &a->group_demand;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_ACK:
    mstro__proto__group_ack__init(&a->group_ack);
    a->group_ack.group_name = "grp";
    e->group_ack = &a->group_ack;
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_GROUP_SEAL:
    mstro__proto__group_seal__init(&a->group_seal);
    a->group_seal.group_name = "grp";
    e->group_seal = &a->group_seal;
    break;
  default:
    fail_msg("no builder for case %d", (int)c);
  }
}

static void assert_bin(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
  assert_int_equal(a->len, b->len);
  if (a->len)
    assert_memory_equal(a->data, b->data, a->len);
}

/* Field-by-field comparison of the kinds whose fields matter most. */
static void compare_some(const Mstro__Proto__Envelope *x, const Mstro__Proto__Envelope *y)
{
  assert_int_equal(x->version, y->version);
  assert_int_equal(x->seq, y->seq);
  assert_int_equal(x->sender_appid, y->sender_appid);
  assert_int_equal(x->session, y->session);
  assert_int_equal(x->in_reply_to, y->in_reply_to);
  assert_int_equal(x->wait_ack, y->wait_ack);
  assert_int_equal(x->msg_case, y->msg_case);
  switch (x->msg_case) {
  case MSTRO__PROTO__ENVELOPE__MSG_JOIN:
    assert_string_equal(x->join->workflow_name, y->join->workflow_name);
    assert_string_equal(x->join->component_name, y->join->component_name);
    assert_int_equal(x->join->component_index, y->join->component_index);
    assert_bin(&x->join->workflow_secret, &y->join->workflow_secret);
    assert_bin(&x->join->endpoint_address, &y->join->endpoint_address);
    assert_int_equal(x->join->pid, y->join->pid);
    assert_string_equal(x->join->hostname, y->join->hostname);
    assert_int_equal(x->join->n_transports, y->join->n_transports);
    for (size_t i = 0; i < x->join->n_transports; i++)
      assert_int_equal(x->join->transports[i], y->join->transports[i]);
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_OFFER:
    assert_string_equal(x->offer->cdo_name, y->offer->cdo_name);
    assert_int_equal(x->offer->size, y->offer->size);
    assert_bin(&x->offer->attributes, &y->offer->attributes);
    assert_bin(&x->offer->region_desc, &y->offer->region_desc);
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET:
    assert_int_equal(x->transfer_ticket->ticket_id, y->transfer_ticket->ticket_id);
    assert_int_equal(x->transfer_ticket->transport, y->transfer_ticket->transport);
    assert_bin(&x->transfer_ticket->src_endpoint_address,
               &y->transfer_ticket->src_endpoint_address);
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_EVENT:
    assert_int_equal(x->event->kind, y->event->kind);
    assert_string_equal(x->event->component_name, y->event->component_name);
    assert_int_equal(x->event->needs_ack, y->event->needs_ack);
    assert_int_equal(x->event->component_index, y->event->component_index);
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_REFUSE:
    assert_int_equal(x->refuse->status, y->refuse->status);
    assert_string_equal(x->refuse->reason, y->refuse->reason);
    break;
  default:
    break;
  }
}

static void test_round_trip_every_kind(void **state)
{
  (void)state;
  for (size_t k = 0; k < N_CASES; k++) {
    struct all a;
    Mstro__Proto__Envelope e, *d = NULL;
    build(&a, &e, all_cases[k]);
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0, need = 0;
    assert_int_equal(mstro__proto_validate(&e, NULL, 0), MSTRO_OK);
    assert_int_equal(mstro__proto_frame_size(&e, &need), MSTRO_OK);
    assert_int_equal(mstro__proto_encode_alloc(&e, &buf, &len), MSTRO_OK);
    assert_int_equal(len, need);
    char why[MSTRO__PROTO_WHY_MAX] = "";
    assert_int_equal(mstro__proto_decode(buf, len, &d, why, sizeof why), MSTRO_OK);
    assert_non_null(d);
    compare_some(&e, d);
    /* Re-encoding the decoded message gives the same bytes. */
    assert_int_equal(mstro__proto_encode_alloc(d, &buf2, &len2), MSTRO_OK);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    /* Into a caller buffer: exact size works, one byte less does not. */
    uint8_t *exact = malloc(len);
    size_t l3 = 0;
    assert_int_equal(mstro__proto_encode(&e, exact, len, &l3), MSTRO_OK);
    assert_int_equal(l3, len);
    assert_memory_equal(exact, buf, len);
    assert_int_equal(mstro__proto_encode(&e, exact, len - 1, &l3), MSTRO_INVOUT);
    free(exact);
    assert_string_equal(mstro__proto_msg_name(all_cases[k]), mstro__proto_msg_name(d->msg_case));
    assert_string_not_equal(mstro__proto_msg_name(all_cases[k]), "UNKNOWN");
    mstro__proto_free(d);
    free(buf);
    free(buf2);
  }
}

/* A frame of a valid JOIN, for the error tests. */
static uint8_t *join_frame(size_t *len)
{
  struct all a;
  Mstro__Proto__Envelope e;
  uint8_t *buf = NULL;
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  assert_int_equal(mstro__proto_encode_alloc(&e, &buf, len), MSTRO_OK);
  return buf;
}

/* Decode must refuse with MSTRO_INVMSG, leave *env NULL and say `expect`. */
static void expect_invmsg(const uint8_t *buf, size_t len, const char *expect)
{
  Mstro__Proto__Envelope *d = (Mstro__Proto__Envelope *)(uintptr_t)1;
  char why[MSTRO__PROTO_WHY_MAX] = "";
  assert_int_equal(mstro__proto_decode(buf, len, &d, why, sizeof why), MSTRO_INVMSG);
  assert_null(d);
  assert_true(strlen(why) > 0);
  if (expect != NULL && strstr(why, expect) == NULL)
    fail_msg("reason '%s' does not mention '%s'", why, expect);
}

static void test_truncated(void **state)
{
  (void)state;
  size_t len;
  uint8_t *f = join_frame(&len);
  for (size_t n = 0; n < len; n++)
    expect_invmsg(f, n, NULL);
  expect_invmsg(f, 5, "shorter than");
  expect_invmsg(f, len - 1, "announces");
  Mstro__Proto__Envelope *d = NULL;
  assert_int_equal(mstro__proto_decode(NULL, 0, &d, NULL, 0), MSTRO_INVMSG);
  assert_int_equal(mstro__proto_decode(NULL, 10, &d, NULL, 0), MSTRO_INVARG);
  assert_int_equal(mstro__proto_decode(f, 10, NULL, NULL, 0), MSTRO_INVARG);
  free(f);
}

static void test_bad_header(void **state)
{
  (void)state;
  size_t len;
  uint8_t *f = join_frame(&len);
  uint8_t *g = malloc(len + 16);

  memcpy(g, f, len);
  g[0] ^= 0x20;
  expect_invmsg(g, len, "magic");

  memcpy(g, f, len);
  g[5] = (uint8_t)(MSTRO__PROTO_VERSION + 1);
  expect_invmsg(g, len, "version");

  memcpy(g, f, len);
  g[7] = 1;
  expect_invmsg(g, len, "flags");

  /* More bytes than announced. */
  memcpy(g, f, len);
  memset(g + len, 0, 16);
  expect_invmsg(g, len + 16, "announces");

  /* A header announcing a huge payload over a short buffer. */
  memcpy(g, f, len);
  g[8] = 0x7f;
  expect_invmsg(g, len, "announces");
  free(g);

  /* Oversized: over the frame limit, header consistent. */
  size_t big = MSTRO__PROTO_FRAME_MAX + 1;
  uint8_t *h = calloc(1, big);
  memcpy(h, f, 8);
  uint32_t pl = (uint32_t)(big - MSTRO__PROTO_HEADER_SIZE);
  h[8] = (uint8_t)(pl >> 24);
  h[9] = (uint8_t)(pl >> 16);
  h[10] = (uint8_t)(pl >> 8);
  h[11] = (uint8_t)pl;
  expect_invmsg(h, big, "exceeds");
  free(h);
  free(f);
}

/* Pack `e` as-is (no validation) into a frame with a correct header. */
static uint8_t *raw_frame(const Mstro__Proto__Envelope *e, size_t *len)
{
  size_t pl = protobuf_c_message_get_packed_size(&e->base);
  uint8_t *b = malloc(MSTRO__PROTO_HEADER_SIZE + pl);
  b[0] = 0x4d, b[1] = 0x53, b[2] = 0x50, b[3] = 0x4d;
  b[4] = 0, b[5] = (uint8_t)MSTRO__PROTO_VERSION, b[6] = 0, b[7] = 0;
  b[8] = (uint8_t)(pl >> 24), b[9] = (uint8_t)(pl >> 16), b[10] = (uint8_t)(pl >> 8);
  b[11] = (uint8_t)pl;
  protobuf_c_message_pack(&e->base, b + MSTRO__PROTO_HEADER_SIZE);
  *len = MSTRO__PROTO_HEADER_SIZE + pl;
  return b;
}

/* `e` is refused by validate, by encode and, packed raw, by decode. */
static void expect_refused(Mstro__Proto__Envelope *e, const char *expect)
{
  char why[MSTRO__PROTO_WHY_MAX] = "";
  uint8_t *buf = NULL;
  size_t len = 0;
  assert_int_equal(mstro__proto_validate(e, why, sizeof why), MSTRO_INVMSG);
  if (strstr(why, expect) == NULL)
    fail_msg("validate: reason '%s' does not mention '%s'", why, expect);
  assert_int_equal(mstro__proto_encode_alloc(e, &buf, &len), MSTRO_INVMSG);
  assert_null(buf);
  uint8_t *raw = raw_frame(e, &len);
  expect_invmsg(raw, len, expect);
  free(raw);
}

static void test_field_validation(void **state)
{
  (void)state;
  struct all a;
  Mstro__Proto__Envelope e;

  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  e.version = MSTRO__PROTO_VERSION + 1;
  expect_refused(&e, "version");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  a.join.protocol_version = 0;
  expect_refused(&e, "protocol_version");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  e.seq = 0;
  expect_refused(&e, "sequence");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  a.join.component_name = "";
  expect_refused(&e, "component_name is empty");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  a.join.workflow_secret.len = 31;
  expect_refused(&e, "workflow_secret");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  a.join.endpoint_address.len = 0;
  expect_refused(&e, "endpoint_address");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  a.tk[1] = (Mstro__Proto__TransportKind)99;
  expect_refused(&e, "transport");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  Mstro__Proto__TransportKind many[MSTRO__PROTO_TRANSPORTS_MAX + 1];
  for (size_t i = 0; i < MSTRO__PROTO_TRANSPORTS_MAX + 1; i++)
    many[i] = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
  a.join.transports = many;
  a.join.n_transports = MSTRO__PROTO_TRANSPORTS_MAX + 1;
  expect_refused(&e, "transports");

  /* Overlong strings. */
  char *longname = malloc(MSTRO__PROTO_NAME_MAX + 2);
  memset(longname, 'x', MSTRO__PROTO_NAME_MAX + 1);
  longname[MSTRO__PROTO_NAME_MAX + 1] = '\0';
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_DECLARE);
  a.declare.cdo_name = longname;
  expect_refused(&e, "longer than");
  longname[MSTRO__PROTO_NAME_MAX] = '\0'; /* exactly the limit: fine */
  assert_int_equal(mstro__proto_validate(&e, NULL, 0), MSTRO_OK);
  free(longname);

  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_REFUSE);
  a.refuse.status = MSTRO_STATUS_MAX;
  expect_refused(&e, "status");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_REFUSE);
  a.refuse.status = MSTRO_OK;
  expect_refused(&e, "status");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_WELCOME);
  a.welcome.appid = 0;
  expect_refused(&e, "appid");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_EVENT);
  a.event.kind = MSTRO_POOL_EVENT_OFFER | MSTRO_POOL_EVENT_DEMAND;
  expect_refused(&e, "kind");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_EVENT);
  a.event.transport = (Mstro__Proto__TransportKind)17;
  expect_refused(&e, "transport");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE);
  a.subscribe.kind_mask = 0;
  expect_refused(&e, "kind_mask");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE);
  a.subscribe.options = 1u << 20;
  expect_refused(&e, "options");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET);
  a.ticket.transport = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_UNSPECIFIED;
  expect_refused(&e, "transport");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_OFFER);
  uint8_t bigdesc[MSTRO__PROTO_REGION_DESC_MAX + 1] = {0};
  a.offer.region_desc = (ProtobufCBinaryData){sizeof bigdesc, bigdesc};
  expect_refused(&e, "region_desc");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK);
  a.ack_mask.event_kinds |= 1u << 30;
  expect_refused(&e, "unknown bits");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK);
  a.ack_mask.ack_kinds |= MSTRO_POOL_EVENT_DEMAND; /* held but not forwarded */
  expect_refused(&e, "does not forward");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_WELCOME);
  a.welcome.ack_kinds = 1u << 30;
  expect_refused(&e, "unknown bits");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED);
  a.started.ticket_id = 0;
  expect_refused(&e, "ticket_id");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_SEAL);
  a.seal.cdo_name = "";
  expect_refused(&e, "cdo_name");

  /* No message in the envelope. */
  mstro__proto_envelope_init(&e, 1);
  expect_refused(&e, "no message");

  /* The case says JOIN but no JOIN is attached (only encode/validate can see
   * it: on the wire the member would simply be absent). */
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  e.join = NULL;
  assert_int_equal(mstro__proto_validate(&e, NULL, 0), MSTRO_INVMSG);
  assert_int_equal(mstro__proto_validate(NULL, NULL, 0), MSTRO_INVARG);
}

/* A NUL byte inside a string on the wire is refused (protobuf-c would cut
 * the string there and hide it). */
/* Group pages: bounded counts, named members, consistent page positions,
 * and mstro__proto_group_page keeps every page under the frame limit. */
static void test_group_messages(void **state)
{
  (void)state;
  struct all a;
  Mstro__Proto__Envelope e;

  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER);
  a.group_offer.group_name = "";
  expect_refused(&e, "group_name is empty");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER);
  a.gm[1].name = "";
  expect_refused(&e, "members.name is empty");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS);
  a.group_members.total = 4; /* [2, 5) outside 4 */
  expect_refused(&e, "outside a group of 4");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS);
  a.group_members.offer_id = 0;
  expect_refused(&e, "offer_id is 0");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS);
  a.gm[1].attributes = (ProtobufCBinaryData){sizeof a.attrs, a.attrs}; /* not offered */
  expect_refused(&e, "attributes but no offer");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS);
  a.group_members.n_members = 0; /* empty page before the end */
  expect_refused(&e, "empty page");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_DEMAND);
  a.group_demand.offer_id = 0;
  expect_refused(&e, "without an offer_id");
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_ACK);
  a.group_ack.status = 9999;
  expect_refused(&e, "unknown status");

  /* too many members in one page */
  size_t n = MSTRO__PROTO_GROUP_PAGE_MAX + 1;
  Mstro__Proto__GroupMember *m = calloc(n, sizeof *m);
  Mstro__Proto__GroupMember **pm = calloc(n, sizeof *pm);
  assert_non_null(m);
  assert_non_null(pm);
  for (size_t i = 0; i < n; i++) {
    mstro__proto__group_member__init(&m[i]);
    m[i].name = "x";
    pm[i] = &m[i];
  }
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_OFFER);
  a.group_offer.n_members = n;
  a.group_offer.members = pm;
  expect_refused(&e, "more than");
  assert_int_equal(mstro__proto_group_page(pm, n), MSTRO__PROTO_GROUP_PAGE_MAX);
  /* a full page of short names decodes within the allocation cap */
  a.group_offer.n_members = MSTRO__PROTO_GROUP_PAGE_MAX;
  {
    uint8_t *fb = NULL;
    size_t fl = 0;
    Mstro__Proto__Envelope *fd = NULL;
    assert_int_equal(mstro__proto_encode_alloc(&e, &fb, &fl), MSTRO_OK);
    assert_int_equal(mstro__proto_decode(fb, fl, &fd, NULL, 0), MSTRO_OK);
    assert_int_equal(fd->group_offer->n_members, MSTRO__PROTO_GROUP_PAGE_MAX);
    mstro__proto_free(fd);
    free(fb);
  }

  /* big members: the page stops before the frame limit, and encodes */
  static uint8_t big[MSTRO__PROTO_ATTR_MAX];
  for (size_t i = 0; i < 4; i++) {
    m[i].offered = true;
    m[i].attributes = (ProtobufCBinaryData){i == 0 ? 1000 : 100000, big};
  }
  size_t k = mstro__proto_group_page(pm, 4);
  assert_int_equal(k, 3); /* 1000 + 2 x 100000 fit, a third 100000 does not */
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_GROUP_MEMBERS);
  a.group_members.start = 0;
  a.group_members.total = 4;
  a.group_members.n_members = k;
  a.group_members.members = pm;
  uint8_t *buf = NULL;
  size_t len = 0;
  assert_int_equal(mstro__proto_encode_alloc(&e, &buf, &len), MSTRO_OK);
  Mstro__Proto__Envelope *d = NULL;
  assert_int_equal(mstro__proto_decode(buf, len, &d, NULL, 0), MSTRO_OK);
  assert_int_equal(d->group_members->n_members, k);
  assert_int_equal(d->group_members->members[2]->attributes.len, 100000);
  mstro__proto_free(d);
  free(buf);
  m[0].attributes.len = MSTRO__PROTO_ATTR_MAX; /* one member always fits */
  assert_int_equal(mstro__proto_group_page(pm, 1), 1);
  assert_int_equal(mstro__proto_group_page(pm, 0), 0);
  free(pm);
  free(m);
}

static void test_embedded_nul(void **state)
{
  (void)state;
  struct all a;
  Mstro__Proto__Envelope e;
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_DECLARE);
  a.declare.cdo_name = "abcQdef";
  size_t len;
  uint8_t *f = raw_frame(&e, &len);
  uint8_t *q = memchr(f, 'Q', len);
  assert_non_null(q);
  *q = 0;
  expect_invmsg(f, len, "NUL");
  free(f);

  /* ... and in the endpoint address, which is bytes on the wire. */
  build(&a, &e, MSTRO__PROTO__ENVELOPE__MSG_JOIN);
  char addr[] = "ofi:xQy";
  a.join.endpoint_address = (ProtobufCBinaryData){strlen(addr), (uint8_t *)addr};
  f = raw_frame(&e, &len);
  q = memchr(f, 'Q', len);
  *q = 0;
  expect_invmsg(f, len, "NUL");
  free(f);
}

/* Random bytes after a valid header, and random bytes altogether. */
static void test_garbage(void **state)
{
  (void)state;
  unsigned seed = 20261124;
  srand(seed);
  uint8_t buf[2048];
  for (int it = 0; it < 5000; it++) {
    size_t len = (size_t)rand() % sizeof buf;
    for (size_t i = 0; i < len; i++)
      buf[i] = (uint8_t)rand();
    if (it % 2 == 0 && len >= MSTRO__PROTO_HEADER_SIZE) {
      size_t pl = len - MSTRO__PROTO_HEADER_SIZE;
      buf[0] = 0x4d, buf[1] = 0x53, buf[2] = 0x50, buf[3] = 0x4d;
      buf[4] = 0, buf[5] = (uint8_t)MSTRO__PROTO_VERSION, buf[6] = 0, buf[7] = 0;
      buf[8] = 0, buf[9] = (uint8_t)(pl >> 16), buf[10] = (uint8_t)(pl >> 8);
      buf[11] = (uint8_t)pl;
    }
    Mstro__Proto__Envelope *d = NULL;
    mstro_status s = mstro__proto_decode(buf, len, &d, NULL, 0);
    if (s == MSTRO_OK) {
      assert_int_equal(mstro__proto_validate(d, NULL, 0), MSTRO_OK);
      mstro__proto_free(d);
    } else {
      assert_int_equal(s, MSTRO_INVMSG);
      assert_null(d);
    }
  }
}

/* Valid frames of every kind, mutated: bit flips, byte sets, insertions,
 * deletions, truncation, extension; the header's length is fixed up half of
 * the time so that the payload parser and the validator see the damage.
 * Whatever decodes must validate and re-encode. */
static void test_mutated(void **state)
{
  (void)state;
  unsigned seed = 4242;
  const char *env = getenv("MSTRO_TEST_SEED");
  if (env != NULL)
    seed = (unsigned)strtoul(env, NULL, 10);
  srand(seed);
  uint8_t *frames[N_CASES];
  size_t lens[N_CASES];
  for (size_t k = 0; k < N_CASES; k++) {
    struct all a;
    Mstro__Proto__Envelope e;
    build(&a, &e, all_cases[k]);
    assert_int_equal(mstro__proto_encode_alloc(&e, &frames[k], &lens[k]), MSTRO_OK);
  }
  size_t accepted = 0;
  const int iterations = 30000;
  for (int it = 0; it < iterations; it++) {
    size_t k = (size_t)rand() % N_CASES;
    size_t len = lens[k];
    uint8_t *m = malloc(len + 64);
    memcpy(m, frames[k], len);
    int n = 1 + rand() % 4;
    for (int j = 0; j < n; j++) {
      size_t pos = len ? (size_t)rand() % len : 0;
      switch (rand() % 6) {
      case 0:
        if (len)
          m[pos] ^= (uint8_t)(1u << (rand() % 8));
        break;
      case 1:
        if (len)
          m[pos] = (uint8_t)rand();
        break;
      case 2: /* insert */
        if (len < lens[k] + 60) {
          memmove(m + pos + 1, m + pos, len - pos);
          m[pos] = (uint8_t)rand();
          len++;
        }
        break;
      case 3: /* delete */
        if (len) {
          memmove(m + pos, m + pos + 1, len - pos - 1);
          len--;
        }
        break;
      case 4: /* truncate */
        len = pos;
        break;
      case 5: /* extend */
        if (len < lens[k] + 56) {
          for (int x = 0; x < 4; x++)
            m[len++] = (uint8_t)rand();
        }
        break;
      }
    }
    if (rand() % 2 && len >= MSTRO__PROTO_HEADER_SIZE) {
      size_t pl = len - MSTRO__PROTO_HEADER_SIZE;
      memcpy(m, frames[k], 8);
      m[8] = 0, m[9] = (uint8_t)(pl >> 16), m[10] = (uint8_t)(pl >> 8), m[11] = (uint8_t)pl;
    }
    Mstro__Proto__Envelope *d = NULL;
    mstro_status s = mstro__proto_decode(m, len, &d, NULL, 0);
    if (s == MSTRO_OK) {
      accepted++;
      assert_int_equal(mstro__proto_validate(d, NULL, 0), MSTRO_OK);
      uint8_t *re = NULL;
      size_t relen = 0;
      assert_int_equal(mstro__proto_encode_alloc(d, &re, &relen), MSTRO_OK);
      free(re);
      mstro__proto_free(d);
    } else {
      assert_int_equal(s, MSTRO_INVMSG);
      assert_null(d);
    }
    free(m);
  }
  printf("mutated frames: %d, seed %u, still valid after mutation: %zu\n", iterations, seed,
         accepted);
  for (size_t k = 0; k < N_CASES; k++)
    free(frames[k]);
}

/* ---- the contact string ---- */

static void test_info_round_trip(void **state)
{
  (void)state;
  struct mstro__proto_pm_info in, out;
  memset(&in, 0, sizeof in);
  for (size_t i = 0; i < sizeof in.secret; i++)
    in.secret[i] = (uint8_t)(i * 37 + 5);
  const char *addrs[] = {"ofi:tcp;ofi_rxm:0200a155c0000202", "a", "ab", "abc\\\"' \n;x"};
  for (size_t n = 1; n <= 4; n++) {
    in.n_addrs = n;
    for (size_t i = 0; i < n; i++)
      snprintf(in.addrs[i], sizeof in.addrs[i], "%s", addrs[i]);
    char *text = NULL;
    assert_int_equal(mstro__proto_info_format(&in, &text), MSTRO_OK);
    assert_non_null(text);
    assert_true(strncmp(text, MSTRO__PROTO_INFO_PREFIX, strlen(MSTRO__PROTO_INFO_PREFIX)) == 0);
    /* Nothing that `read -d ';'` or a shell would touch. */
    for (const char *p = text; *p; p++)
      assert_non_null(
          strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:,", *p));
    memset(&out, 0xff, sizeof out);
    assert_int_equal(mstro__proto_info_parse(text, &out, NULL, 0), MSTRO_OK);
    assert_memory_equal(in.secret, out.secret, sizeof in.secret);
    assert_int_equal(out.n_addrs, n);
    for (size_t i = 0; i < n; i++)
      assert_string_equal(out.addrs[i], in.addrs[i]);
    free(text);
  }
  /* The longest address. */
  in.n_addrs = 1;
  memset(in.addrs[0], 'z', MSTRO__PROTO_ADDR_MAX);
  in.addrs[0][MSTRO__PROTO_ADDR_MAX] = '\0';
  char *text = NULL;
  assert_int_equal(mstro__proto_info_format(&in, &text), MSTRO_OK);
  assert_int_equal(mstro__proto_info_parse(text, &out, NULL, 0), MSTRO_OK);
  assert_string_equal(out.addrs[0], in.addrs[0]);
  free(text);
  /* Bad input to format. */
  in.n_addrs = 0;
  assert_int_equal(mstro__proto_info_format(&in, &text), MSTRO_INVARG);
  in.n_addrs = 5;
  assert_int_equal(mstro__proto_info_format(&in, &text), MSTRO_INVARG);
  in.n_addrs = 1;
  in.addrs[0][0] = '\0';
  assert_int_equal(mstro__proto_info_format(&in, &text), MSTRO_INVARG);
  assert_int_equal(mstro__proto_info_format(NULL, &text), MSTRO_INVARG);
}

static void test_info_bad(void **state)
{
  (void)state;
  const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  char good[256];
  snprintf(good, sizeof good, "mpm1:%s:YWJj", hex);
  struct mstro__proto_pm_info out;
  assert_int_equal(mstro__proto_info_parse(good, &out, NULL, 0), MSTRO_OK);
  assert_string_equal(out.addrs[0], "abc");

  char bad[6000];
  const char *cases[][2] = {
      {"", "does not start"},
      {"mpm2:", "does not start"},
      {"MSTRO_POOL_MANAGER_INFO", "does not start"},
      {"mpm1:0011", "secret"},
      {"mpm1:00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff:YWJj", "secret"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "':'"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff;YWJj", "':'"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:", "empty address"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:YWJj,", "empty"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:YW;j", "base64"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:YWJj=", "base64"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:YWJj\n", "base64"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:YWJ\\", "base64"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:Y", "base64"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:YR", "base64"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:AAA", "NUL"},
      {"mpm1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff:YQ,YQ,YQ,YQ,YQ",
       "more than"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char why[MSTRO__PROTO_WHY_MAX] = "";
    assert_int_equal(mstro__proto_info_parse(cases[i][0], &out, why, sizeof why), MSTRO_INVARG);
    if (strstr(why, cases[i][1]) == NULL)
      fail_msg("case %zu ('%s'): reason '%s' does not mention '%s'", i, cases[i][0], why,
               cases[i][1]);
  }
  /* Too long overall, and an address over the limit. */
  memset(bad, 'A', sizeof bad - 1);
  bad[sizeof bad - 1] = '\0';
  memcpy(bad, good, strlen(good));
  assert_int_equal(mstro__proto_info_parse(bad, &out, NULL, 0), MSTRO_INVARG);
  size_t n = (size_t)snprintf(bad, sizeof bad, "mpm1:%s:", hex);
  memset(bad + n, 'e', 700);
  bad[n + 700] = '\0';
  assert_int_equal(mstro__proto_info_parse(bad, &out, NULL, 0), MSTRO_INVARG);
  assert_int_equal(mstro__proto_info_parse(NULL, &out, NULL, 0), MSTRO_INVARG);
  assert_int_equal(mstro__proto_info_parse(good, NULL, NULL, 0), MSTRO_INVARG);

  /* Random strings never crash and are refused unless well-formed. */
  srand(77);
  for (int it = 0; it < 3000; it++) {
    size_t len = (size_t)rand() % 200;
    for (size_t i = 0; i < len; i++)
      bad[i] = (char)(1 + rand() % 255);
    bad[len] = '\0';
    if (it % 2 && len > 70)
      memcpy(bad, good, 70 < strlen(good) ? 70 : strlen(good));
    mstro_status s = mstro__proto_info_parse(bad, &out, NULL, 0);
    assert_true(s == MSTRO_OK || s == MSTRO_INVARG);
  }
}

int main(void)
{
  /* Thousands of refused frames and strings: their log lines (one each)
   * would drown the report. MSTRO_LOG_MODULES=all shows them. */
  if (getenv("MSTRO_LOG_MODULES") == NULL)
    setenv("MSTRO_LOG_MODULES", "^core.proto", 1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_every_kind),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_bad_header),
      cmocka_unit_test(test_field_validation),
      cmocka_unit_test(test_group_messages),
      cmocka_unit_test(test_embedded_nul),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_mutated),
      cmocka_unit_test(test_info_round_trip),
      cmocka_unit_test(test_info_bad),
  };
  return cmocka_run_group_tests_name("proto_codec", tests, NULL, NULL);
}
