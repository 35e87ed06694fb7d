/* Page-table updates of PV guests. A guest's page tables live in its own frames,
 * mapped read-only to it; it changes them only through these hypercalls, and the
 * hypervisor checks every entry (see docs/abi.md and mm/pv_mm.c for the rules).
 *
 * mmu_update(reqs, count, done, foreigndom): each req writes val into the page-table
 * entry at machine address ptr. foreigndom (dom0 only) lets L1 entries map frames of
 * that domain instead of the caller's: the domain builder's "foreign mappings".
 * update_va_mapping(va, val, flags): the same for the L1 entry that maps va in the
 * current address space, with a TLB flush of va.
 * mmuext_op(ops, count, done, foreigndom): everything else. */
#ifndef HVLAB_PUBLIC_MMU_H
#define HVLAB_PUBLIC_MMU_H

#include "hvlab.h"

#define MMU_NORMAL_PT_UPDATE 0          /* low 2 bits of ptr: the request kind */

struct mmu_update {
    uint64_t ptr;                       /* machine address of the entry | kind */
    uint64_t val;                       /* the new entry */
};

#define UVMF_NONE       0
#define UVMF_INVLPG     1               /* flush this VA (always done anyway) */
#define UVMF_TLB_FLUSH  2               /* flush the whole TLB */

#define MMUEXT_PIN_L1_TABLE    0
#define MMUEXT_PIN_L2_TABLE    1
#define MMUEXT_PIN_L3_TABLE    2
#define MMUEXT_PIN_L4_TABLE    3
#define MMUEXT_UNPIN_TABLE     4
#define MMUEXT_NEW_BASEPTR     5        /* switch this vCPU's L4 */
#define MMUEXT_TLB_FLUSH_LOCAL 6
#define MMUEXT_INVLPG_LOCAL    7

struct mmuext_op {
    uint32_t cmd;
    uint32_t pad;
    uint64_t arg;                       /* mfn for pin/unpin/new_baseptr; va for invlpg */
};

#define MMU_BATCH_MAX 512               /* longer batches: -E2BIG */

#endif
