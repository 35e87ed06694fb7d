/* INIT/SIPI for HVM vCPUs: a vCPU other than 0 that the toolstack gave no context
 * waits (down) for INIT then SIPI from another vCPU's LAPIC, and starts as a real
 * CPU does after SIPI: real mode, CS = vector << 8 with base vector << 12, IP 0,
 * paging and protection off. Under SVM with nested paging such a guest runs as it
 * is (CR0.PE = 0 and CR0.PG = 0 are legal guest state: the nested table translates).
 *
 * Only a vCPU that never ran is started; INIT of a running vCPU (a guest resetting
 * a CPU it already started) is not supported and is ignored. */
#include <hvlab/domain.h>
#include <hvlab/printk.h>
#include <hvlab/x86/hvm_platform.h>
#include "hvm_platform_priv.h"
#include <hvlab/x86/svm.h>

#define ATTR_REAL_CODE 0x9b             /* present, code exec/read accessed, 16-bit */
#define ATTR_REAL_DATA 0x93             /* present, data read/write accessed */
#define CR0_ET_NW_CD 0x60000010ull      /* the reset value: ET, NW, CD */

int vcpu_up(struct vcpu *v);            /* core/vcpu.c (see svm_domain.c) */

static void real_seg(struct vmcb_seg *s, uint16_t sel, uint16_t attr)
{
    *s = (struct vmcb_seg){ .sel = sel, .attr = attr, .limit = 0xffff,
                            .base = (uint64_t)sel << 4 };
}

/* The state after INIT and SIPI vector (the reset state but CS). */
static void svm_start_real_mode(struct vcpu *v, uint8_t vector)
{
    struct svm_vcpu *s = v->arch.svm;
    struct vmcb_save *g = &s->vmcb->save;

    real_seg(&g->cs, (uint16_t)vector << 8, ATTR_REAL_CODE);
    real_seg(&g->ds, 0, ATTR_REAL_DATA);
    g->es = g->ss = g->fs = g->gs = g->ds;
    real_seg(&g->ldtr, 0, 0x82);
    real_seg(&g->tr, 0, 0x8b);
    g->gdtr = (struct vmcb_seg){ .limit = 0xffff };
    g->idtr = (struct vmcb_seg){ .limit = 0xffff };
    g->cpl = 0;
    g->rflags = 2;
    g->rip = 0;
    g->rsp = 0;
    g->rax = 0;
    g->cr0 = CR0_ET_NW_CD;
    g->cr2 = g->cr3 = g->cr4 = 0;
    s->guest_efer = 0;
    g->efer = EFER_SVME;
    s->gprs = (struct svm_gprs){ 0 };
    s->gprs.rdx = 0x600;                /* family 6 signature, as after RESET/INIT */
    s->has_context = true;
}

void hvm_platform_start_vcpus(struct domain *d)
{
    struct hvm_platform *p = d->hvm_plat;
    unsigned long flags;

    for (unsigned i = 0; p && i < p->nr_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        int vec;

        spin_lock_irqsave(&p->lock, flags);
        vec = p->start[i].sipi;
        p->start[i].sipi = -1;
        if (vec >= 0)
            p->start[i].init = false;
        spin_unlock_irqrestore(&p->lock, flags);
        if (vec < 0 || !v)
            continue;
        if (v->arch.started) {
            pr_warn("domain %u (%s): vCPU%u: INIT/SIPI to a running vCPU ignored\n",
                    d->domain_id, d->name, i);
            continue;
        }
        svm_start_real_mode(v, (uint8_t)vec);
        v->arch.started = true;
        vcpu_up(v);
    }
}
