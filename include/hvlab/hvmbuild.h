/* The HVM domain builder: boot structures for an unmodified kernel in an HVM guest
 * with no firmware. Pure logic (core/lib/hvmbuild_*.c), linked into dom0's toolstack
 * and tested on the host (tests/unit/hvmbuild.mk). It recognises the kernel image,
 * decides where everything goes in guest-physical memory, and writes the ACPI tables,
 * the E820 map, the boot protocol's info structure and the vCPU 0 boot state.
 *
 * Guest-physical layout (RAM is gfns [0, mem_bytes / 4 KiB), hvm-interfaces.md):
 *
 *   0x00000-0x00FFF  left alone (real-mode IVT/BDA: zero, so "no EBDA")
 *   0x01000          GDT: 0x08 flat 32-bit code, 0x10 64-bit code, 0x18 flat data
 *                    (HVM_BOOT_SEL_* in public/domctl.h: the selectors svm loads)
 *   0x02000          PML4, 0x03000 PDPT, 0x04000-0x07FFF four PDs: the first 4 GiB
 *                    identity-mapped with 2 MiB pages (Linux 64-bit entry only)
 *   0x08000          the protocol's info page: multiboot_info, hvm_start_info or the
 *                    Linux zero page (boot_params); Multiboot's boot loader name at
 *                    0x08800
 *   0x09000          memory map (multiboot mmap / hvm_memmap_table_entry), then at
 *                    0x09800 the module list
 *   0x0A000          kernel command line (HVMBUILD_CMDLINE_MAX bytes with its NUL)
 *   0x0B000          module command lines, packed
 *   0x9F000-0xFFFFF  reserved in the E820 (as firmware leaves it); its first page,
 *                    0x9F000, is the store's ring page (HVM_PARAM_STORE_PFN, set by
 *                    the toolstack: dom0/xl_hvm.c); the ACPI tables
 *                    at 0xE0000 (RSDP first, so legacy scans of 0xE0000-0xFFFFF find
 *                    it), marked ACPI (type 3) in the E820
 *   0x100000-        the kernel (where its headers ask), modules and the initrd at
 *                    the top of RAM going down (page-aligned)
 *   0xFEC00000       IOAPIC, 0xFEE00000 LAPIC: trapped windows, reserved in the E820
 *
 * Use: hvmbuild_detect() on the image, hvmbuild_layout() with the config (every
 * refusal happens here, before the toolstack allocates anything), then
 * hvmbuild_populate() into the new domain's memory through a write callback.
 * Refusals are negative errnos after one message through cfg->report naming the file
 * and the problem. */
#ifndef HVLAB_HVMBUILD_H
#define HVLAB_HVMBUILD_H

#include <hvlab/types.h>

/* ---- fixed guest-physical addresses ---- */
#define HVMBUILD_GDT_GPA        0x1000ULL
#define HVMBUILD_PT_GPA         0x2000ULL       /* PML4; PDPT and PDs follow */
#define HVMBUILD_PT_PAGES       6               /* PML4, PDPT, 4 PDs */
#define HVMBUILD_INFO_GPA       0x8000ULL
#define HVMBUILD_LOADER_GPA     0x8800ULL       /* Multiboot boot_loader_name */
#define HVMBUILD_MEMMAP_GPA     0x9000ULL
#define HVMBUILD_MODLIST_GPA    0x9800ULL
#define HVMBUILD_CMDLINE_GPA    0xA000ULL
#define HVMBUILD_MODCMD_GPA     0xB000ULL
#define HVMBUILD_LOW_BASE       HVMBUILD_GDT_GPA
#define HVMBUILD_LOW_END        0xC000ULL       /* the builder's low structures */
#define HVMBUILD_HOLE_BASE      0x9F000ULL      /* reserved up to 1 MiB */
#define HVMBUILD_HOLE_END       0x100000ULL
#define HVMBUILD_STORE_GPA      HVMBUILD_HOLE_BASE  /* the store page: reserved RAM */
#define HVMBUILD_ACPI_GPA       0xE0000ULL
#define HVMBUILD_ACPI_MAX       0x10000ULL      /* room for the tables */
#define HVMBUILD_IOAPIC_GPA     0xFEC00000ULL
#define HVMBUILD_LAPIC_GPA      0xFEE00000ULL
#define HVMBUILD_MIN_MEM        (2ULL << 20)
#define HVMBUILD_MAX_MEM        HVMBUILD_IOAPIC_GPA  /* RAM must stay below the windows */

