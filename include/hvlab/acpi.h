/* ACPI table layouts and the parsers that turn the firmware's tables into a struct
 * topology (core/acpi_parse.c). The parsers are pure logic, tested on the host against
 * tables captured from QEMU (tests/data/acpi/). They never trust table contents:
 * every length is checked against the enclosing table, and a malformed table yields
 * -EINVAL and a message through acpi_report, never an out-of-bounds read.
 *
 * Contract shared by every parser taking a `const struct acpi_header *h`: the caller
 * has made the 36-byte header and h->length bytes at h readable (acpi_find_table
 * returns such pointers). */
#ifndef HVLAB_ACPI_H
#define HVLAB_ACPI_H

#include "topology.h"
#include "types.h"

/* Tables sit at arbitrary byte addresses (QEMU packs them back to back), so every
 * layout is packed and every field may be unaligned. */
#define __acpi_packed __attribute__((packed))

struct acpi_rsdp {
    char     signature[8];      /* "RSD PTR " */
    uint8_t  checksum;          /* over the first 20 bytes */
    char     oem_id[6];
    uint8_t  revision;          /* 0: ACPI 1.0, RSDT only; >= 2: fields below valid */
    uint32_t rsdt_address;
    uint32_t length;            /* whole structure, >= 36 */
    uint64_t xsdt_address;
    uint8_t  ext_checksum;      /* over `length` bytes */
    uint8_t  reserved[3];
} __acpi_packed;

#define ACPI_RSDP_V1_LEN 20

