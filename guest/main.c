/* Start-up and shut-down: _start (entry.S) calls guest_main_init with the start_info
 * the builder left in RSI (an HVM guest's hvm_main, guest/hvm/hvm.c, makes one); the
 * order of the steps below is the order of their needs (printf needs vCPU 0's slot; faults are reported from plat_traps_init
 * on; time needs events). Secondary vCPUs start in smp.c. */
#include "platform.h"

const struct start_info *start_info;
struct shared_info *shared_info;

__noreturn void guest_shutdown(unsigned reason)
{
    struct sched_shutdown sd = { .reason = reason };

    for (;;)
        hv_sched_op(SCHEDOP_shutdown, &sd);
}

__noreturn void guest_crash(const char *fmt, ...)
{
    va_list ap;

    printf("crash: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    guest_shutdown(SHUTDOWN_crash);
}

__noreturn void guest_exit(int code)
{
    printf("exit %d\n", code);
    guest_shutdown(code == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}

__noreturn void guest_main_init(const struct start_info *si)
{
    if (memcmp(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC)) != 0) {
        static const char msg[] = "crash: bad start_info magic\n";

        hv_console_io(CONSOLEIO_write, sizeof(msg) - 1, (void *)msg);  /* no printf yet */
        guest_shutdown(SHUTDOWN_crash);
    }
    start_info = si;
    shared_info = (struct shared_info *)(uintptr_t)si->shared_info;
    smp_init();
    plat_traps_init();
    mm_init(si);
    events_init();
    time_init();
    guest_exit(main(si));
}
