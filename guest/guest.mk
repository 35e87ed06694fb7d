# The PV guest runtime, build/guest/libguest.a, and the rule every guest image uses.
# Included from the top-level Makefile before bench/bench.mk and tests/guests/guests.mk:
#   $(eval $(call guest_image,NAME,SOURCES))  builds build/guest/NAME.elf
#   GUEST_IMAGES  every image (built by `make`)
#
# Guests are freestanding like the hypervisor, but ring-3 code at 0x400000:
# -mcmodel=small, no PIC/PIE; still no red zone (the hypervisor pushes bounce frames
# on the guest stack) and no SSE (-mgeneral-regs-only).
GUEST_CFLAGS = -std=gnu11 -O2 -g $(REPRO_FLAGS) $(WARN) -ffreestanding -fno-pic -fno-pie \
	-mcmodel=small -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-strict-aliasing \
	-nostdinc -isystem $(GCC_INC) -Iinclude -Iguest/include -MMD -MP
GUEST_ASFLAGS = -g $(REPRO_FLAGS) -D__ASSEMBLY__ -nostdinc -isystem $(GCC_INC) -Iinclude \
	-Iguest/include -MMD -MP
GUEST_LDSCRIPT := guest/guest.ld
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000 \
	-Wl,-z,noexecstack -Wl,--build-id=none -Wl,--fatal-warnings \
	-Wl,--no-warn-rwx-segments -Wl,-T,$(GUEST_LDSCRIPT) -Wl,--undefined=_start
# pdisk: a driver registers with BLKDEV_DRIVER from its own object, which the linker
# takes from the archive only if something references it: reference virtio_blk.o so
# every image (dom0, native, HVM) has the virtio-blk probe.
GUEST_LDFLAGS += -Wl,--undefined=vblk_probe
# PV block: the same for blkfront's probe (guest/blkfront.c), in PV and HVM images.
GUEST_LDFLAGS += -Wl,--undefined=blkfront_probe

# The runtime, plus the pure-logic library files it shares with the hypervisor
# (string functions, the formatter, and the PV builder for dom0's toolstack).
GUEST_RT_SRCS := guest/entry.S guest/plat_pv.c guest/main.c guest/smp.c guest/console.c guest/events.c \
	guest/traps.c guest/time.c guest/mm.c guest/pages.c guest/lib.c guest/blkdev.c guest/netdev.c \
	guest/gnttab.c guest/gnttab_pv.c guest/mode_pv.c \
	core/lib/string.c core/lib/vsnprintf.c core/lib/elf64.c core/lib/pvbuild.c
# The store client and bus helpers (guest/include/store.h; dom0 links its own store
# calls, dom0/store_local.c, so store_client.o is not pulled into dom0).
GUEST_RT_SRCS += guest/store_client.c guest/store_wire.c guest/store_util.c guest/bus.c \
	guest/store_pv.c
# pdisk: PCI and virtio-blk (also in guest/hvm/hvm.mk)
GUEST_RT_SRCS += guest/pci.c guest/virtq.c guest/virtio_blk.c
# PV block frontend (guest/include/blkfront.h).
GUEST_RT_SRCS += guest/blkfront.c
# PV network frontend (docs/network.md)
GUEST_RT_SRCS += guest/netfront.c
# Virtual NUMA: the guest's view (guest/vnuma.c) and the layout rules dom0 checks
GUEST_RT_SRCS += guest/vnuma.c guest/vnuma_pv.c core/lib/vnuma_layout.c
# The balloon driver (docs/ballooning.md)
GUEST_RT_SRCS += guest/balloon.c guest/balloon_calc.c guest/balloon_pv.c
GUEST_RT_OBJS := $(patsubst %,$(BUILD)/guest/obj/%.o,$(GUEST_RT_SRCS))
GUEST_LIB := $(BUILD)/guest/libguest.a
GUEST_IMAGES :=

$(BUILD)/guest/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guest/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_ASFLAGS) -c $< -o $@

# The HVM builder, for dom0's toolstack (core/lib/hvmbuild.mk).
GUEST_RT_OBJS += $(patsubst %,$(BUILD)/guest/obj/%.o,$(HVMBUILD_SRCS))
$(GUEST_LIB): $(GUEST_RT_OBJS)
	@rm -f $@
	$(Q)ar rcsD $@ $^

# $(1): image name, $(2): its sources (C or assembly).
define guest_image
GUEST_IMAGES += $(BUILD)/guest/$(1).elf
guests: $(BUILD)/guest/$(1).elf
$(BUILD)/guest/$(1).elf: $(patsubst %,$(BUILD)/guest/obj/%.o,$(2)) $(GUEST_LIB) $(GUEST_LDSCRIPT)
	$$(Q)$$(CC) $$(GUEST_LDFLAGS) -o $$@ $$(filter %.o,$$^) $(GUEST_LIB)
	@echo "  built $$@"
endef

.PHONY: guests
guests: $(GUEST_LIB)
all: guests

# The runtime's own test guest for several vCPUs (booted by guest/tests/smp/run.py).
$(eval $(call guest_image,smptest,guest/tests/smp/smptest.c))

# The same runtime for HVM (and native) images: guest/hvm/hvm.mk.
include guest/hvm/hvm.mk
