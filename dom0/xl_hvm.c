/* `create` for type = "hvm": the HVM domain builder, over core/lib/hvmbuild.
 *
 * Design, in the order of the calls: hvmbuild_detect (which boot protocol) and
 * hvmbuild_layout (every refusal) before the domain exists, so a bad file or config
 * leaves nothing to undo -> DOMCTL_createdomain with DOMCRF_hvm (the hypervisor
 * allocates all `memory` frames, each vnode's on its physical node when the cfg has
 * vnuma; gfn i is the i-th frame of DOMCTL_getpageframeinfo's list) ->
 * DOMCTL_set_memory_policy when the file has memory_policy or nodes (the RAM is
 * allocated again under that policy, vnodes still on their nodes; under first-touch
 * it is not, and the builder allocates each window it writes with
 * DOMCTL_hvm_populate) -> the store's page and port (HVM params) -> hvmbuild_populate
 * writing through the foreign window (foreign.c) ->
 * DOMCTL_hvm_setcontext for vCPU 0 with the state hvmbuild computed (PROT32 for
 * Multiboot and PVH, LONG64 for a Linux bzImage).
 * Command line: Multiboot kernels get "<kernel> <extra>" (a boot loader puts the
 * kernel's name first, as QEMU's -kernel does for the native build) and the loader
 * name "hvlab-xl domid=<id>" (guest/hvm reads its domain id there); PVH and Linux get
 * `extra` (or its other name, `cmdline`) as it is. `ramdisk` is Linux's initrd or a
 * Multiboot kernel's one module.
 * Limitations: the guest's other vCPUs stay in wait-for-SIPI (the kernel starts them
 * through its LAPIC). */
#include <public/hvm.h>
#include "foreign.h"
#include "modules.h"
#include "store.h"
#include "strutil.h"
#include "xl_hvm.h"

static void hvm_report(void *arg, const char *msg)
{
    printf("create %s: %s\n", ((const struct domain_config *)arg)->name, msg);
}

/* The layout for createdomain, and as the guest's SRAT/SLIT. */
static void hvm_numa(struct xl_hvm *h, const struct vnuma_layout *l)
{
    h->vnuma = *l;
    if (!l->nr_vnodes)
        return;
    hvmbuild_numa_from_vnuma(&h->numa, l);
    h->bc.numa = &h->numa;
}

int xl_hvm_check(const struct domain_config *cfg, const struct start_module *kernel,
                 const struct vnuma_layout *vnuma, struct xl_hvm *h)
{
    const struct start_module *rd = NULL;
    int rc;

    memset(h, 0, sizeof(*h));
    if (cfg->ramdisk[0] && !(rd = module_find(start_info, cfg->ramdisk))) {
        printf("create %s: no boot module named '%s' (ramdisk)\n", cfg->name, cfg->ramdisk);
        return -ENOENT;
    }
    if ((rc = hvmbuild_detect((const void *)(uintptr_t)kernel->va, kernel->len, cfg->kernel,
                              &h->img, hvm_report, (void *)cfg)) < 0)
        return rc;
    if (h->img.proto == HVMBUILD_MULTIBOOT)
        fmt_snprintf(h->cmdline, sizeof(h->cmdline), "%s%s%s", cfg->kernel,
                     cfg->extra[0] ? " " : "", cfg->extra);
    else
        str_copy(h->cmdline, sizeof(h->cmdline), cfg->extra, strlen(cfg->extra));
    h->bc.mem_bytes = cfg->memory_mib << 20;
    h->bc.nr_vcpus = cfg->vcpus;
    h->bc.cmdline = h->cmdline;
    h->bc.report = hvm_report;
    h->bc.report_arg = (void *)cfg;
    hvm_numa(h, vnuma);
    if (rd) {
        h->ramdisk = (struct hvmbuild_module){ (const void *)(uintptr_t)rd->va, rd->len,
                                               cfg->ramdisk };
        h->bc.nr_modules = 1;
        h->bc.modules = &h->ramdisk;
    }
    /* The domain id is not known yet: a name of the same length stands in for the
     * layout's length check, the real one is set before populate. */
    if (h->img.proto == HVMBUILD_MULTIBOOT) {
        str_copy(h->loader, sizeof(h->loader), "hvlab-xl domid=00000", 20);
        h->bc.loader_name = h->loader;
    }
    return hvmbuild_layout(&h->img, &h->bc, &h->layout);
}

#define NO_FRAME (~0ULL)                /* getpageframeinfo: gfn without a frame yet */

/* The frames behind the next window from pfn, allocated now where a lazily populated
 * domain (memory_policy = "first-touch") has none yet: the builder's writes are the
 * first touch of those gfns. */
