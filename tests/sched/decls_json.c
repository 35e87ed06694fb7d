/* Prints the declarations of every policy this program links (every sched/<p>.c that
 * register, tests/unit/sched.mk) as JSON: what the harness reads to check experiment
 * files and to name trace subclasses, so that it keeps no table of its own. The
 * policies' own checks (sched_params_valid) run first, and two policies with one
 * sched_id are refused, as at boot: the build fails rather than the harness guess.
 *
 *   decls_json > build/sched-decls.json
 *   {"credit": {"sched_id": 5, "desc": "...", "params": [{"name": "weight", "unit": "",
 *    "type": "int", "per_vcpu": false, "limits": false, "min": 1, "max": 65535,
 *    "default": 256, "doc": "..."}, ...], "counters": [{"name": ..., "unit": ...,
 *    "doc": ...}]}, ...} */
#include <stdio.h>
#include "sim.h"

static void str(const char *s)
{
    putchar('"');
    for (; s && *s; s++)
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    putchar('"');
}

static void policy(const struct sched_ops *o)
{
    static const char *const types[] = { "int", "bool", "nodes" };

    str(o->name);
    printf(": {\"sched_id\": %u, \"desc\": ", o->sched_id);
    str(o->desc);
    printf(", \"params\": [");
    for (unsigned i = 0; i < o->nr_params; i++) {
        const struct sched_param *p = &o->params[i];
        printf("%s{\"name\": ", i ? ", " : "");
        str(p->name);
        printf(", \"unit\": ");
        str(p->unit);
        printf(", \"type\": \"%s\", \"per_vcpu\": %s, \"limits\": %s, \"min\": %llu, "
               "\"max\": %llu, \"default\": %llu, \"doc\": ", types[p->type],
               p->flags & SCHED_PARAM_PER_VCPU ? "true" : "false",
               p->flags & SCHED_PARAM_LIMITS ? "true" : "false",
               (unsigned long long)p->min, (unsigned long long)p->max,
               (unsigned long long)p->dflt);
        str(p->doc);
        putchar('}');
    }
    printf("], \"counters\": [");
    for (unsigned i = 0; i < o->nr_counters; i++) {
        printf("%s{\"name\": ", i ? ", " : "");
        str(o->counters[i].name);
        printf(", \"unit\": ");
        str(o->counters[i].unit);
        printf(", \"doc\": ");
        str(o->counters[i].doc);
        putchar('}');
    }
    printf("]}");
}

int main(void)
{
    const struct sched_ops *o, *q;
    int bad = 0;

    for (unsigned i = 0; (o = sim_policy_nth(i)) != NULL; i++) {
        if (!sched_params_valid(o))
            bad = 1;
        for (unsigned k = 0; k < i; k++)
            if ((q = sim_policy_nth(k))->sched_id && q->sched_id == o->sched_id) {
                fprintf(stderr, "decls_json: policies '%s' and '%s' share sched_id %u\n",
                        q->name, o->name, o->sched_id);
                bad = 1;
            }
    }
    if (bad)
        return 1;
    printf("{");
    for (unsigned i = 0; (o = sim_policy_nth(i)) != NULL; i++) {
        printf(i ? ",\n " : "");
        policy(o);
    }
    printf("}\n");
    return 0;
}
