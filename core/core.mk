# Generic hypervisor code.
HV_SRCS += core/main.c core/console.c core/printk.c core/panic.c core/symbols.c \
	core/percpu.c core/smp.c core/timer.c core/acpi.c core/mem_init.c \
	core/topology.c core/selftest.c
