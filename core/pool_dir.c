/* SPDX-License-Identifier: BSD-3-Clause */
/* The pool directory: offers, requires and waiting demands per name.
 * A chained hash table of entries; an entry is freed as soon as it lists
 * nothing, so that the memory stays proportional to what is in the pool. */
#include "pool_dir.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "mstro_log.h"

struct vec {
  void **v;
  size_t n, cap;
};

struct entry {
  struct entry *next; /* hash chain */
  uint64_t hash;
  char *name;
  struct vec offers;   /* oldest first */
  struct vec requires; /* tokens */
  struct vec waiters;  /* demands waiting, oldest first */
};

struct mstro__pool_dir {
  struct entry **buckets;
  size_t nbuckets; /* power of two */
  size_t nentries;
  size_t noffers;
};

static uint64_t hash_name(const char *s)
{
  uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
  for (; *s != '\0'; s++) {
    h ^= (unsigned char)*s;
    h *= UINT64_C(1099511628211);
  }
  return h;
}

static int vec_push(struct vec *v, void *p)
{
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 2;
    void **nv = realloc(v->v, cap * sizeof *nv);
    if (nv == NULL)
      return -1;
    v->v = nv;
    v->cap = cap;
  }
  v->v[v->n++] = p;
  return 0;
}

static ssize_t vec_find(const struct vec *v, const void *p)
{
  for (size_t i = 0; i < v->n; i++)
    if (v->v[i] == p)
      return (ssize_t)i;
  return -1;
}

/* Order-preserving removal. */
static void vec_remove_at(struct vec *v, size_t i)
{
  memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof *v->v);
  v->n--;
}

mstro_status mstro__pool_dir_create(mstro__pool_dir **dir)
{
  mstro_status st = MSTRO_OK;
  mstro__pool_dir *d = NULL;
  MSTRO_CHECK(POOL, dir != NULL, st, MSTRO_INVARG, "NULL result pointer");
  d = calloc(1, sizeof *d);
  MSTRO_CHECK(POOL, d != NULL, st, MSTRO_NOMEM, "cannot allocate the pool directory");
  d->nbuckets = 64;
  d->buckets = calloc(d->nbuckets, sizeof *d->buckets);
  MSTRO_CHECK(POOL, d->buckets != NULL, st, MSTRO_NOMEM, "cannot allocate the pool directory");
  *dir = d;
  d = NULL;
cleanup:
  if (d != NULL)
    free(d);
  return st;
}

static void entry_free(struct entry *e)
{
  free(e->offers.v);
  free(e->requires.v);
  free(e->waiters.v);
  free(e->name);
  free(e);
}

void mstro__pool_dir_destroy(mstro__pool_dir *dir)
{
  if (dir == NULL)
    return;
  for (size_t b = 0; b < dir->nbuckets; b++) {
    struct entry *e = dir->buckets[b];
    while (e != NULL) {
      struct entry *n = e->next;
      entry_free(e);
      e = n;
    }
  }
  free(dir->buckets);
  free(dir);
}

static struct entry *find(const mstro__pool_dir *dir, const char *name, uint64_t h)
{
  for (struct entry *e = dir->buckets[h & (dir->nbuckets - 1)]; e != NULL; e = e->next)
    if (e->hash == h && strcmp(e->name, name) == 0)
      return e;
  return NULL;
}

static void grow(mstro__pool_dir *dir)
{
  size_t nb = dir->nbuckets * 2;
  struct entry **b = calloc(nb, sizeof *b);
  if (b == NULL)
    return; /* keep the longer chains; still correct */
  for (size_t i = 0; i < dir->nbuckets; i++) {
    struct entry *e = dir->buckets[i];
    while (e != NULL) {
      struct entry *n = e->next;
      e->next = b[e->hash & (nb - 1)];
      b[e->hash & (nb - 1)] = e;
      e = n;
    }
  }
  free(dir->buckets);
  dir->buckets = b;
  dir->nbuckets = nb;
}

