# `hvlab sweep --slurm` against a real one-node Slurm cluster (slurm-wlm and munge,
# started by the test in a temporary folder and stopped after; tests/slurm/cluster.py):
# a 2-point sweep through a job array, the same sweep run locally (byte-identical
# traces), a failed run resubmitted alone, a refused submission. About 30 s. Where Slurm
# cannot run it prints "SKIP slurm tests: <why>" (HVLAB_REQUIRE_SLURM=1: a failure).
.PHONY: slurm-test
slurm-test: all
	$(Q)$(PYTHON) tests/slurm/test_slurm.py
