# pdisk's pure parts: the I/O-port bitmap, the virtqueue, region specs.
UNIT_TESTS += pdisk
unit_pdisk_SRCS := tests/unit/test_pdisk.c core/arch/x86/ioport_map.c guest/virtq.c \
	dom0/pdisk_region.c $(DOM0_PARSE_SRCS)
unit_pdisk_CFLAGS := -Idom0 -Iguest/include