#define HVMBUILD_CMDLINE_MAX    4096            /* bytes, the NUL included */
#define HVMBUILD_MODCMD_MAX     4096            /* all module strings, NULs included */
#define HVMBUILD_LOADER_MAX     256             /* boot loader name, the NUL included */
#define HVMBUILD_MAX_MODULES    16
#define HVMBUILD_MAX_SEGS       16
/* xAPIC ids are 8 bits and 0xFF is the broadcast id: vCPU i gets APIC id i. */
#define HVMBUILD_MAX_VCPUS      255
#define HVMBUILD_MAX_VNODES     8

/* ---- the fixed-function ACPI hardware the FADT describes: vdev's vpmtimer.c
 * implements it, with the same numbers (VPM_* in include/hvlab/hvm/vdev.h) ---- */
#define HVMBUILD_PM1A_EVT_PORT  0xB000          /* PM1_STS + PM1_EN, 4 bytes */
#define HVMBUILD_PM1A_CNT_PORT  0xB004          /* PM1_CNT, 2 bytes */
#define HVMBUILD_PM_TMR_PORT    0xB008          /* PM timer, 4 bytes, 32-bit counter */
#define HVMBUILD_SCI_IRQ        9
#define HVMBUILD_RESET_PORT     0xCF9           /* FADT reset register (byte) */
#define HVMBUILD_RESET_VALUE    0x06
#define HVMBUILD_S5_SLP_TYP     5               /* \_S5 = Package {5, 5, 0, 0} */

/* The IOAPIC's APIC ID: the first after the vCPUs' LAPIC IDs (0 .. n-1), so that no
 * two APICs of the domain share one. The MADT says it and the vIOAPIC's ID register
 * reads it (core/arch/x86/svm/hvm_platform.c). */
static inline uint8_t hvmbuild_ioapic_id(unsigned nr_vcpus)
{
    return (uint8_t)nr_vcpus;
}

/* E820 types. */
enum {
    E820_RAM      = 1,
    E820_RESERVED = 2,
    E820_ACPI     = 3,
    E820_NVS      = 4,
};

/* The Linux zero page's layout of an entry (20 bytes, packed). */
struct hvmbuild_e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

#define HVMBUILD_E820_MAX 16    /* the builder never makes more than 8 */

/* ---- config ---- */

struct hvmbuild_module {
    const void *data;
    uint64_t len;
    const char *cmdline;        /* NULL = "" */
};

/* Virtual NUMA (issue 13): node n owns the RAM from the sum of the earlier nodes'
 * mem_bytes on; vcpu_node[i] is vCPU i's node. nr_nodes 0 or 1: no SRAT/SLIT. */
struct hvmbuild_numa {
    unsigned nr_nodes;
    uint64_t mem_bytes[HVMBUILD_MAX_VNODES];    /* sum = the domain's memory */
    uint8_t  vcpu_node[HVMBUILD_MAX_VCPUS];
    uint8_t  distance[HVMBUILD_MAX_VNODES][HVMBUILD_MAX_VNODES];  /* 0: 10 or 20 */
};

struct hvmbuild_config {
    uint64_t mem_bytes;         /* guest RAM, a multiple of 4 KiB */
    unsigned nr_vcpus;          /* 0 means 1 */
    const char *cmdline;        /* NULL = "" */
    unsigned nr_modules;        /* Linux: at most 1, the initrd */
    const struct hvmbuild_module *modules;
    const struct hvmbuild_numa *numa;   /* NULL: no SRAT/SLIT */
    /* Multiboot only: the info's boot_loader_name (NULL: none). dom0 says
     * "hvlab-xl domid=N" there, which hvlab's own HVM runtime reads its id from. */
    const char *loader_name;
    /* One line per refusal, naming the file (may be NULL). */
    void (*report)(void *arg, const char *msg);
    void *report_arg;
};

/* ---- the image ---- */

