/* Virtual 8259A pair (core/hvm/vpic.c) through its ports, with the router: the
 * initialisation sequences Linux and SeaBIOS write, priority and EOI, auto-EOI,
 * rotation, special mask, poll, ELCR level mode, the spurious IRQ 7/15, and ExtINT
 * delivery to vCPU 0 in virtual wire mode. */
#include "unit.h"
#include "vintc_fixture.h"

#include <hvlab/lib.h>

#define M_CMD 0x20
#define M_DAT 0x21
#define S_CMD 0xA0
#define S_DAT 0xA1
#define OCW3_READ_IRR 0x0A
#define OCW3_READ_ISR 0x0B

/* Linux's init_8259A: mask both, ICW1 0x11 (edge, cascade, ICW4), ICW2 0x30/0x38,
 * ICW3 cascade on IR2 (master: bit 2, slave: id 2), ICW4 8086 mode (auto_eoi: 0x03). */
static void linux_init(bool auto_eoi)
{
    fx_outb(M_DAT, 0xFF);
    fx_outb(S_DAT, 0xFF);
    fx_outb(M_CMD, 0x11);
    fx_outb(M_DAT, 0x30);
    fx_outb(M_DAT, 0x04);
    fx_outb(M_DAT, auto_eoi ? 0x03 : 0x01);
    fx_outb(S_CMD, 0x11);
    fx_outb(S_DAT, 0x38);
    fx_outb(S_DAT, 0x02);
    fx_outb(S_DAT, 0x01);
}

/* SeaBIOS's pic_setup: vectors 0x08/0x70, then all masked but the cascade. */
static void seabios_init(void)
{
    fx_outb(M_CMD, 0x11);
    fx_outb(M_DAT, 0x08);
    fx_outb(M_DAT, 0x04);
    fx_outb(M_DAT, 0x01);
    fx_outb(S_CMD, 0x11);
    fx_outb(S_DAT, 0x70);
    fx_outb(S_DAT, 0x02);
    fx_outb(S_DAT, 0x01);
    fx_outb(M_DAT, 0xFB);
    fx_outb(S_DAT, 0xFF);
}

static uint8_t read_isr(unsigned cmd)
{
    fx_outb(cmd, OCW3_READ_ISR);
    return fx_inb(cmd);
}

static uint8_t read_irr(unsigned cmd)
{
    fx_outb(cmd, OCW3_READ_IRR);
    return fx_inb(cmd);
}

static void test_reset_state(void)
{
    fx_setup(1);
    CHECK_EQ(fx_inb(M_DAT), 0xFF);      /* masked until the guest programs it */
    CHECK_EQ(fx_inb(S_DAT), 0xFF);
    virq_set_isa_irq(&fx.r, 0, true);
    CHECK_EQ(vpic_pending(&fx.pic), -1);
    CHECK_EQ(read_irr(M_CMD), 0x01);
    fx_outb(M_DAT, 0xFE);
    CHECK_EQ(vpic_pending(&fx.pic), 0x08);      /* firmware's vector base */
}

static void test_linux_init_and_eoi(void)
{
    fx_setup(1);
    linux_init(false);
    CHECK_EQ(fx_inb(M_DAT), 0x00);              /* ICW1 cleared the masks */
    fx_outb(M_DAT, 0xFA);                       /* IRQ 0, cascade */
    fx_outb(S_DAT, 0xFF);
    CHECK_EQ(fx_inb(M_DAT), 0xFA);
    virq_set_isa_irq(&fx.r, 0, true);
    virq_set_isa_irq(&fx.r, 0, false);
    CHECK_EQ(read_irr(M_CMD), 0x01);
    CHECK_EQ(vpic_pending(&fx.pic), 0x30);
    CHECK_EQ(vpic_accept(&fx.pic), 0x30);
    CHECK_EQ(read_isr(M_CMD), 0x01);
    CHECK_EQ(read_irr(M_CMD), 0x00);
    CHECK_EQ(vpic_pending(&fx.pic), -1);
    fx_outb(M_CMD, 0x60);                       /* specific EOI, IR0 (Linux's ack) */
    CHECK_EQ(read_isr(M_CMD), 0x00);
    /* Slave IRQ 8: Linux acks the slave, then the cascade on the master. */
    fx_outb(S_DAT, 0xFE);
    virq_set_isa_irq(&fx.r, 8, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x38);
    CHECK_EQ(read_irr(M_CMD), 0x04);            /* cascade line up */
    CHECK_EQ(vpic_accept(&fx.pic), 0x38);
    CHECK_EQ(read_isr(M_CMD), 0x04);
    CHECK_EQ(read_isr(S_CMD), 0x01);
    fx_outb(S_CMD, 0x60);
    fx_outb(M_CMD, 0x62);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK_EQ(read_isr(S_CMD), 0x00);
}