static int window_populate(struct foreign_window *w, uint64_t pfn)
{
    uint64_t n = MIN((uint64_t)FOREIGN_WINDOW_PAGES, w->nr_pages - pfn);
    uint64_t *mfns = (uint64_t *)(uintptr_t)w->mfns;
    struct domctl op;
    bool missing = false;

    if (pfn >= w->base_pfn && pfn < w->base_pfn + w->nr_mapped)
        return 0;                       /* mapped already */
    for (uint64_t i = 0; i < n; i++)
        missing |= mfns[pfn + i] == NO_FRAME;
    if (!missing)
        return 0;
    _Static_assert(FOREIGN_WINDOW_PAGES <= HVM_POPULATE_MAX, "one call per window");
    memset(&op, 0, sizeof(op));
    op.u.hvm_populate.gfn = pfn;
    op.u.hvm_populate.nr = n;
    op.u.hvm_populate.mfn_list = (uintptr_t)&mfns[pfn];
    return (int)xl_domctl(DOMCTL_hvm_populate, w->dom, &op);
}

/* hvmbuild_write_fn: len bytes of src (NULL: zeros) at gpa, a page at a time. */
static int write_gpa(void *ctx, uint64_t gpa, const void *src, uint64_t len)
{
    struct foreign_window *w = ctx;

    for (uint64_t done = 0; done < len;) {
        uint64_t at = gpa + done, in_page = at & (PAGE_SIZE - 1);
        uint64_t n = MIN(PAGE_SIZE - in_page, len - done);
        uint8_t *page = window_populate(w, at >> PAGE_SHIFT) < 0 ? NULL :
                        foreign_map_pfn(w, at >> PAGE_SHIFT);

        if (!page)
            return -EFAULT;
        if (src)
            memcpy(page + in_page, (const uint8_t *)src + done, n);
        else
            memset(page + in_page, 0, n);
        done += n;
    }
    return 0;
}

/* The domain's frames in gfn order. */
static int frame_list(const struct domain_config *cfg, hv_domid_t domid, uint64_t nr,
                      uint64_t **mfns)
{
    struct domctl op;
    long rc;

    if (!(*mfns = xl_scratch(ALIGN_UP(nr * sizeof(uint64_t), PAGE_SIZE) >> PAGE_SHIFT))) {
        printf("create %s: dom0 has no room for a %llu-entry frame list\n", cfg->name,
               (unsigned long long)nr);
        return -ENOMEM;
    }
    memset(&op, 0, sizeof(op));
    op.u.getpageframeinfo.mfn_list = (uintptr_t)*mfns;
    op.u.getpageframeinfo.max = nr;
    if ((rc = xl_domctl(DOMCTL_getpageframeinfo, domid, &op)) < 0) {
        printf("create %s: getpageframeinfo failed: %s\n", cfg->name, str_errno((int)rc));
        return (int)rc;
    }
    if (op.u.getpageframeinfo.nr != nr) {
        printf("create %s: the domain has %llu of its %llu frames\n", cfg->name,
               (unsigned long long)op.u.getpageframeinfo.nr, (unsigned long long)nr);
        return -ENOMEM;
    }
    return 0;
}

/* The store: its page (reserved RAM, HVMBUILD_STORE_GPA) and a port of the domain
 * for dom0 (store_ring.c connects them), told to the guest as HVM params. */
static int store_setup(const struct domain_config *cfg, hv_domid_t domid, uint64_t mfn)
{
    static const char *const names[] = { [HVM_PARAM_STORE_PFN] = "STORE_PFN",
                                         [HVM_PARAM_STORE_EVTCHN] = "STORE_EVTCHN" };
    uint64_t values[HVM_NR_PARAMS] = { [HVM_PARAM_STORE_PFN] = HVMBUILD_STORE_GPA >> PAGE_SHIFT };
    char who[XLCFG_NAME_MAX + 8];
    struct domctl op;
    long rc;

    fmt_snprintf(who, sizeof(who), "create %s", cfg->name);
    if ((rc = store_ring_prepare(who, domid, mfn)) < 0)
        return (int)rc;
    values[HVM_PARAM_STORE_EVTCHN] = store_ring_port(domid);
    for (unsigned i = HVM_PARAM_STORE_PFN; i <= HVM_PARAM_STORE_EVTCHN; i++) {
        memset(&op, 0, sizeof(op));
        op.u.hvm_param.index = i;
        op.u.hvm_param.value = values[i];
        if ((rc = xl_domctl(DOMCTL_hvm_set_param, domid, &op)) < 0) {
            printf("%s: hvm_set_param %s failed: %s\n", who, names[i], str_errno((int)rc));
            return (int)rc;
        }
    }
    return 0;
}

