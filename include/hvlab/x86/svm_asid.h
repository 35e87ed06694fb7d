/* ASIDs of one pCPU, with generations (core/arch/x86/svm/svm_asid.c). */
#ifndef HVLAB_X86_SVM_ASID_H
#define HVLAB_X86_SVM_ASID_H

#include <hvlab/types.h>

struct svm_asid_pool {
    unsigned cpu;
    uint32_t nr;                        /* ASIDs the CPU has, 0 (the host's) included */
    uint32_t next;                      /* next to hand out in this generation */
    uint64_t gen;                       /* current generation, from 1 */
};

void svm_asid_pool_init(struct svm_asid_pool *p, unsigned cpu, uint32_t nr);
/* Keeps or renews a vCPU's (asid, gen, cpu) for this pool; true when the next VMRUN
 * must flush the whole TLB (a new generation, or the vCPU came from another pCPU).
 * A vCPU that never ran has cpu = ~0u; gen = 0 drops its ASID. */
bool svm_asid_get(struct svm_asid_pool *p, uint32_t *asid, uint64_t *gen, unsigned *cpu);

#endif