static void test_seabios_init(void)
{
    fx_setup(1);
    seabios_init();
    CHECK_EQ(fx_inb(M_DAT), 0xFB);
    CHECK_EQ(fx_inb(S_DAT), 0xFF);
    fx_outb(S_DAT, 0xFE);                       /* RTC, IRQ 8 */
    virq_set_isa_irq(&fx.r, 8, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x70);
    fx_outb(S_CMD, 0x20);                       /* non-specific EOI both */
    fx_outb(M_CMD, 0x20);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK_EQ(read_isr(S_CMD), 0x00);
}

/* Fixed priority: a request is presented only above every in-service IR;
 * non-specific EOI retires the highest in service. */
static void test_priority_and_nesting(void)
{
    fx_setup(1);
    linux_init(false);
    virq_set_isa_irq(&fx.r, 3, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x33);
    virq_set_isa_irq(&fx.r, 5, true);
    CHECK_EQ(vpic_pending(&fx.pic), -1);        /* IR5 below IR3 in service */
    virq_set_isa_irq(&fx.r, 1, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x31);      /* IR1 nests above IR3 */
    CHECK_EQ(vpic_accept(&fx.pic), 0x31);
    CHECK_EQ(read_isr(M_CMD), 0x0A);
    fx_outb(M_CMD, 0x20);                       /* non-specific: IR1 */
    CHECK_EQ(read_isr(M_CMD), 0x08);
    CHECK_EQ(vpic_pending(&fx.pic), -1);
    fx_outb(M_CMD, 0x20);                       /* IR3 */
    CHECK_EQ(vpic_pending(&fx.pic), 0x35);
    /* A slave IR while IR2 is in service on the master waits (not fully nested). */
    fx_setup(1);
    linux_init(false);
    virq_set_isa_irq(&fx.r, 12, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x3C);
    virq_set_isa_irq(&fx.r, 9, true);
    CHECK_EQ(vpic_pending(&fx.pic), -1);
    fx_outb(S_CMD, 0x20);
    fx_outb(M_CMD, 0x20);
    CHECK_EQ(vpic_pending(&fx.pic), 0x39);
    /* The same in special fully nested mode (ICW4 0x11): IR9 gets through. */
    fx_setup(1);
    linux_init(false);
    fx_outb(M_CMD, 0x11); fx_outb(M_DAT, 0x30); fx_outb(M_DAT, 0x04); fx_outb(M_DAT, 0x11);
    virq_set_isa_irq(&fx.r, 12, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x3C);
    virq_set_isa_irq(&fx.r, 9, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x39);
}

static void test_auto_eoi(void)
{
    fx_setup(1);
    linux_init(true);
    virq_set_isa_irq(&fx.r, 3, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x33);
    CHECK_EQ(read_isr(M_CMD), 0x00);            /* never in service */
    virq_set_isa_irq(&fx.r, 4, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x34);      /* nothing blocks it */
    /* Rotate in auto-EOI: the acknowledged IR becomes the lowest priority. */
    fx_outb(M_CMD, 0x80);
    CHECK_EQ(vpic_accept(&fx.pic), 0x34);
    virq_set_isa_irq(&fx.r, 3, false);
    virq_set_isa_irq(&fx.r, 3, true);
    virq_set_isa_irq(&fx.r, 6, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x36);      /* 5, 6, 7, 0, ... 4 */
}

