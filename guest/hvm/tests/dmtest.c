/* The device-model test guest (tests/boot/test_devmodel.py): an HVM domain whose
 * port and MMIO accesses the hypervisor forwards to dom0's device model (dom0/dm.c).
 * It waits for the model (dom0 attaches it after the domain starts: PCI config
 * reads all ones until then), then by case=:
 *   probe   the host bridge's config space (8086:1237, class 06 00 00), an absent
 *           function, an unclaimed port and MMIO address (all ones), REP INSW/OUTSW
 *           to an unclaimed port (all ones in, dropped out, registers advanced), the
 *           path length of a forwarded port read; then, as a bystander, keeps its
 *           reads answered for a while and powers off;
 *   hugerep REP INSW with a count far past its RAM: the run reaches the end of its
 *           RAM and the hypervisor crashes the domain (and only it);
 *   answer  reads the host bridge in a loop until dom0's model answers it with an
 *           injected malformed reply (dm-inject): the domain is crashed;
 *   gone    reads the host bridge until dom0 detaches the model (dm-detach): then
 *           all ones, and it powers off;
 *   hold    reads the host bridge until one read is held 20 ms by dom0 (dm-inject
 *           hold): the vCPU was blocked meanwhile (runstate), the value right;
 *   noop    nothing (made after the others: dom0 counts the free frames);
 *   ata     the ATA disk hda through guest/hvm/ata.c (blkdev): a pattern written,
 *           read back, compared, the path length of a 4 KiB read.
 * One line per check, "dmtest: NAME ok" or "dmtest: FAILED NAME: ...", then
 * "dmtest: N passed, M failed". */
#include <guest.h>
#include <ata_blk.h>
#include "hvm.h"

static unsigned passed, failed;

#define EXPECT(name, cond, ...) do {                                              \
    if (cond) {                                                                   \
        passed++;                                                                 \
        printf("dmtest: %s ok\n", name);                                         \
    } else {                                                                      \
        failed++;                                                                 \
        printf("dmtest: FAILED %s: ", name);                                     \
        printf(__VA_ARGS__);                                                      \
        printf("\n");                                                             \
    }                                                                             \
} while (0)

static inline uint32_t inl(uint16_t p)
{
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(p));
    return v;
}

static uint32_t pci_read(unsigned dev, unsigned fn, unsigned reg)
{
    hw_outl(0xcf8, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc));
    return inl(0xcfc);
}

/* dom0 attaches the model just after the domain starts. */
static bool wait_for_model(void)
{
    for (unsigned i = 0; i < 5000; i++) {
        if (pci_read(0, 0, 0) == 0x12378086u)
            return true;
        sleep_ns(1000000);
    }
    return false;
}

/* min over n of TSC around one forwarded port read, an empty pair subtracted. */
static uint64_t path_port_read(unsigned n)
{
    uint64_t best = ~0ull, empty = ~0ull;

    hw_outl(0xcf8, 0x80000000u);
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = rdtsc();
        uint64_t t1 = rdtsc();
        if (t1 - t0 < empty)
            empty = t1 - t0;
        t0 = rdtsc();
        (void)inl(0xcfc);
        t1 = rdtsc();
        if (t1 - t0 < best)
            best = t1 - t0;
    }
    return best - empty;
}

