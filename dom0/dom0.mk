# dom0: the toolstack (xl commands, cfg files, scenarios) as a PV guest image,
# build/dom0.elf, linked with the guest runtime like every guest (guest/guest.mk).
# The pure parts (xlcfg, cpulist, scenario, xl_cmdtable, xl_format, modules,
# strutil; trace_args, sched_args and arinc653_args, which xl_cmdtable uses; sched_format) are also
# built for host tests:
# tests/unit/dom0.mk.
# Every dom0/*.c is dom0's (a new service or command is one file, no line here).
DOM0_SRCS := $(sort $(wildcard dom0/*.c))
# The disk benchmark's core, one copy with the guests': `xl disk-bench` (xl_diskbench.c).
DOM0_SRCS += bench/disk_run.c
DOM0_OBJS := $(patsubst %,$(BUILD)/guest/obj/%.o,$(DOM0_SRCS))

$(BUILD)/dom0.elf: $(DOM0_OBJS) $(GUEST_LIB) $(GUEST_LDSCRIPT)
	$(Q)$(CC) $(GUEST_LDFLAGS) -o $@ $(DOM0_OBJS) $(GUEST_LIB)
	@echo "  built $@"

.PHONY: dom0
dom0: $(BUILD)/dom0.elf
all: $(BUILD)/dom0.elf
