# Test guests, linked with the guest runtime (guest/guest.mk).
# isolation: a domU that tries what a PV guest must not be able to do and prints
# "isolation: <case> ok|FAILED (...)" per case, then "isolation: N passed, N failed".
$(eval $(call guest_image,isolation,tests/guests/isolation.c))
# hcfuzz: the hypercall fuzzer (seed=N calls=M skip=...; see tests/guests/hcfuzz.c),
# run next to a bystander by tests/boot/test_fuzz.py.
$(eval $(call guest_image,hcfuzz,tests/guests/hcfuzz.c tests/guests/hcfuzz_ops.c \
	tests/guests/hcfuzz_mm.c))
