/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared check of the store tests (header-only, include after cmocka.h). */
#ifndef MTR_STORE_CHECK_H
#define MTR_STORE_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mtr.h"

/* A writer process (its store from `cfg`) replaces `key` `rounds` times with
 * uniform n-byte values 'A'..'Z' while this process reads through `s`: every
 * read must be complete and uniform; a miss may be MTR_NOT_FOUND (before the
 * first put) or `transient`. Removes the key at the end. */
static inline void store_check_atomic_replace(const struct mtr_ops *ops,
                                              const struct mtr_store_config *cfg, mtr_store *s,
                                              const char *key, size_t n, int rounds,
                                              mtr_status transient)
{
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    mtr_store *w = NULL;
    unsigned char *a = malloc(n);
    if (a == NULL || mtr_store_open(ops, cfg, &w) != MTR_OK)
      _exit(1);
    for (int i = 0; i < rounds; i++) {
      memset(a, 'A' + i % 26, n);
      if (mtr_store_put(w, key, a, n) != MTR_OK)
        _exit(2);
    }
    free(a);
    mtr_store_close(w);
    _exit(0);
  }
  unsigned char *b = malloc(n);
  int reads = 0, status = 0;
  for (;;) {
    size_t got = 0;
    mtr_status st = mtr_store_get(s, key, b, n, &got);
    if (st == MTR_OK) {
      assert_int_equal(got, n);
      for (size_t i = 1; i < n; i++)
        if (b[i] != b[0])
          fail_msg("partial or mixed value seen at byte %zu", i);
      reads++;
    } else {
      assert_true(st == MTR_NOT_FOUND || st == transient);
    }
    if (waitpid(pid, &status, WNOHANG) == pid)
      break;
  }
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  print_message("%d complete reads during replacement\n", reads);
  assert_int_equal(mtr_store_remove(s, key), MTR_OK);
  free(b);
}

#endif
