# Virtual platform devices of HVM domains (pure state machines, host-tested:
# tests/unit/vdev.mk). Nothing calls them until svm's glue wires them to a domain.
HV_SRCS += core/hvm/io_bus.c core/hvm/vpit.c core/hvm/vrtc.c core/hvm/vpmtimer.c \
	core/hvm/vuart.c
