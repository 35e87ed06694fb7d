# Nested page tables of HVM domains (host-tested: tests/unit/p2m.mk).
HV_SRCS += mm/p2m.c
