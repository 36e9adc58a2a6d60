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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  fprintf(out,
          "usage: maestro-pm [options]\n"
          "Runs the Maestro Pool Manager. Prints MSTRO_POOL_MANAGER_INFO;<info>; on stdout,\n"
          "then serves until SIGTERM, SIGINT or SIGUSR2.\n"
          "  --workflow NAME      workflow to serve (default: $MSTRO_WORKFLOW_NAME, else "
          "\"maestro\")\n"
          "  --exit-when-idle     stop once every component that joined has left\n"
          "  --heartbeat-ms N     heartbeat interval told to components (default 1000)\n"
          "  --heartbeat-grace N  silent intervals before a component is dropped (default 10)\n"
          "  --transport NAME     transport of the control channel (default OFI)\n"
          "  --send-queue N       messages queued for a component that does not take them\n"
          "                       before it is dropped (default 4096)\n"
          "  --send-stall-ms N    a component whose queue does not move for N ms is dropped\n"
          "                       (default heartbeat-ms * heartbeat-grace)\n"
          "  --version, --help\n");
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

int main(int argc, char **argv)
{
  struct mstro__pm_config cfg = {0};
  const char *transport = NULL;
  cfg.workflow_name = getenv("MSTRO_WORKFLOW_NAME");
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--version") == 0) {
      printf("maestro-pm %s (control protocol version %u)\n", mstro_version(),
             MSTRO__PROTO_VERSION);
      return 0;
    } else if (strcmp(a, "--exit-when-idle") == 0) {
      cfg.exit_when_idle = true;
    } else if (strcmp(a, "--workflow") == 0 && next != NULL) {
      cfg.workflow_name = argv[++i];
    } else if (strcmp(a, "--transport") == 0 && next != NULL) {
      transport = argv[++i];
    } else if (strcmp(a, "--heartbeat-ms") == 0) {
      if (parse_u32(a, next, &cfg.heartbeat_ms) != 0)
        return 1;
      i++;
    } else if (strcmp(a, "--heartbeat-grace") == 0) {
      if (parse_u32(a, next, &cfg.heartbeat_grace) != 0)
        return 1;
      i++;
    } else if (strcmp(a, "--send-queue") == 0) {
      uint32_t n = 0;
      if (parse_u32(a, next, &n) != 0)
        return 1;
      cfg.send_queue_max = n;
      i++;
    } else if (strcmp(a, "--send-stall-ms") == 0) {
      if (parse_u32(a, next, &cfg.send_stall_ms) != 0)
        return 1;
      i++;
    } else {
      fprintf(stderr, "maestro-pm: unknown option or missing value: '%s'\n", a);
      usage(stderr);
      return 1;
    }
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
  mstro_status st = mstro__pm_chan_mtr_open(transport, &chan);
  if (st != MSTRO_OK) {
    fprintf(stderr, "maestro-pm: cannot open a %s endpoint for the control channel: %s\n",
            transport ? transport : "OFI", mstro_status_description(st));
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
