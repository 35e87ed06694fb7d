/* VMCBs: one per HVM vCPU, its intercepts, and the first guest state that
 * DOMCTL_hvm_setcontext gives it; the I/O and MSR permission maps, shared by all.
 *
 * Intercepted: physical interrupts and NMIs (the host takes them after the #VMEXIT),
 * CPUID, HLT, PAUSE, every I/O port (the IOPM is all ones: devices are the
 * hypervisor's or nobody's), the MSRs of svm_msr.c, shutdown (triple fault), and every
 * SVM instruction (a guest gets no nested SVM) plus MONITOR/MWAIT and XSETBV (hidden
 * by CPUID: XCR0 is not switched, and the FPU is switched with FXSAVE only).
 * Guest-owned, not intercepted: exceptions, CR reads and writes, INVLPG (nested paging
 * makes the guest's page tables its own business). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_values.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>
#include <hvlab/x86/regs.h>
#include <hvlab/x86/svm.h>
#include <hvlab/xmalloc.h>
#include <public/domctl.h>

#define IOPM_ORDER  2                   /* 12 KiB used */
#define MSRPM_ORDER 1                   /* 8 KiB */
#define GUEST_PAT   0x0007040600070406ull   /* the reset value */
#define EFER_LMA    (1ull << 10)
#define CR0_ET      (1ull << 4)
#define CR0_NE      (1ull << 5)
#define RFLAGS_RSVD 2ull                /* bit 1 is always set */

/* Packed segment attributes (vmcb_seg.attr): descriptor bits 47:40, 55:52 at 11:8. */
#define ATTR_CODE32 0xc9b               /* G, D, present, code exec/read accessed */
#define ATTR_CODE64 0x29b               /* L, present, code exec/read accessed */
#define ATTR_DATA   0xc93               /* G, B, present, data read/write accessed */
#define ATTR_TSS32  0x08b               /* present, busy 32-bit TSS */
#define ATTR_LDT    0x082

static paddr_t iopm_pa, msrpm_pa;

void svm_maps_init(void)
{
    void *io = alloc_heap_pages(IOPM_ORDER, NUMA_NO_NODE, 0);
    void *msr = alloc_heap_pages(MSRPM_ORDER, NUMA_NO_NODE, MEMF_ZERO);
    if (!io || !msr)
        panic("svm: no memory for the permission maps");
    memset(io, 0xff, PAGE_SIZE << IOPM_ORDER);
    svm_msrpm_init(msr);
    iopm_pa = __pa(io);
    msrpm_pa = __pa(msr);
}

int svm_vcpu_create(struct vcpu *v)
{
    struct svm_vcpu *s = xzalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->vmcb = alloc_heap_pages(0, v->domain->home_node, MEMF_ZERO);
    if (!s->vmcb) {
        xfree(s);
        return -ENOMEM;
    }
    s->vmcb_pa = __pa(s->vmcb);
    s->fpu = alloc_heap_pages(0, v->domain->home_node, MEMF_ZERO);
    if (!s->fpu) {
        free_heap_pages(s->vmcb, 0);
        xfree(s);
        return -ENOMEM;
    }
    /* The FPU as after FNINIT and reset: x87 control word 0x37f, MXCSR 0x1f80. */
    s->fpu[0] = 0x7f;
    s->fpu[1] = 0x03;
    s->fpu[24] = 0x80;
    s->fpu[25] = 0x1f;
    s->asid_cpu = ~0u;                  /* first run: a fresh ASID and a flush */

    struct vmcb_control *c = &s->vmcb->ctl;
    c->intercept1 = INTERCEPT1_INTR | INTERCEPT1_NMI | INTERCEPT1_CPUID |
                    INTERCEPT1_HLT | INTERCEPT1_PAUSE | INTERCEPT1_INVLPGA |
                    INTERCEPT1_IOIO_PROT | INTERCEPT1_MSR_PROT | INTERCEPT1_SHUTDOWN;
    c->intercept2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL | INTERCEPT2_VMLOAD |
                    INTERCEPT2_VMSAVE | INTERCEPT2_STGI | INTERCEPT2_CLGI |
                    INTERCEPT2_SKINIT | INTERCEPT2_MONITOR | INTERCEPT2_MWAIT |
                    INTERCEPT2_XSETBV;
    c->iopm_base_pa = iopm_pa;
    c->msrpm_base_pa = msrpm_pa;
    /* The guest's IF masks only its virtual interrupts; physical ones always exit. */
    c->vintr = VINTR_MASKING;
    c->np_enable = 1;
    c->n_cr3 = v->domain->p2m.root;
    s->vmcb->save.g_pat = GUEST_PAT;
    s->vmcb->save.dr6 = 0xffff0ff0;
    s->vmcb->save.dr7 = 0x400;
    v->arch.svm = s;
    return 0;
}

