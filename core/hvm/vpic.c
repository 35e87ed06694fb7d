/* Virtual 8259A pair: master at 0x20/0x21, slave at 0xA0/0xA1 on the master's IR2,
 * edge/level control (ELCR) at 0x4D0/0x4D1.
 *
 * Design: a chip's request register is the edge latches plus, for inputs in level
 * mode (ELCR bit or ICW1 LTIM), the input levels themselves. The master's IR2 is the
 * slave's INT output, computed, never latched. Priority rotates: prio_base is the
 * IR of highest priority. A request is presented when it is unmasked and of higher
 * priority than every in-service IR (special mask mode: any unmasked IR not in
 * service; special fully nested mode: the master lets a slave request through IR2
 * while IR2 is in service). INTA (vpic_accept) moves the request to ISR (or, in
 * auto-EOI mode, straight out, rotating if asked) and returns its vector; with no
 * request left it returns the chip's IR7 vector without touching ISR, the 8259's
 * spurious interrupt. Every change tells the router, which forwards the INTR output.
 * Locking: none; the glue serialises calls per domain.
 * Limitations: 8080 mode (ICW4 bit 0 clear) and buffered mode are taken as 8086 mode;
 * the poll command acknowledges on the chip polled only; the master's IR2 follows
 * the slave's output (never latched), so a slave request that goes away before INTA
 * answers as the master's spurious IR7, not the slave's. */
#include <hvlab/errno.h>
#include <hvlab/hvm/vintc.h>

#define CASCADE_IR 2

/* Inputs that may be level-triggered through ELCR: not IRQ 0, 1, 2, 8, 13. */
static const uint8_t elcr_writable[2] = { 0xF8, 0xDE };

static void chip_reset(struct vpic_chip *c)
{
    c->irr_edge = c->isr = c->imr = 0;
    c->prio_base = 0;
    c->special_mask = c->read_isr = c->poll = false;
    c->auto_eoi = c->rotate_aeoi = c->sfnm = false;
}

void vpic_init(struct vpic *p, struct virq_route *route)
{
    static const uint8_t base[2] = { 0x08, 0x70 };

    p->route = route;
    for (unsigned i = 0; i < 2; i++) {
        struct vpic_chip *c = &p->chip[i];

        /* As PC firmware leaves it (vectors 0x08/0x70, cascade on IR2), but with
         * every input masked: nothing arrives before the guest programs the PIC. */
        chip_reset(c);
        c->lines = c->elcr = 0;
        c->vector_base = base[i];
        c->icw3 = i == 0 ? 1u << CASCADE_IR : CASCADE_IR;
        c->init_step = 0;
        c->icw4_needed = true;
        c->single = c->level_all = false;
        c->imr = 0xFF;
    }
}

static bool cascaded(const struct vpic *p) { return !p->chip[0].single; }

static int prio_first(const struct vpic_chip *c, uint8_t bits)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned ir = (c->prio_base + i) & 7;

        if ((bits >> ir) & 1)
            return (int)ir;
    }
    return -1;
}

static unsigned prio_rank(const struct vpic_chip *c, int ir)
{
    return ((unsigned)ir - c->prio_base) & 7;
}

static int chip_request(const struct vpic *p, unsigned n);

static uint8_t chip_irr(const struct vpic *p, unsigned n)
{
    const struct vpic_chip *c = &p->chip[n];
    uint8_t level = c->level_all ? 0xFF : c->elcr;
    uint8_t irr = (c->irr_edge & ~level) | (c->lines & level);

    if (n == 0 && cascaded(p)) {
        irr &= ~(1u << CASCADE_IR);
        if (chip_request(p, 1) >= 0)
            irr |= 1u << CASCADE_IR;
    }
    return irr;
}

/* The IR chip n presents on its INT output, or -1. */
static int chip_request(const struct vpic *p, unsigned n)
{
    const struct vpic_chip *c = &p->chip[n];
    uint8_t req = chip_irr(p, n) & ~c->imr, isr = c->isr;
    int ir, cur;

    if (c->init_step)
        return -1;      /* mid-initialisation: no vectors defined yet */
    if (c->special_mask)
        return prio_first(c, req & ~isr);
    ir = prio_first(c, req);
    if (ir < 0)
        return -1;
    if (n == 0 && c->sfnm && ir == CASCADE_IR && cascaded(p))
        isr &= ~(1u << CASCADE_IR);
    cur = prio_first(c, isr);
    if (cur >= 0 && prio_rank(c, ir) >= prio_rank(c, cur))
        return -1;
    return ir;
}

int vpic_pending(const struct vpic *p)
{
    int m = chip_request(p, 0), s;

    if (m < 0)
        return -1;
    if (m != CASCADE_IR || !cascaded(p))
        return p->chip[0].vector_base + m;
    s = chip_request(p, 1);
    return s < 0 ? -1 : p->chip[1].vector_base + s;
}

static void chip_ack(struct vpic_chip *c, int ir)
{
    c->irr_edge &= ~(1u << ir);
    if (!c->auto_eoi)
        c->isr |= 1u << ir;
    else if (c->rotate_aeoi)
        c->prio_base = (ir + 1) & 7;
}

