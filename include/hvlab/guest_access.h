/* Reading and writing guest memory from a hypercall. Guest pointers are virtual
 * addresses in the calling vCPU's address space; every access is checked: the range
 * must lie in the guest half, and a fault while copying (unmapped, or read-only for a
 * write) makes the call return -EFAULT instead of crashing the hypervisor. */
#ifndef HVLAB_GUEST_ACCESS_H
#define HVLAB_GUEST_ACCESS_H

#include <hvlab/types.h>

int copy_from_guest(void *dst, uint64_t guest_va, size_t n);
int copy_to_guest(uint64_t guest_va, const void *src, size_t n);
/* True when [va, va+n) lies entirely in the guest half of the address space. */
bool guest_range_ok(uint64_t va, size_t n);

#endif
