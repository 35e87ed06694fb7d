/* From the loader's memory map to working allocators: usable RAM goes to the boot
 * allocator minus what must survive (low 1 MiB with the trampoline and firmware data,
 * the image, the multiboot structures and modules); the page tables and frame table
 * are carved from it; what is left goes to the per-node buddy allocator. */
#include <hvlab/addr.h>
#include <hvlab/boot.h>
#include <hvlab/bootmem.h>
#include <hvlab/mm.h>
#include <hvlab/multiboot.h>
#include <hvlab/panic.h>
#include <hvlab/printk.h>
#include <hvlab/topology.h>

struct boot_info boot_info;
extern const char __image_start_phys[], __image_end[];

static void *early_alloc(size_t bytes)
{
    paddr_t pa = bootmem_alloc(bytes, PAGE_SIZE);
    if (!pa)
        panic("mem: boot allocator cannot give %zu bytes", bytes);
    return __va(pa);
}

static void mem_read_mmap(const struct multiboot_info *mbi)
{
    if (!(mbi->flags & MBI_FLAG_MMAP))
        panic("mem: the loader gave no memory map");
    paddr_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
    while (p < end) {
        const struct multiboot_mmap *e = __va(p);
        pr_debug("mem: e820 0x%016lx-0x%016lx type %u\n", e->addr, e->addr + e->len, e->type);
        if (e->type == MB_MMAP_AVAILABLE) {
            bootmem_add_range(e->addr, e->addr + e->len);
            boot_info.ram_bytes += e->len;
        }
        p += e->size + sizeof(e->size);
    }
}

/* Loaders put the file's path first ("build/guest/a.elf a.elf args"): a module is
 * known by what follows the path, or by the path's last component when nothing does. */
static const char *module_name(const char *s)
{
    const char *sp = strchr(s, ' '), *base = s;
    if (sp) {
        while (*sp == ' ')
            sp++;
        if (*sp)
            return sp;
    }
    for (const char *p = s; *p && *p != ' '; p++)
        if (*p == '/')
            base = p + 1;
    return base;
}

static void mem_reserve_boot_data(const struct multiboot_info *mbi)
{
    bootmem_reserve(0, MiB(1));
    bootmem_reserve((paddr_t)__image_start_phys, __pa(__image_end));
    bootmem_reserve(__pa(mbi), __pa(mbi) + sizeof(*mbi));
    bootmem_reserve(mbi->mmap_addr, mbi->mmap_addr + mbi->mmap_length);
    if (mbi->flags & MBI_FLAG_CMDLINE)
        bootmem_reserve(mbi->cmdline, mbi->cmdline + 4096);
    if (!(mbi->flags & MBI_FLAG_MODS))
        return;
    const struct multiboot_mod *m = __va(mbi->mods_addr);
    bootmem_reserve(mbi->mods_addr, mbi->mods_addr + mbi->mods_count * sizeof(*m));
    for (uint32_t i = 0; i < mbi->mods_count; i++) {
        bootmem_reserve(m[i].mod_start, ALIGN_UP((paddr_t)m[i].mod_end, PAGE_SIZE));
        bootmem_reserve(m[i].string, m[i].string + 4096);
        if (i < MAX_BOOT_MODULES) {
            boot_info.modules[i] = (struct boot_module){
                m[i].mod_start, m[i].mod_end,
                module_name(m[i].string ? __va(m[i].string) : "") };
            boot_info.nr_modules++;
        }
    }
}

void mem_init(const void *mbi_va)
{
    const struct multiboot_info *mbi = mbi_va;
    paddr_t starts[64], ends[64];

    mem_read_mmap(mbi);
    mem_reserve_boot_data(mbi);
    paging_init(bootmem_max_addr());
    frame_table_init(bootmem_max_addr(), early_alloc);
    page_alloc_init(&topo);

    unsigned n = bootmem_ranges(starts, ends, 64);
    for (unsigned i = 0; i < n; i++)
        page_alloc_add_range(starts[i], ends[i]);
    pr_info("mem: %lu MiB usable RAM, %lu MiB free for allocation, %u boot module%s\n",
            boot_info.ram_bytes >> 20, (frames_free_all() * PAGE_SIZE) >> 20,
            boot_info.nr_modules, boot_info.nr_modules == 1 ? "" : "s");
}
