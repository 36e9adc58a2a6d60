/* SPDX-License-Identifier: BSD-3-Clause */
/* The "unmapped" notification (mmb_memory.h): memory that libmamba frees or
 * unmaps is announced to whoever subscribed, the way UCX's memory events
 * tell its registration cache. The allocator calls mmb__notify_unmapped and
 * knows nothing of its listeners.
 *
 * A read-write lock keeps the list: notifications run concurrently under the
 * read lock, and unsubscribe takes the write lock, so that once it returns
 * no thread runs that handler any more. A free with no listener costs one
 * relaxed load. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "mmb_internal.h"
#include "mmb_log.h"

struct unmapped_sub {
  mmb_unmapped_fn fn;
  void *ctx;
};

static pthread_rwlock_t subs_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct unmapped_sub *subs;
static size_t n_subs, cap_subs;
/* n_subs for the lock-free test of the fast path: a subscription that races
 * with a free may miss that free (it did not exist when the free began). */
static atomic_size_t listening;

mmb_status mmb_unmapped_subscribe(mmb_unmapped_fn fn, void *ctx)
{
  mmb_status st = MMB_OK;
  bool locked = false;
  MMB_CHECK(GENERAL, fn != NULL, st, MMB_INVALID_ARG, "no handler to subscribe");
  pthread_rwlock_wrlock(&subs_lock);
  locked = true;
  if (n_subs == cap_subs) {
    size_t cap = cap_subs ? 2 * cap_subs : 8;
    struct unmapped_sub *s = realloc(subs, cap * sizeof *s);
    MMB_CHECK(GENERAL, s != NULL, st, MMB_OUT_OF_MEMORY, "no memory for an unmapped handler");
    subs = s;
    cap_subs = cap;
  }
  subs[n_subs++] = (struct unmapped_sub){.fn = fn, .ctx = ctx};
  atomic_store_explicit(&listening, n_subs, memory_order_relaxed);
cleanup:
  if (locked)
    pthread_rwlock_unlock(&subs_lock);
  return st;
}

mmb_status mmb_unmapped_unsubscribe(mmb_unmapped_fn fn, void *ctx)
{
  mmb_status st = MMB_NOT_FOUND;
  pthread_rwlock_wrlock(&subs_lock);
  for (size_t i = n_subs; i-- > 0;)
    if (subs[i].fn == fn && subs[i].ctx == ctx) {
      subs[i] = subs[--n_subs];
      st = MMB_OK;
      break;
    }
  atomic_store_explicit(&listening, n_subs, memory_order_relaxed);
  if (n_subs == 0) {
    free(subs);
    subs = NULL;
    cap_subs = 0;
  }
  pthread_rwlock_unlock(&subs_lock);
  if (st != MMB_OK)
    MMB_LOG_WARN(GENERAL, "unsubscribing an unmapped handler that is not subscribed");
  return st;
}

void mmb__notify_unmapped(const void *addr, size_t len)
{
  if (len == 0 || atomic_load_explicit(&listening, memory_order_relaxed) == 0)
    return;
  pthread_rwlock_rdlock(&subs_lock);
  for (size_t i = 0; i < n_subs; i++)
    subs[i].fn(subs[i].ctx, addr, len);
  pthread_rwlock_unlock(&subs_lock);
}