struct acpi_header {
    char     signature[4];
    uint32_t length;            /* whole table, header included */
    uint8_t  revision;
    uint8_t  checksum;          /* all `length` bytes sum to 0 */
    char     oem_id[6];
    char     oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __acpi_packed;

/* Interrupt-controller structures and SRAT affinity structures share this prefix. */
struct acpi_subtable {
    uint8_t type;
    uint8_t length;             /* whole entry, these two bytes included */
} __acpi_packed;

/* MADT ("APIC"). */
struct acpi_madt {
    struct acpi_header h;
    uint32_t lapic_address;
    uint32_t flags;             /* bit 0: PC-AT compatible dual 8259 present */
} __acpi_packed;

enum {
    ACPI_MADT_LAPIC          = 0,
    ACPI_MADT_IOAPIC         = 1,
    ACPI_MADT_ISO            = 2,       /* interrupt source override */
    ACPI_MADT_LAPIC_NMI      = 4,
    ACPI_MADT_LAPIC_OVERRIDE = 5,
    ACPI_MADT_X2APIC         = 9,
};
#define ACPI_MADT_ENABLED        (1u << 0)
#define ACPI_MADT_ONLINE_CAPABLE (1u << 1)      /* MADT revision >= 5 only */

struct acpi_madt_lapic {
    struct acpi_subtable s;
    uint8_t  processor_uid;
    uint8_t  apic_id;
    uint32_t flags;
} __acpi_packed;

struct acpi_madt_ioapic {
    struct acpi_subtable s;
    uint8_t  ioapic_id;
    uint8_t  reserved;
    uint32_t address;
    uint32_t gsi_base;
} __acpi_packed;

/* ISA IRQ `source` arrives on GSI `gsi`; flags as ACPI_MPS_*. */
struct acpi_madt_iso {
    struct acpi_subtable s;
    uint8_t  bus;               /* 0: ISA */
    uint8_t  source;
    uint32_t gsi;
    uint16_t flags;
} __acpi_packed;

/* MPS INTI flags of overrides and NMI entries. */
#define ACPI_MPS_ACTIVE_HIGH    0x1
#define ACPI_MPS_ACTIVE_LOW     0x3
#define ACPI_MPS_EDGE           (0x1 << 2)
#define ACPI_MPS_LEVEL          (0x3 << 2)

struct acpi_madt_lapic_nmi {
    struct acpi_subtable s;
    uint8_t  processor_uid;     /* 0xFF: every processor */
    uint16_t flags;
    uint8_t  lint;              /* LINT0 or LINT1 */
} __acpi_packed;

struct acpi_madt_lapic_override {
    struct acpi_subtable s;
    uint16_t reserved;
    uint64_t address;
} __acpi_packed;

struct acpi_madt_x2apic {
    struct acpi_subtable s;
    uint16_t reserved;
    uint32_t x2apic_id;
    uint32_t flags;
    uint32_t processor_uid;
} __acpi_packed;

/* SRAT. */
struct acpi_srat {
    struct acpi_header h;
    uint32_t table_revision;    /* reserved, 1 */
    uint64_t reserved;
} __acpi_packed;

enum {
    ACPI_SRAT_CPU_AFFINITY    = 0,
    ACPI_SRAT_MEM_AFFINITY    = 1,
    ACPI_SRAT_X2APIC_AFFINITY = 2,
};
#define ACPI_SRAT_ENABLED       (1u << 0)
#define ACPI_SRAT_MEM_HOTPLUG   (1u << 1)

struct acpi_srat_cpu {
    struct acpi_subtable s;
    uint8_t  pxm_lo;            /* proximity domain bits 7:0 */
    uint8_t  apic_id;
    uint32_t flags;
    uint8_t  sapic_eid;
    uint8_t  pxm_hi[3];         /* bits 31:8, SRAT revision >= 2 only */
    uint32_t clock_domain;
} __acpi_packed;

struct acpi_srat_mem {
    struct acpi_subtable s;
    uint32_t pxm;               /* only bits 7:0 before SRAT revision 2 */
    uint16_t reserved1;
    uint64_t base;
    uint64_t length;
    uint32_t reserved2;
    uint32_t flags;
    uint64_t reserved3;
} __acpi_packed;

struct acpi_srat_x2apic {
    struct acpi_subtable s;
    uint16_t reserved1;
    uint32_t pxm;
    uint32_t x2apic_id;
    uint32_t flags;
    uint32_t clock_domain;
    uint32_t reserved2;
} __acpi_packed;

/* SLIT: localities x localities bytes follow, row = from, column = to. */
struct acpi_slit {
    struct acpi_header h;
    uint64_t localities;
    uint8_t  entry[];
} __acpi_packed;

#define ACPI_DISTANCE_LOCAL 10
#define ACPI_DISTANCE_REMOTE 20         /* default when there is no SLIT */

/* Generic Address Structure. */
struct acpi_gas {
    uint8_t  space_id;          /* 0 memory, 1 system I/O */
    uint8_t  bit_width;
    uint8_t  bit_offset;
    uint8_t  access_size;
    uint64_t address;
} __acpi_packed;

#define ACPI_GAS_SYSTEM_IO 1

/* FADT ("FACP"). Revision 1 ends at `flags` + reset fields (116 bytes: what QEMU's
 * pc machine provides); the 64-bit X_ fields exist only when the length covers them. */
struct acpi_fadt {
    struct acpi_header h;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t  reserved0;
    uint8_t  preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t  acpi_enable;
    uint8_t  acpi_disable;
    uint8_t  s4bios_req;
    uint8_t  pstate_cnt;
    uint32_t pm1a_evt_blk;
    uint32_t pm1b_evt_blk;
    uint32_t pm1a_cnt_blk;
    uint32_t pm1b_cnt_blk;
    uint32_t pm2_cnt_blk;
    uint32_t pm_tmr_blk;
    uint32_t gpe0_blk;
    uint32_t gpe1_blk;
    uint8_t  pm1_evt_len;
    uint8_t  pm1_cnt_len;
    uint8_t  pm2_cnt_len;
    uint8_t  pm_tmr_len;        /* 4 when the PM timer exists, else 0 */
    uint8_t  gpe0_blk_len;
    uint8_t  gpe1_blk_len;
    uint8_t  gpe1_base;
    uint8_t  cst_cnt;
    uint16_t p_lvl2_lat;
    uint16_t p_lvl3_lat;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t  duty_offset;
    uint8_t  duty_width;
    uint8_t  day_alrm;
    uint8_t  mon_alrm;
    uint8_t  century;
    uint16_t iapc_boot_arch;
    uint8_t  reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t  reset_value;
    uint16_t arm_boot_arch;
    uint8_t  minor_version;
    uint64_t x_firmware_ctrl;   /* from here on: FADT revision >= 2 (length >= 148+) */
    uint64_t x_dsdt;
    struct acpi_gas x_pm1a_evt_blk;
    struct acpi_gas x_pm1b_evt_blk;
    struct acpi_gas x_pm1a_cnt_blk;
    struct acpi_gas x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk;
    struct acpi_gas x_pm_tmr_blk;
    struct acpi_gas x_gpe0_blk;
    struct acpi_gas x_gpe1_blk;
    struct acpi_gas sleep_control_reg;  /* FADT revision >= 5 (length >= 268) */
    struct acpi_gas sleep_status_reg;
} __acpi_packed;

#define ACPI_FADT_V1_LEN        116
#define ACPI_FADT_V5_LEN        268
#define ACPI_FADT_WBINVD        (1u << 0)
#define ACPI_FADT_C1_SUPPORTED  (1u << 2)
#define ACPI_FADT_PWR_BUTTON    (1u << 4)       /* set: no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON    (1u << 5)       /* set: no fixed-feature sleep button */
#define ACPI_FADT_TMR_VAL_EXT   (1u << 8)       /* PM timer is 32 bits, not 24 */
#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED    (1u << 20)

/* FADT iapc_boot_arch bits. */
#define ACPI_BOOT_LEGACY_DEVICES 0x0001
#define ACPI_BOOT_8042           0x0002
#define ACPI_BOOT_NO_VGA         0x0004
#define ACPI_BOOT_NO_MSI         0x0008

/* FACS: found through the FADT; no checksum; 64-byte aligned. */
struct acpi_facs {
    char     signature[4];      /* "FACS" */
    uint32_t length;            /* 64 */
    uint32_t hardware_signature;
    uint32_t firmware_waking_vector;
    uint32_t global_lock;
    uint32_t flags;
    uint64_t x_firmware_waking_vector;
    uint8_t  version;
    uint8_t  reserved[3];
    uint32_t ospm_flags;
    uint8_t  reserved2[24];
} __acpi_packed;

/* Where the parsers report problems (malformed tables, entries ignored). NULL: silent.
 * Set by boot code before parsing; messages carry neither an "acpi:" prefix nor a
 * trailing newline. */
extern void (*acpi_report)(const char *msg);

/* Returns a readable pointer to [pa, pa+len), or NULL when that cannot be mapped. */
typedef const void *(*acpi_map_fn)(paddr_t pa, size_t len);

/* True when the len bytes at p sum to 0 (mod 256). */
bool acpi_checksum_ok(const void *p, size_t len);

/* Offset of the first valid RSDP in [buf, buf+len) (16-byte aligned address, "RSD PTR ",
 * checksum, and the extended checksum for revision >= 2), or -ENOENT. */
long acpi_find_rsdp(const void *buf, size_t len);

/* The index-th table (0 = first) with signature sig whose length and checksum are
 * valid, through the XSDT when the RSDP has one (falling back to the RSDT if the XSDT
 * is broken), else the RSDT. "DSDT" is found through the FADT. NULL if none. The
 * result is map(pa, header->length): the whole table is readable. */
const struct acpi_header *acpi_find_table(const struct acpi_rsdp *rsdp, const char sig[4],
                                          unsigned index, acpi_map_fn map);

/* CPUs (enabled and online-capable local APICs and x2APICs, in MADT order, duplicates
 * dropped, at most NR_CPUS), the local APIC base (override entry included) and the
 * first IOAPIC. 0 or -EINVAL (t's MADT fields then undefined). */
int acpi_parse_madt(const struct acpi_header *madt, struct topology *t);

/* One node (proximity domain 0) holding every CPU, no memory ranges, default
 * distances. Call after acpi_parse_madt, whether or not an SRAT follows. */
void acpi_default_topology(struct topology *t);

/* NUMA nodes from the SRAT; needs the MADT fields. Nodes are numbered densely in order
 * of first use of their proximity domain across the table (CPU and memory entries
 * alike); distances get defaults until acpi_parse_slit. 0, -EINVAL or -ENOSPC; on
 * error t holds acpi_default_topology's single node. */
int acpi_parse_srat(const struct acpi_header *srat, struct topology *t);

/* distance[][] from the SLIT, through node_pxm[]. 0 or -EINVAL (distances untouched). */
int acpi_parse_slit(const struct acpi_header *slit, struct topology *t);

/* PM1a control and PM timer ports from the FADT, SLP_TYPa for S5 from the DSDT's
 * \_S5 package (dsdt may be NULL). 0; -EINVAL for a malformed FADT (t untouched);
 * -ENOENT when there is no usable \_S5 (ports filled, s5_slp_typ 0). */
int acpi_parse_fadt(const struct acpi_header *fadt, const struct acpi_header *dsdt,
                    struct topology *t);

/* The signature as a C string, non-printable bytes as '?'. */
void acpi_table_sig(const struct acpi_header *h, char out[5]);

#endif
