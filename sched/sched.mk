HV_SRCS += sched/core.c sched/cpupool.c sched/params.c sched/rr.c
HV_SRCS += sched/rtds.c sched/numa.c sched/numa_place.c
HV_SRCS += sched/credit.c sched/credit2.c
HV_SRCS += sched/null.c sched/arinc653.c
