/* svmconf host side: serial output, the host's IDT and LAPIC timer, SVM enabled, one
 * VMCB reset to a known guest state before every case, the nested table.
 *
 * The guest is a 64-bit CPL-0 guest that shares this image's code and GDT (the nested
 * table maps guest-physical = host-physical) but has its own IDT (stubs that record
 * each event) and its own page table mapping only the first GiB: a stack above that
 * gives a guest #PF, a stack in GUEST_HOLE_GPA a nested page fault. */
#include "svmconf.h"

#define COM1            0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define LAPIC_BASE      0xfee00000ull
#define MSR_EFER        0xc0000080
#define PTE_P           0x001ull
#define PTE_W           0x002ull
#define PTE_U           0x004ull
#define PTE_PS          0x080ull

struct vmcb vmcb;
struct gevent glog[GLOG_MAX];
volatile unsigned glog_n;
volatile unsigned host_timer_hits, host_nmi_hits;

extern uint64_t host_pd[];
extern const char gdt[], gdt_desc[];

struct idt_gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, rsvd;
} __attribute__((packed));

static struct idt_gate host_idt[256] __attribute__((aligned(4096)));
static struct idt_gate guest_idt[256] __attribute__((aligned(4096)));
static uint8_t hsave[4096] __attribute__((aligned(4096)));
static uint8_t iopm[3 * 4096] __attribute__((aligned(4096)));
static uint8_t msrpm[2 * 4096] __attribute__((aligned(4096)));
static uint64_t npt_pml4[512] __attribute__((aligned(4096)));
static uint64_t npt_pdpt[512] __attribute__((aligned(4096)));
static uint64_t npt_pd[512] __attribute__((aligned(4096)));
static uint64_t guest_pml4[512] __attribute__((aligned(4096)));
static uint64_t guest_pdpt[512] __attribute__((aligned(4096)));
static uint8_t guest_stack[16384] __attribute__((aligned(4096)));

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void con_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            outb(COM1, '\r');
        while (!(inb(COM1 + 5) & 0x20))
            ;
        outb(COM1, (uint8_t)*s);
    }
}

void host_exit(unsigned code)
{
    __asm__ volatile("outl %0, %1" : : "a"(code), "Nd"((uint16_t)DEBUG_EXIT_PORT));
    for (;;)
        __asm__ volatile("cli; hlt");
}

static volatile uint32_t *lapic_reg(unsigned off)
{
    return (volatile uint32_t *)(uintptr_t)(LAPIC_BASE + off);
}

void lapic_timer_arm(uint32_t count)
{
    *lapic_reg(0x3e0) = 0xb;                    /* divide by 1 */
    *lapic_reg(0x320) = HOST_TIMER_VEC;         /* one-shot */
    *lapic_reg(0x380) = count;
}

/* An NMI to this CPU (APIC ID 0, physical destination): "self" is not allowed for NMI. */
void lapic_self_nmi(void)
{
    *lapic_reg(0x310) = 0;
    *lapic_reg(0x300) = 0x4400;                 /* delivery mode NMI, assert */
}

bool lapic_irr(unsigned vec)
{
    return (*lapic_reg(0x200 + 0x10 * (vec / 32)) >> (vec % 32)) & 1;
}

/* The guest's IDT entry point: one record per event, in order. */
void guest_isr_record(const uint64_t *frame)
{
    unsigned n = glog_n;
    uint64_t cr2;

    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    if (n < GLOG_MAX)
        glog[n] = (struct gevent){ frame[0], frame[1], frame[2], frame[4], cr2 };
    glog_n = n + 1;
}

/* The host's: the LAPIC timer and NMIs count; anything else is a bug of this kernel. */
void host_isr(const uint64_t *frame)
{
    struct sbuf b;

    if (frame[0] == HOST_TIMER_VEC) {
        host_timer_hits++;
        *lapic_reg(0xb0) = 0;                   /* EOI */
        return;
    }
    if (frame[0] == 2) {
        host_nmi_hits++;
        return;
    }
    if (frame[0] == 0xff)                       /* spurious: no EOI */
        return;
    sb_init(&b);
    sb_str(&b, "svmconf: host exception");
    sb_kv(&b, "vec", frame[0]);
    sb_kv(&b, "err", frame[1]);
    sb_kv(&b, "rip", frame[2]);
    sb_str(&b, "\n");
    con_puts(b.s);
    host_exit(2);
}

static void idt_fill(struct idt_gate *idt, const char *stubs)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)(stubs + 16 * v);
        idt[v] = (struct idt_gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16),
                                    (uint32_t)(a >> 32), 0 };
    }
}

/* Present (P|W|U at every level, as the nested walk needs U) or not, the 2 MiB
 * nested entry of GUEST_HOLE_GPA; every other GPA below 1 GiB maps to itself. */
