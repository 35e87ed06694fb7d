# The smallest PV guest (no runtime): build/tests/minimal.elf.
GUEST_MIN_CFLAGS = -std=gnu11 -O2 $(REPRO_FLAGS) $(WARN) -ffreestanding -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-nostdinc -isystem $(GCC_INC) -Iinclude
$(BUILD)/tests/minimal.elf: tests/minimal/minimal.c tests/minimal/minimal.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(GUEST_MIN_CFLAGS) -nostdlib -static -no-pie -Wl,--build-id=none \
		-Wl,-z,max-page-size=0x1000 -T tests/minimal/minimal.ld -o $@ tests/minimal/minimal.c
all: $(BUILD)/tests/minimal.elf
