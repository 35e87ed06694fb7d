# Host tests for dom0's HVM loader: Multiboot v1 kernel checks, layout and info page,
# and the HVM runtime's reading of that page.
UNIT_TESTS += mbimage
# The guest's reader of the info (guest/hvm/mbinfo.c) is linked in too: the test
# checks that what the loader writes is what the runtime reads.
unit_mbimage_SRCS := tests/unit/test_mbimage.c dom0/mbimage.c guest/hvm/mbinfo.c \
	core/lib/vsnprintf.c
unit_mbimage_CFLAGS := -Idom0 -Iguest/hvm
