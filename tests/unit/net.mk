# Host tests of the PV network (docs/network.md): dom0's learning bridge.
UNIT_TESTS += bridge
unit_bridge_SRCS := tests/unit/test_bridge.c dom0/bridge.c
unit_bridge_CFLAGS := -Idom0
# vif = [...] in cfg files (dom0/xlcfg_vif.c, with the cfg parser it plugs into).
UNIT_TESTS += xlcfg_vif
unit_xlcfg_vif_SRCS := tests/unit/test_xlcfg_vif.c dom0/xlcfg.c dom0/xlcfg_value.c \
	dom0/xlcfg_vif.c dom0/strutil.c dom0/cpulist.c core/lib/vsnprintf.c
unit_xlcfg_vif_CFLAGS := -Idom0
