# svmconf: bare-metal SVM conformance kernel (EVENTINJ, EXITINTINFO, V_IRQ, shadows,
# physical-interrupt intercepts), booted by QEMU -kernel on its own, without hvlab:
# build/tests/svmconf.elf; tests/boot/test_svmconf.py runs it, docs/svm-under-qemu.md
# says what each case checks and what QEMU does.
SVMCONF_SRCS := boot.S stubs.S host.c report.c cases_inject.c cases_vintr.c cases_intr.c \
	cases_workaround.c
SVMCONF_OBJS := $(patsubst %,$(BUILD)/tests/svmconf/%.o,$(SVMCONF_SRCS))
SVMCONF_CFLAGS = -std=gnu11 -O2 $(REPRO_FLAGS) $(WARN) -Wmissing-prototypes -ffreestanding \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mcmodel=small -nostdinc -isystem $(GCC_INC) -Iinclude
# Objects one by one (not gcc on all sources): a one-step build names its temporary
# objects randomly in the symbol table, and the image must be the same every build.
$(BUILD)/tests/svmconf/%.c.o: tests/svmconf/%.c tests/svmconf/svmconf.h include/hvlab/x86/vmcb.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SVMCONF_CFLAGS) -c $< -o $@
$(BUILD)/tests/svmconf/%.S.o: tests/svmconf/%.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(REPRO_FLAGS) -nostdinc -c $< -o $@
$(BUILD)/tests/svmconf64.elf: $(SVMCONF_OBJS) tests/svmconf/svmconf.ld
	$(Q)$(CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
		-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -T tests/svmconf/svmconf.ld \
		-o $@ $(SVMCONF_OBJS)
# QEMU's multiboot loader takes only 32-bit ELF files.
$(BUILD)/tests/svmconf.elf: $(BUILD)/tests/svmconf64.elf
	$(Q)objcopy -O elf32-i386 $< $@
all: $(BUILD)/tests/svmconf.elf
