# HVM platform devices and the I/O bus: pure state machines (time passed in, no
# locks), built into the hypervisor and host-tested (tests/unit/vdev.mk). Nothing
# calls them until svm's glue wires them to a domain. A fragment of its own next to
# vintc's hvm.mk: the Makefile includes core/hvm/*.mk.
HV_SRCS += core/hvm/io_bus.c core/hvm/vpit.c core/hvm/vrtc.c core/hvm/vrtc_calendar.c \
	core/hvm/vpmtimer.c core/hvm/vuart.c
