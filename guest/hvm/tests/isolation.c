/* The HVM isolation guest (tests/boot/test_hvm_isolation.py): an HVM domain tries to
 * reach what is not its own and checks what it gets. case=safe runs every attack the
 * domain survives, one named line each ("hvmiso: NAME ok" or "hvmiso: FAILED NAME:
 * ..."), then "hvmiso: N passed, M failed" and powers off. The attacks that must crash
 * the domain (and only it) run one per domain: case=above (a read just above its RAM),
 * case=hole (a read in the 3-4 GiB hole, where a PC has HPET and the like), case=high
 * (a read at the top of the physical address width), case=triple (a triple fault);
 * case=walk points its own page table at a GPA above its RAM (the nested fault is
 * on its page walk); case=reset writes the reset port 0xcf9, which reboots the domain, not the machine;
 * each prints "hvmiso: trying NAME" first, and the boot test checks dom0's crash line. */
#include <guest.h>

#define LAPIC_BASE 0xfee00000ull
#define IOAPIC_BASE 0xfec00000ull
#define MSR_EFER 0xc0000080u
#define EFER_SVME (1ull << 12)
#define MSR_APIC_BASE 0x1bu
#define MSR_VM_CR 0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u

static unsigned passed, failed;
static volatile unsigned fault_vec, skip_len;

#define EXPECT(name, cond, ...) do {                                              \
    if (cond) {                                                                   \
        passed++;                                                                 \
        printf("hvmiso: %s ok\n", name);                                         \
    } else {                                                                      \
        failed++;                                                                 \
        printf("hvmiso: FAILED %s: ", name);                                     \
        printf(__VA_ARGS__);                                                      \
        printf("\n");                                                             \
    }                                                                             \
} while (0)

/* #GP and #UD: note the vector and step over the instruction (its length is set
 * before each attempt), so one guest tries many. */
static bool on_gp(struct guest_trap_frame *f)
{
    fault_vec = 13;
    f->bf.rip += skip_len;
    return true;
}
static bool on_ud(struct guest_trap_frame *f)
{
    fault_vec = 6;
    f->bf.rip += skip_len;
    return true;
}

/* The MSR access's vector (0: none) and value. */
static unsigned try_rdmsr(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;
    fault_vec = 0;
    skip_len = 2;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
    *val = (uint64_t)hi << 32 | lo;
    return fault_vec;
}
static unsigned try_wrmsr(uint32_t msr, uint64_t val)
{
    fault_vec = 0;
    skip_len = 2;
    asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                 : "memory");
    return fault_vec;
}

static uint32_t mmio_rd(uint64_t a) { return *(volatile uint32_t *)(uintptr_t)a; }
static void mmio_wr(uint64_t a, uint32_t v) { *(volatile uint32_t *)(uintptr_t)a = v; }
static void outb(uint16_t p, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(p)); }
static void outl(uint16_t p, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(p)); }
static uint32_t inl(uint16_t p)
{
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(p));
    return v;
}

