# Host tests of PV memory management (mm/pv_mm.c, mm/domain_mem.c) on a fake machine.
# Frames come through the memory policies (mm/policy*.c, their host doubles in
# fake_machine.c).
MM_POLICY_SRCS := mm/policy.c mm/policy_local.c mm/policy_bind.c mm/policy_interleave.c \
	mm/policy_first_touch.c mm/policy_auto.c
PV_MM_SRCS := mm/pv_mm.c mm/pv_check.c mm/domain_mem.c mm/page_alloc.c mm/buddy.c mm/numa.c \
	core/lib/vsnprintf.c tests/unit/fake_machine.c $(MM_POLICY_SRCS)
UNIT_TESTS += pv_mm pv_mm_random domain_mem shared_frame
unit_pv_mm_SRCS     := tests/unit/test_pv_mm.c tests/unit/pv_fixture.c $(PV_MM_SRCS)
unit_pv_mm_random_SRCS := tests/unit/test_pv_mm_random.c tests/unit/pv_fixture.c $(PV_MM_SRCS)
unit_domain_mem_SRCS := tests/unit/test_domain_mem.c $(PV_MM_SRCS)
unit_shared_frame_SRCS := tests/unit/test_shared_frame.c tests/unit/pv_fixture.c $(PV_MM_SRCS)
UNIT_TESTS += pv_mm_preempt
unit_pv_mm_preempt_SRCS := tests/unit/test_pv_mm_preempt.c tests/unit/pv_fixture.c $(PV_MM_SRCS)