static void test_rotation_and_set_priority(void)
{
    fx_setup(1);
    linux_init(false);
    virq_set_isa_irq(&fx.r, 1, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x31);
    fx_outb(M_CMD, 0xA0);                       /* rotate on non-specific EOI */
    CHECK_EQ(read_isr(M_CMD), 0x00);
    virq_set_isa_irq(&fx.r, 0, true);
    virq_set_isa_irq(&fx.r, 5, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x35);      /* IR1 lowest now: 2..7 before 0 */
    fx_outb(M_CMD, 0xC6);                       /* set priority: IR6 lowest */
    CHECK_EQ(vpic_pending(&fx.pic), 0x30);      /* 7, 0, ... */
}

/* Edge inputs need a new rising edge; ELCR level inputs request while high. */
static void test_edge_and_elcr_level(void)
{
    fx_setup(1);
    linux_init(false);
    fx_outb(0x4D0, 0xFF);
    fx_outb(0x4D1, 0xFF);
    CHECK_EQ(fx_inb(0x4D0), 0xF8);              /* IRQ 0, 1, 2 are edge only */
    CHECK_EQ(fx_inb(0x4D1), 0xDE);              /* IRQ 8 and 13 too */
    fx_outb(0x4D0, 0x00);
    fx_outb(0x4D1, 0x02);                       /* IRQ 9 level */
    virq_set_isa_irq(&fx.r, 4, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x34);
    fx_outb(M_CMD, 0x20);
    CHECK_EQ(vpic_pending(&fx.pic), -1);        /* still high, no new edge */
    virq_set_isa_irq(&fx.r, 9, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x39);
    fx_outb(S_CMD, 0x20);
    fx_outb(M_CMD, 0x20);
    CHECK_EQ(vpic_pending(&fx.pic), 0x39);      /* level, still high: again */
    virq_set_isa_irq(&fx.r, 9, false);
    CHECK_EQ(vpic_pending(&fx.pic), -1);
    /* A word write to 0x4D0 sets both ELCRs. */
    vpic_io_ops.write(&fx.pic, 0x4D0, 2, 0, 0x0220);
    CHECK_EQ(fx_inb(0x4D0), 0x20);
    CHECK_EQ(fx_inb(0x4D1), 0x02);
}

/* The request goes away between INTR and INTA: IR7's vector, ISR untouched. */
static void test_spurious_irq7(void)
{
    fx_setup(1);
    linux_init(false);
    fx_outb(0x4D0, 0x20);                       /* IRQ 5 level */
    virq_set_isa_irq(&fx.r, 5, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x35);
    virq_set_isa_irq(&fx.r, 5, false);
    CHECK_EQ(vpic_accept(&fx.pic), 0x37);
    CHECK_EQ(read_isr(M_CMD), 0x00);            /* Linux checks this to call it spurious */
    /* On the slave: IR2 follows the slave's output, so a slave request that goes
     * away leaves the master with none: the master's IR7 again, no ISR bit set. */
    fx_outb(0x4D1, 0x08);                       /* IRQ 11 level */
    virq_set_isa_irq(&fx.r, 11, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x3B);
    virq_set_isa_irq(&fx.r, 11, false);
    CHECK_EQ(vpic_accept(&fx.pic), 0x37);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK_EQ(read_isr(S_CMD), 0x00);
}

static void test_special_mask_and_poll(void)
{
    fx_setup(1);
    linux_init(false);
    virq_set_isa_irq(&fx.r, 1, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x31);
    virq_set_isa_irq(&fx.r, 6, true);
    CHECK_EQ(vpic_pending(&fx.pic), -1);
    fx_outb(M_CMD, 0x68);                       /* OCW3: set special mask */
    fx_outb(M_DAT, 0x02);                       /* mask the IR in service */
    CHECK_EQ(vpic_pending(&fx.pic), 0x36);      /* lower priority allowed */
    fx_outb(M_CMD, 0x48);                       /* reset special mask */
    CHECK_EQ(vpic_pending(&fx.pic), -1);
    fx_outb(M_CMD, 0x61);                       /* EOI IR1 */
    fx_outb(M_CMD, 0x0C);                       /* poll */
    CHECK_EQ(fx_inb(M_CMD), 0x86);              /* IR6, acknowledged */
    CHECK_EQ(read_isr(M_CMD), 0x40);
    fx_outb(M_CMD, 0x0C);
    CHECK_EQ(fx_inb(M_CMD), 0x00);              /* nothing more */
}

