/* CPU pools and scheduler parameters for `create`.
 *
 * Design: a cfg file's pool is a pool name or id, looked up with
 * SYSCTL_cpupool_op(info), which walks the pools in id order. Scheduler keys are
 * checked against the declarations of the pool's policy (SYSCTL_sched_decls) before
 * the domain is created: a key that policy does not declare, or a value out of its
 * range, is an error naming file, line and key, and nothing is created. The values
 * are then set with one PUT whose mask names them, so keys the file leaves out keep
 * the policy's defaults. sched-get and sched-set reach any policy's parameters by
 * the same declarations.
 *
 * Limitations: without cpupool support in the hypervisor (ENOSYS) only pool 0
 * ("Pool-0") exists and its policy is taken from SYSCTL_physinfo's name. */
#include "dom0.h"
#include "sched_params.h"
#include "strutil.h"
#include "xl.h"

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

/* A pool name or id -> id, quietly: -ENOENT if there is none. */
static int pool_lookup(const char *arg, uint32_t *id)
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
    return -ENOENT;
}

int xl_pool_find(const char *who, const char *arg, uint32_t *id)
{
    if (pool_lookup(arg, id) == 0)
        return 0;
    printf("%s: no cpupool '%s'\n", who, arg);
    return -ENOENT;
}

long xl_sched_decls(const char *who, uint32_t pool, struct sysctl_sched_decls *out)
{
    struct sysctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    op.u.sched_decls.cpupool_id = pool;
    if ((rc = xl_sysctl(SYSCTL_sched_decls, &op)) < 0) {
        printf("%s: reading pool %u's scheduler parameters failed: %s\n", who, pool,
               str_errno((int)rc));
        return rc;
    }
    *out = op.u.sched_decls;
    out->policy[sizeof(out->policy) - 1] = '\0';
    out->nr_params = MIN(out->nr_params, (uint32_t)SCHED_NR_PARAMS);
    out->nr_counters = MIN(out->nr_counters, (uint32_t)SCHED_NR_COUNTERS);
    for (unsigned i = 0; i < SCHED_NR_PARAMS; i++) {
        out->param[i].name[SCHED_NAME_LEN - 1] = out->param[i].unit[7] = '\0';
        out->counter[i].name[SCHED_NAME_LEN - 1] = out->counter[i].unit[7] = '\0';
    }
    return 0;
}

static void cfg_report(void *arg, const char *msg)
{
    (void)arg;
    puts(msg);
}

int xl_sched_precheck(const char *file, const struct xlcfg_sched *s)
{
    struct sysctl_sched_decls dc;
    struct domctl_scheduler_op op;
    uint32_t pool = 0;

    if (!s->nr || (s->has_pool && pool_lookup(s->pool, &pool) < 0) ||
        xl_sched_decls("create", pool, &dc) < 0)
        return 0;                       /* a pool made later: create checks its keys */
    memset(&op, 0, sizeof(op));
    return xl_sched_cfg(&dc, file, s, &op, cfg_report, NULL);
}

int xl_sched_prepare(const char *who, const char *file, uint32_t pool,
                     const struct xlcfg_sched *s, struct domctl_scheduler_op *op)
{
    struct sysctl_sched_decls dc;
    long rc;

    memset(op, 0, sizeof(*op));
    op->vcpu = SCHED_ALL_VCPUS;
    if (!s->nr)
        return 0;
    if ((rc = xl_sched_decls(who, pool, &dc)) < 0)
        return (int)rc;
    fmt_snprintf(op->policy, sizeof(op->policy), "%s", dc.policy);
    if (xl_sched_cfg(&dc, file, s, op, cfg_report, NULL)) {
        printf("%s: not created\n", who);
        return -EINVAL;
    }
    return 0;
}

int xl_sched_apply(const char *who, hv_domid_t dom, const struct domctl_scheduler_op *sop)
{
    struct domctl op;
    long rc;

    if (!sop->mask)
        return 0;
    memset(&op, 0, sizeof(op));
    op.u.scheduler_op = *sop;
    op.u.scheduler_op.cmd = SCHED_PARAMS_PUT;
    if ((rc = xl_domctl(DOMCTL_scheduler_op, dom, &op)) < 0) {
        printf("%s: scheduler parameters refused: %s\n", who, str_errno((int)rc));
        return (int)rc;
    }
    return 0;
}

