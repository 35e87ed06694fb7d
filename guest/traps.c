/* Exceptions bounced to the guest, and the C side of the bounce entry (entry.S).
 *
 * Design: one assembly entry for every vector and for event upcalls; the frame says
 * which (bf.vector). Each exception is counted; a registered handler may resume the
 * guest (typically after moving bf.rip), anything else prints the fault and crashes
 * the domain, since returning to a faulting instruction only faults again.
 * How a fault gets here is the platform's (guest/platform.h: PV, the hypervisor's
 * bounce; HVM, the guest's own IDT), set up per vCPU by plat_traps_init; handlers
 * and counts are shared by all vCPUs.
 * Limitations: handlers run on the interrupted stack. */
#include "platform.h"

#define NR_TRAPS 32

void guest_iret_failed(long rc);

_Static_assert(sizeof(struct guest_regs) == 96 && sizeof(struct guest_bounce_frame) == 72 &&
               __builtin_offsetof(struct guest_bounce_frame, rip) == 48 &&
               __builtin_offsetof(struct guest_bounce_frame, rsp) == 64,
               "entry.S hard-codes these offsets");

static trap_handler_t handlers[NR_TRAPS];
static uint64_t counts[NR_TRAPS];

static const char *const names[NR_TRAPS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *trap_name(unsigned vector)
{
    return vector < NR_TRAPS && names[vector] ? names[vector] : "#??";
}

void trap_set_handler(unsigned vector, trap_handler_t h)
{
    if (vector < NR_TRAPS)
        handlers[vector] = h;
}

uint64_t trap_count(unsigned vector)
{
    return vector < NR_TRAPS ? __atomic_load_n(&counts[vector], __ATOMIC_RELAXED) : 0;
}

static __noreturn void trap_fatal(const struct guest_trap_frame *f)
{
    const struct guest_bounce_frame *bf = &f->bf;

    printf("trap: vector %llu (%s) error %#llx rip %#llx cr2 %#llx rsp %#llx rflags %#llx\n",
           (unsigned long long)bf->vector, trap_name(bf->vector),
           (unsigned long long)bf->error_code, (unsigned long long)bf->rip,
           (unsigned long long)bf->cr2, (unsigned long long)bf->rsp,
           (unsigned long long)bf->rflags);
    printf("trap: rax %#llx rbx %#llx rcx %#llx rdx %#llx rsi %#llx rdi %#llx rbp %#llx\n",
           (unsigned long long)bf->rax, (unsigned long long)f->regs.rbx,
           (unsigned long long)bf->rcx, (unsigned long long)f->regs.rdx,
           (unsigned long long)f->regs.rsi, (unsigned long long)f->regs.rdi,
           (unsigned long long)f->regs.rbp);
    guest_crash("unhandled %s", trap_name(bf->vector));
}

void guest_bounce_dispatch(struct guest_trap_frame *f)
{
    uint64_t v = f->bf.vector;

    if (v == BOUNCE_VECTOR_UPCALL) {
        evtchn_do_upcall();
        return;
    }
    if (v >= NR_TRAPS)
        trap_fatal(f);
    __atomic_fetch_add(&counts[v], 1, __ATOMIC_RELAXED);
    if (handlers[v] && handlers[v](f))
        return;
    trap_fatal(f);
}

void guest_iret_failed(long rc)
{
    guest_crash("SCHEDOP_iret failed: %ld (%s)", rc, errno_name(rc));
}
