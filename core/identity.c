/* The identity recorded by mstro_init, for the Pool Manager library
 * (identity.h). */
#include <stdatomic.h>

#include "core.h"
#include "identity.h"

const char *mstro__workflow_name(void)
{
  if (!atomic_load_explicit(&mstro__g.initialized, memory_order_acquire))
    return NULL;
  return mstro__g.workflow_name;
}
