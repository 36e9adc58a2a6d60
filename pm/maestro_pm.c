/* SPDX-License-Identifier: BSD-3-Clause */
/* maestro-pm: the Pool Manager process (DESIGN.md section 4).
 *
 * Prints exactly `MSTRO_POOL_MANAGER_INFO;<info>;` on stdout (flushed), then
 * serves membership until SIGTERM, SIGINT or SIGUSR2 (or, with
 * --exit-when-idle, until every component that joined has left), telling the
 * remaining components (PM_LEAVE) before it exits. See docs/pool-manager.md.
 *
 * Exit status: 0 after a signal or when idle; 1 when it cannot start (bad
 * option, no fabric endpoint); 3 when the control channel failed for good.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal_api.h"
#include "maestro.h"
#include "pm_chan.h"
#include "pm_server.h"
#include "proto_codec.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
  stop_signal = sig;
}

static void usage(FILE *out)
{
  fprintf(out, "Usage: maestro-pm [options]\n"
               "\n"
               "Runs the Maestro Pool Manager of one workflow. Prints\n"
               "MSTRO_POOL_MANAGER_INFO;<info>; on stdout (give <info> to the components in\n"
               "MSTRO_POOL_MANAGER_INFO), then serves until SIGTERM, SIGINT or SIGUSR2.\n"
               "\n"
               "Options:\n"
               "  -w, --workflow=NAME      workflow to serve (default: $MSTRO_WORKFLOW_NAME, else\n"
               "                           \"maestro\")\n"
               "  -i, --exit-when-idle     stop once every component that joined has left\n"
               "      --heartbeat-ms=N     heartbeat interval told to components (default 1000)\n"
               "      --heartbeat-grace=N  silent intervals before a component is dropped\n"
               "                           (default 10)\n"
               "  -t, --transport=NAME     transport of the control channel (default OFI)\n"
               "      --send-queue=N       messages queued for a component that does not take\n"
               "                           them before it is dropped (default 4096)\n"
               "      --send-stall-ms=N    a component whose queue does not move for N ms is\n"
               "                           dropped (default heartbeat-ms * heartbeat-grace)\n"
               "  -f, --info-file=FILE     also write the contact string (what\n"
               "                           MSTRO_POOL_MANAGER_INFO takes) to FILE, created mode\n"
               "                           0600 and renamed into place whole, for components on\n"
               "                           other nodes\n"
               "  -h, --help               this text\n"
               "  -V, --version            version and control protocol version\n"
               "\n"
               "The MSTRO_* environment is checked as mstro_init checks it: a bad value is\n"
               "refused at start. Exit status: 0 after a signal or when idle; 1 when it cannot\n"
               "start; 3 when the control channel failed for good.\n"
               "\n"
               "Example:\n"
               "  maestro-pm --workflow=wf --exit-when-idle > pm.info &\n");
}

static int parse_u32(const char *opt, const char *text, uint32_t *out)
{
  char *end = NULL;
  errno = 0;
  unsigned long v = text ? strtoul(text, &end, 10) : 0;
  if (text == NULL || *text == '\0' || *end != '\0' || errno != 0 || v == 0 || v > 3600000ul ||
      text[0] == '-') {
    fprintf(stderr, "maestro-pm: %s needs a number from 1 to 3600000, not '%s'\n", opt,
            text ? text : "");
    return -1;
  }
  *out = (uint32_t)v;
  return 0;
}

enum { OPT_HEARTBEAT_MS = 256, OPT_HEARTBEAT_GRACE, OPT_SEND_QUEUE, OPT_SEND_STALL_MS };

/* What the command line sets besides the server's configuration. */
struct cli {
  const char *transport; /* NULL: OFI */
  const char *info_file; /* NULL: stdout only */
};

/* The options into cfg and *cli: 0 to run, -1 to exit 0 (--help,
 * --version answered), 1 for a bad option (exit 1). */