/* The store's page is RAM the builder hands over: a frame behind it now. */
static int store_page(const struct domain_config *cfg, hv_domid_t domid, uint64_t *mfns)
{
    uint64_t pfn = HVMBUILD_STORE_GPA >> PAGE_SHIFT;
    struct domctl op;
    long rc;

    if (mfns[pfn] != NO_FRAME)
        return 0;
    memset(&op, 0, sizeof(op));
    op.u.hvm_populate.gfn = pfn;
    op.u.hvm_populate.nr = 1;
    op.u.hvm_populate.mfn_list = (uintptr_t)&mfns[pfn];
    if ((rc = xl_domctl(DOMCTL_hvm_populate, domid, &op)) < 0)
        printf("create %s: no frame for the store page: %s\n", cfg->name, str_errno((int)rc));
    return (int)rc;
}

static int populate(const struct domain_config *cfg, struct xl_hvm *h, hv_domid_t domid,
                    struct hvmbuild_vcpu_state *vs)
{
    static uint8_t scratch[HVMBUILD_SCRATCH_BYTES];
    uint64_t nr = cfg->memory_mib << (20 - PAGE_SHIFT), *mfns;
    struct foreign_window w;
    int rc, rc2;

    if (h->bc.loader_name)
        fmt_snprintf(h->loader, sizeof(h->loader), "hvlab-xl domid=%u", domid);
    if ((rc = frame_list(cfg, domid, nr, &mfns)) < 0 ||
        (rc = store_page(cfg, domid, mfns)) < 0 ||
        (rc = store_setup(cfg, domid, mfns[HVMBUILD_STORE_GPA >> PAGE_SHIFT])) < 0)
        return rc;
    if ((rc = foreign_open(&w, domid, mfns, nr)) < 0) {
        printf("create %s: cannot set up foreign mappings: %s\n", cfg->name, str_errno(rc));
        return rc;
    }
    rc = hvmbuild_populate(&h->layout, &h->img, &h->bc, write_gpa, &w, scratch, vs);
    rc2 = foreign_close(&w);
    if (!rc && rc2) {
        printf("create %s: unmapping the new domain failed: %s\n", cfg->name, str_errno(rc2));
        rc = rc2;
    }
    return rc;
}

static int set_context(const struct domain_config *cfg, hv_domid_t domid,
                       const struct hvmbuild_vcpu_state *vs)
{
    struct domctl op;
    long rc;

    _Static_assert(HVMBUILD_BOOT_PROT32 == HVM_BOOT_PROT32 &&
                   HVMBUILD_BOOT_LONG64 == HVM_BOOT_LONG64, "one numbering of boot modes");
    memset(&op, 0, sizeof(op));
    op.u.hvm_context = (struct domctl_hvm_context){
        .vcpu = 0, .mode = vs->mode, .rip = vs->rip, .rsp = vs->rsp, .rax = vs->rax,
        .rbx = vs->rbx, .rsi = vs->rsi, .cr3 = vs->cr3, .gdt_base = vs->gdt_base,
    };
    if ((rc = xl_domctl(DOMCTL_hvm_setcontext, domid, &op)) < 0)
        printf("create %s: hvm_setcontext failed: %s\n", cfg->name, str_errno((int)rc));
    return (int)rc;
}

int xl_hvm_build(const struct domain_config *cfg, struct xl_hvm *h, uint32_t pool,
                 hv_domid_t *domid)
{
    struct hvmbuild_vcpu_state vs;
    char who[XLCFG_NAME_MAX + 8];
    struct domctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    str_copy(op.u.createdomain.name, DOMNAME_LEN, cfg->name, strlen(cfg->name));
    op.u.createdomain.max_vcpus = cfg->vcpus;
    op.u.createdomain.flags = DOMCRF_hvm;
    op.u.createdomain.max_pages = cfg->memory_mib << (20 - PAGE_SHIFT);
    op.u.createdomain.cpupool = pool;
    if (h->vnuma.nr_vnodes)             /* the RAM is placed by it, at createdomain */
        op.u.createdomain.vnuma = (uint64_t)(uintptr_t)&h->vnuma;
    if ((rc = xl_domctl(DOMCTL_createdomain, 0, &op)) < 0) {
        printf("create %s: createdomain (HVM) failed: %s\n", cfg->name, str_errno((int)rc));
        return (int)rc;
    }
    *domid = op.domain;
    fmt_snprintf(who, sizeof(who), "create %s", cfg->name);
    if ((rc = xl_memory_policy(who, *domid, cfg, op.u.createdomain.max_pages)) < 0)
        return (int)rc;
    if ((rc = populate(cfg, h, *domid, &vs)) < 0)
        return (int)rc;
    return set_context(cfg, *domid, &vs);
}
