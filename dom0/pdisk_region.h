/* The region spec of pdisk.h, parsed and checked against the disks' sizes. Pure
 * (dom0/pdisk_region.c, host-tested by tests/unit/test_pdisk_region.c). */
#ifndef DOM0_PDISK_REGION_H
#define DOM0_PDISK_REGION_H

#include <hvlab/lib.h>

/* "vd<N>" (the whole disk) or "vd<N>:<start>+<sectors>" (decimal). 0 with *disk,
 * *start, *sectors set; or -EINVAL with the reason in why. */
int pdisk_region_check(const char *spec, unsigned nr_disks, const uint64_t *disk_sectors,
                       unsigned *disk, uint64_t *start, uint64_t *sectors,
                       char *why, size_t whylen);

#endif
