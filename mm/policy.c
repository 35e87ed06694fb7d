/* The memory-policy core: finds policies, sets one on a domain, asks it where each
 * frame goes, traces every decision. The policies themselves are mm/policy_*.c.
 *
 * Design. Policies register in the mm_policies section (REGISTER_MM_POLICY); a
 * domain without one uses "local", which needs no set-up. mm_policy_set checks what
 * the core can check for every policy (the name, nodes that exist, a node set only
 * for policies that read one, the granularity), then lets the policy's init check the
 * rest (free memory on its set) and set its state. mm_policy_choose asks place() and,
 * for a caller that demands one node (MEMF_EXACT_NODE), keeps that node only if the
 * policy offered it: a bind set is never left even on request. A request pinned by
 * the domain's vNUMA layout (r->pinned) gets its vnode's node without asking the
 * policy: the layout overrides the policy for its range (docs/vnuma.md). A policy
 * without its required ops (init, place) is never chosen: setting it is refused with
 * a message.
 *
 * Locking. mm_policy_set runs under domctl_lock on a domain that is not built;
 * choose and done run under d->page_lock, which guards the policy's private state.
 * The registry is read-only after link time.
 *
 * Limitations. Order-0 frames: a 2 MiB interleave stripe is 512 separate frames. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/trace.h>

/* The registrations: the host's linker makes these bounds for a section named like a
 * C identifier; the hypervisor's script (hvlab.ld) makes the same. */
extern const struct mm_policy_ops *const __start_mm_policies[], *const __stop_mm_policies[];

#define MM_DEFAULT_POLICY "local"

static const struct mm_policy_ops *lookup(const char *name)
{
    for (const struct mm_policy_ops *const *p = __start_mm_policies; p < __stop_mm_policies; p++)
        if (strcmp((*p)->name, name) == 0)
            return *p;
    return NULL;
}

/* A policy without its required ops is never chosen. */
static bool complete(const struct mm_policy_ops *o)
{
    return o->init && o->place;
}

const struct mm_policy_ops *mm_policy_find(const char *name)
{
    const struct mm_policy_ops *o = lookup(name);

    return o && complete(o) ? o : NULL;
}

const struct mm_policy_ops *mm_policy_of(const struct domain *d)
{
    static const struct mm_policy_ops *dflt;

    if (d->mm_policy)
        return d->mm_policy;
    if (!dflt)
        dflt = mm_policy_find(MM_DEFAULT_POLICY);
    return dflt;
}

void *mm_policy_priv(struct domain *d)
{
    return d->mm_policy_priv;
}

void mm_policy_names(char *buf, size_t len)
{
    size_t at = 0;

    if (len)
        buf[0] = '\0';
    for (const struct mm_policy_ops *const *p = __start_mm_policies; p < __stop_mm_policies; p++)
        if (complete(*p))
            at += (size_t)fmt_snprintf(buf + MIN(at, len), len - MIN(at, len), "%s%s",
                                       at ? ", " : "", (*p)->name);
}

/* ---- machine services ---- */

unsigned mm_nr_nodes(void)
{
    const struct topology *t = page_alloc_topology();

    return t && t->nr_nodes ? t->nr_nodes : 1;
}

uint32_t mm_all_nodes(void)
{
    return (uint32_t)((1ULL << mm_nr_nodes()) - 1);
}

unsigned long mm_node_free(unsigned node)
{
    return node < mm_nr_nodes() ? frames_free(node) : 0;
}

unsigned mm_node_distance(unsigned a, unsigned b)
{
    if (a == b)
        return 10;
    const struct topology *t = page_alloc_topology();

    return t && t->distance[a][b] ? t->distance[a][b] : 20;
}

void mm_nodes_by_distance(unsigned from, uint32_t set, struct mm_choice *c)
{
    unsigned first = 0;
    bool have_from = from < mm_nr_nodes();

    c->nr = 0;
    if (have_from && (set & (1u << from))) {
        c->node[c->nr++] = (uint8_t)from;
        first = 1;
    }
    /* Insertion by distance from `from`; scanning in index order keeps ties so. */
    for (unsigned m = 0; m < mm_nr_nodes(); m++) {
        unsigned pos = c->nr;

        if (m == from || !(set & (1u << m)))
            continue;
        while (have_from && pos > first &&
               mm_node_distance(from, c->node[pos - 1]) > mm_node_distance(from, m)) {
            c->node[pos] = c->node[pos - 1];
            pos--;
        }
        c->node[pos] = (uint8_t)m;
        c->nr++;
    }
}