static void case_probe(void)
{
    static uint16_t buf[2048] __attribute__((aligned(4096)));
    uint64_t rdi, rcx;

    EXPECT("host-bridge-id", pci_read(0, 0, 0) == 0x12378086u, "%#x", pci_read(0, 0, 0));
    EXPECT("host-bridge-class", (pci_read(0, 0, 8) >> 8) == 0x060000u, "%#x",
           pci_read(0, 0, 8));
    EXPECT("host-bridge-header", (pci_read(0, 0, 0x0c) >> 16 & 0x7f) == 0, "%#x",
           pci_read(0, 0, 0x0c));
    EXPECT("absent-function", pci_read(1, 0, 0) == 0xffffffffu && pci_read(0, 1, 0) ==
           0xffffffffu, "%#x", pci_read(1, 0, 0));
    hw_outl(0xcf8, 0x80000004u);        /* a byte of the data window */
    EXPECT("config-byte", hw_inb(0xcfd) == 0 && hw_inb(0xcfc) == 0x06, "%#x", hw_inb(0xcfc));
    EXPECT("unclaimed-port", inl(0x2f0) == 0xffffffffu && hw_inb(0x2f4) == 0xff, "%#x",
           inl(0x2f0));
    volatile uint32_t *mmio = (volatile uint32_t *)(uintptr_t)0xe0000000u;
    EXPECT("unclaimed-mmio", *mmio == 0xffffffffu, "%#x", *mmio);
    *mmio = 0x1234;                     /* dropped by the model */
    EXPECT("unclaimed-mmio-write", *mmio == 0xffffffffu, "%#x", *mmio);

    /* Emulated instructions with several device accesses: a read-modify-write
     * (two requests, the read replayed) and REP MOVSL from MMIO (one per element). */
    uint8_t cf, zf;
    asm volatile("addl $1, (%2); setc %0; setz %1" : "=r"(cf), "=r"(zf)
                 : "r"(mmio) : "memory", "cc");
    EXPECT("mmio-read-modify-write", cf && zf, "cf %u zf %u (0xffffffff + 1)", cf, zf);
    static uint32_t words[6];
    memset(words, 0, sizeof(words));
    uint64_t rsi_out;
    asm volatile("cld; rep movsl" : "=S"(rsi_out), "=D"(rdi), "=c"(rcx)
                 : "S"(mmio), "D"(words + 1), "c"(4ul) : "memory");
    (void)rsi_out;
    EXPECT("mmio-rep-movs", rcx == 0 && words[0] == 0 && words[1] == 0xffffffffu &&
           words[4] == 0xffffffffu && words[5] == 0, "rcx %lu words %#x %#x %#x",
           (unsigned long)rcx, words[0], words[1], words[5]);

    /* String I/O to an unclaimed port: one request per page, all ones in. */
    memset(buf, 0, sizeof(buf));
    asm volatile("cld; rep insw" : "=D"(rdi), "=c"(rcx)
                 : "D"(buf), "c"(2048ul), "d"(0x2f0) : "memory");
    bool ones = true;
    for (unsigned i = 0; i < 2048; i++)
        ones &= buf[i] == 0xffff;
    EXPECT("rep-insw-unclaimed", ones && rcx == 0 && rdi == (uintptr_t)(buf + 2048),
           "rcx %lu rdi %#lx", (unsigned long)rcx, (unsigned long)rdi);
    asm volatile("std; rep outsw; cld" : "=S"(rdi), "=c"(rcx)
                 : "S"(buf + 2047), "c"(2048ul), "d"(0x2f0) : "memory");
    EXPECT("rep-outsw-down", rcx == 0 && rdi == (uintptr_t)buf - 2, "rcx %lu rsi %#lx",
           (unsigned long)rcx, (unsigned long)rdi);

    uint64_t io = path_port_read(64);
    printf("dmtest: path forwarded-port-read %llu\n", (unsigned long long)io);

    /* The bystander part: the model keeps answering while others crash. */
    uint64_t until = guest_now_ns() + 300000000ull;
    unsigned reads = 0;
    bool good = true;
    while (guest_now_ns() < until) {
        good &= pci_read(0, 0, 0) == 0x12378086u;
        reads++;
        sleep_ns(2000000);
    }
    EXPECT("still-served", good && reads > 10, "%u reads", reads);
}

static void case_hugerep(void)
{
    uint64_t ram_end = (uint64_t)start_info->nr_pages << PAGE_SHIFT;
    uintptr_t dst = (uintptr_t)(ram_end - 2 * PAGE_SIZE);

    printf("dmtest: trying huge-rep at %#lx\n", (unsigned long)dst);
    asm volatile("cld; rep insw" : : "D"(dst), "c"(1ull << 40), "d"(0x2f0) : "memory");
    printf("dmtest: FAILED huge-rep: the domain survived\n");
}

