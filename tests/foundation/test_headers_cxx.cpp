/* SPDX-License-Identifier: BSD-3-Clause */
// The public headers as a C++17 client sees them (DESIGN.md section 3): the
// event kinds and subscription options are enums on which clients define
// their own operator|, and both event payload spellings alias one storage.
extern "C" {
#include <lyt.h>
#include <maestro.h>
#include <mamba.h>
}
#include <cstdio>
#include <cstring>

static inline mstro_pool_event_kind operator|(mstro_pool_event_kind a, mstro_pool_event_kind b)
{
  return static_cast<mstro_pool_event_kind>(static_cast<int>(a) | static_cast<int>(b));
}
static inline mstro_subscription_opts operator|(mstro_subscription_opts a,
                                                mstro_subscription_opts b)
{
  return static_cast<mstro_subscription_opts>(static_cast<int>(a) | static_cast<int>(b));
}

static int popcount(unsigned v)
{
  int n = 0;
  for (; v; v &= v - 1)
    n++;
  return n;
}

int main()
{
  int failures = 0;
  mstro_pool_event_kind k = MSTRO_POOL_EVENT_OFFER | MSTRO_POOL_EVENT_DEMAND;
  mstro_subscription_opts o =
      MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK | MSTRO_SUBSCRIPTION_OPTS_SIGNAL_BEFORE;
  const mstro_pool_event_kind kinds[] = {MSTRO_POOL_EVENT_DECLARE,
                                         MSTRO_POOL_EVENT_SEAL,
                                         MSTRO_POOL_EVENT_OFFER,
                                         MSTRO_POOL_EVENT_REQUIRE,
                                         MSTRO_POOL_EVENT_RETRACT,
                                         MSTRO_POOL_EVENT_DEMAND,
                                         MSTRO_POOL_EVENT_WITHDRAW,
                                         MSTRO_POOL_EVENT_DISPOSE,
                                         MSTRO_POOL_EVENT_TRANSFER_STARTED,
                                         MSTRO_POOL_EVENT_TRANSFER_COMPLETED,
                                         MSTRO_POOL_EVENT_APP_JOIN,
                                         MSTRO_POOL_EVENT_APP_LEAVE,
                                         MSTRO_POOL_EVENT_GROUP_SEAL,
                                         MSTRO_POOL_EVENT_GROUP_OFFER,
                                         MSTRO_POOL_EVENT_GROUP_DEMAND,
                                         MSTRO_POOL_EVENT_GROUP_WITHDRAW,
                                         MSTRO_POOL_EVENT_POOL_MANAGER_LEAVE};
  unsigned seen = 0;
  for (mstro_pool_event_kind x : kinds) {
    if (popcount(static_cast<unsigned>(x)) != 1 || (seen & static_cast<unsigned>(x))) {
      std::printf("event kind %#x is not a distinct bit flag\n", static_cast<unsigned>(x));
      failures++;
    }
    seen |= static_cast<unsigned>(x);
  }
  if (static_cast<int>(k) != (MSTRO_POOL_EVENT_OFFER + MSTRO_POOL_EVENT_DEMAND) ||
      static_cast<int>(o) != 3)
    failures++;

  struct mstro_pool_event_ ev;
  std::memset(&ev, 0, sizeof ev);
  // Written through one spelling, read through the other (payloads of
  // different kinds share storage, so one kind at a time).
  ev.payload.offer.cdo_name = "x";
  if (ev.offer.cdo_name == nullptr || ev.offer.cdo_name[0] != 'x')
    failures++;
  ev.join.component_name = "c";
  if (ev.payload.join.component_name == nullptr || ev.payload.join.component_name[0] != 'c')
    failures++;
  ev.leave.appid = 42;
  if (ev.payload.leave.appid != 42)
    failures++;
  std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "ok", failures);
  return failures ? 1 : 0;
}
