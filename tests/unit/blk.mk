# PV block (docs/block.md): the shared-ring macros (io/ring.h); blkback's request
# handling against a fake grant and pdisk layer (blkback_core.c); the disk = [...]
# parser (xlcfg_disk.c) is in test_xlcfg (dom0.mk).
UNIT_TESTS += ring
unit_ring_SRCS := tests/unit/test_ring.c
UNIT_TESTS += xlcfg_disk
unit_xlcfg_disk_SRCS = tests/unit/test_xlcfg_disk.c dom0/xlcfg.c dom0/xlcfg_value.c \
	dom0/xlcfg_disk.c dom0/xlcfg_disk_key.c dom0/xlcfg_vif.c $(DOM0_PARSE_SRCS) $(XLCFG_VNUMA_SRCS)
unit_xlcfg_disk_CFLAGS := -Idom0
UNIT_TESTS += blkback
unit_blkback_SRCS := tests/unit/test_blkback.c dom0/blkback_core.c
unit_blkback_CFLAGS := -Idom0 -Iguest/include
UNIT_TESTS += blkfront
unit_blkfront_SRCS := tests/unit/test_blkfront.c guest/blkfront.c guest/lib.c core/lib/vsnprintf.c
unit_blkfront_CFLAGS := -Iguest/include
