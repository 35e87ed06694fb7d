/* The HVM runtime's exception path (guest/hvm/boot.S's stubs and IDT): handlers
 * registered with trap_set_handler see the frame the PV bounce gives, may move RIP
 * and change registers, and the guest resumes with them; an unhandled fault prints
 * the frame and crashes the domain. Booted natively by tests/boot/test_hvm.py (and
 * runnable as an HVM domain: the path is the same).
 * Prints "hvmtraps: N passed, M failed", then faults on purpose when asked
 * (fatal=1): "trap: vector 14 (#PF) ..." and a crash. */
#include <guest.h>

static unsigned passed, failed;
static uint64_t seen_cr2, seen_err;

#define EXPECT(cond, ...) do {                                                    \
    if (cond) {                                                                   \
        passed++;                                                                 \
    } else {                                                                      \
        failed++;                                                                 \
        printf("hvmtraps: FAILED: " __VA_ARGS__);                                 \
        printf("\n");                                                             \
    }                                                                             \
} while (0)

/* #UD: skip the 2-byte ud2 and leave a mark in RAX (restored from the frame). */
static bool on_ud(struct guest_trap_frame *f)
{
    f->bf.rip += 2;
    f->bf.rax = 0x1234;
    return true;
}

/* #PF: note CR2 and the error code, resume after the 3-byte load (mov (%rdx),%rax). */
static bool on_pf(struct guest_trap_frame *f)
{
    seen_cr2 = f->bf.cr2;
    seen_err = f->bf.error_code;
    f->bf.rip += 3;
    f->regs.rbx = 0xbeef;                       /* a saved register, changed */
    return true;
}

/* #DE: resume past the 3-byte div with a quotient of our own. */
static bool on_de(struct guest_trap_frame *f)
{
    f->bf.rip += 3;
    f->bf.rax = 77;
    return true;
}

int main(const struct start_info *si)
{
    uint64_t rax, rbx;
    const uint64_t bad = 0x100000000000ULL;     /* beyond the 4 GiB boot.S maps */

    trap_set_handler(6, on_ud);
    asm volatile("xor %%eax, %%eax; ud2" : "=a"(rax));
    EXPECT(rax == 0x1234 && trap_count(6) == 1,
           "#UD: rax %#llx count %llu", (unsigned long long)rax,
           (unsigned long long)trap_count(6));

    trap_set_handler(14, on_pf);
    asm volatile("mov $1, %%ebx; .byte 0x48, 0x8b, 0x02" /* mov (%%rdx),%%rax */
                 : "=b"(rbx), "=a"(rax) : "d"(bad) : "memory");
    EXPECT(seen_cr2 == bad && (seen_err & 1) == 0 && rbx == 0xbeef && trap_count(14) == 1,
           "#PF: cr2 %#llx error %#llx rbx %#llx", (unsigned long long)seen_cr2,
           (unsigned long long)seen_err, (unsigned long long)rbx);

    trap_set_handler(0, on_de);
    asm volatile("xor %%edx, %%edx; mov $5, %%eax; xor %%ecx, %%ecx; .byte 0x48, 0xf7, 0xf1"
                 : "=a"(rax) : : "rcx", "rdx");         /* div %rcx */
    EXPECT(rax == 77 && trap_count(0) == 1, "#DE: rax %llu", (unsigned long long)rax);

    printf("hvmtraps: %u passed, %u failed\n", passed, failed);
    if (guest_arg_uint("fatal", 0)) {
        trap_set_handler(14, NULL);
        *(volatile uint64_t *)(uintptr_t)bad = 1;
    }
    return failed ? 1 : 0;
}
