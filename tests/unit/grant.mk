# Host tests of the grant-table bookkeeping (core/grant_table.c) on the PV MMU's fake
# machine, with the real pv_mm, domain memory and nested page tables (= not :=:
# PV_MM_SRCS comes from pv_mm.mk, included after this file).
UNIT_TESTS += grant_table
unit_grant_table_SRCS = tests/unit/test_grant_table.c tests/unit/pv_fixture.c core/grant_table.c core/grant_table_map.c \
	mm/p2m.c $(PV_MM_SRCS)
