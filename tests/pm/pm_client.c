/* SPDX-License-Identifier: BSD-3-Clause */
/* A test client of a running maestro-pm over the transport layer (OFI
 * control messages), speaking the control protocol directly: it is what the
 * core's component side will do at mstro_init, reduced to what the tests of
 * the Pool Manager need.
 *
 *   pm_client [options] COMPONENT_NAME INDEX
 *     reads MSTRO_POOL_MANAGER_INFO and MSTRO_WORKFLOW_NAME
 *     --wrong-secret    flip one bit of the secret
 *     --retry           join with a wrong secret first, then (same endpoint) right
 *     --offer           after WELCOME, send an EVENT_ACK for an event no operation
 *                       waits for (expect REFUSE MSTRO_NOENT)
 *     --heartbeat       after WELCOME, send a HEARTBEAT (expect one back)
 *     --leave           after WELCOME, send LEAVE (expect BYE)
 *     --wait-pm-leave S after WELCOME, wait up to S seconds for PM_LEAVE
 *     --fake-address A  claim endpoint address A in the JOIN, do not wait for
 *                       an answer (a JOIN the PM cannot answer)
 *     --garbage N       before joining, from a separate endpoint, send N random
 *                       and mutated frames (a stranger's fuzzing)
 *     --member-fuzz N   after WELCOME, send N pool and event messages with
 *                       random fields (unknown ids, hostile names, garbage
 *                       attributes, descriptors and selectors), a few of
 *                       them also byte-mutated, under this member's session
 *                       (a joined member's fuzzing); answers are not awaited
 *     --seed S          seed of --member-fuzz (default 4321)
 *
 * Prints one line per answer ("WELCOME appid=1", "REFUSE status=MSTRO_AUTH
 * reason=...", "BYE", "HEARTBEAT", "PM_LEAVE reason=...", "TIMEOUT") and
 * exits 0 when every step got an answer, 1 otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pm_chan.h"
#include "proto_codec.h"

#define X(name, text) [name] = #name,
static const char *const status_names[] = {MSTRO_STATUS_LIST(X)};
#undef X

static struct mstro__pm_chan *ch;
static mstro__pm_peer pm;
static uint64_t seq, appid, session;
static uint8_t rxbuf[MSTRO__PROTO_FRAME_MAX];

static int send_env(struct mstro__pm_chan *c, Mstro__Proto__Envelope *e)
{
  uint8_t *buf = NULL;
  size_t len = 0;
  e->sender_appid = appid;
  e->session = session;
  if (mstro__proto_encode_alloc(e, &buf, &len) != MSTRO_OK)
    return -1;
  mstro_status s = c->ops->send(c, pm, buf, len, 5000);
  free(buf);
  return s == MSTRO_OK ? 0 : -1;
}

/* Waits for the next frame from the PM and prints it; NULL on timeout. */
static Mstro__Proto__Envelope *receive(int timeout_ms)
{
  size_t len = 0;
  mstro__pm_peer from;
  Mstro__Proto__Envelope *e = NULL;
  mstro_status s = ch->ops->recv(ch, &from, rxbuf, sizeof rxbuf, &len, timeout_ms);
  if (s != MSTRO_OK || mstro__proto_decode(rxbuf, len, &e, NULL, 0) != MSTRO_OK) {
    printf("TIMEOUT\n");
    fflush(stdout);
    return NULL;
  }
  switch (e->msg_case) {
  case MSTRO__PROTO__ENVELOPE__MSG_WELCOME:
    printf("WELCOME appid=%llu\n", (unsigned long long)e->welcome->appid);
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_REFUSE:
    printf("REFUSE status=%s reason=%s\n", status_names[e->refuse->status], e->refuse->reason);
    break;
  case MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE:
    printf("PM_LEAVE reason=%s\n", e->pm_leave->reason);
    break;
  default:
    printf("%s\n", mstro__proto_msg_name(e->msg_case));
    break;
  }
  fflush(stdout);
  return e;
}

