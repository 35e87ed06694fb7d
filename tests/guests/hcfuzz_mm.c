/* The hypercall fuzzer's memory families (see hcfuzz_ops.c for the others and the
 * containment rules): mmu_update, mmuext_op, update_va_mapping and memory_op, with
 * frames from every role (sandbox, arena, code, data, our page tables, the shared-info
 * frame, our grant table's first frame, frames that are not ours) and entry values
 * with every flag combination. */
#include "hcfuzz.h"

/* A machine frame: ours in its various roles, or one that is not ours. */
static uint64_t any_mfn(bool with_own_tables)
{
    const uint64_t foreign[] = { 0, 1, 0x100, fz.min_mfn - 1, fz.max_mfn + 1,
                                 1ULL << 30, 1ULL << 40, (1ULL << 52) - 1, ~0ULL };

    switch (fz_below(8)) {
    case 0: case 1: case 2:
        return FZ_PICK(fz.sandbox_mfn);
    case 3:
        return virt_to_mfn(fz.arena + fz_below(FZ_ARENA_PAGES) * PAGE_SIZE);
    case 4:
        return fz_chance(50) ? fz.code_mfn : fz.data_mfn;
    case 5:
        if (with_own_tables)
            return fz_chance(50) ? fz.l4_mfn : fz.window_l1_maddr >> PAGE_SHIFT;
        return FZ_PICK(fz.sandbox_mfn);
    case 6:     /* the hypervisor's frames shared with us: never a page table */
        if (fz_chance(50))
            return fz.gnttab_mfn;
        if (!(fz.skip & FZ_SHINFO))
            return fz.shinfo_mfn;
        return FZ_PICK(foreign);
    default:
        return FZ_PICK(foreign);
    }
}

/* A page-table entry value. */
static uint64_t pte_val(void)
{
    const uint64_t flags[] = { PTE_P | PTE_U, PTE_P | PTE_U | PTE_W, PTE_P, PTE_P | PTE_W,
                               PTE_P | PTE_U | PTE_PS, PTE_P | PTE_U | PTE_NX,
                               PTE_P | PTE_U | PTE_W | PTE_A | PTE_D, 0, 0x1ff,
                               PTE_P | PTE_U | (1ULL << 52), PTE_P | PTE_U | (0x7ffULL << 52) };

    if (fz_chance(5))
        return fz_rand();
    if (fz_chance(5))
        return 0;
    return (any_mfn(true) << PAGE_SHIFT & ~(1ULL << 63)) | FZ_PICK(flags);
}

/* A page-table entry address we may change: see the containment rules above. */
static uint64_t pte_ptr(void)
{
    uint64_t slot = fz_below(512), off = slot * 8;

    switch (fz_below(8)) {
    case 0: case 1: case 2:
        return (FZ_PICK(fz.sandbox_mfn) << PAGE_SHIFT) + off;
    case 3:     /* not the window's slot: without it, update_va_mapping has no target */
        return fz.l4_maddr + 8 * FZ_SANDBOX_L4_SLOT;
    case 4:
        return fz.l4_maddr + 8 * (256 + fz_below(256));     /* the hypervisor's */
    case 5:
        return fz.window_l1_maddr + off;
    case 6:
        return virt_to_maddr(fz.arena) + off;               /* not a page table */
    default:
        return (any_mfn(false) << PAGE_SHIFT) + fz_below(PAGE_SIZE);   /* any offset */
    }
}

void fz_gen_mmu_update(struct fz_call *c)
{
    uint64_t n = fz_chance(80) ? 1 + fz_below(4) : fz_count(8);
    uint64_t fill = MIN(n, 8);
    struct mmu_update *u = fz_alloc(fill * sizeof(*u));
    uint64_t *done = fz_alloc(8);

    for (uint64_t i = 0; i < fill; i++) {
        u[i].ptr = pte_ptr() | (fz_chance(90) ? MMU_NORMAL_PT_UPDATE : fz_below(4));
        u[i].val = pte_val();
    }
    c->what = "mmu_update";
    c->op = HYPERVISOR_mmu_update;
    c->args[0] = fz_ptr(u);
    c->args[1] = n;
    c->args[2] = fz_chance(50) ? 0 : fz_ptr(done);
    c->args[3] = fz_chance(90) ? DOMID_SELF : fz_below(4);
}

