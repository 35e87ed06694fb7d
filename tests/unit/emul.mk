# Host tests of core/arch/x86/hvm: the decoder, the emulator (with a native oracle for
# flags) and the guest page walk, each against the real files.
UNIT_TESTS += x86_decode
unit_x86_decode_SRCS  := tests/unit/test_x86_decode.c core/arch/x86/hvm/x86_decode.c
UNIT_TESTS += x86_emulate
unit_x86_emulate_SRCS := tests/unit/test_x86_emulate.c core/arch/x86/hvm/x86_emulate.c \
	core/arch/x86/hvm/x86_decode.c
UNIT_TESTS += x86_flags
unit_x86_flags_SRCS := tests/unit/test_x86_flags.c core/arch/x86/hvm/x86_emulate.c \
	core/arch/x86/hvm/x86_decode.c
UNIT_TESTS += guest_walk
unit_guest_walk_SRCS := tests/unit/test_guest_walk.c core/arch/x86/hvm/guest_walk.c
UNIT_TESTS += x86_random
unit_x86_random_SRCS := tests/unit/test_x86_random.c core/arch/x86/hvm/x86_emulate.c \
	core/arch/x86/hvm/x86_decode.c
