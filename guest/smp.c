/* Secondary vCPUs: bring-up, stop, join; the per-vCPU slots; spinlocks.
 *
 * Design: vCPU 0 runs main from the builder's context. vcpu_start gives vCPU id a
 * stack from the page allocator and has the platform start it (guest/platform.h; PV:
 * a context by VCPUOP_initialise with the same L4 as the caller, RIP =
 * guest_vcpu_entry (entry.S), RDI = its slot, the event callback, and a GS base that
 * makes this_vcpu() find the slot (smp.h); then VCPUOP_up). The new vCPU installs its own trap table (per
 * vCPU in the hypervisor), enables events, runs fn and stops. Its upcalls use its own
 * vcpu_info (events.c), its sleeps its own timer and VIRQ_TIMER port (time.c).
 * Locking: a slot's state moves NONE -> STARTING (compare-and-swap, so one starter
 * wins; back to NONE if the hypervisor refuses the context) -> RUNNING -> STOPPED;
 * a joiner reads STOPPED with acquire, pairing with the release in vcpu_stop.
 * Spinlocks are test-and-test-and-set.
 * Limitations: a vCPU starts once; its stack is never freed (nothing says when the
 * hypervisor stops using it). */
#include "platform.h"

#define SPIN_BEFORE_YIELD 1000          /* pause loops before giving up the pCPU */
#define JOIN_POLL_MIN_NS  50000         /* vcpu_join's first sleep between looks, */
#define JOIN_POLL_MAX_NS  2000000       /* doubling up to this */

struct guest_vcpu guest_vcpus[MAX_VIRT_CPUS] = {
    [0] = { .self = &guest_vcpus[0], .id = 0, .state = VCPU_STATE_RUNNING },
};

/* ---- spinlocks ---- */

void spin_lock(spinlock_t *l)
{
    unsigned spins = 0;

    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
            if (++spins < SPIN_BEFORE_YIELD) {
                __builtin_ia32_pause();
            } else {
                spins = 0;
                hv_sched_op(SCHEDOP_yield, NULL);
            }
        }
    }
}

void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

unsigned long spin_lock_irqsave(spinlock_t *l)
{
    unsigned long flags = local_irq_save();

    spin_lock(l);
    return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags)
{
    spin_unlock(l);
    local_irq_restore(flags);
}

/* ---- vCPUs ---- */

/* There is no IPI to tell vCPU 0 that a secondary stopped (ports other than VIRQs
 * notify vCPU 0 only, and a loopback channel would take ports guests count on), so
 * vcpu_join polls, sleeping: short sleeps first, as secondaries usually stop
 * together, then backing off so that a long wait does not keep waking vCPU 0. */

unsigned smp_vcpu_id(void)
{
    return this_vcpu()->id;
}

unsigned smp_nr_vcpus(void)
{
    return MAX(1u, MIN(start_info->nr_vcpus, (uint32_t)MAX_VIRT_CPUS));
}

int vcpu_runstate(unsigned id, struct vcpu_runstate_info *ri)
{
    return (int)hv_vcpu_op(VCPUOP_get_runstate_info, id, ri);
}

int vcpu_start(unsigned id, vcpu_fn_t fn, void *arg)
{
    struct guest_vcpu *v;
    unsigned expect = VCPU_STATE_NONE;
    bool stack_in_use;
    int rc;

    if (id == 0 || id >= smp_nr_vcpus() || !fn)
        return -EINVAL;
    v = &guest_vcpus[id];
    if (!__atomic_compare_exchange_n(&v->state, &expect, VCPU_STATE_STARTING, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return -EEXIST;
    v->stack = alloc_pages(VCPU_STACK_PAGES);
    if (!v->stack) {
        __atomic_store_n(&v->state, VCPU_STATE_NONE, __ATOMIC_RELEASE);
        return -ENOMEM;
    }
    v->self = v;
    v->id = id;
    v->info = &shared_info->vcpu_info[id];
    v->fn = fn;
    v->arg = arg;
    /* Events stay off until its trap table is in (guest_vcpu_main). */
    __atomic_store_n(&v->info->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
    rc = plat_vcpu_start(v, &stack_in_use);
    if (rc < 0) {
        if (stack_in_use)               /* the slot stays STARTING with its stack */
            return rc;
        for (unsigned i = 0; i < VCPU_STACK_PAGES; i++)
            free_page((char *)v->stack + (i << PAGE_SHIFT));
        __atomic_store_n(&v->state, VCPU_STATE_NONE, __ATOMIC_RELEASE);
        return rc;
    }
    return 0;
}

/* A secondary's first C code (from guest_vcpu_entry, on its own stack). */
void guest_vcpu_main(struct guest_vcpu *v)
{
    if (this_vcpu() != v)
        guest_crash("smp: vCPU %u: GS base does not lead to its slot", v->id);
    plat_traps_init();
    __atomic_store_n(&v->state, VCPU_STATE_RUNNING, __ATOMIC_RELEASE);
    local_irq_enable();
    v->fn(v->id, v->arg);
    vcpu_stop();
}

__noreturn void vcpu_stop(void)
{
    struct guest_vcpu *v = this_vcpu();

    if (v->id == 0)
        guest_crash("smp: vcpu_stop on vCPU 0 (main returns or calls guest_exit)");
    local_irq_disable();
    hv_set_timer_op(0);
    __atomic_store_n(&v->state, VCPU_STATE_STOPPED, __ATOMIC_RELEASE);
    for (;;)
        hv_vcpu_op(VCPUOP_down, v->id, NULL);
}

int vcpu_join(unsigned id)
{
    struct guest_vcpu *v;

    if (id == 0 || id >= MAX_VIRT_CPUS)
        return -EINVAL;
    v = &guest_vcpus[id];
    if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_STATE_NONE)
        return -EINVAL;
    for (uint64_t ns = JOIN_POLL_MIN_NS;
         __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) != VCPU_STATE_STOPPED;
         ns = MIN(2 * ns, (uint64_t)JOIN_POLL_MAX_NS))
        sleep_ns(ns);
    return 0;
}

/* vCPU 0's slot, once shared_info is known (its self pointer is static). */
void smp_init(void)
{
    guest_vcpus[0].info = &shared_info->vcpu_info[0];
    if (this_vcpu() != &guest_vcpus[0])
        guest_crash("smp: vCPU 0 has a non-zero GS base");
}
