# Host tests for dom0's HVM loader: Multiboot v1 kernel checks, layout and info page.
UNIT_TESTS += mbimage
unit_mbimage_SRCS := tests/unit/test_mbimage.c dom0/mbimage.c core/lib/vsnprintf.c
unit_mbimage_CFLAGS := -Idom0
