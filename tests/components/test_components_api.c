/* SPDX-License-Identifier: BSD-3-Clause */
/* The library functions of libmaestro-components in one process, without a
 * Pool Manager: mstro_librarian_run in a thread of its own serves an archive
 * written here to a consumer in the main thread (its require is held until
 * the CDO is offered; every byte and attribute checked; a require of a name
 * the archive lacks is answered at once); the error returns of both calls. */
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "maestro.h"
#include "maestro_components.h"

#define SIZE 10007

static char dir[] = "/tmp/test_components_api.XXXXXX";
static atomic_int stop_flag;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int ready;
static mstro_status run_status;

static void write_file(const char *name, const void *buf, size_t len)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static unsigned char pattern(size_t k)
{
  return (unsigned char)(k * 131u + 7u);
}

static void on_ready(void *ctx)
{
  (void)ctx;
  pthread_mutex_lock(&ready_lock);
  ready = 1;
  pthread_cond_broadcast(&ready_cv);
  pthread_mutex_unlock(&ready_lock);
}

static bool should_stop(void *ctx)
{
  (void)ctx;
  return atomic_load(&stop_flag) != 0;
}

static void *librarian(void *arg)
{
  run_status = mstro_librarian_run(arg);
  return NULL;
}

static int setup(void **state)
{
  (void)state;
  unsetenv("MSTRO_POOL_MANAGER_INFO");
  if (mkdtemp(dir) == NULL || mstro_init("components_api", "test", 0) != MSTRO_OK)
    return -1;
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  int rc = system(cmd);
  return mstro_finalize() == MSTRO_OK && rc == 0 ? 0 : -1;
}

static void test_errors(void **state)
{
  (void)state;
  struct mstro_librarian_opts lo;
  struct mstro_keepalive_opts ko;
  assert_int_equal(mstro_librarian_run(NULL), MSTRO_INVARG);
  mstro_librarian_opts_init(&lo);
  assert_int_equal(mstro_librarian_run(&lo), MSTRO_INVARG); /* no dir */
  lo.dir = "/nonexistent/archive";
  assert_int_equal(mstro_librarian_run(&lo), MSTRO_INVARG);
  lo.dir = dir;
  lo.selector = "(name ~=";
  assert_int_equal(mstro_librarian_run(&lo), MSTRO_INVARG);
  assert_int_equal(mstro_keepalive_run(NULL), MSTRO_INVARG);
  mstro_keepalive_opts_init(&ko);
  ko.uses = 0;
  assert_int_equal(mstro_keepalive_run(&ko), MSTRO_INVARG); /* no release condition */
  mstro_keepalive_opts_init(&ko);
  assert_int_equal(mstro_keepalive_run(&ko), MSTRO_NO_PM);
  mstro_librarian_opts_init(NULL);
  mstro_keepalive_opts_init(NULL);
}

static void test_librarian_in_process(void **state)
{
  (void)state;
  static unsigned char data[SIZE];
  for (size_t k = 0; k < SIZE; k++)
    data[k] = pattern(k);
  write_file("api-0.data", data, SIZE);
  const char yaml[] = "name: \"api-0\"\nscope.local-size: 10007\nlifetime: 77\n"
                      "layout.element-size: 1\n";
  write_file("api-0.yaml", yaml, sizeof yaml - 1);
  const char bad[] = "name: \"api-1\"\nscope.local-size: 3\nlayout.order: 7\n";
  write_file("api-1.yaml", bad, sizeof bad - 1);
  write_file("api-1.data", "abc", 3);

  struct mstro_librarian_opts o;
  mstro_librarian_opts_init(&o);
  o.dir = dir;
  o.quiet = true;
  o.should_stop = should_stop;
  o.on_ready = on_ready;
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, librarian, &o), 0);
  pthread_mutex_lock(&ready_lock);
  while (!ready)
    pthread_cond_wait(&ready_cv, &ready_lock);
  pthread_mutex_unlock(&ready_lock);

  /* a name the archive lacks: answered at once */
  mstro_cdo none = NULL;
  assert_int_equal(mstro_cdo_declare("not-archived", MSTRO_ATTR_DEFAULT, &none), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(none), MSTRO_OK);
  assert_int_equal(mstro_cdo_retract(none), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(none), MSTRO_OK);
  /* the attribute the schema refuses (layout.order 7): skipped, so api-1
   * is "not held" too */
  assert_int_equal(mstro_cdo_declare("api-1", MSTRO_ATTR_DEFAULT, &none), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(none), MSTRO_OK);
  assert_int_equal(mstro_cdo_retract(none), MSTRO_OK);
  assert_int_equal(mstro_cdo_dispose(none), MSTRO_OK);

  /* an archived one: staged before the require returns */
  mstro_cdo c = NULL;
  void *p = NULL;
  int64_t len = 0;
  enum mstro_cdo_attr_value_type vt;
  const void *v = NULL;
  assert_int_equal(mstro_cdo_declare("api-0", MSTRO_ATTR_DEFAULT, &c), MSTRO_OK);
  assert_int_equal(mstro_cdo_require(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_demand(c), MSTRO_OK);
  assert_int_equal(mstro_cdo_access_ptr(c, &p, &len), MSTRO_OK);
  assert_int_equal(len, SIZE);
  assert_memory_equal(p, data, SIZE);
  assert_int_equal(mstro_cdo_attribute_get(c, MSTRO_ATTR_CORE_CDO_LIFETIME, &vt, &v), MSTRO_OK);
  assert_int_equal(*(const int64_t *)v, 77);
  assert_int_equal(mstro_cdo_attribute_get(c, MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE, &vt, &v),
                   MSTRO_OK);
  assert_int_equal(*(const int64_t *)v, 1);
  assert_int_equal(mstro_cdo_dispose(c), MSTRO_OK);

  atomic_store(&stop_flag, 1);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_int_equal(run_status, MSTRO_OK);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_librarian_in_process),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
