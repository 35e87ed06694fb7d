/* Virtual interrupt controllers of an HVM domain: a local APIC per vCPU (xAPIC MMIO,
 * x2APIC MSRs, timer), one IOAPIC (24 pins), the two 8259 PICs, and the per-domain
 * router that joins them (ISA IRQs in, APIC messages between them, kicks out).
 *
 * Pure state machines: the same files run in the hypervisor and in host unit tests.
 * They read no clock (every call that depends on time takes `now`, ns of NOW()) and
 * take no lock: the glue serialises every call on one domain's controllers (one
 * lock per domain), since an IPI or an IOAPIC message writes another vCPU's LAPIC.
 * Effects on vCPUs leave through struct vintc_cpu_ops, which the glue implements. */
#ifndef HVLAB_HVM_VINTC_H
#define HVLAB_HVM_VINTC_H

#include <hvlab/types.h>
#include <hvlab/hvm/io.h>
#include <hvlab/hvm/vdev.h>

#define VINTC_MAX_VCPUS    64
#define VLAPIC_DEFAULT_BASE 0xFEE00000ULL
#define VLAPIC_MMIO_LEN     0x1000
#define VIOAPIC_BASE        0xFEC00000ULL
#define VIOAPIC_MMIO_LEN    0x1000
#define VIOAPIC_PINS        24
#define VLAPIC_BUS_HZ       1000000000ULL  /* timer input clock: 1 ns per tick, before
                                              the divider (CPUID 0x15/0x16 may say so) */

/* MSRs the vLAPIC answers (vlapic_msr_read/write). */
#define MSR_APIC_BASE       0x0000001B
#define MSR_TSC_DEADLINE    0x000006E0
#define MSR_X2APIC_FIRST    0x00000800
#define MSR_X2APIC_LAST     0x000008FF

/* APIC base MSR bits. */
#define APIC_BASE_BSP       (1ULL << 8)
#define APIC_BASE_EXTD      (1ULL << 10)   /* x2APIC mode */
#define APIC_BASE_EN        (1ULL << 11)   /* globally enabled */
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* Interrupt message delivery modes (ICR, LVT and IOAPIC bits 10:8). */
enum vintc_dm {
    VINTC_DM_FIXED = 0, VINTC_DM_LOWEST = 1, VINTC_DM_SMI = 2, VINTC_DM_NMI = 4,
    VINTC_DM_INIT = 5, VINTC_DM_SIPI = 6, VINTC_DM_EXTINT = 7,
};
enum vintc_shorthand {
    VINTC_SH_NONE = 0, VINTC_SH_SELF = 1, VINTC_SH_ALL = 2, VINTC_SH_OTHERS = 3,
};

/* One interrupt message on the APIC bus: an IPI (ICR) or an IOAPIC redirection. */
struct vintc_msg {
    uint32_t dest;      /* APIC ID or logical mask; 8 bits unless x2apic */
    uint8_t vector;
    uint8_t mode;       /* enum vintc_dm */
    uint8_t shorthand;  /* enum vintc_shorthand; source names "self" */
    bool logical;       /* logical destination (LDR/DFR match) */
    bool level;         /* level-triggered: the vector's TMR bit is set, EOI reaches
                           the IOAPIC */
    bool assert;        /* false only for the legacy INIT level de-assert (ignored) */
    bool x2apic;        /* 32-bit destination (sender in x2APIC mode) */
    unsigned source;    /* sending vCPU, for shorthands and logs */
};

/* What the glue implements (svm), faked in tests. Called with the domain's
 * interrupt-controller lock held: record and return, never call back into vintc. */
struct vintc_cpu_ops {
    void (*kick)(void *ctx, unsigned vcpu);          /* new pending interrupt */
    void (*init)(void *ctx, unsigned vcpu);          /* INIT IPI */
    void (*sipi)(void *ctx, unsigned vcpu, uint8_t vector);
};

struct virq_route;

/* One local APIC. Registers are kept as the architecture defines them (xAPIC
 * layout); x2APIC mode changes only how ID/LDR read and which accesses #GP. */
