/* panic(): print the reason and a stack trace, stop the other CPUs, and leave QEMU
 * with a non-zero status. A second panic on the way (from another CPU, or nested)
 * just stops its CPU so the first message is the one that reaches the console. */
#include <hvlab/irq.h>
#include <hvlab/panic.h>
#include <hvlab/percpu.h>
#include <hvlab/printk.h>
#include <hvlab/shutdown.h>
#include <hvlab/smp.h>
#include <hvlab/symbols.h>

static int panicking;

void panic(const char *fmt, ...)
{
    va_list ap;
    char buf[256];

    local_irq_disable();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
        machine_halt();
    console_force_unlock();
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    pr_err("****************************************\n");
    pr_err("Panic on CPU%u: %s\n", smp_processor_id(), buf);
    pr_err("****************************************\n");
    symbols_print_trace((uint64_t)panic, (uint64_t)__builtin_frame_address(0));
    machine_exit_failure(EXIT_CODE_PANIC);
}
