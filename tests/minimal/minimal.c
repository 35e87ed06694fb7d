/* The smallest PV guest: no runtime, one file. It prints through the console
 * hypercall, reads its start_info, makes a null hypercall and shuts down. The boot
 * tests run it as dom0 to check the PV path (entry, SYSCALL, return) on its own;
 * students can read it as "what a guest minimally is". */
#include <stdint.h>
#include <public/console.h>
#include <public/hvlab.h>
#include <public/sched.h>

static long hypercall3(long nr, long a1, long a2, long a3)
{
    long ret;
    register long r10 __asm__("r10") = 0;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static unsigned long len(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

static void print(const char *s)
{
    hypercall3(HYPERVISOR_console_io, CONSOLEIO_write, (long)len(s), (long)s);
}

static void print_num(const char *label, uint64_t v)
{
    char buf[32];
    int i = sizeof(buf) - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    print(label);
    print(buf + i);
    print("\n");
}

void minimal_main(const struct start_info *si);
void minimal_main(const struct start_info *si)
{
    struct sched_shutdown sd = { SHUTDOWN_poweroff };
    long v = hypercall3(HYPERVISOR_version, 0, 0, 0);

    print("minimal guest: hello\n");
    print_num("minimal guest: domid ", si->domid);
    print_num("minimal guest: pages ", si->nr_pages);
    print_num("minimal guest: version ", (uint64_t)v >> 16);
    /* Path length of a null hypercall, in TSC ticks (instructions under -icount). */
    uint64_t best = ~0ULL;
    for (int i = 0; i < 100; i++) {
        uint32_t lo, hi, lo2, hi2;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        hypercall3(HYPERVISOR_version, 0, 0, 0);
        __asm__ volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
        uint64_t d = (((uint64_t)hi2 << 32) | lo2) - (((uint64_t)hi << 32) | lo);
        if (d < best)
            best = d;
    }
    print_num("minimal guest: null hypercall round trip (TSC) ", best);
    /* The same, averaged over many calls: what tracing overhead is measured on. */
    uint32_t lo, hi, lo2, hi2;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    for (int i = 0; i < 20000; i++)
        hypercall3(HYPERVISOR_version, 0, 0, 0);
    __asm__ volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
    print_num("minimal guest: 20000 null hypercalls (TSC) ",
              (((uint64_t)hi2 << 32) | lo2) - (((uint64_t)hi << 32) | lo));
    hypercall3(HYPERVISOR_sched_op, SCHEDOP_shutdown, (long)&sd, 0);
    for (;;)
        ;
}

/* Entry: RSI holds the start_info address; RSP is the builder's stack. */
__asm__(".globl _start\n"
        "_start:\n"
        "    mov %rsi, %rdi\n"
        "    call minimal_main\n"
        "1:  jmp 1b\n");
