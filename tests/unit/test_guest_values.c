/* Guest values loaded in ring 0 (core/lib/guest_values.c): canonical addresses, entry
 * points, stack pointers, array sizes, RFLAGS and whole vCPU contexts, at the edges
 * real hardware faults on. Each case is a table of values and the expected verdict. */
#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/guest_values.h>
#include <hvlab/lib.h>
#include <public/vcpu.h>

static void test_canonical(void)
{
    static const struct { uint64_t va; bool ok; } rows[] = {
        { 0, true }, { 0x00007fffffffffffULL, true }, { 0x0000800000000000ULL, false },
        { 0x0000800000000001ULL, false }, { 0x7fffffffffffffffULL, false },
        { 0x8000000000000000ULL, false }, { 0xffff7fffffffffffULL, false },
        { 0xffff800000000000ULL, true }, { 0xffffffff80000000ULL, true }, { ~0ULL, true },
        { 0x1000000000000000ULL, false },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        if (is_canonical(rows[i].va) != rows[i].ok)
            printf("    %#llx: expected %s\n", (unsigned long long)rows[i].va,
                   rows[i].ok ? "canonical" : "non-canonical");
        CHECK_EQ(is_canonical(rows[i].va), rows[i].ok);
    }
}

static void test_code_and_stack(void)
{
    static const struct { uint64_t va; bool ok; } rows[] = {
        { 0, true }, { 0x400000, true }, { 0x00007fffffffffffULL, true },
        { 0x0000800000000000ULL, false },   /* GUEST_VIRT_END: non-canonical */
        { 0xffff800000000000ULL, false },   /* canonical but the hypervisor's half */
        { 0xffffffff80000000ULL, false }, { ~0ULL, false }, { 0x8000000000000001ULL, false },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        CHECK_EQ(guest_code_ok(rows[i].va), rows[i].ok);
        CHECK_EQ(guest_stack_ok(rows[i].va), rows[i].ok);
    }
}

static void test_array(void)
{
    static const struct { uint64_t va, count, size; bool ok; } rows[] = {
        { 0x400000, 10, 8, true },
        { 0x400000, 0, 8, true },                       /* empty: nothing touched */
        { ~0ULL, 0, 8, true },
        { GUEST_VIRT_END - 16, 2, 8, true },            /* ends exactly at the end */
        { GUEST_VIRT_END - 16, 3, 8, false },           /* crosses it */
        { GUEST_VIRT_END, 1, 1, false },
        { 0x400000, 1ULL << 61, 8, false },             /* count * size wraps to 0 */
        { 0x400000, (1ULL << 61) + 1, 8, false },       /* wraps to 8 */
        { 0x400000, ~0ULL, ~0ULL, false },
        { 0xfffffffffffffff8ULL, 2, 8, false },         /* va + bytes wraps to 8 */
        { 0x400000, 1ULL << 20, 8, true },              /* the largest memory_op */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        bool got = guest_array_ok(rows[i].va, rows[i].count, rows[i].size);
        if (got != rows[i].ok)
            printf("    row %u: va %#llx count %#llx size %llu\n", i,
                   (unsigned long long)rows[i].va, (unsigned long long)rows[i].count,
                   (unsigned long long)rows[i].size);
        CHECK_EQ(got, rows[i].ok);
    }
}

static void test_rflags(void)
{
    static const struct { uint64_t in, out; } rows[] = {
        { 0, 0x202 },                                   /* IF and bit 1 forced */
        { 0x8d5 | 0x400, 0xed7 },                       /* arithmetic flags and DF kept */
        { 1UL << 8, 0x302 },                            /* TF kept: POPF sets it too */
        { 3UL << 12, 0x202 },                           /* IOPL 3 dropped */
        { 1UL << 14, 0x202 },                           /* NT */
        { 1UL << 16 | 1UL << 17, 0x202 },               /* RF, VM */
        { 1UL << 18 | 1UL << 19 | 1UL << 20 | 1UL << 21, 0x202 },   /* AC VIF VIP ID */
        { ~0ULL, 0xfd7 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        uint64_t got = guest_rflags_sanitize(rows[i].in);
        if (got != rows[i].out)
            printf("    %#llx -> %#llx, expected %#llx\n", (unsigned long long)rows[i].in,
                   (unsigned long long)got, (unsigned long long)rows[i].out);
        CHECK(got == rows[i].out);
    }
}

static void test_context(void)
{
    const struct vcpu_guest_context good = {
        .rip = 0x400000, .rsp = 0x7ff000, .fs_base = 0, .gs_base = 0x1000,
        .event_callback = 0x401000, .cr3_mfn = 42,
    };
    struct vcpu_guest_context c;
    static const struct { const char *what; size_t off; uint64_t val; int rc; } rows[] = {
        { "non-canonical fs_base", offsetof(struct vcpu_guest_context, fs_base),
          0x8000000000000000ULL, -EINVAL },
        { "non-canonical gs_base", offsetof(struct vcpu_guest_context, gs_base),
          0x0000800000000000ULL, -EINVAL },
        { "upper-half canonical fs_base", offsetof(struct vcpu_guest_context, fs_base),
          0xffff800000000000ULL, 0 },
        { "rip in the hypervisor half", offsetof(struct vcpu_guest_context, rip),
          0xffffffff80000000ULL, -EINVAL },
        { "rip non-canonical", offsetof(struct vcpu_guest_context, rip),
          0x0000800000000000ULL, -EINVAL },
        { "rsp at GUEST_VIRT_END", offsetof(struct vcpu_guest_context, rsp),
          0x0000800000000000ULL, -EINVAL },
        { "event callback non-canonical", offsetof(struct vcpu_guest_context, event_callback),
          0x0000800000000000ULL, -EINVAL },
        { "no event callback", offsetof(struct vcpu_guest_context, event_callback), 0, 0 },
        { "any rflags (sanitized when loaded)", offsetof(struct vcpu_guest_context, rflags),
          ~0ULL, 0 },
    };
    CHECK_EQ(guest_context_check(&good), 0);
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        c = good;
        memcpy((char *)&c + rows[i].off, &rows[i].val, sizeof(uint64_t));
        int rc = guest_context_check(&c);
        if (rc != rows[i].rc)
            printf("    %s: %d, expected %d\n", rows[i].what, rc, rows[i].rc);
        CHECK_EQ(rc, rows[i].rc);
    }
}

static const struct unit_case cases[] = {
    { "is_canonical at the edges of both halves", test_canonical },
    { "entry points and stack pointers: the guest half only", test_code_and_stack },
    { "arrays: no overflow in count * size or va + bytes", test_array },
    { "RFLAGS: arithmetic flags kept, privileged ones dropped", test_rflags },
    { "vCPU context: RIP, RSP, FS/GS bases, event callback", test_context },
};
UNIT_MAIN(cases)
