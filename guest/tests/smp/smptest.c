/* The runtime's multi-vCPU support, from inside a guest: run with vcpus = 3 (or more).
 * Every secondary checks its identity, sleeps on its own timer, takes a trap, prints,
 * allocates and bumps a counter under a spinlock, all at once with the others; vCPU 0
 * checks what they left. Prints "smptest: N passed, M failed". */
#include <guest.h>

#define COUNT_PER_VCPU 20000
#define PAGES_PER_VCPU 32
#define SLEEPS 5

static spinlock_t count_lock = SPINLOCK_INIT;
static uint64_t counter;                        /* guarded by count_lock */
static unsigned passed, failed;                 /* atomic */

struct vcpu_report {
    unsigned id;                                /* smp_vcpu_id() as the vCPU saw it */
    uint64_t slept_ns, ud_skipped, pages_ok;
    bool irqs_were_on;
};
static struct vcpu_report reports[MAX_VIRT_CPUS];
static void *pages[MAX_VIRT_CPUS][PAGES_PER_VCPU];
static uint64_t ud_seen[MAX_VIRT_CPUS];

/* One printf per failure, so lines from several vCPUs do not mix. */
#define CHECK(cond, ...) do {                                               \
        if (cond) {                                                         \
            __atomic_fetch_add(&passed, 1, __ATOMIC_RELAXED);               \
        } else {                                                            \
            char msg_[128];                                                 \
            __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);               \
            snprintf(msg_, sizeof(msg_), __VA_ARGS__);                      \
            printf("smptest: FAIL %s: %s\n", #cond, msg_);                  \
        }                                                                   \
    } while (0)

/* #UD on any vCPU: skip the 2-byte ud2, counted per vCPU. */
static bool skip_ud(struct guest_trap_frame *f)
{
    ud_seen[smp_vcpu_id()]++;
    f->bf.rip += 2;
    return true;
}

static void work(unsigned id, void *arg)
{
    struct vcpu_report *r = &reports[id];
    uint64_t t0;

    r->id = smp_vcpu_id();
    r->irqs_were_on = !local_irqs_disabled();
    t0 = guest_now_ns();
    for (unsigned i = 0; i < SLEEPS; i++)
        sleep_ns(1000000);
    r->slept_ns = guest_now_ns() - t0;
    asm volatile("ud2");
    r->ud_skipped = ud_seen[id];
    for (unsigned i = 0; i < PAGES_PER_VCPU; i++) {
        pages[id][i] = alloc_page();
        if (pages[id][i])
            *(uint64_t *)pages[id][i] = id;
    }
    for (unsigned i = 0; i < COUNT_PER_VCPU; i++) {
        spin_lock(&count_lock);
        counter++;
        spin_unlock(&count_lock);
    }
    for (unsigned i = 0; i < 5; i++)
        printf("smptest: vCPU %u line %u of 5, a line long enough to show interleaving\n",
               id, i);
    sleep_ns(1000000);          /* others still allocating: pages must not be shared */
    for (unsigned i = 0; i < PAGES_PER_VCPU; i++)
        r->pages_ok += pages[id][i] && *(uint64_t *)pages[id][i] == id;
}

int main(const struct start_info *si)
{
    unsigned n = smp_nr_vcpus();
    uint64_t free_before = free_pages_count();

    printf("smptest: %u vCPUs\n", n);
    CHECK(smp_vcpu_id() == 0, "vCPU 0 says it is %u", smp_vcpu_id());
    CHECK(n >= 3, "needs vcpus >= 3 (has %u)", n);
    CHECK(vcpu_start(0, work, NULL) == -EINVAL, "vcpu_start(0)");
    CHECK(vcpu_start(n, work, NULL) == -EINVAL, "vcpu_start(nr_vcpus)");
    CHECK(vcpu_join(1) == -EINVAL, "join before start");
    trap_set_handler(6, skip_ud);
    for (unsigned id = 1; id < n; id++) {
        int rc = vcpu_start(id, work, NULL);

        CHECK(rc == 0, "vcpu_start(%u) = %d", id, rc);
    }
    CHECK(vcpu_start(1, work, NULL) == -EEXIST, "vcpu_start twice");
    work(0, NULL);
    for (unsigned id = 1; id < n; id++)
        CHECK(vcpu_join(id) == 0, "join %u", id);
    for (unsigned id = 0; id < n; id++) {
        const struct vcpu_report *r = &reports[id];

        CHECK(r->id == id, "vCPU %u thinks it is %u", id, r->id);
        CHECK(r->irqs_were_on, "vCPU %u started with events off", id);
        CHECK(r->slept_ns >= SLEEPS * 1000000ull && r->slept_ns < SLEEPS * 3000000ull,
              "vCPU %u slept %llu ns", id, (unsigned long long)r->slept_ns);
        CHECK(r->ud_skipped == 1, "vCPU %u saw %llu #UD", id,
              (unsigned long long)r->ud_skipped);
        CHECK(r->pages_ok == PAGES_PER_VCPU, "vCPU %u: %llu of its pages intact", id,
              (unsigned long long)r->pages_ok);
    }
    CHECK(counter == (uint64_t)n * COUNT_PER_VCPU, "counter %llu",
          (unsigned long long)counter);
    CHECK(trap_count(6) == n, "trap_count(#UD) %llu", (unsigned long long)trap_count(6));
    /* Stopped secondaries are down soon after they say so. */
    for (unsigned id = 1; id < n; id++) {
        long up = 1;

        for (unsigned tries = 0; tries < 100 && (up = hv_vcpu_op(VCPUOP_is_up, id, NULL)) > 0;
             tries++)
            sleep_ns(100000);
        CHECK(up == 0, "vCPU %u still up (%ld)", id, up);
    }
    for (unsigned id = 0; id < n; id++)
        for (unsigned i = 0; i < PAGES_PER_VCPU; i++)
            if (pages[id][i])
                free_page(pages[id][i]);
    CHECK(free_pages_count() == free_before - (n - 1) * VCPU_STACK_PAGES,
          "free pages %llu, expected %llu", (unsigned long long)free_pages_count(),
          (unsigned long long)(free_before - (n - 1) * VCPU_STACK_PAGES));
    printf("smptest: %u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
