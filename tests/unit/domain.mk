# Host test of domain lookups and reference counts: core/domain_ref.c, with
# domain_free (the last put's work) defined in the test; lookups race destroys on
# several threads.
UNIT_TESTS += domain_ref
unit_domain_ref_SRCS := tests/unit/test_domain_ref.c core/domain_ref.c
unit_domain_ref_CFLAGS := -pthread
