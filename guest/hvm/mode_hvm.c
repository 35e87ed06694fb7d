/* The mode layer (guest_mode.h) of an HVM guest, and of the same image booted with no
 * hypervisor (native): the null call is HYPERVISOR_version through VMMCALL, or the
 * runtime's own answer natively (native.c); I/O ports are the guest's (each access an
 * exit under hvlab, QEMU's device natively); page tables are the guest's own, written
 * directly: nothing checks an address space's entries. */
#include "hvm.h"
#include <guest_mode.h>

const char *guest_mode_name(void)
{
    return hvm_native ? "native" : "hvm";
}

long guest_null_call(void)
{
    return hv_version();
}

int guest_port_in8(uint16_t port, uint8_t *val)
{
    *val = hw_inb(port);
    return 0;
}

int guest_port_out8(uint16_t port, uint8_t val)
{
    hw_outb(port, val);
    return 0;
}

const char *guest_smp_limit(void)
{
    return NULL;                /* INIT/SIPI (smp_hvm.c); the MADT says how many */
}

bool guest_has_large_pages(void)
{
    return true;                /* boot.S maps 0..4 GiB with 2 MiB pages */
}

int guest_as_build(struct guest_as *as, void *const *pages, unsigned n)
{
    uint64_t *t[4];
    unsigned i;

    if (n > 512)
        return -EINVAL;
    for (i = 0; i < 4; i++) {
        as->table[i] = t[i] = alloc_page();
        if (!t[i]) {
            while (i-- > 0)
                free_page(as->table[i]);
            return -ENOMEM;
        }
    }
    for (i = 0; i < 3; i++)
        t[i][0] = virt_to_maddr(t[i + 1]) | PTE_P | PTE_W | PTE_U;
    for (i = 0; i < n; i++)
        t[3][i] = virt_to_maddr(pages[i]) | PTE_P | PTE_U;
    return 0;
}

int guest_as_destroy(struct guest_as *as)
{
    for (unsigned i = 0; i < 4; i++)
        free_page(as->table[i]);
    return 0;
}
