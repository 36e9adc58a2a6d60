/* SPDX-License-Identifier: BSD-3-Clause */
/* maestro-librarian: mstro_librarian_run as a program (see --help). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "comp_prog.h"
#include "maestro.h"
#include "maestro_components.h"

static const char prog[] = "maestro-librarian";

static void usage(void)
{
  printf("Usage: %s [OPTION]... DIR\n"
         "Stage the CDOs of an archive back into the pool when components ask for them.\n"
         "\n"
         "DIR is an archive that simple_archiver wrote (DIR/<name>.data with its YAML\n"
         "sidecar DIR/<name>.yaml). When a component of the workflow of\n"
         "MSTRO_POOL_MANAGER_INFO requires or demands a CDO the archive holds and the\n"
         "selector matches, the librarian loads it from disk and offers it before that\n"
         "require or demand goes on (_REQUIRE_ACK), and withdraws it once it was\n"
         "demanded. Sidecars that do not parse are reported by file and line and skipped;\n"
         "the archive is only read.\n"
         "\n"
         "It prints \"%s: serving N CDO(s) from DIR\" once it listens, then one line per\n"
         "CDO staged or withdrawn, and stops on SIGINT, SIGTERM or SIGUSR2.\n"
         "\n"
         "Options:\n"
         "  -q, --selector=QUERY  offer only the CDOs whose archived attributes match QUERY\n"
         "                        (docs/selectors.md; default: every CDO)\n"
         "  -e, --eager           offer every matching CDO at start, not only on request\n"
         "  -l, --linger=S        withdraw a staged CDO S seconds after staging instead of\n"
         "                        at its first demand\n",
         prog, prog);
  mstro__prog_common_help("stop after N staged CDOs were withdrawn");
}

int main(int argc, char **argv)
{
  static const struct option longopts[] = {{"selector", required_argument, NULL, 'q'},
                                           {"eager", no_argument, NULL, 'e'},
                                           {"linger", required_argument, NULL, 'l'},
                                           MSTRO__PROG_COMMON_LONGOPTS};
  struct mstro__prog_common common = {0};
  struct mstro_librarian_opts o;
  int c, r;
  mstro_librarian_opts_init(&o);
  while ((c = getopt_long(argc, argv, "q:el:" MSTRO__PROG_COMMON_SHORTOPTS, longopts, NULL)) !=
         -1) {
    switch (c) {
    case 'q':
      o.selector = optarg;
      break;
    case 'e':
      o.eager = true;
      break;
    case 'l':
      if (!mstro__prog_seconds(optarg, &o.linger_s))
        return mstro__prog_usage_error(prog, "bad --linger '%s' (seconds)", optarg);
      break;
    default:
      if ((r = mstro__prog_common_opt(prog, c, optarg, usage, &common)) != MSTRO__PROG_GO_ON)
        return r;
    }
  }
  o.max_served = common.count;
  o.timeout_s = common.timeout_s;
  o.quiet = common.quiet;
  if (optind != argc - 1)
    return mstro__prog_usage_error(prog, "%s", "give exactly one archive directory");
  o.dir = argv[optind];
  o.should_stop = mstro__prog_should_stop;
  if (!mstro__prog_join(prog, "librarian"))
    return 1;
  return mstro__prog_finish(prog, mstro_librarian_run(&o));
}