static int parse_args(int argc, char **argv, struct mstro__pm_config *cfg, struct cli *cli)
{
  static const struct option longopts[] = {
      {"workflow", required_argument, NULL, 'w'},
      {"exit-when-idle", no_argument, NULL, 'i'},
      {"heartbeat-ms", required_argument, NULL, OPT_HEARTBEAT_MS},
      {"heartbeat-grace", required_argument, NULL, OPT_HEARTBEAT_GRACE},
      {"send-queue", required_argument, NULL, OPT_SEND_QUEUE},
      {"send-stall-ms", required_argument, NULL, OPT_SEND_STALL_MS},
      {"transport", required_argument, NULL, 't'},
      {"info-file", required_argument, NULL, 'f'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "w:it:f:hV", longopts, NULL)) != -1) {
    switch (c) {
    case 'w':
      cfg->workflow_name = optarg;
      break;
    case 'i':
      cfg->exit_when_idle = true;
      break;
    case 't':
      cli->transport = optarg;
      break;
    case 'f':
      cli->info_file = optarg;
      break;
    case OPT_HEARTBEAT_MS:
      if (parse_u32("--heartbeat-ms", optarg, &cfg->heartbeat_ms) != 0)
        return 1;
      break;
    case OPT_HEARTBEAT_GRACE:
      if (parse_u32("--heartbeat-grace", optarg, &cfg->heartbeat_grace) != 0)
        return 1;
      break;
    case OPT_SEND_QUEUE: {
      uint32_t n = 0;
      if (parse_u32("--send-queue", optarg, &n) != 0)
        return 1;
      cfg->send_queue_max = n;
      break;
    }
    case OPT_SEND_STALL_MS:
      if (parse_u32("--send-stall-ms", optarg, &cfg->send_stall_ms) != 0)
        return 1;
      break;
    case 'h':
      usage(stdout);
      return -1;
    case 'V':
      printf("maestro-pm %s (control protocol version %u)\n", mstro_version(),
             MSTRO__PROTO_VERSION);
      return -1;
    default: /* getopt_long said what is wrong */
      usage(stderr);
      return 1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "maestro-pm: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 1;
  }
  return 0;
}

/* The contact string holds the workflow secret: FILE is readable by its
 * owner only (mode 0600 whatever the umask or an older file's mode), and a
 * reader polling for it never sees half of it (written aside, renamed). */
static int write_info_file(const char *path, const char *info)
{
  int rc = -1;
  char tmp[4096];
  int fd = -1;
  size_t n = strlen(info);
  if (snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof tmp) {
    fprintf(stderr, "maestro-pm: --info-file path too long\n");
    goto cleanup;
  }
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || fchmod(fd, 0600) != 0 || write(fd, info, n) != (ssize_t)n ||
      write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
    fprintf(stderr, "maestro-pm: cannot write %s: %s\n", tmp, strerror(errno));
    goto cleanup;
  }
  if (close(fd) != 0 || rename(tmp, path) != 0) {
    fd = -1;
    fprintf(stderr, "maestro-pm: cannot create %s: %s\n", path, strerror(errno));
    goto cleanup;
  }
  fd = -1;
  rc = 0;
cleanup:
  if (fd >= 0)
    close(fd);
  if (rc != 0)
    unlink(tmp);
  return rc;
}

int main(int argc, char **argv)
{
  struct mstro__pm_config cfg = {0};
  struct cli cli = {0};
  char err[600] = "";
  cfg.workflow_name = getenv("MSTRO_WORKFLOW_NAME");
  int rc = parse_args(argc, argv, &cfg, &cli);
  if (rc != 0)
    return rc < 0 ? 0 : 1;
  /* Refuse what mstro_init would refuse rather than run with defaults that
   * the components, which do refuse it, will not share. */
  if (mstro__env_check(err, sizeof err) != MSTRO_OK) {
    fprintf(stderr, "maestro-pm: %s\n", err);
    return 1;
  }
  if (cfg.workflow_name == NULL || cfg.workflow_name[0] == '\0')
    cfg.workflow_name = "maestro";

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct mstro__pm_chan *chan = NULL;
  struct mstro__pm_server *srv = NULL;
  char *info = NULL;
  mstro_status st = mstro__pm_chan_mtr_open(cli.transport, &chan);
  if (st != MSTRO_OK) {
    fprintf(stderr, "maestro-pm: cannot open a %s endpoint for the control channel: %s\n",
            cli.transport ? cli.transport : "OFI", mstro_status_description(st));
    return 1;
  }
  st = mstro__pm_server_create(&cfg, chan, &srv);
  if (st == MSTRO_OK)
    st = mstro__pm_server_info(srv, &info);
  if (st != MSTRO_OK) {
    fprintf(stderr, "maestro-pm: cannot start: %s\n", mstro_status_description(st));
    mstro__pm_server_destroy(srv);
    return 1;
  }
  if (cli.info_file != NULL && write_info_file(cli.info_file, info) != 0) {
    free(info);
    mstro__pm_server_destroy(srv);
    return 1;
  }
  printf("MSTRO_POOL_MANAGER_INFO;%s;", info);
  fflush(stdout);
  free(info);

  st = mstro__pm_server_run(srv, &stop_signal);
  mstro__pm_server_destroy(srv);
  if (st != MSTRO_OK) {
    fprintf(stderr, "maestro-pm: the control channel failed: %s\n", mstro_status_description(st));
    return 3;
  }
  return 0;
}
