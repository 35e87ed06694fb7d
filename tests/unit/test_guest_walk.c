/* Guest page walks (core/arch/x86/hvm/guest_walk.c) over page tables built in a fake
 * guest-physical memory: every format (paging off, 32-bit with PSE-36, PAE, 4-level,
 * 5-level), every page size, and every #PF error code the manuals define (not present,
 * reserved bit, U/S, R/W with and without CR0.WP, NX, SMEP, SMAP), with the accessed
 * and dirty bits hardware sets. */
#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/x86/emulate.h>

#define P   0x1ULL
#define RW  0x2ULL
#define US  0x4ULL
#define A   0x20ULL
#define D   0x40ULL
#define PS  0x80ULL
#define NX  (1ULL << 63)

#define CR0_PG (1ULL << 31)
#define CR0_WP (1ULL << 16)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

#define W PFEC_WRITE
#define U PFEC_USER
#define X PFEC_FETCH

static uint8_t mem[0x40000];        /* 256 KiB of guest-physical memory */
static unsigned nwrites;

static int rd(void *priv, uint64_t gpa, void *buf, unsigned size)
{
    if (gpa + size > sizeof(mem))
        return -EIO;
    memcpy(buf, &mem[gpa], size);
    return 0;
}

static int wr(void *priv, uint64_t gpa, const void *buf, unsigned size)
{
    if (gpa + size > sizeof(mem))
        return -EIO;
    memcpy(&mem[gpa], buf, size);
    nwrites++;
    return 0;
}

static const struct guest_walk_ops ops = { rd, wr };

/* Set and get entry idx of the table at gpa table (8- or 4-byte entries). */
static void e64(uint64_t table, unsigned idx, uint64_t v)
{
    memcpy(&mem[table + idx * 8], &v, 8);
}

static void e32(uint64_t table, unsigned idx, uint32_t v)
{
    memcpy(&mem[table + idx * 4], &v, 4);
}

static uint64_t g64(uint64_t table, unsigned idx)
{
    uint64_t v;
    memcpy(&v, &mem[table + idx * 8], 8);
    return v;
}

static uint32_t g32(uint64_t table, unsigned idx)
{
    uint32_t v;
    memcpy(&v, &mem[table + idx * 4], 4);
    return v;
}

/* 4-level: PML4 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000; 5-level adds PML5 0xa000. */
static void build_long(void)
{
    memset(mem, 0, sizeof(mem));
    e64(0xa000, 0, 0x1000 | P | RW | US);
    e64(0x1000, 0, 0x2000 | P | RW | US);
    e64(0x1000, 1, 0x2000 | P | RW | US | PS);          /* PS in a PML4E: reserved */
    e64(0x1000, 2, 0x100000 | P | RW | US);             /* outside memory: read fails */
    e64(0x2000, 0, 0x3000 | P | RW | US);
    e64(0x2000, 1, 0x40000000 | P | RW | US | PS);      /* 1 GiB page */
    e64(0x2000, 2, 0xb000 | P | RW);                    /* supervisor above a user PT */
    e64(0x2000, 3, 0xb000 | P | US);                    /* read-only above a rw PT */
    e64(0xb000, 0, 0x4000 | P | RW | US);
    e64(0x3000, 0, 0x4000 | P | RW | US);
    e64(0x3000, 1, 0x600000 | P | RW | PS);             /* 2 MiB, supervisor */
    e64(0x3000, 2, 0x800000 | P | RW | PS | (1 << 13)); /* 2 MiB, reserved bit 13 */
    e64(0x4000, 1, 0x10000 | P | RW | US);              /* user rw */
    e64(0x4000, 2, 0x11000 | P | US);                   /* user ro */
    e64(0x4000, 3, 0x12000 | P | RW);                   /* supervisor rw */
    e64(0x4000, 4, 0x13000 | P);                        /* supervisor ro */
    e64(0x4000, 5, 0x14000 | P | RW | US | NX);         /* user no-exec */
    e64(0x4000, 7, 0x15000 | P | RW | US | (1ULL << 51)); /* above MAXPHYADDR 48 */
    e64(0x4000, 8, 0x16000 | P | RW | NX);              /* supervisor no-exec */
}

