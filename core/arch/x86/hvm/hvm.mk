# x86 instruction logic for HVM exits: decoder, emulator, guest page walk. Pure code,
# host-tested (tests/unit/emul.mk); linked now, called once svm wires MMIO.
HV_SRCS += core/arch/x86/hvm/x86_decode.c core/arch/x86/hvm/x86_decode_maps.c \
	core/arch/x86/hvm/x86_emulate.c core/arch/x86/hvm/guest_walk.c
