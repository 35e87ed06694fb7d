# svmconf: bare-metal SVM conformance kernel (EVENTINJ, EXITINTINFO, V_IRQ, shadows,
# physical-interrupt intercepts), booted by QEMU -kernel on its own, without hvlab:
# build/tests/svmconf.elf; tests/boot/test_svmconf.py runs it, docs/svm-under-qemu.md
# says what each case checks and what QEMU does.
SVMCONF_SRCS := tests/svmconf/boot.S tests/svmconf/stubs.S tests/svmconf/host.c \
	tests/svmconf/report.c tests/svmconf/cases_inject.c tests/svmconf/cases_vintr.c \
	tests/svmconf/cases_intr.c tests/svmconf/cases_workaround.c
SVMCONF_CFLAGS = -std=gnu11 -O2 $(REPRO_FLAGS) $(WARN) -Wmissing-prototypes -ffreestanding \
	-fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mcmodel=small -nostdinc -isystem $(GCC_INC) -Iinclude
$(BUILD)/tests/svmconf64.elf: $(SVMCONF_SRCS) tests/svmconf/svmconf.h tests/svmconf/svmconf.ld \
		include/hvlab/x86/vmcb.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(SVMCONF_CFLAGS) -nostdlib -static -no-pie -Wl,--build-id=none \
		-Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments \
		-T tests/svmconf/svmconf.ld -o $@ $(SVMCONF_SRCS)
# QEMU's multiboot loader takes only 32-bit ELF files.
$(BUILD)/tests/svmconf.elf: $(BUILD)/tests/svmconf64.elf
	$(Q)objcopy -O elf32-i386 $< $@
all: $(BUILD)/tests/svmconf.elf
