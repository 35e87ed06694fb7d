# Host unit tests. Each area declares its tests in its own tests/unit/<area>.mk:
#   UNIT_TESTS += buddy
#   unit_buddy_SRCS := tests/unit/test_buddy.c mm/buddy.c
# Every test also links tests/unit/host_stubs.c (irq masking, panic).
include $(filter-out tests/unit/unit.mk,$(sort $(wildcard tests/unit/*.mk)))

define unit_rule
$(BUILD)/unit/$(1): $$(unit_$(1)_SRCS) tests/unit/host_stubs.c
	@mkdir -p $$(dir $$@)
	$$(Q)$$(HOSTCC) $$(HOST_CFLAGS) -MMD -MP $$(unit_$(1)_CFLAGS) $$^ -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))
