# Test guests, linked with the guest runtime (guest/guest.mk).
# isolation: a domU that tries what a PV guest must not be able to do and prints
# "isolation: <case> ok|FAILED (...)" per case, then "isolation: N passed, N failed".
$(eval $(call guest_image,isolation,tests/guests/isolation.c))
# crasher: page faults on purpose (boot tests: a dom0 crash must still panic).
$(eval $(call guest_image,crasher,tests/guests/crasher.c))
