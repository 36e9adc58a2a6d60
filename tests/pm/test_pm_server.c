/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's membership server over the in-process loopback channel:
 * JOIN with the right secret is welcomed, a wrong secret or workflow name is
 * refused with MSTRO_AUTH and logged, duplicates are refused, heartbeats are
 * answered and silence is detected, pool operations are matched and
 * ticketed, events forwarded (held for _REQUIRE_ACK subscribers), a member sending garbage
 * is dropped, strangers' garbage does not stop the service, LEAVE gets BYE, --exit-when-idle
 * semantics, PM_LEAVE on shutdown, and the public mstro_pm_* trio. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "maestro.h"
#include "maestro/pool_manager.h"
#include "pm_chan.h"
#include "pm_server.h"
#include "proto_codec.h"

static char log_path[256];

/* Everything logged so far (the domain writes to log_path). */
static char *read_log(void)
{
  FILE *f = fopen(log_path, "r");
  assert_non_null(f);
  static char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

struct client {
  struct mstro__pm_chan *ch;
  mstro__pm_peer pm;
  struct mstro__proto_pm_info info;
  uint64_t seq;
  uint64_t appid, session;
  uint32_t ack_kinds, event_kinds; /* from WELCOME */
};

static void client_open(struct client *c, const char *info_text)
{
  memset(c, 0, sizeof *c);
  assert_int_equal(mstro__proto_info_parse(info_text, &c->info, NULL, 0), MSTRO_OK);
  assert_int_equal(mstro__pm_chan_loop_open(&c->ch), MSTRO_OK);
  assert_int_equal(c->ch->ops->peer_insert(c->ch, c->info.addrs[0], &c->pm), MSTRO_OK);
}

static void client_close(struct client *c)
{
  c->ch->ops->close(c->ch);
}

static void client_send(struct client *c, Mstro__Proto__Envelope *e)
{
  uint8_t *buf = NULL;
  size_t len = 0;
  e->sender_appid = c->appid;
  e->session = c->session;
  assert_int_equal(mstro__proto_encode_alloc(e, &buf, &len), MSTRO_OK);
  assert_int_equal(c->ch->ops->send(c->ch, c->pm, buf, len, 1000), MSTRO_OK);
  free(buf);
}

static void client_send_raw(struct client *c, const void *buf, size_t len)
{
  assert_int_equal(c->ch->ops->send(c->ch, c->pm, buf, len, 1000), MSTRO_OK);
}

/* The next message for the client, or NULL after timeout_ms. */
static Mstro__Proto__Envelope *client_recv(struct client *c, int timeout_ms)
{
  static uint8_t buf[MSTRO__PROTO_FRAME_MAX];
  size_t len = 0;
  mstro__pm_peer from;
  mstro_status s = c->ch->ops->recv(c->ch, &from, buf, sizeof buf, &len, timeout_ms);
  if (s == MSTRO_TIMEOUT)
    return NULL;
  assert_int_equal(s, MSTRO_OK);
  assert_int_equal(from, c->pm); /* the answer comes from the PM */
  Mstro__Proto__Envelope *e = NULL;
  assert_int_equal(mstro__proto_decode(buf, len, &e, NULL, 0), MSTRO_OK);
  return e;
}

static uint64_t send_join(struct client *c, const char *wf, const char *name, int64_t index,
                          const uint8_t *secret)
{
  Mstro__Proto__Envelope e;
  Mstro__Proto__Join j;
  char addr[MSTRO__PM_ADDR_MAX];
  assert_int_equal(c->ch->ops->addr(c->ch, addr, sizeof addr), MSTRO_OK);
  mstro__proto_envelope_init(&e, ++c->seq);
  mstro__proto__join__init(&j);
  j.protocol_version = MSTRO__PROTO_VERSION;
  j.workflow_name = (char *)wf;
  j.component_name = (char *)name;
  j.component_index = index;
  j.workflow_secret = (ProtobufCBinaryData){MSTRO__PROTO_SECRET_LEN, (uint8_t *)secret};
  j.endpoint_address = (ProtobufCBinaryData){strlen(addr), (uint8_t *)addr};
  j.pid = (uint32_t)getpid();
  j.hostname = "testhost";
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_JOIN;
  e.join = &j;
  client_send(c, &e);
  return e.seq;
}

/* A fresh server on a loopback channel, and its info string. */
static struct mstro__pm_server *server_new(const struct mstro__pm_config *cfg_in, char **info)
{
  struct mstro__pm_config cfg = {.workflow_name = "wf"};
  if (cfg_in != NULL)
    cfg = *cfg_in;
  struct mstro__pm_chan *ch = NULL;
  struct mstro__pm_server *srv = NULL;
  assert_int_equal(mstro__pm_chan_loop_open(&ch), MSTRO_OK);
  assert_int_equal(mstro__pm_server_create(&cfg, ch, &srv), MSTRO_OK);
  assert_int_equal(mstro__pm_server_info(srv, info), MSTRO_OK);
  return srv;
}

/* Let the server handle what is queued (single-threaded: deterministic). */
static void serve(struct mstro__pm_server *srv, int frames)
{
  for (int i = 0; i < frames; i++)
    assert_int_equal(mstro__pm_server_step(srv, 200), MSTRO_OK);
}

/* Join `c` properly and check the WELCOME. */
static void join_ok(struct mstro__pm_server *srv, struct client *c, const char *name, int64_t idx)
{
  uint64_t seq = send_join(c, "wf", name, idx, c->info.secret);
  serve(srv, 1);
  Mstro__Proto__Envelope *e = client_recv(c, 1000);
  assert_non_null(e);
  assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_WELCOME);
  assert_int_equal(e->in_reply_to, seq);
  assert_true(e->welcome->appid >= 1);
  assert_true(e->welcome->heartbeat_interval_ms > 0);
  assert_true(e->welcome->session != 0);
  c->appid = e->welcome->appid;
  c->session = e->welcome->session;
  c->ack_kinds = e->welcome->ack_kinds;
  c->event_kinds = e->welcome->event_kinds;
  mstro__proto_free(e);
}

