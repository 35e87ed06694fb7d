/* The hvframes test guest: an unprivileged domU that attacks the frames the
 * hypervisor writes into. Its shared info page is one: the hypervisor writes event
 * bits and times there whatever the guest does with its mappings. A guest that could
 * turn that frame into one of its page tables (pin it, or point a table entry at it)
 * after dropping its writable mapping could compose page-table entries by sending
 * events to itself, and so map any machine frame. Every attempt must be refused, and
 * the page must work as before afterwards. It also tries entry bits that real hardware
 * (not QEMU) would honour across domains: global, uncached, write-through.
 *
 * Prints "isolation: <case> ok|FAILED (...)" per case, then "isolation: N passed,
 * N failed" (isolation_report.c); main returns the failure count. */
#include "isolation.h"

/* While the shared info page is read-only nothing may print (the console path masks
 * events, a write to that page): outcomes wait here until it is writable again. */
static struct { char name[48]; long rc, want; bool undone; } held[16];
static unsigned nr_held;

/* rc must be an error (with want != 0: exactly -want); undo() runs if the hypervisor
 * accepted, so that the rest of the run (and the domain's destruction) is not
 * disturbed by a successful attack. */
static void refused(const char *name, long rc, long want, void (*undo)(uint64_t), uint64_t arg)
{
    if (nr_held < ARRAY_SIZE(held)) {
        snprintf(held[nr_held].name, sizeof(held[nr_held].name), "%s", name);
        held[nr_held].rc = rc;
        held[nr_held].want = want;
        held[nr_held++].undone = rc >= 0 && undo;
    }
    if (rc >= 0 && undo)
        undo(arg);
}

static void report_held(void)
{
    for (unsigned i = 0; i < nr_held; i++)
        result(held[i].name, held[i].rc < 0 && (!held[i].want || held[i].rc == -held[i].want),
               "returned %ld %s%s", held[i].rc,
               held[i].rc < 0 ? errno_name(held[i].rc) : held[i].undone ? "(accepted, undone)"
                                                                      : "(accepted)",
               held[i].want && held[i].rc != -held[i].want ? ", expected EBUSY" : "");
}

static void unpin(uint64_t mfn)
{
    struct mmuext_op op = { .cmd = MMUEXT_UNPIN_TABLE, .arg = mfn };
    uint64_t done;

    hv_mmuext_op(&op, 1, &done, DOMID_SELF);
}

static void clear_entry(uint64_t maddr)
{
    struct mmu_update u = { .ptr = maddr | MMU_NORMAL_PT_UPDATE, .val = 0 };
    uint64_t done;

    hv_mmu_update(&u, 1, &done, DOMID_SELF);
}

/* The shared info frame as a table of every level, with no writable mapping left.
 * Refused as a type conflict (EBUSY), whatever the page holds: a refusal because some
 * time value the hypervisor wrote there is not a valid entry (EINVAL) is luck, and
 * depends on the parity of tsc_to_ns_mul on real hardware. */
