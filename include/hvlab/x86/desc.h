/* Per-CPU descriptor tables: GDT (with the TSS), and the TSS with its IST stacks. The
 * IDT is one table shared by every CPU. */
#ifndef HVLAB_X86_DESC_H
#define HVLAB_X86_DESC_H

#include <hvlab/types.h>
#include <hvlab/x86/regs.h>

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

#define IST_DF  1       /* double fault */
#define IST_NMI 2
#define IST_MC  3
#define IST_STACK_SIZE 4096

struct cpu_desc {
    uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
    struct tss64 tss __attribute__((aligned(16)));
    uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

struct percpu;
void desc_init_idt(void);                      /* BSP, once */
void desc_load_cpu(struct percpu *pc);         /* every CPU: GDT, TSS, IDT, GS base */

#endif