void fz_gen_mmuext_op(struct fz_call *c)
{
    uint64_t n = fz_chance(80) ? 1 + fz_below(3) : fz_count(4);
    uint64_t fill = MIN(n, 4);
    struct mmuext_op *op = fz_alloc(fill * sizeof(*op));

    for (uint64_t i = 0; i < fill; i++) {
        uint32_t cmd = fz_chance(95) ? (uint32_t)fz_below(8) : (uint32_t)fz_rand();

        op[i] = (struct mmuext_op){ .cmd = cmd, .arg = any_mfn(true) };
        if (cmd == MMUEXT_NEW_BASEPTR && fz_chance(50))
            op[i].arg = fz.l4_mfn;
        else if (cmd == MMUEXT_NEW_BASEPTR)     /* anything else must be refused */
            op[i].arg = fz_chance(50) ? virt_to_mfn(fz.arena) : fz.max_mfn + 1 + fz_below(8);
        else if (cmd == MMUEXT_INVLPG_LOCAL)
            op[i].arg = fz_chance(50) ? fz.window_va + fz_below(512) * PAGE_SIZE : fz_bad_ptr();
    }
    c->what = "mmuext_op";
    c->op = HYPERVISOR_mmuext_op;
    c->args[0] = fz_ptr(op);
    c->args[1] = n;
    c->args[2] = fz_chance(50) ? 0 : fz_ptr(fz_alloc(8));
    c->args[3] = fz_chance(90) ? DOMID_SELF : fz_below(4);
}

void fz_gen_update_va_mapping(struct fz_call *c)
{
    const uint64_t sandbox = (uint64_t)FZ_SANDBOX_L4_SLOT << 39;
    uint64_t va;

    switch (fz_below(5)) {
    case 0: case 1:
        va = fz.window_va + fz_below(512) * PAGE_SIZE;
        break;
    case 2:
        va = sandbox + (fz_rand() & ((1ULL << 39) - 1) & ~(PAGE_SIZE - 1));
        break;
    case 3:
        va = fz_kernel_ptr();
        break;
    default:
        va = fz_rand();
        if (va < GUEST_VIRT_END)            /* our own mappings stay ours */
            va |= NONCANON;
        break;
    }
    if (fz_chance(5))
        va |= fz_below(PAGE_SIZE);          /* unaligned */
    c->what = "update_va_mapping";
    c->op = HYPERVISOR_update_va_mapping;
    c->args[0] = va;
    c->args[1] = pte_val();
    c->args[2] = fz_chance(90) ? fz_below(3) : fz_rand();
}

void fz_gen_memory_op(struct fz_call *c)
{
    const unsigned cmds[] = { XENMEM_increase_reservation, XENMEM_decrease_reservation,
                              XENMEM_populate_physmap, XENMEM_current_reservation,
                              XENMEM_maximum_reservation, 2, 5, 99 };
    unsigned cmd = FZ_PICK(cmds);
    const hv_domid_t doms[] = { DOMID_SELF, DOMID_SELF, 0, 1, 3, DOMID_XEN, 999 };

    c->what = "memory_op";
    c->op = HYPERVISOR_memory_op;
    c->args[0] = fz_chance(95) ? cmd : fz_rand();
    if (cmd == XENMEM_current_reservation || cmd == XENMEM_maximum_reservation) {
        hv_domid_t *d = fz_alloc(sizeof(*d));

        *d = FZ_PICK(doms);
        c->args[1] = fz_ptr(d);
        return;
    }
    uint64_t n = fz_chance(80) ? fz_below(4) : fz_count(16);
    uint64_t *mfns = fz_alloc(16 * 8);
    struct xen_memory_reservation *r = fz_alloc(sizeof(*r));
    const uint32_t orders[] = { 1, 9, 18, 63, 64, ~0U };

    for (unsigned i = 0; i < 16; i++)
        mfns[i] = any_mfn(false);
    *r = (struct xen_memory_reservation){
        .extent_start = fz_ptr(mfns), .nr_extents = n,
        .extent_order = fz_chance(90) ? 0 : FZ_PICK(orders),
        .mem_flags = fz_chance(80) ? 0 : (uint32_t)fz_rand(),
        .domid = FZ_PICK(doms),
    };
    c->args[1] = fz_ptr(r);
}
