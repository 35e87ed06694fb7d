/* The 16550A UART (core/hvm/vuart.c) through its ports, driven the way Linux's 8250
 * driver probes and runs it: the IER and loopback existence tests, FIFO
 * identification (and not a 16650/16750/XScale), the THRE re-arm test of
 * serial8250_do_startup, interrupt-driven transmit, receive FIFO levels, timeout
 * and overrun, IIR priorities, modem status deltas, and the OUT2 gate on IRQ 4. */
#include "vdev_fixture.h"

#define COM1 0x3f8
#define THR (COM1 + 0)
#define IER (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

struct rig {
    struct hvm_io_bus bus;
    struct vuart uart;
    struct irq_log irq;
    uint8_t out[512];
    unsigned nr_out;
};

static void rig_putc(void *ctx, uint8_t b)
{
    struct rig *r = ctx;

    if (r->nr_out < sizeof(r->out))
        r->out[r->nr_out] = b;
    r->nr_out++;
}

static void rig_init(struct rig *r)
{
    struct hvm_irq_sink sink = irq_log_sink(&r->irq);

    r->nr_out = 0;
    hvm_io_bus_init(&r->bus);
    vuart_init(&r->uart, VUART_COM1_BASE, VUART_COM1_IRQ, &sink, rig_putc, r);
    CHECK_EQ(vuart_register(&r->uart, &r->bus), 0);
}

#define IN(port)        inb(&r.bus, port, 0)
#define OUT(port, v)    outb(&r.bus, port, 0, v)

/* autoconfig(): IER holds its 4 bits, reads 0 above; loopback wires MCR to MSR. */
static void test_probe_existence(void)
{
    struct rig r;

    rig_init(&r);
    OUT(IER, 0);
    CHECK_EQ(IN(IER) & 0x0f, 0);
    OUT(IER, 0xff);
    CHECK_EQ(IN(IER), 0x0f);
    OUT(IER, 0);
    OUT(MCR, 0x10 | 0x0a);                  /* loop, OUT2, RTS */
    CHECK_EQ(IN(MSR) & 0xf0, 0x90);         /* DCD, CTS */
    OUT(MCR, 0x1f);
    CHECK_EQ(IN(MSR) & 0xf0, 0xf0);
    OUT(MCR, 0);
    CHECK_EQ(IN(MSR) & 0xf0, 0xb0);         /* back to the terminal: DCD, DSR, CTS */
    OUT(SCR, 0x5a);
    CHECK_EQ(IN(SCR), 0x5a);
    CHECK(IN(LSR) != 0xff);                 /* "LSR safety check" */
}

/* autoconfig_16550a(): FIFO bits in IIR, no EFR behind DLAB, no 64-byte FIFO, no
 * UUE bit: a plain 16550A. */
static void test_probe_type(void)
{
    struct rig r;

    rig_init(&r);
    CHECK_EQ(IN(IIR), 0x01);                /* FIFOs off, nothing pending */
    OUT(FCR, 0x01);
    CHECK_EQ(IN(IIR) >> 6, 3);
    OUT(LCR, 0x80);
    CHECK(IN(IIR) != 0);                    /* EFR would read 0 on a 16650 */
    OUT(LCR, 0xbf);
    CHECK(IN(IIR) != 0);
    OUT(LCR, 0);
    OUT(FCR, 0x21);                         /* 64-byte FIFO request */
    CHECK_EQ(IN(IIR) >> 5, 6);
    OUT(LCR, 0x80);
    OUT(FCR, 0x21);
    CHECK_EQ(IN(IIR) >> 5, 6);              /* a 16750 would show 7 */
    OUT(LCR, 0);
    OUT(IER, 0x40);                         /* XScale UUE bit */
    CHECK_EQ(IN(IER) & 0x40, 0);
    OUT(FCR, 0);
    CHECK_EQ(IN(IIR), 0x01);
}

/* serial8250_do_startup's THRE test: enabling THRI with THR empty raises THRE; the
 * IIR read that reports it clears it; disabling and enabling again re-raises it. A
 * UART without this gets UART_BUG_THRE. Also the TXEN test: LSR TEMT with THRE. */