static void expect_refuse(struct client *c, mstro_status status, const char *reason)
{
  Mstro__Proto__Envelope *e = client_recv(c, 1000);
  assert_non_null(e);
  assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_REFUSE);
  assert_int_equal(e->refuse->status, status);
  if (reason != NULL && strstr(e->refuse->reason, reason) == NULL)
    fail_msg("refusal reason '%s' does not mention '%s'", e->refuse->reason, reason);
  mstro__proto_free(e);
}

static void test_join_welcome(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_server *srv = server_new(NULL, &info);
  struct client a, b;
  client_open(&a, info);
  client_open(&b, info);
  join_ok(srv, &a, "producer", 0);
  join_ok(srv, &b, "consumer", 0);
  assert_int_not_equal(a.appid, b.appid);
  assert_int_not_equal(a.session, b.session);
  assert_int_equal(mstro__pm_server_member_count(srv), 2);
  assert_int_equal(mstro__pm_server_joined(srv), 2);
  assert_non_null(strstr(read_log(), "component 'producer' index 0 (pid"));
  client_close(&a);
  client_close(&b);
  mstro__pm_server_destroy(srv);
  free(info);
}

static void test_join_refused(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_server *srv = server_new(NULL, &info);
  struct client c;
  client_open(&c, info);

  uint8_t wrong[MSTRO__PROTO_SECRET_LEN];
  memcpy(wrong, c.info.secret, sizeof wrong);
  wrong[17] ^= 1;
  uint64_t seq = send_join(&c, "wf", "intruder", 3, wrong);
  serve(srv, 1);
  Mstro__Proto__Envelope *e = client_recv(&c, 1000);
  assert_non_null(e);
  assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_REFUSE);
  assert_int_equal(e->refuse->status, MSTRO_AUTH);
  assert_int_equal(e->in_reply_to, seq);
  assert_non_null(strstr(e->refuse->reason, "secret"));
  mstro__proto_free(e);
  const char *log = read_log();
  assert_non_null(strstr(log, "refused JOIN of component 'intruder' index 3"));
  assert_non_null(strstr(log, "wrong workflow secret"));

  send_join(&c, "other-workflow", "stranger", 0, c.info.secret);
  serve(srv, 1);
  expect_refuse(&c, MSTRO_AUTH, "workflow name");
  log = read_log();
  assert_non_null(strstr(log, "refused JOIN of component 'stranger' index 0"));
  assert_non_null(
      strstr(log, "wrong workflow name 'other-workflow' (this Pool Manager serves 'wf')"));
  assert_int_equal(mstro__pm_server_member_count(srv), 0);

  /* A hostile name is logged harmlessly. */
  send_join(&c, "wf\n", "evil\nname\x1b[2J", 0, wrong);
  serve(srv, 1);
  expect_refuse(&c, MSTRO_AUTH, NULL);
  assert_non_null(strstr(read_log(), "'evil?name?[2J'"));

  /* The same name and index twice; the same endpoint twice. */
  join_ok(srv, &c, "producer", 1);
  struct client d;
  client_open(&d, info);
  send_join(&d, "wf", "producer", 1, d.info.secret);
  serve(srv, 1);
  expect_refuse(&d, MSTRO_NOT_TWICE, NULL);
  send_join(&c, "wf", "producer", 2, c.info.secret);
  serve(srv, 1);
  expect_refuse(&c, MSTRO_NOT_TWICE, "already joined");
  join_ok(srv, &d, "producer", 2); /* another index is fine */
  assert_int_equal(mstro__pm_server_member_count(srv), 2);

  client_close(&c);
  client_close(&d);
  mstro__pm_server_destroy(srv);
  free(info);
}

static void test_heartbeat_and_leave(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_config cfg = {.workflow_name = "wf", .exit_when_idle = true};
  struct mstro__pm_server *srv = server_new(&cfg, &info);
  struct client c;
  client_open(&c, info);
  join_ok(srv, &c, "producer", 0);

  Mstro__Proto__Envelope e;
  Mstro__Proto__Heartbeat h;
  mstro__proto_envelope_init(&e, ++c.seq);
  mstro__proto__heartbeat__init(&h);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT;
  e.heartbeat = &h;
  client_send(&c, &e);
  serve(srv, 1);
  Mstro__Proto__Envelope *r = client_recv(&c, 1000);
  assert_non_null(r);
  assert_int_equal(r->msg_case, MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT);
  assert_int_equal(r->in_reply_to, e.seq);
  mstro__proto_free(r);

  Mstro__Proto__Leave l;
  mstro__proto_envelope_init(&e, ++c.seq);
  mstro__proto__leave__init(&l);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_LEAVE;
  e.leave = &l;
  client_send(&c, &e);
  serve(srv, 1);
  r = client_recv(&c, 1000);
  assert_non_null(r);
  assert_int_equal(r->msg_case, MSTRO__PROTO__ENVELOPE__MSG_BYE);
  mstro__proto_free(r);
  assert_int_equal(mstro__pm_server_member_count(srv), 0);
  assert_non_null(strstr(read_log(), "component 'producer' index 0 (appid"));

  /* exit_when_idle: everyone who joined has left, so run returns at once. */
  assert_int_equal(mstro__pm_server_run(srv, NULL), MSTRO_OK);
  client_close(&c);
  mstro__pm_server_destroy(srv);
  free(info);
}

static void test_silent_member_dropped(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_config cfg = {.workflow_name = "wf", .heartbeat_ms = 20, .heartbeat_grace = 2};
  struct mstro__pm_server *srv = server_new(&cfg, &info);
  struct client c;
  client_open(&c, info);
  join_ok(srv, &c, "sleeper", 0);
  assert_int_equal(mstro__pm_server_member_count(srv), 1);
  usleep(100000);
  assert_int_equal(mstro__pm_server_step(srv, 0), MSTRO_OK);
  assert_int_equal(mstro__pm_server_member_count(srv), 0);
  assert_non_null(strstr(read_log(), "taken as crashed"));
  client_close(&c);
  mstro__pm_server_destroy(srv);
  free(info);
}

