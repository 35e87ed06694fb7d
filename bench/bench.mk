# Guest workloads, each a PV image linked with the guest runtime (guest/guest.mk).
# Each prints one "result bench=NAME key=value ..." line (see the file's header).
$(eval $(call guest_image,hello,bench/hello.c))
$(eval $(call guest_image,cpuloop,bench/cpuloop.c))
$(eval $(call guest_image,sleeper,bench/sleeper.c))
$(eval $(call guest_image,pingpong,bench/pingpong.c))
# The same workloads as HVM images (guest/hvm/hvm.mk): build/guest/NAME-hvm.elf, booted
# by dom0 as HVM domains (type = "hvm") or by QEMU directly as the native build.
$(eval $(call guest_hvm_image,hello,bench/hello.c))
$(eval $(call guest_hvm_image,cpuloop,bench/cpuloop.c))
$(eval $(call guest_hvm_image,sleeper,bench/sleeper.c))
$(eval $(call guest_hvm_image,pingpong,bench/pingpong.c))
# PV network benchmark (netfront): frame round trips and streaming between two domUs.
$(eval $(call guest_image,netbench,bench/netbench.c))
# The disk benchmark (bench/disk_run.c is also linked into dom0: `xl disk-bench`).
$(eval $(call guest_image,diskbench,bench/diskbench.c bench/disk_run.c))
$(eval $(call guest_hvm_image,diskbench,bench/diskbench.c bench/disk_run.c))
$(eval $(call guest_hvm_image,netbench,bench/netbench.c))
# Microbenchmarks (docs/microbenchmarks.md): one source, PV, HVM and native builds.
$(eval $(call guest_image,micro,bench/micro.c))
$(eval $(call guest_hvm_image,micro,bench/micro.c))
# The memory benchmark (docs/numa-experiment.md): triad and pointer chase, PV and HVM.
$(eval $(call guest_image,membench,bench/membench.c))
$(eval $(call guest_hvm_image,membench,bench/membench.c))
