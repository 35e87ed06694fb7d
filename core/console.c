/* Consoles: the 16550 UART at COM1 and QEMU's debugcon (port 0xe9). console= picks
 * them: "com1", "debugcon", both ("com1,debugcon"), or "none". Polled output only:
 * the console must work from any context, including a panic with interrupts off. */
#include <hvlab/cmdline.h>
#include <hvlab/errno.h>
#include <hvlab/printk.h>
#include <hvlab/x86/regs.h>

#define COM1 0x3f8
#define DEBUGCON 0xe9
#define CON_COM1     1u
#define CON_DEBUGCON 2u

static unsigned consoles = CON_COM1;

static int console_param(const char *val)
{
    unsigned set = 0;
    while (*val) {
        size_t n = 0;
        while (val[n] && val[n] != ',')
            n++;
        if (n == 4 && !strncmp(val, "com1", 4))
            set |= CON_COM1;
        else if (n == 8 && !strncmp(val, "debugcon", 8))
            set |= CON_DEBUGCON;
        else if (!(n == 4 && !strncmp(val, "none", 4)))
            return -EINVAL;
        val += n + (val[n] == ',');
    }
    consoles = set;
    return 0;
}
boot_param_custom("console", console_param, "com1, debugcon, com1,debugcon or none");

void console_init(void)
{
    outb(COM1 + 1, 0x00);   /* no UART interrupts */
    outb(COM1 + 3, 0x80);   /* DLAB: set the divisor */
    outb(COM1 + 0, 0x01);   /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    outb(COM1 + 2, 0xc7);   /* FIFO on */
    outb(COM1 + 4, 0x03);
}

static void com1_putc(char c)
{
    while (!(inb(COM1 + 5) & 0x20))     /* transmit holding register empty */
        ;
    outb(COM1, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (consoles & CON_COM1) {
            if (s[i] == '\n')
                com1_putc('\r');
            com1_putc(s[i]);
        }
        if (consoles & CON_DEBUGCON)
            outb(DEBUGCON, (uint8_t)s[i]);
    }
}
