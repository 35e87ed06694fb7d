# HVM virtual devices: pure state machines (time passed in, no locks), built into the
# hypervisor and tested on the host.
# Interrupt controllers: local APIC per vCPU, IOAPIC, 8259 pair, per-domain routing
# (tests/unit/vintc.mk).
HV_SRCS += core/hvm/vlapic.c core/hvm/vlapic_regs.c core/hvm/vlapic_timer.c \
	core/hvm/vioapic.c core/hvm/vpic.c core/hvm/virq_route.c
