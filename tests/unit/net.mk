# Host tests of the PV network (docs/network.md): dom0's learning bridge.
UNIT_TESTS += bridge
unit_bridge_SRCS := tests/unit/test_bridge.c dom0/bridge.c
unit_bridge_CFLAGS := -Idom0
# vif = [...] in cfg files (dom0/xlcfg_vif.c, with the cfg parser it plugs into).
UNIT_TESTS += xlcfg_vif
unit_xlcfg_vif_SRCS := tests/unit/test_xlcfg_vif.c dom0/xlcfg.c dom0/xlcfg_value.c \
	dom0/xlcfg_vif.c dom0/xlcfg_disk.c dom0/xlcfg_disk_key.c dom0/strutil.c dom0/cpulist.c \
	core/lib/vsnprintf.c $(XLCFG_VNUMA_SRCS)
unit_xlcfg_vif_CFLAGS := -Idom0
# netback's ring work (dom0/netback_ring.c) with fake grants (the test's own
# gnttab_copy): validation, responses, drops, bad indices.
UNIT_TESTS += netback
unit_netback_SRCS := tests/unit/test_netback.c dom0/netback_ring.c
unit_netback_CFLAGS := -Idom0 -Iguest/include
# Both ends on the host: the real netfront against netback_ring.c and the bridge,
# with fake grants, store and events.
UNIT_TESTS += netloop
unit_netloop_SRCS := tests/unit/test_netloop.c guest/netfront.c guest/netdev.c \
	dom0/netback_ring.c dom0/bridge.c guest/lib.c
unit_netloop_CFLAGS := -Iguest/include -Idom0
