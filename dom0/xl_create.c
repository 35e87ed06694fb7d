/* `create <cfgfile>`: builds and starts a PV domain from a cfg file, as xl create
 * (an HVM one, type = "hvm", is built by xl_hvm.c; the steps after the build are
 * the same).
 *
 * Design, in the order of the calls (each failure after createdomain destroys the
 * half-built domain):
 *   parse the cfg module -> check names, CPUs, pool, scheduler keys (against the
 *   declarations of the pool's policy) -> DOMCTL_createdomain ->
 *   DOMCTL_max_mem -> DOMCTL_set_memory_policy if the file has memory_policy or
 *   nodes (xl_numa.c) -> [vnuma: DOMCTL_set_vnuma] -> XENMEM_increase_reservation for
 *   the new domain (on the node its affinity points to, if one; vnuma: vnode by vnode,
 *   each on exactly its physical node) -> pvbuild layout + populate through a window
 *   of foreign mappings (foreign.c), with a store page and a port of the domain for
 *   dom0's store (store_ring.c) -> unmap -> DOMCTL_setvcpucontext (vCPU 0 only:
 *   a guest brings up its other vCPUs itself) -> DOMCTL_setvcpuaffinity per vCPU
 *   (vnuma and no affinity in the file: soft affinity to its vnode's node) ->
 *   DOMCTL_scheduler_op -> DOMCTL_unpausedomain.
 * Output: "created domain <id> (<name>)", "create <name>: memory on node <n>" when
 * the affinity picked a node, then "create <name>: <ns> ns", the time from
 * createdomain to unpause in guest_now_ns() nanoseconds; problems as
 * "create <name>: <why>" (or the cfg file's own "<file>:<line>: ..." lines). */
#include <hvlab/pvbuild.h>
#include "dom0.h"
#include "domhooks.h"
#include "foreign.h"
#include "modules.h"
#include "store.h"
#include "strutil.h"
#include "xl.h"
#include "xl_hvm.h"

struct create {
    struct domain_config cfg;
    const char *cfgfile;
    hv_domid_t domid;
    struct cpu_topo topo;
    int node;                           /* memory node, -1: any */
    uint32_t pool;                      /* cpupool id */
    struct domctl_scheduler_op sched;   /* the file's scheduler keys, checked */
    char who[XLCFG_NAME_MAX + 8];       /* "create <name>", for messages */
    uint64_t nr_pages;
    uint64_t *mfns;
    uint64_t mfn_pages;                 /* pages of xl_scratch holding mfns */
    const struct start_module *kernel;
    struct xl_hvm hvm;                  /* type = "hvm": the checked kernel and layout */
    struct vnuma_layout vnuma;          /* cfg's vnuma (nr_vnodes 0: none), checked */
};

static void cfg_report(void *arg, const char *msg)
{
    (void)arg;
    puts(msg);
}

static void build_report(void *arg, const char *why)
{
    const struct create *c = arg;

    printf("create %s: %s\n", c->cfg.name, why);
}

/* Every CPU the file names for a vCPU exists, and each vCPU keeps one at least. */
static int check_affinity(struct create *c, const char *key,
                          const struct xlcfg_affinity *a)
{
    char what[XLCFG_NAME_MAX + 40];

    for (unsigned v = 0; v < c->cfg.vcpus; v++) {
        if (!xlcfg_affinity_given(a, v))
            continue;
        fmt_snprintf(what, sizeof(what), "%s: %s (vCPU %u)", c->who, key, v);
        if (xl_cpus_check(what, xlcfg_vcpu_affinity(a, v, &c->topo), &c->topo))
            return -EINVAL;
    }
    return 0;
}

