# Host tests of mm/: each allocator on its own, with only the files it needs.
UNIT_TESTS += bootmem buddy page_alloc xmalloc
unit_bootmem_SRCS    := tests/unit/test_bootmem.c mm/bootmem.c
unit_buddy_SRCS      := tests/unit/test_buddy.c mm/buddy.c
unit_page_alloc_SRCS := tests/unit/test_page_alloc.c tests/unit/fake_machine.c mm/page_alloc.c \
	mm/buddy.c mm/numa.c
unit_xmalloc_SRCS    := tests/unit/test_xmalloc.c mm/xmalloc.c
