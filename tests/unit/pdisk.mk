# pdisk's pure parts: the I/O-port bitmap, the virtqueue, region specs.
UNIT_TESTS += pdisk
unit_pdisk_SRCS := tests/unit/test_pdisk.c core/arch/x86/ioport_map.c guest/virtq.c \
	dom0/pdisk_region.c $(DOM0_PARSE_SRCS)
unit_pdisk_CFLAGS := -Idom0 -Iguest/include
# dom0/pdisk.c against a fake virtio-blk (queueing, flush barrier, errors, rw_sync).
UNIT_TESTS += pdisk_queue
unit_pdisk_queue_SRCS := tests/unit/test_pdisk_queue.c dom0/pdisk.c dom0/pdisk_region.c \
	$(DOM0_PARSE_SRCS)
unit_pdisk_queue_CFLAGS := -Idom0 -Iguest/include
