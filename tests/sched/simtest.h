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
static inline uint32_t test_sched_id(void) { return test_policy()->sched_id; }

#define SKIP(...) do { printf("  skip %s: ", pname()); printf(__VA_ARGS__); printf("\n"); } while (0)
#define INFO(...) do { printf("  %s: ", pname()); printf(__VA_ARGS__); printf("\n"); } while (0)

/* What the policy declares it does not do (sched_ops.flags, sched/private.h). */
static inline bool timeshares(void) { return !(test_policy()->flags & SCHED_F_NO_TIMESHARE); }
static inline bool work_conserving(void)
{
    return !(test_policy()->flags & (SCHED_F_NO_TIMESHARE | SCHED_F_TIME_TABLE));
}

/* A machine of nodes x per pCPUs with audits every millisecond. The audits hold a
 * policy to what it promises: no idle-while-work-waits check for one that is not
 * work-conserving, no starvation bound for one where extra vCPUs wait for a pCPU. */
static inline bool test_start_ipi(unsigned nodes, unsigned per, uint64_t seed, s_time_t ipi)
{
    struct sim_config c = { .nr_nodes = nodes, .cpus_per_node = per, .seed = seed,
                            .audit_period = MILLISECS(1), .ipi_latency = ipi,
                            .idle_bound = work_conserving() ? 0 : -1,
                            .starve_bound = timeshares() ? 0 : SIM_FOREVER };
    bool ok = sim_init(test_policy(), &c);
    CHECK(ok);
    return ok;
}

static inline bool test_start(unsigned nodes, unsigned per, uint64_t seed)
{
    return test_start_ipi(nodes, per, seed, 0);
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

/* Known failures: a case a policy is known to fail, and why. It still runs and prints
 * its failed checks, then "XFAIL" with the reason, and does not fail the program, so
 * `make unit-test` stays usable while the policy is fixed. A known failure that
 * passes prints "XPASS": delete its line. */
struct sim_known { const char *policy, *test_case, *why; };
static const struct sim_known sim_known_failures[] = {
    { NULL, NULL, NULL },
};

static inline const char *sim_known_failure(const char *test_case)
{
    for (const struct sim_known *k = sim_known_failures; k->policy; k++)
        if (is_policy(k->policy) && !strcmp(k->test_case, test_case))
            return k->why;
    return NULL;
}

/* UNIT_MAIN (unit.h) with known failures, and a watchdog: a policy that spins on a
 * lock nobody will release would hang the one thread for good. */
#define SIM_UNIT_MAIN(cases)                                                  \
    int unit_failed_checks;                                                   \
    int main(void)                                                            \
    {                                                                         \
        int passed = 0, failed = 0, known = 0;                                \
        alarm(120);                                                           \
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {      \
            int before = unit_failed_checks;                                  \
            const char *why = sim_known_failure(cases[i].name);               \
            cases[i].fn();                                                    \
            if (unit_failed_checks != before && why) {                        \
                known++;                                                      \
                unit_failed_checks = before;                                  \
                printf("XFAIL %s (%s): %s\n", cases[i].name, pname(), why);   \
            } else if (unit_failed_checks != before) {                        \
                failed++;                                                     \
                printf("FAIL %s (%s)\n", cases[i].name, pname());             \
            } else {                                                          \
                passed++;                                                     \
                if (why)                                                      \
                    printf("XPASS %s (%s): no longer fails: remove it from "  \
                           "tests/sched/simtest.h\n", cases[i].name, pname()); \
            }                                                                 \
        }                                                                     \
        printf("%s (%s): %d passed, %d failed, %d known failures\n", __FILE__, \
               pname(), passed, failed, known);                               \
        return failed ? 1 : 0;                                                \
    }

#endif
