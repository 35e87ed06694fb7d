/* The cost-model hint: core/costmodel_hint.c, ABI in include/public/costmodel.h. */
#ifndef HVLAB_COSTMODEL_H
#define HVLAB_COSTMODEL_H

#include <hvlab/types.h>

struct vcpu;

extern volatile uint8_t costmodel_hint[];

/* Called on the new vCPU's stack after every switch (context_switch_finish). */
void costmodel_hint_switch(const struct vcpu *v);

/* Called just before asking QEMU to power off or exit (shutdown.c): the run ends here. */
void costmodel_hint_stop(void);

/* The next VMRUN on this pCPU flushes the whole TLB (svm_asid_assign). */
void costmodel_hint_tlb_flush(void);
/* Domain d's nested table is being filled afresh; then each 2 MiB nested mapping at
 * guest frame gfn (hvm_map_ram). */
void costmodel_hint_npt_domain(domid_t d);
void costmodel_hint_npt_2m(uint64_t gfn);

#endif
