/* SPDX-License-Identifier: BSD-3-Clause */
/* Offer lifetimes: a binary min-heap on the deadline, and an open-addressing
 * hash table (linear probing, backward-shift deletion) from an item to its
 * heap slot, kept up to date on every move, so that any item can be removed
 * in O(log n) without the caller storing a slot in its own structure. */
#include "pm_lifetime.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

struct entry {
  uint64_t deadline;
  void *item;
};

struct slot {
  void *key; /* NULL: free */
  size_t pos;
};

struct mstro__pm_lifetimes {
  struct entry *heap;
  size_t n, cap;
  struct slot *index;
  size_t icap; /* a power of two, at least twice n */
};

static size_t hash_ptr(const void *p, size_t mask)
{
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  return (size_t)x & mask;
}

static struct slot *index_find(const mstro__pm_lifetimes *lt, const void *key)
{
  size_t mask = lt->icap - 1;
  for (size_t i = hash_ptr(key, mask);; i = (i + 1) & mask) {
    if (lt->index[i].key == key)
      return &lt->index[i];
    if (lt->index[i].key == NULL)
      return NULL;
  }
}

static void index_put(struct slot *index, size_t icap, void *key, size_t pos)
{
  size_t mask = icap - 1, i = hash_ptr(key, mask);
  while (index[i].key != NULL && index[i].key != key)
    i = (i + 1) & mask;
  index[i].key = key;
  index[i].pos = pos;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void index_del(mstro__pm_lifetimes *lt, struct slot *s)
{
  size_t mask = lt->icap - 1, i = (size_t)(s - lt->index), j = i;
  lt->index[i].key = NULL;
  for (;;) {
    j = (j + 1) & mask;
    if (lt->index[j].key == NULL)
      return;
    size_t home = hash_ptr(lt->index[j].key, mask);
    /* the entry at j may move to i when i lies cyclically in [home, j) */
    bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      lt->index[i] = lt->index[j];
      lt->index[j].key = NULL;
      i = j;
    }
  }
}

static bool index_grow(mstro__pm_lifetimes *lt)
{
  size_t ncap = lt->icap * 2;
  struct slot *ni = calloc(ncap, sizeof *ni);
  if (ni == NULL)
    return false;
  for (size_t k = 0; k < lt->n; k++)
    index_put(ni, ncap, lt->heap[k].item, k);
  free(lt->index);
  lt->index = ni;
  lt->icap = ncap;
  return true;
}

static void place(mstro__pm_lifetimes *lt, size_t pos, struct entry e)
{
  lt->heap[pos] = e;
  index_find(lt, e.item)->pos = pos;
}

static void sift_up(mstro__pm_lifetimes *lt, size_t pos)
{
  struct entry e = lt->heap[pos];
  while (pos > 0) {
    size_t parent = (pos - 1) / 2;
    if (lt->heap[parent].deadline <= e.deadline)
      break;
    place(lt, pos, lt->heap[parent]);
    pos = parent;
  }
  place(lt, pos, e);
}

static void sift_down(mstro__pm_lifetimes *lt, size_t pos)
{
  struct entry e = lt->heap[pos];
  for (;;) {
    size_t c = 2 * pos + 1;
    if (c >= lt->n)
      break;
    if (c + 1 < lt->n && lt->heap[c + 1].deadline < lt->heap[c].deadline)
      c++;
    if (e.deadline <= lt->heap[c].deadline)
      break;
    place(lt, pos, lt->heap[c]);
    pos = c;
  }
  place(lt, pos, e);
}

mstro_status mstro__pm_lifetimes_create(mstro__pm_lifetimes **result)
{
  if (result == NULL)
    return MSTRO_INVARG;
  mstro__pm_lifetimes *lt = calloc(1, sizeof *lt);
  if (lt == NULL || (lt->index = calloc(16, sizeof *lt->index)) == NULL) {
    free(lt);
    return MSTRO_NOMEM;
  }
  lt->icap = 16;
  *result = lt;
  return MSTRO_OK;
}

void mstro__pm_lifetimes_destroy(mstro__pm_lifetimes *lt)
{
  if (lt == NULL)
    return;
  free(lt->heap);
  free(lt->index);
  free(lt);
}

mstro_status mstro__pm_lifetimes_add(mstro__pm_lifetimes *lt, void *item, uint64_t deadline_ns)
{
  if (lt == NULL || item == NULL || index_find(lt, item) != NULL)
    return MSTRO_INVARG;
  if (2 * (lt->n + 1) > lt->icap && !index_grow(lt))
    return MSTRO_NOMEM;
  if (lt->n == lt->cap) {
    size_t ncap = lt->cap ? 2 * lt->cap : 16;
    struct entry *nh = realloc(lt->heap, ncap * sizeof *nh);
    if (nh == NULL)
      return MSTRO_NOMEM;
    lt->heap = nh;
    lt->cap = ncap;
  }
  size_t pos = lt->n++;
  lt->heap[pos] = (struct entry){deadline_ns, item};
  index_put(lt->index, lt->icap, item, pos);
  sift_up(lt, pos);
  return MSTRO_OK;
}

/* Take the entry at pos out of the heap and the index. */
static void remove_at(mstro__pm_lifetimes *lt, struct slot *s)
{
  size_t pos = s->pos;
  index_del(lt, s);
  if (--lt->n == pos)
    return;
  struct entry last = lt->heap[lt->n];
  lt->heap[pos] = last;
  index_find(lt, last.item)->pos = pos;
  if (pos > 0 && lt->heap[(pos - 1) / 2].deadline > last.deadline)
    sift_up(lt, pos);
  else
    sift_down(lt, pos);
}

void mstro__pm_lifetimes_remove(mstro__pm_lifetimes *lt, void *item)
{
  struct slot *s;
  if (lt != NULL && item != NULL && (s = index_find(lt, item)) != NULL)
    remove_at(lt, s);
}

void *mstro__pm_lifetimes_pop_expired(mstro__pm_lifetimes *lt, uint64_t now_ns)
{
  if (lt == NULL || lt->n == 0 || lt->heap[0].deadline > now_ns)
    return NULL;
  void *item = lt->heap[0].item;
  remove_at(lt, index_find(lt, item));
  return item;
}

int mstro__pm_lifetimes_timeout_ms(const mstro__pm_lifetimes *lt, uint64_t now_ns, int max_ms)
{
  if (lt == NULL || lt->n == 0)
    return max_ms;
  uint64_t d = lt->heap[0].deadline;
  if (d <= now_ns)
    return 0;
  uint64_t ms = (d - now_ns + 999999) / 1000000; /* round up: wake at or after it */
  if (max_ms >= 0 && ms >= (uint64_t)max_ms)
    return max_ms;
  return ms < (uint64_t)INT_MAX ? (int)ms : INT_MAX; /* max_ms < 0: no bound but the deadline */
}

size_t mstro__pm_lifetimes_count(const mstro__pm_lifetimes *lt)
{
  return lt ? lt->n : 0;
}
