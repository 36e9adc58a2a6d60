/* SPDX-License-Identifier: BSD-3-Clause */
/* mstro_subscribe(NULL, ...): a NULL selector means every CDO, as a selector
 * with a NULL query does. Locally (CDO events of any name) and across
 * processes: the maestro-core idiom
 *   mstro_subscribe(NULL, APP_JOIN | APP_LEAVE, REQUIRE_ACK, &s)
 * sees another component join and leave through a Pool Manager (a child
 * process running mstro_pm_start). The joiner is this program re-executed
 * (argv[1] == "joiner"), so that no child forks a process with threads; it
 * gets MSTRO_POOL_MANAGER_INFO as maestro-pm's whole stdout line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "maestro.h"

#define WF "nullsel"

static const char *self_path;
static char pm_info[4096];

static struct timespec in_seconds(int s)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += s;
  return ts;
}

static void test_local_every_cdo(void **state)
{
  (void)state;
  mstro_subscription s = NULL;
  mstro_pool_event e = NULL;
  const char *names[] = {"a", "b/c", "zzz-1"};
  assert_int_equal(mstro_init(WF, "local", 0), MSTRO_OK);
  assert_int_equal(
      mstro_subscribe(NULL, MSTRO_POOL_EVENT_DECLARE, MSTRO_SUBSCRIPTION_OPTS_DEFAULT, &s),
      MSTRO_OK);
  for (int i = 0; i < 3; i++) {
    mstro_cdo c = NULL;
    assert_int_equal(mstro_cdo_declare(names[i], MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
    assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);
  }
  int seen = 0;
  struct timespec until = in_seconds(10);
  while (seen < 3 && mstro_subscription_timedwait(s, &until, &e) == MSTRO_OK) {
    for (mstro_pool_event x = e; x != NULL; x = x->next) {
      assert_int_equal(x->kind, MSTRO_POOL_EVENT_DECLARE);
      assert_string_equal(x->declare.cdo_name, names[seen]);
      seen++;
    }
    assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  }
  assert_int_equal(seen, 3);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
  assert_int_equal(mstro_finalize(), MSTRO_OK);
}

static void test_across_processes_join_leave(void **state)
{
  (void)state;
  mstro_subscription s = NULL;
  setenv("MSTRO_POOL_MANAGER_INFO", pm_info, 1);
  assert_int_equal(mstro_init(WF, "watcher", 0), MSTRO_OK);
  assert_int_equal(mstro_subscribe(NULL, MSTRO_POOL_EVENT_APP_JOIN | MSTRO_POOL_EVENT_APP_LEAVE,
                                   MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK, &s),
                   MSTRO_OK);
  /* the joiner is given maestro-pm's whole stdout line, as pasted by hand */
  char line[sizeof pm_info + 64];
  snprintf(line, sizeof line, "MSTRO_POOL_MANAGER_INFO;%s;\n", pm_info);
  setenv("MSTRO_POOL_MANAGER_INFO", line, 1);
  pid_t j = fork();
  assert_true(j >= 0);
  if (j == 0) {
    execl(self_path, self_path, "joiner", (char *)NULL);
    _exit(127);
  }
  bool joined = false, left = false;
  struct timespec until = in_seconds(60);
  mstro_pool_event e = NULL;
  while (!left && mstro_subscription_timedwait(s, &until, &e) == MSTRO_OK) {
    for (mstro_pool_event x = e; x != NULL; x = x->next) {
      if (x->kind == MSTRO_POOL_EVENT_APP_JOIN && strcmp(x->join.component_name, "joiner") == 0) {
        assert_int_equal(x->join.component_index, 5);
        joined = true;
      } else if (x->kind == MSTRO_POOL_EVENT_APP_LEAVE &&
                 strcmp(x->leave.component_name, "joiner") == 0) {
        assert_int_equal(x->leave.crashed, 0);
        left = true;
      }
    }
    /* REQUIRE_ACK: the joiner's join and leave wait for this ack */
    assert_int_equal(mstro_subscription_ack(s, e), MSTRO_OK);
    assert_int_equal(mstro_pool_event_dispose(e), MSTRO_OK);
  }
  int wst = 0;
  assert_int_equal(waitpid(j, &wst, 0), j);
  assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
  assert_true(joined);
  assert_true(left);
  assert_int_equal(mstro_subscription_dispose(s), MSTRO_OK);
  assert_int_equal(mstro_finalize(), MSTRO_OK);
  unsetenv("MSTRO_POOL_MANAGER_INFO");
}

/* A PM in a child that has not forked anything: its info on `out`, then it
 * serves until `stop` closes. */
static pid_t start_pm(int *stop_fd)
{
  int info_pipe[2], stop_pipe[2];
  if (pipe(info_pipe) != 0 || pipe(stop_pipe) != 0)
    return -1;
  pid_t pm = fork();
  if (pm == 0) {
    char *info = NULL, c;
    close(info_pipe[0]);
    close(stop_pipe[1]);
    if (mstro_init(WF, "pm-host", 0) != MSTRO_OK || mstro_pm_start() != MSTRO_OK ||
        mstro_pm_getinfo(&info) != MSTRO_OK)
      _exit(2);
    size_t n = strlen(info) + 1;
    if (write(info_pipe[1], info, n) != (ssize_t)n)
      _exit(3);
    close(info_pipe[1]);
    free(info);
    while (read(stop_pipe[0], &c, 1) > 0) {
    }
    mstro_pm_terminate();
    mstro_finalize();
    _exit(0);
  }
  close(info_pipe[1]);
  close(stop_pipe[0]);
  size_t got = 0;
  ssize_t r;
  while (got < sizeof pm_info - 1 &&
         (r = read(info_pipe[0], pm_info + got, sizeof pm_info - 1 - got)) > 0)
    got += (size_t)r;
  pm_info[got] = '\0';
  close(info_pipe[0]);
  *stop_fd = stop_pipe[1];
  return got > 0 ? pm : -1;
}

int main(int argc, char **argv)
{
  setenv("FI_TCP_IFACE", "lo", 1);
  setenv("FI_SOCKETS_IFACE", "lo", 1);
  unsetenv("MSTRO_WORKFLOW_NAME");
  /* the joiner inherits MSTRO_POOL_MANAGER_INFO from the watcher */
  if (argc > 1 && strcmp(argv[1], "joiner") == 0)
    return mstro_init(WF, "joiner", 5) == MSTRO_OK && mstro_finalize() == MSTRO_OK ? 0 : 1;
  unsetenv("MSTRO_POOL_MANAGER_INFO");
  self_path = argv[0];
  int stop = -1;
  pid_t pm = start_pm(&stop);
  if (pm < 0) {
    printf("SKIP: no Pool Manager could be started here (no fabric endpoint)\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_local_every_cdo),
      cmocka_unit_test(test_across_processes_join_leave),
  };
  int rc = cmocka_run_group_tests_name("subscribe_null", tests, NULL, NULL);
  close(stop);
  int wst = 0;
  waitpid(pm, &wst, 0);
  return rc;
}