/* Everything that can be checked before the domain exists. */
static int create_check(struct create *c)
{
    struct domctl_getdomaininfo di;
    const struct xlcfg_sched *s = &c->cfg.sched;
    struct sysctl op;
    int rc;

    if (!(c->kernel = module_find(start_info, c->cfg.kernel))) {
        printf("create %s: no boot module named '%s'\n", c->cfg.name, c->cfg.kernel);
        return -ENOENT;
    }
    for (rc = xl_dominfo_next(0, &di); !rc; rc = xl_dominfo_next(di.domain + 1, &di)) {
        if (strcmp(di.name, c->cfg.name) == 0) {
            printf("create %s: domain %u has that name already\n", c->cfg.name,
                   di.domain);
            return -EEXIST;
        }
    }
    if (s->has_pool && (rc = xl_pool_find(c->who, s->pool, &c->pool)) < 0)
        return rc;
    if ((rc = xl_sched_prepare(c->who, c->cfgfile, c->pool, s, &c->sched)) < 0)
        return rc;
    if ((rc = xl_topology(&c->topo)) < 0) {
        printf("create %s: reading the topology failed: %s\n", c->cfg.name,
               str_errno(rc));
        return rc;
    }
    if (check_affinity(c, "cpus", &c->cfg.cpus) < 0 ||
        check_affinity(c, "cpus_soft", &c->cfg.cpus_soft) < 0)
        return -EINVAL;
    c->node = xlcfg_memory_node(&c->cfg, &c->topo);
    c->nr_pages = c->cfg.memory_mib << (20 - PAGE_SHIFT);
    if (c->cfg.vnuma.nr) {
        char why[128];
        if (xlcfg_vnuma_layout(&c->cfg, &c->topo, c->node, &c->vnuma, why, sizeof(why))) {
            printf("create %s: %s:%u: key 'vnuma': %s\n", c->cfg.name, c->cfg.file,
                   c->cfg.vnuma.line, why);
            return -EINVAL;
        }
    }
    /* Autoballoon (xl_mem.c): dom0 gives back what is missing, with a slack for the
     * hypervisor's own frames of the domain (tables, vCPU state). */
    if (xl_autoballoon(c->who, c->nr_pages + AUTOBALLOON_SLACK(c->nr_pages)) < 0 &&
        xl_sysctl(SYSCTL_physinfo, &op) >= 0 && c->nr_pages > op.u.physinfo.free_pages) {
        printf("create %s: memory = %llu MiB, the machine has %llu MiB free\n",
               c->cfg.name, (unsigned long long)c->cfg.memory_mib,
               (unsigned long long)(op.u.physinfo.free_pages >> (20 - PAGE_SHIFT)));
        return -ENOMEM;
    }
    if (c->cfg.type == XLCFG_TYPE_HVM)
        return xl_hvm_check(&c->cfg, c->kernel, &c->vnuma, &c->hvm);
    return 0;
}

/* Frames for pfns [done, end) on node (-1: any; exact: that node or none). */
static int create_populate_range(struct create *c, uint64_t done, uint64_t end, int node,
                                 bool exact)
{
    struct xen_memory_reservation r;
    long n;

    while (done < end) {
        memset(&r, 0, sizeof(r));
        r.extent_start = (uint64_t)(uintptr_t)&c->mfns[done];
        r.nr_extents = end - done;
        r.mem_flags = node >= 0 ? XENMEMF_node(node) | (exact ? XENMEMF_exact_node : 0) : 0;
        r.domid = c->domid;
        n = hv_memory_op(XENMEM_increase_reservation, &r);
        if (n <= 0) {
            printf("create %s: out of memory after %llu of %llu MiB (%s)\n", c->cfg.name,
                   (unsigned long long)(done >> (20 - PAGE_SHIFT)),
                   (unsigned long long)c->cfg.memory_mib,
                   str_errno(n ? (int)n : -ENOMEM));
            return n ? (int)n : -ENOMEM;
        }
        done += (uint64_t)n;
    }
    return 0;
}

/* vNUMA: each vnode's frames from its physical node, then where they are. */
static int create_populate_vnuma(struct create *c)
{
    struct domctl_getdomaininfo di;
    uint64_t start = 0;
    int rc;

    for (unsigned v = 0; v < c->vnuma.nr_vnodes; v++) {
        if ((rc = create_populate_range(c, start, start + c->vnuma.pages[v],
                                        c->vnuma.pnode[v], true)) < 0) {
            printf("create %s: vnode %u: node %u has too few free frames\n", c->cfg.name, v,
                   c->vnuma.pnode[v]);
            return rc;
        }
        start += c->vnuma.pages[v];
    }
    if ((rc = xl_dominfo(c->domid, &di)) < 0)
        return rc;
    for (unsigned n = 0; n < MAX_NUMA_NODES_ABI; n++)
        if (di.pages_on_node[n])
            printf("create %s: vnuma: %llu pages on node %u\n", c->cfg.name,
                   (unsigned long long)di.pages_on_node[n], n);
    return 0;
}

/* The new domain's frames, their MFNs in c->mfns[pfn]. */
static int create_populate_physmap(struct create *c)
{
    c->mfn_pages = ALIGN_UP(c->nr_pages * sizeof(uint64_t), PAGE_SIZE) >> PAGE_SHIFT;
    if (!(c->mfns = xl_scratch(c->mfn_pages))) {
        printf("create %s: dom0 has no room for a %llu-entry frame list\n", c->cfg.name,
               (unsigned long long)c->nr_pages);
        return -ENOMEM;
    }
    if (c->vnuma.nr_vnodes)
        return create_populate_vnuma(c);
    return create_populate_range(c, 0, c->nr_pages, c->node, false);
}

