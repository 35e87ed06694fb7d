# Host tests of the numa policy's own data structures (its behaviour: tests/unit/sched.mk).
UNIT_TESTS += numa_tree
unit_numa_tree_SRCS := tests/unit/test_numa_tree.c sched/numa_tree.c
