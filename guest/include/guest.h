/* The guest runtime: what every guest, dom0 included, links against; built once per
 * platform (guest/platform.h): libguest.a for PV images, libguest-hvm.a for HVM and
 * native ones (guest/hvm/), from the same files but for the platform's own.
 * A guest provides `int main(const struct start_info *si)`; the runtime has by then
 * checked start_info, installed trap handlers, event delivery, time and the page
 * allocator. When main returns, the runtime prints "exit N" and shuts the domain
 * down: SHUTDOWN_poweroff for 0, SHUTDOWN_crash otherwise (dom0 sees the reason).
 *
 * vCPU 0 runs main; main may start the domain's other vCPUs (vcpu_start), each in a
 * function of its own. Events, time, timers and traps are per vCPU; printf, the page
 * allocator and the page-table helpers are safe from any vCPU.
 *
 * Limitations: no SSE anywhere (guests are built -mgeneral-regs-only); printf output
 * is cut at GUEST_PRINTF_MAX bytes; a secondary vCPU starts once (no restart after
 * vcpu_stop, its stack is not reclaimed); ports other than per-vCPU VIRQs are handled
 * on vCPU 0 (there is no EVTCHNOP_bind_vcpu). */
#ifndef GUEST_H
#define GUEST_H

#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hypercall.h>

/* ---- main.c: start-up and shut-down ---- */

extern const struct start_info *start_info;     /* as the builder left it */
extern struct shared_info *shared_info;         /* at GUEST_SHARED_INFO_VA */

#ifndef HOST_TEST                               /* host tests have their own main */
int main(const struct start_info *si);          /* each guest's own */
#endif
__noreturn void guest_exit(int code);           /* "exit N", then as main returning */
__noreturn void guest_shutdown(unsigned reason);/* SHUTDOWN_*, no message */
__noreturn void guest_crash(const char *fmt, ...) __printf(1, 2);
static inline unsigned guest_domid(void) { return start_info->domid; }
static inline bool guest_is_privileged(void) { return start_info->flags & SIF_PRIVILEGED; }

/* ---- smp.c: vCPUs ---- */

/* A spinlock between vCPUs. The _irqsave forms also disable events on the calling
 * vCPU, and are the ones to use for anything an event handler may also take. A
 * waiter spins a little, then yields its pCPU (the holder may be descheduled). */
typedef struct { uint32_t locked; } spinlock_t;
#define SPINLOCK_INIT { 0 }
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
unsigned long spin_lock_irqsave(spinlock_t *l);
void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags);

#define VCPU_STACK_PAGES 4                      /* a secondary vCPU's stack */
typedef void (*vcpu_fn_t)(unsigned id, void *arg);

unsigned smp_vcpu_id(void);                     /* the calling vCPU's */
unsigned smp_nr_vcpus(void);                    /* start_info nr_vcpus: the domain's */
/* Starts vCPU id (1 .. smp_nr_vcpus() - 1) in fn(id, arg) on a stack of its own,
 * with the runtime's traps and events set up for it; when fn returns the vCPU stops
 * (vcpu_stop). 0 or -errno: -EINVAL (bad id), -EEXIST (started before), -ENOMEM. */
int vcpu_start(unsigned id, vcpu_fn_t fn, void *arg);
__noreturn void vcpu_stop(void);                /* a secondary: VCPUOP_down on itself */
/* Waits (sleeping, not spinning) until vCPU id has stopped; what it wrote before
 * stopping is then visible. 0, or -EINVAL for a vCPU never started (or vCPU 0). */
int vcpu_join(unsigned id);
/* Runstate of one of our vCPUs (ns running, runnable, blocked, offline so far). */
int vcpu_runstate(unsigned id, struct vcpu_runstate_info *ri);

/* ---- console.c: output through console_io (each line gets "(dN) " in front) ----
 * One printf, puts or console_write is written whole, never interleaved with
 * another vCPU's. */

#define GUEST_PRINTF_MAX 1024
int printf(const char *fmt, ...) __printf(1, 2);
int vprintf(const char *fmt, va_list ap);
int puts(const char *s);                        /* s and a newline */
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int console_write(const char *s, size_t n);     /* 0 or -errno */
long console_read(char *buf, size_t n);         /* dom0: bytes read, 0 none, -errno */