static int create_build(struct create *c, struct vcpu_guest_context *vc)
{
    const void *elf = (const void *)(uintptr_t)c->kernel->va;
    struct pvbuild_params p = {
        .domid = c->domid, .flags = 0, .nr_vcpus = c->cfg.vcpus,
        .cmdline = c->cfg.extra, .nr_modules = 0, .modules = NULL,
        .report = build_report, .report_arg = c,
        .store = true,                  /* every domain gets a store page and port */
    };
    struct pvbuild_layout l;
    struct foreign_window w;
    int rc, rc2;

    if ((rc = pvbuild_layout(elf, c->kernel->len, c->nr_pages, &p, &l)) < 0) {
        if (rc == -ENOMEM)
            printf("create %s: memory = %llu MiB is too small for '%s' (needs %llu "
                   "pages)\n", c->cfg.name, (unsigned long long)c->cfg.memory_mib,
                   c->cfg.kernel, (unsigned long long)l.min_pages);
        return rc;
    }
    /* The store: a port of the domain for dom0 (connected by store_ring's hook). */
    if ((rc = store_ring_prepare(c->who, c->domid, c->mfns[l.store_pfn])) < 0)
        return rc;
    p.store_evtchn = store_ring_port(c->domid);
    if ((rc = foreign_open(&w, c->domid, c->mfns, c->nr_pages)) < 0) {
        printf("create %s: cannot set up foreign mappings: %s\n", c->cfg.name,
               str_errno(rc));
        return rc;
    }
    rc = pvbuild_populate(&l, elf, c->kernel->len, c->mfns, foreign_map_pfn, &w, &p, vc);
    /* Unmapped whatever happened: the domain's tables are pinned next. */
    rc2 = foreign_close(&w);
    if (!rc && rc2) {
        printf("create %s: unmapping the new domain failed: %s\n", c->cfg.name,
               str_errno(rc2));
        rc = rc2;
    }
    return rc;
}

/* The CPUs of the physical node of vCPU vcpu's vnode. */
static uint64_t vnode_cpus(const struct create *c, unsigned vcpu)
{
    unsigned node = c->vnuma.pnode[c->vnuma.vcpu_to_vnode[vcpu]];
    uint64_t mask = 0;

    for (unsigned cpu = 0; cpu < c->topo.nr_cpus && cpu < CPULIST_MAX_CPUS; cpu++)
        if (c->topo.cpu_to_node[cpu] == node)
            mask |= 1ULL << cpu;
    return mask;
}

static int create_affinity(struct create *c)
{
    /* vnuma and no affinity in the file: each vCPU prefers (soft affinity) the CPUs
     * of its vnode's physical node, where its vnode's memory is (as xl does). */
    bool by_vnode = c->vnuma.nr_vnodes && !c->cfg.cpus.nr && !c->cfg.cpus_soft.nr;
    struct domctl op;
    long rc;

    if (!c->cfg.cpus.nr && !c->cfg.cpus_soft.nr && !by_vnode)
        return 0;
    for (unsigned v = 0; v < c->cfg.vcpus; v++) {
        uint64_t hard = xlcfg_vcpu_affinity(&c->cfg.cpus, v, &c->topo);
        uint64_t soft = by_vnode ? vnode_cpus(c, v)
                                 : xlcfg_vcpu_affinity(&c->cfg.cpus_soft, v, &c->topo);

        memset(&op, 0, sizeof(op));
        op.u.vcpuaffinity.vcpu = v;
        op.u.vcpuaffinity.flags = (hard ? 1 : 0) | (soft ? 2 : 0);
        op.u.vcpuaffinity.cpumap_hard = hard;
        op.u.vcpuaffinity.cpumap_soft = soft;
        if (!op.u.vcpuaffinity.flags)
            continue;
        if ((rc = xl_domctl(DOMCTL_setvcpuaffinity, c->domid, &op)) < 0) {
            printf("create %s: setting the affinity of vCPU %u failed: %s\n",
                   c->cfg.name, v, str_errno((int)rc));
            return (int)rc;
        }
    }
    return 0;
}

