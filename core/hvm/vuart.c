/* A National 16550A UART for an HVM domain's console. See <hvlab/hvm/vdev.h>.
 *
 * Design: transmission is instantaneous: a byte written to THR goes straight to
 * putc (or, in loopback, into the receive FIFO), so THR and the transmitter are
 * always empty when the guest looks (LSR THRE and TEMT stay set). The THRE interrupt
 * is a latch, the way Linux's 8250 driver expects it: set when THR empties (right
 * after each write) and when IER's THRI goes from 0 to 1, cleared by writing THR
 * and by an IIR read that reports it. A THR write therefore drops the line and
 * raises it again: a fresh edge for the (edge-triggered) ISA IRQ. Receive data sits
 * in a 16-byte FIFO (1 byte with FIFOs off); a byte that finds it full is lost and
 * sets OE. Below the trigger level the FIFO reports a character timeout at once:
 * input arrives from dom0 in whole bursts, so there is nothing to wait 4 character
 * times for. The interrupt line (IRQ 4) is the IIR's pending state gated by MCR
 * OUT2, and off in loopback (OUT2 is then internal), as on a PC.
 *
 * Locking: none (see vdev.h).
 *
 * Limitations: no baud-rate timing (the divisor is stored only), no parity,
 * framing or break conditions (LSR PE, FE, BI and bit 7 stay 0), no DMA mode, no
 * 64-byte FIFO (FCR bit 5 ignored, as on a 16550A). Modem inputs are fixed (CTS,
 * DSR, DCD asserted) outside loopback. */
#include <hvlab/errno.h>
#include <hvlab/hvm/vdev.h>
#include <hvlab/lib.h>

enum { R_DATA, R_IER, R_IIR_FCR, R_LCR, R_MCR, R_LSR, R_MSR, R_SCR };

#define IER_RDI     0x01
#define IER_THRI    0x02
#define IER_RLSI    0x04
#define IER_MSI     0x08
#define IIR_MSI     0x00
#define IIR_NONE    0x01
#define IIR_THRI    0x02
#define IIR_RDI     0x04
#define IIR_RLSI    0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFOS   0xc0
#define FCR_ENABLE  0x01
#define FCR_CLR_RX  0x02
#define FCR_KEPT    0xc1        /* enable and trigger level */
#define LCR_DLAB    0x80
#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_OUT1    0x04
#define MCR_OUT2    0x08
#define MCR_LOOP    0x10
#define LSR_DR      0x01
#define LSR_OE      0x02
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define MSR_DCTS    0x01
#define MSR_DDSR    0x02
#define MSR_TERI    0x04
#define MSR_DDCD    0x08
#define MSR_CTS     0x10
#define MSR_DSR     0x20
#define MSR_RI      0x40
#define MSR_DCD     0x80
#define MSR_DELTAS  0x0f

static bool fifo_on(const struct vuart *u)
{
    return u->fcr & FCR_ENABLE;
}

static unsigned rx_capacity(const struct vuart *u)
{
    return fifo_on(u) ? VUART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct vuart *u)
{
    static const uint8_t level[4] = { 1, 4, 8, 14 };

    return level[u->fcr >> 6];
}

/* The pending interrupt of highest priority: line status, received data (or
 * character timeout), THR empty, modem status. */
static uint8_t iir_id(const struct vuart *u)
{
    if ((u->ier & IER_RLSI) && u->overrun)
        return IIR_RLSI;
    if ((u->ier & IER_RDI) && u->rx_count)
        return fifo_on(u) && u->rx_count < rx_trigger(u) ? IIR_TIMEOUT : IIR_RDI;
    if ((u->ier & IER_THRI) && u->thre_pending)
        return IIR_THRI;
    if ((u->ier & IER_MSI) && (u->msr & MSR_DELTAS))
        return IIR_MSI;
    return IIR_NONE;
}

