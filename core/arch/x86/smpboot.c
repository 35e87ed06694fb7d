/* Bringing up the application processors, one at a time: copy the trampoline below
 * 1 MiB, give the AP a stack, INIT-SIPI-SIPI (the Intel MP start-up sequence), and
 * wait for it to say it is online. One at a time keeps the trampoline and the boot
 * stack variable free of races, and the boot log in a fixed order. */
#include <hvlab/addr.h>
#include <hvlab/irq.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/smp.h>
#include <hvlab/time.h>
#include <hvlab/timer.h>
#include <hvlab/topology.h>
#include <hvlab/x86/apic.h>
#include <hvlab/x86/svm.h>

#define STACK_ORDER 2                   /* 16 KiB hypervisor stacks */

extern const char trampoline_start[], trampoline_end[];
extern volatile uint64_t ap_boot_stack;
void paging_load_idle(void);

static volatile bool ap_started;
static struct percpu *volatile ap_booting;   /* the AP being started, set by the BSP */

struct percpu *percpu_alloc(unsigned cpu);

void __noreturn cpu_idle_loop(void);
struct vcpu *arch_idle_vcpu_create(unsigned cpu);
void sched_init_cpu(unsigned cpu, struct vcpu *idle);
void pv_init_cpu(void);

/* First C code on an AP, on its own stack, still on the boot page tables. */
void smp_ap_start(void)
{
    struct percpu *pc = ap_booting;

    paging_load_idle();
    desc_load_cpu(pc);
    lapic_init_cpu();
    timers_init_cpu();
    pv_init_cpu();
    svm_init_cpu();
    cpumask_set(&cpu_online_map, pc->cpu);
    __atomic_add_fetch(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&ap_started, true, __ATOMIC_RELEASE);
    cpu_idle_loop();
}

static bool start_ap(unsigned cpu)
{
    struct percpu *pc = percpu_alloc(cpu);
    void *stack = alloc_heap_pages(STACK_ORDER, pc->node, 0);
    if (!stack)
        panic("smp: no memory for CPU%u's stack", cpu);
    pc->stack_top = (uintptr_t)stack + (PAGE_SIZE << STACK_ORDER);
    sched_init_cpu(cpu, arch_idle_vcpu_create(cpu));

    ap_started = false;
    ap_booting = pc;
    ap_boot_stack = pc->stack_top;
    lapic_send_ipi(pc->apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
    udelay(10000);
    for (int i = 0; i < 2; i++) {
        lapic_send_ipi(pc->apic_id, ICR_STARTUP | (TRAMPOLINE_PHYS >> 12));
        udelay(200);
    }
    s_time_t deadline = NOW() + MILLISECS(1000);
    while (!__atomic_load_n(&ap_started, __ATOMIC_ACQUIRE) && NOW() < deadline)
        cpu_sleep_until(MIN(deadline, NOW() + MICROSECS(20)));
    ap_boot_stack = 0;
    return ap_started;
}

void smp_boot_aps(unsigned maxcpus)
{
    unsigned want = MIN(topo.nr_cpus, maxcpus);

    /* The trampoline is linked at its physical address, reachable through the direct map. */
    memcpy(__va(TRAMPOLINE_PHYS), __va((paddr_t)trampoline_start),
           trampoline_end - trampoline_start);
    for (unsigned cpu = 1; cpu < want; cpu++)
        if (!start_ap(cpu))
            pr_err("smp: CPU%u (APIC ID %u) did not come up\n", cpu, topo.apic_id[cpu]);
    if (want < topo.nr_cpus)
        pr_info("smp: maxcpus=%u: %u of %u CPUs left offline\n", maxcpus,
                topo.nr_cpus - want, topo.nr_cpus);
}
