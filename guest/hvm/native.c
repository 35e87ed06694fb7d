/* Running with no hypervisor (the native build of issue 12): the HVM image finds no
 * "hvlabhvlabhv" in CPUID and answers the runtime's hypercalls itself, so the same
 * runtime and workloads run on the bare (emulated) machine.
 *
 * Design: a hypercall becomes a function call (hypercall.h): console_io writes COM1;
 * set_timer_op arms the calling vCPU's LAPIC timer; the timer's interrupt raises
 * that vCPU's VIRQ_TIMER port in the runtime's own shared info page, exactly as the
 * hypervisor would, so events.c and time.c run unchanged (event channels:
 * native_evtchn.c, loopback pairs notified by LAPIC IPIs); time is the TSC,
 * calibrated against the PIT once and written into vcpu_info[0].time (system time 0 at calibration); the
 * runstate counts the time halted in plat_block as blocked, the rest as running;
 * shutdown stops the machine as the hypervisor would (QEMU exits with status 0 for
 * a poweroff, 3 for a crash, 7 for SHUTDOWN_error).
 * Secondary vCPUs (smp_hvm.c) share vCPU 0's time info (one TSC); VCPUOP_down
 * halts the caller for good; each vCPU's runstate is counted here.
 * Only what a lone domain can mean is answered; the rest (other domains, memory)
 * gets -ENOSYS.
 * Locking: a vCPU's runstate counters are written by itself (up_ns: by its starter,
 * before it runs); the timer interrupt only sets bits
 * atomically; event channels have their own lock (native_evtchn.c). */
#include <hvlab/shutdown.h>

#include "hvm.h"

#define DEBUG_EXIT_PORT   0xf4
#define ACPI_PM1A_CNT     0x604         /* QEMU pc machine (PIIX4 PM at 0x600) */
#define NATIVE_MAX_WAIT_NS 1000000000ull

static struct shared_info *native_si;
static uint64_t tsc_khz, lapic_khz;
/* Each vCPU's runstate: time halted in plat_block, and when it was started (vCPU 0:
 * at calibration, time 0) and downed (0: not); each written by one vCPU only. */
static uint64_t blocked_ns[MAX_VIRT_CPUS], up_ns[MAX_VIRT_CPUS], down_ns[MAX_VIRT_CPUS];
static bool vcpu_up[MAX_VIRT_CPUS] = { [0] = true };

bool hvm_detect_hypervisor(void)
{
    uint32_t a, b, c, d;

    hw_cpuid(1, &a, &b, &c, &d);
    if (!(c & (1u << 31)))              /* no hypervisor present */
        return false;
    hw_cpuid(0x40000000, &a, &b, &c, &d);
    return b == 0x616c7668 && c == 0x6c766862 && d == 0x76686261;   /* hvla bhvl abhv */
}

void native_init(struct shared_info *si)
{
    struct vcpu_time_info *t = &si->vcpu_info[0].time;

    native_si = si;
    uart_init();
    pic_mask_all();
    lapic_enable();
    hw_calibrate(&tsc_khz, &lapic_khz);
    if (!tsc_khz || !lapic_khz) {
        static const char msg[] = "native: the PIT calibration failed\n";

        uart_write(msg, sizeof(msg) - 1);
        native_poweroff(SHUTDOWN_crash);
    }
    t->tsc_to_ns_mul = (1000000ull << 32) / tsc_khz;
    t->tsc_timestamp = rdtsc();
    t->system_time_ns = 0;
}

void native_account_blocked(uint64_t ns)
{
    blocked_ns[smp_vcpu_id()] += ns;
}

/* A secondary's clock is vCPU 0's: one TSC (QEMU's TSCs agree), one calibration. */
void native_ap_init(struct guest_vcpu *v)
{
    v->info->time = native_si->vcpu_info[0].time;
    up_ns[v->id] = guest_now_ns();
    __atomic_store_n(&vcpu_up[v->id], true, __ATOMIC_RELEASE);
}

/* As the hypervisor counts it: offline until started and after VCPUOP_down, blocked
 * while halted in plat_block, running otherwise (nothing else runs natively). */
static void native_runstate(unsigned id, struct vcpu_runstate_info *r)
{
    uint64_t now = guest_now_ns(), down = __atomic_load_n(&down_ns[id], __ATOMIC_ACQUIRE);
    uint64_t end = down ? down : now;

    memset(r, 0, sizeof(*r));
    if (!__atomic_load_n(&vcpu_up[id], __ATOMIC_ACQUIRE)) {
        r->state = RUNSTATE_offline;
        r->time[RUNSTATE_offline] = (int64_t)now;
        return;
    }
    r->state = down ? RUNSTATE_offline : RUNSTATE_running;
    r->state_entry_time = (int64_t)(down ? down : now);
    r->time[RUNSTATE_offline] = (int64_t)(up_ns[id] + (now - end));
    r->time[RUNSTATE_blocked] = (int64_t)blocked_ns[id];
    r->time[RUNSTATE_running] = (int64_t)(end - up_ns[id] - blocked_ns[id]);
}