static struct entry *find_or_add(mstro__pool_dir *dir, const char *name)
{
  uint64_t h = hash_name(name);
  struct entry *e = find(dir, name, h);
  if (e != NULL)
    return e;
  e = calloc(1, sizeof *e);
  if (e == NULL)
    return NULL;
  e->name = strdup(name);
  if (e->name == NULL) {
    free(e);
    return NULL;
  }
  e->hash = h;
  if (dir->nentries + 1 > dir->nbuckets)
    grow(dir);
  e->next = dir->buckets[h & (dir->nbuckets - 1)];
  dir->buckets[h & (dir->nbuckets - 1)] = e;
  dir->nentries++;
  return e;
}

/* Free the entry when it lists nothing any more. */
static void maybe_drop(mstro__pool_dir *dir, struct entry *e)
{
  if (e->offers.n || e->requires.n || e->waiters.n)
    return;
  struct entry **pp = &dir->buckets[e->hash & (dir->nbuckets - 1)];
  while (*pp != e)
    pp = &(*pp)->next;
  *pp = e->next;
  dir->nentries--;
  entry_free(e);
}

mstro_status mstro__pool_dir_offer(mstro__pool_dir *dir, const char *name, void *offer,
                                   mstro__pool_dir_match_fn match, void *ctx)
{
  mstro_status st = MSTRO_OK;
  struct entry *e = NULL;
  MSTRO_CHECK(POOL, dir != NULL && name != NULL && offer != NULL, st, MSTRO_INVARG,
              "NULL directory, name or offer");
  e = find_or_add(dir, name);
  MSTRO_CHECK(POOL, e != NULL, st, MSTRO_NOMEM, "cannot add '%s' to the pool directory", name);
  MSTRO_CHECK(POOL, vec_find(&e->offers, offer) < 0, st, MSTRO_INVARG,
              "offer %p of '%s' is already in the pool directory", offer, name);
  MSTRO_CHECK(POOL, vec_push(&e->offers, offer) == 0, st, MSTRO_NOMEM,
              "cannot add an offer of '%s' to the pool directory", name);
  dir->noffers++;
  /* Every waiting demand is matched with this offer. */
  for (size_t i = 0; i < e->waiters.n; i++)
    if (match != NULL)
      match(e->waiters.v[i], offer, ctx);
  e->waiters.n = 0;
cleanup:
  if (st != MSTRO_OK && e != NULL)
    maybe_drop(dir, e);
  return st;
}

mstro_status mstro__pool_dir_withdraw(mstro__pool_dir *dir, const char *name, void *offer)
{
  mstro_status st = MSTRO_OK;
  struct entry *e = NULL;
  ssize_t i;
  MSTRO_CHECK(POOL, dir != NULL && name != NULL && offer != NULL, st, MSTRO_INVARG,
              "NULL directory, name or offer");
  e = find(dir, name, hash_name(name));
  i = e ? vec_find(&e->offers, offer) : -1;
  MSTRO_CHECK(POOL, i >= 0, st, MSTRO_NOENT, "no offer %p of '%s' in the pool directory", offer,
              name);
  vec_remove_at(&e->offers, (size_t)i);
  dir->noffers--;
  maybe_drop(dir, e);
cleanup:
  return st;
}

void *mstro__pool_dir_lookup(const mstro__pool_dir *dir, const char *name)
{
  struct entry *e;
  if (dir == NULL || name == NULL)
    return NULL;
  e = find(dir, name, hash_name(name));
  return (e != NULL && e->offers.n > 0) ? e->offers.v[0] : NULL;
}

mstro_status mstro__pool_dir_require(mstro__pool_dir *dir, const char *name, void *token)
{
  mstro_status st = MSTRO_OK;
  struct entry *e = NULL;
  MSTRO_CHECK(POOL, dir != NULL && name != NULL && token != NULL, st, MSTRO_INVARG,
              "NULL directory, name or token");
  e = find_or_add(dir, name);
  MSTRO_CHECK(POOL, e != NULL, st, MSTRO_NOMEM, "cannot add '%s' to the pool directory", name);
  MSTRO_CHECK(POOL, vec_find(&e->requires, token) < 0, st, MSTRO_NOT_TWICE,
              "'%s' is already required by %p", name, token);
  MSTRO_CHECK(POOL, vec_push(&e->requires, token) == 0, st, MSTRO_NOMEM,
              "cannot record a require of '%s'", name);
cleanup:
  if (st != MSTRO_OK && e != NULL)
    maybe_drop(dir, e);
  return st;
}

