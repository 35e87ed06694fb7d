# Host tests of the memory policies: the real mm/policy*.c files (MM_POLICY_SRCS, from
# pv_mm.mk) through mm/domain_mem.c on a fake four-node machine.
UNIT_TESTS += mm_policy
unit_mm_policy_SRCS = tests/unit/test_mm_policy.c tests/unit/mm_policy_broken.c $(PV_MM_SRCS)
