# x86-64 arch code.
HV_SRCS += core/arch/x86/boot.S core/arch/x86/trampoline.S core/arch/x86/entry.S \
	core/arch/x86/desc.c core/arch/x86/traps.c core/arch/x86/apic.c \
	core/arch/x86/time.c core/arch/x86/smpboot.c core/arch/x86/paging.c \
	core/arch/x86/shutdown.c core/arch/x86/irqflags.c \
	core/arch/x86/switch.S core/arch/x86/context.c core/arch/x86/pv_traps.c \
	core/arch/x86/guest_access.c core/arch/x86/pci.c
# pdisk: I/O ports of PV domains, the IOAPIC
HV_SRCS += core/arch/x86/ioport.c core/arch/x86/ioport_map.c core/arch/x86/ioapic.c
# Subfolders bring their own fragments (the top-level wildcard stops at this folder).
include core/arch/x86/svm/svm.mk
include core/arch/x86/hvm/hvm.mk
