# Test guests, linked with the guest runtime (guest/guest.mk).
# isolation: a domU that tries what a PV guest must not be able to do and prints
# "isolation: <case> ok|FAILED (...)" per case, then "isolation: N passed, N failed".
$(eval $(call guest_image,isolation,tests/guests/isolation.c tests/guests/isolation_values.c \
	tests/guests/isolation_report.c))
# isolation_dom0: booted as dom0, passes values dom0 must not get through either.
$(eval $(call guest_image,isolation_dom0,tests/guests/isolation_dom0.c \
	tests/guests/isolation_report.c))
# hvframes: a domU that tries to turn its shared info page (a frame the hypervisor
# writes into) into a page table, and entry bits real hardware honours across domains.
$(eval $(call guest_image,hvframes,tests/guests/hvframes.c tests/guests/isolation_report.c))
# crasher: page faults on purpose (boot tests: a dom0 crash must still panic).
$(eval $(call guest_image,crasher,tests/guests/crasher.c))
# hcfuzz: the hypercall fuzzer (seed=N calls=M skip=...; see tests/guests/hcfuzz.c),
# run next to a bystander by tests/boot/test_fuzz.py.
$(eval $(call guest_image,hcfuzz,tests/guests/hcfuzz.c tests/guests/hcfuzz_ops.c \
	tests/guests/hcfuzz_mm.c tests/guests/hcfuzz_gnttab.c))
# hvmtest: the SVM core's HVM test guest, a flat 32-bit image started at 1 MiB by
# `xl hvm-flat` (tests/guests/hvm/hvmtest.c; tests/boot/test_svm.py).
HVMTEST_CFLAGS = -m32 -std=gnu11 -O2 $(REPRO_FLAGS) $(WARN) -ffreestanding -fno-pic -fno-pie \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-nostdinc -isystem $(GCC_INC) -Iinclude
HVMTEST_OBJ := $(BUILD)/guest/obj/tests/guests/hvm
$(BUILD)/guest/hvmtest.bin: tests/guests/hvm/hvmtest.c tests/guests/hvm/hvmtest_entry.S \
		tests/guests/hvm/hvmtest.ld
	@mkdir -p $(HVMTEST_OBJ)
	$(Q)$(CC) $(HVMTEST_CFLAGS) -c tests/guests/hvm/hvmtest.c -o $(HVMTEST_OBJ)/hvmtest.o
	$(Q)$(CC) -m32 $(REPRO_FLAGS) -c tests/guests/hvm/hvmtest_entry.S -o $(HVMTEST_OBJ)/entry.o
	$(Q)ld -m elf_i386 -T tests/guests/hvm/hvmtest.ld --build-id=none -z noexecstack \
		--no-warn-rwx-segments --fatal-warnings -o $(HVMTEST_OBJ)/hvmtest.elf \
		$(HVMTEST_OBJ)/entry.o $(HVMTEST_OBJ)/hvmtest.o
	$(Q)objcopy -O binary $(HVMTEST_OBJ)/hvmtest.elf $@
	@echo "  built $@"
all: $(BUILD)/guest/hvmtest.bin
# granttest: grant tables between a granter, a mapper and a reuser (roles by command
# line; tests/boot/test_grant.py).
$(eval $(call guest_image,granttest,tests/guests/granttest.c tests/guests/granttest_map.c))
# storetest: the store from a domU (role=main|bystander|bad; tests/boot/test_store.py),
# PV and HVM (the same client: HVMOP_get_param finds the page and port).
$(eval $(call guest_image,storetest,tests/guests/storetest.c))
$(eval $(call guest_hvm_image,storetest,tests/guests/storetest.c))
# netbad: a network frontend that posts requests netback must refuse, then breaks
# its ring index (tests/boot/test_net.py, next to a netbench bystander pair).
$(eval $(call guest_image,netbad,tests/guests/netbad.c))
# grantpeer: a PV and an HVM domain grant each other a page (tests/boot/test_grant.py).
$(eval $(call guest_image,grantpeer,tests/guests/grantpeer.c))
$(eval $(call guest_hvm_image,grantpeer,tests/guests/grantpeer.c))
# grantrace: end-access racing the peer's maps on two pCPUs (tests/boot/test_grant.py).
$(eval $(call guest_image,grantrace,tests/guests/grantrace.c))
# blktest: a domU on its PV disk (action=write|read|loop|evil|detach; tests/boot/test_blk.py).
$(eval $(call guest_image,blktest,tests/guests/blktest.c))
# ... and its HVM build (for PVHVM: the same blkfront over HVM grants and store).
$(eval $(call guest_hvm_image,blktest,tests/guests/blktest.c))
# ioports: a domU that tries dom0's disk ports, PCI configuration, the hypervisor's
# ports and pirqs, with and without a grant (tests/boot/test_pdisk.py).
$(eval $(call guest_image,ioports,tests/guests/ioports.c tests/guests/isolation_report.c))
# vnumatest: the virtual NUMA topology a domain sees, its per-vnode pages and the
# memory op's refusals, PV and HVM (tests/boot/test_vnuma.py).
$(eval $(call guest_image,vnumatest,tests/guests/vnumatest.c))
$(eval $(call guest_hvm_image,vnumatest,tests/guests/vnumatest.c))
# balloontest: a domU following memory/target with the runtime's balloon driver
# (tests/boot/test_balloon.py), PV and HVM.
$(eval $(call guest_image,balloontest,tests/guests/balloontest.c))
$(eval $(call guest_hvm_image,balloontest,tests/guests/balloontest.c))
# memcheck: a domU computing over its memory while dom0 moves it between NUMA nodes
# (xl mem-migrate; tests/boot/test_mm_migrate.py), PV and HVM.
$(eval $(call guest_image,memcheck,tests/guests/memcheck.c))
$(eval $(call guest_hvm_image,memcheck,tests/guests/memcheck.c))
