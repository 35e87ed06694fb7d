/* GDT, TSS and IDT. Each CPU has its own GDT and TSS (the TSS holds per-CPU stacks);
 * the IDT is shared. Double faults, NMIs and machine checks run on IST stacks so that
 * a blown stack still gets a register dump. */
#include <hvlab/lib.h>
#include <hvlab/percpu.h>
#include <hvlab/x86/desc.h>

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
extern const uint8_t trap_stubs[256][16];   /* entry.S */

struct desc_ptr { uint16_t limit; uint64_t base; } __attribute__((packed));

static void idt_set(unsigned v, uint64_t handler, unsigned ist, unsigned dpl)
{
    idt[v] = (struct idt_entry){
        .off_lo = handler & 0xffff, .sel = SEL_HV_CS, .ist = ist,
        .type = 0x8e | (dpl << 5),  /* present, 64-bit interrupt gate */
        .off_mid = (handler >> 16) & 0xffff, .off_hi = handler >> 32,
    };
}

void desc_init_idt(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set(v, (uint64_t)trap_stubs[v], 0, 0);
    idt[8].ist = IST_DF;
    idt[2].ist = IST_NMI;
    idt[18].ist = IST_MC;
}

static uint64_t seg(uint32_t flags_access) { return (uint64_t)flags_access << 40; }

void desc_load_cpu(struct percpu *pc)
{
    struct cpu_desc *d = &pc->desc;
    uint64_t tss = (uint64_t)&d->tss;

    d->gdt[0] = 0;
    d->gdt[SEL_HV_CS >> 3]     = seg(0x209a);   /* L, present, ring 0 code */
    d->gdt[SEL_HV_DS >> 3]     = seg(0xc092) | 0xffff | (0xfULL << 48);
    d->gdt[SEL_USER32_CS >> 3] = seg(0xc0fa) | 0xffff | (0xfULL << 48);
    d->gdt[SEL_USER_DS >> 3]   = seg(0xc0f2) | 0xffff | (0xfULL << 48);
    d->gdt[SEL_USER_CS >> 3]   = seg(0x20fa);
    /* 16-byte TSS descriptor: limit, base, type 9 (available 64-bit TSS), present */
    d->gdt[SEL_TSS >> 3] = (sizeof(d->tss) - 1) | ((tss & 0xffffff) << 16) |
                           (0x89ULL << 40) | (((tss >> 24) & 0xff) << 56);
    d->gdt[(SEL_TSS >> 3) + 1] = tss >> 32;

    memset(&d->tss, 0, sizeof(d->tss));
    d->tss.rsp[0] = pc->stack_top;
    for (unsigned i = 0; i < 3; i++)
        d->tss.ist[i] = (uint64_t)d->ist_stacks[i] + IST_STACK_SIZE;
    d->tss.iomap_base = sizeof(d->tss);     /* no I/O bitmap: ring 3 gets no ports */

    struct desc_ptr gdtr = { sizeof(d->gdt) - 1, (uint64_t)d->gdt };
    struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %2\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "mov %3, %%eax\n\t"
        "mov %%eax, %%ds\n\t"
        "mov %%eax, %%es\n\t"
        "mov %%eax, %%ss\n\t"
        "xor %%eax, %%eax\n\t"
        "mov %%eax, %%fs\n\t"
        "mov %%eax, %%gs\n\t"
        "lidt %1\n\t"
        "ltr %w4\n\t"
        :: "m"(gdtr), "m"(idtr), "i"(SEL_HV_CS), "i"(SEL_HV_DS), "r"(SEL_TSS)
        : "rax", "memory");
    /* Loading %gs cleared the base: set it after. */
    wrmsr(MSR_GS_BASE, (uint64_t)pc);
}
