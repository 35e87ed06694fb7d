/* Secondary vCPUs of the HVM runtime, under hvlab and natively (guest/platform.h's
 * plat_vcpu_start): how many there are, from the ACPI MADT (the HVM domain builder's,
 * core/lib/hvmbuild_acpi.c, or QEMU's firmware's for -smp N), and starting one the
 * way a real CPU is started: INIT and SIPI through the LAPIC's ICR to its APIC id.
 *
 * Design: the real-mode trampoline (trampoline.S) is copied to HVM_TRAMP_PHYS below
 * 1 MiB (smp_hvm.h says why there) with a parameter block that carries the starter's
 * CR0/CR3/CR4/EFER (so the AP runs on the BSP's page tables), the vCPU's GS base
 * (guest/smp.h: the offset of its slot), its stack top and hvm_ap_main(slot). The
 * AP then takes the IDT (plat_traps_init: one IDT for all, each vCPU loads it), its
 * LAPIC (software-enabled; natively its timer's divider as calibrated on vCPU 0) and
 * its event delivery (plat_events_init: under hvlab HVMOP_set_evtchn_upcall_vector
 * for its own vCPU id, so its VIRQ_TIMER and anything bound to it arrive on its own
 * callback vector), then guest_vcpu_main (guest/smp.c). No TSS: the runtime runs in
 * ring 0 only and uses no IST stack, so nothing ever switches stacks through one.
 * Natively the AP's clock is vCPU 0's time info (native_ap_init).
 * Locking: tramp_lock holds the trampoline page from the copy until the AP says it
 * has read the parameter block (TP_TAKEN), so two starters cannot mix their blocks.
 * Limitations: a vCPU that never takes the block within AP_START_NS is reported
 * (-ETIMEDOUT) and its stack kept: it may still start later; INIT of a running vCPU
 * (a restart) is not supported by hvlab (svm_sipi.c), so a vCPU starts once. */
#include "smp_hvm.h"
#include <hvlab/acpi.h>
#include <hvlab/topology.h>

#define MSR_EFER         0xc0000080
#define ICR_INIT         0x4500         /* INIT, level assert, physical destination */
#define ICR_STARTUP      0x4600         /* start-up; | the vector (page number) */
#define SIPI_RETRY_NS    10000000ull    /* a second SIPI after 10 ms (the MP spec's) */
#define AP_START_NS      1000000000ull
#define BIOS_AREA        0xE0000ULL
#define BIOS_AREA_LEN    0x20000ULL

static uint32_t apic_ids[MAX_VIRT_CPUS];        /* vCPU i's APIC id, MADT order */
static unsigned nr_vcpus = 1;                   /* set once, before any AP runs */
static spinlock_t tramp_lock = SPINLOCK_INIT;

unsigned hvm_apic_id(unsigned vcpu)
{
    return vcpu < MAX_VIRT_CPUS ? apic_ids[vcpu] : 0;
}

static const void *smp_acpi_map(paddr_t pa, size_t len)
{
    return pa + len <= (1ULL << 32) && pa + len >= pa ? (const void *)(uintptr_t)pa : NULL;
}

/* From hvm_main, first (natively before the clock's time 0 at calibration, so the
 * scan of the BIOS area, ~150,000 instructions, is not counted as time a workload's
 * first period waited): one vCPU unless the MADT lists more usable LAPICs (vCPU 0
 * first: the BSP, as the builder and firmware list it). More than MAX_VIRT_CPUS: the
 * rest stay unstarted. Prints nothing (the console may not be up). */
void hvm_smp_probe(void)
{
    static struct topology t;
    const struct acpi_header *madt;
    const struct acpi_rsdp *rsdp;
    long off = acpi_find_rsdp((const void *)(uintptr_t)BIOS_AREA, BIOS_AREA_LEN);

    nr_vcpus = 1;
    if (off < 0)
        return;
    rsdp = (const void *)(uintptr_t)(BIOS_AREA + (uint64_t)off);
    madt = acpi_find_table(rsdp, "APIC", 0, smp_acpi_map);
    if (!madt || acpi_parse_madt(madt, &t) < 0 || t.nr_cpus == 0)
        return;
    nr_vcpus = MIN(t.nr_cpus, (unsigned)MAX_VIRT_CPUS);
    for (unsigned i = 0; i < nr_vcpus; i++)
        apic_ids[i] = t.apic_id[i];
}

