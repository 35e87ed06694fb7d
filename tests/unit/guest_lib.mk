# Host test of the guest runtime's pure helpers (command line, numbers, errno names).
UNIT_TESTS += guest_lib
unit_guest_lib_SRCS := tests/unit/test_guest_lib.c guest/lib.c
unit_guest_lib_CFLAGS := -Iguest/include
