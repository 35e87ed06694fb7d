# hvlab: one top-level Makefile; each folder adds its sources in its own *.mk fragment.
#   make            build everything (hypervisor image: build/hvlab.elf)
#   make test       every check: host unit tests, boot tests under QEMU
#   make fuzz       the fuzzers, long runs: libFuzzer targets (FUZZ_SECONDS=60 each) and
#                   the hypercall fuzzer guest (FUZZ_SEEDS=, FUZZ_CALLS=, FUZZ_SKIP=)
#   make qemu       boot interactively (SMP=n NODES=n MEM=MiB CMDLINE="...")
#   make deps       install missing Debian packages (as root) or print the command
#   make demo       deps, build, run the default experiment, write a report
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

BUILD   ?= build
CC      ?= gcc
HOSTCC  ?= gcc
PYTHON  ?= python3
Q       := $(if $(V),,@)

# The compiler's own headers (stddef.h, stdint.h): asked of the compiler on first use,
# not when the Makefile is read, because on a fresh machine `make demo` and `make test`
# install the compiler (deps) after reading it. Every flag variable that uses it is
# therefore recursive (=), so nothing expands it before a recipe runs.
GCC_INC = $(eval GCC_INC := $$(shell $$(CC) -print-file-name=include))$(GCC_INC)
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
# Images are byte-identical whatever folder the tree is built in: the checkout's path
# is rewritten to "." in debug info (DW_AT_comp_dir) and __FILE__, the compiler's own
# header folder to "gcc-include" (docs/experiments.md, "Reproducibility";
# tests/boot/test_repro.py holds it). Links use --build-id=none and carry no dates.
REPRO_FLAGS = -ffile-prefix-map=$(CURDIR)=. \
	$(if $(GCC_INC),-ffile-prefix-map=$(GCC_INC)=gcc-include)
# Freestanding: no libc, no red zone (interrupts write below RSP), no SSE in the
# hypervisor (guest FPU state is not ours to clobber), frame pointers for stack traces.
HV_CFLAGS = -std=gnu11 -O2 -g $(REPRO_FLAGS) $(WARN) -ffreestanding -fno-pic -fno-pie \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-asynchronous-unwind-tables \
	-fno-strict-aliasing -nostdinc -isystem $(GCC_INC) -Iinclude -MMD -MP
HV_ASFLAGS = -g $(REPRO_FLAGS) -D__ASSEMBLY__ -nostdinc -isystem $(GCC_INC) -Iinclude -MMD -MP
HV_LDFLAGS := -nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack \
	-Wl,--no-warn-rwx-segments -Wl,--build-id=none -Wl,--fatal-warnings

# Host-built tests: the same pure-logic files compiled as ordinary programs, with
# sanitizers, -DHOST_TEST for the few places that need a test double.
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -DHOST_TEST -Iinclude -Itests/unit \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

HV_SRCS :=
UNIT_TESTS :=
TESTS :=

