/* Helpers shared by the scheduler property tests: the policy under test, machine
 * set-up, parameters by their declared names, and printing shares. Cases choose what
 * to test by what the policy declares (has_param("weight")), never by its name,
 * unless they test a promise only that policy makes (credit's boost). */
#ifndef HVLAB_TESTS_SCHED_SIMTEST_H
#define HVLAB_TESTS_SCHED_SIMTEST_H

#include "unit.h"
#include <hvlab/errno.h>
#include "sim.h"

/* Each test binary links exactly one policy (tests/unit/sched.mk). */
static inline const struct sched_ops *test_policy(void) { return sim_policy_nth(0); }
static inline const char *pname(void) { return test_policy()->name; }
static inline bool is_policy(const char *name) { return !strcmp(pname(), name); }

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

/* Whether the policy declares a parameter (counter) of that name. */
static inline bool has_param(const char *name)
{
    return sched_param_index(test_policy(), name) >= 0;
}

static inline int counter_index(const char *name)
{
    for (unsigned i = 0; i < test_policy()->nr_counters; i++)
        if (!strcmp(test_policy()->counters[i].name, name))
            return (int)i;
    return -1;
}

/* A DOMCTL_scheduler_op of the policy under test. */
static inline struct domctl_scheduler_op test_op(uint32_t cmd)
{
    struct domctl_scheduler_op op = { .cmd = cmd, .vcpu = SCHED_ALL_VCPUS };
    snprintf(op.policy, sizeof(op.policy), "%s", pname());
    return op;
}

/* Adds name = value to a PUT; false (and a failed check) if not declared. */
static inline bool op_set(struct domctl_scheduler_op *op, const char *name, uint64_t value)
{
    int i = sched_param_index(test_policy(), name);
    CHECK(i >= 0);
    if (i < 0)
        return false;
    op->value[i] = value;
    op->mask |= 1u << i;
    return true;
}

/* PUT of one parameter by name, for every vCPU: 0 or -errno. */
static inline int set_param(struct sim_dom *sd, const char *name, uint64_t value)
{
    struct domctl_scheduler_op op = test_op(SCHED_PARAMS_PUT);
    return op_set(&op, name, value) ? sim_adjust(sd, &op) : -EINVAL;
}

/* GET of a parameter or counter by name (vCPU 0's, for per-vCPU ones). */
static inline uint64_t get_named(struct sim_dom *sd, const char *name)
{
    struct domctl_scheduler_op op = test_op(SCHED_PARAMS_GET);
    int p = sched_param_index(test_policy(), name), c = counter_index(name);
    CHECK(p >= 0 || c >= 0);
    CHECK_EQ(sim_adjust(sd, &op), 0);
    return p >= 0 ? op.value[p] : c >= 0 ? op.counter[c] : 0;
}

static inline int set_weight_cap(struct sim_dom *sd, uint32_t weight, uint32_t cap)
{
    struct domctl_scheduler_op op = test_op(SCHED_PARAMS_PUT);
    if (weight && !op_set(&op, "weight", weight))
        return -EINVAL;
    if (has_param("cap") && !op_set(&op, "cap", cap))
        return -EINVAL;
    return sim_adjust(sd, &op);
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
