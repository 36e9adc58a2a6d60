/* SPDX-License-Identifier: BSD-3-Clause */
/* The Pool Manager's indexes (pm_server_internal.h): an intrusive chained
 * hash table keyed by 64 bits, so that finding an offer, a ticket or the
 * requires of a name costs one lookup, not a scan of all of them. It doubles
 * its buckets at a load of one; a failed growth only lengthens the chains. */
#include <stdlib.h>
#include <string.h>

#include "pm_server_internal.h"

#define PM_HASH_INITIAL 64

static uint64_t mix(uint64_t x)
{
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

uint64_t mstro__pm_hash_str(const char *s)
{
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
  for (; *s != '\0'; s++)
    h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
  return h;
}

uint64_t mstro__pm_hash_pair(uint64_t a, uint64_t b)
{
  return mix(a * 0x9e3779b97f4a7c15ull ^ b);
}

mstro_status mstro__pm_hash_init(struct pm_hash *h)
{
  h->b = calloc(PM_HASH_INITIAL, sizeof *h->b);
  h->nb = h->b != NULL ? PM_HASH_INITIAL : 0;
  h->n = 0;
  return h->b != NULL ? MSTRO_OK : MSTRO_NOMEM;
}

static void grow(struct pm_hash *h)
{
  size_t nb = 2 * h->nb;
  struct pm_hnode **b = calloc(nb, sizeof *b);
  if (b == NULL)
    return;
  for (size_t i = 0; i < h->nb; i++)
    for (struct pm_hnode *n = h->b[i], *next; n != NULL; n = next) {
      next = n->next;
      n->next = b[mix(n->key) & (nb - 1)];
      b[mix(n->key) & (nb - 1)] = n;
    }
  free(h->b);
  h->b = b;
  h->nb = nb;
}

void mstro__pm_hash_insert(struct pm_hash *h, struct pm_hnode *n, uint64_t key)
{
  if (h->n >= h->nb)
    grow(h);
  n->key = key;
  struct pm_hnode **slot = &h->b[mix(key) & (h->nb - 1)];
  n->next = *slot;
  *slot = n;
  h->n++;
}

void mstro__pm_hash_remove(struct pm_hash *h, struct pm_hnode *n)
{
  for (struct pm_hnode **pp = &h->b[mix(n->key) & (h->nb - 1)]; *pp != NULL; pp = &(*pp)->next)
    if (*pp == n) {
      *pp = n->next;
      h->n--;
      return;
    }
}

struct pm_hnode *mstro__pm_hash_first(const struct pm_hash *h, uint64_t key)
{
  struct pm_hnode *n = h->nb > 0 ? h->b[mix(key) & (h->nb - 1)] : NULL;
  while (n != NULL && n->key != key)
    n = n->next;
  return n;
}

struct pm_hnode *mstro__pm_hash_next(const struct pm_hnode *n)
{
  uint64_t key = n->key;
  for (n = n->next; n != NULL && n->key != key; n = n->next)
    ;
  return (struct pm_hnode *)n;
}

void mstro__pm_hash_destroy(struct pm_hash *h)
{
  free(h->b);
  memset(h, 0, sizeof *h);
}
