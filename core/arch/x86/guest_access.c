/* Copies between the hypervisor and the running guest's memory. Hypercalls take guest
 * virtual addresses; the copy runs on the guest's page tables (they are live), and a
 * fault on the copy instruction is fixed up through the exception table (.extable:
 * pairs of faulting address and where to resume), so a bad pointer costs the guest
 * -EFAULT, never the hypervisor. CR0.WP is set, so a guest's read-only page cannot be
 * written through either. */
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/domain.h>
#include <hvlab/lib.h>
#include <hvlab/x86/svm.h>
#include <public/hvlab.h>

struct extable_entry { uint64_t insn, fixup; };
extern const struct extable_entry __extable_start[], __extable_end[];

bool guest_range_ok(uint64_t va, size_t n)
{
    return va + n >= va && va + n <= GUEST_VIRT_END;
}

/* Bytes NOT copied: 0 on success. */
static size_t copy_fixup(void *dst, const void *src, size_t n)
{
    __asm__ volatile("1: rep movsb\n"
                     "2:\n"
                     ".pushsection .extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 2b\n"
                     ".popsection\n"
                     : "+D"(dst), "+S"(src), "+c"(n) :: "memory");
    return n;
}

/* An HVM guest's addresses are not live here: they go through its page tables and
 * the p2m instead (svm_guest_access.c). */
int copy_from_guest(void *dst, uint64_t guest_va, size_t n)
{
    if (is_hvm_vcpu(current))
        return hvm_copy_from_guest(dst, guest_va, n);
    if (!guest_range_ok(guest_va, n))
        return -EFAULT;
    return copy_fixup(dst, (const void *)guest_va, n) ? -EFAULT : 0;
}

int copy_to_guest(uint64_t guest_va, const void *src, size_t n)
{
    if (is_hvm_vcpu(current))
        return hvm_copy_to_guest(guest_va, src, n);
    if (!guest_range_ok(guest_va, n))
        return -EFAULT;
    return copy_fixup((void *)guest_va, src, n) ? -EFAULT : 0;
}

/* The resume address for a fault at rip in hypervisor code, or 0. */
uint64_t extable_fixup(uint64_t rip)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
        if (e->insn == rip)
            return e->fixup;
    return 0;
}
