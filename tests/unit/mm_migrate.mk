# Host tests of the memory mover's pure arithmetic (mm/migrate_plan.c): node checks, the
# free-memory test, a batch's old -> new map, the trace's (from, to) groups.
UNIT_TESTS += mm_migrate
unit_mm_migrate_SRCS := tests/unit/test_mm_migrate.c mm/migrate_plan.c
# The PV mover itself (mm/migrate_pv.c, mm/migrate_batch.c) on a fake two-node machine,
# with the real page-type code and allocator (PV_MM_SRCS, from pv_mm.mk).
UNIT_TESTS += mm_migrate_pv
unit_mm_migrate_pv_SRCS = tests/unit/test_mm_migrate_pv.c mm/migrate_pv.c mm/migrate_batch.c \
	mm/migrate_plan.c $(PV_MM_SRCS)