/* PAE: PDPT at 0x5020 (32-byte aligned), PD 0x6000, PT 0x7000. */
static void build_pae(void)
{
    memset(mem, 0, sizeof(mem));
    e64(0x5020, 0, 0x6000 | P);
    e64(0x5020, 2, 0x6000 | P | RW);                    /* RW is reserved in a PDPTE */
    e64(0x6000, 0, 0x7000 | P | RW | US);
    e64(0x6000, 1, 0x400000 | P | RW | US | PS);        /* 2 MiB */
    e64(0x7000, 1, 0x20000 | P | RW | US);
    e64(0x7000, 2, 0x21000 | P | RW | NX);
}

/* 32-bit: PD 0x8000, PT 0x9000. */
static void build_32(void)
{
    memset(mem, 0, sizeof(mem));
    e32(0x8000, 0, 0x9000 | P | RW | US);
    e32(0x8000, 1, 0x00c00000 | P | RW | US | PS | (0x1 << 13)); /* 4 MiB at 0x100c00000 */
    e32(0x8000, 2, 0x01000000 | P | RW | US | PS | (1 << 21));   /* reserved bit 21 */
    e32(0x9000, 1, 0x30000 | P | RW | US);
    e32(0x9000, 2, 0x31000 | P | US);
}

struct wcase {
    const char *name;
    void (*build)(void);
    uint64_t cr0, cr3, cr4, efer;
    bool ac;
    uint64_t linear;
    unsigned access;
    int rc;
    uint64_t gpa;       /* rc 0 */
    uint32_t pfec;      /* rc -EFAULT */
};

#define LONG  build_long, CR0_PG | CR0_WP, 0x1000, CR4_PAE, EFER_LMA | EFER_NXE
#define LONG_NOWP build_long, CR0_PG, 0x1000, CR4_PAE, EFER_LMA | EFER_NXE
#define LONG_NONX build_long, CR0_PG | CR0_WP, 0x1000, CR4_PAE, EFER_LMA
#define LONG_SMEP build_long, CR0_PG | CR0_WP, 0x1000, CR4_PAE | CR4_SMEP | CR4_SMAP, \
    EFER_LMA | EFER_NXE
#define LA57  build_long, CR0_PG | CR0_WP, 0xa000, CR4_PAE | CR4_LA57, EFER_LMA | EFER_NXE
#define PAE   build_pae, CR0_PG | CR0_WP, 0x5020, CR4_PAE, EFER_NXE
#define PG32  build_32, CR0_PG | CR0_WP, 0x8000, CR4_PSE, 0
#define PG32_NOPSE build_32, CR0_PG | CR0_WP, 0x8000, 0, 0
#define OFF   build_32, 0, 0, 0, 0
#define OK(g)   .rc = 0, .gpa = g
#define PF(e)   .rc = -EFAULT, .pfec = e

