/* CPU pools and scheduler parameters for `create`.
 *
 * Design: a cfg file's pool is a pool name or id, looked up with
 * SYSCTL_cpupool_op(info), which walks the pools in id order. Scheduler keys are
 * applied as xl does: read the domain's parameters of its pool's policy (GET),
 * overwrite the fields the file set, write them back (PUT), so keys the file leaves
 * out keep the policy's defaults. Keys the policy has no field for are reported,
 * not silently dropped; a policy without parameters (ENOSYS) is warned about once.
 *
 * Limitations: without cpupool support in the hypervisor (ENOSYS) only pool 0
 * ("Pool-0") exists and its policy is taken from SYSCTL_physinfo's name. */
#include "dom0.h"
#include "strutil.h"

static bool enosys_warned;

long xl_pool_info(uint32_t id, struct sysctl_cpupool_op *out)
{
    struct sysctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    op.u.cpupool_op.op = CPUPOOL_OP_info;
    op.u.cpupool_op.cpupool_id = id;
    if ((rc = xl_sysctl(SYSCTL_cpupool_op, &op)) >= 0) {
        *out = op.u.cpupool_op;
        out->name[sizeof(out->name) - 1] = '\0';
        out->sched_name[sizeof(out->sched_name) - 1] = '\0';
    }
    return rc;
}

int xl_pool_find(const char *who, const char *arg, uint32_t *id)
{
    struct sysctl_cpupool_op p;
    uint64_t num;
    bool numeric = str_to_dec(arg, &num) == 0;
    long rc;

    for (rc = xl_pool_info(0, &p); rc >= 0; rc = xl_pool_info(p.cpupool_id + 1, &p)) {
        p.name[sizeof(p.name) - 1] = '\0';
        if (numeric ? p.cpupool_id == num : strcmp(p.name, arg) == 0) {
            *id = p.cpupool_id;
            return 0;
        }
    }
    if (rc == -ENOSYS && (strcmp(arg, "Pool-0") == 0 || (numeric && num == 0))) {
        *id = 0;
        return 0;
    }
    printf("%s: no cpupool '%s'\n", who, arg);
    return -ENOENT;
}

static uint32_t sched_id_of_name(const char *name)
{
    static const struct { const char *name; uint32_t id; } ids[] = {
        { "rr", SCHED_ID_RR }, { "credit", SCHED_ID_CREDIT },
        { "credit2", SCHED_ID_CREDIT2 }, { "rtds", SCHED_ID_RTDS },
        { "numa", SCHED_ID_NUMA }, { "null", SCHED_ID_NULL },
        { "arinc653", SCHED_ID_ARINC653 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
        if (strcmp(ids[i].name, name) == 0)
            return ids[i].id;
    return 0;
}

/* The policy of pool id: SCHED_ID_*, 0 if unknown. */
static uint32_t pool_sched_id(uint32_t id)
{
    struct sysctl_cpupool_op p;
    struct sysctl op;

    if (xl_pool_info(id, &p) >= 0 && p.cpupool_id == id)
        return p.sched_id;
    if (id == 0 && xl_sysctl(SYSCTL_physinfo, &op) >= 0) {
        op.u.physinfo.sched_name[sizeof(op.u.physinfo.sched_name) - 1] = '\0';
        return sched_id_of_name(op.u.physinfo.sched_name);
    }
    return 0;
}

/* Writes the keys of s that policy id has into u; returns the keys it has not. */
static unsigned sched_fill(uint32_t id, const struct xlcfg_sched *s,
                           struct domctl_scheduler_op *op)
{
    unsigned given = s->given & ~XLCFG_SCHED_POOL;

    switch (id) {
    case SCHED_ID_CREDIT:
    case SCHED_ID_CREDIT2:
        if (given & XLCFG_SCHED_WEIGHT)
            op->u.credit.weight = s->weight;
        if (given & XLCFG_SCHED_CAP)
            op->u.credit.cap = s->cap;
        return given & ~(XLCFG_SCHED_WEIGHT | XLCFG_SCHED_CAP);
    case SCHED_ID_RTDS:
        op->u.rtds.vcpu = RTDS_ALL_VCPUS;
        if (given & XLCFG_SCHED_PERIOD)
            op->u.rtds.period_us = s->period_us;
        if (given & XLCFG_SCHED_BUDGET)
            op->u.rtds.budget_us = s->budget_us;
        if (given & XLCFG_SCHED_EXTRATIME)
            op->u.rtds.extratime = s->extratime;
        return given & ~(XLCFG_SCHED_PERIOD | XLCFG_SCHED_BUDGET | XLCFG_SCHED_EXTRATIME);
    case SCHED_ID_NUMA:
        if (given & XLCFG_SCHED_WEIGHT)
            op->u.numa.weight = s->weight;
        return given & ~XLCFG_SCHED_WEIGHT;
    }
    return given;
}

static void print_ignored(const char *who, unsigned keys, uint32_t sched_id)
{
    static const char *const names[] = { "weight", "cap", "period", "budget",
                                         "extratime" };

    for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
        if (keys & (1u << i))
            printf("%s: warning: %s ignored: the pool's scheduler (id %u) has no such "
                   "parameter\n", who, names[i], sched_id);
}

int xl_sched_apply(const char *who, hv_domid_t dom, uint32_t pool,
                   const struct xlcfg_sched *s)
{
    struct domctl op;
    uint32_t id;
    unsigned ignored;
    long rc;

    if (!(s->given & ~XLCFG_SCHED_POOL))
        return 0;
    id = pool_sched_id(pool);
    memset(&op, 0, sizeof(op));
    op.u.scheduler_op.sched_id = id;
    op.u.scheduler_op.cmd = SCHED_PARAMS_GET;
    rc = xl_domctl(DOMCTL_scheduler_op, dom, &op);
    if (rc == -ENOSYS) {
        if (!enosys_warned)
            printf("%s: warning: the scheduler takes no parameters (ENOSYS): "
                   "weight/cap/period/budget/extratime ignored\n", who);
        enosys_warned = true;
        return 0;
    }
    if (rc < 0) {
        printf("%s: reading scheduler parameters failed: %s\n", who, str_errno((int)rc));
        return (int)rc;
    }
    ignored = sched_fill(id, s, &op.u.scheduler_op);
    print_ignored(who, ignored, id);
    op.u.scheduler_op.sched_id = id;
    op.u.scheduler_op.cmd = SCHED_PARAMS_PUT;
    if ((rc = xl_domctl(DOMCTL_scheduler_op, dom, &op)) < 0) {
        printf("%s: scheduler parameters refused: %s\n", who, str_errno((int)rc));
        return (int)rc;
    }
    return 0;
}
