/* Scheduler parameters by declaration: the generic side.
 *
 * Design: a policy lists its parameters (name, type, range, default, unit) and its
 * counters in its own file (struct sched_param, sched/private.h). This file checks
 * those lists at boot, turns them into the ABI's form for SYSCTL_sched_decls, and
 * serves DOMCTL_scheduler_op: it checks that the caller speaks of the pool's policy,
 * that every value set is a declared parameter within its range and that a per-vCPU
 * request names a vCPU of the domain; only then does the policy's get_params or
 * set_params run. So a policy never parses an ABI struct, and no tool or test keeps
 * a table of which policy has which parameter.
 *
 * Locking: none of its own. Declarations are const; get_params and set_params take
 * the policy's locks; the domain's pool cannot change under a domctl (dom0's
 * hypercalls on one domain are serialised by the domctl lock).
 *
 * Limitations: values are unsigned 64-bit; a range that depends on the domain (a cap
 * of 100 x its vCPUs) is declared at its widest and narrowed by the policy. */
#include <hvlab/errno.h>
#include <hvlab/lib.h>
#include <hvlab/printk.h>
#include "ops.h"

static bool param_name_ok(const char *n)
{
    size_t len = n ? strlen(n) : 0;

    if (len == 0 || len >= SCHED_NAME_LEN || n[0] < 'a' || n[0] > 'z')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
            return false;
    return true;
}

static bool decl_fail(const struct sched_ops *o, const char *what, const char *name)
{
    pr_err("sched: policy '%s': %s%s%s: refused\n", o->name, what, name ? " " : "",
           name ? name : "");
    return false;
}

bool sched_params_valid(const struct sched_ops *o)
{
    if (o->sched_id > 255)
        return decl_fail(o, "sched_id must be 0..255 (the trace subclass)", NULL);
    if (o->nr_params > SCHED_NR_PARAMS || o->nr_counters > SCHED_NR_COUNTERS)
        return decl_fail(o, "too many parameters or counters (8 each)", NULL);
    if ((o->nr_params && !o->params) || (o->nr_counters && !o->counters))
        return decl_fail(o, "a declaration count without its array", NULL);
    if (o->nr_params && (!o->get_params || !o->set_params))
        return decl_fail(o, "parameters declared without get_params and set_params", NULL);
    for (unsigned i = 0; i < o->nr_params; i++) {
        const struct sched_param *p = &o->params[i];
        if (!param_name_ok(p->name))
            return decl_fail(o, "bad parameter name", p->name);
        if (!p->unit || strlen(p->unit) >= 8)
            return decl_fail(o, "unit missing or longer than 7 characters of", p->name);
        if (p->type > SCHED_PARAM_NODES || p->min > p->max || p->dflt < p->min ||
            p->dflt > p->max || (p->type == SCHED_PARAM_BOOL && p->max > 1))
            return decl_fail(o, "bad type or range (min <= default <= max) of", p->name);
        for (unsigned k = 0; k < i; k++)
            if (!strcmp(o->params[k].name, p->name))
                return decl_fail(o, "parameter declared twice:", p->name);
    }
    for (unsigned i = 0; i < o->nr_counters; i++) {
        const struct sched_counter *c = &o->counters[i];
        if (!param_name_ok(c->name) || !c->unit || strlen(c->unit) >= 8)
            return decl_fail(o, "bad counter name or unit", c->name);
    }
    return true;
}

int sched_param_index(const struct sched_ops *o, const char *name)
{
    for (unsigned i = 0; i < o->nr_params; i++)
        if (!strcmp(o->params[i].name, name))
            return (int)i;
    return -1;
}

static bool any_per_vcpu(const struct sched_ops *o, unsigned mask)
{
    for (unsigned i = 0; i < o->nr_params; i++)
        if ((mask >> i & 1) && (o->params[i].flags & SCHED_PARAM_PER_VCPU))
            return true;
    return false;
}

int sched_adjust(struct domain *d, struct domctl_scheduler_op *op)
{
    struct scheduler *s = &d->cpupool->sched;
    const struct sched_ops *o = s->ops;
    unsigned all = (1u << o->nr_params) - 1;

    op->policy[SCHED_NAME_LEN - 1] = '\0';
    if (strcmp(op->policy, o->name))
        return -EINVAL;                 /* parameters of another policy than the pool's */
    if (op->vcpu != SCHED_ALL_VCPUS && (op->vcpu >= d->max_vcpus || !d->vcpus ||
                                        !d->vcpus[op->vcpu]))
        return -EINVAL;
    if (op->cmd == SCHED_PARAMS_GET) {
        memset(op->value, 0, sizeof(op->value));
        memset(op->counter, 0, sizeof(op->counter));
        if (!o->nr_params && !o->nr_counters)
            return 0;
        return sched_op_get_params(s, d, op->vcpu == SCHED_ALL_VCPUS ? 0 : op->vcpu,
                                   op->value, op->counter);
    }
    if (op->cmd != SCHED_PARAMS_PUT || (op->mask & ~all))
        return -EINVAL;
    for (unsigned i = 0; i < o->nr_params; i++)
        if ((op->mask >> i & 1) &&
            (op->value[i] < o->params[i].min || op->value[i] > o->params[i].max))
            return -ERANGE;
    if (!op->mask)
        return 0;
    if (op->vcpu != SCHED_ALL_VCPUS && !any_per_vcpu(o, op->mask))
        return -EINVAL;                 /* per-domain values set "for one vCPU" */
    return sched_op_set_params(s, d, op->vcpu, op->mask, op->value);
}

void sched_decls_fill(const struct sched_ops *o, struct sysctl_sched_decls *out)
{
    fmt_snprintf(out->policy, sizeof(out->policy), "%s", o->name);
    out->sched_id = o->sched_id;
    out->nr_params = o->nr_params;
    out->nr_counters = o->nr_counters;
    for (unsigned i = 0; i < o->nr_params; i++) {
        const struct sched_param *p = &o->params[i];
        struct sched_param_info *q = &out->param[i];
        fmt_snprintf(q->name, sizeof(q->name), "%s", p->name);
        fmt_snprintf(q->unit, sizeof(q->unit), "%s", p->unit);
        q->type = p->type;
        q->flags = p->flags;
        q->min = p->min;
        q->max = p->max;
        q->dflt = p->dflt;
    }
    for (unsigned i = 0; i < o->nr_counters; i++) {
        fmt_snprintf(out->counter[i].name, sizeof(out->counter[i].name), "%s",
                     o->counters[i].name);
        fmt_snprintf(out->counter[i].unit, sizeof(out->counter[i].unit), "%s",
                     o->counters[i].unit);
    }
}