/* "-v <vcpu|all>" at argv[*i], if there: into *vcpu. */
static int vcpu_opt(const char *who, int argc, char **argv, int *i, uint32_t *vcpu)
{
    uint64_t v;

    *vcpu = SCHED_ALL_VCPUS;
    if (*i >= argc || strcmp(argv[*i], "-v"))
        return 0;
    if (*i + 1 >= argc) {
        printf("%s: -v needs a vCPU number or 'all'\n", who);
        return -EINVAL;
    }
    if (strcmp(argv[*i + 1], "all")) {
        if (str_to_dec(argv[*i + 1], &v) || v >= XLCFG_MAX_VCPUS) {
            printf("%s: -v: expected a vCPU number or 'all', got \"%s\"\n", who,
                   argv[*i + 1]);
            return -EINVAL;
        }
        *vcpu = (uint32_t)v;
    }
    *i += 2;
    return 0;
}

/* The domain, its pool's declarations and -v of `sched-get|set <dom> [-v x] ...`. */
static int kv_start(int argc, char **argv, int *i, struct domctl_getdomaininfo *di,
                    struct sysctl_sched_decls *dc, struct domctl_scheduler_op *sop)
{
    int rc;

    *i = 2;
    memset(sop, 0, sizeof(*sop));
    if ((rc = xl_lookup(argv[0], argv[1], di)) < 0 ||
        (rc = (int)xl_sched_decls(argv[0], di->cpupool, dc)) < 0 ||
        (rc = vcpu_opt(argv[0], argc, argv, i, &sop->vcpu)) < 0)
        return rc;
    if (sop->vcpu != SCHED_ALL_VCPUS && sop->vcpu >= di->max_vcpus) {
        printf("%s: domain %u (%s) has no vCPU %u\n", argv[0], di->domain, di->name,
               sop->vcpu);
        return -EINVAL;
    }
    fmt_snprintf(sop->policy, sizeof(sop->policy), "%s", dc->policy);
    return 0;
}

int xl_sched_get(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct sysctl_sched_decls dc;
    struct domctl op;
    char val[40];
    int i, rc;

    if ((rc = kv_start(argc, argv, &i, &di, &dc, &op.u.scheduler_op)) < 0)
        return rc;
    if (i < argc) {
        printf("%s: unexpected '%s' (usage: sched-get <dom> [-v <vcpu>])\n", argv[0], argv[i]);
        return -EINVAL;
    }
    op.u.scheduler_op.cmd = SCHED_PARAMS_GET;
    if ((rc = (int)xl_domctl(DOMCTL_scheduler_op, di.domain, &op)) < 0) {
        printf("%s: reading the parameters of domain %u (%s): %s\n", argv[0], di.domain,
               di.name, str_errno(rc));
        return rc;
    }
    printf("domain %u (%s): policy %s, %u parameters, %u counters\n", di.domain, di.name,
           dc.policy, dc.nr_params, dc.nr_counters);
    for (unsigned k = 0; k < dc.nr_params; k++) {
        xl_sched_value(dc.param[k].type, op.u.scheduler_op.value[k], val, sizeof(val));
        printf("%s = %s%s%s\n", dc.param[k].name, val, dc.param[k].unit[0] ? " " : "",
               dc.param[k].unit);
    }
    for (unsigned k = 0; k < dc.nr_counters; k++)
        printf("%s: %llu%s%s\n", dc.counter[k].name,
               (unsigned long long)op.u.scheduler_op.counter[k],
               dc.counter[k].unit[0] ? " " : "", dc.counter[k].unit);
    return 0;
}

int xl_sched_set(int argc, char **argv)
{
    struct domctl_getdomaininfo di;
    struct sysctl_sched_decls dc;
    struct domctl op;
    char err[160];
    int i, rc;

    if ((rc = kv_start(argc, argv, &i, &di, &dc, &op.u.scheduler_op)) < 0)
        return rc;
    if (i >= argc) {
        printf("%s: nothing to set (usage: sched-set <dom> [-v <vcpu|all>] key=value ...)\n",
               argv[0]);
        return -EINVAL;
    }
    for (; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || xl_sched_kv(&dc, argv[i], (size_t)(eq - argv[i]), eq + 1,
                               &op.u.scheduler_op, err, sizeof(err))) {
            printf("%s: %s\n", argv[0], eq ? err : "expected key=value");
            return -EINVAL;
        }
    }
    op.u.scheduler_op.cmd = SCHED_PARAMS_PUT;
    if ((rc = (int)xl_domctl(DOMCTL_scheduler_op, di.domain, &op)) < 0) {
        printf("%s: domain %u (%s): %s refused the values: %s\n", argv[0], di.domain,
               di.name, dc.policy, str_errno(rc));
        return rc;
    }
    printf("%s: domain %u (%s): set\n", argv[0], di.domain, di.name);
    return 0;
}
