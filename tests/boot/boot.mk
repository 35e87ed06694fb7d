# Boot tests under QEMU: tests/boot/test_boot.py boots build/hvlab.elf with several
# topologies and options and checks what the hypervisor prints; test_isolation.py runs
# targeted attacks by test guests; test_dom0_exit.py checks how a failed scenario and a
# dom0 crash stop the machine; test_trace.py runs scenarios with tracing into an
# ivshmem region and checks the streams; test_repro.py builds the tree in two folders
# and checks that images and results are the same; test_determinism.py checks that
# deterministic runs reproduce bit for bit; test_rt_agree.py that a real-time domain's
# work and misses mean the same to the guest, the trace analysis and rtds;
# test_policy_events.py that a policy's own trace events reach the analysis and Perfetto;
# test_sched_timing.py reads from a trace how long slice ends wait for a decision on
# each pCPU and what an rtds server gets per period; test_fuzz.py runs the hypercall
# fuzzer next to a bystander (a short run here, long in `make fuzz`); test_smp64.py
# schedules 64 vCPUs on 64 pCPUs in 8 nodes under credit2 and numa;
# test_doc_scheduler.py adds the policy of docs/writing-a-scheduler.md to a scratch copy
# of the tree from the doc's own text, boots it and checks its parameter is honoured;
# test_svmconf.py boots the SVM conformance kernel (tests/svmconf/) on bare QEMU and
# checks each EVENTINJ/V_IRQ case: architectural, or QEMU's recorded deviation;
# test_svm.py runs the SVM core's HVM test guest (and its crashes) next to a PV
# bystander, and checks that HVM is refused on a CPU without SVM;
# test_hvm.py boots the HVM images of the workloads natively and under hvlab;
# test_hvm_devices.py runs the HVM device test guest (every platform device checked;
# pinned away from its creation pCPU, its LAPIC timer on time);
# test_hvm_isolation.py runs the HVM isolation guest's attacks next to a PV bystander;
# test_grant.py (issue 11): grant tables between PV and HVM granters and mappers,
# every bad input's status, and a granter destroyed while its frames are mapped;
# test_store.py runs the store test guests (own keys, refusals, watches, a broken ring
# next to a bystander);
# test_net.py: frames between two domUs through dom0's bridge, a bad frontend next to
# a bystander pair, a bad vif entry (PV network);
# test_pdisk.py: dom0's physical virtio-blk disk against the host's image file;
# test_blk.py: PV block (pattern kept across domains and found in the image file, a
# malicious frontend next to a bystander, a domain destroyed mid-request, block-attach
# /-detach/-list, PVHVM, bad disk specs);
# test_devmodel.py runs HVM guests served by dom0's device model (and its crashes).
# test_costmodel.py: the cost-model plugin's exits and hypercalls against the trace of
# the same run, a run without it byte for byte the same (skipped, saying why, when QEMU
# cannot load plugins: $(BUILD)/costmodel/plugins.status).
# test_iobench.py: the disk benchmark in dom0 (xl disk-bench) and on a PVHVM guest
# (blkfront on HVM), checked by their result lines and the image file.
# test_vnuma.py: virtual NUMA on a 4-node machine: bad layouts refused, a PV and an HVM
# guest read their topology (memory op, SRAT/SLIT), frames on the mapped nodes.
# test_seeds.py: seeded repetitions are each repeatable bit for bit and differ from
# each other; the warm-up window; samples.csv; hvlab compare (docs/statistics.md).
# test_micro.py: every microbenchmark case (bench/micro.c) natively, as PV and as HVM,
# tiny iteration counts, every result line checked; the PV-vs-HVM report's measurement
# of the null call's cell as PV and as HVM under the cost model (docs/pv-vs-hvm.md); exits per
# callback-vector delivery (one NPF, no VINTR) for the HVM timer and PVHVM ping-pong.
# test_balloon.py: a PV and an HVM domU ballooned down and up (free count back exactly),
# a domU that ignores its target, mem-set above mem-max, dom0's autoballoon at create.
# test_mm_policy.py: every memory policy on 4 nodes, PV and HVM (first-touch populating
# HVM RAM at its nested page faults), frames per node read back with numa-list; bad
# settings refused with nothing left behind.
# test_hvm_smp.py: the HVM runtime's secondary vCPUs (INIT/SIPI, guest/hvm/smp_hvm.c):
# smptest natively on 3 CPUs and as a 3-vCPU HVM domain (4 s).
# test_mm_migrate.py: xl mem-migrate moves a PV and an HVM domain from node 0 to node 2
# while they check their memory; bad nodes and a full node refused, nothing changed.
# test_membench.py: the memory benchmark as PV and HVM (sums recomputed), and a tiny
# `hvlab numa` run: memory bound remote counts more remote accesses than local.
.PHONY: boot-test
boot-test: $(BUILD)/hvlab.elf $(BUILD)/tests/svmconf.elf costmodel
	$(Q)$(PYTHON) tests/boot/test_boot.py
	$(Q)$(PYTHON) tests/boot/test_svmconf.py
	$(Q)$(PYTHON) tests/boot/test_isolation.py
	$(Q)$(PYTHON) tests/boot/test_dom0_exit.py
	$(Q)$(PYTHON) tests/boot/test_trace.py
	$(Q)$(PYTHON) tests/boot/test_sched.py
	$(Q)$(PYTHON) tests/boot/test_sched_timing.py
	$(Q)$(PYTHON) tests/boot/test_harness_e2e.py
	$(Q)$(PYTHON) tests/boot/test_seeds.py
	$(Q)$(PYTHON) tests/boot/test_repro.py
	$(Q)$(PYTHON) tests/boot/test_determinism.py
	$(Q)$(PYTHON) tests/boot/test_rt_agree.py
	$(Q)$(PYTHON) tests/boot/test_policy_events.py
	$(Q)$(PYTHON) tests/boot/test_smp64.py
	$(Q)$(PYTHON) tests/boot/test_doc_scheduler.py
	$(Q)$(PYTHON) tests/boot/test_fuzz.py
	$(Q)$(PYTHON) tests/boot/test_svm.py
	$(Q)$(PYTHON) tests/boot/test_pdisk.py
	$(Q)$(PYTHON) tests/boot/test_blk.py
	$(Q)$(PYTHON) tests/boot/test_iobench.py
	$(Q)$(PYTHON) tests/boot/test_micro.py
	$(Q)$(PYTHON) tests/boot/test_hvm.py
	$(Q)$(PYTHON) tests/boot/test_hvm_devices.py
	$(Q)$(PYTHON) tests/boot/test_hvm_smp.py
	$(Q)$(PYTHON) tests/boot/test_hvm_isolation.py
	$(Q)$(PYTHON) tests/boot/test_devmodel.py
	$(Q)$(PYTHON) tests/boot/test_grant.py
	$(Q)$(PYTHON) tests/boot/test_store.py
	$(Q)$(PYTHON) tests/boot/test_balloon.py
	$(Q)$(PYTHON) tests/boot/test_net.py
	$(Q)$(PYTHON) tests/boot/test_costmodel.py
	$(Q)$(PYTHON) tests/boot/test_vnuma.py
	$(Q)$(PYTHON) tests/boot/test_mm_policy.py
	$(Q)$(PYTHON) tests/boot/test_mm_migrate.py
	$(Q)$(PYTHON) tests/boot/test_membench.py

# The long run: FUZZ_SEEDS=1,2,3,4 FUZZ_CALLS=1000000 FUZZ_SKIP=... (test_fuzz.py).
.PHONY: fuzz-hcall
fuzz-hcall: all
	$(Q)$(PYTHON) tests/boot/test_fuzz.py --long
FUZZ_TARGETS += fuzz-hcall
