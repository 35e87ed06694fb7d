/* dom0's service loop hook; see service.h. */
#include "service.h"

extern const struct dom0_service __start_dom0_services[], __stop_dom0_services[];

volatile bool dom0_service_kick;

void dom0_services_poll(void)
{
    dom0_service_kick = false;
    for (const struct dom0_service *s = __start_dom0_services; s < __stop_dom0_services; s++)
        s->poll();
}

uint64_t dom0_services_deadline(void)
{
    uint64_t best = 0, d;

    for (const struct dom0_service *s = __start_dom0_services; s < __stop_dom0_services; s++)
        if (s->next_deadline && (d = s->next_deadline()) && (!best || d < best))
            best = d;
    return best;
}