void svm_vcpu_destroy(struct vcpu *v)
{
    struct svm_vcpu *s = v->arch.svm;
    if (!s)
        return;
    free_heap_pages(s->vmcb, 0);
    free_heap_pages(s->fpu, 0);
    xfree(s);
    v->arch.svm = NULL;
}

static void seg(struct vmcb_seg *s, uint16_t sel, uint16_t attr, uint32_t limit)
{
    *s = (struct vmcb_seg){ .sel = sel, .attr = attr, .limit = limit, .base = 0 };
}

int svm_set_context(struct vcpu *v, const struct domctl_hvm_context *c)
{
    struct svm_vcpu *s = v->arch.svm;
    struct vmcb_save *g = &s->vmcb->save;
    bool long64 = c->mode == HVM_BOOT_LONG64;

    if (c->mode != HVM_BOOT_PROT32 && !long64)
        return -EINVAL;
    if (!long64 && (c->rip > UINT32_MAX || c->rsp > UINT32_MAX || c->gdt_base > UINT32_MAX))
        return -EINVAL;
    /* VMRUN refuses reserved CR3 bits (VMEXIT_INVALID): refuse them here instead. */
    if (long64 && ((c->cr3 & 0xfff) || c->cr3 >> 52 || !is_canonical(c->rip) ||
                   !is_canonical(c->rsp) || !is_canonical(c->gdt_base)))
        return -EINVAL;
    if (s->has_context)
        return -EEXIST;

    uint16_t cs = long64 ? HVM_BOOT_SEL_CODE64 : HVM_BOOT_SEL_CODE32, ds = HVM_BOOT_SEL_DATA;
    seg(&g->cs, cs, long64 ? ATTR_CODE64 : ATTR_CODE32, 0xffffffff);
    seg(&g->ds, ds, ATTR_DATA, 0xffffffff);
    g->es = g->ss = g->fs = g->gs = g->ds;
    seg(&g->tr, 0, ATTR_TSS32, 0xffff);
    seg(&g->ldtr, 0, ATTR_LDT, 0xffff);
    seg(&g->idtr, 0, 0, 0xffff);
    seg(&g->gdtr, 0, 0, c->gdt_base ? HVM_BOOT_SEL_DATA + 7 : 0xffff);
    g->gdtr.base = c->gdt_base;
    g->cpl = 0;
    g->rflags = RFLAGS_RSVD;            /* interrupts off, as both protocols say */
    g->rip = c->rip;
    g->rsp = c->rsp;
    g->rax = c->rax;
    s->gprs.rbx = c->rbx;
    s->gprs.rsi = c->rsi;
    if (long64) {
        g->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
        g->cr3 = c->cr3;
        g->cr4 = CR4_PAE;
        s->guest_efer = EFER_LME | EFER_LMA | EFER_NXE;
    } else {
        g->cr0 = CR0_PE | CR0_ET;
        g->cr3 = g->cr4 = 0;
        s->guest_efer = 0;
    }
    g->efer = s->guest_efer | EFER_SVME;     /* VMRUN needs it; the guest never sees it */
    s->has_context = true;
    return 0;
}

void svm_fpu_save(struct vcpu *v)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t (*)[512])v->arch.svm->fpu));
}

void svm_fpu_load(struct vcpu *v)
{
    __asm__ volatile("fxrstor64 %0" :: "m"(*(const uint8_t (*)[512])v->arch.svm->fpu));
}

void svm_inject_exception(struct vcpu *v, unsigned vector, int errcode)
{
    uint64_t e = (vector & EVENTINJ_VECTOR_MASK) | EVENTINJ_TYPE_EXC | EVENTINJ_VALID;
    if (errcode >= 0)
        e |= EVENTINJ_EV | ((uint64_t)(uint32_t)errcode << EVENTINJ_ERRCODE_SHIFT);
    v->arch.svm->vmcb->ctl.eventinj = e;
}

bool svm_guest_long_mode(const struct vcpu *v)
{
    const struct vmcb_save *g = &v->arch.svm->vmcb->save;
    return (g->efer & EFER_LMA) && (g->cs.attr & 0x200);
}