static void test_thre_rearm(void)
{
    struct rig r;
    uint8_t iir1, iir2, lsr;

    rig_init(&r);
    OUT(FCR, 0x07);
    OUT(LCR, 0x03);
    OUT(MCR, 0x0b);                         /* DTR, RTS, OUT2 */
    OUT(IER, 0x02);
    lsr = IN(LSR);
    iir1 = IN(IIR);
    OUT(IER, 0);
    OUT(IER, 0x02);
    iir2 = IN(IIR);
    OUT(IER, 0);
    CHECK_EQ(lsr & 0x60, 0x60);
    CHECK_EQ(iir1, 0xc2);
    CHECK_EQ(iir2, 0xc2);
    CHECK_EQ(r.irq.rises[4], 2);
    CHECK_EQ(r.irq.level[4], 0);
    /* Reported once: the read that reports THRE clears it. */
    OUT(IER, 0x02);
    CHECK_EQ(IN(IIR), 0xc2);
    CHECK_EQ(IN(IIR), 0xc1);
    CHECK_EQ(r.irq.level[4], 0);
    /* Rewriting IER with THRI already set does not raise it again. */
    OUT(IER, 0x03);
    CHECK_EQ(IN(IIR), 0xc1);
}

/* Interrupt-driven transmit as serial8250_tx_chars does it: on each THRE interrupt
 * write up to 16 bytes, then stop (IER THRI off). Every THR write gives a new edge. */
static void test_tx_interrupts(void)
{
    static const char msg[] = "hvlab says hello through COM1, more than 16 bytes";
    struct rig r;
    unsigned sent = 0, irqs = 0;

    rig_init(&r);
    OUT(FCR, 0x07);
    OUT(MCR, 0x0b);
    OUT(IER, 0x01 | 0x02);                  /* RDI | THRI: start_tx */
    while (r.irq.level[4]) {
        uint8_t iir = IN(IIR);
        irqs++;
        if ((iir & 0x0f) != 0x02)
            break;
        if (sent == sizeof(msg) - 1) {
            OUT(IER, 0x01);                 /* __stop_tx */
            break;
        }
        for (unsigned n = 0; n < 16 && sent < sizeof(msg) - 1; n++)
            OUT(THR, (uint8_t)msg[sent++]);
        if (irqs > 10)
            break;
    }
    CHECK_EQ(r.nr_out, sizeof(msg) - 1);
    CHECK(memcmp(r.out, msg, sizeof(msg) - 1) == 0);
    CHECK_EQ(irqs, 5);                      /* 16 + 16 + 16 + 1 bytes, then stop */
    CHECK_EQ(r.irq.level[4], 0);
    CHECK(r.irq.rises[4] >= 4);
}

/* Writing THR clears a pending THRE and, the byte gone at once, sets it again: the
 * line falls and rises, a new edge for the edge-triggered IRQ 4 per byte. */
static void test_thr_write_edge(void)
{
    struct rig r;

    rig_init(&r);
    OUT(MCR, 0x08);
    OUT(IER, 0x02);
    CHECK_EQ(r.irq.rises[4], 1);
    OUT(THR, 'a');
    OUT(THR, 'b');
    CHECK_EQ(r.irq.rises[4], 3);
    CHECK_EQ(r.irq.level[4], 1);
    CHECK_EQ(IN(IIR), 0x02);
    CHECK_EQ(r.irq.level[4], 0);
    CHECK_EQ(r.nr_out, 2);
}

/* Loopback: THR goes to the receive FIFO, not to putc; 256 bytes in (Linux's
 * size_fifo) leave 16 and an overrun; the line is gated off. */
static void test_loopback_fifo_overrun(void)
{
    struct rig r;
    unsigned count = 0;

    rig_init(&r);
    OUT(FCR, 0x07);
    OUT(MCR, 0x1b);                         /* loop, OUT2, RTS, DTR */
    OUT(IER, 0x0f);
    for (unsigned i = 0; i < 256; i++)
        OUT(THR, (uint8_t)i);
    CHECK_EQ(r.nr_out, 0);
    CHECK_EQ(r.irq.calls[4], 0);            /* no IRQ in loopback */
    CHECK_EQ(IN(IIR), 0xc6);                /* line status first: overrun */
    CHECK_EQ(IN(LSR), 0x63);                /* DR, OE, THRE, TEMT */
    CHECK_EQ(IN(LSR), 0x61);                /* OE cleared by the read */
    while (IN(LSR) & 0x01) {
        uint8_t b = IN(THR);
        if (b != count)
            printf("    byte %u: %u\n", count, b);
        CHECK_EQ(b, count);
        count++;
    }
    CHECK_EQ(count, 16);
    CHECK_EQ(vuart_rx_room(&r.uart), 0);    /* loopback: input disconnected */
    CHECK_EQ(vuart_input(&r.uart, (const uint8_t *)"x", 1), 0);
}