/* A stranger's fuzzing: random bytes, and mutated valid frames. */
static int garbage(const char *pm_addr, int n)
{
  struct mstro__pm_chan *g = NULL;
  mstro__pm_peer p;
  if (mstro__pm_chan_mtr_open(NULL, &g) != MSTRO_OK ||
      g->ops->peer_insert(g, pm_addr, &p) != MSTRO_OK)
    return -1;
  Mstro__Proto__Envelope e;
  Mstro__Proto__Heartbeat h;
  mstro__proto_envelope_init(&e, 1);
  mstro__proto__heartbeat__init(&h);
  h.timestamp_ns = 12345;
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT;
  e.heartbeat = &h;
  uint8_t valid[64], buf[600];
  size_t vlen = 0;
  mstro__proto_encode(&e, valid, sizeof valid, &vlen);
  srand(1234);
  for (int i = 0; i < n; i++) {
    size_t len;
    if (i % 2) {
      len = (size_t)rand() % sizeof buf;
      for (size_t k = 0; k < len; k++)
        buf[k] = (uint8_t)rand();
    } else {
      memcpy(buf, valid, vlen);
      len = vlen;
      buf[(size_t)rand() % len] ^= (uint8_t)(1 + rand() % 255);
    }
    if (g->ops->send(g, p, buf, len, 5000) != MSTRO_OK)
      return -1;
  }
  g->ops->close(g);
  return 0;
}

/* Random bytes for names, attributes and descriptors: sometimes empty,
 * sometimes long, sometimes a plausible name a real member uses. */
static size_t rand_bytes(uint8_t *b, size_t cap)
{
  size_t len = (size_t)rand() % 4 == 0 ? 0 : (size_t)rand() % cap;
  for (size_t k = 0; k < len; k++)
    b[k] = (uint8_t)rand();
  return len;
}

static char *rand_name(char *b, size_t cap)
{
  static const char *const plausible[] = {"cdo-0", "cdo-1", "consumer-done", "x"};
  if (rand() % 16 == 0) {
    b[0] = '\0'; /* refused by the encoder's checks, like the PM's decoder would */
  } else if (rand() % 2) {
    snprintf(b, cap, "%s", plausible[(size_t)rand() % 4]);
  } else {
    size_t len = 1 + (size_t)rand() % (cap - 2);
    for (size_t k = 0; k < len; k++)
      b[k] = (char)(32 + rand() % 95); /* printable: protobuf strings are UTF-8 */
    b[len] = '\0';
  }
  return b;
}

static uint64_t rand_id(void)
{
  switch (rand() % 4) {
  case 0:
    return 0;
  case 1:
    return (uint64_t)(rand() % 8); /* collides with real ids */
  case 2:
    return UINT64_MAX - (uint64_t)(rand() % 4);
  default:
    return ((uint64_t)rand() << 32) ^ (uint64_t)rand();
  }
}

/* A joined member's fuzzing: well-formed envelopes of the pool and event
 * messages carrying hostile field values, and byte-mutated copies of them.
 * The PM must stay up (and may drop this member); nothing is awaited. */
