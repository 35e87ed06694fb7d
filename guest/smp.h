/* The runtime's per-vCPU state (internal to guest/; guests use guest.h's smp_* and
 * vcpu_* calls).
 *
 * Finding it: each vCPU's GS base is the distance from guest_vcpus[0] to its own
 * slot, so "%gs:guest_vcpus[0].self" reads the slot's self pointer on any vCPU.
 * vCPU 0 gets GS base 0 from the domain builder (pvbuild zeroes the context) and so
 * reads guest_vcpus[0] itself; a secondary gets its GS base from the context
 * vcpu_start gives it (the hypervisor restores it on every switch-in). A PV guest
 * cannot change its GS base afterwards (WRMSR and WRGSBASE are not allowed), and
 * does not need to. This is Linux's per-CPU offset scheme with CPU 0's offset 0. */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <guest.h>

enum {
    VCPU_STATE_NONE,            /* never started (vCPU 0: always RUNNING) */
    VCPU_STATE_STARTING,        /* vcpu_start under way */
    VCPU_STATE_RUNNING,         /* in its function */
    VCPU_STATE_STOPPED,         /* its function returned, or it called vcpu_stop */
};

struct guest_vcpu {
    struct guest_vcpu *self;    /* read through %gs: see above */
    unsigned id;
    unsigned state;             /* VCPU_STATE_*, atomic */
    struct vcpu_info *info;     /* &shared_info->vcpu_info[id] */
    /* Written by the vCPU itself only. */
    evtchn_port_t timer_port;   /* VIRQ_TIMER, bound on first use; 0: not yet */
    /* Set by vcpu_start before the vCPU runs. */
    vcpu_fn_t fn;
    void *arg;
    void *stack;
    /* Ports whose events this vCPU handles (secondaries only: vCPU 0 handles every
     * port no secondary owns). Written under events.c's owner lock. */
    uint64_t ports[NR_EVENT_CHANNELS / 64];
};

extern struct guest_vcpu guest_vcpus[MAX_VIRT_CPUS];

/* The calling vCPU's slot. A flow of execution never moves between vCPUs (each
 * stack belongs to one), so the compiler may cache the answer. */
static inline struct guest_vcpu *this_vcpu(void)
{
    struct guest_vcpu *v;

    asm("mov %%gs:%1, %0" : "=r"(v) : "m"(guest_vcpus[0].self));
    return v;
}

static inline struct vcpu_info *this_vcpu_info(void)
{
    return this_vcpu()->info;
}

/* events.c: which vCPU handles port (set when it is bound, cleared when closed). */
void evtchn_set_owner(evtchn_port_t port, unsigned vcpu);
void smp_init(void);
void guest_vcpu_main(struct guest_vcpu *v);      /* entry.S: a secondary's first C */

#endif