void npt_set_hole(bool present)
{
    unsigned i = GUEST_HOLE_GPA >> 21;
    npt_pd[i] = present ? ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_U | PTE_PS : 0;
}

void svm_setup(void)
{
    uint32_t a, b, c, d;
    struct { uint16_t lim; uint64_t base; } __attribute__((packed)) idtr =
        { sizeof(host_idt) - 1, (uint64_t)(uintptr_t)host_idt };

    idt_fill(host_idt, host_stubs);
    idt_fill(guest_idt, guest_stubs);
    __asm__ volatile("lidt %0" : : "m"(idtr));
    outb(0x21, 0xff);                           /* 8259s masked: only the LAPIC timer */
    outb(0xa1, 0xff);
    *lapic_reg(0xf0) = 0x1ff;                   /* LAPIC on, spurious vector 0xff */

    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001), "c"(0));
    if (!(c & (1u << 2))) {
        con_puts("svmconf: the CPU has no SVM (run QEMU with -cpu qemu64,+svm,+npt)\n");
        host_exit(2);
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)hsave);

    for (unsigned i = 0; i < 512; i++)
        npt_pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_U | PTE_PS;
    npt_set_hole(false);
    npt_pdpt[0] = (uint64_t)(uintptr_t)npt_pd | PTE_P | PTE_W | PTE_U;
    npt_pml4[0] = (uint64_t)(uintptr_t)npt_pdpt | PTE_P | PTE_W | PTE_U;
    guest_pdpt[0] = (uint64_t)(uintptr_t)host_pd | PTE_P | PTE_W;
    guest_pml4[0] = (uint64_t)(uintptr_t)guest_pdpt | PTE_P | PTE_W;
}

static struct vmcb_seg seg(uint16_t sel, uint16_t attr, uint32_t limit, uint64_t base)
{
    return (struct vmcb_seg){ sel, attr, limit, base };
}

/* A fresh VMCB: the guest at rip with rflags, only VMRUN, VMMCALL and shutdown
 * intercepted, nested paging on, no event pending; the guest's event log emptied. */
void vm_reset(const char *rip, uint64_t rflags)
{
    uint64_t cr0, cr4;
    struct vmcb_save *s = &vmcb.save;

    __builtin_memset(&vmcb, 0, sizeof(vmcb));
    vmcb.ctl.intercept1 = INTERCEPT1_SHUTDOWN;
    vmcb.ctl.intercept2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL;
    vmcb.ctl.iopm_base_pa = (uint64_t)(uintptr_t)iopm;
    vmcb.ctl.msrpm_base_pa = (uint64_t)(uintptr_t)msrpm;
    vmcb.ctl.asid = 1;
    vmcb.ctl.tlb_control = TLB_CONTROL_FLUSH_ALL;  /* the nested table changes between cases */
    vmcb.ctl.np_enable = 1;
    vmcb.ctl.n_cr3 = (uint64_t)(uintptr_t)npt_pml4;

    __asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
    s->cs = seg(0x08, 0x29b, 0xffffffff, 0);
    s->ss = s->ds = s->es = s->fs = s->gs = seg(0x10, 0xc93, 0xffffffff, 0);
    s->gdtr = seg(0, 0, (uint32_t)(*(const uint16_t *)gdt_desc), (uint64_t)(uintptr_t)gdt);
    s->idtr = seg(0, 0, sizeof(guest_idt) - 1, (uint64_t)(uintptr_t)guest_idt);
    s->tr = seg(0, 0x8b, 0x67, 0);
    s->efer = rdmsr(MSR_EFER);
    s->cr0 = cr0;
    s->cr3 = (uint64_t)(uintptr_t)guest_pml4;
    s->cr4 = cr4;
    s->dr6 = 0xffff0ff0;
    s->dr7 = 0x400;
    s->g_pat = 0x0007040600070406ull;
    s->rflags = RFLAGS_RSVD | rflags;
    s->rip = (uint64_t)(uintptr_t)rip;
    s->rsp = (uint64_t)(uintptr_t)(guest_stack + sizeof(guest_stack));
    glog_n = 0;
    npt_set_hole(false);
}

/* One VMRUN; the exit code, low 32 bits (VMEXIT_INVALID reads back zero-extended). */
uint32_t vm_run(void)
{
    svm_vmrun((uint64_t)(uintptr_t)&vmcb);
    return (uint32_t)vmcb.ctl.exitcode;
}

void svmconf_main(void)
{
    con_puts("svmconf: start\n");
    svm_setup();
    cases_inject();
    cases_vintr();
    cases_intr();
    cases_workaround();
    report_summary();
    host_exit(0x10);
}
