/* maestro-pm: the Pool Manager process (DESIGN.md section 4).
 * Not built yet: the pool manager arrives with the cross-application issue. */
#include <stdio.h>

#include "maestro.h"

int main(void)
{
  fprintf(stderr,
          "maestro-pm %s: the pool manager is not built yet; components run with a "
          "local pool only\n",
          mstro_version());
  return 2;
}
