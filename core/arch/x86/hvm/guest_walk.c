/* Guest page walk: linear -> guest-physical through the guest's own page tables. See
 * <hvlab/x86/emulate.h>.
 *
 * Design: one loop over the levels of whichever format CR0/CR4/EFER select (paging
 * off; 32-bit 2-level with 4 MiB PSE pages; PAE 3-level; long mode 4-level, 5-level
 * with CR4.LA57), reading each entry through read_gpa. Permissions accumulate as the
 * manuals define: writable and user only if every level says so, no-execute if any
 * level says so (with EFER.NXE). Then the checks in hardware's order of precedence for
 * the error code: not present, reserved bit, then access rights (U/S, R/W with CR0.WP,
 * NX, SMEP, SMAP). On success the accessed bits of every entry used and the dirty bit
 * of a written leaf are set through write_gpa.
 *
 * Limitations: entries are updated with plain writes, not a locked compare-exchange,
 * so a vCPU that changes the same entry concurrently can lose its change; a bad PAE
 * PDPTE is reported as a reserved-bit #PF (hardware checks it at CR3 load); protection
 * keys are not modelled.
 *
 * Locking: none; the caller owns the vCPU. */
#include <hvlab/errno.h>
#include <hvlab/x86/emulate.h>

#define PTE_P   (1ULL << 0)
#define PTE_RW  (1ULL << 1)
#define PTE_US  (1ULL << 2)
#define PTE_A   (1ULL << 5)
#define PTE_D   (1ULL << 6)
#define PTE_PS  (1ULL << 7)
#define PTE_NX  (1ULL << 63)

#define CR0_PG_BIT   (1ULL << 31)
#define CR0_WP_BIT   (1ULL << 16)
#define CR4_PSE_BIT  (1ULL << 4)
#define CR4_PAE_BIT  (1ULL << 5)
#define CR4_LA57_BIT (1ULL << 12)
#define CR4_SMEP_BIT (1ULL << 20)
#define CR4_SMAP_BIT (1ULL << 21)
#define EFER_LME_BIT (1ULL << 8)
#define EFER_LMA_BIT (1ULL << 10)
#define EFER_NXE_BIT (1ULL << 11)

enum walk_format { FMT_32, FMT_PAE, FMT_LONG };

struct walk {
    const struct guest_paging *pg;
    enum walk_format fmt;
    unsigned levels;
    uint64_t addr_mask;     /* frame bits of an entry, below MAXPHYADDR */
    uint64_t rsvd;          /* bits reserved in every 8-byte entry */
    bool nxe;
};

static void walk_setup(struct walk *w, const struct guest_paging *pg)
{
    unsigned maxphy = pg->maxphyaddr ? pg->maxphyaddr : 52;

    w->pg = pg;
    w->nxe = false;
    if (!(pg->cr4 & CR4_PAE_BIT)) {
        w->fmt = FMT_32;
        w->levels = 2;
        w->addr_mask = 0xfffff000ULL;
        w->rsvd = 0;
        return;
    }
    w->fmt = pg->efer & (EFER_LMA_BIT | EFER_LME_BIT) ? FMT_LONG : FMT_PAE;
    w->levels = w->fmt == FMT_PAE ? 3 : pg->cr4 & CR4_LA57_BIT ? 5 : 4;
    w->nxe = pg->efer & EFER_NXE_BIT;
    w->addr_mask = ((1ULL << maxphy) - 1) & ~0xfffULL;
    /* Bits maxphy..51, and NX when EFER.NXE is off. */
    w->rsvd = (((1ULL << 52) - 1) & ~((1ULL << maxphy) - 1)) | (w->nxe ? 0 : PTE_NX);
}

