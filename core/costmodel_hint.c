/* The cost-model hint (include/public/costmodel.h): one load per context switch whose
 * address names the vCPU now running. Always done, so a run under the plugin executes
 * exactly the instructions of a run without it. The TLB model's hints (flush, nested
 * 2 MiB mappings) likewise. */
#include <hvlab/costmodel.h>
#include <hvlab/domain.h>
#include <hvlab/sched.h>
#include <public/costmodel.h>

/* Never written: only the addresses of its bytes matter (bss: no image space). */
volatile uint8_t costmodel_hint[COSTMODEL_HINT_SIZE] __attribute__((aligned(4096)));

void costmodel_hint_switch(const struct vcpu *v)
{
    unsigned dom = COSTMODEL_HINT_IDLE, id = v->processor;
    if (!is_idle_vcpu(v)) {
        dom = v->domain->domain_id;
        id = v->vcpu_id;
    }
    if (dom >= COSTMODEL_HINT_DOMAINS || id >= COSTMODEL_HINT_VCPUS)
        return;                         /* cannot happen (DOMID_MAX, vCPU limits) */
    (void)costmodel_hint[COSTMODEL_HINT_SLOT(dom, id)];
}

void costmodel_hint_stop(void)
{
    (void)costmodel_hint[COSTMODEL_HINT_STOP];
}

void costmodel_hint_tlb_flush(void)
{
    (void)costmodel_hint[COSTMODEL_HINT_FLUSH];
}

void costmodel_hint_npt_domain(domid_t d)
{
    if (d < COSTMODEL_HINT_NPT_DOMAINS)
        (void)costmodel_hint[COSTMODEL_HINT_NPT_DOMAIN(d)];
}

void costmodel_hint_npt_2m(uint64_t gfn)
{
    if ((gfn >> 9) < COSTMODEL_HINT_NPT_BLOCKS)
        (void)costmodel_hint[COSTMODEL_HINT_NPT_2M(gfn >> 9)];
}
