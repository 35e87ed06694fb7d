/* Guest values the hypervisor loads in ring 0. See <hvlab/guest_values.h>.
 *
 * Design: a 48-bit virtual address space (4-level paging); the guest owns the lower
 * half up to GUEST_VIRT_END = 2^47, which is exactly the lower canonical half, so "in
 * the guest half" implies canonical. The checks are pure so that the host tests
 * (tests/unit/test_guest_values.c) run the very code the hypervisor does.
 *
 * Locking: none; pure functions. */
#include <hvlab/errno.h>
#include <hvlab/guest_values.h>
#include <public/vcpu.h>

#define RFLAGS_FIXED   (1UL << 1)       /* reserved, always 1 */
#define RFLAGS_IF      (1UL << 9)
/* CF PF AF ZF SF TF DF OF: what ring 3 may change with POPF anyway. */
#define RFLAGS_GUEST   ((1UL << 0) | (1UL << 2) | (1UL << 4) | (1UL << 6) | (1UL << 7) | \
                        (1UL << 8) | (1UL << 10) | (1UL << 11))

_Static_assert(GUEST_VIRT_END == 1ULL << 47, "the guest half must be the lower canonical half");

bool is_canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

bool guest_code_ok(uint64_t va)
{
    return va < GUEST_VIRT_END;
}

bool guest_stack_ok(uint64_t rsp)
{
    return rsp < GUEST_VIRT_END;
}

bool guest_array_ok(uint64_t va, uint64_t count, uint64_t size)
{
    uint64_t bytes;

    if (__builtin_mul_overflow(count, size, &bytes))
        return false;
    if (bytes == 0)
        return true;                    /* nothing will be read or written */
    return va <= GUEST_VIRT_END && bytes <= GUEST_VIRT_END - va;
}

uint64_t guest_rflags_sanitize(uint64_t rflags)
{
    return (rflags & RFLAGS_GUEST) | RFLAGS_IF | RFLAGS_FIXED;
}

int guest_context_check(const struct vcpu_guest_context *c)
{
    if (!guest_code_ok(c->rip) || !guest_stack_ok(c->rsp))
        return -EINVAL;
    /* Loaded by WRMSR on every switch-in: a non-canonical base is a #GP in ring 0. */
    if (!is_canonical(c->fs_base) || !is_canonical(c->gs_base))
        return -EINVAL;
    /* Loaded into RIP by the event upcall's IRETQ. */
    if (c->event_callback && !guest_code_ok(c->event_callback))
        return -EINVAL;
    return 0;
}
