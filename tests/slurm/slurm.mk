# `hvlab sweep --slurm` against a real one-node Slurm cluster (slurm-wlm and munge,
# started by the test in a temporary folder and stopped after; tests/slurm/cluster.py):
# a sweep of 8 points x 3 seeded repetitions (--long) through a job array, the same sweep
# run locally (byte-identical traces), a failed run resubmitted alone, a refused
# submission. A few minutes on 2 cores (the 2-point sweep without --long: 40 to 80 s). Where Slurm cannot run it prints "SKIP slurm tests:
# <why>" (HVLAB_REQUIRE_SLURM=1: a failure).
.PHONY: slurm-test
slurm-test: all
	$(Q)$(PYTHON) tests/slurm/test_slurm.py --long