/* ---- lib.c: command line and small helpers ---- */

/* start_info's command line is "key=value key2=value2 ...". guest_arg copies the
 * value of the last occurrence of key (NUL-terminated, cut to len) and returns true,
 * or returns false if key is absent; a bare "key" has the value "". */
bool guest_arg(const char *key, char *buf, size_t len);
uint64_t guest_arg_uint(const char *key, uint64_t def);   /* decimal or 0x hex */
unsigned long long strtoull(const char *s, char **end, int base);
const char *errno_name(long err);               /* -14 -> "EFAULT", else "E?" */

/* ---- events.c: event channels, upcalls, the virtual interrupt flag ---- */

/* Called from the upcall with events masked, on the interrupted stack: keep it short;
 * it may send events, set flags, change timers. The port's pending bit is already
 * cleared. */
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *arg);

/* Each returns the local port (>= 0) with h registered and the port unmasked, or a
 * negative errno. VIRQ_TIMER is bound to the calling vCPU and its handler runs there;
 * every other port notifies vCPU 0, where its handler runs. */
int evtchn_bind_virq(unsigned virq, evtchn_handler_t h, void *arg);
int evtchn_alloc_unbound(hv_domid_t remote, evtchn_handler_t h, void *arg);
int evtchn_bind_interdomain(hv_domid_t remote, evtchn_port_t remote_port,
                            evtchn_handler_t h, void *arg);
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t h, void *arg);
int evtchn_send(evtchn_port_t port);
int evtchn_close(evtchn_port_t port);           /* also drops the handler */
int evtchn_unmask(evtchn_port_t port);
void evtchn_mask(evtchn_port_t port);
extern uint64_t evtchn_unhandled;               /* events on ports without a handler */

/* The virtual interrupt flag is the calling vCPU's vcpu_info.evtchn_upcall_mask.
 * Enabling runs the handlers of events that arrived while disabled, right away. */
unsigned long local_irq_save(void);             /* disables; returns the old mask */
void local_irq_restore(unsigned long flags);
void local_irq_disable(void);
void local_irq_enable(void);
bool local_irqs_disabled(void);

/* Sleeps until an event is pending (PV: SCHEDOP_block; HVM: hlt; guest/platform.h),
 * then runs the handlers; returns with events enabled. Call with events disabled
 * after checking the condition you wait for, so a wake-up between the check and the
 * block is not lost:
 *     local_irq_disable(); while (!done) { guest_block(); local_irq_disable(); }
 *     local_irq_enable(); */
void guest_block(void);

/* ---- traps.c: exceptions bounced by the hypervisor ---- */

/* Registers the bounce entry saves, lowest address first, below the hypervisor's
 * frame (RAX, RCX, R11, RIP, RFLAGS, RSP live in bf). A handler may change any of
 * them; they are restored on return. */
struct guest_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r10, r9, r8, rdx, rsi, rdi;
};
struct guest_trap_frame {
    struct guest_regs regs;
    struct guest_bounce_frame bf;
};

/* Returns true to resume at f->bf.rip (e.g. after moving it past the faulting
 * instruction), false to fall back to the default: print the fault and crash. */
typedef bool (*trap_handler_t)(struct guest_trap_frame *f);
void trap_set_handler(unsigned vector, trap_handler_t h);   /* NULL: the default */
uint64_t trap_count(unsigned vector);           /* traps seen on vector (0..31) */
const char *trap_name(unsigned vector);         /* "#PF" */

/* ---- time.c: guest time, one-shot and periodic sleeps ---- */

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
uint64_t guest_now_ns(void);    /* the hypervisor's NOW(), from the TSC; monotonic */
/* Per vCPU: each vCPU sleeps on its own one-shot timer and VIRQ_TIMER port. */
void sleep_until(uint64_t deadline_ns);         /* VIRQ_TIMER + SCHEDOP_block */
/* Arms the calling vCPU's one-shot timer (binding VIRQ_TIMER on first use): at the deadline a
 * VIRQ_TIMER event wakes guest_block(). For waits with a time-out. */