int vpic_accept(struct vpic *p)
{
    int m = chip_request(p, 0), s, vec;

    if (m < 0) {
        vec = p->chip[0].vector_base + 7;       /* spurious IRQ 7 */
    } else if (m != CASCADE_IR || !cascaded(p)) {
        chip_ack(&p->chip[0], m);
        vec = p->chip[0].vector_base + m;
    } else {
        s = chip_request(p, 1);
        chip_ack(&p->chip[0], m);
        if (s < 0) {
            /* Unreachable while IR2 follows the slave's output; INTA still answers,
             * as the slave would, with its IR7 vector. */
            vec = p->chip[1].vector_base + 7;
        } else {
            chip_ack(&p->chip[1], s);
            vec = p->chip[1].vector_base + s;
        }
    }
    virq_pic_notify(p->route);
    return vec;
}

void vpic_set_irq(struct vpic *p, unsigned irq, bool level)
{
    struct vpic_chip *c;
    uint8_t bit;

    if (irq >= 16 || (irq == CASCADE_IR && cascaded(p)))
        return;
    c = &p->chip[irq >> 3];
    bit = 1u << (irq & 7);
    if (level && !(c->lines & bit))
        c->irr_edge |= bit;
    c->lines = level ? c->lines | bit : c->lines & ~bit;
    virq_pic_notify(p->route);
}

static void write_ocw2(struct vpic_chip *c, uint8_t val)
{
    unsigned cmd = val >> 5, level = val & 7;
    int ir;

    switch (cmd) {
    case 1: case 5:             /* non-specific EOI (5: and rotate) */
        ir = prio_first(c, c->isr);
        if (ir < 0)
            break;
        c->isr &= ~(1u << ir);
        if (cmd == 5)
            c->prio_base = (ir + 1) & 7;
        break;
    case 3: case 7:             /* specific EOI (7: and rotate) */
        c->isr &= ~(1u << level);
        if (cmd == 7)
            c->prio_base = (level + 1) & 7;
        break;
    case 6:                     /* set priority: level becomes the lowest */
        c->prio_base = (level + 1) & 7;
        break;
    case 4: case 0:             /* rotate in auto-EOI mode: set, clear */
        c->rotate_aeoi = cmd == 4;
        break;
    default:                    /* 2: no operation */
        break;
    }
}

static void write_command(struct vpic_chip *c, uint8_t val)
{
    if (val & 0x10) {           /* ICW1: start of the initialisation sequence */
        chip_reset(c);
        c->icw4_needed = val & 1;
        c->single = val & 2;
        c->level_all = val & 8;
        c->init_step = 2;
    } else if (val & 0x08) {    /* OCW3 */
        c->poll = val & 4;
        if (val & 2)
            c->read_isr = val & 1;
        if (val & 0x40)
            c->special_mask = val & 0x20;
    } else {
        write_ocw2(c, val);
    }
}

static void write_data(struct vpic_chip *c, uint8_t val)
{
    switch (c->init_step) {
    case 2:                     /* ICW2: vector base */
        c->vector_base = val & 0xF8;
        c->init_step = !c->single ? 3 : c->icw4_needed ? 4 : 0;
        break;
    case 3:                     /* ICW3: cascade wiring (fixed here: IR2) */
        c->icw3 = val;
        c->init_step = c->icw4_needed ? 4 : 0;
        break;
    case 4:                     /* ICW4 */
        c->auto_eoi = val & 2;
        c->sfnm = val & 0x10;
        c->init_step = 0;
        break;
    default:                    /* OCW1 */
        c->imr = val;
        break;
    }
}

/* The poll command: the next read of the command port is an acknowledge that
 * returns 0x80 | IR, or 0 when the chip has no request. */
static uint8_t chip_poll(struct vpic *p, unsigned n)
{
    int ir = chip_request(p, n);

    p->chip[n].poll = false;
    if (ir < 0)
        return 0;
    chip_ack(&p->chip[n], ir);
    return 0x80 | (uint8_t)ir;
}

uint8_t vpic_port_read(struct vpic *p, unsigned port)
{
    unsigned n = (port & 0x80) ? 1 : 0;
    struct vpic_chip *c = &p->chip[n];
    uint8_t val;

    if (port == 0x4D0 || port == 0x4D1)
        return p->chip[port & 1].elcr;
    if (port & 1)
        return c->imr;
    if (c->poll) {
        val = chip_poll(p, n);
        virq_pic_notify(p->route);
        return val;
    }
    return c->read_isr ? c->isr : chip_irr(p, n);
}

void vpic_port_write(struct vpic *p, unsigned port, uint8_t val)
{
    unsigned n = (port & 0x80) ? 1 : 0;

    if (port == 0x4D0 || port == 0x4D1)
        p->chip[port & 1].elcr = val & elcr_writable[port & 1];
    else if (port & 1)
        write_data(&p->chip[n], val);
    else
        write_command(&p->chip[n], val);
    virq_pic_notify(p->route);
}

static bool our_port(uint64_t port)
{
    return port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1 ||
           port == 0x4D0 || port == 0x4D1;
}

/* A wider access covers consecutive ports (OUT DX, AX at 0x4D0 sets both ELCRs). */
static int io_read(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val)
{
    *val = 0;
    if (!our_port(addr))
        return -ENODEV;
    for (unsigned i = 0; i < size && i < 8; i++)
        if (our_port(addr + i))
            *val |= (uint64_t)vpic_port_read(dev, (unsigned)(addr + i)) << (8 * i);
    return 0;
}

static int io_write(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val)
{
    if (!our_port(addr))
        return -ENODEV;
    for (unsigned i = 0; i < size && i < 8; i++)
        if (our_port(addr + i))
            vpic_port_write(dev, (unsigned)(addr + i), (uint8_t)(val >> (8 * i)));
    return 0;
}

const struct hvm_io_ops vpic_io_ops = { .read = io_read, .write = io_write };
