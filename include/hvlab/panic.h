/* panic() for broken invariants (STYLE 10): prints and stops this CPU for good. The
 * hypervisor provides it in core; host tests provide it in tests/unit/host_stubs.c. */
#ifndef HVLAB_PANIC_H
#define HVLAB_PANIC_H

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define ASSERT(c) do {                                                        \
    if (__builtin_expect(!(c), 0))                                            \
        panic("ASSERT(%s) failed at %s:%d", #c, __FILE__, __LINE__);          \
} while (0)

#endif
