/* Helpers shared by the scheduler property tests: the policy under test, machine
 * set-up, parameters through the policy's adjust op, and printing shares. */
#ifndef HVLAB_TESTS_SCHED_SIMTEST_H
#define HVLAB_TESTS_SCHED_SIMTEST_H

#include "unit.h"
#include <hvlab/errno.h>
#include "sim.h"

/* Each test binary links exactly one policy (tests/unit/sched.mk). */
static inline const struct sched_ops *test_policy(void) { return sim_policy_nth(0); }
static inline const char *pname(void) { return test_policy()->name; }
static inline bool is_policy(const char *name) { return !strcmp(pname(), name); }

/* The SCHED_ID_* a policy answers to in DOMCTL_scheduler_op (public/domctl.h). */
static inline uint32_t test_sched_id(void)
{
    static const struct { const char *name; uint32_t id; } ids[] = {
        { "rr", SCHED_ID_RR }, { "credit", SCHED_ID_CREDIT },
        { "credit2", SCHED_ID_CREDIT2 }, { "rtds", SCHED_ID_RTDS }, { "numa", SCHED_ID_NUMA },
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (is_policy(ids[i].name))
            return ids[i].id;
    return 0;
}

#define SKIP(...) do { printf("  skip %s: ", pname()); printf(__VA_ARGS__); printf("\n"); } while (0)
#define INFO(...) do { printf("  %s: ", pname()); printf(__VA_ARGS__); printf("\n"); } while (0)

/* A machine of nodes x per pCPUs with audits every millisecond. */
static inline bool test_start(unsigned nodes, unsigned per, uint64_t seed)
{
    struct sim_config c = { .nr_nodes = nodes, .cpus_per_node = per, .seed = seed,
                            .audit_period = MILLISECS(1) };
    bool ok = sim_init(test_policy(), &c);
    CHECK(ok);
    return ok;
}

/* PUT through the policy's adjust op; the result (0 or -errno). */
static inline int put_params(struct sim_dom *sd, void (*fill)(struct domctl_scheduler_op *, const void *),
                             const void *arg)
{
    struct domctl_scheduler_op op = { .sched_id = test_sched_id(), .cmd = SCHED_PARAMS_PUT };
    fill(&op, arg);
    return sim_adjust(sd, &op);
}

static inline void fill_credit(struct domctl_scheduler_op *op, const void *arg)
{
    const uint32_t *wc = arg;                   /* { weight, cap } */
    op->u.credit.weight = wc[0];
    op->u.credit.cap = wc[1];
}

static inline int set_weight_cap(struct sim_dom *sd, uint32_t weight, uint32_t cap)
{
    uint32_t wc[2] = { weight, cap };
    return put_params(sd, fill_credit, wc);
}

static inline double ms(s_time_t t) { return (double)t / 1e6; }

/* Share of domain i in the CPU time all of doms[] got, in percent. */
static inline double share_pct(struct sim_dom **doms, unsigned n, unsigned i)
{
    s_time_t total = 0;
    for (unsigned k = 0; k < n; k++)
        total += sim_dom_run(doms[k]);
    return total ? 100.0 * (double)sim_dom_run(doms[i]) / (double)total : 0;
}

#endif