mstro_status mstro__pool_dir_retract(mstro__pool_dir *dir, const char *name, void *token)
{
  mstro_status st = MSTRO_OK;
  struct entry *e = NULL;
  ssize_t i;
  MSTRO_CHECK(POOL, dir != NULL && name != NULL && token != NULL, st, MSTRO_INVARG,
              "NULL directory, name or token");
  e = find(dir, name, hash_name(name));
  i = e ? vec_find(&e->requires, token) : -1;
  MSTRO_CHECK(POOL, i >= 0, st, MSTRO_NOENT, "'%s' is not required by %p", name, token);
  vec_remove_at(&e->requires, (size_t)i);
  maybe_drop(dir, e);
cleanup:
  return st;
}

size_t mstro__pool_dir_required_count(const mstro__pool_dir *dir, const char *name)
{
  struct entry *e;
  if (dir == NULL || name == NULL)
    return 0;
  e = find(dir, name, hash_name(name));
  return e ? e->requires.n : 0;
}

mstro_status mstro__pool_dir_demand(mstro__pool_dir *dir, const char *name, void *waiter,
                                    void **offer)
{
  mstro_status st = MSTRO_OK;
  struct entry *e = NULL;
  MSTRO_CHECK(POOL, dir != NULL && name != NULL && waiter != NULL && offer != NULL, st,
              MSTRO_INVARG, "NULL directory, name, waiter or result");
  *offer = NULL;
  e = find_or_add(dir, name);
  MSTRO_CHECK(POOL, e != NULL, st, MSTRO_NOMEM, "cannot add '%s' to the pool directory", name);
  if (e->offers.n > 0) {
    *offer = e->offers.v[0];
  } else {
    MSTRO_CHECK(POOL, vec_find(&e->waiters, waiter) < 0, st, MSTRO_NOT_TWICE,
                "demand %p of '%s' is already waiting", waiter, name);
    MSTRO_CHECK(POOL, vec_push(&e->waiters, waiter) == 0, st, MSTRO_NOMEM,
                "cannot record a demand of '%s'", name);
  }
cleanup:
  if (e != NULL)
    maybe_drop(dir, e);
  return st;
}

mstro_status mstro__pool_dir_cancel_demand(mstro__pool_dir *dir, const char *name, void *waiter)
{
  mstro_status st = MSTRO_OK;
  struct entry *e = NULL;
  ssize_t i;
  MSTRO_CHECK(POOL, dir != NULL && name != NULL && waiter != NULL, st, MSTRO_INVARG,
              "NULL directory, name or waiter");
  e = find(dir, name, hash_name(name));
  i = e ? vec_find(&e->waiters, waiter) : -1;
  MSTRO_CHECK(POOL, i >= 0, st, MSTRO_NOENT, "no demand %p of '%s' is waiting", waiter, name);
  vec_remove_at(&e->waiters, (size_t)i);
  maybe_drop(dir, e);
cleanup:
  return st;
}

size_t mstro__pool_dir_offer_count(const mstro__pool_dir *dir)
{
  return dir ? dir->noffers : 0;
}

size_t mstro__pool_dir_name_count(const mstro__pool_dir *dir)
{
  return dir ? dir->nentries : 0;
}

void mstro__pool_dir_foreach_offer(const mstro__pool_dir *dir, mstro__pool_dir_offer_fn fn,
                                   void *ctx)
{
  if (dir == NULL || fn == NULL)
    return;
  for (size_t b = 0; b < dir->nbuckets; b++)
    for (struct entry *e = dir->buckets[b]; e != NULL; e = e->next)
      for (size_t i = 0; i < e->offers.n; i++)
        fn(e->name, e->offers.v[i], ctx);
}
