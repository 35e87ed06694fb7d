/* The cost model's TLB model (tools/costmodel/tlb.c, docs/cost-model.md "TLB model"):
 * one per pCPU and CPU model, pure logic, host-tested (tests/unit/test_costmodel_tlb.c). */
#ifndef COSTMODEL_TLB_H
#define COSTMODEL_TLB_H

#include <stdbool.h>
#include <stdint.h>

/* One set-associative level: entries / ways sets, LRU within a set. */
struct tlb_level {
    unsigned sets, ways;
    struct tlb_entry *e;                /* sets * ways */
    uint64_t clock;                     /* LRU stamps */
};

struct tlb_entry {
    uint64_t vpn;                       /* va >> shift */
    uint64_t lru;
    uint32_t tag;                       /* address space: 0 host, else 1 + hint slot */
    uint8_t shift;                      /* 12 or 21; 0: invalid */
    uint8_t global;                     /* survives a CR3 write (PTE.G with CR4.PGE) */
};

/* L1 ITLB and DTLB, and one L2 (STLB) shared by fetches and data, as Intel's STLB;
 * AMD's separate L2 ITLB is not modelled (docs/cost-model.md "Limits"). */
struct tlb_geometry {
    unsigned l1i_entries, l1i_ways, l1d_entries, l1d_ways, l2_entries, l2_ways;
};

struct tlb {
    struct tlb_level l1i, l1d, l2;
};

enum tlb_result { TLB_HIT_L1, TLB_HIT_L2, TLB_MISS };

/* NULL, or why g is unusable (zero sizes, entries not a multiple of ways). */
const char *tlb_geometry_check(const struct tlb_geometry *g);
/* 0, or -1 when out of memory; g must have passed tlb_geometry_check. */
int tlb_init(struct tlb *t, const struct tlb_geometry *g);
void tlb_free(struct tlb *t);

/* Translate va in address space tag with a page of 1 << shift bytes: an L1 hit, an
 * L2 hit (refills L1) or a miss (a walk: fills L2 and L1). */
enum tlb_result tlb_access(struct tlb *t, bool fetch, uint32_t tag, uint64_t va,
                           unsigned shift, bool global);

/* A CR3 write without PCID: the tag's entries go, global ones stay. */
void tlb_flush_tag(struct tlb *t, uint32_t tag);
/* VMRUN with TLB_CONTROL 1 (flush all): every entry of every tag, global included. */
void tlb_flush_all(struct tlb *t);

/* Memory references of a walk: 1D (nested_levels 0) walks guest_levels entries; a 2D
 * walk under nested paging translates each of the guest_levels table pointers and the
 * final guest-physical address through nested_levels nested entries:
 * (guest_levels + 1) * (nested_levels + 1) - 1, 24 for 4-level tables on both sides. */
unsigned tlb_walk_refs(unsigned guest_levels, unsigned nested_levels);
/* The levels of a 4-level table walk ending in a page of 1 << shift bytes (4 or 3). */
unsigned tlb_levels(unsigned shift);

#endif