static void msrs(void)
{
    uint64_t efer, v;
    unsigned vec;

    vec = try_rdmsr(MSR_EFER, &efer);
    EXPECT("efer-read-hides-svme", vec == 0 && !(efer & EFER_SVME),
           "vector %u EFER %#llx", vec, (unsigned long long)efer);
    vec = try_wrmsr(MSR_EFER, efer | EFER_SVME);        /* no SVM in its CPUID: #GP */
    try_rdmsr(MSR_EFER, &v);
    EXPECT("efer-set-svme-gp", vec == 13 && v == efer, "vector %u EFER after %#llx",
           vec, (unsigned long long)v);
    vec = try_wrmsr(MSR_EFER, efer & ~EFER_SVME);       /* the value it read: allowed */
    try_rdmsr(MSR_EFER, &v);
    EXPECT("efer-clear-svme-runs", vec == 0 && v == efer, "vector %u EFER after %#llx",
           vec, (unsigned long long)v);
    /* Clearing LME with paging on: #GP (AMD APM vol. 2, 3.1.7), long mode kept. */
    vec = try_wrmsr(MSR_EFER, efer & ~(1ull << 8));
    try_rdmsr(MSR_EFER, &v);
    EXPECT("efer-clear-lme-gp", vec == 13 && v == efer, "vector %u EFER after %#llx",
           vec, (unsigned long long)v);
    EXPECT("vm-hsave-read-gp", try_rdmsr(MSR_VM_HSAVE_PA, &v) == 13, "no #GP");
    EXPECT("vm-hsave-write-gp", try_wrmsr(MSR_VM_HSAVE_PA, 0x200000) == 13, "no #GP");
    EXPECT("vm-cr-write-gp", try_wrmsr(MSR_VM_CR, 0) == 13, "no #GP");

    /* The APIC base moved onto its own RAM (1 MiB: the image's first page): refused,
     * and the RAM there still reads as RAM. */
    uint32_t before = mmio_rd(0x100000);
    try_rdmsr(MSR_APIC_BASE, &v);
    vec = try_wrmsr(MSR_APIC_BASE, (v & 0xfff) | 0x100000);
    uint64_t after;
    try_rdmsr(MSR_APIC_BASE, &after);
    EXPECT("apic-base-onto-ram-refused", vec == 13 && after == v && mmio_rd(0x100000) == before,
           "vector %u base %#llx -> %#llx, RAM %#x -> %#x", vec, (unsigned long long)v,
           (unsigned long long)after, before, mmio_rd(0x100000));
}

/* Every MSR in the three ranges the permission map covers, and a few outside:
 * read, and what reads is written back unchanged. Only the MSRs the hypervisor
 * emulates or the VMCB switches may take the write; the rest #GP. */
static bool writable_ok(uint32_t m)
{
    return m == MSR_APIC_BASE || m == 0x6e0 || m == 0x277 || m == MSR_EFER ||
           (m >= 0x174 && m <= 0x176) || (m >= 0xc0000081u && m <= 0xc0000084u) ||
           (m >= 0xc0000100u && m <= 0xc0000102u);
}

static void msr_sweep(void)
{
    static const uint32_t base[] = { 0, 0xc0000000u, 0xc0010000u };
    static const uint32_t extra[] = { 0x40000000u, 0x40000200u, 0xc0011000u, 0xffffffffu };
    unsigned readable = 0, writable = 0, bad = 0;
    uint32_t first_bad = 0;

    for (unsigned r = 0; r < 3 + 1; r++) {
        unsigned n = r < 3 ? 0x2000 : 4;
        for (unsigned i = 0; i < n; i++) {
            uint32_t m = r < 3 ? base[r] + i : extra[i];
            uint64_t v;
            if (try_rdmsr(m, &v))
                continue;
            readable++;
            if (try_wrmsr(m, v))
                continue;
            writable++;
            if (!writable_ok(m) && bad++ == 0)
                first_bad = m;
        }
    }
    printf("hvmiso: msr sweep: %u readable, %u writable\n", readable, writable);
    EXPECT("msr-sweep-writes-only-emulated", bad == 0 && writable > 0,
           "%u MSRs took a write they should not, the first %#x", bad, first_bad);
}

