# Pure-logic library: string functions, formatter, boot options, timer queue, ordered set.
HV_SRCS += core/lib/string.c core/lib/vsnprintf.c core/lib/cmdline.c core/lib/timerq.c \
	core/lib/time_arith.c core/lib/guest_values.c core/lib/rbtree.c \
	core/lib/objpool.c
# Virtual NUMA layout rules (docs/vnuma.md): also in dom0 (guest/guest.mk)
HV_SRCS += core/lib/vnuma_layout.c
