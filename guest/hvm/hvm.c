/* Start-up of an HVM (or native) guest: from boot.S's hvm_main(magic, info) to the
 * runtime's guest_main_init, the same as a PV guest's from there on.
 *
 * Design: the runtime is written against a PV start_info and shared info page; an
 * HVM guest has neither from its loader, so this file makes them: the start_info from
 * the Multiboot v1 info (mbinfo.c: command line, memory map; the domain id from the
 * boot loader name "hvlab-xl domid=N" that dom0's xl_hvm.c writes, 0 otherwise),
 * and the shared info page from a page of the image, which the hypervisor is asked
 * to put there (HVMOP_map_shared_info; Xen's HVM guests do the same with
 * XENMEM_add_to_physmap) or, natively, which native.c fills in itself. Everything needed from the multiboot info is copied
 * before the page allocator may hand its memory out.
 * The vCPU count is the MADT's (smp_hvm.c starts the others by INIT/SIPI). RAM is
 * the memory-map region holding the image (below 4 GiB: boot.S maps 4 GiB). */
#include "hvm.h"
#include "mbinfo.h"
#include "smp_hvm.h"

#define MB_BOOT_MAGIC    0x2badb002

bool hvm_native;
/* A page of its own: the hypervisor's page replaces all of it. */
static union {
    struct shared_info si;
    uint8_t page[PAGE_SIZE];
} hvm_shared_page __attribute__((aligned(PAGE_SIZE)));
static struct start_info hvm_start_info;
extern char __image_end[], hvm_pml4[];

static __noreturn void early_crash(const char *msg)
{
    hv_console_io(CONSOLEIO_write, strlen(msg), (void *)msg);
    guest_shutdown(SHUTDOWN_crash);
}

/* Identity: boot.S maps the first 4 GiB. */
static const void *phys(void *arg, uint64_t gpa, size_t len)
{
    return gpa + len <= (1ull << 32) ? (const void *)(uintptr_t)gpa : NULL;
}

static void start_info_fill(struct start_info *si, uint32_t info)
{
    const char *why = "";
    char msg[96];

    if (mbinfo_read(phys, NULL, info, (uintptr_t)__image_end, si, &why) < 0) {
        fmt_snprintf(msg, sizeof(msg), "crash: hvm: %s\n", why);
        early_crash(msg);
    }
    si->virt_base = 0;                  /* identity-mapped */
    si->pt_base = (uintptr_t)hvm_pml4;
    si->nr_pt_frames = 6;               /* boot.S: PML4, PDPT, 4 PDs */
    si->shared_info = (uintptr_t)&hvm_shared_page;
    si->first_free_pfn = ALIGN_UP((uintptr_t)__image_end, PAGE_SIZE) >> PAGE_SHIFT;
}

/* The hypervisor's shared info page in place of our own page (gfn of hvm_shared_page). */
static void shared_info_attach(void)
{
    struct hvm_map_shared_info op = { .gfn = (uintptr_t)&hvm_shared_page >> PAGE_SHIFT };
    long rc = _hc(HYPERVISOR_hvm_op, HVMOP_map_shared_info, &op, 0, 0, 0);

    if (rc < 0) {
        char msg[96];

        fmt_snprintf(msg, sizeof(msg), "crash: hvm: mapping the shared info failed: %ld (%s)\n",
                     rc, errno_name(rc));
        early_crash(msg);
    }
}

void hvm_main(uint32_t magic, uint32_t info)
{
    hvm_smp_probe();
    hvm_native = !hvm_detect_hypervisor();
    if (hvm_native)
        native_init(&hvm_shared_page.si);
    if (magic != MB_BOOT_MAGIC)
        early_crash("crash: hvm: not started by a Multiboot v1 loader (EAX)\n");
    start_info_fill(&hvm_start_info, info);
    hvm_start_info.nr_vcpus = hvm_smp_count();
    if (!hvm_native)
        shared_info_attach();
    guest_main_init(&hvm_start_info);
}
