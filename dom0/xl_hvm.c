/* `create` for type = "hvm": the HVM domain builder for Multiboot v1 kernels.
 *
 * Design, in the order of the calls: the image is checked and laid out before the
 * domain exists (mbimage.c: nothing to undo on a bad file) -> DOMCTL_createdomain
 * with DOMCRF_hvm (the hypervisor allocates all `memory` frames; gfn i is the i-th
 * frame of DOMCTL_getpageframeinfo's list) -> each segment copied, its bss zeroed,
 * through the foreign window (foreign.c) -> the multiboot info page at MBI_GPA
 * (one function, mbinfo_write: the place to swap in core/lib/hvmbuild's writer) ->
 * DOMCTL_hvm_setcontext for vCPU 0: HVM_BOOT_PROT32, EIP = the entry, EAX =
 * 0x2BADB002, EBX = MBI_GPA, as the Multiboot v1 specification leaves a kernel.
 * The command line is "<kernel> <extra>" (a boot loader puts the kernel's name
 * first, as QEMU's -kernel does for the native build).
 * Limitations: Multiboot v1 ELF only (no modules, no ramdisk yet); the guest's other
 * vCPUs stay in wait-for-SIPI (the kernel starts them through its LAPIC). */
#include "foreign.h"
#include "strutil.h"
#include "xl_hvm.h"

static uint64_t ram_bytes(const struct domain_config *cfg)
{
    return cfg->memory_mib << 20;
}

int xl_hvm_check(const struct domain_config *cfg, const struct start_module *kernel,
                 struct mbimage *img)
{
    char why[MBIMAGE_WHY_MAX];
    int rc;

    if ((rc = mbimage_parse((const void *)(uintptr_t)kernel->va, kernel->len, img, why,
                            sizeof(why))) < 0 ||
        (rc = mbimage_fits(img, ram_bytes(cfg), why, sizeof(why))) < 0)
        printf("create %s: kernel '%s': %s\n", cfg->name, cfg->kernel, why);
    return rc;
}

/* Segment s of the image into the domain's memory, a page at a time. */
static int load_segment(struct foreign_window *w, const uint8_t *file,
                        const struct mbimage_seg *s)
{
    for (uint64_t done = 0; done < s->memsz;) {
        uint64_t gpa = s->paddr + done, in_page = gpa & (PAGE_SIZE - 1);
        uint64_t n = MIN(PAGE_SIZE - in_page, s->memsz - done);
        uint64_t from_file = done < s->filesz ? MIN(n, s->filesz - done) : 0;
        uint8_t *page = foreign_map_pfn(w, gpa >> PAGE_SHIFT);

        if (!page)
            return -EFAULT;
        memcpy(page + in_page, file + s->offset + done, from_file);
        memset(page + in_page + from_file, 0, n - from_file);
        done += n;
    }
    return 0;
}

static int load_image(const struct domain_config *cfg, const struct start_module *kernel,
                      const struct mbimage *img, struct foreign_window *w, hv_domid_t domid)
{
    char cmdline[XLCFG_KERNEL_MAX + XLCFG_EXTRA_MAX + 1];
    uint8_t *page;
    long n;

    for (unsigned i = 0; i < img->nr_segs; i++) {
        if (load_segment(w, (const uint8_t *)(uintptr_t)kernel->va, &img->seg[i]) < 0) {
            printf("create %s: cannot map the domain's memory at %#llx\n", cfg->name,
                   (unsigned long long)img->seg[i].paddr);
            return -EFAULT;
        }
    }
    fmt_snprintf(cmdline, sizeof(cmdline), "%s%s%s", cfg->kernel, cfg->extra[0] ? " " : "",
                 cfg->extra);
    if (!(page = foreign_map_pfn(w, MBI_GPA >> PAGE_SHIFT))) {
        printf("create %s: cannot map the domain's memory at %#x\n", cfg->name, MBI_GPA);
        return -EFAULT;
    }
    n = mbinfo_write(page, PAGE_SIZE, ram_bytes(cfg), cmdline, domid);
    if (n < 0) {
        printf("create %s: the multiboot info does not fit a page (command line of %zu "
               "bytes)\n", cfg->name, strlen(cmdline));
        return (int)n;
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

static int set_context(const struct domain_config *cfg, hv_domid_t domid,
                       const struct mbimage *img)
{
    struct domctl_hvm_context hc = {
        .vcpu = 0, .mode = HVM_BOOT_PROT32, .rip = img->entry,
        .rax = MB_BOOT_MAGIC, .rbx = MBI_GPA,
    };
    struct domctl op;
    long rc;

    _Static_assert(sizeof(hc) <= sizeof(op.u), "the context fits the domctl");
    memset(&op, 0, sizeof(op));
    memcpy(&op.u, &hc, sizeof(hc));
    if ((rc = xl_domctl(DOMCTL_hvm_setcontext, domid, &op)) < 0)
        printf("create %s: hvm_setcontext failed: %s\n", cfg->name, str_errno((int)rc));
    return (int)rc;
}

int xl_hvm_build(const struct domain_config *cfg, const struct start_module *kernel,
                 const struct mbimage *img, uint32_t pool, hv_domid_t *domid)
{
    uint64_t nr = ram_bytes(cfg) >> PAGE_SHIFT, *mfns;
    struct foreign_window w;
    struct domctl op;
    long rc;
    int rc2;

    memset(&op, 0, sizeof(op));
    str_copy(op.u.createdomain.name, DOMNAME_LEN, cfg->name, strlen(cfg->name));
    op.u.createdomain.max_vcpus = cfg->vcpus;
    op.u.createdomain.flags = DOMCRF_hvm;
    op.u.createdomain.max_pages = nr;
    op.u.createdomain.cpupool = pool;
    if ((rc = xl_domctl(DOMCTL_createdomain, 0, &op)) < 0) {
        printf("create %s: createdomain (HVM) failed: %s\n", cfg->name, str_errno((int)rc));
        return (int)rc;
    }
    *domid = op.domain;
    if ((rc = frame_list(cfg, *domid, nr, &mfns)) < 0)
        return (int)rc;
    if ((rc = foreign_open(&w, *domid, mfns, nr)) < 0) {
        printf("create %s: cannot set up foreign mappings: %s\n", cfg->name,
               str_errno((int)rc));
        return (int)rc;
    }
    rc = load_image(cfg, kernel, img, &w, *domid);
    rc2 = foreign_close(&w);
    if (!rc && rc2) {
        printf("create %s: unmapping the new domain failed: %s\n", cfg->name,
               str_errno(rc2));
        rc = rc2;
    }
    return rc < 0 ? (int)rc : set_context(cfg, *domid, img);
}
