# Host test of event channels: core/event_channel.c with the domain, scheduler,
# guest-access and heap calls it makes defined in tests/unit/evtchn_fixture.c.
UNIT_TESTS += evtchn evtchn_life
unit_evtchn_SRCS := tests/unit/test_evtchn.c tests/unit/evtchn_fixture.c core/event_channel.c
unit_evtchn_CFLAGS := -pthread
unit_evtchn_life_SRCS := tests/unit/test_evtchn_life.c tests/unit/evtchn_fixture.c \
	core/event_channel.c
unit_evtchn_life_CFLAGS := -pthread
# Ports bound to the hypervisor (device models, issue 11).
UNIT_TESTS += evtchn_xen
unit_evtchn_xen_SRCS := tests/unit/test_evtchn_xen.c tests/unit/evtchn_fixture.c \
	core/event_channel.c
unit_evtchn_xen_CFLAGS := -pthread
