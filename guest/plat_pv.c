/* The PV platform (guest/platform.h): exceptions and event upcalls are bounced by the
 * hypervisor to the one entry in entry.S; SCHEDOP_block sleeps; a secondary vCPU is
 * given a context with VCPUOP_initialise. */
#include "platform.h"

void guest_vcpu_entry(void);            /* entry.S */
void guest_bounce_entry(void);

/* Registered with the hypervisor: the architectural exceptions a ring-3 guest can
 * take (not NMI, #DF, #MC: those stay the hypervisor's). */
static const uint8_t guest_vectors[] = {
    0, 1, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 19, 20, 21,
};

void plat_traps_init(void)
{
    struct trap_info table[ARRAY_SIZE(guest_vectors) + 1];
    long rc;

    memset(table, 0, sizeof(table));
    for (unsigned i = 0; i < ARRAY_SIZE(guest_vectors); i++) {
        table[i].vector = guest_vectors[i];
        table[i].address = (uint64_t)(uintptr_t)guest_bounce_entry;
    }
    table[ARRAY_SIZE(guest_vectors)].vector = TRAP_TABLE_END;   /* address 0 */
    rc = hv_set_trap_table(table);
    if (rc < 0)
        printf("traps: set_trap_table failed: %ld (%s); faults will kill the domain\n",
               rc, errno_name(rc));
}

void plat_events_init(void)
{
    long rc = hv_set_callbacks((uintptr_t)guest_bounce_entry, 0);

    if (rc < 0)
        guest_crash("events: set_callbacks failed: %ld (%s)", rc, errno_name(rc));
}

/* SCHEDOP_block re-enables upcalls and sleeps in one step in the hypervisor. */
void plat_block(void)
{
    hv_sched_op(SCHEDOP_block, NULL);
    local_irq_enable();
}

/* The context of a secondary vCPU about to enter guest_vcpu_entry. */
static void vcpu_context(const struct guest_vcpu *v, struct vcpu_guest_context *c)
{
    memset(c, 0, sizeof(*c));
    c->rip = (uintptr_t)guest_vcpu_entry;
    c->rsp = (uintptr_t)v->stack + (VCPU_STACK_PAGES << PAGE_SHIFT);
    c->rflags = 0x202;
    c->rdi = (uintptr_t)v;
    c->cr3_mfn = virt_to_mfn((const void *)(uintptr_t)start_info->pt_base);
    c->gs_base = (uintptr_t)v - (uintptr_t)&guest_vcpus[0];
    c->event_callback = (uintptr_t)guest_bounce_entry;
}

int plat_vcpu_start(struct guest_vcpu *v, bool *stack_in_use)
{
    struct vcpu_guest_context c;
    long rc;

    *stack_in_use = false;
    vcpu_context(v, &c);
    rc = hv_vcpu_op(VCPUOP_initialise, v->id, &c);
    if (rc < 0) {
        printf("smp: vCPU %u: initialise failed: %ld (%s)\n", v->id, rc, errno_name(rc));
        return (int)rc;
    }
    rc = hv_vcpu_op(VCPUOP_up, v->id, NULL);
    if (rc < 0) {
        /* Cannot happen after a successful initialise. The hypervisor holds a
         * context on this stack now: keep both. */
        printf("smp: vCPU %u: up failed: %ld (%s)\n", v->id, rc, errno_name(rc));
        *stack_in_use = true;
        return (int)rc;
    }
    return 0;
}
