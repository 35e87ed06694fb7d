/* The PV domain builder: where a new PV guest's image, start_info, pfn->mfn list, page
 * tables and boot stack go in its pseudo-physical memory, and writing them there.
 * Pure logic shared by the hypervisor (building dom0, through the direct map) and by
 * dom0's toolstack (building domUs, through foreign mappings); tested on the host.
 *
 * Pseudo-physical layout (pfn 0 is mapped at GUEST_VIRT_BASE, every pfn p at
 * GUEST_VIRT_BASE + p * 4 KiB, the ELF image is linked at GUEST_VIRT_BASE):
 *
 *   [image pages][start_info][pfn->mfn list][L4][L3s][L2s][L1s][modules][stack]
 *   [store page, if asked][free...]
 *
 * Page tables map exactly the nr_pages pfns, nothing else, with PTE_P|PTE_U and
 * PTE_W except for the page-table frames themselves and the modules (read-only: the
 * hypervisor refuses writable mappings of page tables). No superpages, no NX, no
 * global bits. Non-leaf entries are PTE_P|PTE_W|PTE_U.
 *
 * Contract with the caller (the hypervisor side):
 *  - The shared info page is not one of the guest's pfns. The builder creates the
 *    L3/L2/L1 path for GUEST_SHARED_INFO_VA and leaves the L1 entry empty: the caller
 *    writes it (layout.shared_info_l1_pfn, entry shared_info_l1_index) with the
 *    shared info frame's mfn | PTE_P|PTE_W|PTE_U before the guest starts.
 *  - L4 entries 256..511 (the upper half) are left zero: the hypervisor owns them.
 *  - The caller validates/pins the tables and loads the vCPU context; pvbuild only
 *    writes bytes into frames. It never touches the free pfns: frames must reach a
 *    domain already scrubbed. A dom0 builder must drop its (writable, foreign)
 *    mappings of the new domain's frames before the L4 is pinned or the domain runs.
 */
#ifndef HVLAB_PVBUILD_H
#define HVLAB_PVBUILD_H

#include <hvlab/elf64.h>
#include <hvlab/types.h>
#include <public/hvlab.h>
#include <public/vcpu.h>

#define PVBUILD_STACK_PAGES 4

struct pvbuild_module {
    const void *data;           /* copied into the guest, mapped read-only */
    uint64_t len;
    const char *cmdline;        /* < sizeof(start_module.cmdline) bytes; NULL = "" */
};

struct pvbuild_params {
    uint32_t domid;
    uint32_t flags;             /* SIF_* */
    uint32_t nr_vcpus;          /* 0 means 1 */
    const char *cmdline;        /* < sizeof(start_info.cmdline) bytes; NULL = "" */
    unsigned nr_modules;        /* <= START_INFO_MAX_MODULES (dom0: the boot modules) */
    const struct pvbuild_module *modules;
    /* A store ring page (public/io/store.h) reserved after the stack, zeroed, its mfn
     * in start_info.store_mfn, with store_evtchn (the domain's port, allocated by
     * the toolstack) in start_info.store_evtchn. */
    bool store;
    uint32_t store_evtchn;
    /* Problems, in a few words each, without the file name (may be NULL). */
    void (*report)(void *arg, const char *why);
    void *report_arg;
};

/* Where everything goes. Regions are [pfn, pfn + pages); VAs are virt_base-based. */
struct pvbuild_layout {
    uint64_t nr_pages;          /* the domain's frames: pfns [0, nr_pages) */
    uint64_t entry;             /* ELF entry point */
    uint64_t image_pages;       /* pfns [0, image_pages): the ELF image */
    uint64_t start_info_pfn;
    uint64_t mfn_list_pfn, mfn_list_pages;
    uint64_t pt_pfn, nr_pt_frames;          /* L4 at pt_pfn, then L3s, L2s, L1s */
    uint64_t nr_l3, nr_l2, nr_l1;
    uint64_t module_pfn[START_INFO_MAX_MODULES], module_pages[START_INFO_MAX_MODULES];
    uint64_t stack_pfn, stack_pages;
    uint64_t store_pfn;         /* 0: no store page (params.store false) */
    uint64_t first_free_pfn;    /* first pfn not used by the builder (<= nr_pages) */
    uint64_t min_pages;         /* smallest nr_pages this image and these params fit */
    /* The L1 frame (a pfn among the page tables) and the entry in it that the caller
     * fills with the shared info frame (see the contract above). */
    uint64_t shared_info_l1_pfn;
    uint64_t shared_info_l1_index;
};

/* Guest VA of a pfn. */
static inline uint64_t pvbuild_pfn_va(uint64_t pfn)
{
    return GUEST_VIRT_BASE + (pfn << PAGE_SHIFT);
}

/* Checks the image and params and computes the layout for a domain of nr_pages
 * frames. Returns 0, or a negative errno after a message through p->report:
 * -EINVAL/-E2BIG (bad image or params), -ENOMEM (nr_pages < min_pages; out->min_pages
 * is still set). */
int pvbuild_layout(const void *elf, size_t len, uint64_t nr_pages,
                   const struct pvbuild_params *p, struct pvbuild_layout *out);

/* Returns a writable pointer to the page of pfn (< nr_pages). The pointer need only
 * stay valid until the next call: populate touches one page at a time, so a caller
 * may reuse one scratch mapping. NULL fails the build with -EFAULT. */
typedef void *(*pvbuild_map_fn)(void *ctx, uint64_t pfn);

/* Writes every page of the layout from pvbuild_layout() (same elf, len, p): the image
 * (bss and the rest of its pages zeroed), start_info, the pfn->mfn list (from mfns,
 * nr_pages entries), the page tables, the modules; zeroes the stack. Touches only
 * pfns below first_free_pfn, nothing else. Fills *vc with the boot state of vCPU 0:
 * RIP = entry, RSP = stack_top, RSI = start_info VA, cr3_mfn = the L4's mfn.
 * Returns 0 or a negative errno after a message (-EFAULT: map_fn failed, -EINVAL:
 * an mfn too large for a page-table entry). */
int pvbuild_populate(const struct pvbuild_layout *l, const void *elf, size_t len,
                     const uint64_t *mfns, pvbuild_map_fn map_pfn, void *ctx,
                     const struct pvbuild_params *p, struct vcpu_guest_context *vc);

#endif
