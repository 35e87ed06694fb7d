# Host test of the benchmarks' pure logic (bench/period_edge.h: the sleeper's bounds
# on the running time a period received).
UNIT_TESTS += period_edge
unit_period_edge_SRCS := tests/unit/test_period_edge.c

# bench/hostpmu.c (sched-bench's host counters): counts, or says why there are none.
UNIT_TESTS += hostpmu
unit_hostpmu_SRCS := tests/unit/test_hostpmu.c bench/hostpmu.c
