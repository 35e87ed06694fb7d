# Host tests of core/arch/x86/hvm: the decoder, the emulator (flags against the host
# CPU as the oracle), random instructions, and the guest page walk, against the real files.
EMUL_DECODE_SRCS := core/arch/x86/hvm/x86_decode.c core/arch/x86/hvm/x86_decode_maps.c
EMUL_SRCS := core/arch/x86/hvm/x86_emulate.c $(EMUL_DECODE_SRCS)
UNIT_TESTS += x86_decode x86_emulate x86_string x86_flags x86_random guest_walk
unit_x86_decode_SRCS  := tests/unit/test_x86_decode.c $(EMUL_DECODE_SRCS)
unit_x86_emulate_SRCS := tests/unit/test_x86_emulate.c tests/unit/x86_emul_fixture.c $(EMUL_SRCS)
unit_x86_string_SRCS  := tests/unit/test_x86_string.c tests/unit/x86_emul_fixture.c $(EMUL_SRCS)
unit_x86_flags_SRCS   := tests/unit/test_x86_flags.c $(EMUL_SRCS)
unit_x86_random_SRCS  := tests/unit/test_x86_random.c $(EMUL_SRCS)
unit_guest_walk_SRCS  := tests/unit/test_guest_walk.c core/arch/x86/hvm/guest_walk.c