struct vlapic {
    struct virq_route *route;
    unsigned vcpu;              /* APIC ID (xAPIC ID field bits 31:24, x2APIC ID) */
    uint64_t base;              /* MSR_APIC_BASE */
    uint32_t tpr, ldr, dfr, svr, esr, esr_pending, icr_lo, icr_hi;
    uint32_t lvt[6];            /* VLAPIC_LVT_TIMER .. VLAPIC_LVT_ERROR */
    uint32_t irr[8], isr[8], tmr[8];
    bool nmi_pending;           /* NMI message or LINT NMI, taken by vlapic_take_nmi */
    bool extint_pending;        /* an ExtINT message: the PIC's vector is due here */
    /* Timer: one count period runs from tmr_load for tmr_count * divider ns. */
    uint32_t tmr_initial, tmr_dcr;
    uint32_t tmr_count;         /* count at tmr_load (0: stopped) */
    uint64_t tmr_load;          /* ns the count was (re)loaded */
    uint64_t tmr_next;          /* absolute ns of the next fire, HVM_NO_EVENT */
    uint64_t tsc_deadline;      /* MSR_TSC_DEADLINE as written, 0 when disarmed */
    uint32_t tsc_khz;
};

enum { VLAPIC_LVT_TIMER, VLAPIC_LVT_THERMAL, VLAPIC_LVT_PERF, VLAPIC_LVT_LINT0,
       VLAPIC_LVT_LINT1, VLAPIC_LVT_ERROR, VLAPIC_NR_LVT };

/* LVT timer modes (bits 18:17). */
#define VLAPIC_TIMER_ONESHOT  0
#define VLAPIC_TIMER_PERIODIC 1
#define VLAPIC_TIMER_TSCDL    2

struct vioapic_pin {
    uint64_t rte;               /* redirection entry as the guest reads it */
    bool line;                  /* electrical input level */
};

struct vioapic {
    struct virq_route *route;
    uint32_t regsel;            /* IOREGSEL */
    uint32_t id;                /* ID register bits 27:24 */
    struct vioapic_pin pin[VIOAPIC_PINS];
};

/* One 8259A. */
struct vpic_chip {
    uint8_t irr_edge;           /* requests latched by a rising edge */
    uint8_t lines;              /* input levels */
    uint8_t isr, imr, elcr;
    uint8_t vector_base;        /* ICW2 & 0xF8 */
    uint8_t prio_base;          /* the IR of highest priority (rotation) */
    uint8_t icw3;
    uint8_t init_step;          /* 0 ready; 2, 3, 4: the ICW expected next */
    bool icw4_needed, single, level_all, auto_eoi, rotate_aeoi, sfnm;
    bool special_mask, read_isr, poll;
};

struct vpic {
    struct virq_route *route;
    struct vpic_chip chip[2];   /* 0 master (0x20), 1 slave (0xA0) on master IR2 */
};

/* The per-domain router. Filled by virq_route_init; read-only afterwards except
 * through the functions below. */
struct virq_route {
    struct vlapic *lapic;       /* nr_vcpus of them */
    unsigned nr_vcpus;
    struct vioapic *ioapic;
    struct vpic *pic;
    const struct vintc_cpu_ops *cpu;
    void *cpu_ctx;
    /* Whether a vCPU may move its xAPIC window to base (a guest-physical address):
     * the glue's policy (it knows RAM and the other windows). NULL: never. */
    bool (*base_ok)(void *ctx, unsigned vcpu, uint64_t base);
    struct hvm_irq_sink sink;   /* ISA IRQs in: PIT, RTC, UART, SCI */
    bool pic_out;               /* the PIC's INTR output, also IOAPIC pin 0 */
};

struct virq_config {
    unsigned nr_vcpus;          /* 1 .. VINTC_MAX_VCPUS */
    uint32_t tsc_khz;           /* the guest TSC: ns scaled by this (> 0) */
    const struct vintc_cpu_ops *cpu_ops;
    void *cpu_ctx;
    bool (*base_ok)(void *ctx, unsigned vcpu, uint64_t base);
    uint8_t ioapic_id;          /* as the MADT gives it */
};

/* core/hvm/virq_route.c */
/* Sets up the router over caller-owned controllers (lapics[nr_vcpus]) and puts each
 * in its power-on state. -EINVAL for a bad vCPU count, TSC rate or missing ops. */
int virq_route_init(struct virq_route *, struct vlapic *lapics, struct vioapic *,
                    struct vpic *, const struct virq_config *);
/* ISA IRQ line (the hvm_irq_sink's set_level): the PIC's input and the IOAPIC's
 * (IRQ 0 -> GSI 2, IRQ 2 is the cascade and reaches neither, others identity). */