unsigned hvm_smp_count(void)
{
    return nr_vcpus;
}

static inline uint64_t cr_read(int n)
{
    uint64_t v = 0;

    if (n == 0)
        asm volatile("mov %%cr0, %0" : "=r"(v));
    else if (n == 3)
        asm volatile("mov %%cr3, %0" : "=r"(v));
    else
        asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline uint64_t msr_read(uint32_t msr)
{
    uint32_t lo, hi;

    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static bool tramp_taken(volatile struct hvm_tramp_params *tp, uint64_t until)
{
    while (!__atomic_load_n(&tp->taken, __ATOMIC_ACQUIRE))
        if (guest_now_ns() >= until)
            return false;
        else
            asm volatile("pause");
    return true;
}

int plat_vcpu_start(struct guest_vcpu *v, bool *stack_in_use)
{
    volatile struct hvm_tramp_params *tp =
        (void *)(uintptr_t)(HVM_TRAMP_PHYS + HVM_TRAMP_PARAMS);
    size_t len = (size_t)(hvm_tramp_end - hvm_tramp_start);
    unsigned apic = hvm_apic_id(v->id);
    unsigned long flags;
    uint64_t t0;
    bool ok;

    *stack_in_use = false;
    if (len > HVM_TRAMP_PARAMS)
        guest_crash("smp: the trampoline (%zu bytes) overlaps its parameters", len);
    if (cr_read(3) >> 32)
        return -EINVAL;                 /* the 32-bit step cannot load it */
    flags = spin_lock_irqsave(&tramp_lock);
    memcpy((void *)(uintptr_t)HVM_TRAMP_PHYS, hvm_tramp_start, len);
    tp->cr0 = (uint32_t)cr_read(0);
    tp->cr3 = (uint32_t)cr_read(3);
    tp->cr4 = (uint32_t)cr_read(4);
    tp->efer = (uint32_t)msr_read(MSR_EFER);
    tp->gs_base = (uintptr_t)v - (uintptr_t)&guest_vcpus[0];
    tp->stack = (uintptr_t)v->stack + VCPU_STACK_PAGES * PAGE_SIZE;
    tp->arg = (uintptr_t)v;
    tp->entry = (uintptr_t)hvm_ap_main;
    tp->taken = 0;
    if (hvm_native)
        native_ap_init(v);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    /* INIT, then SIPI; a second SIPI only if the first was not taken (hvlab and QEMU
     * need no delay after INIT; hardware may: the retry covers it). */
    lapic_send_ipi(apic, ICR_INIT);
    lapic_send_ipi(apic, ICR_STARTUP | HVM_TRAMP_VECTOR);
    t0 = guest_now_ns();
    ok = tramp_taken(tp, t0 + SIPI_RETRY_NS);
    if (!ok) {
        lapic_send_ipi(apic, ICR_STARTUP | HVM_TRAMP_VECTOR);
        ok = tramp_taken(tp, t0 + AP_START_NS);
    }
    spin_unlock_irqrestore(&tramp_lock, flags);
    if (!ok) {
        *stack_in_use = true;           /* it may still come up on it */
        printf("smp: vCPU %u (APIC id %u) did not start within %llu ms of INIT/SIPI\n",
               v->id, apic, (unsigned long long)(AP_START_NS / 1000000));
        return -ETIMEDOUT;
    }
    return 0;
}

/* The trampoline's jump, on v's stack with its GS base; interrupts off (IF clear). */
void hvm_ap_main(struct guest_vcpu *v)
{
    plat_traps_init();                  /* before anything can fault or arrive */
    if (lapic_id() != hvm_apic_id(v->id))
        guest_crash("smp: vCPU %u runs on APIC id %u, the MADT says %u", v->id,
                    lapic_id(), hvm_apic_id(v->id));
    if (hvm_native)
        lapic_timer_init();
    plat_events_init();                 /* events stay masked: vcpu_start masked them */
    guest_vcpu_main(v);
}
