# Host tests for core/lib (string.c is hypervisor-only: the host uses libc's).
UNIT_TESTS += vsnprintf cmdline timerq time_arith rbtree objpool
unit_vsnprintf_SRCS := tests/unit/test_vsnprintf.c core/lib/vsnprintf.c
unit_cmdline_SRCS := tests/unit/test_cmdline.c core/lib/cmdline.c core/lib/vsnprintf.c
unit_timerq_SRCS := tests/unit/test_timerq.c core/lib/timerq.c
unit_time_arith_SRCS := tests/unit/test_time_arith.c core/lib/time_arith.c
unit_rbtree_SRCS := tests/unit/test_rbtree.c core/lib/rbtree.c
unit_objpool_SRCS := tests/unit/test_objpool.c core/lib/objpool.c
UNIT_TESTS += guest_values
unit_guest_values_SRCS := tests/unit/test_guest_values.c core/lib/guest_values.c