void virq_set_isa_irq(struct virq_route *, unsigned isa_irq, bool level);
/* A GSI line with no PIC input (16 .. 23: PCI). */
void virq_set_gsi(struct virq_route *, unsigned gsi, bool level);
/* Delivers a message to every LAPIC it names (lowest priority: to one). True when
 * one took it (a software-disabled LAPIC drops fixed interrupts). */
bool virq_deliver(struct virq_route *, const struct vintc_msg *);
/* A LAPIC's EOI of a level-triggered vector: to the IOAPIC. */
void virq_eoi(struct virq_route *, uint8_t vector);
/* The PIC's output may have changed: forwards it to IOAPIC pin 0 and, when it
 * rises in virtual wire mode, wakes vCPU 0. */
void virq_pic_notify(struct virq_route *);
/* The interrupt vCPU vcpu takes next, or -1. *extint: it comes from the PIC (ExtINT
 * through LINT0 in virtual wire mode, an ExtINT message, or LAPIC disabled). */
int virq_pending(struct virq_route *, unsigned vcpu, bool *extint);
/* The glue injected it: acknowledge, as INTA does. Returns the vector to deliver
 * (for the PIC, possibly its spurious IR7 vector when the request went away). */
int virq_accept(struct virq_route *, unsigned vcpu, int vec, bool extint);
/* True when a physical-mode or logical-mode destination names this LAPIC. */
bool vlapic_match_dest(const struct vlapic *, const struct vintc_msg *);

/* core/hvm/vlapic.c */
/* Power-on state (ID = vcpu, base 0xFEE00000 enabled, BSP for vCPU 0, every LVT
 * masked, APIC software-disabled). */
void vlapic_init(struct vlapic *, struct virq_route *, unsigned vcpu, uint32_t tsc_khz);
/* INIT reset: everything but the ID and the base MSR back to power-on. */
void vlapic_init_reset(struct vlapic *);
/* What PC firmware leaves on the BSP (no firmware runs here): software-enabled,
 * LINT0 ExtINT (virtual wire: the PIC reaches the CPU), LINT1 NMI. */
void vlapic_virtual_wire(struct vlapic *);
bool vlapic_hw_enabled(const struct vlapic *);
bool vlapic_sw_enabled(const struct vlapic *);
bool vlapic_x2apic(const struct vlapic *);
/* The guest-physical address of the xAPIC window, or UINT64_MAX when the window is
 * off (APIC disabled or in x2APIC mode): the glue routes MMIO by it. */
uint64_t vlapic_mmio_base(const struct vlapic *);
/* Highest deliverable vector (IRR above PPR), or -1. */
int vlapic_pending(const struct vlapic *);
/* The vector was injected: IRR -> ISR. */
void vlapic_accept(struct vlapic *, int vec);
/* Takes a pending NMI (true once per NMI). */
bool vlapic_take_nmi(struct vlapic *);
/* True when the PIC's output reaches this LAPIC's CPU: LINT0 unmasked in ExtINT mode
 * on an enabled LAPIC, or the LAPIC globally disabled (LINT0 is then the INTR pin). */
bool vlapic_accepts_pic(const struct vlapic *);
/* A message arrived for this LAPIC (router only). Returns true if the vCPU has
 * something new to take (the router kicks it). */
bool vlapic_receive(struct vlapic *, const struct vintc_msg *);
/* The processor priority register, as the guest reads it. */
uint32_t vlapic_ppr(const struct vlapic *);
void vlapic_eoi(struct vlapic *);
/* Sends the IPI that ICR (lo, and dest from hi or the x2APIC dest) describes. */
void vlapic_send_ipi(struct vlapic *, uint32_t icr_lo, uint32_t dest);
/* Latches an APIC error (ESR bits) and raises the LVT error interrupt. */
void vlapic_error(struct vlapic *, uint32_t esr_bit);
/* Sets vector in IRR as an LVT or self interrupt (edge), kicking the vCPU. */
void vlapic_set_irr(struct vlapic *, uint8_t vector, bool level);
/* MSR_APIC_BASE write with the architectural mode-switch rules; -EINVAL (#GP). */
int vlapic_set_base(struct vlapic *, uint64_t val);

