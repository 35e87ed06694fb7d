# The HVM guest runtime, build/guest/libguest-hvm.a, and the rule for HVM images
# (included from guest/guest.mk). The same runtime files as PV, compiled with
# GUEST_HVM (hypercall.h: VMMCALL), with guest/hvm/'s platform and entry instead of
# entry.S, plat_pv.c and mm.c (guest/platform.h says what differs).
#   $(eval $(call guest_hvm_image,NAME,SOURCES))  builds build/guest/NAME-hvm.elf
# An HVM image is a Multiboot v1 kernel: dom0's xl_hvm.c boots it as an HVM domain,
# and QEMU boots it directly (-kernel) as the native build (no hypervisor found).
# QEMU's multiboot loader takes only ELF32: the image is linked as ELF64 and converted,
# keeping its load addresses (as build/hvlab.elf is).
GUEST_HVM_CFLAGS = $(GUEST_CFLAGS) -DGUEST_HVM -Iguest/hvm
GUEST_HVM_ASFLAGS = $(GUEST_ASFLAGS) -DGUEST_HVM -Iguest/hvm
GUEST_HVM_LDSCRIPT := guest/hvm/hvm.ld
GUEST_HVM_LDFLAGS := $(subst $(GUEST_LDSCRIPT),$(GUEST_HVM_LDSCRIPT),$(GUEST_LDFLAGS)) \
	-Wl,--undefined=hvm_start
# devmodel: the ATA driver's BLKDEV_DRIVER entry is in libguest-hvm.a, linked only if
# its object is referenced (as guest.mk does for virtio-blk and blkfront).
GUEST_HVM_LDFLAGS += -Wl,--undefined=ata_probe

GUEST_HVM_RT_SRCS := guest/hvm/boot.S guest/hvm/hvm.c guest/hvm/mbinfo.c guest/hvm/plat_hvm.c \
	guest/hvm/hw.c guest/hvm/native.c guest/hvm/native_evtchn.c guest/hvm/smp_hvm.c \
	guest/hvm/trampoline.S guest/hvm/mm_hvm.c guest/hvm/pt_hvm.c guest/hvm/mode_hvm.c \
	guest/main.c guest/smp.c guest/console.c guest/events.c guest/traps.c guest/time.c \
	guest/pages.c guest/lib.c guest/blkdev.c guest/netdev.c core/lib/string.c \
	core/lib/vsnprintf.c guest/gnttab.c guest/hvm/gnttab_hvm.c
# The store client and bus helpers (store via HVMOP_get_param: guest/hvm/store_hvm.c).
GUEST_HVM_RT_SRCS += guest/store_client.c guest/store_wire.c guest/store_util.c guest/bus.c \
	guest/hvm/store_hvm.c
# pdisk: PCI and virtio-blk (the native image's disk)
GUEST_HVM_RT_SRCS += guest/pci.c guest/virtq.c guest/virtio_blk.c
# devmodel: the emulated ATA disk (guest/hvm/ata.c, a blkdev)
GUEST_HVM_RT_SRCS += guest/hvm/ata.c
# PV block frontend, for PVHVM guests (the same file as PV).
GUEST_HVM_RT_SRCS += guest/blkfront.c
# PV network frontend, for PVHVM guests (docs/network.md)
GUEST_HVM_RT_SRCS += guest/netfront.c
# Virtual NUMA: the SRAT/SLIT read with the hypervisor's ACPI parser (docs/vnuma.md)
GUEST_HVM_RT_SRCS += guest/vnuma.c guest/hvm/vnuma_hvm.c core/acpi_parse.c
# The balloon driver (docs/ballooning.md)
GUEST_HVM_RT_SRCS += guest/balloon.c guest/balloon_calc.c guest/hvm/balloon_hvm.c
GUEST_HVM_RT_OBJS := $(patsubst %,$(BUILD)/guest-hvm/obj/%.o,$(GUEST_HVM_RT_SRCS))
GUEST_HVM_LIB := $(BUILD)/guest/libguest-hvm.a

$(BUILD)/guest-hvm/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_HVM_CFLAGS) -c $< -o $@
$(BUILD)/guest-hvm/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_HVM_ASFLAGS) -c $< -o $@

$(GUEST_HVM_LIB): $(GUEST_HVM_RT_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)ar rcsD $@ $^

# $(1): image name, $(2): its sources. The 64-bit link stays as NAME-hvm64.elf (symbols
# for debugging); NAME-hvm.elf is the bootable ELF32.
define guest_hvm_image
GUEST_HVM_IMAGES += $(BUILD)/guest/$(1)-hvm.elf
guests: $(BUILD)/guest/$(1)-hvm.elf
$(BUILD)/guest/$(1)-hvm64.elf: $(patsubst %,$(BUILD)/guest-hvm/obj/%.o,$(2)) $(GUEST_HVM_LIB) $(GUEST_HVM_LDSCRIPT)
	$$(Q)$$(CC) $$(GUEST_HVM_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(GUEST_HVM_LIB)
$(BUILD)/guest/$(1)-hvm.elf: $(BUILD)/guest/$(1)-hvm64.elf
	$$(Q)objcopy -O elf32-i386 $$< $$@
	@echo "  built $$@"
endef

GUEST_HVM_IMAGES :=
guests: $(GUEST_HVM_LIB)

# The runtime's own test of its exception path (tests/boot/test_hvm.py boots it).
$(eval $(call guest_hvm_image,hvmtraps,guest/hvm/tests/traps.c))

# The platform devices as an HVM guest sees them (tests/boot/test_hvm_devices.py).
$(eval $(call guest_hvm_image,hvmdevices,guest/hvm/tests/devices.c guest/hvm/tests/tramp16.S))

# The runtime's multi-vCPU self-test as HVM and natively: secondaries by INIT/SIPI
# (tests/boot/test_hvm_smp.py).
$(eval $(call guest_hvm_image,smptest,guest/tests/smp/smptest.c))

# The HVM isolation guest (tests/boot/test_hvm_isolation.py).
$(eval $(call guest_hvm_image,hvmiso,guest/hvm/tests/isolation.c))

# The first touch of a domain's memory (tests/boot/test_mm_policy.py).
$(eval $(call guest_hvm_image,memtouch,guest/hvm/tests/memtouch.c))

# The device-model test guest (tests/boot/test_devmodel.py).
$(eval $(call guest_hvm_image,dmtest,guest/hvm/tests/dmtest.c))
# pdisk: the runtime's virtio-blk driver on the bare machine (tests/boot/test_pdisk.py).
$(eval $(call guest_hvm_image,vblk,guest/hvm/tests/vblk.c))
