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

int main(int argc, char **argv)
{
  const char *fake = NULL;
  int retry = 0, wrong = 0, offer = 0, leave = 0, heartbeat = 0, n_garbage = 0, wait_s = 0, i = 1;
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
