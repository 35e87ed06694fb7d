# Host tests for dom0's HVM loader and the HVM runtime: the Multiboot info that
# core/lib/hvmbuild writes (as dom0/xl_hvm.c asks) read back by guest/hvm/mbinfo.c.
UNIT_TESTS += hvm_mbinfo
unit_hvm_mbinfo_SRCS := tests/unit/test_hvm_mbinfo.c tests/unit/hvmbuild_fixture.c \
	guest/hvm/mbinfo.c $(HVMBUILD_SRCS) core/lib/vsnprintf.c
unit_hvm_mbinfo_CFLAGS := -Iguest/hvm
