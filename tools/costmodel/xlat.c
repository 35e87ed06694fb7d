/* How the cost model translates an address (xlat.h). The rules are hvlab's layouts,
 * which the plugin cannot read from a guest's tables (QEMU 7.2's plugin interface reads
 * no guest memory):
 *   - the hypervisor (upper half) maps only 2 MiB pages: the direct map global, the
 *     image not (core/arch/x86/paging.c, boot.S);
 *   - a PV guest maps only 4 KiB pages (mm/pv_mm.c refuses PTE_PS), in the host's
 *     address space (no ASID, no PCID);
 *   - before the first hint (hvlab's boot, or a kernel booted natively) the lower half
 *     is the boot identity map: 2 MiB below guest2m_end, 4 KiB above;
 *   - an HVM guest (guest/hvm/boot.S, pt_hvm.c) identity-maps its first guest2m_end
 *     bytes with 2 MiB pages and maps the rest with 4 KiB ones; its nested page is
 *     2 MiB where the hypervisor announced it (hint) and the guest-physical address is
 *     known (the identity map), 4 KiB otherwise. The TLB entry is the smaller page.
 * Locking: the npt_record is written by the hint callbacks of the pCPU building a
 * domain and read by the pCPUs running it; a domain runs only after it is built. */
#include "xlat.h"
#include "tlb.h"

#include <stdlib.h>
#include <string.h>

#define DIRECTMAP_BASE 0xffff830000000000ull   /* include/hvlab/addr.h */
#define DIRECTMAP_SIZE (1ull << 39)
#define NPT_BYTES (COSTMODEL_HINT_NPT_BLOCKS / 8)

int npt_forget(struct npt_record *r, unsigned dom)
{
    if (dom >= COSTMODEL_HINT_NPT_DOMAINS)
        return 0;
    if (!r->blocks[dom] && !(r->blocks[dom] = malloc(NPT_BYTES)))
        return -1;
    memset(r->blocks[dom], 0, NPT_BYTES);
    return 0;
}

void npt_note_2m(struct npt_record *r, unsigned dom, uint64_t block)
{
    if (dom < COSTMODEL_HINT_NPT_DOMAINS && r->blocks[dom] && block < COSTMODEL_HINT_NPT_BLOCKS)
        r->blocks[dom][block / 8] |= (uint8_t)(1u << (block % 8));
}

bool npt_is_2m(const struct npt_record *r, unsigned dom, uint64_t block)
{
    const uint8_t *m = dom < COSTMODEL_HINT_NPT_DOMAINS ? r->blocks[dom] : NULL;
    return m && block < COSTMODEL_HINT_NPT_BLOCKS && (m[block / 8] >> (block % 8) & 1);
}

struct xlat xlat_of(bool in_guest, unsigned who, uint64_t va, uint64_t guest2m_end,
                    const struct npt_record *npt)
{
    struct xlat x = { 0 };
    if (in_guest) {
        unsigned g = va < guest2m_end ? 21 : 12;
        unsigned n = g == 21 && npt_is_2m(npt, who / COSTMODEL_HINT_VCPUS, va >> 21) ? 21 : 12;
        x.tag = 1 + who;
        x.shift = g < n ? g : n;
        x.guest_levels = tlb_levels(g);
        x.nested_levels = tlb_levels(n);
        return x;
    }
    if (va >= XLAT_UPPER_HALF) {
        x.shift = 21;
        x.global = va - DIRECTMAP_BASE < DIRECTMAP_SIZE;
    } else if (who == XLAT_WHO_BOOT) {
        x.shift = va < guest2m_end ? 21 : 12;
    } else {
        x.shift = 12;
    }
    x.guest_levels = tlb_levels(x.shift);
    return x;
}