enum hvmbuild_protocol {
    HVMBUILD_MULTIBOOT = 1,     /* Multiboot v1: 32-bit, EAX magic, EBX info */
    HVMBUILD_PVH,               /* ELF with the PHYS32_ENTRY note: 32-bit, EBX start_info */
    HVMBUILD_LINUX64,           /* bzImage, Linux 64-bit boot protocol: RSI zero page */
};

enum hvmbuild_format {
    HVMBUILD_FMT_ELF32 = 1,
    HVMBUILD_FMT_ELF64,
    HVMBUILD_FMT_AOUT_KLUDGE,   /* Multiboot header with the address fields (flag 16) */
    HVMBUILD_FMT_BZIMAGE,
};

/* File bytes [offset, offset + filesz) go to guest-physical paddr, zeros up to memsz. */
struct hvmbuild_segment {
    uint64_t paddr, memsz;
    uint64_t offset, filesz;
};

/* What the Linux loader reads from a bzImage's setup header. */
struct hvmbuild_linux_info {
    uint16_t version;           /* boot protocol, 0x020F = 2.15 */
    uint8_t  setup_sects;       /* 0 in the file means 4 */
    uint8_t  loadflags;
    uint16_t xloadflags;
    uint8_t  relocatable;
    uint32_t syssize;           /* protected-mode part, 16-byte units */
    uint32_t kernel_alignment;
    uint64_t pref_address;
    uint32_t init_size;         /* memory the kernel needs from its load address */
    uint32_t initrd_addr_max;   /* highest byte address an initrd may use */
    uint32_t cmdline_size;      /* longest command line, NUL excluded */
    uint32_t hdr_end;           /* file offset just past the setup header */
};

struct hvmbuild_image {
    const char *name;           /* for messages */
    const void *data;
    size_t len;
    enum hvmbuild_protocol proto;
    enum hvmbuild_format format;
    uint64_t entry;             /* guest-physical; Linux: the 64-bit entry's offset */
    unsigned nr_segs;
    struct hvmbuild_segment seg[HVMBUILD_MAX_SEGS];
    uint32_t mb_flags;          /* Multiboot header flags */
    uint32_t mb_header_off;     /* file offset of the Multiboot header */
    struct hvmbuild_linux_info lx;
};

/* Recognises img (len bytes, called name in messages): a bzImage, an ELF32/ELF64 with
 * the PVH note, or a Multiboot v1 image (ELF or a.out kludge); PVH wins over
 * Multiboot when an ELF has both. 0, or -EINVAL after a message naming the file and
 * the problem. report may be NULL. */
int hvmbuild_detect(const void *img, size_t len, const char *name, struct hvmbuild_image *out,
                    void (*report)(void *, const char *), void *arg);

/* ---- the layout ---- */

struct hvmbuild_layout {
    uint64_t mem_bytes;
    unsigned nr_vcpus;
    enum hvmbuild_protocol proto;
    uint64_t entry;             /* guest-physical entry point */
    uint64_t kernel_lo, kernel_hi;      /* what the kernel occupies (Linux: init_size) */
    unsigned nr_segs;
    struct hvmbuild_segment seg[HVMBUILD_MAX_SEGS];     /* relocated for Linux */
    uint64_t module_gpa[HVMBUILD_MAX_MODULES];
    uint64_t modules_lo;        /* lowest module byte; mem_bytes when none */
    uint64_t acpi_gpa, acpi_len;
    unsigned nr_e820;
    struct hvmbuild_e820_entry e820[HVMBUILD_E820_MAX];
};

/* Checks the config against the image (vCPUs, memory size, command lines, modules,
 * NUMA), places the kernel, modules and ACPI tables and builds the E820. 0 or a
 * negative errno after a message: -EINVAL (bad config or image), -E2BIG (too many
 * vCPUs/modules, strings too long), -ENOMEM (memory too small or too large). */
int hvmbuild_layout(const struct hvmbuild_image *img, const struct hvmbuild_config *cfg,
                    struct hvmbuild_layout *out);

/* ---- populating the guest ---- */

