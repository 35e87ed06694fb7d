/* The disk benchmark's core, one copy for every path it compares: linked into the
 * diskbench guest (PV: blkfront; HVM: emulated ATA; PVHVM: blkfront; native: virtio)
 * and into dom0 (`xl disk-bench`, on its native virtio driver). */
#ifndef BENCH_DISK_RUN_H
#define BENCH_DISK_RUN_H

#include <blkdev.h>

#define DISKBENCH_MAX_QD 32

enum diskbench_op { DB_SEQWRITE, DB_SEQREAD, DB_RANDWRITE, DB_RANDREAD, DB_NR_OPS };

struct diskbench_opts {
    unsigned ops;                       /* 1u << enum diskbench_op */
    unsigned qds[2];                    /* queue depths to run (0: unused) */
    uint32_t reqs;                      /* 4 KiB requests per case */
    uint64_t seed;                      /* for the random offsets */
    const char *mode;                   /* what the result lines call the path */
};

/* The defaults: every op, qd=1,32, reqs=256, seed=1. */
void diskbench_opts_init(struct diskbench_opts *o, const char *mode);
/* Sets one option: ops=seqwrite,seqread,randwrite,randread (any of them) qd=Q[,Q2]
 * (1..32 each) reqs=N (1..10^6) seed=S. 0, -EINVAL (bad value: o unchanged),
 * -ENOENT (no such key). */
int diskbench_opt(struct diskbench_opts *o, const char *key, const char *val);
/* diskbench_opts_init, then the options on the command line (guest_arg); a bad
 * value is reported and ignored. */
void diskbench_opts_from_args(struct diskbench_opts *o, const char *mode);
/* Runs every case on d, printing one line per case:
 *   result bench=disk mode=M dev=D op=O qd=Q reqs=N bytes=B ns=T iops=I ns_per_req=P
 *          errors=E verify_errors=V run_ns=R
 * R: the running time of the benchmark's own vCPU during the case (runstate; under
 * -icount, instructions it executed, with the hypervisor's for it; the time halted
 * waiting for the device, or other domains' time, is not in it).
 * Sequential reads check the pattern sequential writes left (sector-stamped). The
 * number of cases that had errors. */
int diskbench_run(struct blkdev *d, const struct diskbench_opts *o);

#endif