void native_timer_fired(void)
{
    native_evtchn_timer_fired();
}

static long native_set_timer(uint64_t deadline)
{
    uint64_t now = guest_now_ns(), ticks;

    if (!deadline) {
        lapic_timer_oneshot(0);
        return 0;
    }
    if (deadline <= now) {
        native_timer_fired();
        return 0;
    }
    /* A longer wait ends early (at most 1 s, and at most 2^32 ticks): sleep_until
     * re-arms until the deadline has passed. The cap keeps the product in 64 bits. */
    ticks = MIN(deadline - now, (uint64_t)NATIVE_MAX_WAIT_NS) * lapic_khz / 1000000 + 1;
    lapic_timer_oneshot((uint32_t)MIN(ticks, (uint64_t)UINT32_MAX));
    return 0;
}

/* As the hypervisor stops the machine (core/arch/x86/shutdown.c, same exit codes):
 * poweroff is ACPI S5 (QEMU's pc machine: PM1a control at 0x604, S5's SLP_TYP 0; no
 * FADT parsing here), anything else a failure code at isa-debug-exit. */
__noreturn void native_poweroff(unsigned reason)
{
    if (reason == SHUTDOWN_poweroff) {
        uint64_t end = rdtsc() + 2000 * tsc_khz;       /* 2 s: QEMU acts on it later */

        hw_outw(ACPI_PM1A_CNT, 0x2000);                 /* SLP_TYP 0, SLP_EN */
        while (rdtsc() < end)
            asm volatile("pause");
        hw_outl(DEBUG_EXIT_PORT, EXIT_CODE_POWEROFF_FAIL);
    }
    hw_outl(DEBUG_EXIT_PORT, reason == SHUTDOWN_error ? EXIT_CODE_DOM0_ERROR : EXIT_CODE_PANIC);
    for (;;)
        asm volatile("cli; hlt");
}

static long native_vcpu_op(unsigned cmd, unsigned vcpu, void *arg)
{
    if (cmd == VCPUOP_down && vcpu != 0 && vcpu == smp_vcpu_id()) {
        lapic_timer_oneshot(0);
        __atomic_store_n(&down_ns[vcpu], MAX(guest_now_ns(), 1ull), __ATOMIC_RELEASE);
        for (;;)                        /* as a downed vCPU: nothing wakes it */
            asm volatile("cli; hlt");
    }
    if (cmd == VCPUOP_is_up)
        return vcpu >= smp_nr_vcpus() ? -EINVAL
               : __atomic_load_n(&vcpu_up[vcpu], __ATOMIC_ACQUIRE) &&
                 !__atomic_load_n(&down_ns[vcpu], __ATOMIC_ACQUIRE);
    if (cmd == VCPUOP_get_runstate_info ? vcpu >= smp_nr_vcpus() : vcpu != smp_vcpu_id())
        return -EINVAL;
    switch (cmd) {
    case VCPUOP_get_runstate_info:
        native_runstate(vcpu, arg);
        return 0;
    case VCPUOP_set_singleshot_timer:
        return native_set_timer((uint64_t)*(const int64_t *)arg);
    case VCPUOP_stop_singleshot_timer:
        return native_set_timer(0);
    default:
        return -ENOSYS;
    }
}

static long native_sched_op(unsigned cmd, void *arg)
{
    switch (cmd) {
    case SCHEDOP_yield:
        return 0;                       /* nobody to yield to */
    case SCHEDOP_block:
        plat_block();
        return 0;
    case SCHEDOP_shutdown:
        native_poweroff(((const struct sched_shutdown *)arg)->reason);
    default:
        return -ENOSYS;
    }
}

long native_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                      uint64_t a5)
{
    switch (nr) {
    case HYPERVISOR_version:            /* the null call of bench/micro.c */
        return (HVLAB_VERSION_MAJOR << 16) | HVLAB_VERSION_MINOR;
    case HYPERVISOR_console_io:
        if (a1 == CONSOLEIO_write) {
            if (a2 > CONSOLEIO_MAX)
                return -E2BIG;
            uart_write((const char *)(uintptr_t)a3, a2);
            return 0;
        }
        return a1 == CONSOLEIO_read ? 0 : -ENOSYS;
    case HYPERVISOR_set_timer_op:
        return native_set_timer(a1);
    case HYPERVISOR_sched_op:
        return native_sched_op((unsigned)a1, (void *)(uintptr_t)a2);
    case HYPERVISOR_event_channel_op:
        return native_evtchn((unsigned)a1, (void *)(uintptr_t)a2);
    case HYPERVISOR_vcpu_op:
        return native_vcpu_op((unsigned)a1, (unsigned)a2, (void *)(uintptr_t)a3);
    default:
        return -ENOSYS;
    }
}