static void shared_info_cases(uint64_t si_mfn)
{
    const uint64_t *l4 = (const uint64_t *)(uintptr_t)start_info->pt_base;
    const uint64_t *l3 = pfn_to_virt(mfn_to_pfn((l4[0] & PTE_ADDR_MASK) >> PAGE_SHIFT));
    const uint64_t *l2 = pfn_to_virt(mfn_to_pfn((l3[0] & PTE_ADDR_MASK) >> PAGE_SHIFT));
    uint64_t entry = (si_mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_W, done;
    struct mmu_update u;
    struct mmuext_op op;
    long rc;

    for (unsigned level = 1; level <= 4; level++) {
        char name[48];

        snprintf(name, sizeof(name), "pin shared info as L%u", level);
        op = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE + level - 1, .arg = si_mfn };
        refused(name, hv_mmuext_op(&op, 1, &done, DOMID_SELF), EBUSY, unpin, si_mfn);
    }
    /* Slots at the top of the first L2, L3 and L4: unused by the runtime. */
    u = (struct mmu_update){ virt_to_maddr(&l2[510]) | MMU_NORMAL_PT_UPDATE, entry };
    refused("shared info as an L1 (L2 entry)", hv_mmu_update(&u, 1, &done, DOMID_SELF), EBUSY,
            clear_entry, virt_to_maddr(&l2[510]));
    u = (struct mmu_update){ virt_to_maddr(&l3[510]) | MMU_NORMAL_PT_UPDATE, entry };
    refused("shared info as an L2 (L3 entry)", hv_mmu_update(&u, 1, &done, DOMID_SELF), EBUSY,
            clear_entry, virt_to_maddr(&l3[510]));
    u = (struct mmu_update){ virt_to_maddr(&l4[200]) | MMU_NORMAL_PT_UPDATE, entry };
    refused("shared info as an L3 (L4 entry)", hv_mmu_update(&u, 1, &done, DOMID_SELF), EBUSY,
            clear_entry, virt_to_maddr(&l4[200]));
    op = (struct mmuext_op){ .cmd = MMUEXT_NEW_BASEPTR, .arg = si_mfn };
    refused("shared info as the L4 (new_baseptr)", hv_mmuext_op(&op, 1, &done, DOMID_SELF),
            EBUSY, NULL, 0);
    {
        uint64_t mfn = si_mfn;
        struct xen_memory_reservation mr = { .extent_start = (uintptr_t)&mfn,
                                             .nr_extents = 1, .domid = DOMID_SELF };

        /* Returns the extents done: 0 is a refusal too. */
        rc = hv_memory_op(XENMEM_decrease_reservation, &mr);
        refused("give the shared info frame back", rc == 0 ? -1 : rc, 0, NULL, 0);
    }
}

static void entry_bit_cases(void)
{
    static const struct { const char *name; uint64_t bit; } bits[] = {
        { "map a page global", PTE_G },
        { "map a page uncached", PTE_PCD },
        { "map a page write-through", PTE_PWT },
    };
    uint64_t *scratch = alloc_page(), *data = alloc_page();

    if (!scratch || !data) {
        result("entry bits", false, "no free pages for the test");
        return;
    }
    for (unsigned i = 0; i < ARRAY_SIZE(bits); i++) {
        uint64_t before = l1e_of((uintptr_t)scratch);
        long rc = hv_update_va_mapping((uintptr_t)scratch, virt_to_maddr(data) | PTE_P |
                                       PTE_U | PTE_W | bits[i].bit, UVMF_INVLPG);

        result(bits[i].name, rc < 0 && l1e_of((uintptr_t)scratch) == before,
               "returned %ld %s, entry %#llx", rc, rc < 0 ? errno_name(rc) : "",
               (unsigned long long)l1e_of((uintptr_t)scratch));
    }
}

int main(const struct start_info *si)
{
    uint64_t e = l1e_of(GUEST_SHARED_INFO_VA), si_mfn = (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
    unsigned long flags;
    uint64_t t0;
    long rc, ro;

    printf("isolation: hvframes, domain %u, shared info at mfn %#llx, %s\n", si->domid,
           (unsigned long long)si_mfn, guest_is_privileged() ? "privileged" : "unprivileged");
    /* Events off while the page is read-only: the upcall writes to it. */
    flags = local_irq_save();
    rc = hv_update_va_mapping(GUEST_SHARED_INFO_VA, e & ~PTE_W, UVMF_INVLPG);
    if (rc == 0)
        shared_info_cases(si_mfn);
    ro = rc;
    rc = hv_update_va_mapping(GUEST_SHARED_INFO_VA, e, UVMF_INVLPG);
    result("map shared info read-only", ro == 0, "returned %ld", ro);
    report_held();
    result("map shared info writable again", rc == 0 && l1e_of(GUEST_SHARED_INFO_VA) == e,
           "returned %ld, entry %#llx", rc, (unsigned long long)l1e_of(GUEST_SHARED_INFO_VA));
    local_irq_restore(flags);
    /* The hypervisor still delivers events and time through it. */
    t0 = guest_now_ns();
    sleep_ns(1000000);
    result("timer events still arrive", guest_now_ns() >= t0 + 1000000,
           "slept from %llu to %llu ns", (unsigned long long)t0,
           (unsigned long long)guest_now_ns());
    entry_bit_cases();
    return (int)report_summary();
}
