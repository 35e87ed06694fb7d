# Host tests of the HVM platform devices (core/hvm/): each device through a real
# hvm_io_bus, with a recording interrupt sink (tests/unit/vdev_fixture.h).
UNIT_TESTS += io_bus vpit vrtc vpmtimer vuart
unit_io_bus_SRCS := tests/unit/test_io_bus.c core/hvm/io_bus.c
unit_vpit_SRCS := tests/unit/test_vpit.c core/hvm/vpit.c core/hvm/io_bus.c
unit_vrtc_SRCS := tests/unit/test_vrtc.c core/hvm/vrtc.c core/hvm/vrtc_calendar.c \
	core/hvm/io_bus.c
unit_vpmtimer_SRCS := tests/unit/test_vpmtimer.c core/hvm/vpmtimer.c core/hvm/io_bus.c
unit_vuart_SRCS := tests/unit/test_vuart.c core/hvm/vuart.c core/hvm/io_bus.c
UNIT_TESTS += vdev_random
unit_vdev_random_SRCS := tests/unit/test_vdev_random.c core/hvm/io_bus.c core/hvm/vpit.c \
	core/hvm/vrtc.c core/hvm/vrtc_calendar.c core/hvm/vpmtimer.c core/hvm/vuart.c
