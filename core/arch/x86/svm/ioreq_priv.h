/* The device-model server of one HVM domain, private to ioreq*.c. */
#ifndef HVLAB_SVM_IOREQ_PRIV_H
#define HVLAB_SVM_IOREQ_PRIV_H

#include <hvlab/domain.h>
#include <public/event_channel.h>
#include <public/hvm_ioreq.h>

struct hvm_ioreq_server;

/* What a port's callback needs: whose vCPU to kick. */
struct hvm_ioreq_port_ctx {
    struct hvm_ioreq_server *s;
    unsigned vcpu;
};

/* Fixed from creation to teardown (ioreq.c's Locking). */
struct hvm_ioreq_server {
    struct domain *d;                   /* the HVM domain served */
    struct domain *dm;                  /* the device model's (a reference) */
    struct page_info *pg;               /* the request page, a DOMID_XEN frame */
    struct hvm_ioreq_page *page;
    unsigned nr_vcpus;
    evtchn_port_t port[IOREQ_SERVER_PORTS];     /* in dm */
    struct hvm_ioreq_port_ctx ctx[IOREQ_SERVER_PORTS];
};

#endif