static const struct wcase cases[] = {
    { "long: user read", LONG, false, 0x1123, 0, OK(0x10123) },
    { "long: user write", LONG, false, 0x1123, W | U, OK(0x10123) },
    { "long: user write to read-only", LONG, false, 0x2000, W | U, PF(7) },
    { "long: supervisor write to read-only, WP", LONG, false, 0x2000, W, PF(3) },
    { "long: supervisor write to read-only, no WP", LONG_NOWP, false, 0x2010, W, OK(0x11010) },
    { "long: user write to read-only, no WP", LONG_NOWP, false, 0x2010, W | U, PF(7) },
    { "long: user read of supervisor page", LONG, false, 0x3000, U, PF(5) },
    { "long: supervisor read of supervisor page", LONG, false, 0x3004, 0, OK(0x12004) },
    { "long: supervisor write to supervisor ro", LONG, false, 0x4000, W, PF(3) },
    { "long: user fetch from NX", LONG, false, 0x5000, X | U, PF(0x15) },
    { "long: supervisor fetch from NX", LONG, false, 0x8000, X, PF(0x11) },
    { "long: user read of NX page", LONG, false, 0x5008, U, OK(0x14008) },
    { "long: user fetch, executable", LONG, false, 0x1000, X | U, OK(0x10000) },
    { "long: not-present PTE, read", LONG, false, 0x6000, 0, PF(0) },
    { "long: not-present PTE, user write", LONG, false, 0x6000, W | U, PF(6) },
    { "long: not-present PTE, fetch with NXE", LONG, false, 0x6000, X, PF(0x10) },
    { "long: not-present PTE, fetch without NXE", LONG_NONX, false, 0x6000, X, PF(0) },
    { "long: not-present PDE", LONG, false, 0x600000, 0, PF(0) },
    { "long: not-present PML4E", LONG, false, 0x0000018000000000ULL, U, PF(4) },
    { "long: reserved bit above MAXPHYADDR", LONG, false, 0x7000, 0, PF(9) },
    { "long: reserved bit, user write", LONG, false, 0x7000, W | U, PF(0xf) },
    { "long: NX bit with NXE off is reserved", LONG_NONX, false, 0x5000, U, PF(0xd) },
    { "long: supervisor upper level wins", LONG, false, 0x80001000, U, PF(5) },
    { "long: supervisor upper level, supervisor", LONG, false, 0x80001000, W, OK(0x10000) },
    { "long: read-only upper level wins", LONG, false, 0xc0001000, W | U, PF(7) },
    { "long: read-only upper level, user read", LONG, false, 0xc0001000, U, OK(0x10000) },
    { "long: 2 MiB page", LONG, false, 0x212345, 0, OK(0x612345) },
    { "long: 2 MiB supervisor page, user", LONG, false, 0x212345, U, PF(5) },
    { "long: 2 MiB page, reserved bit 13", LONG, false, 0x400000, 0, PF(9) },
    { "long: 1 GiB page", LONG, false, 0x7654321f, W | U, OK(0x7654321f) },
    { "long: PS in a PML4E is reserved", LONG, false, 0x0000008000001000ULL, 0, PF(9) },
    { "long: a table outside memory", LONG, false, 0x0000010000000000ULL, 0, .rc = -EIO },
    { "long: upper half ignored by the walk", LONG, false, 0xffff000000001123ULL, U, OK(0x10123) },
    { "smep: supervisor fetch from user page", LONG_SMEP, false, 0x1000, X, PF(0x11) },
    { "smep: supervisor fetch from supervisor page", LONG_SMEP, false, 0x3000, X, OK(0x12000) },
    { "smap: supervisor read of user page", LONG_SMEP, false, 0x1000, 0, PF(1) },
    { "smap: supervisor write of user page", LONG_SMEP, false, 0x1000, W, PF(3) },
    { "smap: lifted by RFLAGS.AC", LONG_SMEP, true, 0x1000, W, OK(0x10000) },
    { "smap: user read of user page", LONG_SMEP, false, 0x1000, U, OK(0x10000) },
    { "la57: 5-level", LA57, false, 0x1abc, U, OK(0x10abc) },
    { "la57: not-present PML5E", LA57, false, 0x0100000000000000ULL, 0, PF(0) },
    { "pae: 4 KiB", PAE, false, 0x1234, U, OK(0x20234) },
    { "pae: 2 MiB", PAE, false, 0x201234, W | U, OK(0x401234) },
    { "pae: not-present PDPTE", PAE, false, 0x40000000, U, PF(4) },
    { "pae: reserved bit in a PDPTE", PAE, false, 0x80000000, 0, PF(9) },
    { "pae: PDPTE grants no rights (user write ok)", PAE, false, 0x1000, W | U, OK(0x20000) },
    { "pae: fetch from NX", PAE, false, 0x2000, X, PF(0x11) },
    { "pae: upper 32 bits ignored", PAE, false, 0x100001234ULL, 0, OK(0x20234) },
    { "32: 4 KiB", PG32, false, 0x1234, U, OK(0x30234) },
    { "32: user write to read-only", PG32, false, 0x2000, W | U, PF(7) },
    { "32: supervisor write to read-only, WP", PG32, false, 0x2000, W, PF(3) },
    { "32: fetch is always allowed", PG32, false, 0x1000, X | U, OK(0x30000) },
    { "32: not present, fetch has no I/D bit", PG32, false, 0x3000, X, PF(0) },
    { "32: 4 MiB PSE-36 page", PG32, false, 0x4abcde, U, OK(0x100cabcdeULL) },
    { "32: 4 MiB page, reserved bit 21", PG32, false, 0x800000, 0, PF(9) },
    { "32: PS ignored without CR4.PSE", PG32_NOPSE, false, 0x400000, 0, .rc = -EIO },
    { "32: not-present PDE", PG32, false, 0xc00000, W, PF(2) },
    { "paging off: identity", OFF, false, 0x12345678, W | U, OK(0x12345678) },
    { "paging off: 32 bits", OFF, false, 0x100000010ULL, 0, OK(0x10) },
};