/* Where the entry for linear sits in the table at table_gpa, and its size. */
static uint64_t entry_gpa(const struct walk *w, uint64_t table, unsigned level,
                          uint64_t linear, unsigned *size)
{
    if (w->fmt == FMT_32) {
        *size = 4;
        return table + ((linear >> (12 + 10 * (level - 1))) & 0x3ff) * 4;
    }
    *size = 8;
    if (w->fmt == FMT_PAE && level == 3)
        return table + ((linear >> 30) & 3) * 8;
    return table + ((linear >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
}

/* Reserved bits of an entry at level, beyond w->rsvd; leaf is a PS=1 large page. */
static uint64_t entry_rsvd(const struct walk *w, unsigned level, bool leaf)
{
    if (w->fmt == FMT_32)
        return leaf && level == 2 ? 1ULL << 21 : 0;        /* PSE-36: bit 21 */
    if (w->fmt == FMT_PAE && level == 3)                    /* PDPTE: no rights bits */
        return w->rsvd | PTE_NX | 0x1e6ULL;
    if (level >= 4)
        return w->rsvd | PTE_PS;
    if (leaf)                                                /* PAT bit 12 is allowed */
        return w->rsvd | (level == 3 ? 0x3fffe000ULL : 0x1fe000ULL);
    return w->rsvd;
}

static bool large_ok(const struct walk *w, unsigned level)
{
    if (w->fmt == FMT_32)
        return level == 2 && (w->pg->cr4 & CR4_PSE_BIT);
    return level == 2 || (level == 3 && w->fmt == FMT_LONG);
}

static uint64_t leaf_gpa(const struct walk *w, uint64_t e, unsigned level, uint64_t linear)
{
    uint64_t off_mask;

    if (level == 1)
        return (e & w->addr_mask) | (linear & 0xfff);
    if (w->fmt == FMT_32)       /* 4 MiB: PA 39:32 in bits 20:13 */
        return (e & 0xffc00000ULL) | (((e >> 13) & 0xff) << 32) | (linear & 0x3fffff);
    off_mask = (1ULL << (12 + 9 * (level - 1))) - 1;
    return (e & w->addr_mask & ~off_mask) | (linear & off_mask);
}

/* Access rights once the leaf is known: 0 or the #PF error code. */
static uint32_t rights_check(const struct walk *w, unsigned access, bool user_ok,
                             bool write_ok, bool nx)
{
    const struct guest_paging *pg = w->pg;
    bool user = access & PFEC_USER, fetch = access & PFEC_FETCH;
    bool write = access & PFEC_WRITE;

    if (user && !user_ok)
        return PFEC_PRESENT;
    if (write && !write_ok && (user || (pg->cr0 & CR0_WP_BIT)))
        return PFEC_PRESENT;
    if (fetch && nx)
        return PFEC_PRESENT;
    if (!user && user_ok && fetch && (pg->cr4 & CR4_SMEP_BIT))
        return PFEC_PRESENT;
    if (!user && user_ok && !fetch && (pg->cr4 & CR4_SMAP_BIT) && !pg->ac)
        return PFEC_PRESENT;
    return 0;
}

/* The error code bits that describe the access itself. */
static uint32_t access_bits(const struct walk *w, unsigned access)
{
    uint32_t ec = access & (PFEC_WRITE | PFEC_USER);

    /* I/D is reported only when execute protection exists (NX or SMEP). */
    if ((access & PFEC_FETCH) && (w->nxe || (w->pg->cr4 & CR4_SMEP_BIT)))
        ec |= PFEC_FETCH;
    return ec;
}

static int read_entry(const struct guest_walk_ops *ops, void *priv, uint64_t gpa,
                      unsigned size, uint64_t *e)
{
    uint32_t e32 = 0;
    int rc;

    if (size == 8)
        return ops->read_gpa(priv, gpa, e, 8);
    rc = ops->read_gpa(priv, gpa, &e32, 4);
    *e = e32;
    return rc;
}

static int write_entry(const struct guest_walk_ops *ops, void *priv, uint64_t gpa,
                       unsigned size, uint64_t e)
{
    uint32_t e32 = (uint32_t)e;

    if (size == 8)
        return ops->write_gpa(priv, gpa, &e, 8);
    return ops->write_gpa(priv, gpa, &e32, 4);
}

int guest_walk(const struct guest_paging *pg, const struct guest_walk_ops *ops, void *priv,
               uint64_t linear, unsigned access, uint64_t *gpa, uint32_t *pfec)
{
    struct walk w;
    uint64_t table, ents[5], egpa[5];
    unsigned esize = 4, level, used = 0;
    bool user_ok = true, write_ok = true, nx = false;
    uint32_t ec;
    int rc;

    *pfec = 0;
    if (!(pg->cr0 & CR0_PG_BIT)) {
        *gpa = linear & 0xffffffffULL;
        return 0;
    }
    walk_setup(&w, pg);
    if (w.fmt != FMT_LONG)
        linear &= 0xffffffffULL;
    table = w.fmt == FMT_32 ? pg->cr3 & 0xfffff000ULL
            : w.fmt == FMT_PAE ? pg->cr3 & 0xffffffe0ULL : pg->cr3 & w.addr_mask;
    for (level = w.levels;; level--) {
        uint64_t e;
        bool leaf;

        egpa[used] = entry_gpa(&w, table, level, linear, &esize);
        if ((rc = read_entry(ops, priv, egpa[used], esize, &e)))
            return rc;
        ents[used++] = e;
        if (!(e & PTE_P)) {
            *pfec = access_bits(&w, access);
            return -EFAULT;
        }
        leaf = level == 1 || ((e & PTE_PS) && large_ok(&w, level));
        if (e & entry_rsvd(&w, level, leaf && level > 1)) {
            *pfec = access_bits(&w, access) | PFEC_PRESENT | PFEC_RSVD;
            return -EFAULT;
        }
        if (!(w.fmt == FMT_PAE && level == 3)) {
            user_ok &= (e & PTE_US) != 0;
            write_ok &= (e & PTE_RW) != 0;
            nx |= w.nxe && (e & PTE_NX);
        }
        if (leaf)
            break;
        table = e & (w.fmt == FMT_32 ? 0xfffff000ULL : w.addr_mask);
    }
    if ((ec = rights_check(&w, access, user_ok, write_ok, nx))) {
        *pfec = access_bits(&w, access) | ec;
        return -EFAULT;
    }
    /* Accessed on every entry used (PAE PDPTEs have no A bit), dirty on a written leaf. */
    for (unsigned i = 0; i < used; i++) {
        uint64_t e = ents[i] | PTE_A;
        if (w.fmt == FMT_PAE && i == 0)
            continue;
        if (i == used - 1 && (access & PFEC_WRITE))
            e |= PTE_D;
        if (e != ents[i] && (rc = write_entry(ops, priv, egpa[i], esize, e)))
            return rc;
    }
    *gpa = leaf_gpa(&w, ents[used - 1], level, linear);
    return 0;
}
