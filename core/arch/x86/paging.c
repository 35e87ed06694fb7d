/* The hypervisor's own page tables, replacing the boot tables once memory is known:
 *   - the direct map of [0, max(4 GiB, end of RAM)) at DIRECTMAP_BASE, 2 MiB pages,
 *     no-execute, with 3-4 GiB (where the firmware puts MMIO: LAPIC, IOAPIC, PCI
 *     BARs) uncached;
 *   - the image at IMAGE_BASE, shared with the boot tables.
 * The identity map of low memory is gone afterwards, so a NULL dereference faults.
 * The AP trampoline still switches to the boot tables, which stay intact. */
#include <hvlab/addr.h>
#include <hvlab/bootmem.h>
#include <hvlab/mm.h>
#include <hvlab/lib.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/pv_mm.h>
#include <hvlab/x86/regs.h>
#include <public/hvlab.h>

extern uint64_t boot_pml4[512];
paddr_t idle_pml4_pa;
uint64_t *idle_pml4;               /* its upper half is copied into every guest L4 */

static uint64_t *pt_alloc(paddr_t *pa)
{
    *pa = bootmem_alloc(PAGE_SIZE, PAGE_SIZE);
    if (!*pa)
        panic("paging: out of boot memory for page tables");
    uint64_t *t = __va(*pa);
    memset(t, 0, PAGE_SIZE);
    return t;
}

/* After boot: page-table pages come from the buddy allocator. */
static void pt_alloc_runtime(paddr_t *pa)
{
    struct page_info *pg = alloc_frames(0, NUMA_NO_NODE, MEMF_ZERO);
    if (!pg)
        panic("paging: no memory for a page table");
    *pa = page_to_paddr(pg);
}

static bool nx_enabled(void)
{
    return rdmsr(MSR_EFER) & EFER_NXE;
}

void paging_init(paddr_t ram_end)
{
    paddr_t end = MAX(ram_end, GiB(4));
    uint64_t nx = nx_enabled() ? PTE_NX : 0;
    paddr_t pml4_pa, pdpt_pa;
    uint64_t *pml4 = pt_alloc(&pml4_pa);
    uint64_t *pdpt = pt_alloc(&pdpt_pa);

    if (end > DIRECTMAP_SIZE)
        panic("paging: %lu GiB of RAM exceeds the direct map", end >> 30);
    for (paddr_t gb = 0; gb < end; gb += GiB(1)) {
        paddr_t pd_pa;
        uint64_t *pd = pt_alloc(&pd_pa);
        for (unsigned i = 0; i < 512; i++) {
            paddr_t pa = gb + (paddr_t)i * MiB(2);
            uint64_t cache = (pa >= GiB(3) && pa < GiB(4)) ? PTE_PCD | PTE_PWT : 0;
            pd[i] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | cache | nx;
        }
        pdpt[gb >> 30] = pd_pa | PTE_P | PTE_W;
    }
    pml4[(DIRECTMAP_BASE >> 39) & 511] = pdpt_pa | PTE_P | PTE_W;
    pml4[511] = boot_pml4[511];         /* the image */
    write_cr4(read_cr4() | CR4_PGE);
    write_cr3(pml4_pa);
    idle_pml4_pa = pml4_pa;
    idle_pml4 = pml4;
    pr_info("paging: direct map of %lu MiB at %#lx%s\n", end >> 20, DIRECTMAP_BASE,
            nx ? ", no-execute" : "");
}

/* APs arrive on the boot tables; they switch here. */
void paging_load_idle(void)
{
    write_cr4(read_cr4() | CR4_PGE);
    write_cr3(idle_pml4_pa);
}

/* Every PV guest's L4 carries the hypervisor's half of the address space. */
void pv_mm_init(void)
{
    for (unsigned i = 256; i < 512; i++)
        hv_l4_template[i] = idle_pml4[i];
}

/* Extend the direct map over a device region (uncached), e.g. a PCI BAR above RAM. */
void paging_map_mmio(paddr_t base, uint64_t size)
{
    uint64_t *pml4 = idle_pml4;
    uint64_t *pdpt = __va(pml4[(DIRECTMAP_BASE >> 39) & 511] & PTE_ADDR_MASK);
    for (paddr_t pa = ALIGN_DOWN(base, MiB(2)); pa < base + size; pa += MiB(2)) {
        uint64_t *pdpte = &pdpt[(pa >> 30) & 511];
        if (!(*pdpte & PTE_P)) {
            paddr_t pd_pa;
            pt_alloc_runtime(&pd_pa);
            *pdpte = pd_pa | PTE_P | PTE_W;
        }
        uint64_t *pd = __va(*pdpte & PTE_ADDR_MASK);
        uint64_t *pde = &pd[(pa >> 21) & 511];
        if (!(*pde & PTE_P))
            *pde = pa | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT | (nx_enabled() ? PTE_NX : 0);
    }
    write_cr3(read_cr3());
}
