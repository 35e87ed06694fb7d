/* HVM reservations (core/memop_hvm.c): memory_op's decrease_reservation and
 * populate_physmap on an HVM domain, extents being gfns. Both return the number of
 * extents done, or -errno when none was: -EFAULT (extent array), -EINVAL (gfn not in
 * the RAM range below 3 GiB, or not a frame of d), -EBUSY (a frame d may not give:
 * shared, granted, referenced), -ENOENT (gfn maps nothing), -EEXIST (populate: gfn
 * maps a frame already), -ENOMEM (max_pages reached or no free frame). */
#ifndef HVLAB_MEMOP_HVM_H
#define HVLAB_MEMOP_HVM_H

#include <hvlab/domain.h>
#include <public/memory.h>

long memop_hvm_decrease(struct domain *d, const struct xen_memory_reservation *r);
long memop_hvm_populate(struct domain *d, const struct xen_memory_reservation *r,
                        unsigned node, unsigned memflags);

#endif