static Mstro__Proto__Envelope *send_expect(struct mstro__pm_server *srv, struct client *from,
                                           Mstro__Proto__Envelope *e, struct client *to,
                                           Mstro__Proto__Envelope__MsgCase want)
{
  client_send(from, e);
  serve(srv, 1);
  Mstro__Proto__Envelope *r = client_recv(to, 1000);
  if (want == MSTRO__PROTO__ENVELOPE__MSG__NOT_SET) {
    assert_null(r);
    return NULL;
  }
  assert_non_null(r);
  assert_int_equal(r->msg_case, want);
  return r;
}

/* An offer is answered with EVENT_ACK (released) once no subscriber holds it. */
static void expect_release(struct client *c, uint64_t seq)
{
  Mstro__Proto__Envelope *r = client_recv(c, 1000);
  assert_non_null(r);
  assert_int_equal(r->msg_case, MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK);
  assert_int_equal(r->in_reply_to, seq);
  mstro__proto_free(r);
}

/* The PM told `c` new masks: check and confirm them. */
static void expect_mask(struct mstro__pm_server *srv, struct client *c, uint32_t ack,
                        uint32_t watched)
{
  Mstro__Proto__Envelope *r = client_recv(c, 1000), e;
  assert_non_null(r);
  assert_int_equal(r->msg_case, MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK);
  assert_int_equal(r->ack_mask->ack_kinds, ack);
  assert_int_equal(r->ack_mask->event_kinds, watched);
  Mstro__Proto__AckMaskConfirm cf;
  mstro__proto__ack_mask_confirm__init(&cf);
  cf.serial = r->ack_mask->serial;
  mstro__proto_free(r);
  mstro__proto_envelope_init(&e, ++c->seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM, e.ack_mask_confirm = &cf;
  client_send(c, &e);
  serve(srv, 1);
}

static void send_ack(struct mstro__pm_server *srv, struct client *c, uint64_t sub_id,
                     uint64_t event_id)
{
  Mstro__Proto__Envelope e;
  Mstro__Proto__EventAck ea;
  mstro__proto__event_ack__init(&ea);
  ea.subscription_id = sub_id;
  ea.event_id = event_id;
  mstro__proto_envelope_init(&e, ++c->seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK, e.event_ack = &ea;
  client_send(c, &e);
  serve(srv, 1);
}

/* `env` (sent by `from` with wait_ack) is held: subscriber `sub` gets the
 * event `kind` of CDO `name` with needs_ack, `from` gets nothing until it
 * acks, then the EVENT_ACK releasing it. */
static void held_op(struct mstro__pm_server *srv, struct client *from, Mstro__Proto__Envelope *env,
                    struct client *sub, uint64_t sub_id, uint32_t kind, const char *name)
{
  env->wait_ack = true;
  Mstro__Proto__Envelope *r = send_expect(srv, from, env, sub, MSTRO__PROTO__ENVELOPE__MSG_EVENT);
  assert_int_equal(r->event->subscription_id, sub_id);
  assert_int_equal(r->event->kind, kind);
  assert_int_equal(r->event->appid, from->appid);
  assert_string_equal(r->event->cdo_name, name);
  assert_true(r->event->needs_ack);
  uint64_t ev_id = r->event->event_id;
  mstro__proto_free(r);
  assert_null(client_recv(from, 200)); /* held */
  send_ack(srv, sub, sub_id, ev_id);
  expect_release(from, env->seq);
}

/* The pool through the PM: an offer matched with a demand that waits for it
 * and with one that comes later (tickets carry the offer's location and
 * attributes), a withdraw acknowledged only once the transfers in flight are
 * complete, events forwarded to a subscriber, _REQUIRE_ACK subscribers holding
 * an offer until they ack, unsubscribe or leave. */
static void test_pool_ops(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_server *srv = server_new(NULL, &info);
  struct client p, c;
  client_open(&p, info);
  client_open(&c, info);
  join_ok(srv, &p, "producer", 0);
  join_ok(srv, &c, "consumer", 0);

  Mstro__Proto__Envelope e, *r;
  Mstro__Proto__Declare d;
  Mstro__Proto__Offer o;
  Mstro__Proto__Demand dm;
  Mstro__Proto__Withdraw wd;
  Mstro__Proto__Subscribe s;
  Mstro__Proto__TransferCompleted tc;
  Mstro__Proto__TransportKind ofi = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
  uint8_t desc[40], attrs[3] = {1, 2, 3};
  memset(desc, 0x5a, sizeof desc);

  /* DECLARE is acknowledged */
  mstro__proto__declare__init(&d);
  d.cdo_name = "x";
  d.local_id = 17;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DECLARE, e.declare = &d;
  r = send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG_DECLARE_ACK);
  assert_int_equal(r->declare_ack->local_id, 17);
  mstro__proto_free(r);

  /* a demand before the offer waits */
  mstro__proto__demand__init(&dm);
  dm.cdo_name = "x";
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND, e.demand = &dm;
  uint64_t demand_seq = c.seq;
  send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);

  /* the offer answers it with a ticket */
  mstro__proto__offer__init(&o);
  o.cdo_name = "x";
  o.cdo_id = 99;
  o.size = 4096;
  o.n_transports = 1;
  o.transports = &ofi;
  o.region_desc = (ProtobufCBinaryData){sizeof desc, desc};
  o.attributes = (ProtobufCBinaryData){sizeof attrs, attrs};
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER, e.offer = &o;
  r = send_expect(srv, &p, &e, &c, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET);
  assert_int_equal(r->in_reply_to, demand_seq);
  assert_int_equal(r->transfer_ticket->src_appid, p.appid);
  assert_int_equal(r->transfer_ticket->cdo_id, 99);
  assert_int_equal(r->transfer_ticket->size, 4096);
  assert_int_equal(r->transfer_ticket->transport, ofi);
  assert_int_equal(r->transfer_ticket->region_desc.len, sizeof desc);
  assert_memory_equal(r->transfer_ticket->region_desc.data, desc, sizeof desc);
  assert_int_equal(r->transfer_ticket->attributes.len, sizeof attrs);
  assert_true(r->transfer_ticket->src_endpoint_address.len > 0);
  uint64_t ticket1 = r->transfer_ticket->ticket_id;
  mstro__proto_free(r);
  assert_null(client_recv(&p, 100)); /* no ack subscription: no answer, no round trip */

  /* a second demand finds the offer at once */
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND, e.demand = &dm;
  r = send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET);
  assert_int_equal(r->in_reply_to, c.seq);
  uint64_t ticket2 = r->transfer_ticket->ticket_id;
  assert_true(ticket2 != ticket1);
  mstro__proto_free(r);

  /* withdraw waits for both transfers */
  mstro__proto__withdraw__init(&wd);
  wd.cdo_name = "x";
  wd.cdo_id = 99;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW, e.withdraw = &wd;
  uint64_t withdraw_seq = p.seq;
  send_expect(srv, &p, &e, &p, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  mstro__proto__transfer_completed__init(&tc);
  tc.ticket_id = ticket1;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED, e.transfer_completed = &tc;
  send_expect(srv, &c, &e, &p, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  tc.ticket_id = ticket2;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED, e.transfer_completed = &tc;
  r = send_expect(srv, &c, &e, &p, MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK);
  assert_int_equal(r->in_reply_to, withdraw_seq);
  assert_int_equal(r->withdraw_ack->status, MSTRO_OK);
  mstro__proto_free(r);

  /* withdrawn: a new demand waits */
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND, e.demand = &dm;
  send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);

  /* a ticket the member does not hold is a bad message */
  tc.ticket_id = 12345;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED, e.transfer_completed = &tc;
  send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  assert_int_equal(mstro__pm_server_bad_msgs(srv), 1);

  /* a subscription of the consumer sees the producer's events; it is
   * answered once the producer confirmed the kinds it now watches */
  mstro__proto__subscribe__init(&s);
  s.subscription_id = 7;
  s.kind_mask = MSTRO_POOL_EVENT_OFFER;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE, e.subscribe = &s;
  uint64_t sub_seq = c.seq;
  send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  expect_mask(srv, &p, 0, MSTRO_POOL_EVENT_OFFER);
  expect_release(&c, sub_seq);
  uint64_t releases = mstro__pm_server_releases(srv);
  o.cdo_name = "y";
  o.cdo_id = 100;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER, e.offer = &o;
  r = send_expect(srv, &p, &e, &c, MSTRO__PROTO__ENVELOPE__MSG_EVENT);
  assert_int_equal(r->event->subscription_id, 7);
  assert_int_equal(r->event->kind, MSTRO_POOL_EVENT_OFFER);
  assert_int_equal(r->event->appid, p.appid);
  assert_string_equal(r->event->cdo_name, "y");
  assert_int_equal(r->event->attributes.len, sizeof attrs);
  assert_false(r->event->needs_ack);
  mstro__proto_free(r);
  /* a plain subscription holds nothing: no answer to the offer */
  assert_null(client_recv(&p, 100));
  assert_int_equal(mstro__pm_server_releases(srv), releases);

  /* _REQUIRE_ACK: a third member's subscription holds the operations of the
   * others; it joins seeing what the consumer watches, and its SUBSCRIBE is
   * answered only once both others confirmed the new masks */
  struct client q;
  client_open(&q, info);
  join_ok(srv, &q, "archiver", 0);
  assert_int_equal(q.ack_kinds, 0);
  assert_int_equal(q.event_kinds, MSTRO_POOL_EVENT_OFFER);
  const uint32_t held = MSTRO_POOL_EVENT_OFFER | MSTRO_POOL_EVENT_DECLARE | MSTRO_POOL_EVENT_SEAL |
                        MSTRO_POOL_EVENT_REQUIRE | MSTRO_POOL_EVENT_RETRACT |
                        MSTRO_POOL_EVENT_DEMAND | MSTRO_POOL_EVENT_WITHDRAW |
                        MSTRO_POOL_EVENT_DISPOSE | MSTRO_POOL_EVENT_TRANSFER_STARTED |
                        MSTRO_POOL_EVENT_TRANSFER_COMPLETED;
  mstro__proto__subscribe__init(&s);
  s.subscription_id = 9;
  s.kind_mask = held | MSTRO_POOL_EVENT_APP_JOIN;
  s.options = MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK;
  mstro__proto_envelope_init(&e, ++q.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE, e.subscribe = &s;
  sub_seq = q.seq;
  send_expect(srv, &q, &e, &q, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  expect_mask(srv, &p, held, held | MSTRO_POOL_EVENT_APP_JOIN);
  assert_null(client_recv(&q, 100)); /* the consumer has not confirmed yet */
  expect_mask(srv, &c, held, held | MSTRO_POOL_EVENT_APP_JOIN);
  expect_release(&q, sub_seq);

  o.cdo_name = "z";
  o.cdo_id = 101;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER, e.offer = &o;
  e.wait_ack = true;
  uint64_t offer_seq = p.seq;
  r = send_expect(srv, &p, &e, &q, MSTRO__PROTO__ENVELOPE__MSG_EVENT);
  assert_int_equal(r->event->subscription_id, 9);
  assert_true(r->event->needs_ack);
  uint64_t ev_id = r->event->event_id;
  assert_true(ev_id != 0);
  mstro__proto_free(r);
  r = client_recv(&c, 1000); /* c's plain subscription: no ack needed */
  assert_non_null(r);
  assert_false(r->event->needs_ack);
  mstro__proto_free(r);
  assert_null(client_recv(&p, 300)); /* held */
  send_ack(srv, &q, 9, ev_id);
  expect_release(&p, offer_seq);
  /* an ack nobody waits for (again) is refused, not counted as bad */
  send_ack(srv, &q, 9, ev_id);
  expect_refuse(&q, MSTRO_NOENT, "no operation waits");
  assert_int_equal(mstro__pm_server_bad_msgs(srv), 1);

  /* every CDO kind is held the same way */
  mstro__proto__declare__init(&d);
  d.cdo_name = "v";
  d.local_id = 18;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DECLARE, e.declare = &d;
  e.wait_ack = true;
  r = send_expect(srv, &p, &e, &p, MSTRO__PROTO__ENVELOPE__MSG_DECLARE_ACK); /* at once */
  mstro__proto_free(r);
  r = client_recv(&q, 1000);
  assert_non_null(r);
  assert_int_equal(r->event->kind, MSTRO_POOL_EVENT_DECLARE);
  assert_string_equal(r->event->cdo_name, "v");
  assert_true(r->event->needs_ack);
  ev_id = r->event->event_id;
  mstro__proto_free(r);
  assert_null(client_recv(&p, 200));
  send_ack(srv, &q, 9, ev_id);
  expect_release(&p, e.seq);
  Mstro__Proto__Seal sl;
  mstro__proto__seal__init(&sl);
  sl.cdo_name = "v";
  sl.attributes = (ProtobufCBinaryData){sizeof attrs, attrs};
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SEAL, e.seal = &sl;
  held_op(srv, &p, &e, &q, 9, MSTRO_POOL_EVENT_SEAL, "v");
  Mstro__Proto__Require rq;
  mstro__proto__require__init(&rq);
  rq.cdo_name = "v";
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_REQUIRE, e.require = &rq;
  held_op(srv, &c, &e, &q, 9, MSTRO_POOL_EVENT_REQUIRE, "v");
  Mstro__Proto__Retract rt;
  mstro__proto__retract__init(&rt);
  rt.cdo_name = "v";
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_RETRACT, e.retract = &rt;
  held_op(srv, &c, &e, &q, 9, MSTRO_POOL_EVENT_RETRACT, "v");
  /* DEMAND: the ticket comes at once, the release after the ack */
  dm.cdo_name = "z";
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND, e.demand = &dm;
  e.wait_ack = true;
  client_send(&c, &e);
  serve(srv, 1);
  r = client_recv(&c, 1000);
  assert_non_null(r);
  assert_int_equal(r->msg_case, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET);
  uint64_t ticket3 = r->transfer_ticket->ticket_id;
  mstro__proto_free(r);
  r = client_recv(&q, 1000);
  assert_non_null(r);
  assert_int_equal(r->event->kind, MSTRO_POOL_EVENT_DEMAND);
  assert_true(r->event->needs_ack);
  ev_id = r->event->event_id;
  mstro__proto_free(r);
  assert_null(client_recv(&c, 200));
  send_ack(srv, &q, 9, ev_id);
  expect_release(&c, e.seq);
  /* the transfer's start and completion hold the consumer's demand */
  Mstro__Proto__TransferStarted ts;
  mstro__proto__transfer_started__init(&ts);
  ts.ticket_id = ticket3;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_STARTED, e.transfer_started = &ts;
  held_op(srv, &c, &e, &q, 9, MSTRO_POOL_EVENT_TRANSFER_STARTED, "z");
  tc.ticket_id = ticket3;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED, e.transfer_completed = &tc;
  held_op(srv, &c, &e, &q, 9, MSTRO_POOL_EVENT_TRANSFER_COMPLETED, "z");
  /* WITHDRAW: its WITHDRAW_ACK (no transfer in flight) at once, the release after the ack */
  wd.cdo_name = "z";
  wd.cdo_id = 101;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW, e.withdraw = &wd;
  e.wait_ack = true;
  client_send(&p, &e);
  serve(srv, 1);
  r = client_recv(&p, 1000);
  assert_non_null(r);
  assert_int_equal(r->msg_case, MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK);
  mstro__proto_free(r);
  r = client_recv(&q, 1000);
  assert_non_null(r);
  assert_int_equal(r->event->kind, MSTRO_POOL_EVENT_WITHDRAW);
  assert_true(r->event->needs_ack);
  ev_id = r->event->event_id;
  mstro__proto_free(r);
  assert_null(client_recv(&p, 200));
  send_ack(srv, &q, 9, ev_id);
  expect_release(&p, e.seq);
  Mstro__Proto__Dispose ds;
  mstro__proto__dispose__init(&ds);
  ds.cdo_name = "v";
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DISPOSE, e.dispose = &ds;
  held_op(srv, &p, &e, &q, 9, MSTRO_POOL_EVENT_DISPOSE, "v");
  /* sent without wait_ack (a component that did not know yet): forwarded,
   * not held, no answer */
  releases = mstro__pm_server_releases(srv);
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DISPOSE, e.dispose = &ds;
  r = send_expect(srv, &p, &e, &q, MSTRO__PROTO__ENVELOPE__MSG_EVENT);
  assert_false(r->event->needs_ack);
  mstro__proto_free(r);
  assert_null(client_recv(&p, 100));
  assert_int_equal(mstro__pm_server_releases(srv), releases);

  /* a subscriber that leaves releases what it holds, and the others are
   * told that nothing is held any more */
  o.cdo_name = "w";
  o.cdo_id = 102;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER, e.offer = &o;
  e.wait_ack = true;
  offer_seq = p.seq;
  r = send_expect(srv, &p, &e, &q, MSTRO__PROTO__ENVELOPE__MSG_EVENT);
  assert_true(r->event->needs_ack);
  mstro__proto_free(r);
  r = client_recv(&c, 1000);
  assert_non_null(r);
  mstro__proto_free(r);
  assert_null(client_recv(&p, 300));
  Mstro__Proto__Leave lv;
  mstro__proto__leave__init(&lv);
  mstro__proto_envelope_init(&e, ++q.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_LEAVE, e.leave = &lv;
  client_send(&q, &e);
  serve(srv, 1);
  expect_release(&p, offer_seq);
  expect_mask(srv, &p, 0, MSTRO_POOL_EVENT_OFFER);
  expect_mask(srv, &c, 0, 0);
  client_close(&q);
  assert_int_equal(mstro__pm_server_member_count(srv), 2);
  client_close(&p);

  /* A message only the PM may send. */
  Mstro__Proto__Welcome w;
  mstro__proto__welcome__init(&w);
  w.appid = 5;
  w.heartbeat_interval_ms = 1;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WELCOME;
  e.welcome = &w;
  client_send(&c, &e);
  serve(srv, 1);
  expect_refuse(&c, MSTRO_INVMSG, "only be sent by the Pool Manager");
  assert_int_equal(mstro__pm_server_bad_msgs(srv), 2);

  client_close(&c);
  mstro__pm_server_destroy(srv);
  free(info);
}

/* .maestro.core.cdo.lifetime (pm/pm_lifetime.h): an offer with a lifetime
 * leaves the directory when it expires, while a transfer from it still
 * runs: a new demand waits, the producer's withdraw is answered only once
 * that transfer completed, and the next offer of the name serves the
 * waiting demand. An offer without a lifetime stays. */
static void test_offer_lifetime(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_server *srv = server_new(NULL, &info);
  struct client p, c;
  client_open(&p, info);
  client_open(&c, info);
  join_ok(srv, &p, "producer", 0);
  join_ok(srv, &c, "consumer", 0);
  Mstro__Proto__Envelope e, *r;
  Mstro__Proto__Offer o;
  Mstro__Proto__Demand dm;
  Mstro__Proto__Withdraw wd;
  Mstro__Proto__TransferCompleted tc;
  Mstro__Proto__TransportKind ofi = MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI;
  uint8_t desc[40], attrs[3] = {1, 2, 3};
  memset(desc, 0x5a, sizeof desc);
  mstro__proto__offer__init(&o);
  o.attributes = (ProtobufCBinaryData){sizeof attrs, attrs};
  o.size = 64;
  o.n_transports = 1;
  o.transports = &ofi;
  o.region_desc = (ProtobufCBinaryData){sizeof desc, desc};
  o.cdo_name = "long";
  o.cdo_id = 6;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER, e.offer = &o;
  send_expect(srv, &p, &e, &p, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  o.cdo_name = "short";
  o.cdo_id = 5;
  o.lifetime = 1;
  uint64_t t0 = mstro_clock();
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER, e.offer = &o;
  client_send(&p, &e); /* no answer to wait for: the lifetime runs */
  serve(srv, 1);

  /* a transfer from it starts before it expires */
  mstro__proto__demand__init(&dm);
  dm.cdo_name = "short";
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND, e.demand = &dm;
  r = send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET);
  uint64_t ticket = r->transfer_ticket->ticket_id;
  mstro__proto_free(r);

  /* the server wakes for the deadline by itself (no message comes), not at
   * the end of its 5 s poll */
  for (int steps = 0; strstr(read_log(), "the lifetime of 'short'") == NULL; steps++) {
    assert_true(steps < 4);
    assert_int_equal(mstro__pm_server_step(srv, 5000), MSTRO_OK);
  }
  assert_true(mstro_clock() - t0 >= 1000000000ull);
  assert_true(mstro_clock() - t0 < 4000000000ull);
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND, e.demand = &dm;
  uint64_t waiting = c.seq;
  send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET); /* waits */
  dm.cdo_name = "long";
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND, e.demand = &dm;
  r = send_expect(srv, &c, &e, &c, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET);
  mstro__proto_free(r); /* the offer without a lifetime is still served */

  /* the producer's withdraw: answered once the transfer completed */
  mstro__proto__withdraw__init(&wd);
  wd.cdo_name = "short";
  wd.cdo_id = 5;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW, e.withdraw = &wd;
  uint64_t withdraw_seq = p.seq;
  send_expect(srv, &p, &e, &p, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  mstro__proto__transfer_completed__init(&tc);
  tc.ticket_id = ticket;
  mstro__proto_envelope_init(&e, ++c.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED, e.transfer_completed = &tc;
  r = send_expect(srv, &c, &e, &p, MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK);
  assert_int_equal(r->in_reply_to, withdraw_seq);
  assert_int_equal(r->withdraw_ack->status, MSTRO_OK);
  mstro__proto_free(r);
  /* withdrawn twice: refused at once */
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW, e.withdraw = &wd;
  r = send_expect(srv, &p, &e, &p, MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW_ACK);
  assert_int_equal(r->withdraw_ack->status, MSTRO_NOENT);
  mstro__proto_free(r);

  /* a new offer of the name serves the demand that waited */
  o.cdo_name = "short";
  o.cdo_id = 7;
  mstro__proto_envelope_init(&e, ++p.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER, e.offer = &o;
  r = send_expect(srv, &p, &e, &c, MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_TICKET);
  assert_int_equal(r->in_reply_to, waiting);
  assert_int_equal(r->transfer_ticket->cdo_id, 7);
  mstro__proto_free(r);
  client_close(&p);
  client_close(&c);
  mstro__pm_server_destroy(srv);
  free(info);
}

/* A SUBSCRIBE waits for every member's confirmation of its new masks, and no
 * longer for a member that leaves (or crashes) without confirming; an
 * unsubscribe clears the masks; a confirmation of a mask never sent is bad. */
static void test_subscribe_barrier(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_config cfg = {.workflow_name = "wf", .heartbeat_ms = 100, .heartbeat_grace = 15};
  struct mstro__pm_server *srv = server_new(&cfg, &info);
  struct client sub, mute, ok;
  client_open(&sub, info);
  client_open(&mute, info);
  client_open(&ok, info);
  join_ok(srv, &sub, "subscriber", 0);
  join_ok(srv, &mute, "mute", 0);
  join_ok(srv, &ok, "ok", 0);
  assert_int_equal(mute.ack_kinds | mute.event_kinds, 0);

  Mstro__Proto__Envelope e, *r;
  Mstro__Proto__Subscribe s;
  mstro__proto__subscribe__init(&s);
  s.subscription_id = 1;
  s.kind_mask = MSTRO_POOL_EVENT_DEMAND | MSTRO_POOL_EVENT_APP_LEAVE;
  s.options = MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK;
  mstro__proto_envelope_init(&e, ++sub.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE, e.subscribe = &s;
  uint64_t sub_seq = sub.seq;
  send_expect(srv, &sub, &e, &sub, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  expect_mask(srv, &ok, MSTRO_POOL_EVENT_DEMAND,
              MSTRO_POOL_EVENT_DEMAND | MSTRO_POOL_EVENT_APP_LEAVE);
  r = client_recv(&mute, 1000); /* told, never confirms */
  assert_non_null(r);
  assert_int_equal(r->msg_case, MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK);
  uint64_t serial = r->ack_mask->serial;
  mstro__proto_free(r);
  assert_null(client_recv(&sub, 100));
  /* a confirmation of a later mask than it was sent is a bad message */
  Mstro__Proto__AckMaskConfirm cf;
  mstro__proto__ack_mask_confirm__init(&cf);
  cf.serial = serial + 100;
  mstro__proto_envelope_init(&e, ++mute.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_ACK_MASK_CONFIRM, e.ack_mask_confirm = &cf;
  client_send(&mute, &e);
  serve(srv, 1);
  assert_int_equal(mstro__pm_server_bad_msgs(srv), 1);
  /* the mute member is dropped as crashed (the others keep heartbeating):
   * the SUBSCRIBE is answered, after the APP_LEAVE it sees */
  for (int i = 0; i < 60 && mstro__pm_server_member_count(srv) == 3; i++) {
    Mstro__Proto__Heartbeat hb;
    for (int k = 0; k < 2; k++) {
      struct client *c = k ? &ok : &sub;
      mstro__proto__heartbeat__init(&hb);
      mstro__proto_envelope_init(&e, ++c->seq);
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT, e.heartbeat = &hb;
      client_send(c, &e);
      serve(srv, 1);
      mstro__proto_free(client_recv(c, 1000));
    }
    usleep(50000);
  }
  assert_int_equal(mstro__pm_server_member_count(srv), 2);
  r = client_recv(&sub, 1000);
  assert_non_null(r);
  assert_int_equal(r->msg_case, MSTRO__PROTO__ENVELOPE__MSG_EVENT);
  assert_int_equal(r->event->kind, MSTRO_POOL_EVENT_APP_LEAVE);
  assert_true(r->event->crashed);
  assert_false(r->event->needs_ack); /* APP_LEAVE holds nothing */
  mstro__proto_free(r);
  expect_release(&sub, sub_seq);

  /* unsubscribe: nothing is held or watched any more */
  Mstro__Proto__Unsubscribe u;
  mstro__proto__unsubscribe__init(&u);
  u.subscription_id = 1;
  mstro__proto_envelope_init(&e, ++sub.seq);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE, e.unsubscribe = &u;
  send_expect(srv, &sub, &e, &sub, MSTRO__PROTO__ENVELOPE__MSG__NOT_SET);
  expect_mask(srv, &ok, 0, 0);
  client_close(&sub);
  client_close(&mute);
  client_close(&ok);
  mstro__pm_server_destroy(srv);
  free(info);
}

static void test_garbage_sender_dropped(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_config cfg = {.workflow_name = "wf", .max_bad_msgs = 5};
  struct mstro__pm_server *srv = server_new(&cfg, &info);
  struct client bad, good, stranger;
  client_open(&bad, info);
  client_open(&good, info);
  client_open(&stranger, info);
  join_ok(srv, &bad, "noisy", 0);

  /* A stranger's garbage (never joined) is counted, nothing more. */
  srand(99);
  uint8_t junk[512];
  for (int i = 0; i < 50; i++) {
    size_t n = (size_t)rand() % sizeof junk;
    for (size_t k = 0; k < n; k++)
      junk[k] = (uint8_t)rand();
    client_send_raw(&stranger, junk, n);
    serve(srv, 1);
  }
  assert_int_equal(mstro__pm_server_bad_msgs(srv), 50);
  assert_null(client_recv(&stranger, 0));

  /* A member's: dropped after max_bad_msgs, told why. */
  for (int i = 0; i < 5; i++) {
    client_send_raw(&bad, "garbage", 7);
    serve(srv, 1);
  }
  expect_refuse(&bad, MSTRO_INVMSG, "malformed");
  assert_int_equal(mstro__pm_server_member_count(srv), 0);
  const char *log = read_log();
  assert_non_null(strstr(log, "dropping component 'noisy'"));
  assert_non_null(strstr(log, "malformed control message 5 of at most 5"));

  /* A wrong session is not accepted either. */
  join_ok(srv, &bad, "noisy", 0);
  bad.session ^= 1;
  Mstro__Proto__Envelope e;
  Mstro__Proto__Heartbeat h;
  mstro__proto_envelope_init(&e, ++bad.seq);
  mstro__proto__heartbeat__init(&h);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT;
  e.heartbeat = &h;
  client_send(&bad, &e);
  serve(srv, 1);
  assert_null(client_recv(&bad, 50));
  assert_non_null(strstr(read_log(), "wrong appid or session"));

  /* The service goes on. */
  join_ok(srv, &good, "consumer", 0);
  assert_int_equal(mstro__pm_server_member_count(srv), 2);
  client_close(&bad);
  client_close(&good);
  client_close(&stranger);
  mstro__pm_server_destroy(srv);
  free(info);
}

/* A channel that names a source for senders it never inserted (the shm
 * provider does): a stranger's garbage must not get a member dropped. */
static void test_lying_sources(void **state)
{
  (void)state;
  struct mstro__pm_chan *ch = NULL;
  struct mstro__pm_server *srv = NULL;
  struct mstro__pm_config cfg = {.workflow_name = "wf", .max_bad_msgs = 3};
  char *info = NULL;
  assert_int_equal(mstro__pm_chan_loop_open(&ch), MSTRO_OK);
  mstro__pm_chan_loop_fake_source(ch, 0); /* the id the first member will get */
  assert_int_equal(mstro__pm_server_create(&cfg, ch, &srv), MSTRO_OK);
  assert_int_equal(mstro__pm_server_info(srv, &info), MSTRO_OK);
  struct client member, stranger;
  client_open(&member, info);
  client_open(&stranger, info);
  join_ok(srv, &member, "member", 0);
  assert_non_null(strstr(read_log(), "reports message sources it cannot know"));
  for (int i = 0; i < 10; i++) {
    client_send_raw(&stranger, "junk", 4);
    serve(srv, 1);
  }
  assert_int_equal(mstro__pm_server_bad_msgs(srv), 10);
  assert_int_equal(mstro__pm_server_member_count(srv), 1);
  assert_null(client_recv(&member, 50));
  client_close(&member);
  client_close(&stranger);
  mstro__pm_server_destroy(srv);
  free(info);
}

static void test_shutdown_tells_members(void **state)
{
  (void)state;
  char *info = NULL;
  struct mstro__pm_server *srv = server_new(NULL, &info);
  struct client a, b;
  client_open(&a, info);
  client_open(&b, info);
  join_ok(srv, &a, "a", 0);
  join_ok(srv, &b, "b", 0);
  assert_int_equal(mstro__pm_server_shutdown(srv, "test over"), MSTRO_OK);
  for (int i = 0; i < 2; i++) {
    struct client *c = i ? &b : &a;
    Mstro__Proto__Envelope *e = client_recv(c, 1000);
    assert_non_null(e);
    assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE);
    assert_string_equal(e->pm_leave->reason, "test over");
    mstro__proto_free(e);
  }
  assert_int_equal(mstro__pm_server_member_count(srv), 0);
  client_close(&a);
  client_close(&b);
  mstro__pm_server_destroy(srv);
  free(info);
}

static void test_bad_config(void **state)
{
  (void)state;
  struct mstro__pm_chan *ch = NULL;
  struct mstro__pm_server *srv = NULL;
  struct mstro__pm_config cfg = {.workflow_name = ""};
  assert_int_equal(mstro__pm_chan_loop_open(&ch), MSTRO_OK);
  assert_int_equal(mstro__pm_server_create(&cfg, ch, &srv), MSTRO_INVARG); /* closes ch */
  assert_null(srv);
  assert_int_equal(mstro__pm_server_create(NULL, NULL, &srv), MSTRO_INVARG);
  mstro__pm_server_destroy(NULL);
}

/* The public trio, with the server on its own thread. */
static void test_public_api(void **state)
{
  (void)state;
  char *info = NULL;
  assert_int_equal(mstro_pm_getinfo(&info), MSTRO_NOENT);
  assert_null(info);
  assert_int_equal(mstro_pm_getinfo(NULL), MSTRO_INVARG);
  assert_int_equal(mstro_pm_terminate(), MSTRO_NOENT);

  struct mstro__pm_chan *ch = NULL;
  struct mstro__pm_config cfg = {.workflow_name = "wf"};
  assert_int_equal(mstro__pm_chan_loop_open(&ch), MSTRO_OK);
  assert_int_equal(mstro__pm_start_with(&cfg, ch), MSTRO_OK);
  assert_int_equal(mstro__pm_chan_loop_open(&ch), MSTRO_OK);
  assert_int_equal(mstro__pm_start_with(&cfg, ch), MSTRO_NOT_TWICE);
  assert_int_equal(mstro_pm_getinfo(&info), MSTRO_OK);
  assert_non_null(info);

  struct client c;
  client_open(&c, info);
  free(info);
  info = NULL;
  send_join(&c, "wf", "threaded", 0, c.info.secret);
  Mstro__Proto__Envelope *e = client_recv(&c, 5000);
  assert_non_null(e);
  assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_WELCOME);
  mstro__proto_free(e);

  assert_int_equal(mstro_pm_terminate(), MSTRO_OK);
  e = client_recv(&c, 5000);
  assert_non_null(e);
  assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE);
  mstro__proto_free(e);
  assert_int_equal(mstro_pm_getinfo(&info), MSTRO_NOENT);
  assert_int_equal(mstro_pm_terminate(), MSTRO_NOENT);
  client_close(&c);
}

/* mstro_pm_start over the real transport: needs the workflow name; with it,
 * it either runs (and stops) or says MSTRO_TRANSPORT when no fabric endpoint
 * can be opened here. */
static void test_pm_start(void **state)
{
  (void)state;
  unsetenv("MSTRO_WORKFLOW_NAME");
  assert_int_equal(mstro_pm_start(), MSTRO_UNINIT);
  setenv("MSTRO_WORKFLOW_NAME", "wf", 1);
  mstro_status s = mstro_pm_start();
  assert_true(s == MSTRO_OK || s == MSTRO_TRANSPORT);
  if (s == MSTRO_OK) {
    char *info = NULL;
    struct mstro__proto_pm_info pi;
    assert_int_equal(mstro_pm_getinfo(&info), MSTRO_OK);
    assert_int_equal(mstro__proto_info_parse(info, &pi, NULL, 0), MSTRO_OK);
    assert_int_equal(strncmp(pi.addrs[0], "ofi:", 4), 0);
    free(info);
    assert_int_equal(mstro_pm_start(), MSTRO_NOT_TWICE);
    assert_int_equal(mstro_pm_terminate(), MSTRO_OK);
  }
}

int main(void)
{
  snprintf(log_path, sizeof log_path, "/tmp/test_pm_server.%d.log", (int)getpid());
  setenv("MSTRO_LOG_DST", log_path, 1);
  setenv("MSTRO_LOG_LEVEL", "info", 1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_join_welcome),
      cmocka_unit_test(test_join_refused),
      cmocka_unit_test(test_heartbeat_and_leave),
      cmocka_unit_test(test_silent_member_dropped),
      cmocka_unit_test(test_pool_ops),
      cmocka_unit_test(test_offer_lifetime),
      cmocka_unit_test(test_subscribe_barrier),
      cmocka_unit_test(test_garbage_sender_dropped),
      cmocka_unit_test(test_lying_sources),
      cmocka_unit_test(test_shutdown_tells_members),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_public_api),
      cmocka_unit_test(test_pm_start),
  };
  int rc = cmocka_run_group_tests_name("pm_server", tests, NULL, NULL);
  if (rc == 0)
    unlink(log_path);
  else
    fprintf(stderr, "the Pool Manager's log is in %s\n", log_path);
  return rc;
}