enum hvmbuild_boot_mode {
    HVMBUILD_BOOT_PROT32 = 1,   /* flat 32-bit protected mode, paging off */
    HVMBUILD_BOOT_LONG64,       /* 64-bit mode, cr3 = identity tables, gdt_base set */
};

/* vCPU 0's boot state: DOMCTL_hvm_setcontext's fields, one for one (the modes have the
 * values of HVM_BOOT_PROT32 and HVM_BOOT_LONG64 in include/public/domctl.h). */
struct hvmbuild_vcpu_state {
    enum hvmbuild_boot_mode mode;
    uint64_t rip, rsp, rax, rbx, rsi, cr3;
    uint64_t gdt_base;
    uint16_t gdt_limit;
};

/* Writes len bytes of src (NULL: zeros) at guest-physical gpa, inside RAM. 0, or a
 * negative errno that fails the build. */
typedef int (*hvmbuild_write_fn)(void *ctx, uint64_t gpa, const void *src, uint64_t len);

/* Scratch the caller lends populate: the low structures and the ACPI tables are
 * assembled there and written with one call each. */
#define HVMBUILD_SCRATCH_BYTES  (HVMBUILD_LOW_END + HVMBUILD_ACPI_MAX)

/* Writes the kernel (bss zeroed), modules, ACPI tables and the protocol's structures
 * of a layout from hvmbuild_layout() (same img, cfg), and fills *vs. Touches only
 * the kernel's segments, the modules, [HVMBUILD_LOW_BASE, HVMBUILD_LOW_END) and the
 * ACPI region. 0 or the first negative errno of write (after a message). */
int hvmbuild_populate(const struct hvmbuild_layout *l, const struct hvmbuild_image *img,
                      const struct hvmbuild_config *cfg, hvmbuild_write_fn write, void *ctx,
                      void *scratch, struct hvmbuild_vcpu_state *vs);

/* ---- the pieces (each pure, each tested on its own) ---- */

/* hvmbuild_e820.c: the map for mem_bytes of RAM with the ACPI tables at
 * [acpi_gpa, +acpi_len) (acpi_len 0: none). Sorted, non-overlapping. Returns the
 * number of entries, or -EINVAL (mem_bytes outside [HVMBUILD_MIN_MEM,
 * HVMBUILD_MAX_MEM] or not page-aligned) / -ENOSPC (more than max entries). */
int hvmbuild_e820(uint64_t mem_bytes, uint64_t acpi_gpa, uint64_t acpi_len,
                  struct hvmbuild_e820_entry *out, unsigned max);

/* hvmbuild_acpi.c: what the tables describe. */
struct hvmbuild_acpi_params {
    unsigned nr_vcpus;          /* 1 .. HVMBUILD_MAX_VCPUS */
    const struct hvmbuild_numa *numa;   /* NULL or <= 1 node: no SRAT/SLIT */
};

struct hvmbuild_acpi_info {
    uint64_t rsdp_gpa;
    uint64_t len;               /* bytes used from the region's start */
    uint64_t fadt_gpa, madt_gpa, dsdt_gpa, facs_gpa, srat_gpa, slit_gpa;
};

/* FADT revision 5 (ACPI 5.1, 268 bytes, not hardware-reduced), XSDT and RSDT, MADT,
 * FACS, DSDT with \_S5, and SRAT/SLIT for 2+ virtual nodes, written into buf (len
 * bytes, zeroed first), which the guest sees at gpa (16-byte aligned, below 4 GiB).
 * RSDP first. 0, -EINVAL (bad params) or -ENOSPC (len too small). */
int hvmbuild_acpi_build(const struct hvmbuild_acpi_params *p, void *buf, size_t len,
                        uint64_t gpa, struct hvmbuild_acpi_info *out);

/* Bytes hvmbuild_acpi_build needs for p (no checks). */
size_t hvmbuild_acpi_size(const struct hvmbuild_acpi_params *p);

/* hvmbuild_acpi_vnuma.c: a domain's virtual NUMA layout (public/vnuma.h, checked) as
 * the SRAT/SLIT describe it: vnode v is proximity domain v, its RAM the layout's
 * pfn range. */
struct vnuma_layout;
void hvmbuild_numa_from_vnuma(struct hvmbuild_numa *out, const struct vnuma_layout *l);

#endif
