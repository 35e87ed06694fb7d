# Boot tests under QEMU.
.PHONY: boot-test
boot-test:
