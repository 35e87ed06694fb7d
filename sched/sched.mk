# Every file in sched/ is part of the hypervisor: a new policy (and its companions
# sched/<policy>_*.c) is built by being there, with no line to add.
HV_SRCS += $(sort $(wildcard sched/*.c))
