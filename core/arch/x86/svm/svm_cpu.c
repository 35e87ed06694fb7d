/* SVM on each pCPU: the CPUID check, EFER.SVME, the host save area (VM_HSAVE_PA) that
 * VMRUN writes the host state into, the host VMCB that VMSAVE/VMLOAD keep the rest of
 * the host's state in (FS, GS, TR, LDTR, KernelGSBase, SYSCALL MSRs), and the pCPU's
 * ASID pool (include/hvlab/x86/svm_asid.h says how generations and flushes work).
 *
 * Locking: everything per pCPU is touched only by that pCPU. */
#include <hvlab/costmodel.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/smp.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>

#define CPUID_SVM_ECX (1u << 2)         /* 0x80000001 ECX */
#define CPUID_NP_EDX  (1u << 0)         /* 0x8000000A EDX */
#define VM_CR_SVMDIS  (1ull << 4)
#define CR4_OSFXSR    (1ul << 9)

struct svm_cpu {
    paddr_t hsave_pa;
    paddr_t host_vmcb_pa;
    struct svm_asid_pool asids;
};

static struct svm_cpu svm_cpus[NR_CPUS];
static uint32_t nr_asids;               /* fewest of any pCPU (CPUID 0x8000000A EBX) */
static bool svm_ok = true;              /* every pCPU so far has SVM + NPT */

bool svm_available(void)
{
    return svm_ok && nr_asids > 1;
}

paddr_t svm_host_vmcb_pa(unsigned cpu)
{
    return svm_cpus[cpu].host_vmcb_pa;
}

/* Why this pCPU cannot run HVM guests, or NULL (and its ASID count in *asids). */
static const char *svm_missing(uint32_t *asids)
{
    uint32_t a, b, c, d;

    cpuid(0x80000000, 0, &a, &b, &c, &d);
    if (a < 0x8000000a)
        return "no CPUID leaf 0x8000000A";
    cpuid(0x80000001, 0, &a, &b, &c, &d);
    if (!(c & CPUID_SVM_ECX))
        return "no SVM (CPUID 0x80000001 ECX bit 2; QEMU: -cpu ...,+svm)";
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
        return "SVM disabled by the firmware (VM_CR.SVMDIS)";
    cpuid(0x8000000a, 0, &a, &b, &c, &d);
    if (!(d & CPUID_NP_EDX))
        return "no nested paging (CPUID 0x8000000A EDX bit 0; QEMU: -cpu ...,+npt)";
    if (b < 2)
        return "fewer than 2 ASIDs";
    *asids = b;
    if (smp_processor_id() == 0)
        nr_asids = b;
    else if (b < nr_asids)
        nr_asids = b;
    return NULL;
}

void svm_init_cpu(void)
{
    unsigned cpu = smp_processor_id();
    struct svm_cpu *s = &svm_cpus[cpu];
    uint32_t asids = 0;
    const char *why = svm_missing(&asids);

    if (why) {
        if (svm_ok || cpu == 0)
            pr_warn("svm: CPU%u: %s: HVM domains are not available\n", cpu, why);
        svm_ok = false;
        return;
    }
    void *hsave = alloc_heap_pages(0, this_cpu()->node, MEMF_ZERO);
    void *host = alloc_heap_pages(0, this_cpu()->node, MEMF_ZERO);
    if (!hsave || !host)
        panic("svm: no memory for CPU%u's host save areas", cpu);
    s->hsave_pa = __pa(hsave);
    s->host_vmcb_pa = __pa(host);
    svm_asid_pool_init(&s->asids, cpu, asids);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    write_cr4(read_cr4() | CR4_OSFXSR);     /* so that FXSAVE covers the XMM registers */
    wrmsr(MSR_VM_HSAVE_PA, s->hsave_pa);
    if (cpu == 0) {
        svm_maps_init();
        svm_populate_init();            /* before MMIO: lazy RAM is RAM (mmpolicy) */
        svm_mmio_init();                /* the LAPIC/IOAPIC windows: emulated */
        pr_info("svm: SVM with nested paging, %u ASIDs per CPU\n", nr_asids);
    }
}

void svm_asid_assign(struct svm_vcpu *sv, unsigned cpu)
{
    struct svm_asid_pool *p = &svm_cpus[cpu].asids;
    bool flush = svm_asid_get(p, &sv->asid, &sv->asid_gen, &sv->asid_cpu);
    sv->vmcb->ctl.asid = sv->asid;
    sv->vmcb->ctl.tlb_control = flush ? TLB_CONTROL_FLUSH_ALL : TLB_CONTROL_NONE;
    if (flush)
        costmodel_hint_tlb_flush();
}