static int member_fuzz(int n, unsigned seed)
{
  static uint8_t a1[2048], a2[256];
  static char n1[400], n2[300];
  static const char *const selectors[] = {"(has .maestro.core.cdo.name)", "(((((", "(and)",
                                          "(.maestro.core.cdo.scope.local-size > -1)", ""};
  srand(seed);
  for (int i = 0; i < n; i++) {
    Mstro__Proto__Envelope e;
    mstro__proto_envelope_init(&e, ++seq);
    union {
      Mstro__Proto__Declare declare;
      Mstro__Proto__Offer offer;
      Mstro__Proto__Require require;
      Mstro__Proto__Retract retract;
      Mstro__Proto__Demand demand;
      Mstro__Proto__Withdraw withdraw;
      Mstro__Proto__Dispose dispose;
      Mstro__Proto__TransferCompleted completed;
      Mstro__Proto__Subscribe subscribe;
      Mstro__Proto__Unsubscribe unsubscribe;
      Mstro__Proto__EventAck ack;
    } m;
    Mstro__Proto__TransportKind kinds[3] = {(Mstro__Proto__TransportKind)(1 + rand() % 4),
                                            MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_OFI,
                                            MSTRO__PROTO__TRANSPORT_KIND__TRANSPORT_GFS};
    switch (rand() % 11) {
    case 0:
      mstro__proto__declare__init(&m.declare);
      m.declare.cdo_name = rand_name(n1, sizeof n1);
      m.declare.local_id = rand_id();
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DECLARE;
      e.declare = &m.declare;
      break;
    case 1:
      mstro__proto__offer__init(&m.offer);
      m.offer.cdo_id = rand_id();
      m.offer.cdo_name = rand_name(n1, sizeof n1);
      m.offer.attributes = (ProtobufCBinaryData){rand_bytes(a1, sizeof a1), a1};
      m.offer.size = rand() % 2 ? rand_id() : (uint64_t)(rand() % 100000);
      m.offer.region_desc = (ProtobufCBinaryData){rand_bytes(a2, sizeof a2), a2};
      m.offer.n_transports = (size_t)rand() % 4;
      m.offer.transports = kinds;
      m.offer.gfs_path = rand_name(n2, sizeof n2);
      m.offer.mio_object = rand() % 2 ? "obj" : "";
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_OFFER;
      e.offer = &m.offer;
      break;
    case 2:
      mstro__proto__require__init(&m.require);
      m.require.cdo_id = rand_id();
      m.require.cdo_name = rand_name(n1, sizeof n1);
      m.require.attributes = (ProtobufCBinaryData){rand_bytes(a1, sizeof a1), a1};
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_REQUIRE;
      e.require = &m.require;
      break;
    case 3:
      mstro__proto__retract__init(&m.retract);
      m.retract.cdo_id = rand_id();
      m.retract.cdo_name = rand_name(n1, sizeof n1);
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_RETRACT;
      e.retract = &m.retract;
      break;
    case 4:
      mstro__proto__demand__init(&m.demand);
      m.demand.cdo_id = rand_id();
      m.demand.cdo_name = rand_name(n1, sizeof n1);
      m.demand.attributes = (ProtobufCBinaryData){rand_bytes(a1, sizeof a1), a1};
      m.demand.prefetched = rand() % 2;
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DEMAND;
      e.demand = &m.demand;
      break;
    case 5:
      mstro__proto__withdraw__init(&m.withdraw);
      m.withdraw.cdo_id = rand_id();
      m.withdraw.cdo_name = rand_name(n1, sizeof n1);
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_WITHDRAW;
      e.withdraw = &m.withdraw;
      break;
    case 6:
      mstro__proto__dispose__init(&m.dispose);
      m.dispose.cdo_id = rand_id();
      m.dispose.cdo_name = rand_name(n1, sizeof n1);
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_DISPOSE;
      e.dispose = &m.dispose;
      break;
    case 7:
      mstro__proto__transfer_completed__init(&m.completed);
      m.completed.ticket_id = rand_id() | 1;
      m.completed.cdo_id = rand_id();
      m.completed.status = (uint32_t)(rand() % 2 ? 0 : rand() % 20);
      m.completed.size = rand_id();
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_TRANSFER_COMPLETED;
      e.transfer_completed = &m.completed;
      break;
    case 8:
      mstro__proto__subscribe__init(&m.subscribe);
      m.subscribe.subscription_id = rand_id();
      m.subscribe.selector =
          rand() % 3 ? (char *)selectors[(size_t)rand() % 5] : rand_name(n1, sizeof n1);
      m.subscribe.selector_namespace = rand() % 2 ? "" : rand_name(n2, sizeof n2);
      m.subscribe.kind_mask = (uint32_t)rand() & 0x1ffffu; /* every kind, APP_* included */
      m.subscribe.kind_mask |= 1u << (rand() % 17);
      m.subscribe.options = (uint32_t)rand() & 0xfu;
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE;
      e.subscribe = &m.subscribe;
      break;
    case 9:
      mstro__proto__unsubscribe__init(&m.unsubscribe);
      m.unsubscribe.subscription_id = rand_id();
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_UNSUBSCRIBE;
      e.unsubscribe = &m.unsubscribe;
      break;
    default:
      mstro__proto__event_ack__init(&m.ack);
      m.ack.subscription_id = rand_id();
      m.ack.event_id = rand_id();
      e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK;
      e.event_ack = &m.ack;
      break;
    }
    if (rand() % 7 == 0)
      e.in_reply_to = rand_id();
    e.sender_appid = appid;
    e.session = session;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (mstro__proto_encode_alloc(&e, &buf, &len) != MSTRO_OK)
      continue; /* the encoder refused it (e.g. out of bounds): nothing to send */
    /* rarely: the PM drops a member after a few malformed frames, and the
     * well-formed hostile messages should reach its handlers */
    if (rand() % 60 == 0 && len > 0)
      for (int k = 1 + rand() % 3; k > 0; k--)
        buf[(size_t)rand() % len] ^= (uint8_t)(1 + rand() % 255);
    mstro_status s = ch->ops->send(ch, pm, buf, len, 5000);
    free(buf);
    if (s != MSTRO_OK)
      return -1;
  }
  /* leave (if still a member), so that nothing it offered or subscribed
   * lingers; drain what the PM answered (tickets, refusals): not checked */
  Mstro__Proto__Envelope e;
  Mstro__Proto__Leave l;
  mstro__proto_envelope_init(&e, ++seq);
  mstro__proto__leave__init(&l);
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_LEAVE;
  e.leave = &l;
  if (send_env(ch, &e) != 0)
    return -1;
  size_t len = 0;
  mstro__pm_peer from;
  while (ch->ops->recv(ch, &from, rxbuf, sizeof rxbuf, &len, 200) == MSTRO_OK)
    ;
  return 0;
}

