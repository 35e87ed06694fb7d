HV_SRCS += sched/core.c sched/cpupool.c sched/rr.c