/* Input from dom0: room, trigger levels and timeout, overrun beyond 16, order kept. */
static void test_input_fifo(void)
{
    static const struct { uint8_t fcr; unsigned n; uint8_t iir; } rows[] = {
        { 0x01, 1, 0xc4 },                  /* trigger 1 */
        { 0x41, 3, 0xcc },                  /* trigger 4, 3 bytes: timeout */
        { 0x41, 4, 0xc4 },
        { 0x81, 7, 0xcc },                  /* trigger 8: Linux's choice */
        { 0x81, 8, 0xc4 },
        { 0xc1, 13, 0xcc },                 /* trigger 14 */
        { 0xc1, 14, 0xc4 },
        { 0x00, 1, 0x04 },                  /* no FIFO: 1 byte is data available */
    };
    uint8_t buf[32];

    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)('a' + i);
    for (unsigned i = 0; i < ARRAY_SIZE(rows); i++) {
        struct rig r;
        uint8_t iir;

        rig_init(&r);
        OUT(FCR, rows[i].fcr);
        OUT(IER, 0x01);
        OUT(MCR, 0x08);
        CHECK_EQ(vuart_input(&r.uart, buf, rows[i].n), rows[i].n);
        iir = IN(IIR);
        if (iir != rows[i].iir)
            printf("    FCR %#x, %u bytes: IIR %#x, want %#x\n", rows[i].fcr, rows[i].n,
                   iir, rows[i].iir);
        CHECK_EQ(iir, rows[i].iir);
        CHECK_EQ(r.irq.level[4], 1);
        while (IN(LSR) & 0x01)
            IN(THR);
        CHECK_EQ(r.irq.level[4], 0);
        CHECK_EQ(IN(IIR) & 0x0f, 0x01);
    }
}

static void test_input_overrun(void)
{
    uint8_t buf[20];
    struct rig r;

    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)i;
    rig_init(&r);
    OUT(FCR, 0x01);
    CHECK_EQ(vuart_rx_room(&r.uart), 16);
    CHECK_EQ(vuart_input(&r.uart, buf, 10), 10);
    CHECK_EQ(vuart_rx_room(&r.uart), 6);
    CHECK_EQ(vuart_input(&r.uart, buf + 10, 10), 6);        /* 4 lost */
    CHECK_EQ(IN(LSR) & 0x03, 0x03);
    for (unsigned i = 0; i < 16; i++)
        CHECK_EQ(IN(THR), i);
    CHECK_EQ(IN(LSR) & 0x03, 0x00);
    CHECK_EQ(IN(THR), 15);                                  /* empty: last byte again */
    /* FIFOs off: a second byte overwrites the unread one. */
    OUT(FCR, 0x00);
    CHECK_EQ(vuart_input(&r.uart, (const uint8_t *)"AB", 2), 1);
    CHECK_EQ(IN(LSR) & 0x03, 0x03);
    CHECK_EQ(IN(THR), 'B');
    /* FCR clear-receive empties the FIFO. */
    OUT(FCR, 0x01);
    vuart_input(&r.uart, buf, 5);
    OUT(FCR, 0x03);
    CHECK_EQ(IN(LSR) & 0x01, 0);
}

