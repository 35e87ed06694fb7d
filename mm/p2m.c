/* Nested page tables for HVM domains; see <hvlab/p2m.h>.
 *
 * Design: a plain radix walk. Level 4 (PML4) to level 2 index bits 47:21 of the guest
 * physical address; a level-2 entry is either a 2 MiB leaf (PS) or points to a level-1
 * table of 4 KiB leaves. Intermediate entries always carry P|W|U, so permissions are
 * decided by the leaf alone. Tables come from the page allocator, zeroed, and are
 * counted in nr_tables so that teardown can be checked against it.
 *
 * Limitations: no 1 GiB leaves; an emptied table is kept until teardown (freeing it
 * would need a flush of every ASID that may cache the walk). */
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/p2m.h>

#define NPT_P    (1ULL << 0)
#define NPT_W    (1ULL << 1)
#define NPT_U    (1ULL << 2)
#define NPT_PS   (1ULL << 7)
#define NPT_ADDR 0x000ffffffffff000ULL
#define NPT_DIR  (NPT_P | NPT_W | NPT_U)

static uint64_t *table_va(uint64_t e)
{
    return __va(e & NPT_ADDR);
}

static unsigned idx(uint64_t gfn, unsigned level)
{
    return (unsigned)(gfn >> (9 * (level - 1))) & 511;
}

static uint64_t *table_alloc(struct p2m *p, paddr_t *pa)
{
    struct page_info *pg = alloc_frames(0, p->node, MEMF_ZERO);
    if (!pg)
        return NULL;
    p->nr_tables++;
    *pa = page_to_paddr(pg);
    return __va(*pa);
}

static void table_free(struct p2m *p, uint64_t e)
{
    free_frames(mfn_to_page((e & NPT_ADDR) >> PAGE_SHIFT), 0);
    p->nr_tables--;
}

int p2m_init(struct p2m *p, unsigned node)
{
    p->node = node;
    p->nr_tables = 0;
    p->root = 0;
    return table_alloc(p, &p->root) ? 0 : -ENOMEM;
}

static uint64_t leaf(mfn_t mfn, unsigned order, unsigned flags)
{
    return ((uint64_t)mfn << PAGE_SHIFT) | NPT_P | NPT_U |
           ((flags & P2M_WRITE) ? NPT_W : 0) | (order ? NPT_PS : 0);
}

/* The level-1 table that a 2 MiB leaf becomes: the same frames, 4 KiB at a time. */
static int split(struct p2m *p, uint64_t *l2e)
{
    paddr_t pa;
    uint64_t *t = table_alloc(p, &pa);
    if (!t)
        return -ENOMEM;
    mfn_t base = (*l2e & NPT_ADDR) >> PAGE_SHIFT;
    unsigned flags = (*l2e & NPT_W) ? P2M_WRITE : 0;
    for (unsigned i = 0; i < 512; i++)
        t[i] = leaf(base + i, 0, flags);
    *l2e = pa | NPT_DIR;
    return 0;
}

/* The level-2 entry for gfn, making the tables above it when `make` (NULL: none, or no
 * memory: *err says which). */
static uint64_t *l2_entry(struct p2m *p, uint64_t gfn, bool make, int *err)
{
    uint64_t *t = __va(p->root);
    *err = 0;
    for (unsigned level = 4; level > 2; level--) {
        uint64_t *e = &t[idx(gfn, level)];
        if (!(*e & NPT_P)) {
            paddr_t pa;
            if (!make || !table_alloc(p, &pa)) {
                *err = make ? -ENOMEM : -ENOENT;
                return NULL;
            }
            *e = pa | NPT_DIR;
        }
        t = table_va(*e);
    }
    return &t[idx(gfn, 2)];
}

static bool in_window(uint64_t gfn, unsigned order)
{
    uint64_t end = gfn + (1ULL << order);
    return (gfn <= P2M_LAPIC_GFN && P2M_LAPIC_GFN < end) ||
           (gfn <= P2M_IOAPIC_GFN && P2M_IOAPIC_GFN < end);
}

static bool args_ok(uint64_t gfn, unsigned order)
{
    return (order == P2M_ORDER_4K || order == P2M_ORDER_2M) &&
           !(gfn & ((1ULL << order) - 1)) && gfn <= P2M_MAX_GFN;
}

int p2m_map(struct p2m *p, uint64_t gfn, mfn_t mfn, unsigned order, unsigned flags)
{
    int err;

    if (!args_ok(gfn, order) || (mfn & ((1ULL << order) - 1)) || in_window(gfn, order))
        return -EINVAL;
    uint64_t *l2e = l2_entry(p, gfn, true, &err);
    if (!l2e)
        return err;
    if (order == P2M_ORDER_2M) {
        uint64_t old = *l2e;
        *l2e = leaf(mfn, order, flags);
        if ((old & NPT_P) && !(old & NPT_PS))
            table_free(p, old);
        return 0;
    }
    if (!(*l2e & NPT_P)) {
        paddr_t pa;
        if (!table_alloc(p, &pa))
            return -ENOMEM;
        *l2e = pa | NPT_DIR;
    } else if ((*l2e & NPT_PS) && (err = split(p, l2e)) < 0) {
        return err;
    }
    table_va(*l2e)[idx(gfn, 1)] = leaf(mfn, 0, flags);
    return 0;
}

int p2m_unmap(struct p2m *p, uint64_t gfn, unsigned order)
{
    int err;

    if (!args_ok(gfn, order))
        return -EINVAL;
    uint64_t *l2e = l2_entry(p, gfn, false, &err);
    if (!l2e || !(*l2e & NPT_P))
        return 0;
    if (order == P2M_ORDER_2M) {
        uint64_t old = *l2e;
        *l2e = 0;
        if (!(old & NPT_PS))
            table_free(p, old);
        return 0;
    }
    if ((*l2e & NPT_PS) && (err = split(p, l2e)) < 0)
        return err;
    table_va(*l2e)[idx(gfn, 1)] = 0;
    return 0;
}

int p2m_lookup(const struct p2m *p, uint64_t gfn, mfn_t *mfn, unsigned *flags,
               unsigned *order)
{
    int err;

    if (gfn > P2M_MAX_GFN || !p->root)
        return -ENOENT;
    uint64_t *l2e = l2_entry((struct p2m *)p, gfn, false, &err);   /* never writes */
    if (!l2e || !(*l2e & NPT_P))
        return -ENOENT;
    uint64_t e = *l2e;
    unsigned o = P2M_ORDER_2M;
    if (!(e & NPT_PS)) {
        e = table_va(e)[idx(gfn, 1)];
        o = P2M_ORDER_4K;
        if (!(e & NPT_P))
            return -ENOENT;
    }
    *mfn = ((e & NPT_ADDR) >> PAGE_SHIFT) + (gfn & ((1ULL << o) - 1));
    if (flags)
        *flags = (e & NPT_W) ? P2M_WRITE : 0;
    if (order)
        *order = o;
    return 0;
}

/* e points to a table of `level`; 2 MiB leaves in a level-2 table are not tables. */
static void free_level(struct p2m *p, uint64_t e, unsigned level)
{
    uint64_t *t = table_va(e);
    for (unsigned i = 0; level > 1 && i < 512; i++)
        if ((t[i] & NPT_P) && !(level == 2 && (t[i] & NPT_PS)))
            free_level(p, t[i], level - 1);
    table_free(p, e);
}

void p2m_teardown(struct p2m *p)
{
    if (!p->root)
        return;
    free_level(p, p->root, 4);
    p->root = 0;
}
