# libFuzzer targets for the host-compiled parsers: each tests/fuzz/fuzz_NAME.c is a
# harness linked with the very files the hypervisor and dom0 use, built with clang
# (-fsanitize=fuzzer,address,undefined) as build/fuzz/fuzz_NAME.
#   make fuzz-libfuzzer   every target for FUZZ_SECONDS (default 60) each, from its seed
#                         corpus plus what earlier runs kept (build/fuzz/corpus/NAME);
#                         a crash leaves build/fuzz/crash-NAME-* and fails the run
#   make fuzz-smoke       every target on its seeds plus FUZZ_SMOKE_RUNS mutations
#                         (seconds; part of `make test`, so the harnesses cannot rot)
# Seeds come from the tree: cfg files, cmdline.seeds, the built guest images
# (stripped; for hvmbuild also the Multiboot hypervisor image and the inputs that
# once failed, tests/fuzz/hvmbuild_seeds/), the captured ACPI tables (acpi_seeds.py).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_RUNS ?= 3000
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -DHOST_TEST -Iinclude -Itests/unit \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LIBFUZZERS := xlcfg cmdline pvbuild acpi hvmbuild

fuzz_xlcfg_SRCS := tests/fuzz/fuzz_xlcfg.c dom0/xlcfg.c dom0/xlcfg_value.c dom0/xlcfg_vif.c dom0/xlcfg_disk.c dom0/xlcfg_disk_key.c dom0/strutil.c \
	dom0/cpulist.c core/lib/vsnprintf.c $(XLCFG_VNUMA_SRCS)
fuzz_xlcfg_CFLAGS := -Idom0
fuzz_cmdline_SRCS := tests/fuzz/fuzz_cmdline.c core/lib/cmdline.c core/lib/vsnprintf.c
fuzz_pvbuild_SRCS := tests/fuzz/fuzz_pvbuild.c core/lib/pvbuild.c core/lib/elf64.c \
	core/lib/vsnprintf.c
fuzz_acpi_SRCS := tests/fuzz/fuzz_acpi.c core/acpi_parse.c core/lib/vsnprintf.c
fuzz_hvmbuild_SRCS := tests/fuzz/fuzz_hvmbuild.c $(HVMBUILD_SRCS) core/lib/vsnprintf.c

define libfuzzer_rule
$(BUILD)/fuzz/fuzz_$(1): $$(fuzz_$(1)_SRCS) tests/unit/host_stubs.c
	@mkdir -p $$(dir $$@)
	$$(Q)$$(FUZZ_CC) $$(FUZZ_CFLAGS) -MMD -MP $$(fuzz_$(1)_CFLAGS) $$^ -o $$@
endef
$(foreach t,$(LIBFUZZERS),$(eval $(call libfuzzer_rule,$(t))))

# Seed corpora, rebuilt from the tree each time (cheap).
LIBFUZZER_SEEDS := $(BUILD)/fuzz/seeds
.PHONY: fuzz-seeds
fuzz-seeds: guests $(BUILD)/tests/minimal.elf $(BUILD)/hvlab.elf
	$(Q)rm -rf $(LIBFUZZER_SEEDS) && mkdir -p $(addprefix $(LIBFUZZER_SEEDS)/,$(LIBFUZZERS))
	$(Q)for f in dom0/examples/*.cfg tests/scenarios/*/*.cfg; do \
		cp $$f $(LIBFUZZER_SEEDS)/xlcfg/$$(echo $$f | tr / _); done
	$(Q)n=0; while IFS= read -r line; do n=$$((n+1)); \
		printf '%s' "$$line" > $(LIBFUZZER_SEEDS)/cmdline/seed$$n; done < tests/fuzz/cmdline.seeds
	$(Q)for f in $(GUEST_IMAGES) $(BUILD)/tests/minimal.elf; do \
		objcopy --strip-all $$f $(LIBFUZZER_SEEDS)/pvbuild/$$(basename $$f); done
	$(Q)cp $(LIBFUZZER_SEEDS)/pvbuild/* $(LIBFUZZER_SEEDS)/hvmbuild/ && \
		objcopy --strip-all $(BUILD)/hvlab.elf $(LIBFUZZER_SEEDS)/hvmbuild/hvlab-multiboot.elf && \
		cp tests/fuzz/hvmbuild_seeds/* $(LIBFUZZER_SEEDS)/hvmbuild/
	$(Q)$(PYTHON) tests/fuzz/acpi_seeds.py $(LIBFUZZER_SEEDS)/acpi

LIBFUZZER_BINS := $(addprefix $(BUILD)/fuzz/fuzz_,$(LIBFUZZERS))
# One target, its corpus folders and options: prints "fuzz_NAME: N runs in S s,
# E exec/s, corpus C, no crash" from libFuzzer's final statistics, or fails.
FUZZ_RUN = tests/fuzz/run.sh

.PHONY: fuzz-libfuzzer fuzz-smoke
fuzz-libfuzzer: $(LIBFUZZER_BINS) fuzz-seeds
	$(Q)for t in $(LIBFUZZERS); do mkdir -p $(BUILD)/fuzz/corpus/$$t; \
		$(FUZZ_RUN) $(BUILD)/fuzz $$t -max_total_time=$(FUZZ_SECONDS) \
			$(BUILD)/fuzz/corpus/$$t $(LIBFUZZER_SEEDS)/$$t || exit 1; done
fuzz-smoke: $(LIBFUZZER_BINS) fuzz-seeds
	$(Q)for t in $(LIBFUZZERS); do rm -rf $(BUILD)/fuzz/smoke/$$t; \
		mkdir -p $(BUILD)/fuzz/smoke/$$t; \
		$(FUZZ_RUN) $(BUILD)/fuzz $$t -runs=$(FUZZ_SMOKE_RUNS) -seed=1 \
			$(BUILD)/fuzz/smoke/$$t $(LIBFUZZER_SEEDS)/$$t || exit 1; done

FUZZ_TARGETS += fuzz-libfuzzer
