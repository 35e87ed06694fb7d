/* How the cost model translates an address (tools/costmodel/xlat.c, docs/cost-model.md
 * "TLB model"): which address space's TLB entry, what page size, which walk. Pure;
 * host-tested (tests/unit/test_costmodel_xlat.c). */
#ifndef COSTMODEL_XLAT_H
#define COSTMODEL_XLAT_H

#include "../../include/public/costmodel.h"

#include <stdbool.h>
#include <stdint.h>

#define XLAT_UPPER_HALF 0xffff800000000000ull
#define XLAT_WHO_BOOT   COSTMODEL_HINT_WHO_SIZE   /* the hint slot before any hint */

struct xlat {
    uint32_t tag;                       /* 0 host (ASID 0), else 1 + hint slot */
    unsigned shift, global, guest_levels, nested_levels;   /* nested 0: a 1D walk */
};

/* The 2 MiB nested mappings the hypervisor announced, per HVM domain, by guest-physical
 * 2 MiB block. */
struct npt_record {
    uint8_t *blocks[COSTMODEL_HINT_NPT_DOMAINS];   /* bitmaps, allocated on first use */
};

/* Forget dom's 2 MiB mappings (its nested table is filled afresh): 0, or -1 when out
 * of memory. */
int npt_forget(struct npt_record *r, unsigned dom);
/* Guest-physical 2 MiB block of dom is one nested entry (ignored before npt_forget). */
void npt_note_2m(struct npt_record *r, unsigned dom, uint64_t block);
bool npt_is_2m(const struct npt_record *r, unsigned dom, uint64_t block);

/* va as translated on a pCPU running hint slot who, inside an HVM guest (in_guest) or
 * not; guest VAs below guest2m_end are 2 MiB pages with guest-physical = VA. */
struct xlat xlat_of(bool in_guest, unsigned who, uint64_t va, uint64_t guest2m_end,
                    const struct npt_record *npt);

#endif
