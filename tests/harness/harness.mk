# Harness tests: the Python experiment harness (experiments/hvlab/) on synthetic
# traces and experiment files; no QEMU, a few seconds.
.PHONY: harness-test
harness-test:
	$(Q)$(PYTHON) tests/harness/run_tests.py
