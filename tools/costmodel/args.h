/* The cost-model plugin's arguments (tools/costmodel/args.c, docs/cost-model.md "The
 * plugin"): parsed once at install; host-tested (tests/unit/test_costmodel_args.c). */
#ifndef COSTMODEL_ARGS_H
#define COSTMODEL_ARGS_H

#include "tlb.h"

#include <stddef.h>
#include <stdint.h>

#define CM_MAX_GEOMS 4
#define CM_MAX_NODES 8
#define CM_MAX_PCPUS 256

struct cm_geom {
    char name[32];
    struct tlb_geometry g;
};

struct cm_config {
    char *out_path;                     /* out=FILE (malloc'd) */
    uint64_t hint_base, stubs_base;     /* hint=ADDR, stubs=ADDR */
    int hint_set, stubs_set;
    struct cm_geom geoms[CM_MAX_GEOMS]; /* tlbN=NAME:6 numbers */
    unsigned nr_geoms;
    uint64_t guest2m_end;               /* guest2m=END (default 4 GiB) */
    struct { uint64_t start, end; int set; } node_mem[CM_MAX_NODES];   /* nodeN=S-E */
    int cpu_node[CM_MAX_PCPUS];         /* cpunodes=A.B... */
    unsigned nr_cpu_nodes;
    unsigned slit[CM_MAX_NODES][CM_MAX_NODES];   /* slit=D.D..., row by row */
    unsigned nr_slit;
    int numa_set;                       /* node ranges, pCPU nodes and SLIT all given */
};

/* Fills *c from QEMU's "key=value" arguments. 0, or -1 with err saying which argument
 * and what is wrong (then *c is half-filled: the plugin refuses to load). */
int cm_args_parse(struct cm_config *c, int argc, char **argv, char *err, size_t errlen);

#endif
