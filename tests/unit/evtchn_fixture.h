/* The fixture of the event-channel host tests (test_evtchn.c: delivery, binding,
 * bad input; test_evtchn_life.c: destruction, status, polling, races):
 * core/event_channel.c on the host with three test domains (dom0 privileged, dom1,
 * dom2; two vCPUs each) and calloc'd shared info pages. The hypervisor calls the file
 * makes are defined in evtchn_fixture.c: current_vcpu() returns a settable vCPU,
 * domain_get() searches the test domains and counts the reference it gives (teardown
 * checks every one was put), vcpu_kick() records who was kicked, copy_{from,to}_guest()
 * copy host memory (BAD_VA faults, and copies out can be made to fail), xzalloc/xfree
 * are calloc/free. Each case starts from fresh domains (setup). */
#ifndef HVLAB_TESTS_EVTCHN_FIXTURE_H
#define HVLAB_TESTS_EVTCHN_FIXTURE_H

#include "unit.h"

#include <hvlab/errno.h>
#include <hvlab/event.h>
#include <hvlab/guest_access.h>
#include <hvlab/lib.h>
#include <hvlab/sched.h>
#include <hvlab/xmalloc.h>

#define NR_DOMS  3
#define NR_VCPUS 2
#define BAD_VA   0xdead0000ULL

struct test_dom {
    struct domain d;
    struct vcpu vcpu[NR_VCPUS];
    struct vcpu *vcpus[NR_VCPUS];
};

extern struct test_dom doms[NR_DOMS];
extern __thread struct vcpu *cur;      /* each test thread is its own vCPU */
extern struct vcpu *kicks[16];
extern unsigned nr_kicks;
extern bool fail_copy_to;

static inline struct domain *D(unsigned i) { return &doms[i].d; }
static inline struct vcpu *V(unsigned i, unsigned v) { return &doms[i].vcpu[v]; }

void setup(void);
void teardown(void);
/* Forget every pending bit, selector, upcall flag and kick, so a case checks only
 * what it does next. */
void quiesce(void);
bool pending(struct domain *d, evtchn_port_t p);
void mask(struct domain *d, evtchn_port_t p);
bool masked(struct domain *d, evtchn_port_t p);
uint64_t sel(unsigned dom, unsigned vcpu);
unsigned upcall(unsigned dom, unsigned vcpu);

/* Hypercalls as a given domain (vCPU 0); these return the port on success, else the
 * negative errno. */
long op_raw(struct domain *d, unsigned cmd, uint64_t arg);
long op(struct domain *d, unsigned cmd, void *arg);
long alloc_unbound(struct domain *d, hv_domid_t dom, hv_domid_t remote);
long bind_interdomain(struct domain *d, hv_domid_t rdom, evtchn_port_t rport);
long bind_virq(struct domain *d, unsigned virq, unsigned vcpu);
long ev_send(struct domain *d, evtchn_port_t p);
long ev_close(struct domain *d, evtchn_port_t p);
long ev_unmask(struct domain *d, evtchn_port_t p);
long ev_status(struct domain *d, hv_domid_t dom, evtchn_port_t p, struct evtchn_status *st);
/* Status of d's own port p (-1 if status itself failed). */
long stat_of(struct domain *d, evtchn_port_t p);
/* dom1 offers a port to dom0, dom0 binds to it; then quiet. */
void pair(evtchn_port_t *p0, evtchn_port_t *p1);

#endif
