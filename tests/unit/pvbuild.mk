# Host tests of the PV domain builder and the ELF checker.
UNIT_TESTS += pvbuild
unit_pvbuild_SRCS := tests/unit/test_pvbuild.c core/lib/pvbuild.c core/lib/elf64.c \
	core/lib/vsnprintf.c
