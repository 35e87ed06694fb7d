/* event_channel_op(cmd, arg): ports, the PV analogue of interrupts. A pending port
 * sets its bit in shared_info.evtchn_pending; if the port is not masked the target
 * vCPU gets evtchn_upcall_pending and, unless evtchn_upcall_mask is set, an upcall to
 * its event callback. */
#ifndef HVLAB_PUBLIC_EVENT_CHANNEL_H
#define HVLAB_PUBLIC_EVENT_CHANNEL_H

#include "hvlab.h"

#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq        1
#define EVTCHNOP_bind_pirq        2   /* dom0: a physical IRQ line (public/physdev.h) */
#define EVTCHNOP_close            3
#define EVTCHNOP_send             4
#define EVTCHNOP_status           5
#define EVTCHNOP_alloc_unbound    6
#define EVTCHNOP_unmask           9

#define VIRQ_TIMER    0     /* per vCPU: the one-shot timer expired */
#define VIRQ_DEBUG    1
#define VIRQ_CONSOLE  2     /* dom0: console input */
#define VIRQ_DOM_EXC  3     /* dom0: a domain shut down or crashed */
#define NR_VIRQS      8

typedef uint32_t evtchn_port_t;

struct evtchn_alloc_unbound {
    hv_domid_t dom, remote_dom;         /* IN: dom = DOMID_SELF (or any, for dom0) */
    evtchn_port_t port;                 /* OUT */
};
struct evtchn_bind_interdomain {
    hv_domid_t remote_dom;              /* IN */
    uint16_t pad;
    evtchn_port_t remote_port;          /* IN: an unbound port of remote_dom for us */
    evtchn_port_t local_port;           /* OUT */
};
struct evtchn_bind_virq {
    uint32_t virq, vcpu;                /* IN */
    evtchn_port_t port;                 /* OUT */
};
/* EVTCHNOP_bind_pirq: dom0 only (-EPERM otherwise); -EINVAL for a pirq >= NR_PIRQS
 * or a line the hypervisor uses itself (the PIT's, the serial console's), -EBUSY if
 * bound already. The port goes to vCPU 0. */
struct evtchn_bind_pirq {
    uint32_t pirq;                      /* IN: an ISA IRQ number (public/physdev.h) */
    uint32_t flags;                     /* IN: 0 (no sharing) */
    evtchn_port_t port;                 /* OUT */
};
struct evtchn_close { evtchn_port_t port; };
struct evtchn_send { evtchn_port_t port; };
struct evtchn_unmask { evtchn_port_t port; };

#define EVTCHNSTAT_closed       0
#define EVTCHNSTAT_unbound      1
#define EVTCHNSTAT_interdomain  2
#define EVTCHNSTAT_virq         3
#define EVTCHNSTAT_pirq         4   /* remote_port_or_virq: the pirq */
struct evtchn_status {
    hv_domid_t dom;                     /* IN */
    uint16_t pad;
    evtchn_port_t port;                 /* IN */
    uint32_t status;                    /* OUT: EVTCHNSTAT_* */
    uint32_t vcpu;                      /* OUT */
    hv_domid_t remote_dom;              /* OUT: unbound/interdomain */
    uint16_t pad2;
    uint32_t remote_port_or_virq;       /* OUT */
};

#endif
