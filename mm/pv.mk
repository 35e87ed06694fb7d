# PV guest memory: domain frame ownership and page-type validation of guest page tables.
HV_SRCS += mm/domain_mem.c mm/pv_mm.c mm/pv_check.c
