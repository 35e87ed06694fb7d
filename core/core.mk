# Generic hypervisor code.
HV_SRCS += core/main.c core/console.c core/console_ring.c core/printk.c core/panic.c \
	core/symbols.c core/percpu.c core/smp.c core/timer.c core/acpi.c core/mem_init.c \
	core/topology.c core/selftest.c core/domain.c core/vcpu.c core/hypercall.c \
	core/mm_hypercalls.c core/domctl.c core/sysctl.c core/dom0_build.c core/trace.c
# The cost-model plugin's hint (docs/cost-model.md).
HV_SRCS += core/costmodel_hint.c
# pdisk: physical interrupt lines as event channels
HV_SRCS += core/pirq.c
# Virtual NUMA (docs/vnuma.md)
HV_SRCS += core/vnuma.c
# Ballooning: HVM reservations by gfn (docs/ballooning.md).
HV_SRCS += core/memop_hvm.c
# Domain lookups and reference counts (host-tested: tests/unit/domain.mk).
HV_SRCS += core/domain_ref.c core/domain_pause.c
# Grant tables (issue 11): the bookkeeping (host-tested: tests/unit/grant.mk), the hypercall.
HV_SRCS += core/grant_table.c core/grant_table_map.c core/grant_table_op.c
