/* `hvm-flat <module> <name> <MiB> [<ebx>]`: the smallest HVM domain builder, for the
 * SVM core's own boot tests (tests/boot/test_svm.py). It loads a flat 32-bit image
 * (a boot module) at guest physical 1 MiB and starts vCPU 0 there in 32-bit
 * protected mode with paging off, EBX = <ebx> (default 0), one vCPU, in pool 0.
 * No E820, no boot protocol: the full HVM builder is `create` with type = "hvm".
 *
 * Steps: createdomain (DOMCRF_hvm: the hypervisor allocates and maps all of its RAM,
 * gfn i -> frame i) -> getpageframeinfo (the gfn -> mfn list) -> the image written
 * through foreign mappings -> DOMCTL_hvm_setcontext -> unpause. Output:
 * "hvm-flat <name>: domain <id>", or "hvm-flat <name>: <why>" (the half-built domain
 * destroyed). */
#include "dom0.h"
#include "domhooks.h"
#include "foreign.h"
#include "modules.h"
#include "strutil.h"
#include "xl.h"

#define FLAT_LOAD_GPA 0x100000ULL

static int flat_load(const char *name, hv_domid_t dom, uint64_t nr_pages,
                     const struct start_module *m)
{
    uint64_t pages = ALIGN_UP(nr_pages * sizeof(uint64_t), PAGE_SIZE) >> PAGE_SHIFT;
    uint64_t *mfns = xl_scratch(pages);
    struct foreign_window w;
    struct domctl op;
    long rc;

    if (!mfns) {
        printf("hvm-flat %s: no room for a %llu-entry frame list\n", name,
               (unsigned long long)nr_pages);
        return -ENOMEM;
    }
    memset(&op, 0, sizeof(op));
    op.u.getpageframeinfo.mfn_list = (uint64_t)(uintptr_t)mfns;
    op.u.getpageframeinfo.max = nr_pages;
    if ((rc = xl_domctl(DOMCTL_getpageframeinfo, dom, &op)) < 0 ||
        op.u.getpageframeinfo.nr != nr_pages) {
        printf("hvm-flat %s: getpageframeinfo failed: %s\n", name, str_errno((int)rc));
        return rc < 0 ? (int)rc : -EIO;
    }
    if ((rc = foreign_open(&w, dom, mfns, nr_pages)) < 0) {
        printf("hvm-flat %s: cannot map the domain: %s\n", name, str_errno((int)rc));
        return (int)rc;
    }
    for (uint64_t off = 0; off < m->len && rc == 0; off += PAGE_SIZE) {
        uint8_t *page = foreign_map_pfn(&w, (FLAT_LOAD_GPA + off) >> PAGE_SHIFT);
        if (!page) {
            rc = -EFAULT;
            break;
        }
        memcpy(page, (const uint8_t *)(uintptr_t)m->va + off, MIN(PAGE_SIZE, m->len - off));
    }
    long rc2 = foreign_close(&w);
    if (rc || rc2)
        printf("hvm-flat %s: writing the image failed: %s\n", name,
               str_errno((int)(rc ? rc : rc2)));
    return (int)(rc ? rc : rc2);
}

int xl_hvm_flat(int argc, char **argv)
{
    const char *name = argv[2];
    const struct start_module *m = module_find(start_info, argv[1]);
    uint64_t mib, ebx = 0;
    struct domctl op;
    hv_domid_t dom;
    long rc;

    if (!m) {
        printf("hvm-flat %s: no boot module named '%s'\n", name, argv[1]);
        return -ENOENT;
    }
    if (str_to_dec(argv[3], &mib) || mib < 2 || mib > 3072 ||
        (argc > 4 && str_to_dec(argv[4], &ebx))) {
        printf("hvm-flat %s: expected <MiB> 2..3072 and a decimal <ebx>\n", name);
        return -EINVAL;
    }
    if (m->len > (mib << 20) - FLAT_LOAD_GPA) {
        printf("hvm-flat %s: '%s' (%llu bytes) does not fit at 1 MiB in %llu MiB\n", name,
               argv[1], (unsigned long long)m->len, (unsigned long long)mib);
        return -EINVAL;
    }
    memset(&op, 0, sizeof(op));
    str_copy(op.u.createdomain.name, DOMNAME_LEN, name, strlen(name));
    op.u.createdomain.max_vcpus = 1;
    op.u.createdomain.max_pages = mib << (20 - PAGE_SHIFT);
    op.u.createdomain.flags = DOMCRF_hvm;
    if ((rc = xl_domctl(DOMCTL_createdomain, 0, &op)) < 0) {
        printf("hvm-flat %s: createdomain failed: %s\n", name, str_errno((int)rc));
        return (int)rc;
    }
    dom = op.domain;
    rc = flat_load(name, dom, mib << (20 - PAGE_SHIFT), m);
    if (rc == 0) {
        memset(&op, 0, sizeof(op));
        op.u.hvm_context.vcpu = 0;
        op.u.hvm_context.mode = HVM_BOOT_PROT32;
        op.u.hvm_context.rip = FLAT_LOAD_GPA;
        op.u.hvm_context.rbx = ebx;
        if ((rc = xl_domctl(DOMCTL_hvm_setcontext, dom, &op)) < 0)
            printf("hvm-flat %s: hvm_setcontext failed: %s\n", name, str_errno((int)rc));
    }
    if (rc == 0) {
        memset(&op, 0, sizeof(op));
        if ((rc = xl_domctl(DOMCTL_unpausedomain, dom, &op)) < 0)
            printf("hvm-flat %s: unpause failed: %s\n", name, str_errno((int)rc));
    }
    if (rc < 0) {
        dom0_domain_destroy(dom);
        printf("hvm-flat %s: domain %u destroyed\n", name, dom);
        return (int)rc;
    }
    printf("hvm-flat %s: domain %u\n", name, dom);
    return 0;
}
