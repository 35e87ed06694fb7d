# Memory management: boot allocator, frame table + buddy zones, node layer, heap.
HV_SRCS += mm/bootmem.c mm/buddy.c mm/page_alloc.c mm/numa.c mm/xmalloc.c