/* IIR reports the highest-priority source; serving each uncovers the next. */
static void test_iir_priority(void)
{
    struct rig r;

    rig_init(&r);
    OUT(FCR, 0x81);                         /* trigger 8 */
    OUT(MCR, 0x08);
    vuart_input(&r.uart, (const uint8_t *)"0123456789abcdefXYZ", 19);   /* overrun */
    OUT(MCR, 0x09);                         /* no delta: not looped back */
    OUT(MCR, 0x18);                         /* loopback: DCD stays, CTS/DSR drop */
    OUT(MCR, 0x08);
    OUT(IER, 0x0f);
    CHECK_EQ(IN(IIR), 0xc6);                /* receiver line status */
    CHECK_EQ(IN(IIR), 0xc6);                /* until LSR is read */
    IN(LSR);
    CHECK_EQ(IN(IIR), 0xc4);                /* 16 >= trigger: data available */
    for (unsigned i = 0; i < 9; i++)
        IN(THR);
    CHECK_EQ(IN(IIR), 0xcc);                /* 7 left, below trigger: timeout */
    while (IN(LSR) & 0x01)
        IN(THR);
    CHECK_EQ(IN(IIR), 0xc2);                /* THR empty, cleared by this read */
    CHECK_EQ(IN(IIR), 0xc0);                /* modem status */
    CHECK_EQ(IN(MSR) & 0x0f, 0x03);         /* DCTS, DDSR */
    CHECK_EQ(IN(IIR), 0xc1);
    CHECK_EQ(r.irq.level[4], 0);
}

/* Ring indicator: TERI only on its trailing edge; DCD toggles give DDCD. */
static void test_modem_deltas(void)
{
    struct rig r;

    rig_init(&r);
    OUT(MCR, 0x10);
    IN(MSR);
    OUT(MCR, 0x14);                         /* OUT1 -> RI rises */
    CHECK_EQ(IN(MSR), 0x40);
    OUT(MCR, 0x10);                         /* RI falls */
    CHECK_EQ(IN(MSR), 0x04);
    OUT(MCR, 0x18);                         /* OUT2 -> DCD */
    CHECK_EQ(IN(MSR), 0x88);
    CHECK_EQ(IN(MSR), 0x80);                /* deltas cleared by the read */
}

/* The divisor latch hides THR/IER behind DLAB; nothing is sent while it is set. */
static void test_dlab(void)
{
    struct rig r;

    rig_init(&r);
    OUT(IER, 0x05);
    OUT(LCR, 0x83);
    CHECK_EQ(IN(THR), 12);                  /* 9600 baud at power-on */
    OUT(THR, 0x01);
    OUT(IER, 0x00);
    CHECK_EQ(IN(THR), 0x01);
    CHECK_EQ(IN(IER), 0x00);
    CHECK_EQ(r.nr_out, 0);
    OUT(LCR, 0x03);
    CHECK_EQ(IN(IER), 0x05);
    OUT(THR, 'x');
    CHECK_EQ(r.nr_out, 1);
    CHECK_EQ(r.out[0], 'x');
    CHECK_EQ(IN(LCR), 0x03);
}

/* The line reaches IRQ 4 only with OUT2 set and loopback off. */
static void test_out2_gate(void)
{
    struct rig r;

    rig_init(&r);
    OUT(IER, 0x01);
    vuart_input(&r.uart, (const uint8_t *)"z", 1);
    CHECK_EQ(r.irq.calls[4], 0);
    OUT(MCR, 0x08);
    CHECK_EQ(r.irq.level[4], 1);
    OUT(MCR, 0x00);
    CHECK_EQ(r.irq.level[4], 0);
    OUT(MCR, 0x08);
    CHECK_EQ(IN(THR), 'z');
    CHECK_EQ(r.irq.level[4], 0);
    CHECK_EQ(r.irq.rises[4], 2);
}

static const struct unit_case cases[] = {
    { "probe: IER bits, loopback MSR, scratch, LSR", test_probe_existence },
    { "probe: FIFO bits, no EFR/64-byte FIFO/UUE: a 16550A", test_probe_type },
    { "THRE: raised by enabling THRI, cleared by IIR read", test_thre_rearm },
    { "interrupt-driven transmit, 16 bytes per THRE", test_tx_interrupts },
    { "THR write: THRE cleared then set again, one edge per byte", test_thr_write_edge },
    { "loopback: 256 bytes in, 16 kept, overrun", test_loopback_fifo_overrun },
    { "input: trigger levels and timeout", test_input_fifo },
    { "input: overrun at 16, FIFOs off, clear", test_input_overrun },
    { "IIR priorities: RLS, RDA, timeout, THRE, MSR", test_iir_priority },
    { "modem status deltas in loopback", test_modem_deltas },
    { "divisor latch behind DLAB", test_dlab },
    { "IRQ 4 gated by OUT2", test_out2_gate },
};
UNIT_MAIN(cases)
