# Boot tests under QEMU: tests/boot/test_boot.py boots build/hvlab.elf with several
# topologies and options and checks what the hypervisor prints; test_trace.py runs
# scenarios with tracing into an ivshmem region and checks the streams;
# test_determinism.py checks that deterministic runs reproduce bit for bit.
.PHONY: boot-test
boot-test: $(BUILD)/hvlab.elf
	$(Q)$(PYTHON) tests/boot/test_boot.py
	$(Q)$(PYTHON) tests/boot/test_trace.py
	$(Q)$(PYTHON) tests/boot/test_sched.py
	$(Q)$(PYTHON) tests/boot/test_harness_e2e.py
	$(Q)$(PYTHON) tests/boot/test_determinism.py
