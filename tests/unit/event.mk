# Host test of event channels: core/event_channel.c with the domain, scheduler,
# guest-access and heap calls it makes defined in the test itself.
UNIT_TESTS += evtchn
unit_evtchn_SRCS := tests/unit/test_evtchn.c core/event_channel.c
unit_evtchn_CFLAGS := -pthread