static void irq_update(struct vuart *u)
{
    bool level = iir_id(u) != IIR_NONE && (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

    if (level != u->line) {
        u->line = level;
        u->irq.set_level(u->irq.ctx, u->isa_irq, level);
    }
}

static void rx_clear(struct vuart *u)
{
    u->rx_head = u->rx_count = 0;
}

/* One received byte; false when it overran (lost, or with FIFOs off, the unread
 * byte it replaced was). */
static bool rx_push(struct vuart *u, uint8_t b)
{
    if (u->rx_count < rx_capacity(u)) {
        u->rx[(u->rx_head + u->rx_count) % VUART_FIFO_SIZE] = b;
        u->rx_count++;
        return true;
    }
    u->overrun = true;
    if (!fifo_on(u))
        u->rx[u->rx_head] = b;      /* the 16450 holding register is overwritten */
    return false;
}

static uint8_t rx_pop(struct vuart *u)
{
    if (u->rx_count) {
        u->rbr_last = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % VUART_FIFO_SIZE;
        u->rx_count--;
    }
    return u->rbr_last;
}

/* Modem inputs: in loopback the outputs wired back (RTS->CTS, DTR->DSR, OUT1->RI,
 * OUT2->DCD), else a connected terminal. Changes set the delta bits. */
static void modem_update(struct vuart *u)
{
    uint8_t m = u->mcr, now_in, old = u->msr & ~MSR_DELTAS, d = 0;

    if (m & MCR_LOOP)
        now_in = (uint8_t)((m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) |
                           (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0));
    else
        now_in = MSR_CTS | MSR_DSR | MSR_DCD;
    if ((old ^ now_in) & MSR_CTS)
        d |= MSR_DCTS;
    if ((old ^ now_in) & MSR_DSR)
        d |= MSR_DDSR;
    if ((old ^ now_in) & MSR_DCD)
        d |= MSR_DDCD;
    if ((old & MSR_RI) && !(now_in & MSR_RI))
        d |= MSR_TERI;              /* trailing edge of ring indicator */
    u->msr = (uint8_t)(now_in | (u->msr & MSR_DELTAS) | d);
}

static void thr_write(struct vuart *u, uint8_t v)
{
    u->thre_pending = false;
    irq_update(u);                  /* the line drops while the byte is in THR */
    if (u->mcr & MCR_LOOP)
        rx_push(u, v);
    else
        u->putc(u->putc_ctx, v);
    u->thre_pending = true;         /* and THR is empty again */
}

static void ier_write(struct vuart *u, uint8_t v)
{
    bool was = u->ier & IER_THRI;

    u->ier = v & 0x0f;              /* bits 4-7 do not exist on a 16550A */
    if (!(u->ier & IER_THRI))
        u->thre_pending = false;
    else if (!was)
        u->thre_pending = true;     /* THR is empty: enabling THRI raises it */
}

static void fcr_write(struct vuart *u, uint8_t v)
{
    if ((v & FCR_ENABLE) != (u->fcr & FCR_ENABLE))
        rx_clear(u);                /* switching FIFO mode empties the FIFOs */
    if (!(v & FCR_ENABLE)) {
        u->fcr = 0;                 /* the other bits need FIFO enable */
        return;
    }
    if (v & FCR_CLR_RX)
        rx_clear(u);
    u->fcr = v & FCR_KEPT;
}

static uint8_t uart_read_byte(void *dev, uint64_t addr, uint64_t now)
{
    struct vuart *u = dev;
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t v;

    switch (addr - u->base) {
    case R_DATA:
        v = dlab ? u->dll : rx_pop(u);
        break;
    case R_IER:
        v = dlab ? u->dlm : u->ier;
        break;
    case R_IIR_FCR:
        v = iir_id(u);
        if (v == IIR_THRI)
            u->thre_pending = false;
        v |= fifo_on(u) ? IIR_FIFOS : 0;
        break;
    case R_LCR:
        v = u->lcr;
        break;
    case R_MCR:
        v = u->mcr;
        break;
    case R_LSR:
        v = (uint8_t)((u->rx_count ? LSR_DR : 0) | (u->overrun ? LSR_OE : 0) |
                      LSR_THRE | LSR_TEMT);
        u->overrun = false;
        break;
    case R_MSR:
        v = u->msr;
        u->msr &= ~MSR_DELTAS;
        break;
    default:
        v = u->scr;
        break;
    }
    irq_update(u);
    return v;
}

static void uart_write_byte(void *dev, uint64_t addr, uint64_t now, uint8_t v)
{
    struct vuart *u = dev;
    bool dlab = u->lcr & LCR_DLAB;

    switch (addr - u->base) {
    case R_DATA:
        if (dlab)
            u->dll = v;
        else
            thr_write(u, v);
        break;
    case R_IER:
        if (dlab)
            u->dlm = v;
        else
            ier_write(u, v);
        break;
    case R_IIR_FCR:
        fcr_write(u, v);
        break;
    case R_LCR:
        u->lcr = v;
        break;
    case R_MCR:
        u->mcr = v & 0x1f;          /* bits 5-7 do not exist on a 16550A */
        modem_update(u);
        break;
    case R_SCR:
        u->scr = v;
        break;
    default:
        break;                      /* LSR, MSR: factory test / read-only */
    }
    irq_update(u);
}

static int uart_io_read(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t *val)
{
    hvm_io_bytes_read(dev, addr, size, now, val, uart_read_byte);
    return 0;
}

static int uart_io_write(void *dev, uint64_t addr, unsigned size, uint64_t now, uint64_t val)
{
    hvm_io_bytes_write(dev, addr, size, now, val, uart_write_byte);
    return 0;
}

static const struct hvm_io_ops vuart_io_ops = { .read = uart_io_read, .write = uart_io_write };

void vuart_init(struct vuart *u, uint16_t base, uint8_t isa_irq,
                const struct hvm_irq_sink *irq, void (*putc)(void *ctx, uint8_t byte),
                void *putc_ctx)
{
    memset(u, 0, sizeof(*u));
    u->irq = *irq;
    u->putc = putc;
    u->putc_ctx = putc_ctx;
    u->base = base;
    u->isa_irq = isa_irq;
    u->dll = 12;                    /* 115200 / 12 = 9600 baud */
    modem_update(u);
    u->msr &= ~MSR_DELTAS;          /* the terminal was there before power-on */
}

int vuart_register(struct vuart *u, struct hvm_io_bus *bus)
{
    return hvm_io_register(bus, HVM_IO_PORT, u->base, 8, &vuart_io_ops, u);
}

size_t vuart_rx_room(const struct vuart *u)
{
    return u->mcr & MCR_LOOP ? 0 : rx_capacity(u) - u->rx_count;
}

size_t vuart_input(struct vuart *u, const uint8_t *bytes, size_t len)
{
    size_t stored = 0;

    if (u->mcr & MCR_LOOP)
        return 0;                   /* serial input is disconnected in loopback */
    for (size_t i = 0; i < len; i++)
        stored += rx_push(u, bytes[i]);
    irq_update(u);
    return stored;
}
