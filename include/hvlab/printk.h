/* printk with levels. Output goes to every console enabled by console= (COM1 serial,
 * QEMU debugcon); messages above loglvl= are dropped. Lines from different CPUs never
 * interleave: the console lock is held per line. */
#ifndef HVLAB_PRINTK_H
#define HVLAB_PRINTK_H

#include <hvlab/lib.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void printk(enum log_level lvl, const char *fmt, ...) __printf(2, 3);
void vprintk(enum log_level lvl, const char *fmt, va_list ap);
/* Print an unfinished line (a prompt); the next message starts on a new line. */
void printk_partial(const char *s);

#define pr_err(...)   printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

/* core/console.c */
void console_init(void);
void console_write(const char *s, size_t n);
/* core/console_ring.c: keep a copy for dom0 (xl dmesg). */
void console_log_append(const char *s, size_t n);
/* Panic path: drop the console lock if this CPU's panic interrupted a holder. */
void console_force_unlock(void);

#endif
