/* The console beyond printk: the log ring that dom0 reads back (xl dmesg), guests'
 * console output (one printk line per guest line, prefixed "(dN) "), and console
 * input for dom0's interactive shell, polled from the UART only while dom0 waits for
 * input, so that non-interactive (deterministic) runs have no polling at all. */
#include <hvlab/domain.h>
#include <hvlab/event.h>
#include <hvlab/hypercall.h>
#include <hvlab/printk.h>
#include <hvlab/spinlock.h>
#include <hvlab/time.h>
#include <hvlab/timer.h>
#include <hvlab/x86/regs.h>

#define LOG_SIZE (64 * 1024)            /* power of two */
#define COM1 0x3f8
#define INPUT_POLL MILLISECS(20)

/* Guarded by log_lock: the ring and its running byte count. */
static spinlock_t log_lock = SPIN_LOCK_UNLOCKED;
static char log_ring[LOG_SIZE];
static uint32_t log_head;               /* bytes ever written; wraps at 4 GiB */

void console_log_append(const char *s, size_t n)
{
    unsigned long f;
    spin_lock_irqsave(&log_lock, f);
    for (size_t i = 0; i < n; i++)
        log_ring[(log_head + i) & (LOG_SIZE - 1)] = s[i];
    log_head += (uint32_t)n;
    spin_unlock_irqrestore(&log_lock, f);
}

/* Copy log bytes from *index on; an index that fell out of the ring restarts at the
 * oldest byte still there. */
size_t console_log_read(char *buf, size_t max, uint32_t *index)
{
    unsigned long f;
    size_t n = 0;
    spin_lock_irqsave(&log_lock, f);
    if (log_head - *index > LOG_SIZE)
        *index = log_head - LOG_SIZE;
    while (n < max && *index != log_head)
        buf[n++] = log_ring[(*index)++ & (LOG_SIZE - 1)];
    spin_unlock_irqrestore(&log_lock, f);
    return n;
}

/* Guest output: buffered per domain until a newline, then printed whole. */
void console_guest_write(struct domain *d, const char *s, size_t n)
{
    unsigned long f;
    spin_lock_irqsave(&d->con_lock, f);
    for (size_t i = 0; i < n; i++) {
        bool full = d->con_len >= sizeof(d->con_line) - 1;
        if (s[i] != '\n' && !full) {
            d->con_line[d->con_len++] = s[i];
            continue;
        }
        d->con_line[d->con_len] = '\0';
        printk(LOG_INFO, "(d%u) %s\n", d->domain_id, d->con_line);
        d->con_len = 0;
        if (full && s[i] != '\n')
            d->con_line[d->con_len++] = s[i];
    }
    spin_unlock_irqrestore(&d->con_lock, f);
}

/* ---- input ---- */

static struct timer input_timer;
static bool input_timer_ready;

static bool uart_has_input(void)
{
    return inb(COM1 + 5) & 1;
}

static void input_poll(void *data)
{
    (void)data;
    if (uart_has_input() && dom0)
        send_guest_global_virq(dom0, VIRQ_CONSOLE);
    else
        timer_set(&input_timer, NOW() + INPUT_POLL);
}

size_t console_read_input(char *buf, size_t max)
{
    size_t n = 0;

    /* dom0 waits for input: show its unfinished line (a prompt) now. */
    if (dom0 && dom0->con_len) {
        char line[sizeof(dom0->con_line) + 8];
        unsigned long f;
        spin_lock_irqsave(&dom0->con_lock, f);
        dom0->con_line[dom0->con_len] = '\0';
        fmt_snprintf(line, sizeof(line), "(d0) %s", dom0->con_line);
        dom0->con_len = 0;
        spin_unlock_irqrestore(&dom0->con_lock, f);
        printk_partial(line);
    }
    while (n < max && uart_has_input())
        buf[n++] = (char)inb(COM1);
    if (n == 0) {
        /* dom0 is about to wait for input: watch the UART until some arrives. */
        if (!input_timer_ready) {
            timer_init(&input_timer, input_poll, NULL, 0);
            input_timer_ready = true;
        }
        if (!timer_pending(&input_timer))
            timer_set(&input_timer, NOW() + INPUT_POLL);
    }
    return n;
}
