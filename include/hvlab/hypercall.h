/* Hypercall handlers, one per subsystem file, gathered in core/hypercall.c's table.
 * Arguments are the guest's registers, untrusted: each handler checks them. */
#ifndef HVLAB_HYPERCALL_H
#define HVLAB_HYPERCALL_H

#include <hvlab/types.h>

long do_mmu_update(uint64_t reqs, uint64_t count, uint64_t done, uint64_t foreigndom);
long do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags);
long do_mmuext_op(uint64_t ops, uint64_t count, uint64_t done, uint64_t foreigndom);
long do_memory_op(uint64_t cmd, uint64_t arg);
struct domain;
/* Every pCPU running a vCPU of PV domain d flushes its TLB (d's page tables changed;
 * also the grant unmaps of core/grant_table_map.c). */
void flush_domain_tlbs(struct domain *d);
long do_set_timer_op(uint64_t deadline);
long do_vcpu_op(uint64_t cmd, uint64_t vcpuid, uint64_t arg);
long do_domctl(uint64_t arg);
long do_sysctl(uint64_t arg);
long sched_poll(uint64_t arg);
long pv_iret(void);
/* core/hypercall.c: a hypercall by VMMCALL from an HVM guest (the allowed subset). */
long hypercall_hvm(uint64_t nr, const uint64_t a[5]);
/* core/hypercall.c: a preemption point inside a long hypercall. If a scheduling
 * decision is pending on this pCPU, it is taken now (the calling vCPU may be switched
 * out here and resume later, maybe on another pCPU); returns whether it was. Call it
 * only with interrupts on, no lock held, and nothing held that would leak if the
 * vCPU never came back (its domain destroyed meanwhile): see core/hypercall.c. A
 * no-op outside a guest vCPU (boot code on an idle vCPU). */
bool hypercall_preempt(void);
/* Whether hypercall_preempt() would act now: for a loop that must tidy up first
 * (flush TLBs, drop a lock) before it reaches the point. */
bool hypercall_preempt_check(void);
/* A long loop reaches a preemption point at least this often (iterations of a few
 * hundred instructions each: ~50 us of icount time at most between two points). */
#define HYPERCALL_PREEMPT_BATCH 64

/* core/console_ring.c: the console log (dmesg) and dom0's console input. */
struct domain;
void console_guest_write(struct domain *d, const char *s, size_t n);
size_t console_read_input(char *buf, size_t max);
size_t console_log_read(char *buf, size_t max, uint32_t *index);

#endif