static void case_answer(void)
{
    printf("dmtest: reading until a malformed answer\n");
    for (unsigned i = 0; i < 20000; i++) {
        if (pci_read(0, 0, 0) != 0x12378086u) {
            printf("dmtest: FAILED answer: read %#x\n", pci_read(0, 0, 0));
            return;
        }
        sleep_ns(1000000);
    }
    printf("dmtest: FAILED answer: the domain survived\n");
}

/* A recognisable sector: "HVLAB-ATA s=<sector> " repeated. */
static void fill(uint8_t *p, uint64_t s)
{
    char tag[32];
    int n = snprintf(tag, sizeof(tag), "HVLAB-ATA s=%llu ", (unsigned long long)s);
    for (unsigned i = 0; i < 512; i++)
        p[i] = (uint8_t)tag[i % (unsigned)n];
}

/* The slave 8259's IRR (OCW3 read IRR): bit 6 is IRQ 14. */
static uint8_t pic2_irr(void)
{
    hw_outb(0xa0, 0x0a);
    return hw_inb(0xa0);
}

/* INTRQ reaches the guest's interrupt controllers (DOMCTL_hvm_set_irq of IRQ 14): with
 * nIEN clear and IRQ 14 level-triggered (ELCR), the PIC's IRR follows the line: set
 * when IDENTIFY's data is ready, clear after the status read acknowledges it. */
static void ata_irq_check(void)
{
    static uint16_t id[256];
    uint8_t elcr = hw_inb(0x4d1);
    unsigned polls = 0;

    hw_outb(0x4d1, elcr | 0x40);
    hw_outb(0x3f6, 0x00);               /* nIEN clear */
    hw_outb(0x1f6, 0xa0);
    uint8_t before = pic2_irr() & 0x40;
    hw_outb(0x1f7, 0xec);               /* IDENTIFY */
    while ((hw_inb(0x3f6) & 0x88) != 0x08 && polls++ < 100000)
        ;
    uint8_t raised = pic2_irr() & 0x40;
    asm volatile("cld; rep insw" : : "D"(id), "c"(256ul), "d"(0x1f0) : "memory");
    (void)hw_inb(0x1f7);                /* acknowledges INTRQ */
    uint8_t lowered = pic2_irr() & 0x40;
    hw_outb(0x3f6, 0x02);
    hw_outb(0x4d1, elcr);
    EXPECT("ata-irq14", !before && raised && !lowered, "IRR bit before %#x, at DRQ %#x, "
           "after the status read %#x", before, raised, lowered);
}

static void case_ata(void)
{
    static uint8_t out[2][4096] __attribute__((aligned(4096)));
    static uint8_t in[4096] __attribute__((aligned(4096)));
    static const uint64_t at[2] = { 8, 4000 };   /* sectors of hda: one page each */
    struct blkdev *d;
    int rc = blkdev_probe_all();        /* ata_probe among the drivers */

    d = blkdev_find("hda");
    EXPECT("ata-probe", rc >= 1 && d != NULL && ata_probe() == 1, "rc %d", rc);
    if (!d)
        return;
    printf("dmtest: hda %llu sectors\n", (unsigned long long)d->sectors);
    EXPECT("ata-size", d->sectors == 4096, "%llu", (unsigned long long)d->sectors);
    ata_irq_check();
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned s = 0; s < 8; s++)
            fill(out[k] + s * 512, at[k] + s);
        rc = blkdev_rw(d, true, at[k], 8, out[k]);
        EXPECT("ata-write", rc == 0, "sector %llu: %d", (unsigned long long)at[k], rc);
    }
    for (unsigned k = 0; k < 2; k++) {
        memset(in, 0, sizeof(in));
        rc = blkdev_rw(d, false, at[k], 8, in);
        EXPECT("ata-read-back", rc == 0 && memcmp(in, out[k], 4096) == 0,
               "sector %llu: rc %d, got \"%.16s\"", (unsigned long long)at[k], rc, in);
    }
    rc = blkdev_rw(d, false, 4095, 2, in);
    EXPECT("ata-past-end-refused", rc == -EINVAL, "rc %d", rc);
    /* Sector 0 was written by the host (the test puts a pattern there). */
    rc = blkdev_rw(d, false, 0, 1, in);
    EXPECT("ata-host-sector", rc == 0 && memcmp(in, "HOST-WROTE-HDA", 14) == 0,
           "rc %d \"%.14s\"", rc, in);

    uint64_t best = ~0ull;
    for (unsigned i = 0; i < 16; i++) {
        uint64_t t0 = rdtsc();
        rc = blkdev_rw(d, false, at[0], 8, in);
        uint64_t t1 = rdtsc();
        if (rc == 0 && t1 - t0 < best)
            best = t1 - t0;
    }
    printf("dmtest: path ata-read-4k %llu\n", (unsigned long long)best);
}

