/* hvmtest: the SVM core's own HVM test guest (tests/boot/test_svm.py). A flat 32-bit
 * image, paging off, started by `xl hvm-flat` with EBX = mode:
 *   0: checks CPUID, hypercalls by VMMCALL, the intercepted SVM instructions and
 *      MSRs, an unknown I/O port, HLT woken by a set_timer_op timer (again after
 *      clearing the event in its shared info, mapped by hvm_op), the event upcall
 *      vector injected in the interrupt window, PAUSE; prints the path
 *      lengths of a VMMCALL and a CPUID round trip, then writes outside its RAM
 *      (which must crash this domain, and only it).
 *   1: triple-faults (no IDT).
 *   2: computes for about SPIN_ROUNDS x 3 M instructions with a CPUID exit per round,
 *      printing its progress, then powers off (SCHEDOP_shutdown): a vCPU for the
 *      scheduler to preempt, pause, pin and move.
 *   3 | pattern << 8: keeps `pattern` in XMM0 and an x87 register over many yields and
 *      checks them after each (its FPU state must survive the other vCPUs of the
 *      pCPU), then powers off.
 * Lines: "hvmtest: <case> ok" or "hvmtest: <case> FAILED (<detail>)", then
 * "hvmtest: N passed, N failed". */
#include <stdbool.h>
#include <stdint.h>
#include <public/console.h>
#include <public/event_channel.h>
#include <public/hvm.h>
#include <public/sched.h>
#include <public/vcpu.h>

#define MSR_EFER        0xc0000080u
#define MSR_VM_CR       0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u
#define EFER_SVME       (1u << 12)
#define OUTSIDE_RAM     0xc0000000u
#define PATH_RUNS       64
#define SPIN_ROUNDS     40
#define SHARED_INFO_GFN 0x300           /* 3 MiB: RAM the image does not use */

void hvmtest_main(uint32_t mode);
void ud_stub(void);
void gp_stub(void);
void upcall_stub(void);

#define UPCALL_VECTOR 0x40

volatile uint32_t last_vec, skip_len, upcalls;
static unsigned passed, failed;
static uint64_t idt[UPCALL_VECTOR + 1];

static uint64_t gate(void (*fn)(void))
{
    uint32_t a = (uint32_t)fn;
    return (a & 0xffff) | (0x08u << 16) | ((uint64_t)((a & 0xffff0000u) | 0x8e00) << 32);
}

