# Virtual NUMA (docs/vnuma.md): the layout rules (core/lib/vnuma_layout.c), the vnuma
# cfg key (dom0/xlcfg_vnuma.c), and a cfg's layout built into SRAT/SLIT and parsed
# back with the hypervisor's parser.
UNIT_TESTS += vnuma
unit_vnuma_SRCS := tests/unit/test_vnuma.c core/lib/vnuma_layout.c core/acpi_parse.c \
	dom0/xlcfg.c dom0/xlcfg_value.c dom0/xlcfg_disk.c dom0/xlcfg_disk_key.c dom0/xlcfg_vif.c \
	dom0/xlcfg_vnuma.c dom0/strutil.c dom0/cpulist.c $(HVMBUILD_SRCS) core/lib/vsnprintf.c
unit_vnuma_CFLAGS := -Idom0
