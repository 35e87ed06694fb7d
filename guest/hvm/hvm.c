/* Start-up of an HVM (or native) guest: from boot.S's hvm_main(magic, info) to the
 * runtime's guest_main_init, the same as a PV guest's from there on.
 *
 * Design: the runtime is written against a PV start_info and shared info page; an
 * HVM guest has neither from its loader, so this file makes them: the start_info from
 * the Multiboot v1 info (command line, memory map; the domain id from the boot loader
 * name "hvlab-xl domid=N" that dom0's xl_hvm.c writes, 0 otherwise), and the shared
 * info page from a page of the image, which the hypervisor is asked to put there
 * (memory_op XENMEM_add_to_physmap, as Xen's HVM guests do) or, natively, which
 * native.c fills in itself. Everything needed from the multiboot info is copied
 * before the page allocator may hand its memory out.
 * Limitations: one vCPU (secondaries would need INIT/SIPI through the LAPIC); RAM is
 * the memory-map region holding the image (below 4 GiB: boot.S maps 4 GiB). */
#include "hvm.h"

#define MB_BOOT_MAGIC    0x2badb002
#define MBI_MEMORY       (1u << 0)
#define MBI_CMDLINE      (1u << 2)
#define MBI_MMAP         (1u << 6)
#define MBI_LOADER_NAME  (1u << 9)
#define MMAP_RAM         1
#define LOADER_DOMID     "hvlab-xl domid="

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr, config_table, boot_loader_name;
};

struct mb_mmap {                        /* size counts the bytes after itself */
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

bool hvm_native;
struct shared_info hvm_shared_info __attribute__((aligned(PAGE_SIZE)));
static struct start_info hvm_start_info;
extern char __image_end[], hvm_pml4[];

static __noreturn void early_crash(const char *msg)
{
    hv_console_io(CONSOLEIO_write, strlen(msg), (void *)msg);
    guest_shutdown(SHUTDOWN_crash);
}

/* The end of the RAM region of the memory map that holds the image, or of lower
 * memory's upper part (mem_upper) without a map. 0: neither. */
static uint64_t ram_end(const struct mb_info *mbi)
{
    uint64_t image = (uintptr_t)__image_end;

    if (mbi->flags & MBI_MMAP) {
        uint64_t p = mbi->mmap_addr, end = p + mbi->mmap_length;

        while (p + sizeof(struct mb_mmap) <= end) {
            const struct mb_mmap *m = (const struct mb_mmap *)(uintptr_t)p;

            if (m->type == MMAP_RAM && m->addr <= image && image <= m->addr + m->len)
                return MIN(m->addr + m->len, 1ull << 32);
            p += m->size + sizeof(m->size);
        }
        return 0;
    }
    return mbi->flags & MBI_MEMORY ? (1ull << 20) + ((uint64_t)mbi->mem_upper << 10) : 0;
}

static uint32_t loader_domid(const struct mb_info *mbi)
{
    const char *name;

    if (!(mbi->flags & MBI_LOADER_NAME) || !mbi->boot_loader_name)
        return 0;
    name = (const char *)(uintptr_t)mbi->boot_loader_name;
    if (strncmp(name, LOADER_DOMID, strlen(LOADER_DOMID)) != 0)
        return 0;
    return (uint32_t)strtoull(name + strlen(LOADER_DOMID), NULL, 10);
}

static void start_info_fill(struct start_info *si, const struct mb_info *mbi)
{
    uint64_t end = ram_end(mbi);

    if (!end)
        early_crash("crash: hvm: no RAM region holds the image in the memory map\n");
    memcpy(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC));
    si->domid = loader_domid(mbi);
    si->nr_pages = end >> PAGE_SHIFT;
    si->virt_base = 0;                  /* identity-mapped */
    si->pt_base = (uintptr_t)hvm_pml4;
    si->nr_pt_frames = 6;               /* boot.S: PML4, PDPT, 4 PDs */
    si->shared_info = (uintptr_t)&hvm_shared_info;
    si->first_free_pfn = ALIGN_UP((uintptr_t)__image_end, PAGE_SIZE) >> PAGE_SHIFT;
    si->nr_vcpus = 1;
    if (mbi->flags & MBI_CMDLINE && mbi->cmdline) {
        const char *cl = (const char *)(uintptr_t)mbi->cmdline;

        memcpy(si->cmdline, cl, MIN(strlen(cl), sizeof(si->cmdline) - 1));
    }
}

/* The hypervisor's shared info page in place of our own page (gfn of hvm_shared_info). */
static void shared_info_attach(void)
{
    struct xen_add_to_physmap op = {
        .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0,
        .gpfn = (uintptr_t)&hvm_shared_info >> PAGE_SHIFT,
    };
    long rc = hv_memory_op(XENMEM_add_to_physmap, &op);

    if (rc < 0) {
        char msg[96];

        fmt_snprintf(msg, sizeof(msg), "crash: hvm: mapping the shared info failed: %ld (%s)\n",
                     rc, errno_name(rc));
        early_crash(msg);
    }
}

void hvm_main(uint32_t magic, uint32_t info)
{
    const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)info;

    hvm_native = !hvm_detect_hypervisor();
    if (hvm_native)
        native_init(&hvm_shared_info);
    if (magic != MB_BOOT_MAGIC)
        early_crash("crash: hvm: not started by a Multiboot v1 loader (EAX)\n");
    start_info_fill(&hvm_start_info, mbi);
    if (!hvm_native)
        shared_info_attach();
    guest_main_init(&hvm_start_info);
}