/* ---- setting a policy ---- */

int mm_policy_set(struct domain *d, struct domctl_memory_policy *io, char *why, size_t len)
{
    const struct mm_policy_ops *o;
    struct mm_policy_args a;
    uint32_t all = mm_all_nodes();
    int rc;

    io->name[MM_POLICY_NAME_LEN - 1] = '\0';
    why[0] = '\0';
    if ((o = lookup(io->name)) && !complete(o)) {
        fmt_snprintf(why, len, "memory_policy '%s': refused, the policy has no %s op",
                     o->name, o->init ? "place" : "init");
        return -EINVAL;
    }
    if (!o) {
        char names[128];

        mm_policy_names(names, sizeof(names));
        fmt_snprintf(why, len, "memory_policy '%s': no such policy (there are: %s)", io->name,
                 names);
        return -ENOENT;
    }
    if (io->nodes & ~all) {
        io->bad_node = (uint32_t)__builtin_ctz(io->nodes & ~all);
        fmt_snprintf(why, len, "nodes: node %u does not exist (the machine has nodes 0-%u)",
                 io->bad_node, mm_nr_nodes() - 1);
        return -EINVAL;
    }
    if (io->nodes && !o->takes_nodes) {
        fmt_snprintf(why, len, "nodes: policy '%s' takes no node set", o->name);
        return -EINVAL;
    }
    if (io->gran_order != MM_GRAN_4K && io->gran_order != MM_GRAN_2M) {
        fmt_snprintf(why, len, "memory_policy: granularity order %u, expected %u (4K) or %u (2M)",
                 io->gran_order, MM_GRAN_4K, MM_GRAN_2M);
        return -EINVAL;
    }
    a.nodes = io->nodes;
    a.gran_order = io->gran_order;
    a.need_pages = io->need_pages ? io->need_pages : d->max_pages;
    /* The policy's state starts zeroed; on refusal d keeps its old policy and state. */
    unsigned char saved[MM_POLICY_PRIV_BYTES];
    unsigned saved_home = d->home_node;
    memcpy(saved, d->mm_policy_priv, sizeof(saved));
    memset(d->mm_policy_priv, 0, sizeof(d->mm_policy_priv));
    if ((rc = o->init(d, &a, why, len)) < 0) {
        memcpy(d->mm_policy_priv, saved, sizeof(saved));
        d->home_node = saved_home;
        if (rc == -ENOMEM) {
            uint32_t set = io->nodes ? io->nodes : all;
            io->free_pages = 0;
            for (unsigned n = 0; n < mm_nr_nodes(); n++)
                if (set & (1u << n))
                    io->free_pages += mm_node_free(n);
        }
        return rc;
    }
    d->mm_policy = o;
    io->home_node = d->home_node;
    return 0;
}

/* ---- per frame ---- */

void mm_policy_choose(struct domain *d, const struct mm_request *r, struct mm_choice *c)
{
    c->nr = 0;
    if (r->pinned && r->asked < MAX_NUMNODES) {
        /* A vnode's node overrides the policy for the vnode's range: the guest was told
         * (SRAT, get_vnumainfo) that these gfns are that node's (docs/vnuma.md). */
        c->nr = 1;
        c->node[0] = (uint8_t)r->asked;
        return;
    }
    mm_policy_of(d)->place(d, r, c);
    ASSERT(c->nr <= MAX_NUMNODES);
    if (r->exact && r->asked != NUMA_NO_NODE) {
        bool offered = false;

        for (unsigned i = 0; i < c->nr; i++)
            offered |= c->node[i] == r->asked;
        c->nr = offered ? 1 : 0;
        c->node[0] = (uint8_t)r->asked;
    }
}

void mm_policy_done(struct domain *d, const struct mm_request *r,
                    const struct mm_choice *c, unsigned got)
{
    const struct mm_policy_ops *o = mm_policy_of(d);
    uint32_t asked = c->nr ? c->node[0] : 0xffffffffu;

    if (got != NUMA_NO_NODE && o->placed)
        o->placed(d, r, got);
    TRACE(TRC_MEM_POLICY, d->domain_id, 0,
          (uint64_t)asked << 32 | (got == NUMA_NO_NODE ? 0xffffffffu : got),
          (uint64_t)r->reason << 56 | (r->index & ((1ULL << 56) - 1)));
}
