/* A guest that crashes on purpose: it writes through a null pointer, which page
 * faults with no handler. The boot tests run it as dom0 to check that a real dom0
 * crash still panics the machine (while a failed scenario only stops it with a
 * failing status). */
#include <guest.h>

int main(const struct start_info *si)
{
    volatile uint64_t *nowhere = (volatile uint64_t *)(uintptr_t)guest_arg_uint("addr", 0);

    printf("crasher: domain %u writes to %p\n", si->domid, (void *)nowhere);
    *nowhere = 1;
    printf("crasher: the write did not fault\n");
    return 0;
}
