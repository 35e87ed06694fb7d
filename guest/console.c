/* Console output (and dom0's input) through HYPERVISOR_console_io.
 *
 * Design: printf formats into a buffer on the stack with the shared formatter
 * (core/lib/vsnprintf.c) and writes it with one hypercall, so lines from event
 * handlers and from the main flow interleave only at call boundaries.
 * Locking: console_lock (taken with events disabled, so an event handler's printf
 * cannot deadlock on its own vCPU) makes each call's output contiguous across vCPUs:
 * the hypervisor prefixes each line, and would otherwise mix two vCPUs' partial lines.
 * Limitations: one printf prints at most GUEST_PRINTF_MAX - 1 bytes; longer output
 * is cut and marked "[cut]". No floating point (-mgeneral-regs-only). */
#include <guest.h>

static spinlock_t console_lock = SPINLOCK_INIT;

static int write_locked(const char *s, size_t n)
{
    while (n) {
        size_t chunk = MIN(n, (size_t)CONSOLEIO_MAX);
        long rc = hv_console_io(CONSOLEIO_write, chunk, (void *)s);

        if (rc < 0)
            return (int)rc;
        s += chunk;
        n -= chunk;
    }
    return 0;
}

int console_write(const char *s, size_t n)
{
    unsigned long flags = spin_lock_irqsave(&console_lock);
    int rc = write_locked(s, n);

    spin_unlock_irqrestore(&console_lock, flags);
    return rc;
}

long console_read(char *buf, size_t n)
{
    return hv_console_io(CONSOLEIO_read, n, buf);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return fmt_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    static const char cut[] = "[cut]\n";
    char buf[GUEST_PRINTF_MAX];
    int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    unsigned long flags;

    if (n < 0)
        return n;
    flags = spin_lock_irqsave(&console_lock);
    write_locked(buf, MIN((size_t)n, sizeof(buf) - 1));
    if ((size_t)n >= sizeof(buf))
        write_locked(cut, sizeof(cut) - 1);
    spin_unlock_irqrestore(&console_lock, flags);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    unsigned long flags = spin_lock_irqsave(&console_lock);
    int rc = write_locked(s, strlen(s));

    if (!rc)
        rc = write_locked("\n", 1);
    spin_unlock_irqrestore(&console_lock, flags);
    return rc;
}
