# Guest workloads, each a PV image linked with the guest runtime (guest/guest.mk).
# Each prints one "result bench=NAME key=value ..." line (see the file's header).
$(eval $(call guest_image,hello,bench/hello.c))
$(eval $(call guest_image,cpuloop,bench/cpuloop.c))
$(eval $(call guest_image,sleeper,bench/sleeper.c))
$(eval $(call guest_image,pingpong,bench/pingpong.c))
