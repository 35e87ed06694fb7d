# Test guests, linked with the guest runtime (guest/guest.mk).
# isolation: a domU that tries what a PV guest must not be able to do and prints
# "isolation: <case> ok|FAILED (...)" per case, then "isolation: N passed, N failed".
$(eval $(call guest_image,isolation,tests/guests/isolation.c))
# hvframes: a domU that tries to turn its shared info page (a frame the hypervisor
# writes into) into a page table, and entry bits real hardware honours across domains.
$(eval $(call guest_image,hvframes,tests/guests/hvframes.c))
