/* The PVH boot protocol for HVM guests: an ELF kernel names its 32-bit physical
 * entry in an ELF note (owner "Xen", type 18, PHYS32_ENTRY: a public number of that
 * note ABI), and is started in flat 32-bit protected mode, paging off, with EBX
 * pointing at an hvm_start_info. Version 1 of that structure adds the memory map,
 * which is how the kernel learns its RAM without firmware; the RSDP address spares
 * it the legacy scan. Linux accepts it when built with CONFIG_PVH. */
#include <hvlab/errno.h>
#include <hvlab/hvmbuild_internal.h>
#include <hvlab/lib.h>

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info layout");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "hvm_modlist_entry layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "hvm_memmap_table_entry layout");

int hvmbuild_pvh_find(const void *img, const struct hvmbuild_elf *e, uint64_t *entry,
                      char *why, size_t why_len)
{
    const uint8_t *desc;
    uint32_t dlen;
    uint64_t v = 0;

    if (hvmbuild_elf_find_note(img, e, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc, &dlen))
        return -ENOENT;
    /* The entry is a 32-bit address, but 64-bit kernels emit it as a quad. */
    if (dlen != 4 && dlen != 8) {
        fmt_snprintf(why, why_len, "PVH entry note has a %u-byte value (4 or 8 expected)",
                     dlen);
        return -EINVAL;
    }
    memcpy(&v, desc, dlen);
    if (v >> 32) {
        fmt_snprintf(why, why_len, "PVH entry 0x%llx is above 4 GiB (a 32-bit entry is "
                     "needed)", (unsigned long long)v);
        return -EINVAL;
    }
    *entry = v;
    return 0;
}

void hvmbuild_pvh_start_info(const struct hvmbuild_layout *l, const struct hvmbuild_config *cfg,
                             uint64_t rsdp_gpa, uint8_t *low)
{
    struct hvm_start_info *si = (void *)(low + HVMBUILD_INFO_GPA);
    struct hvm_memmap_table_entry *mm = (void *)(low + HVMBUILD_MEMMAP_GPA);
    struct hvm_modlist_entry *mods = (void *)(low + HVMBUILD_MODLIST_GPA);
    uint64_t mod_cmd[HVMBUILD_MAX_MODULES];

    hvmbuild_strings(cfg, low, mod_cmd);
    memset(si, 0, sizeof(*si));
    si->magic = HVM_START_MAGIC;
    si->version = 1;
    si->cmdline_paddr = HVMBUILD_CMDLINE_GPA;
    si->rsdp_paddr = rsdp_gpa;
    for (unsigned i = 0; i < l->nr_e820; i++)
        mm[i] = (struct hvm_memmap_table_entry){ l->e820[i].addr, l->e820[i].size,
                                                 l->e820[i].type, 0 };
    si->memmap_paddr = HVMBUILD_MEMMAP_GPA;
    si->memmap_entries = l->nr_e820;
    si->nr_modules = cfg->nr_modules;
    si->modlist_paddr = cfg->nr_modules ? HVMBUILD_MODLIST_GPA : 0;
    for (unsigned i = 0; i < cfg->nr_modules; i++)
        mods[i] = (struct hvm_modlist_entry){ l->module_gpa[i], cfg->modules[i].len,
                                              mod_cmd[i], 0 };
}
