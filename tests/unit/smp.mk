# CPU masks (include/hvlab/smp.h) across several words: built with NR_CPUS=200.
UNIT_TESTS += cpumask
unit_cpumask_SRCS := tests/unit/test_cpumask.c
unit_cpumask_CFLAGS := -DNR_CPUS=200
