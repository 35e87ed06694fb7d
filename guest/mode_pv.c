/* The mode layer (guest_mode.h) of a PV guest: hypercalls are SYSCALLs, a domU has no
 * I/O ports, and page tables change only through the hypervisor, which checks each
 * entry: an address space is built the way a PV kernel's fork builds one (fill the
 * new tables while they are ordinary pages, make them read-only, pin the L4, which
 * validates the whole tree) and torn down the reverse way (unpin, which drops every
 * reference the validation took; make the frames writable again; free them).
 * Locking: none here; the hypervisor serialises the page-type changes. */
#include <guest.h>
#include <guest_mode.h>

const char *guest_mode_name(void)
{
    return "pv";
}

long guest_null_call(void)
{
    return hv_version();
}

int guest_port_in8(uint16_t port, uint8_t *val)
{
    (void)port;
    *val = 0;
    return -ENOSYS;             /* no I/O-port access is granted to a PV domU */
}

int guest_port_out8(uint16_t port, uint8_t val)
{
    (void)port, (void)val;
    return -ENOSYS;
}

const char *guest_smp_limit(void)
{
    return NULL;
}

bool guest_has_large_pages(void)
{
    return false;               /* the hypervisor refuses PTE_PS in a PV table */
}

/* Our own mapping of table va: read-only while it is a page table, writable after. */
static int as_remap(void *va, bool writable)
{
    uint64_t mfn = virt_to_mfn(va);

    return (int)hv_update_va_mapping((uintptr_t)va, (mfn << PAGE_SHIFT) | PTE_P | PTE_U |
                                     (writable ? PTE_W : 0), UVMF_INVLPG);
}

static int as_pin(void *l4, unsigned cmd)
{
    struct mmuext_op op = { .cmd = cmd, .arg = virt_to_mfn(l4) };

    return (int)hv_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static void as_free(struct guest_as *as, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free_page(as->table[i]);
}

int guest_as_build(struct guest_as *as, void *const *pages, unsigned n)
{
    uint64_t *t[4];
    unsigned i;
    int rc;

    if (n > 512)
        return -EINVAL;
    for (i = 0; i < 4; i++) {
        as->table[i] = t[i] = alloc_page();
        if (!t[i]) {
            as_free(as, i);
            return -ENOMEM;
        }
    }
    for (i = 0; i < 3; i++)
        t[i][0] = (virt_to_mfn(t[i + 1]) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_U;
    for (i = 0; i < n; i++)
        t[3][i] = (virt_to_mfn(pages[i]) << PAGE_SHIFT) | PTE_P | PTE_U;
    for (i = 0; i < 4; i++) {
        rc = as_remap(t[i], false);
        if (rc < 0)
            goto undo;
    }
    rc = as_pin(t[0], MMUEXT_PIN_L4_TABLE);
    if (rc >= 0)
        return 0;
undo:
    /* Leak rather than free a frame whose mapping could not be made writable again. */
    while (i-- > 0)
        if (as_remap(t[i], true) < 0)
            return rc;
    as_free(as, 4);
    return rc;
}

int guest_as_destroy(struct guest_as *as)
{
    int rc = as_pin(as->table[0], MMUEXT_UNPIN_TABLE);

    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < 4; i++) {
        rc = as_remap(as->table[i], true);
        if (rc < 0)
            return rc;          /* leaked: still typed or still mapped read-only */
    }
    as_free(as, 4);
    return 0;
}