/* ExtINT: in virtual wire mode vCPU 0 takes the PIC's vector through LINT0. */
static void test_virtual_wire(void)
{
    bool extint;

    fx_setup(2);
    fx_enable(0);
    linux_init(false);
    virq_set_isa_irq(&fx.r, 0, true);
    CHECK_EQ(virq_pending(&fx.r, 0, &extint), -1);      /* LINT0 masked */
    CHECK_EQ(fx.kicks[0], 0);
    fx_setup(2);
    fx_enable(0);
    linux_init(false);
    fx_lapic_write(0, 0x350, 0x700, 0);                 /* LINT0: ExtINT */
    CHECK_EQ(virq_pending(&fx.r, 0, &extint), -1);
    virq_set_isa_irq(&fx.r, 0, true);                   /* INTR rises: vCPU 0 woken */
    CHECK_EQ(fx.kicks[0], 1);
    CHECK_EQ(fx.kicks[1], 0);
    CHECK_EQ(virq_pending(&fx.r, 0, &extint), 0x30);
    CHECK(extint);
    CHECK_EQ(virq_pending(&fx.r, 1, &extint), -1);      /* only vCPU 0 is wired */
    CHECK_EQ(virq_accept(&fx.r, 0, 0x30, true), 0x30);
    CHECK_EQ(read_isr(M_CMD), 0x01);
    CHECK_EQ(virq_pending(&fx.r, 0, &extint), -1);
    /* The firmware state vlapic_virtual_wire gives, and a disabled APIC (LINT0 is
     * then the CPU's INTR pin): both pass the PIC through. */
    fx_setup(1);
    vlapic_virtual_wire(&fx.lapic[0]);
    CHECK(vlapic_accepts_pic(&fx.lapic[0]));
    fx_setup(1);
    CHECK(!vlapic_accepts_pic(&fx.lapic[0]));
    CHECK_EQ(fx_msr_write(0, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);
    CHECK(vlapic_accepts_pic(&fx.lapic[0]));
    linux_init(false);
    virq_set_isa_irq(&fx.r, 1, true);
    CHECK_EQ(virq_pending(&fx.r, 0, &extint), 0x31);
}

/* A second ICW1 starts over: masks and in-service bits cleared. */
static void test_reinit(void)
{
    fx_setup(1);
    linux_init(false);
    virq_set_isa_irq(&fx.r, 3, true);
    CHECK_EQ(vpic_accept(&fx.pic), 0x33);
    fx_outb(M_DAT, 0x55);
    fx_outb(M_CMD, 0x11);
    CHECK_EQ(vpic_pending(&fx.pic), -1);        /* mid-sequence: no vector */
    fx_outb(M_DAT, 0x50);
    fx_outb(M_DAT, 0x04);
    fx_outb(M_DAT, 0x01);
    CHECK_EQ(fx_inb(M_DAT), 0x00);
    CHECK_EQ(read_isr(M_CMD), 0x00);
    CHECK_EQ(vpic_pending(&fx.pic), -1);        /* IR3 needs a new edge */
    virq_set_isa_irq(&fx.r, 3, false);
    virq_set_isa_irq(&fx.r, 3, true);
    CHECK_EQ(vpic_pending(&fx.pic), 0x53);
    /* Single mode without ICW4 (ICW1 0x12): two writes, no cascade. */
    fx_outb(M_CMD, 0x12);
    fx_outb(M_DAT, 0x60);
    fx_outb(M_DAT, 0xFE);                       /* already OCW1 */
    CHECK_EQ(fx_inb(M_DAT), 0xFE);
}

static const struct unit_case cases[] = {
    { "reset_state", test_reset_state },
    { "linux_init_and_eoi", test_linux_init_and_eoi },
    { "seabios_init", test_seabios_init },
    { "priority_and_nesting", test_priority_and_nesting },
    { "auto_eoi", test_auto_eoi },
    { "rotation_and_set_priority", test_rotation_and_set_priority },
    { "edge_and_elcr_level", test_edge_and_elcr_level },
    { "spurious_irq7", test_spurious_irq7 },
    { "special_mask_and_poll", test_special_mask_and_poll },
    { "virtual_wire", test_virtual_wire },
    { "reinit", test_reinit },
};
UNIT_MAIN(cases)
