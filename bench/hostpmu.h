/* Host hardware counters for the host benchmarks (bench/sched_scale.c): cycles and
 * instructions of this thread, user space only, through perf_event_open(2) directly
 * (no library). Where the host has no counters (most VMs: perf stat says
 * "<not supported>") hostpmu_open() fails and says why in p->why; callers print it. */
#ifndef HVLAB_BENCH_HOSTPMU_H
#define HVLAB_BENCH_HOSTPMU_H

#include <stdbool.h>
#include <stdint.h>

struct hostpmu {
    int fd_cycles, fd_instr;        /* a group: cycles leads, both run together */
    bool ok;
    char why[192];                  /* !ok: what perf_event_open answered */
};

/* hostpmu.c */
bool hostpmu_open(struct hostpmu *p);
void hostpmu_start(struct hostpmu *p);
/* Stops the group and returns its counts since hostpmu_start (false: a read failed
 * or the counters were multiplexed off part of the time, so the counts are partial). */
bool hostpmu_stop(struct hostpmu *p, uint64_t *cycles, uint64_t *instructions);
void hostpmu_close(struct hostpmu *p);

#endif
