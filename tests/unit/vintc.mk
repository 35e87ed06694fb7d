# Host tests of the virtual interrupt controllers (core/hvm/vlapic*.c, vioapic.c,
# vpic.c, virq_route.c): every test links all of them, as the hypervisor does, over
# the fake vCPU ops of vintc_fixture.c.
VINTC_SRCS := core/hvm/vlapic.c core/hvm/vlapic_regs.c core/hvm/vlapic_timer.c \
	core/hvm/vioapic.c core/hvm/vpic.c core/hvm/virq_route.c tests/unit/vintc_fixture.c
UNIT_TESTS += vlapic vlapic_timer vioapic vpic
unit_vlapic_SRCS := tests/unit/test_vlapic.c $(VINTC_SRCS)
unit_vlapic_timer_SRCS := tests/unit/test_vlapic_timer.c $(VINTC_SRCS)
unit_vioapic_SRCS := tests/unit/test_vioapic.c $(VINTC_SRCS)
unit_vpic_SRCS := tests/unit/test_vpic.c $(VINTC_SRCS)
