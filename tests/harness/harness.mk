# Harness tests: the Python experiment harness (experiments/hvlab/) on synthetic
# traces and experiment files, and what runs on a fresh machine before anything is
# installed (make deps, the Python version check); no QEMU, a few seconds.
.PHONY: harness-test
harness-test:
	$(Q)$(PYTHON) tests/harness/run_tests.py
