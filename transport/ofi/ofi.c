/* OFI: placeholder until the libfabric transport lands. */
#include "mtr_internal.h"

static mtr_status ofi_probe(char *why, size_t whylen)
{
  mtr__why(why, whylen, "not implemented yet");
  return MTR_UNAVAILABLE;
}

const struct mtr_ops mtr__ofi_ops = {
    .size = sizeof(struct mtr_ops),
    .version = MTR_OPS_VERSION,
    .caps = MTR_CAP_MSG | MTR_CAP_RMA,
    .name = "OFI",
    .description = "libfabric RDM endpoints: control messages and one-sided RMA reads",
    .probe = ofi_probe,
};
