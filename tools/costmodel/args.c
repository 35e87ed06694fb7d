/* The cost-model plugin's arguments (args.h). Every refusal names the argument and
 * the problem; nothing here touches QEMU, so tests/unit/test_costmodel_args.c runs it
 * on the host. */
#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int parse_addr(const char *arg, const char *v, uint64_t *out, char *err, size_t errlen)
{
    char *end;
    *out = strtoull(v, &end, 0);
    if (*end || end == v)
        FAIL("%s: bad address", arg);
    return 0;
}

/* NAME:l1i_entries:l1i_ways:l1d_entries:l1d_ways:l2_entries:l2_ways */
static int parse_tlb(struct cm_config *c, const char *arg, const char *v, char *err,
                     size_t errlen)
{
    struct cm_geom *g = &c->geoms[c->nr_geoms];
    const char *colon = strchr(v, ':');
    unsigned *f[6] = { &g->g.l1i_entries, &g->g.l1i_ways, &g->g.l1d_entries,
                       &g->g.l1d_ways, &g->g.l2_entries, &g->g.l2_ways };
    if (c->nr_geoms == CM_MAX_GEOMS)
        FAIL("%s: more than %d TLB models", arg, CM_MAX_GEOMS);
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof(g->name))
        FAIL("%s: want NAME:l1i_entries:l1i_ways:l1d_entries:l1d_ways:l2_entries:l2_ways "
             "(NAME 1..%zu characters)", arg, sizeof(g->name) - 1);
    memcpy(g->name, v, (size_t)(colon - v));
    g->name[colon - v] = 0;
    for (unsigned i = 0; i < c->nr_geoms; i++)
        if (!strcmp(c->geoms[i].name, g->name))
            FAIL("%s: TLB model %s given twice", arg, g->name);
    const char *q = colon;
    for (int k = 0; k < 6; k++) {
        char *end;
        if (*q != ':')
            FAIL("%s: want 6 numbers after the name, got %d", arg, k);
        unsigned long n = strtoul(q + 1, &end, 0);
        if (end == q + 1 || n > 1u << 20)
            FAIL("%s: bad number at '%s'", arg, q + 1);
        *f[k] = (unsigned)n;
        q = end;
    }
    if (*q)
        FAIL("%s: trailing '%s'", arg, q);
    const char *why = tlb_geometry_check(&g->g);
    if (why)
        FAIL("%s: %s", arg, why);
    c->nr_geoms++;
    return 0;
}

/* "A.B.C" -> out[0..n), each <= max: n, or -1. */
static int parse_dotted(const char *arg, const char *v, unsigned *out, unsigned cap,
                        unsigned max, char *err, size_t errlen)
{
    unsigned n = 0;
    for (const char *q = v;; q++) {
        char *end;
        unsigned long x = strtoul(q, &end, 10);
        if (end == q || x > max || n == cap)
            FAIL("%s: want at most %u numbers <= %u separated by dots", arg, cap, max);
        out[n++] = (unsigned)x;
        q = end;
        if (!*q)
            return (int)n;
        if (*q != '.')
            FAIL("%s: unexpected '%c'", arg, *q);
    }
}

/* nodeN=START-END */
static int parse_node(struct cm_config *c, const char *arg, char *err, size_t errlen)
{
    char *end;
    unsigned long n = strtoul(arg + 4, &end, 10);
    if (end == arg + 4 || *end != '=' || n >= CM_MAX_NODES)
        FAIL("%s: want nodeN=START-END, N < %d", arg, CM_MAX_NODES);
    uint64_t a = strtoull(end + 1, &end, 0);
    if (*end != '-')
        FAIL("%s: want nodeN=START-END", arg);
    uint64_t b = strtoull(end + 1, &end, 0);
    if (*end || b <= a)
        FAIL("%s: want nodeN=START-END with START < END", arg);
    for (unsigned m = 0; m < CM_MAX_NODES; m++)
        if (c->node_mem[m].set && a < c->node_mem[m].end && c->node_mem[m].start < b)
            FAIL("%s: overlaps node%u", arg, m);
    c->node_mem[n].start = a;
    c->node_mem[n].end = b;
    c->node_mem[n].set = 1;
    return 0;
}

