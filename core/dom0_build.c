/* Building dom0 at boot: the first multiboot module is its image; every other
 * module is copied into dom0's memory and listed in its start_info, named by its
 * command line (dom0's toolstack finds guest images, configs and its scenario
 * there). dom0 gets dom0_mem of memory, one vCPU, and the privileged flag. */
#include <hvlab/boot.h>
#include <hvlab/domain.h>
#include <hvlab/ioport.h>
#include <hvlab/errno.h>
#include <hvlab/mm.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/pvbuild.h>
#include <hvlab/sched.h>
#include <hvlab/time.h>
#include <hvlab/xmalloc.h>

int domain_set_vcpu_context(struct domain *d, unsigned vcpu, const struct vcpu_guest_context *c);

static void *map_pfn(void *ctx, uint64_t pfn)
{
    const uint64_t *mfns = ctx;
    return page_to_virt(mfn_to_page(mfns[pfn]));
}

static void report(void *arg, const char *why)
{
    pr_err("dom0: %s: %s\n", (const char *)arg, why);
}

void dom0_build(uint64_t mem_bytes)
{
    struct pvbuild_module mods[START_INFO_MAX_MODULES];
    struct pvbuild_layout l;
    struct vcpu_guest_context vc;
    struct domain *d;
    s_time_t start = NOW();

    if (boot_info.nr_modules == 0) {
        pr_info("dom0: no modules given: no dom0, the machine idles\n");
        return;
    }
    const struct boot_module *img = &boot_info.modules[0];
    const void *elf = __va(img->start);
    size_t len = img->end - img->start;
    unsigned nmods = MIN(boot_info.nr_modules - 1, START_INFO_MAX_MODULES);
    for (unsigned i = 0; i < nmods; i++) {
        const struct boot_module *m = &boot_info.modules[i + 1];
        mods[i] = (struct pvbuild_module){ __va(m->start), m->end - m->start, m->cmdline };
    }
    struct pvbuild_params p = {
        .domid = 0, .flags = SIF_PRIVILEGED | SIF_INITDOMAIN, .nr_vcpus = 1,
        .cmdline = img->cmdline, .nr_modules = nmods, .modules = mods,
        .report = report, .report_arg = (void *)img->cmdline,
    };
    uint64_t nr_pages = mem_bytes >> PAGE_SHIFT;

    d = domain_create(0, "Domain-0", 1, true);
    if (IS_ERR(d))
        panic("dom0: cannot create the domain (%ld)", (long)PTR_ERR(d));
    dom0 = d;
    if (ioport_grant_dom0(d) < 0)       /* every I/O port but the hypervisor's (pdisk) */
        panic("dom0: no memory for its I/O-port map");
    if (pvbuild_layout(elf, len, nr_pages, &p, &l) < 0)
        panic("dom0: image '%s' cannot be built in %lu MiB", img->cmdline, mem_bytes >> 20);

    uint64_t *mfns = xmalloc_array(nr_pages, sizeof(*mfns));
    if (!mfns)
        panic("dom0: no memory for its frame list");
    d->max_pages = nr_pages;
    for (uint64_t i = 0; i < nr_pages; i++) {
        struct page_info *pg = domain_alloc_frame(d, NUMA_NO_NODE, 0);
        if (!pg)
            panic("dom0: out of memory after %lu of %lu frames", i, nr_pages);
        mfns[i] = page_to_mfn(pg);
    }
    if (pvbuild_populate(&l, elf, len, mfns, map_pfn, mfns, &p, &vc) < 0)
        panic("dom0: building '%s' failed", img->cmdline);
    xfree(mfns);
    int rc = domain_set_vcpu_context(d, 0, &vc);
    if (rc < 0)
        panic("dom0: its page tables were refused (%d)", rc);
    pr_info("dom0: '%s', %lu MiB, %u module%s, entry %#lx, built in %ld us\n", img->cmdline,
            mem_bytes >> 20, nmods, nmods == 1 ? "" : "s", vc.rip, (long)((NOW() - start) / 1000));
    domain_unpause_by_controller(d);
}
