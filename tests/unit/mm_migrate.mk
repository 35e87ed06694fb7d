# Host tests of the memory mover's pure arithmetic (mm/migrate_plan.c): node checks, the
# free-memory test, a batch's old -> new map, the trace's (from, to) groups.
UNIT_TESTS += mm_migrate
unit_mm_migrate_SRCS := tests/unit/test_mm_migrate.c mm/migrate_plan.c
