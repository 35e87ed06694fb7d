/* The memory mover's domctl (DOMCTL_migrate_memory, public/mm_migrate.h): a running
 * domain's frames to node set S.
 *
 * Design. Under domctl_lock: check S (nodes that exist), refuse a vNUMA domain (its
 * guest was told which node each gfn is on) and the caller's own domain, and compare
 * the frames outside S with the free frames on S: too few and nothing happens
 * (-ENOMEM with both numbers). Then the policy is retargeted (its set_nodes; a policy
 * without one and not lazy, i.e. `local`, becomes `local` homed on S's lowest node
 * through mm_policy_set; `first-touch` keeps its rule: its later frames still come
 * from their first toucher's node), so every frame allocated from then on follows S.
 * Every vCPU is paused (vcpu_pause waits until it is off its pCPU), the HVM or PV
 * mover runs in batches of MIGRATE_BATCH frames, and the vCPUs are unpaused. A batch
 * allocates its new frames through domain_alloc_frame_for with MM_REASON_MIGRATE (the
 * policy's place() chooses, placed() hears of it, TRC_MEM_POLICY traces it), switches
 * the references, flushes the domain's TLBs, frees the old frames, emits one
 * TRC_MEM_MIGRATE per (from, to) node pair and reaches a preemption point (domctl_lock
 * is the one lock allowed across it: core/domctl.c). The numa scheduler homes a
 * domain where most of its frames are (sched/numa.c, "Home"), so it follows the move
 * by itself.
 *
 * Locking. domctl_lock throughout (no other domctl changes d meanwhile); d's vCPUs
 * paused; each batch's switch under d->page_lock. While a batch's new and old frames
 * coexist d may hold up to MIGRATE_BATCH frames above max_pages (migrate_room): the
 * guest is paused, and the bound is back before the preemption point.
 *
 * Limitations. The whole move is one pause of the domain (no pre-copy while it runs).
 * A new frame is asked of the policy; one it places outside S (the set filled up
 * after the check) is given back and the move ends with -ENOMEM, keeping what moved. */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/mm.h>
#include <hvlab/mm_migrate.h>
#include <hvlab/mm_policy.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/sched.h>
#include <hvlab/time.h>

/* The policy follows S from now on (see Design). */
static int retarget(struct domain *d, uint32_t set, char *why, size_t len)
{
    const struct mm_policy_ops *o = mm_policy_of(d);
    struct domctl_memory_policy io;

    if (o->set_nodes)
        return o->set_nodes(d, set);
    if (o->lazy_hvm)
        return 0;
    memset(&io, 0, sizeof(io));
    memcpy(io.name, "local", sizeof("local"));
    io.nodes = set;
    return mm_policy_set(d, &io, why, len);
}

static void pause_all(struct domain *d, bool pause)
{
    struct vcpu *v;

    for_each_vcpu(d, v) {
        if (pause)
            vcpu_pause(v);
        else
            vcpu_unpause(v);
    }
}

static unsigned long outside_now(struct domain *d, uint32_t set)
{
    unsigned long flags, n;

    spin_lock_irqsave(&d->page_lock, flags);
    n = migrate_outside(d->node_pages, mm_nr_nodes(), set);
    spin_unlock_irqrestore(&d->page_lock, flags);
    return n;
}

static long refuse(struct domain *d, long rc, const char *why)
{
    pr_warn("domain %u (%s): memory migration refused: %s\n", d->domain_id, d->name, why);
    return rc;
}

long mm_migrate_domctl(struct domain *d, struct domctl_migrate_memory *io)
{
    struct migrate_run run = { .d = d, .set = io->nodes,
                               .check = io->flags & MIGRATE_MEMORY_CHECK };
    unsigned long free[MAX_NUMNODES];
    char why[160];
    unsigned bad;
    s_time_t t0;
    int rc;

    io->moved = io->left = io->held = io->elapsed_ns = 0;
    io->batches = 0;
    io->home_node = d->home_node;
    io->need_pages = outside_now(d, io->nodes);
    for (unsigned n = 0; n < mm_nr_nodes(); n++)
        free[n] = mm_node_free(n);
    io->free_pages = migrate_inside(free, mm_nr_nodes(), io->nodes);
    if (migrate_check_nodes(io->nodes, mm_nr_nodes(), &bad) < 0) {
        io->bad_node = bad;
        if (io->nodes)
            fmt_snprintf(why, sizeof(why), "node %u does not exist (the machine has nodes "
                         "0-%u)", bad, mm_nr_nodes() - 1);
        else
            fmt_snprintf(why, sizeof(why), "no target node (the machine has nodes 0-%u)",
                         mm_nr_nodes() - 1);
        return refuse(d, -EINVAL, why);
    }
    if (d == current->domain)
        return refuse(d, -EINVAL, "a domain cannot move its own memory (it would pause itself)");
    if (d->vnuma.nr_vnodes)
        return refuse(d, -EINVAL, "it has a vNUMA layout: each gfn's node is fixed");
    if (io->free_pages < io->need_pages) {
        fmt_snprintf(why, sizeof(why), "nodes %#x have %llu free frames, %llu must move",
                     io->nodes, (unsigned long long)io->free_pages,
                     (unsigned long long)io->need_pages);
        return refuse(d, -ENOMEM, why);
    }
    if (!d->is_hvm && migrate_pv_find_list(d) < 0)
        return refuse(d, -ENOENT, "no start_info with a pfn->mfn list found in its first "
                      "pfns: the guest's list could not follow");
    why[0] = '\0';
    if ((rc = retarget(d, io->nodes, why, sizeof(why))) < 0)
        return refuse(d, rc, why[0] ? why : "the policy refused the node set");
    run.toucher = (unsigned)__builtin_ctz(io->nodes);
    run.max_pages = d->max_pages;

    t0 = NOW();
    pause_all(d, true);
    rc = d->is_hvm ? migrate_hvm(&run) : migrate_pv(&run);
    migrate_room(&run, 0);
    pause_all(d, false);

    io->elapsed_ns = (uint64_t)(NOW() - t0);
    io->moved = run.moved;
    io->held = run.held;
    io->batches = run.batches;
    io->left = outside_now(d, io->nodes);
    io->home_node = d->home_node;
    pr_info("domain %u (%s): memory to nodes %#x: %lu frames moved, %llu left outside "
            "(%lu not movable), %u batches, %lld ns%s\n", d->domain_id, d->name,
            io->nodes, run.moved, (unsigned long long)io->left, run.held, run.batches,
            (long long)io->elapsed_ns, rc < 0 ? ", stopped early" : "");
    return rc;
}