static int parse_slit(struct cm_config *c, const char *arg, char *err, size_t errlen)
{
    unsigned v[CM_MAX_NODES * CM_MAX_NODES];
    int n = parse_dotted(arg, arg + 5, v, CM_MAX_NODES * CM_MAX_NODES, 255, err, errlen);
    if (n < 0)
        return -1;
    unsigned side = 1;
    while (side * side < (unsigned)n)
        side++;
    if (side * side != (unsigned)n)
        FAIL("%s: %d entries is not a square matrix", arg, n);
    for (int k = 0; k < n; k++) {
        if (v[k] < 10)
            FAIL("%s: distance %u < 10", arg, v[k]);
        c->slit[k / side][k % side] = v[k];
    }
    c->nr_slit = (unsigned)n;
    return 0;
}

/* The NUMA arguments agree: all or none, every pCPU's node has RAM, the SLIT is
 * nodes x nodes. */
static int numa_check(struct cm_config *c, char *err, size_t errlen)
{
    unsigned nodes = 0;
    for (unsigned n = 0; n < CM_MAX_NODES; n++)
        if (c->node_mem[n].set)
            nodes = n + 1;
    if (!nodes && !c->nr_cpu_nodes && !c->nr_slit)
        return 0;
    if (!nodes || !c->nr_cpu_nodes || c->nr_slit != nodes * nodes)
        FAIL("NUMA needs nodeN=, cpunodes= and slit= together (%u nodes: %u SLIT entries, "
             "got %u)", nodes, nodes * nodes, c->nr_slit);
    for (unsigned p = 0; p < c->nr_cpu_nodes; p++)
        if (!c->node_mem[c->cpu_node[p]].set)
            FAIL("cpunodes: pCPU %u on node %d, which has no nodeN=", p, c->cpu_node[p]);
    c->numa_set = 1;
    return 0;
}

static int parse_one(struct cm_config *c, const char *a, char *err, size_t errlen)
{
    if (!strncmp(a, "out=", 4)) {
        if (!a[4])
            FAIL("out=: empty file name");
        free(c->out_path);
        c->out_path = strdup(a + 4);
        if (!c->out_path)
            FAIL("out of memory");
        return 0;
    }
    if (!strncmp(a, "hint=", 5)) {
        c->hint_set = 1;
        return parse_addr(a, a + 5, &c->hint_base, err, errlen);
    }
    if (!strncmp(a, "stubs=", 6)) {
        c->stubs_set = 1;
        return parse_addr(a, a + 6, &c->stubs_base, err, errlen);
    }
    if (!strncmp(a, "tlb", 3) && a[3] >= '0' && a[3] <= '9' && a[4] == '=')
        return parse_tlb(c, a, a + 5, err, errlen);
    if (!strncmp(a, "guest2m=", 8))
        return parse_addr(a, a + 8, &c->guest2m_end, err, errlen);
    if (!strncmp(a, "node", 4) && a[4] >= '0' && a[4] <= '9')
        return parse_node(c, a, err, errlen);
    if (!strncmp(a, "cpunodes=", 9)) {
        unsigned v[CM_MAX_PCPUS];
        int n = parse_dotted(a, a + 9, v, CM_MAX_PCPUS, CM_MAX_NODES - 1, err, errlen);
        if (n < 0)
            return -1;
        for (int k = 0; k < n; k++)
            c->cpu_node[k] = (int)v[k];
        c->nr_cpu_nodes = (unsigned)n;
        return 0;
    }
    if (!strncmp(a, "slit=", 5))
        return parse_slit(c, a, err, errlen);
    FAIL("unknown argument '%s' (out=FILE, hint=ADDR, stubs=ADDR, tlbN=MODEL, guest2m=END, "
         "nodeN=START-END, cpunodes=A.B..., slit=D.D...)", a);
}

int cm_args_parse(struct cm_config *c, int argc, char **argv, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->guest2m_end = 1ull << 32;
    for (int i = 0; i < argc; i++)
        if (parse_one(c, argv[i], err, errlen))
            return -1;
    if (!c->out_path)
        FAIL("out=FILE is required");
    return numa_check(c, err, errlen);
}