/* Every SVM instruction but VMMCALL (the hypercall): #UD, it has no SVM. */
static void svm_insns(void)
{
    static const char *const names[] = { "vmrun", "vmload", "vmsave", "stgi", "clgi",
                                         "skinit", "invlpga" };
    for (unsigned i = 0; i < 7; i++) {
        char name[32];
        fault_vec = 0;
        skip_len = 3;
        switch (i) {
        case 0: asm volatile(".byte 0x0f, 0x01, 0xd8" : : "a"(0x200000) : "memory"); break;
        case 1: asm volatile(".byte 0x0f, 0x01, 0xda" : : "a"(0x200000) : "memory"); break;
        case 2: asm volatile(".byte 0x0f, 0x01, 0xdb" : : "a"(0x200000) : "memory"); break;
        case 3: asm volatile(".byte 0x0f, 0x01, 0xdc" : : : "memory"); break;
        case 4: asm volatile(".byte 0x0f, 0x01, 0xdd" : : : "memory"); break;
        case 5: asm volatile(".byte 0x0f, 0x01, 0xde" : : "a"(0x200000) : "memory"); break;
        case 6: asm volatile(".byte 0x0f, 0x01, 0xdf" : : "a"(0), "c"(0) : "memory"); break;
        }
        snprintf(name, sizeof(name), "%s-ud", names[i]);
        EXPECT(name, fault_vec == 6, "vector %u", fault_vec);
    }
}

/* The LAPIC and IOAPIC pages are the machine's addresses too: here they must be the
 * domain's own emulated devices. What a write to the real ones would do (INIT every
 * other CPU, software-disable the LAPIC, reprogram the timer pin) would stop the
 * machine; the boot test sees dom0 and the bystander go on. */
static void apic_pages(void)
{
    uint32_t id = mmio_rd(LAPIC_BASE + 0x20) >> 24, ver = mmio_rd(LAPIC_BASE + 0x30);
    EXPECT("lapic-is-own", id == 0 && (ver & 0xff) != 0 && (ver & 0xff) != 0xff,
           "ID %u version %#x", id, ver);
    uint32_t svr = mmio_rd(LAPIC_BASE + 0xf0);
    mmio_wr(LAPIC_BASE + 0x310, 0);
    mmio_wr(LAPIC_BASE + 0x300, 0xc4500);              /* INIT, all excluding self */
    mmio_wr(LAPIC_BASE + 0xf0, svr & ~0x100u);          /* software-disable */
    uint32_t svr_off = mmio_rd(LAPIC_BASE + 0xf0);
    mmio_wr(LAPIC_BASE + 0xf0, svr);
    EXPECT("lapic-writes-stay-own", (svr_off & 0x100) == 0 && mmio_rd(LAPIC_BASE + 0xf0) == svr,
           "SVR %#x, disabled %#x, back %#x", svr, svr_off, mmio_rd(LAPIC_BASE + 0xf0));

    mmio_wr(IOAPIC_BASE, 0);
    uint32_t ioid = mmio_rd(IOAPIC_BASE + 0x10) >> 24;
    mmio_wr(IOAPIC_BASE, 1);
    uint32_t iover = mmio_rd(IOAPIC_BASE + 0x10);
    EXPECT("ioapic-is-own", ioid == 1 && (iover & 0xff) != 0xff,
           "ID %u (its MADT says 1: nr_vcpus) version %#x", ioid, iover);
    for (unsigned pin = 0; pin < 4; pin++) {            /* the machine's timer pins */
        mmio_wr(IOAPIC_BASE, 0x10 + 2 * pin);
        mmio_wr(IOAPIC_BASE + 0x10, 1u << 16);          /* masked */
    }
    mmio_wr(IOAPIC_BASE, 0x14);
    EXPECT("ioapic-writes-stay-own", mmio_rd(IOAPIC_BASE + 0x10) & (1u << 16),
           "pin 2 not masked");
}

/* INIT and SIPI to APIC IDs it has no vCPU for: ignored, it goes on. */
static void ipis(void)
{
    static const uint8_t ids[] = { 1, 2, 3, 7, 15, 0xfe };
    for (unsigned i = 0; i < sizeof(ids); i++) {
        mmio_wr(LAPIC_BASE + 0x310, (uint32_t)ids[i] << 24);
        mmio_wr(LAPIC_BASE + 0x300, 0x4500);            /* INIT */
        mmio_wr(LAPIC_BASE + 0x310, (uint32_t)ids[i] << 24);
        mmio_wr(LAPIC_BASE + 0x300, 0x4608);            /* SIPI, vector 8 */
    }
    EXPECT("init-sipi-absent-vcpus", (mmio_rd(LAPIC_BASE + 0x300) & (1u << 12)) == 0,
           "ICR still pending: %#x", mmio_rd(LAPIC_BASE + 0x300));
}