/* core/hvm/vlapic_regs.c */
/* The register at xAPIC offset off (0x20 .. 0x3F0), as the guest reads it; and its
 * write with the xAPIC rules (reserved bits dropped, read-only ones ignored). */
uint32_t vlapic_reg_read(struct vlapic *, unsigned off, uint64_t now);
void vlapic_reg_write(struct vlapic *, unsigned off, uint32_t val, uint64_t now);
/* The xAPIC window at vlapic_mmio_base(): dev is the accessing vCPU's struct vlapic
 * (every vCPU sees its own LAPIC at the same address, so the glue dispatches to the
 * current vCPU's one rather than registering it on the domain's bus). -ENODEV when
 * the window is off (disabled or x2APIC mode: the access then goes nowhere). */
extern const struct hvm_io_ops vlapic_mmio_ops;
/* x2APIC MSRs 0x800-0x8FF, MSR_APIC_BASE and MSR_TSC_DEADLINE; -EINVAL means #GP
 * (x2APIC MSR outside x2APIC mode, reserved or read-only register, reserved bits). */
int vlapic_msr_read(struct vlapic *, uint32_t msr, uint64_t now, uint64_t *val);
int vlapic_msr_write(struct vlapic *, uint32_t msr, uint64_t now, uint64_t val);

/* core/hvm/vlapic_timer.c */
/* Guest TSC at now: ns scaled by tsc_khz (floor), saturating. */
uint64_t vlapic_tsc(const struct vlapic *, uint64_t now);
/* The first ns at which the guest TSC reaches tsc (saturating at UINT64_MAX - 1). */
uint64_t vlapic_tsc_to_ns(const struct vlapic *, uint64_t tsc);
uint64_t vlapic_next_event(const struct vlapic *);
/* The timer reloads by itself (periodic mode): it fires again with no guest write. */
bool vlapic_timer_periodic(const struct vlapic *l);
void vlapic_advance(struct vlapic *, uint64_t now);
uint32_t vlapic_timer_current(const struct vlapic *, uint64_t now);
/* Register writes that touch the timer (LVT timer, initial count, divide). */
void vlapic_timer_write_lvt(struct vlapic *, uint32_t val, uint64_t now);
void vlapic_timer_write_initial(struct vlapic *, uint32_t val, uint64_t now);
void vlapic_timer_write_dcr(struct vlapic *, uint32_t val, uint64_t now);
uint64_t vlapic_tsc_deadline_read(const struct vlapic *);
void vlapic_tsc_deadline_write(struct vlapic *, uint64_t tsc, uint64_t now);
/* Stops the timer (reset, APIC disabled). */
void vlapic_timer_reset(struct vlapic *);

/* core/hvm/vioapic.c */
void vioapic_init(struct vioapic *, struct virq_route *, uint8_t id);
/* IOREGSEL at +0x00 and IOWIN at +0x10 of VIOAPIC_BASE (dev: struct vioapic). */
extern const struct hvm_io_ops vioapic_mmio_ops;
/* Input pin gsi at electrical level (polarity applies: active-low pins assert at 0). */
void vioapic_set_line(struct vioapic *, unsigned gsi, bool level);
/* EOI of vector from a LAPIC: clears remote IRR of level entries with it; one still
 * asserted is delivered again. */
void vioapic_eoi(struct vioapic *, uint8_t vector);
uint32_t vioapic_reg_read(const struct vioapic *, uint32_t reg);
void vioapic_reg_write(struct vioapic *, uint32_t reg, uint32_t val);

/* core/hvm/vpic.c */
void vpic_init(struct vpic *, struct virq_route *);
/* Ports 0x20/0x21, 0xA0/0xA1 and the ELCR at 0x4D0/0x4D1 (dev: struct vpic). */
extern const struct hvm_io_ops vpic_io_ops;
/* ISA IRQ input line 0..15 (not 2: the cascade). */
void vpic_set_irq(struct vpic *, unsigned irq, bool level);
/* The vector the PIC pair presents on INTR, or -1 (no request above the in-service
 * priority). */
int vpic_pending(const struct vpic *);
/* INTA: acknowledges the highest request and returns its vector; the spurious IR7
 * vector of the chip (no ISR bit set) when the request went away since pending. */
int vpic_accept(struct vpic *);
uint8_t vpic_port_read(struct vpic *, unsigned port);
void vpic_port_write(struct vpic *, unsigned port, uint8_t val);

#endif
