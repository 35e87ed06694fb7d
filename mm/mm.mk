# Memory management: boot allocator, frame table + buddy zones, node layer, heap.
HV_SRCS += mm/bootmem.c mm/buddy.c mm/page_alloc.c mm/numa.c mm/xmalloc.c
# Memory placement policies: the core, what they read of the machine, one file each.
HV_SRCS += mm/policy.c mm/policy_machine.c
HV_SRCS += mm/policy_local.c mm/policy_bind.c mm/policy_interleave.c mm/policy_first_touch.c \
	mm/policy_auto.c
# Moving a running domain's memory between nodes (DOMCTL_migrate_memory).
HV_SRCS += mm/migrate.c mm/migrate_batch.c mm/migrate_plan.c mm/migrate_hvm.c mm/migrate_pv.c
