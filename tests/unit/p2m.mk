# Host tests of the nested page table (mm/p2m.c) on a fake machine: table frames come
# from the real page allocator, so teardown is checked against its free count.
UNIT_TESTS += p2m
unit_p2m_SRCS := tests/unit/test_p2m.c mm/p2m.c mm/page_alloc.c mm/buddy.c mm/numa.c \
	tests/unit/fake_machine.c
