# Host test of the balloon's arithmetic (guest/balloon_calc.c: driver and toolstack).
UNIT_TESTS += balloon
unit_balloon_SRCS := tests/unit/test_balloon.c guest/balloon_calc.c
unit_balloon_CFLAGS := -Iguest/include
