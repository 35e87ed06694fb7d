HV_SRCS += sched/core.c sched/rr.c