static void check_case(const struct wcase *c)
{
    struct guest_paging pg = { c->cr0, c->cr3, c->cr4, c->efer, 48, c->ac };
    uint64_t gpa = 0;
    uint32_t pfec = 0xdead;
    int before = unit_failed_checks, rc;

    c->build();
    rc = guest_walk(&pg, &ops, NULL, c->linear, c->access, &gpa, &pfec);
    CHECK_EQ(rc, c->rc);
    if (rc == 0 && c->rc == 0)
        CHECK_EQ(gpa, c->gpa);
    if (rc == -EFAULT && c->rc == -EFAULT)
        CHECK_EQ(pfec, c->pfec);
    if (unit_failed_checks != before)
        printf("    in case \"%s\" (gpa %#llx pfec %#x)\n", c->name, (unsigned long long)gpa,
               pfec);
}

static void test_table(void)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cases); i++)
        check_case(&cases[i]);
    printf("  %zu walk cases\n", ARRAY_SIZE(cases));
}

/* Accessed bits on every level, dirty on the written leaf only; nothing on a fault;
 * nothing rewritten when already set. */
static void test_accessed_dirty(void)
{
    struct guest_paging pg = { CR0_PG | CR0_WP, 0x1000, CR4_PAE, EFER_LMA | EFER_NXE, 48, false };
    uint64_t gpa;
    uint32_t pfec;

    build_long();
    nwrites = 0;
    CHECK_EQ(guest_walk(&pg, &ops, NULL, 0x1000, U, &gpa, &pfec), 0);
    CHECK_EQ(g64(0x1000, 0) & (A | D), A);
    CHECK_EQ(g64(0x2000, 0) & (A | D), A);
    CHECK_EQ(g64(0x3000, 0) & (A | D), A);
    CHECK_EQ(g64(0x4000, 1) & (A | D), A);
    CHECK_EQ(nwrites, 4);
    CHECK_EQ(guest_walk(&pg, &ops, NULL, 0x1000, W | U, &gpa, &pfec), 0);
    CHECK_EQ(g64(0x4000, 1) & (A | D), A | D);
    CHECK_EQ(g64(0x3000, 0) & D, 0);
    CHECK_EQ(nwrites, 5);                               /* only the leaf's D */
    CHECK_EQ(guest_walk(&pg, &ops, NULL, 0x1000, W | U, &gpa, &pfec), 0);
    CHECK_EQ(nwrites, 5);
    CHECK_EQ(guest_walk(&pg, &ops, NULL, 0x2000, W | U, &gpa, &pfec), -EFAULT);
    CHECK_EQ(g64(0x4000, 2) & (A | D), 0);
    CHECK_EQ(guest_walk(&pg, &ops, NULL, 0x212000, W, &gpa, &pfec), 0);
    CHECK_EQ(g64(0x3000, 1) & (A | D), A | D);          /* a 2 MiB leaf */

    /* PAE: the PDPTE has no A bit; 32-bit: 4-byte entries */
    struct guest_paging pae = { CR0_PG | CR0_WP, 0x5020, CR4_PAE, EFER_NXE, 48, false };
    build_pae();
    CHECK_EQ(guest_walk(&pae, &ops, NULL, 0x1000, W, &gpa, &pfec), 0);
    CHECK_EQ(g64(0x5020, 0), 0x6000 | P);
    CHECK_EQ(g64(0x6000, 0) & (A | D), A);
    CHECK_EQ(g64(0x7000, 1) & (A | D), A | D);
    struct guest_paging p32 = { CR0_PG | CR0_WP, 0x8000, CR4_PSE, 0, 48, false };
    build_32();
    CHECK_EQ(guest_walk(&p32, &ops, NULL, 0x1000, W, &gpa, &pfec), 0);
    CHECK_EQ(g32(0x8000, 0), 0x9000 | P | RW | US | A);
    CHECK_EQ(g32(0x9000, 1), 0x30000 | P | RW | US | A | D);
    CHECK_EQ(g32(0x9000, 0), 0);
}

static const struct unit_case tests[] = {
    { "walk table", test_table },
    { "accessed and dirty bits", test_accessed_dirty },
};
UNIT_MAIN(tests)
