# The Linux guest of issue 10: Debian's kernel (linux-image-amd64) and a busybox
# initramfs running tests/linux/init, fetched and built by tools/linux_guest.py into
# build/linux/. `make linux-test` boots them natively under QEMU (the baseline the
# PV-vs-HVM report compares against) and as an HVM domU created by dom0 under hvlab.
LINUX_OUT := $(BUILD)/linux
.PHONY: linux-guest linux-test
linux-guest: $(LINUX_OUT)/initramfs.cpio.gz
$(LINUX_OUT)/initramfs.cpio.gz: tools/linux_guest.py tests/linux/init
	$(Q)$(PYTHON) tools/linux_guest.py --out $(LINUX_OUT)

linux-test: linux-guest $(BUILD)/hvlab.elf $(BUILD)/dom0.elf
	$(Q)$(PYTHON) tests/boot/test_linux.py
