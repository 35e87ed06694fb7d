# Harness tests: the Python experiment harness (experiments/hvlab/) on synthetic
# traces and experiment files, and what runs on a fresh machine before anything is
# installed (make deps, the Python version check); no QEMU, a few seconds. They include
# a short run of the trace mutation test (tests/harness/fuzz_trace.py, 200 cases).
.PHONY: harness-test
harness-test:
	$(Q)$(PYTHON) tests/harness/run_tests.py

# The long mutation test of the trace decoder and analysis: synthetic and real
# (results/sched-compare) traces, seeds from 100000 on so it covers other cases
# than harness-test. `make fuzz` runs it with the other fuzz targets.
FUZZ_TRACE_CASES ?= 1000
.PHONY: fuzz-trace
fuzz-trace:
	$(Q)$(PYTHON) tests/harness/fuzz_trace.py --real --first 100000 --cases $(FUZZ_TRACE_CASES)
FUZZ_TARGETS += fuzz-trace
