# The PV domain builder (pure logic, also linked into the guest runtime for dom0's
# toolstack and tested on the host: tests/unit/pvbuild.mk).
HV_SRCS += core/lib/elf64.c core/lib/pvbuild.c
