/* Secondary vCPUs of the HVM runtime (and natively): where the real-mode trampoline
 * lives and the layout of its parameter block (trampoline.S and smp_hvm.c share
 * these numbers, so this header is read by the assembler too). */
#ifndef GUEST_HVM_SMP_HVM_H
#define GUEST_HVM_SMP_HVM_H

/* The trampoline's page: SIPI vector 0x70. Below 1 MiB and clear of everything else
 * there: the HVM builder's low structures end at 0xC000 and its reserved hole starts
 * at 0x9F000 (hvlab/hvmbuild.h); QEMU's multiboot loader and SeaBIOS use the first
 * 64 KiB and the EBDA below 0xA0000; ACPI and the MP table are in 0xE0000-0xFFFFF.
 * The page allocator hands out only RAM above the image (1 MiB up), so the page and
 * the GDT in it stay the APs' for the whole run. */
#define HVM_TRAMP_PHYS    0x70000
#define HVM_TRAMP_VECTOR  (HVM_TRAMP_PHYS >> 12)

/* The parameter block, at this offset in the page (the code is smaller). */
#define HVM_TRAMP_PARAMS  0x800
#define TP_CR0    0x00          /* 4 bytes each: the starter's values (below 4 GiB) */
#define TP_CR3    0x04
#define TP_CR4    0x08
#define TP_EFER   0x0c
#define TP_GSBASE 0x10          /* 8 bytes each */
#define TP_STACK  0x18
#define TP_ARG    0x20
#define TP_ENTRY  0x28
#define TP_TAKEN  0x30          /* 4 bytes: the AP has read the block */

#ifndef __ASSEMBLY__
#include "hvm.h"

struct hvm_tramp_params {
    uint32_t cr0, cr3, cr4, efer;
    uint64_t gs_base, stack, arg, entry;
    uint32_t taken;
};
_Static_assert(__builtin_offsetof(struct hvm_tramp_params, taken) == TP_TAKEN,
               "trampoline parameter layout");

extern char hvm_tramp_start[], hvm_tramp_end[];  /* trampoline.S */
void hvm_smp_probe(void);                        /* hvm.c: the MADT's vCPUs, first */
unsigned hvm_smp_count(void);                    /* for start_info.nr_vcpus */
void hvm_ap_main(struct guest_vcpu *v);          /* the trampoline's jump */
unsigned hvm_apic_id(unsigned vcpu);
#endif

#endif