/* dom0 takes the model away (dm-detach) while this guest reads the host bridge in a
 * loop: the reads go on and return all ones, as with no model. */
static void case_gone(void)
{
    uint64_t until = guest_now_ns() + 10000000000ull;
    unsigned i = 0;
    uint32_t v;

    /* Back to back: when dom0 detaches the model, a read is waiting for it. */
    while ((v = pci_read(0, 0, 0)) == 0x12378086u && guest_now_ns() < until)
        i++;
    EXPECT("model-gone-reads-ones", v == 0xffffffffu && pci_read(0, 0, 0) == 0xffffffffu &&
           inl(0x2f0) == 0xffffffffu, "after %u reads: %#x", i, v);
}

/* dom0 holds one request 20 ms (dm-inject hold): the read returns the right value,
 * and the vCPU spent that time blocked (runstate), not spinning. */
static void case_hold(void)
{
    uint64_t until = guest_now_ns() + 5000000000ull;

    while (guest_now_ns() < until) {
        struct vcpu_runstate_info a, b;
        vcpu_runstate(0, &a);
        uint64_t t0 = guest_now_ns();
        uint32_t v = pci_read(0, 0, 0);
        uint64_t t1 = guest_now_ns();
        vcpu_runstate(0, &b);
        if (t1 - t0 < 15000000ull)
            continue;
        uint64_t blocked = b.time[RUNSTATE_blocked] - a.time[RUNSTATE_blocked];
        printf("dmtest: held read took %llu us, %llu us of it blocked\n",
               (unsigned long long)((t1 - t0) / 1000), (unsigned long long)(blocked / 1000));
        EXPECT("held-read-blocked", v == 0x12378086u && blocked >= 15000000ull,
               "value %#x, blocked %llu ns", v, (unsigned long long)blocked);
        return;
    }
    EXPECT("held-read-blocked", false, "%s", "no read was held");
}

int main(const struct start_info *si)
{
    char c[16] = "probe";

    (void)si;
    guest_arg("case", c, sizeof(c));
    if (!strcmp(c, "noop")) {           /* the scenario's frame count, afterwards */
        printf("dmtest: noop\n");
        return 0;
    }
    if (!wait_for_model()) {
        printf("dmtest: FAILED no device model answered\n");
        return 1;
    }
    printf("dmtest: device model found\n");
    if (!strcmp(c, "probe"))
        case_probe();
    else if (!strcmp(c, "hugerep"))
        case_hugerep();
    else if (!strcmp(c, "answer"))
        case_answer();
    else if (!strcmp(c, "ata"))
        case_ata();
    else if (!strcmp(c, "gone"))
        case_gone();
    else if (!strcmp(c, "hold"))
        case_hold();
    else
        printf("dmtest: FAILED unknown case %s\n", c);
    printf("dmtest: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
