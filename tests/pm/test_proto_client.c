/* SPDX-License-Identifier: BSD-3-Clause */
/* The component side of membership (proto_client) against a Pool Manager
 * started in this process with mstro_pm_start, over OFI: JOIN welcomed or
 * refused (MSTRO_AUTH, MSTRO_NOT_TWICE), HEARTBEAT answered, an EVENT_ACK for
 * an event no operation waits for refused with MSTRO_NOENT, LEAVE,
 * PM_LEAVE on mstro_pm_terminate, and
 * MSTRO_NO_PM within the timeout once the PM is gone. Skipped when no OFI
 * provider works here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "maestro/pool_manager.h"
#include "proto_client.h"

static char *info;

static struct mstro__proto_client_config cfg_for(const char *name, int64_t index)
{
  struct mstro__proto_client_config cfg = {.info = info,
                                           .workflow_name = "wf",
                                           .component_name = name,
                                           .component_index = index,
                                           .timeout_ms = 5000};
  return cfg;
}

static void test_bad_arguments(void **state)
{
  (void)state;
  struct mstro__proto_client *c = NULL;
  struct mstro__proto_client_config cfg = cfg_for("x", 0);
  cfg.info = "mpm1:nonsense";
  assert_int_equal(mstro__proto_client_join(&cfg, &c), MSTRO_INVARG);
  cfg = cfg_for("", 0);
  assert_int_equal(mstro__proto_client_join(&cfg, &c), MSTRO_INVARG);
  assert_int_equal(mstro__proto_client_join(NULL, &c), MSTRO_INVARG);
  assert_null(c);
  assert_int_equal(mstro__proto_client_leave(NULL), MSTRO_INVARG);
  mstro__proto_client_close(NULL);
}

static void test_join_work_leave(void **state)
{
  (void)state;
  struct mstro__proto_client *c = NULL;
  struct mstro__proto_client_config cfg = cfg_for("producer", 0);
  assert_int_equal(mstro__proto_client_join(&cfg, &c), MSTRO_OK);
  assert_true(mstro__proto_client_appid(c) >= 1);
  assert_true(mstro__proto_client_heartbeat_ms(c) > 0);

  assert_int_equal(mstro__proto_client_heartbeat(c), MSTRO_OK);
  Mstro__Proto__Envelope *e = NULL;
  assert_int_equal(mstro__proto_client_recv(c, &e, 5000), MSTRO_OK);
  assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_HEARTBEAT);
  mstro__proto_free(e);

  Mstro__Proto__Envelope env;
  Mstro__Proto__EventAck o;
  mstro__proto__envelope__init(&env);
  mstro__proto__event_ack__init(&o);
  o.event_id = 1;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_EVENT_ACK;
  env.event_ack = &o;
  uint64_t seq = 0;
  assert_int_equal(mstro__proto_client_send(c, &env, &seq), MSTRO_OK);
  assert_int_equal(mstro__proto_client_recv(c, &e, 5000), MSTRO_OK);
  assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_REFUSE);
  assert_int_equal(e->refuse->status, MSTRO_NOENT);
  assert_int_equal(e->in_reply_to, seq);
  mstro__proto_free(e);

  /* An invalid message is not sent. */
  Mstro__Proto__Subscribe sub;
  mstro__proto__subscribe__init(&sub);
  sub.kind_mask = 0;
  env.msg_case = MSTRO__PROTO__ENVELOPE__MSG_SUBSCRIBE;
  env.subscribe = &sub;
  assert_int_equal(mstro__proto_client_send(c, &env, NULL), MSTRO_INVMSG);
  assert_int_equal(mstro__proto_client_recv(c, &e, 0), MSTRO_TIMEOUT);

  /* The same name and index cannot join twice. */
  struct mstro__proto_client *twin = NULL;
  assert_int_equal(mstro__proto_client_join(&cfg, &twin), MSTRO_NOT_TWICE);
  assert_null(twin);

  assert_int_equal(mstro__proto_client_leave(c), MSTRO_OK);
  /* ... and after leaving it can. */
  assert_int_equal(mstro__proto_client_join(&cfg, &c), MSTRO_OK);
  assert_int_equal(mstro__proto_client_leave(c), MSTRO_OK);
}

static void test_refused(void **state)
{
  (void)state;
  struct mstro__proto_client *c = NULL;
  struct mstro__proto_client_config cfg = cfg_for("intruder", 0);
  cfg.workflow_name = "another";
  assert_int_equal(mstro__proto_client_join(&cfg, &c), MSTRO_AUTH);
  assert_null(c);

  char *wrong = strdup(info);
  char *hex = wrong + strlen("mpm1:");
  hex[10] = hex[10] == '0' ? '1' : '0';
  cfg = cfg_for("intruder", 0);
  cfg.info = wrong;
  assert_int_equal(mstro__proto_client_join(&cfg, &c), MSTRO_AUTH);
  assert_null(c);
  free(wrong);
}

/* Runs last: the PM stops. */
static void test_pm_goes_away(void **state)
{
  (void)state;
  struct mstro__proto_client *c = NULL;
  struct mstro__proto_client_config cfg = cfg_for("lingering", 0);
  cfg.timeout_ms = 1000;
  assert_int_equal(mstro__proto_client_join(&cfg, &c), MSTRO_OK);
  assert_int_equal(mstro_pm_terminate(), MSTRO_OK);
  Mstro__Proto__Envelope *e = NULL;
  assert_int_equal(mstro__proto_client_recv(c, &e, 5000), MSTRO_OK);
  assert_int_equal(e->msg_case, MSTRO__PROTO__ENVELOPE__MSG_PM_LEAVE);
  mstro__proto_free(e);
  assert_int_equal(mstro__proto_client_leave(c), MSTRO_NO_PM);

  /* The old contact string leads nowhere: MSTRO_NO_PM within the timeout. */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cfg = cfg_for("late", 0);
  cfg.timeout_ms = 1000;
  assert_int_equal(mstro__proto_client_join(&cfg, &c), MSTRO_NO_PM);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("join of a gone PM: MSTRO_NO_PM after %.2f s (timeout 1 s)\n", s);
  assert_true(s < 5.0);
  free(info);
  info = NULL;
}

int main(void)
{
  setenv("MSTRO_WORKFLOW_NAME", "wf", 1);
  mstro_status s = mstro_pm_start();
  if (s == MSTRO_TRANSPORT) {
    printf("SKIP: no OFI endpoint can be opened here\n");
    return 77;
  }
  if (s != MSTRO_OK || mstro_pm_getinfo(&info) != MSTRO_OK) {
    printf("mstro_pm_start: %s\n", mstro_status_description(s));
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_join_work_leave),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_pm_goes_away),
  };
  int rc = cmocka_run_group_tests_name("proto_client", tests, NULL, NULL);
  if (info != NULL) { /* a test failed before the PM was stopped */
    mstro_pm_terminate();
    free(info);
  }
  return rc;
}
