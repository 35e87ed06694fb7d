/* The fake machine of the PV MMU host tests: see pv_fixture.h. */

#include <hvlab/errno.h>

#include "pv_fixture.h"

paddr_t base;
struct topology t;
struct domain doms[3];
struct vcpu vcpu0;
struct vcpu *vcpu_ptrs[1] = { &vcpu0 };
char why[200];

static bool map_arena(void)
{
    static const paddr_t tries[] = { M(8), M(16), M(32), M(64), M(128), M(256) };

    base = fake_arena_map(ARENA_SIZE, tries, ARRAY_SIZE(tries));
    return base != 0;
}

static void domain_init(struct domain *d, domid_t id, bool privileged)
{
    fake_domain_init(d, id, privileged, 128);
}

/* A fresh machine: allocator over the arena, dom0 (privileged), dom1, dom2. */
bool setup(void)
{
    if (!map_arena()) {
        CHECK(!"arena");
        return false;
    }
    memset(&t, 0, sizeof(t));
    t.nr_nodes = 1;
    t.nr_mem_ranges = 1;
    t.mem[0].start = base;
    t.mem[0].end = base + ARENA_SIZE;
    t.distance[0][0] = 10;
    frame_table_init(base + ARENA_SIZE, fake_early_alloc);
    page_alloc_init(&t);
    page_alloc_add_range(base, base + ARENA_SIZE);
    for (unsigned i = 0; i < 512; i++)     /* present, not user: never a guest value */
        hv_l4_template[i] = i < L4_GUEST_SLOTS ? 0 : ((0x100ULL + i) << PAGE_SHIFT) | PTE_P | PTE_W;
    domain_init(&doms[0], 0, true);
    domain_init(&doms[1], 1, false);
    domain_init(&doms[2], 2, false);
    memset(&vcpu0, 0, sizeof(vcpu0));
    return true;
}

struct page_info *frame(struct domain *d)
{
    struct page_info *pg = domain_alloc_frame(d, NUMA_NO_NODE, MEMF_ZERO);

    if (!pg) {
        printf("  out of frames\n");
        abort();
    }
    return pg;
}


bool invariants(struct domain *d)
{
    bool ok = pv_check_invariants(d, why, sizeof(why));

    if (!ok)
        printf("  invariants of dom%u: %s\n", d->domain_id, why);
    return ok;
}

/* Every frame of the arena without references or type. */
bool all_idle(void)
{
    for (mfn_t m = base >> PAGE_SHIFT; m < max_mfn; m++) {
        const struct page_info *pg = mfn_to_page(m);

        if (page_refcount(pg) || pg->type_info) {
            printf("  mfn %#lx: refs %u type_info %#x\n", (unsigned long)m, page_refcount(pg),
                   pg->type_info);
            return false;
        }
    }
    return true;
}
