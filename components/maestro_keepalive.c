/* SPDX-License-Identifier: BSD-3-Clause */
/* maestro-keepalive: mstro_keepalive_run as a program (see --help). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "comp_prog.h"
#include "maestro.h"
#include "maestro_components.h"

static const char prog[] = "maestro-keepalive";

#define MAX_ATTRS 64

static void usage(void)
{
  printf("Usage: %s [OPTION]...\n"
         "Keep offered CDOs in the pool after their producer withdrew them.\n"
         "\n"
         "For each CDO another component of the workflow of MSTRO_POOL_MANAGER_INFO\n"
         "offers that the selector matches, the keep-alive proxy demands it and offers its\n"
         "own copy before the producer's offer returns (_REQUIRE_ACK), and withdraws the\n"
         "copy once a release condition holds (the first that does).\n"
         "\n"
         "It prints \"%s: subscribed\" once it listens, then one line per CDO kept,\n"
         "released or refused; it stops on SIGINT, SIGTERM or SIGUSR2 and withdraws what it\n"
         "still keeps.\n"
         "\n"
         "Options:\n"
         "  -q, --selector=QUERY  keep only the offers that match QUERY (docs/selectors.md;\n"
         "                        default: every CDO)\n"
         "  -u, --uses=N          release after N demands by other components (default 1\n"
         "                        when no other condition is given)\n"
         "  -f, --for=S           release S seconds after it was kept\n"
         "  -r, --release=NAME    release everything when a CDO called NAME is offered\n"
         "  -m, --max-bytes=B     keep at most B bytes (K, M, G suffixes): the oldest kept CDO\n"
         "                        is released first to make room; a CDO larger than B is\n"
         "                        refused with a warning\n"
         "  -a, --attr=KEY        copy attribute KEY too (repeatable; the layout keys are\n"
         "                        always copied)\n",
         prog, prog);
  mstro__prog_common_help("stop after N CDOs were kept and released");
}

int main(int argc, char **argv)
{
  static const struct option longopts[] = {{"selector", required_argument, NULL, 'q'},
                                           {"uses", required_argument, NULL, 'u'},
                                           {"for", required_argument, NULL, 'f'},
                                           {"release", required_argument, NULL, 'r'},
                                           {"max-bytes", required_argument, NULL, 'm'},
                                           {"attr", required_argument, NULL, 'a'},
                                           MSTRO__PROG_COMMON_LONGOPTS};
  static const char *attrs[MAX_ATTRS + 1];
  size_t n_attrs = 0;
  bool uses_given = false;
  struct mstro__prog_common common = {0};
  struct mstro_keepalive_opts o;
  int c, r;
  mstro_keepalive_opts_init(&o);
  o.uses = 0;
  while ((c = getopt_long(argc, argv, "q:u:f:r:m:a:" MSTRO__PROG_COMMON_SHORTOPTS, longopts,
                          NULL)) != -1) {
    switch (c) {
    case 'q':
      o.selector = optarg;
      break;
    case 'u':
      if (!mstro__prog_count(optarg, &o.uses) || o.uses < 1)
        return mstro__prog_usage_error(prog, "bad --uses '%s' (at least 1)", optarg);
      uses_given = true;
      break;
    case 'f':
      if (!mstro__prog_seconds(optarg, &o.for_s) || o.for_s <= 0)
        return mstro__prog_usage_error(prog, "bad --for '%s' (seconds > 0)", optarg);
      break;
    case 'r':
      o.release_name = optarg;
      break;
    case 'm':
      if (!mstro__prog_bytes(optarg, &o.max_bytes) || o.max_bytes == 0)
        return mstro__prog_usage_error(prog, "bad --max-bytes '%s'", optarg);
      break;
    case 'a':
      if (n_attrs == MAX_ATTRS)
        return mstro__prog_usage_error(prog, "more than %d --attr", MAX_ATTRS);
      attrs[n_attrs++] = optarg;
      break;
    default:
      if ((r = mstro__prog_common_opt(prog, c, optarg, usage, &common)) != MSTRO__PROG_GO_ON)
        return r;
    }
  }
  o.max_kept = common.count;
  o.timeout_s = common.timeout_s;
  o.quiet = common.quiet;
  if (optind != argc)
    return mstro__prog_usage_error(prog, "unexpected argument '%s'", argv[optind]);
  if (!uses_given && o.for_s <= 0 && o.release_name == NULL)
    o.uses = 1;
  o.attrs = n_attrs > 0 ? attrs : NULL;
  o.should_stop = mstro__prog_should_stop;
  if (!mstro__prog_join(prog, "keepalive"))
    return 1;
  return mstro__prog_finish(prog, mstro_keepalive_run(&o));
}
