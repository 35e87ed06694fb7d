/* Basic types shared by the hypervisor and its host-built unit tests. */
#ifndef HVLAB_TYPES_H
#define HVLAB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;   /* physical (machine) address */
typedef uint64_t mfn_t;     /* machine frame number: paddr >> PAGE_SHIFT */
typedef int64_t  s_time_t;  /* nanoseconds since boot, see NOW() */
typedef uint16_t domid_t;
typedef uint32_t vcpuid_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

#ifndef NR_CPUS
#define NR_CPUS      64     /* compile-time ceiling on pCPUs (the scheduler benchmark
                             * builds the policies with more) */
#endif
#define MAX_NUMNODES 8      /* compile-time ceiling on NUMA nodes */
#define NUMA_NO_NODE 0xff

#endif
