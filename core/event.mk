# Event channels (include/hvlab/event.h).
HV_SRCS += core/event_channel.c
