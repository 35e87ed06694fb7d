/* ASIDs of one pCPU (pure logic, host-tested: tests/unit/test_svm_asid.c;
 * inline: it runs before every VMRUN).
 *
 * Each pCPU hands out ASIDs 1 .. nr-1 in order within a generation (0 is the host's).
 * When they run out, a new generation starts and the VMRUN that gets the first ASID
 * of it flushes every ASID's TLB entries (TLB_CONTROL_FLUSH_ALL: TCG offers no
 * flush-by-ASID). A vCPU whose ASID is of an older generation, or of another pCPU,
 * takes a fresh one. Because a number is never reused within a generation, no vCPU
 * ever sees another's (or its own stale) translations; dropping a vCPU's ASID (its
 * generation set to 0) is how a change of its nested mappings is flushed. A vCPU
 * arriving from another pCPU flushes too: what this pCPU's TLB holds of its earlier
 * visits is not covered by any generation it has seen since. Real hardware needs
 * these flushes; TCG flushes on every VMRUN anyway, so no boot test can see them.
 *
 * Locking: a pool is used only by its own pCPU, with interrupts off. */
#ifndef HVLAB_X86_SVM_ASID_H
#define HVLAB_X86_SVM_ASID_H

#include <hvlab/types.h>

struct svm_asid_pool {
    unsigned cpu;
    uint32_t nr;                        /* ASIDs the CPU has, 0 (the host's) included */
    uint32_t next;                      /* next to hand out in this generation */
    uint64_t gen;                       /* current generation, from 1 */
};

/* svm_asid_get keeps or renews a vCPU's (asid, gen, cpu) for this pool; true when the
 * next VMRUN must flush the whole TLB (a new generation, or the vCPU came from another
 * pCPU). A vCPU that never ran has cpu = ~0u; gen = 0 drops its ASID. */
static inline void svm_asid_pool_init(struct svm_asid_pool *p, unsigned cpu, uint32_t nr)
{
    p->cpu = cpu;
    p->nr = nr;
    p->next = 1;
    p->gen = 1;
}

static inline bool svm_asid_get(struct svm_asid_pool *p, uint32_t *asid, uint64_t *gen, unsigned *cpu)
{
    bool flush = *cpu != p->cpu;

    if (!flush && *gen == p->gen && *asid)
        return false;
    if (p->next >= p->nr) {
        p->gen++;
        p->next = 1;
        flush = true;
    }
    *asid = p->next++;
    *gen = p->gen;
    *cpu = p->cpu;
    return flush;
}

#endif
