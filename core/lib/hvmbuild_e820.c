/* The E820 map of an HVM guest (see include/hvlab/hvmbuild.h for the layout).
 *
 * Design: start from the PC shape (RAM below 0x9F000, the legacy hole reserved up
 * to 1 MiB, RAM from 1 MiB to the end of memory, the IOAPIC and LAPIC windows
 * reserved), then lay the ACPI tables' range over it as type 3, splitting whatever it
 * covers. Every entry keeps the list sorted and disjoint, which is what the three
 * boot protocols hand on to the kernel unchanged. */
#include <hvlab/errno.h>
#include <hvlab/hvmbuild.h>
#include <hvlab/lib.h>

struct e820_list {
    struct hvmbuild_e820_entry *e;
    unsigned n, max;
};

static int e820_append(struct e820_list *l, uint64_t addr, uint64_t end, uint32_t type)
{
    if (end <= addr)
        return 0;
    if (l->n == l->max)
        return -ENOSPC;
    l->e[l->n++] = (struct hvmbuild_e820_entry){ addr, end - addr, type };
    return 0;
}

/* Rebuilds l with [addr, end) of type `type` laid over it. */
static int e820_overlay(struct e820_list *l, uint64_t addr, uint64_t end, uint32_t type)
{
    struct hvmbuild_e820_entry old[HVMBUILD_E820_MAX];
    unsigned n = l->n;
    bool placed = false;
    int rc = 0;

    if (n > HVMBUILD_E820_MAX)
        return -ENOSPC;
    memcpy(old, l->e, n * sizeof(old[0]));
    l->n = 0;
    for (unsigned i = 0; i < n && !rc; i++) {
        uint64_t a = old[i].addr, b = old[i].addr + old[i].size;

        if (!placed && a >= addr) {
            rc = e820_append(l, addr, end, type);
            placed = true;
        }
        if (!rc)
            rc = e820_append(l, a, MIN(b, addr), old[i].type);     /* part below */
        if (!rc && !placed && b > addr) {
            rc = e820_append(l, addr, end, type);
            placed = true;
        }
        if (!rc)
            rc = e820_append(l, MAX(a, end), b, old[i].type);      /* part above */
    }
    if (!rc && !placed)
        rc = e820_append(l, addr, end, type);
    return rc;
}

int hvmbuild_e820(uint64_t mem_bytes, uint64_t acpi_gpa, uint64_t acpi_len,
                  struct hvmbuild_e820_entry *out, unsigned max)
{
    struct e820_list l = { .e = out, .n = 0, .max = max };
    int rc;

    if (mem_bytes < HVMBUILD_MIN_MEM || mem_bytes > HVMBUILD_MAX_MEM ||
        (mem_bytes & (PAGE_SIZE - 1)))
        return -EINVAL;
    if ((rc = e820_append(&l, 0, HVMBUILD_HOLE_BASE, E820_RAM)) ||
        (rc = e820_append(&l, HVMBUILD_HOLE_BASE, HVMBUILD_HOLE_END, E820_RESERVED)) ||
        (rc = e820_append(&l, HVMBUILD_HOLE_END, mem_bytes, E820_RAM)) ||
        (rc = e820_append(&l, HVMBUILD_IOAPIC_GPA, HVMBUILD_IOAPIC_GPA + PAGE_SIZE,
                          E820_RESERVED)) ||
        (rc = e820_append(&l, HVMBUILD_LAPIC_GPA, HVMBUILD_LAPIC_GPA + PAGE_SIZE,
                          E820_RESERVED)))
        return rc;
    if (acpi_len && (rc = e820_overlay(&l, acpi_gpa, acpi_gpa + acpi_len, E820_ACPI)))
        return rc;
    return (int)l.n;
}