void timer_set_deadline(uint64_t deadline_ns);
void sleep_ns(uint64_t ns);
extern uint64_t timer_events;                   /* VIRQ_TIMER events, all vCPUs */

struct periodic {
    uint64_t period_ns;
    uint64_t next_ns;           /* the next deadline */
};
void periodic_start(struct periodic *p, uint64_t period_ns);   /* first: now + period */
/* Sleeps until the next deadline and returns it; the one after is a period later
 * (deadlines do not drift with wake-up latency). */
uint64_t periodic_wait(struct periodic *p);

/* ---- mm.c: pseudo-physical memory, pages, mappings ---- */

#define INVALID_MFN (~0ULL)
#ifdef GUEST_HVM
#define GUEST_PFN0_VA 0ULL              /* HVM: identity-mapped, mfn = pfn = gfn */
#else
#define GUEST_PFN0_VA GUEST_VIRT_BASE
#endif
static inline void *pfn_to_virt(uint64_t pfn)
{
    return (void *)(uintptr_t)(GUEST_PFN0_VA + (pfn << PAGE_SHIFT));
}
uint64_t pfn_to_mfn(uint64_t pfn);              /* INVALID_MFN outside the domain */
uint64_t mfn_to_pfn(uint64_t mfn);              /* ~0 if not ours (a linear search) */
uint64_t virt_to_pfn(const void *va);           /* ~0 outside the pfn mapping */
uint64_t virt_to_mfn(const void *va);
uint64_t virt_to_maddr(const void *va);         /* machine address of the byte */

/* pages.c: pages from start_info.first_free_pfn on, mapped at pfn_to_virt(). */
void *alloc_page(void);                         /* zeroed; NULL when none left */
void *alloc_pages(uint64_t n);                  /* n contiguous pages, zeroed */
void free_page(void *va);
uint64_t free_pages_count(void);
/* guest/vnuma.c: the pages from pfn `at` (or the first never handed out, if later) to
 * the end leave this allocator, for per-vnode pools. Returns where they start and
 * sets *old_end to where they end. */
uint64_t pages_split(uint64_t at, uint64_t *old_end);
/* The balloon's side (guest/balloon.c): a page out of the allocator for good (its
 * pfn, ~0 when none is free), a page back into it (backed by a frame again), and the
 * end of the allocator's range (pages_init's end). */
uint64_t pages_balloon_take(void);
void pages_balloon_give(uint64_t pfn);
uint64_t pages_limit_pfn(void);

/* Both platforms (mm.c; guest/hvm/pt_hvm.c): maps one of our own frames at va with
 * a 4 KiB page (any page-aligned lower-half VA outside the runtime's own mapping;
 * tables are created as needed) and flushes its TLB entry. PV: through the
 * hypervisor, which validates the entry; HVM and native: a direct PTE write + INVLPG.
 * flags: PTE_W or 0 (PTE_P|PTE_U are added). */
int map_page(uint64_t va, uint64_t mfn, uint64_t flags);
int unmap_page(uint64_t va);

/* PV only (mm.c): an HVM guest owns its page tables (guest/hvm/mm_hvm.c). */
/* The L1 entry mapping va in our page tables (read-only view) and its machine
 * address; with create, the missing L3/L2/L1 tables are allocated, made read-only
 * and hooked in. 0 or -errno (-ENOENT: no table and !create). */
int pt_l1e(uint64_t va, bool create, const uint64_t **entry, uint64_t *maddr);
/* The frame behind pfn changed (the balloon; INVALID_MFN: none now). */
void pfn_set_mfn(uint64_t pfn, uint64_t mfn);

/* dom0: maps frame mfn of domain dom at va (e.g. from GUEST_FOREIGN_VA on) through
 * mmu_update with foreigndom. Replacing an existing mapping flushes it. */
int map_foreign_page(hv_domid_t dom, uint64_t mfn, uint64_t va, bool writable);

/* ---- internal: start-up steps, in main.c's order ---- */
void mm_init(const struct start_info *si);
void pages_init(uint64_t first_free_pfn, uint64_t end_pfn);
void events_init(void);
void time_init(void);

#endif