/* A PV domain, from createdomain to vCPU 0's context. */
static int create_pv(struct create *c)
{
    struct vcpu_guest_context vc;
    struct domctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    str_copy(op.u.createdomain.name, DOMNAME_LEN, c->cfg.name, strlen(c->cfg.name));
    op.u.createdomain.max_vcpus = c->cfg.vcpus;
    op.u.createdomain.max_pages = c->cfg.maxmem_mib << (20 - PAGE_SHIFT);
    op.u.createdomain.cpupool = c->pool;
    if ((rc = xl_domctl(DOMCTL_createdomain, 0, &op)) < 0) {
        printf("create %s: createdomain failed: %s\n", c->cfg.name, str_errno((int)rc));
        return (int)rc;
    }
    c->domid = op.domain;

    memset(&op, 0, sizeof(op));
    op.u.max_mem.max_pages = c->cfg.maxmem_mib << (20 - PAGE_SHIFT);
    if ((rc = xl_domctl(DOMCTL_max_mem, c->domid, &op)) < 0) {
        printf("create %s: max_mem failed: %s\n", c->cfg.name, str_errno((int)rc));
        return (int)rc;
    }
    if ((rc = xl_memory_policy(c->who, c->domid, &c->cfg, c->nr_pages)) < 0)
        return (int)rc;
    if (c->vnuma.nr_vnodes) {           /* before any frame: they are placed by it */
        memset(&op, 0, sizeof(op));
        op.u.vnuma = c->vnuma;
        if ((rc = xl_domctl(DOMCTL_set_vnuma, c->domid, &op)) < 0) {
            printf("create %s: set_vnuma failed: %s\n", c->cfg.name, str_errno((int)rc));
            return (int)rc;
        }
    }
    if ((rc = create_populate_physmap(c)) < 0 || (rc = create_build(c, &vc)) < 0)
        return (int)rc;

    memset(&op, 0, sizeof(op));
    op.u.vcpucontext.vcpu = 0;
    op.u.vcpucontext.ctx = vc;
    if ((rc = xl_domctl(DOMCTL_setvcpucontext, c->domid, &op)) < 0) {
        printf("create %s: setvcpucontext failed: %s\n", c->cfg.name, str_errno((int)rc));
        return (int)rc;
    }
    return 0;
}

/* The steps from createdomain to unpause; an HVM domain's first ones are xl_hvm.c's. */
static int create_domain(struct create *c)
{
    struct domctl op;
    long rc;

    if (c->cfg.type == XLCFG_TYPE_HVM)
        rc = xl_hvm_build(&c->cfg, &c->hvm, c->pool, &c->domid);
    else
        rc = create_pv(c);
    if (rc < 0)
        return (int)rc;
    if ((rc = dom0_domain_built(c->who, c->domid, &c->cfg)) < 0 ||
        (rc = create_affinity(c)) < 0 ||
        (rc = xl_sched_apply(c->who, c->domid, &c->sched)) < 0)
        return (int)rc;

    memset(&op, 0, sizeof(op));
    if ((rc = xl_domctl(DOMCTL_unpausedomain, c->domid, &op)) < 0) {
        printf("create %s: unpause failed: %s\n", c->cfg.name, str_errno((int)rc));
        return (int)rc;
    }
    return 0;
}

int xl_create_check_file(const char *cfgfile)
{
    static struct domain_config cfg;
    const struct start_module *m;
    int errors;

    if (!(m = module_find(start_info, cfgfile))) {
        printf("create: no boot module named '%s'\n", cfgfile);
        return 1;
    }
    errors = xlcfg_parse(&cfg, cfgfile, (const char *)(uintptr_t)m->va, m->len,
                         cfg_report, NULL);
    if (!errors && !module_find(start_info, cfg.kernel)) {
        printf("create %s: no boot module named '%s'\n", cfg.name, cfg.kernel);
        errors++;
    }
    if (!errors && cfg.ramdisk[0] && !module_find(start_info, cfg.ramdisk)) {
        printf("create %s: no boot module named '%s' (ramdisk)\n", cfg.name, cfg.ramdisk);
        errors++;
    }
    if (!errors)
        errors += xl_sched_precheck(cfgfile, &cfg.sched);
    return errors;
}

int xl_create(int argc, char **argv)
{
    static struct create c;             /* large (affinity lists): not on the stack */
    const struct start_module *m;
    uint64_t t0;
    int rc;

    memset(&c, 0, sizeof(c));
    c.cfgfile = argv[1];
    c.domid = DOMID_INVALID;
    if (!(m = module_find(start_info, c.cfgfile))) {
        printf("create: no boot module named '%s'\n", c.cfgfile);
        return -ENOENT;
    }
    if (xlcfg_parse(&c.cfg, c.cfgfile, (const char *)(uintptr_t)m->va, m->len,
                    cfg_report, NULL)) {
        printf("create: %s: not created\n", c.cfgfile);
        return -EINVAL;
    }
    fmt_snprintf(c.who, sizeof(c.who), "create %s", c.cfg.name);
    if ((rc = create_check(&c)) < 0)
        return rc;

    t0 = guest_now_ns();
    rc = create_domain(&c);
    if (rc == 0) {
        uint64_t ns = guest_now_ns() - t0;
        xl_record_add(c.domid, &c.cfg);
        printf("created domain %u (%s)\n", c.domid, c.cfg.name);
        if (c.node >= 0)
            printf("create %s: memory on node %d\n", c.cfg.name, c.node);
        printf("create %s: %llu ns\n", c.cfg.name, (unsigned long long)ns);
    } else if (c.domid != DOMID_INVALID) {
        dom0_domain_destroy(c.domid);
        printf("create %s: domain %u destroyed\n", c.cfg.name, c.domid);
    }
    return rc;
}
