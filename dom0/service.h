/* dom0's services: the store, the block and network backends, the HVM device
 * model. dom0 is one event loop (its vCPU 0 runs the shell or the scenario), so a
 * service runs whenever dom0 waits: dom0_block_until and dom0_sleep_until call
 * every service's poll, and an event handler of a service sets dom0_service_kick
 * to end a wait early. A poll does what is ready and returns; it never blocks.
 *
 * Registration is by a linker section (STYLE: no central table):
 *     static void blkback_poll(void) { ... }
 *     DOM0_SERVICE(blkback, blkback_poll, NULL);
 * next_deadline (may be NULL): the NOW() ns by which poll must run again even
 * without an event (0: none), e.g. a request timeout. */
#ifndef DOM0_SERVICE_H
#define DOM0_SERVICE_H

#include <guest.h>

struct dom0_service {
    const char *name;
    void (*poll)(void);
    uint64_t (*next_deadline)(void);
};

#define DOM0_SERVICE(n, pollfn, deadlinefn)                                      \
    static const struct dom0_service dom0_service_##n                            \
        __attribute__((used, section("dom0_services"), aligned(8))) =            \
            { #n, pollfn, deadlinefn }

/* Set by service event handlers (any context); cleared by dom0_services_poll. */
extern volatile bool dom0_service_kick;

/* Runs every service's poll once (in link order). */
void dom0_services_poll(void);
/* The earliest next_deadline of all services, 0 if none. */
uint64_t dom0_services_deadline(void);

#endif