static long hcall(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
    long r;
    __asm__ volatile("vmmcall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "memory");
    return r;
}

static uint32_t slen(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void puts_(const char *s)
{
    hcall(HYPERVISOR_console_io, CONSOLEIO_write, slen(s), (uint32_t)s);
}

/* "hvmtest: <a><number><b>\n" (no number unless show) */
static void print_line(const char *a, uint64_t v, bool show, const char *b)
{
    char buf[160], num[24];
    unsigned n = 0, k = 0;
    do {
        num[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (const char *p = "hvmtest: "; *p; p++)
        buf[n++] = *p;
    for (; *a && n < 100; a++)
        buf[n++] = *a;
    while (k && show)
        buf[n++] = num[--k];
    for (; *b && n < 150; b++)
        buf[n++] = *b;
    buf[n++] = '\n';
    buf[n] = 0;
    puts_(buf);
}

static void print_num(const char *a, uint64_t v, const char *b)
{
    print_line(a, v, true, b);
}

static void result(const char *name, int ok, uint64_t got)
{
    if (ok) {
        passed++;
        print_line(name, 0, false, "ok");
    } else {
        failed++;
        print_line(name, got, true, " FAILED (the value)");
    }
}

static void cpuid_(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(0));
}

static uint64_t rdtsc_(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void idt_setup(void)
{
    struct { uint16_t lim; uint32_t base; } __attribute__((packed)) d = {
        sizeof(idt) - 1, (uint32_t)idt };
    idt[6] = gate(ud_stub);
    idt[13] = gate(gp_stub);
    idt[UPCALL_VECTOR] = gate(upcall_stub);
    __asm__ volatile("lidt %0" :: "m"(d));
}

static void test_cpuid(void)
{
    uint32_t r[4];
    cpuid_(HVM_CPUID_BASE, r);
    result("cpuid signature hvlabhvlabhv ", r[1] == HVM_CPUID_SIG_EBX &&
           r[2] == HVM_CPUID_SIG_ECX && r[3] == HVM_CPUID_SIG_EDX && r[0] >= HVM_CPUID_VERSION,
           r[1]);
    cpuid_(1, r);
    result("cpuid hypervisor bit ", (r[2] >> 31) & 1, r[2]);
    cpuid_(0x80000001, r);
    result("cpuid svm hidden ", !(r[2] & 4), r[2]);
    cpuid_(HVM_CPUID_VERSION, r);
    long v = hcall(HYPERVISOR_version, 0, 0, 0);
    result("version by vmmcall matches cpuid ", v == (long)r[0] && v == 0x10000, (uint32_t)v);
    result("unknown hypercall ENOSYS ", hcall(HYPERVISOR_mmu_update, 0, 0, 0) == -38, 0);
}

/* Each SVM instruction (0F 01 D8..DF: VMRUN VMMCALL VMLOAD VMSAVE STGI CLGI SKINIT
 * INVLPGA) but VMMCALL must raise #UD in the guest. */
static void test_svm_insns(void)
{
    unsigned ok = 0, bit = 0;
    skip_len = 3;
    /* mask of the ones that did: bit 0 VMRUN, 1 VMLOAD, ... 6 INVLPGA */
#define TRY_UD(bytes) do { last_vec = 0; \
        __asm__ volatile("xor %%eax, %%eax\n.byte " bytes ::: "eax", "memory"); \
        ok |= (last_vec == 6) << bit++; } while (0)
    TRY_UD("0x0f, 0x01, 0xd8");
    TRY_UD("0x0f, 0x01, 0xda");
    TRY_UD("0x0f, 0x01, 0xdb");
    TRY_UD("0x0f, 0x01, 0xdc");
    TRY_UD("0x0f, 0x01, 0xdd");
    TRY_UD("0x0f, 0x01, 0xde");
    TRY_UD("0x0f, 0x01, 0xdf");
    result("svm instructions raise #UD (mask of 7) ", ok == 0x7f, ok);
}

static uint32_t rdmsr_lo(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    return lo;
}

static void wrmsr_(uint32_t msr, uint32_t lo, uint32_t hi)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"(lo), "d"(hi) : "memory");
}

static void test_msrs(void)
{
    skip_len = 2;
    last_vec = 0;
    uint32_t efer = rdmsr_lo(MSR_EFER);
    result("efer reads without svme ", last_vec == 0 && !(efer & EFER_SVME), efer);
    wrmsr_(MSR_EFER, efer | EFER_SVME, 0);
    result("efer.svme write #GP ", last_vec == 13 && !(rdmsr_lo(MSR_EFER) & EFER_SVME),
           last_vec);
    last_vec = 0;
    rdmsr_lo(MSR_VM_HSAVE_PA);
    result("vm_hsave_pa read #GP ", last_vec == 13, last_vec);
    last_vec = 0;
    wrmsr_(MSR_VM_HSAVE_PA, 0x1000, 0);
    result("vm_hsave_pa write #GP ", last_vec == 13, last_vec);
    last_vec = 0;
    wrmsr_(MSR_VM_CR, 0, 0);
    result("vm_cr write #GP ", last_vec == 13, last_vec);
}

static void test_io(void)
{
    uint8_t b;
    uint32_t l;
    __asm__ volatile("inb %1, %0" : "=a"(b) : "Nd"((uint16_t)0x80));
    __asm__ volatile("inl %1, %0" : "=a"(l) : "d"((uint16_t)0x1234));
    __asm__ volatile("outb %0, %1" :: "a"((uint8_t)0x55), "Nd"((uint16_t)0x80));
    result("unknown ports read all ones ", b == 0xff && l == 0xffffffffu, l);
}

/* Path lengths: the smallest TSC delta (instructions under icount) of PATH_RUNS
 * round trips, less that of an empty RDTSC pair. */
static void test_paths(void)
{
    uint64_t base = ~0ull, call = ~0ull, cpu = ~0ull;
    uint32_t r[4];
    for (int i = 0; i < PATH_RUNS; i++) {
        uint64_t t0 = rdtsc_(), t1 = rdtsc_();
        hcall(HYPERVISOR_version, 0, 0, 0);
        uint64_t t2 = rdtsc_();
        cpuid_(0, r);
        uint64_t t3 = rdtsc_();
        base = t1 - t0 < base ? t1 - t0 : base;
        call = t2 - t1 < call ? t2 - t1 : call;
        cpu = t3 - t2 < cpu ? t3 - t2 : cpu;
    }
    print_num("path rdtsc=", base, "");
    print_num("path vmmcall_version=", call - base, "");
    print_num("path cpuid=", cpu - base, "");
}

/* HLT with a timer set by set_timer_op: the vCPU blocks until VIRQ_TIMER is pending. */
static uint32_t timer_port;

static void test_hlt_timer(void)
{
    struct evtchn_bind_virq b = { .virq = VIRQ_TIMER, .vcpu = 0 };
    struct vcpu_runstate_info before, after;
    long rc = hcall(HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (uint32_t)&b, 0);
    result("bind VIRQ_TIMER ", rc == 0 && b.port > 0, (uint64_t)rc);
    timer_port = b.port;
    hcall(HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, (uint32_t)&before);
    /* The deadline counts from when this vCPU last started running (the guest has
     * no clock of NOW yet); 50 ms leaves room for whatever the other pCPU's work
     * made the clock advance since. */
    uint64_t deadline = (uint64_t)before.state_entry_time + 50000000;
    rc = hcall(HYPERVISOR_set_timer_op, (uint32_t)deadline, (uint32_t)(deadline >> 32), 0);
    __asm__ volatile("hlt" ::: "memory");
    hcall(HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, (uint32_t)&after);
    uint64_t blocked = (uint64_t)(after.time[RUNSTATE_blocked] - before.time[RUNSTATE_blocked]);
    result("hlt blocks until the timer ", rc == 0 && blocked > 0, blocked);
    print_num("hlt blocked ns=", blocked, "");
    /* The timer's event is still pending (no upcall vector yet, interrupts off): a
     * second HLT must not block, since nothing else would ever wake it. (It slept
     * forever when the hypervisor asked for IF before counting the event.) */
    hcall(HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, (uint32_t)&before);
    __asm__ volatile("hlt" ::: "memory");
    hcall(HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, (uint32_t)&after);
    blocked = (uint64_t)(after.time[RUNSTATE_blocked] - before.time[RUNSTATE_blocked]);
    result("hlt with an event already pending returns at once ", blocked == 0, blocked);
}

/* HVMOP_map_shared_info: the timer's event is visible in the page; once the guest
 * clears it, HLT blocks again until the next timer. */
static void test_shared_info(void)
{
    struct hvm_map_shared_info m = { .gfn = SHARED_INFO_GFN };
    volatile struct shared_info *si = (volatile struct shared_info *)(SHARED_INFO_GFN << 12);
    struct vcpu_runstate_info before, after;

    long rc = hcall(HYPERVISOR_hvm_op, HVMOP_map_shared_info, (uint32_t)&m, 0);
    uint32_t pending = si->vcpu_info[0].evtchn_upcall_pending;
    uint32_t port_bit = (uint32_t)(si->evtchn_pending[timer_port / 64] >> (timer_port % 64)) & 1;
    result("shared info mapped, the timer's event pending in it ", rc == 0 && pending == 1 &&
           port_bit == 1, (uint64_t)rc << 8 | pending << 1 | port_bit);
    si->evtchn_pending[timer_port / 64] &= ~(1ull << (timer_port % 64));
    si->vcpu_info[0].evtchn_pending_sel = 0;
    si->vcpu_info[0].evtchn_upcall_pending = 0;
    hcall(HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, (uint32_t)&before);
    uint64_t deadline = (uint64_t)before.state_entry_time + 20000000;   /* as above */
    hcall(HYPERVISOR_set_timer_op, (uint32_t)deadline, (uint32_t)(deadline >> 32), 0);
    __asm__ volatile("hlt" ::: "memory");
    hcall(HYPERVISOR_vcpu_op, VCPUOP_get_runstate_info, 0, (uint32_t)&after);
    uint64_t blocked = (uint64_t)(after.time[RUNSTATE_blocked] - before.time[RUNSTATE_blocked]);
    result("hlt blocks again once the event is cleared ", blocked > 0 &&
           si->vcpu_info[0].evtchn_upcall_pending == 1, blocked);
}

/* HVMOP_set_evtchn_upcall_vector with an event already pending (the timer's): the
 * guest has interrupts off, so the hypervisor waits for the interrupt window (V_IRQ,
 * VINTR intercept) and injects the vector once it opens (STI), exactly once. */
static void test_upcall_vector(void)
{
    struct hvm_evtchn_upcall_vector u = { .vcpu = 0, .vector = 5 };
    long bad = hcall(HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, (uint32_t)&u, 0);
    result("upcall vector below 32 refused ", bad == -22, (uint64_t)bad);
    u.vector = UPCALL_VECTOR;
    long rc = hcall(HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, (uint32_t)&u, 0);
    uint32_t before = upcalls;
    __asm__ volatile("nop; nop; nop" ::: "memory");    /* IF still 0: nothing yet */
    uint32_t masked = upcalls - before;
    __asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
    for (int i = 0; i < 3; i++)
        hcall(HYPERVISOR_version, 0, 0, 0);
    __asm__ volatile("sti; nop; nop; cli" ::: "memory");
    result("upcall vector injected once when IF opens ", rc == 0 && masked == 0 &&
           upcalls - before == 1, upcalls - before);
}

static void test_pause(void)
{
    for (int i = 0; i < 3; i++)
        __asm__ volatile("pause" ::: "memory");
    result("pause yields and resumes ", 1, 0);
}

static void spin(void)
{
    struct sched_shutdown sd = { .reason = SHUTDOWN_poweroff };
    uint32_t r[4];
    for (uint32_t round = 1; round <= SPIN_ROUNDS; round++) {
        for (volatile uint32_t i = 0; i < 1000000; i++)
            ;
        cpuid_(0, r);
        if (round % 10 == 0)
            print_num("spin round ", round, "");
    }
    puts_("hvmtest: spin done\n");
    hcall(HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint32_t)&sd, 0);
}

static void fpu_keep(uint32_t pattern)
{
    struct sched_shutdown sd = { .reason = SHUTDOWN_poweroff };
    uint32_t cr4, bad = 0, i, x87 = 0;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | (1u << 9) | (1u << 10)));  /* OSFXSR */
    __asm__ volatile("clts; fninit; movd %0, %%xmm0; fildl %1" :: "r"(pattern), "m"(pattern)
                     : "memory");
    for (i = 0; i < 300 && !bad; i++) {
        uint32_t got;
        __asm__ volatile("pause; pause" ::: "memory");
        hcall(HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0);
        __asm__ volatile("movd %%xmm0, %0" : "=r"(got));
        __asm__ volatile("fistl %0" : "=m"(x87) :: "memory");
        bad = got != pattern || x87 != pattern;
    }
    result("fpu state kept over yields ", !bad, bad ? x87 : i);
    hcall(HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint32_t)&sd, 0);
}

void hvmtest_main(uint32_t mode)
{
    if ((mode & 0xff) == 3) {
        fpu_keep(mode >> 8);
        return;
    }
    if (mode == 2) {
        spin();
        return;
    }
    if (mode == 1) {
        struct { uint16_t lim; uint32_t base; } __attribute__((packed)) none = { 0, 0 };
        puts_("hvmtest: triple fault now\n");
        __asm__ volatile("lidt %0; ud2" :: "m"(none));
        puts_("hvmtest: survived a triple fault FAILED\n");
        return;
    }
    puts_("hvmtest: hello from an HVM guest\n");
    idt_setup();
    test_cpuid();
    test_svm_insns();
    test_msrs();
    test_io();
    test_paths();
    test_hlt_timer();
    test_shared_info();
    test_upcall_vector();
    test_pause();
    print_num("", passed, " passed");
    print_num("", failed, " failed");
    puts_("hvmtest: touching guest physical 0xc0000000 (outside RAM)\n");
    *(volatile uint32_t *)OUTSIDE_RAM = 1;
    puts_("hvmtest: survived a write outside RAM FAILED\n");
}