# Each folder's fragment adds to HV_SRCS; tests/unit/unit.mk gathers UNIT_TESTS.
include $(sort $(wildcard core/*.mk core/lib/*.mk core/hvm/*.mk core/arch/x86/*.mk mm/*.mk sched/*.mk))
include tests/unit/unit.mk
include tests/boot/boot.mk
include tests/harness/harness.mk
include tests/slurm/slurm.mk
# Guests: the runtime, workloads, test guests and dom0 (built as PV guest images).
include guest/guest.mk bench/bench.mk tests/guests/guests.mk dom0/dom0.mk tests/minimal/minimal.mk tests/svmconf/svmconf.mk
include tests/fuzz/fuzz.mk
include tools/costmodel/costmodel.mk
include tests/linux/linux.mk

# Every fragment above may add to FUZZ_TARGETS; `make fuzz` runs them all.
.PHONY: fuzz
fuzz: $(FUZZ_TARGETS)

HV_OBJS := $(patsubst %,$(BUILD)/hv/%.o,$(HV_SRCS))

.PHONY: all test unit-test boot-test qemu deps demo clean
all: $(BUILD)/hvlab.elf

$(BUILD)/hv/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) -c $< -o $@
$(BUILD)/hv/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_ASFLAGS) -c $< -o $@

# Two-pass link for symbolic stack traces: link once with an empty symbol table,
# generate the table from that image's text symbols, link again. The table sits after
# all code and data, so adding it moves no function.
LDSCRIPT := core/arch/x86/hvlab.ld
$(BUILD)/hv/syms0.S:
	@mkdir -p $(dir $@)
	$(Q)echo | $(PYTHON) core/gen_symtab.py > $@
$(BUILD)/hv/%.sym.o: $(BUILD)/hv/%.S
	$(Q)$(CC) $(HV_ASFLAGS) -c $< -o $@
$(BUILD)/hvlab-pass1.elf: $(HV_OBJS) $(BUILD)/hv/syms0.sym.o $(LDSCRIPT)
	$(Q)$(CC) $(HV_LDFLAGS) -T $(LDSCRIPT) -o $@ $(HV_OBJS) $(BUILD)/hv/syms0.sym.o
$(BUILD)/hv/syms1.S: $(BUILD)/hvlab-pass1.elf core/gen_symtab.py
	$(Q)nm -n $< | $(PYTHON) core/gen_symtab.py > $@
$(BUILD)/hvlab64.elf: $(HV_OBJS) $(BUILD)/hv/syms1.sym.o $(LDSCRIPT)
	$(Q)$(CC) $(HV_LDFLAGS) -T $(LDSCRIPT) -o $@ $(HV_OBJS) $(BUILD)/hv/syms1.sym.o
	$(Q)nm -n $@ | $(PYTHON) core/gen_symtab.py | cmp -s - $(BUILD)/hv/syms1.S || \
		{ echo "symbol table moved code between link passes" >&2; exit 1; }
# QEMU's multiboot loader takes only 32-bit ELF files: convert, keeping load addresses.
$(BUILD)/hvlab.elf: $(BUILD)/hvlab64.elf
	$(Q)objcopy -O elf32-i386 $< $@
	@echo "  built $@"

unit-test: $(addprefix $(BUILD)/unit/,$(UNIT_TESTS))
	$(Q)pass=0; fail=0; for t in $^; do if $$t; then pass=$$((pass+1)); else fail=$$((fail+1)); fi; done; \
	echo "unit test programs: $$pass passed, $$fail failed"; exit $$fail

# Everything that checks the project. Unit tests first: they take a second.
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit-test
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory harness-test
	$(Q)$(MAKE) --no-print-directory boot-test
	$(Q)$(MAKE) --no-print-directory slurm-test
	$(Q)$(MAKE) --no-print-directory linux-test

# A shell script: on a fresh machine python3 is among what it installs.
deps:
	$(Q)PYTHON='$(PYTHON)' sh tools/deps.sh

SMP ?= 2
NODES ?= 1
MEM ?= 512
ICOUNT ?= 0
CMDLINE ?=
qemu: all
	$(Q)$(PYTHON) tools/qemu.py --smp $(SMP) --nodes $(NODES) --mem $(MEM) \
		--icount $(ICOUNT) --cmdline "$(CMDLINE)"

# The default experiments: rr, credit, credit2 and rtds compared on 2 pCPUs
# (experiments/sched-compare.toml) -> results/sched-compare/report.md; credit and rtds
# over five seeded repetitions with 95 % intervals (experiments/sched-compare-seeded.toml)
# -> results/sched-compare-seeded/report.md; then PV vs HVM
# vs native (experiments/pv-vs-hvm.toml, docs/pv-vs-hvm.md) -> results/pv-vs-hvm/
# README.md, with modelled cycles when the cost-model plugin builds and QEMU loads it
# (without, the report says so and gives path lengths only).
# The build is a second make, started after deps, so that it runs after the compiler is
# installed whatever the -j (prerequisites of one rule may run in parallel).
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory costmodel || \
		echo "demo: the cost-model plugin did not build: path lengths only"
	$(Q)./hvlab run experiments/sched-compare.toml --jobs 2
	$(Q)./hvlab run experiments/sched-compare-seeded.toml --jobs 2
	$(Q)./hvlab pv-vs-hvm experiments/pv-vs-hvm.toml --jobs 2 --no-build

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