/* The ports of the machine's own devices. The PIT and PICs are the domain's emulated
 * ones; 0xf4 (QEMU's debug exit) must not stop the machine, 0x64's 0xfe (the keyboard
 * controller's reset) must not reset it; PCI config (0xcf8/0xcfc) is nobody's. 0xcf9
 * resets the domain itself (its FADT's reset register): case=reset. */
static void ports(void)
{
    outb(0x43, 0x34);                                   /* PIT channel 0, mode 2 */
    outb(0x40, 1);
    outb(0x40, 0);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    outb(0x20, 0x11);                                   /* PIC re-init */
    outb(0xf4, 0);
    outb(0xf4, 1);
    outl(0xf4, 0x31);
    outb(0x64, 0xfe);
    static const uint8_t bytes[4] = { 1, 2, 3, 0x31 };
    asm volatile("cld; rep outsb" : : "S"(bytes), "c"(4), "d"(0xf4) : "memory");
    for (const char *m = "hvmiso: com1 is its own console\n"; *m; m++)
        outb(0x3f8, (uint8_t)*m);
    outl(0xcf8, 0x80000000u);
    uint32_t addr = inl(0xcf8), data = inl(0xcfc);
    EXPECT("pci-config-not-reached", addr != 0x80000000u && data == 0xffffffffu,
           "0xcf8 reads %#x, 0xcfc %#x (the host bridge would answer)", addr, data);
    /* Every port read, then every port but COM1's data register written with 0
     * (0 resets nothing: 0xcf9 and 0x64 need their reset bits). */
    uint8_t sum = 0;
    for (uint32_t p = 0; p < 0x10000; p++) {
        uint8_t b;
        asm volatile("inb %w1, %0" : "=a"(b) : "d"((uint16_t)p));
        sum ^= b;
    }
    for (uint32_t p = 0; p < 0x10000; p++)
        if (p != 0x3f8)
            asm volatile("outb %0, %w1" : : "a"((uint8_t)0), "d"((uint16_t)p));
    printf("hvmiso: port sweep done (xor of reads %#x)\n", sum);
    EXPECT("machine-ports-survived", true, "%s", "unreachable");
}

/* Page tables for case=high: VA 512 GiB (PML4 slot 1) -> the top 2 MiB of the
 * physical address width. Identity: these arrays' addresses are their GPAs. */
static uint64_t hi_pdpt[512] __attribute__((aligned(4096)));
static uint64_t hi_pd[512] __attribute__((aligned(4096)));

/* VA 512 GiB -> gpa (2 MiB aligned) by a 2 MiB page; returns the VA. */
static uint64_t map_at(uint64_t gpa)
{
    uint64_t cr3;
    asm volatile("mov %%cr3, %0" : "=r"(cr3));
    uint64_t *pml4 = (uint64_t *)(uintptr_t)(cr3 & ~0xfffull);
    hi_pd[0] = gpa | 0x83;
    hi_pdpt[0] = (uint64_t)(uintptr_t)hi_pd | 3;
    pml4[1] = (uint64_t)(uintptr_t)hi_pdpt | 3;
    asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
    return 512ull << 30;
}

static uint64_t map_top(void)
{
    uint32_t a, b, c, d;
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000008u), "c"(0));
    uint64_t gpa = (1ull << (a & 0xff)) - (2ull << 20);
    printf("hvmiso: top of %u physical address bits: %#llx\n", a & 0xff,
           (unsigned long long)gpa);
    return map_at(gpa);
}