int main(int argc, char **argv)
{
  const char *fake = NULL;
  int retry = 0, wrong = 0, offer = 0, leave = 0, heartbeat = 0, n_garbage = 0, wait_s = 0, i = 1;
  int n_member_fuzz = 0;
  unsigned fuzz_seed = 4321;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--wrong-secret") == 0)
      wrong = 1;
    else if (strcmp(argv[i], "--fake-address") == 0 && i + 1 < argc)
      fake = argv[++i];
    else if (strcmp(argv[i], "--retry") == 0)
      retry = wrong = 1;
    else if (strcmp(argv[i], "--offer") == 0)
      offer = 1;
    else if (strcmp(argv[i], "--leave") == 0)
      leave = 1;
    else if (strcmp(argv[i], "--heartbeat") == 0)
      heartbeat = 1;
    else if (strcmp(argv[i], "--garbage") == 0 && i + 1 < argc)
      n_garbage = atoi(argv[++i]);
    else if (strcmp(argv[i], "--member-fuzz") == 0 && i + 1 < argc)
      n_member_fuzz = atoi(argv[++i]);
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      fuzz_seed = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--wait-pm-leave") == 0 && i + 1 < argc)
      wait_s = atoi(argv[++i]);
    else {
      fprintf(stderr, "pm_client: unknown option %s\n", argv[i]);
      return 1;
    }
  }
  if (argc - i != 2) {
    fprintf(stderr, "usage: pm_client [options] COMPONENT_NAME INDEX\n");
    return 1;
  }
  const char *name = argv[i];
  long long index = atoll(argv[i + 1]);
  const char *info_text = getenv("MSTRO_POOL_MANAGER_INFO");
  const char *wf = getenv("MSTRO_WORKFLOW_NAME");
  struct mstro__proto_pm_info info;
  if (wf == NULL || mstro__proto_info_parse(info_text, &info, NULL, 0) != MSTRO_OK) {
    fprintf(stderr, "pm_client: MSTRO_POOL_MANAGER_INFO or MSTRO_WORKFLOW_NAME missing or bad\n");
    return 1;
  }
  if (n_garbage > 0 && garbage(info.addrs[0], n_garbage) != 0) {
    fprintf(stderr, "pm_client: could not send garbage\n");
    return 1;
  }
  if (mstro__pm_chan_mtr_open(NULL, &ch) != MSTRO_OK ||
      ch->ops->peer_insert(ch, info.addrs[0], &pm) != MSTRO_OK) {
    fprintf(stderr, "pm_client: cannot reach the Pool Manager\n");
    return 1;
  }
  char addr[MSTRO__PM_ADDR_MAX], host[256] = "";
  ch->ops->addr(ch, addr, sizeof addr);
  gethostname(host, sizeof host - 1);
  if (wrong)
    info.secret[5] ^= 0x10;
  if (fake != NULL)
    snprintf(addr, sizeof addr, "%s", fake);

  Mstro__Proto__Envelope e;
  Mstro__Proto__Join j;
  mstro__proto_envelope_init(&e, ++seq);
  mstro__proto__join__init(&j);
  j.protocol_version = MSTRO__PROTO_VERSION;
  j.workflow_name = (char *)wf;
  j.component_name = (char *)name;
  j.component_index = index;
  j.workflow_secret = (ProtobufCBinaryData){MSTRO__PROTO_SECRET_LEN, info.secret};
  j.endpoint_address = (ProtobufCBinaryData){strlen(addr), (uint8_t *)addr};
  j.pid = (uint32_t)getpid();
  j.hostname = host;
  e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_JOIN;
  e.join = &j;
  int rc = 1;
  Mstro__Proto__Envelope *r = NULL;
  if (fake != NULL) {
    rc = send_env(ch, &e) == 0 ? 0 : 1;
    goto out;
  }
  if (send_env(ch, &e) != 0 || (r = receive(10000)) == NULL)
    goto out;
  if (retry && r->msg_case == MSTRO__PROTO__ENVELOPE__MSG_REFUSE) {
    mstro__proto_free(r);
    info.secret[5] ^= 0x10;
    e.seq = ++seq;
    if (send_env(ch, &e) != 0 || (r = receive(10000)) == NULL)
      goto out;
  }
  if (r->msg_case != MSTRO__PROTO__ENVELOPE__MSG_WELCOME) {
    rc = 0; /* a refusal is an answer; the caller checks which */
    goto out;
  }
  appid = r->welcome->appid;
  session = r->welcome->session;
  mstro__proto_free(r);
  r = NULL;

  if (heartbeat) {
    Mstro__Proto__Heartbeat h;
    mstro__proto_envelope_init(&e, ++seq);
    mstro__proto__heartbeat__init(&h);
    e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT;
    e.heartbeat = &h;
    if (send_env(ch, &e) != 0 || (r = receive(10000)) == NULL)
      goto out;
    mstro__proto_free(r);
    r = NULL;
  }
  if (offer) {
    /* an ack the PM does not wait for: refused, the member kept */
    Mstro__Proto__EventAck o;
    mstro__proto_envelope_init(&e, ++seq);
    mstro__proto__event_ack__init(&o);
    o.event_id = 1;
    e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK;
    e.event_ack = &o;
    if (send_env(ch, &e) != 0 || (r = receive(10000)) == NULL)
      goto out;
    mstro__proto_free(r);
    r = NULL;
  }
  if (n_member_fuzz > 0) {
    if (member_fuzz(n_member_fuzz, fuzz_seed) != 0)
      goto out;
    printf("FUZZED %d\n", n_member_fuzz);
    fflush(stdout);
  }
  if (wait_s > 0) {
    printf("WAITING\n");
    fflush(stdout);
    if ((r = receive(wait_s * 1000)) == NULL)
      goto out;
    mstro__proto_free(r);
    r = NULL;
  }
  if (leave) {
    Mstro__Proto__Leave l;
    mstro__proto_envelope_init(&e, ++seq);
    mstro__proto__leave__init(&l);
    e.msg_case = MSTRO__PROTO__ENVELOPE__MSG_LEAVE;
    e.leave = &l;
    if (send_env(ch, &e) != 0 || (r = receive(10000)) == NULL)
      goto out;
  }
  rc = 0;
out:
  mstro__proto_free(r);
  ch->ops->close(ch);
  return rc;
}
