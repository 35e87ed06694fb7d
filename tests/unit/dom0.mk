# Host tests for dom0's toolstack parsers: cfg files and CPU lists (xlcfg), scenario
# scripts and the xl command table (scenario); the scheduler and pool commands'
# arguments and output (dom0_sched); scheduler keys against declarations
# (dom0_sched_params).
UNIT_TESTS += xlcfg scenario
DOM0_PARSE_SRCS := dom0/strutil.c dom0/cpulist.c core/lib/vsnprintf.c
# vnuma: the vnuma key (dom0/xlcfg_vnuma.c) and the layout rules it checks with
XLCFG_VNUMA_SRCS := dom0/xlcfg_vnuma.c core/lib/vnuma_layout.c
unit_xlcfg_SRCS := tests/unit/test_xlcfg.c dom0/xlcfg.c dom0/xlcfg_value.c dom0/xlcfg_disk.c dom0/xlcfg_disk_key.c dom0/xlcfg_vif.c \
	$(DOM0_PARSE_SRCS) $(XLCFG_VNUMA_SRCS)
unit_xlcfg_CFLAGS := -Idom0
unit_scenario_SRCS := tests/unit/test_scenario.c dom0/scenario.c dom0/xl_cmdtable.c dom0/xlcfg_disk.c \
	dom0/trace_args.c dom0/sched_args.c dom0/arinc653_args.c tests/unit/test_dom0_stubs.c \
	$(DOM0_PARSE_SRCS)
unit_scenario_CFLAGS := -Idom0 -Iguest/include
unit_scenario_SRCS += guest/balloon_calc.c
UNIT_TESTS += dom0_format
unit_dom0_format_SRCS := tests/unit/test_dom0_format.c dom0/xl_format.c $(DOM0_PARSE_SRCS)
unit_dom0_format_CFLAGS := -Idom0
UNIT_TESTS += dom0_modules
unit_dom0_modules_SRCS := tests/unit/test_dom0_modules.c dom0/modules.c $(DOM0_PARSE_SRCS)
unit_dom0_modules_CFLAGS := -Idom0
UNIT_TESTS += dom0_sched
unit_dom0_sched_SRCS := tests/unit/test_dom0_sched.c dom0/sched_args.c dom0/sched_format.c dom0/xlcfg_disk.c \
	dom0/scenario.c dom0/xl_cmdtable.c dom0/trace_args.c dom0/arinc653_args.c \
	tests/unit/test_dom0_stubs.c $(DOM0_PARSE_SRCS)
unit_dom0_sched_CFLAGS := -Idom0 -Iguest/include
unit_dom0_sched_SRCS += guest/balloon_calc.c
UNIT_TESTS += dom0_sched_params
unit_dom0_sched_params_SRCS := tests/unit/test_dom0_sched_params.c dom0/sched_params.c \
	dom0/sched_args.c dom0/xlcfg.c dom0/xlcfg_value.c dom0/xlcfg_disk.c dom0/xlcfg_disk_key.c dom0/xlcfg_vif.c $(DOM0_PARSE_SRCS) \
	$(XLCFG_VNUMA_SRCS)
unit_dom0_sched_params_CFLAGS := -Idom0
# The store's tree and its message handling (dom0/store_tree.c, store_msg.c), and
# the page's byte rings (guest/store_wire.c).
UNIT_TESTS += store
unit_store_SRCS := tests/unit/test_store.c dom0/store_tree.c dom0/store_msg.c \
	guest/store_wire.c core/lib/vsnprintf.c
unit_store_CFLAGS := -Idom0 -Iguest/include