/* In x2APIC mode (32-bit destinations), INIT and SIPI to IDs it has no vCPU for,
 * up to the largest but broadcast: ignored; its own x2APIC ID is still 0. A domain
 * of its own (case=x2apic): the runtime drives its LAPIC through the xAPIC page. */
static void x2apic_ipis(void)
{
    static const uint32_t ids[] = { 1, 2, 0xff, 0x100, 0xffff, 0x12345678u, 0xfffffffeu };
    uint64_t base, id = ~0ull;
    unsigned bad = 0;
    try_rdmsr(MSR_APIC_BASE, &base);
    unsigned vec = try_wrmsr(MSR_APIC_BASE, base | 0x400);
    for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        bad += try_wrmsr(0x830, (uint64_t)ids[i] << 32 | 0x4500) != 0;
        bad += try_wrmsr(0x830, (uint64_t)ids[i] << 32 | 0x4608) != 0;
    }
    try_rdmsr(0x802, &id);
    EXPECT("x2apic-init-sipi-absent-vcpus", vec == 0 && bad == 0 && id == 0,
           "enable vector %u, %u ICR writes faulted, x2APIC ID %#llx", vec, bad,
           (unsigned long long)id);
}

/* The MMIO emulator asked to store what it read from the LAPIC at a guest address
 * whose GPA is above its RAM: the store is dropped (as a bus drops a write to
 * nothing), no frame is written, the guest goes on past the instruction. */
static void emulated_store(const struct start_info *si)
{
    uint64_t va = map_at(((si->nr_pages << 12) + (2ull << 20) - 1) & ~((2ull << 20) - 1));
    uint64_t rdi = va, rcx = 1, rsi = LAPIC_BASE + 0x30;
    asm volatile("cld; rep movsl" : "+S"(rsi), "+D"(rdi), "+c"(rcx) : : "memory");
    EXPECT("emulated-store-above-ram-dropped", rdi == va + 4 && rcx == 0,
           "rdi %#llx (from %#llx) rcx %llu", (unsigned long long)rdi,
           (unsigned long long)va, (unsigned long long)rcx);
}

int main(const struct start_info *si)
{
    char c[16] = "safe";
    guest_arg("case", c, sizeof(c));
    trap_set_handler(13, on_gp);
    trap_set_handler(6, on_ud);

    if (!strcmp(c, "safe")) {
        msrs();
        msr_sweep();
        svm_insns();
        apic_pages();
        ipis();
        emulated_store(si);
        ports();
        printf("hvmiso: %u passed, %u failed\n", passed, failed);
        return failed ? 1 : 0;
    }
    printf("hvmiso: trying %s\n", c);
    if (!strcmp(c, "above")) {
        mmio_rd(si->nr_pages << 12);
    } else if (!strcmp(c, "hole")) {
        mmio_rd(0xfed00000);                            /* where a PC's HPET is */
    } else if (!strcmp(c, "high")) {
        mmio_rd(map_top());
    } else if (!strcmp(c, "walk")) {
        /* Its own page table pointing at a table above its RAM. */
        uint64_t cr3;
        asm volatile("mov %%cr3, %0" : "=r"(cr3));
        ((uint64_t *)(uintptr_t)(cr3 & ~0xfffull))[1] = (si->nr_pages << 12) | 3;
        asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
        mmio_rd(512ull << 30);
    } else if (!strcmp(c, "x2apic")) {
        x2apic_ipis();
        return failed ? 1 : 0;
    } else if (!strcmp(c, "reset")) {
        outb(0xcf9, 0x06);
    } else if (!strcmp(c, "triple")) {
        static const struct { uint16_t lim; uint64_t base; } __attribute__((packed)) none;
        asm volatile("lidt %0; int3" : : "m"(none));
    }
    printf("hvmiso: FAILED %s: still running\n", c);
    return 1;
}
