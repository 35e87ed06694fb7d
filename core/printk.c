/* printk: format into a per-call buffer, then write the whole line under the console
 * lock so that lines from different CPUs never interleave. Lines carry the time since
 * boot (seconds.microseconds of NOW(); instructions/1000 under -icount) once the TSC
 * is calibrated. loglvl= sets the threshold (err, warn, info, debug or 0-3). */
#include <hvlab/cmdline.h>
#include <hvlab/errno.h>
#include <hvlab/printk.h>
#include <hvlab/spinlock.h>
#include <hvlab/time.h>

static unsigned loglvl = LOG_INFO;
static spinlock_t console_lock = SPIN_LOCK_UNLOCKED;
static bool midline;                    /* a printk_partial() left the line open */

static int loglvl_param(const char *val)
{
    static const char *const names[] = { "err", "warn", "info", "debug" };
    for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
        if (!strcmp(val, names[i]) || (val[0] == (char)('0' + i) && !val[1])) {
            loglvl = i;
            return 0;
        }
    }
    return -EINVAL;
}
boot_param_custom("loglvl", loglvl_param, "err, warn, info (default) or debug");

void vprintk(enum log_level lvl, const char *fmt, va_list ap)
{
    char buf[512];
    int n = 0;
    if ((unsigned)lvl > loglvl)
        return;
    if (tsc_khz) {                      /* time since boot, once the TSC is calibrated */
        s_time_t now = NOW();
        n = fmt_snprintf(buf, sizeof(buf), "[%4lu.%06lu] ", (unsigned long)(now / 1000000000),
                         (unsigned long)(now / 1000 % 1000000));
    }
    n += fmt_vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;            /* truncated line: still printed */
    unsigned long f;
    spin_lock_irqsave(&console_lock, f);
    if (midline) {
        console_write("\n", 1);
        console_log_append("\n", 1);
        midline = false;
    }
    console_write(buf, (size_t)n);
    console_log_append(buf, (size_t)n);
    spin_unlock_irqrestore(&console_lock, f);
}

void printk(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(lvl, fmt, ap);
    va_end(ap);
}

/* Text with no newline (dom0's prompt): the next printk starts a new line. */
void printk_partial(const char *s)
{
    printk(LOG_INFO, "%s", s);
    midline = true;
}

void console_force_unlock(void)
{
    spin_lock_init(&console_lock);
}
