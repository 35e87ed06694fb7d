# dom0: the toolstack (xl commands, cfg files, scenarios) as a PV guest image,
# build/dom0.elf, linked with the guest runtime like every guest (guest/guest.mk).
# The pure parts (xlcfg, cpulist, scenario, xl_cmdtable, xl_format, modules,
# strutil; trace_args, sched_args and arinc653_args, which xl_cmdtable uses; sched_format) are also
# built for host tests:
# tests/unit/dom0.mk.
DOM0_SRCS := dom0/main.c dom0/shell.c dom0/xl_cmdtable.c dom0/xl_create.c \
	dom0/xl_list.c dom0/xl_ctl.c dom0/xl_misc.c dom0/xl_sched.c dom0/xl_dom.c \
	dom0/foreign.c dom0/xl_format.c dom0/xlcfg.c dom0/xlcfg_value.c dom0/cpulist.c \
	dom0/scenario.c dom0/modules.c dom0/strutil.c dom0/xl_trace.c dom0/collector.c \
	dom0/trace_args.c dom0/sched_args.c dom0/sched_format.c dom0/sched_params.c dom0/xl_schedop.c \
	dom0/xl_cpupool.c dom0/xl_expect.c dom0/arinc653_args.c dom0/xl_arinc653.c \
	dom0/xl_hvmflat.c dom0/xl_hvm.c
DOM0_OBJS := $(patsubst %,$(BUILD)/guest/obj/%.o,$(DOM0_SRCS))

$(BUILD)/dom0.elf: $(DOM0_OBJS) $(GUEST_LIB) $(GUEST_LDSCRIPT)
	$(Q)$(CC) $(GUEST_LDFLAGS) -o $@ $(DOM0_OBJS) $(GUEST_LIB)
	@echo "  built $@"

.PHONY: dom0
dom0: $(BUILD)/dom0.elf
all: $(BUILD)/dom0.elf
