/* The cost model's QEMU TCG plugin (docs/cost-model.md): counts instructions, memory
 * accesses and hardware events (VMRUN/#VMEXIT world switches, SYSCALL, SYSRET,
 * VMMCALL, IRET, exception and interrupt entries into the hypervisor) per (domain, vCPU) and mode (guest / hypervisor), and writes them as
 * JSON at exit.
 *
 *   qemu-system-x86_64 -plugin file=build/costmodel/costmodel.so,out=F,hint=0xADDR
 *
 * out: the JSON file. hint: the address of the hypervisor's costmodel_hint array
 * (include/public/costmodel.h); without it everything is counted under "boot".
 * stubs: the address of the hypervisor's trap_stubs (core/arch/x86/entry.S, 256 stubs
 * of 16 bytes): executing stub v's first instruction is an exception or interrupt
 * entry of vector v into the hypervisor; without it these are not counted.
 *
 * Mode: an instruction is the hypervisor's when its address is in the upper half and
 * the pCPU is not inside VMRUN; guest otherwise (PV guests run in the lower half, an
 * HVM guest between a VMRUN and the instruction after it, where #VMEXIT resumes).
 * Who: the last hint load seen on the pCPU; "boot" before the first. Nothing is
 * counted after the stop hint (the hypervisor's power-off or exit request).
 *
 * TLB model (tlb.c) and NUMA accounting: docs/cost-model.md "TLB model", "NUMA"; the
 * arguments are parsed by args.c.
 * tlbN=NAME:l1i_entries:l1i_ways:l1d_entries:l1d_ways:l2_entries:l2_ways (N = 0..3):
 * one simulated TLB per CPU model (the cost tables' [tlb.*]), each pCPU its own.
 * guest2m=END: guest VAs below END are the HVM runtime's identity map of 2 MiB pages
 * (guest/hvm/boot.S; default 4 GiB). nodeN=START-END: node N's RAM (physical);
 * cpunodes=A.B...: pCPU i's node; cfg.slit=D.D...: the SLIT, row by row.
 *
 * Threads: under icount QEMU runs every pCPU in one thread; without it (MTTCG) each
 * pCPU has its own thread, so counters shared between pCPUs are added atomically and
 * per-pCPU state is touched only by its own thread. */
#include "args.h"
#include "insn_kind.h"
#include "plugin_api.h"
#include "tlb.h"
#include "xlat.h"
#include "../../include/public/costmodel.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PLUGIN_EXPORT int qemu_plugin_version = PLUGIN_API_VERSION;
PLUGIN_EXPORT int qemu_plugin_install(plugin_id_t id, const plugin_info_t *info, int argc,
                                      char **argv);

#define MAX_PCPUS CM_MAX_PCPUS
#define WHO_BOOT  XLAT_WHO_BOOT
#define UPPER_HALF XLAT_UPPER_HALF

enum { M_GUEST, M_HV, NR_MODES };
#define MAX_GEOMS CM_MAX_GEOMS
#define MAX_NODES CM_MAX_NODES

/* TLB events of one (who, mode, CPU model). walks[fetch][2D][2M]. */
struct tlb_counts {
    uint64_t l2_hits[2], walks[2][2][2], walk_refs;
};

struct counts {
    uint64_t insns[NR_MODES], mem[NR_MODES];
    uint64_t vmrun, vmexit, syscall, sysret, vmmcall, iret[NR_MODES], switches_in;
    uint64_t entries[NR_MODES];         /* exception/interrupt entries, by mode left */
    uint64_t cr3[NR_MODES], invlpg[NR_MODES], tlb_flush_all;
    uint64_t mem_local[NR_MODES], mem_remote[NR_MODES], mem_remote_slit[NR_MODES];
    struct tlb_counts tlb[MAX_GEOMS][NR_MODES];
};

/* The last page translated, per kind: a repeat of it is an L1 hit in every model (it is
 * the most recent entry of its set), so the lookup is skipped. */
struct last_page {
    uint64_t vpn;
    uint32_t tag;
    unsigned shift;                     /* 0: none */
};

struct pcpu {
    unsigned who;                       /* slot of the running vCPU, or WHO_BOOT */
    int in_guest;                       /* between VMRUN and the #VMEXIT's return */
    int last_mode;                      /* of the last instruction: where an entry
                                         * came from */
    int flush_pending;                  /* the next VMRUN flushes the TLB */
    unsigned npt_domain;                /* the domain NPT_2M hints are about */
    struct tlb tlb[MAX_GEOMS];
    struct last_page last[2];           /* [fetch] */
};

static struct cm_config cfg;            /* the arguments (args.c), set at install */
static unsigned nr_tlb_pcpus;           /* pCPUs with TLBs (max_vcpus at install) */

/* 2 MiB nested mappings per HVM domain, by guest-physical 2 MiB block (hint). */
static struct npt_record npt;

static struct counts *who_counts[WHO_BOOT + 1];
static struct pcpu pcpus[MAX_PCPUS];
#define NR_VECTORS 256
#define STUB_SIZE  16
static uint64_t vector_entries[NR_VECTORS][NR_MODES];
static uint64_t lost_pcpus;            /* callbacks from a pCPU index >= MAX_PCPUS */
static int stopped;                     /* the stop hint was seen: count nothing more */

/* Addresses where #VMEXIT resumes (the instruction after each VMRUN seen), so their
 * translation can register the exit callback. Few: a linear table. */
#define MAX_RESUME 64
static uint64_t resume_va[MAX_RESUME];
static unsigned nr_resume;              /* written under resume_lock (MTTCG translates
                                         * on several threads), read without */
static pthread_mutex_t resume_lock = PTHREAD_MUTEX_INITIALIZER;

#define ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)

static struct counts *counts_of(unsigned slot)
{
    struct counts *c = __atomic_load_n(&who_counts[slot], __ATOMIC_ACQUIRE);
    if (c)
        return c;
    struct counts *n = calloc(1, sizeof(*n));
    if (!n) {
        fprintf(stderr, "costmodel: out of memory\n");
        abort();
    }
    struct counts *expected = NULL;
    if (__atomic_compare_exchange_n(&who_counts[slot], &expected, n, false,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return n;
    free(n);
    return expected;
}

static struct pcpu *pcpu_of(unsigned idx)
{
    if (__atomic_load_n(&stopped, __ATOMIC_RELAXED))
        return NULL;
    if (idx >= MAX_PCPUS) {
        ADD(lost_pcpus, 1);
        return NULL;
    }
    return &pcpus[idx];
}

static int mode_of(const struct pcpu *p, int upper)
{
    return upper && !p->in_guest ? M_HV : M_GUEST;
}

/* udata: the instruction's VA. Per instruction, not per block: a block QEMU leaves early (icount
 * budget, exception) counts only what ran, so totals are exact and repeatable. */
/* How va translates on p now: address space (tag), page size, global, walk shape. */
static void tlb_count(struct pcpu *p, int mode, int fetch, uint64_t va)
{
    struct xlat x = xlat_of(p->in_guest, p->who, va, cfg.guest2m_end, &npt);
    struct last_page *l = &p->last[fetch];
    uint64_t vpn = va >> x.shift;
    if (l->shift == x.shift && l->vpn == vpn && l->tag == x.tag)
        return;
    *l = (struct last_page){ vpn, x.tag, x.shift };
    struct counts *c = counts_of(p->who);
    for (unsigned i = 0; i < cfg.nr_geoms; i++) {
        struct tlb_counts *tc = &c->tlb[i][mode];
        switch (tlb_access(&p->tlb[i], fetch, x.tag, va, x.shift, x.global)) {
        case TLB_HIT_L1:
            break;
        case TLB_HIT_L2:
            ADD(tc->l2_hits[fetch], 1);
            break;
        case TLB_MISS:
            ADD(tc->walks[fetch][x.nested_levels != 0][x.shift == 21], 1);
            ADD(tc->walk_refs, tlb_walk_refs(x.guest_levels, x.nested_levels));
            break;
        }
    }
}

static int has_tlb(const struct pcpu *p)
{
    return cfg.nr_geoms && (unsigned)(p - pcpus) < nr_tlb_pcpus;
}

static void tlb_flush(struct pcpu *p, int all, uint32_t tag)
{
    if (!has_tlb(p))
        return;
    for (unsigned i = 0; i < cfg.nr_geoms; i++) {
        if (all)
            tlb_flush_all(&p->tlb[i]);
        else
            tlb_flush_tag(&p->tlb[i], tag);
    }
    p->last[0].shift = p->last[1].shift = 0;
}

static void on_insn(unsigned idx, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p)
        return;
    uint64_t va = (uintptr_t)udata;
    p->last_mode = mode_of(p, va >= UPPER_HALF);
    ADD(counts_of(p->who)->insns[p->last_mode], 1);
    if (has_tlb(p))
        tlb_count(p, p->last_mode, 1, va);
}

/* udata: the vector. Registered before the stub's on_insn, so last_mode is still the
 * mode of the instruction the entry interrupted. */
static void on_entry(unsigned idx, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p)
        return;
    ADD(counts_of(p->who)->entries[p->last_mode], 1);
    ADD(vector_entries[(uintptr_t)udata][p->last_mode], 1);
}

static void on_hint(struct pcpu *p, uint64_t slot)
{
    if (slot == COSTMODEL_HINT_STOP) {
        __atomic_store_n(&stopped, 1, __ATOMIC_RELAXED);
    } else if (slot == COSTMODEL_HINT_FLUSH) {
        p->flush_pending = 1;
    } else if (slot >= COSTMODEL_HINT_NPT_2M(0)) {
        npt_note_2m(&npt, p->npt_domain, slot - COSTMODEL_HINT_NPT_2M(0));
    } else if (slot >= COSTMODEL_HINT_NPT_DOMAIN(0)) {
        p->npt_domain = (unsigned)(slot - COSTMODEL_HINT_NPT_DOMAIN(0));
        if (npt_forget(&npt, p->npt_domain)) {
            fprintf(stderr, "costmodel: out of memory\n");
            abort();
        }
    } else if (slot < COSTMODEL_HINT_WHO_SIZE) {
        p->who = (unsigned)slot;
        ADD(counts_of(p->who)->switches_in, 1);
    }
}

/* Local or remote: the node of the access's physical address against the pCPU's.
 * Device (MMIO) accesses and addresses outside every node's RAM are not counted. */
static void numa_count(const struct pcpu *p, struct counts *c, int mode,
                       plugin_meminfo_t info, uint64_t va)
{
    unsigned cpu = (unsigned)(p - pcpus);
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, va);
    if (!hw || qemu_plugin_hwaddr_is_io(hw) || cpu >= cfg.nr_cpu_nodes)
        return;
    uint64_t pa = qemu_plugin_hwaddr_phys_addr(hw);
    for (unsigned n = 0; n < MAX_NODES; n++) {
        if (!cfg.node_mem[n].set || pa < cfg.node_mem[n].start || pa >= cfg.node_mem[n].end)
            continue;
        unsigned here = (unsigned)cfg.cpu_node[cpu];
        if (n == here) {
            ADD(c->mem_local[mode], 1);
        } else {
            ADD(c->mem_remote[mode], 1);
            ADD(c->mem_remote_slit[mode], cfg.slit[here][n] - 10);
        }
        return;
    }
}

/* udata: upper. */
static void on_mem(unsigned idx, plugin_meminfo_t info, uint64_t va, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p)
        return;
    int mode = mode_of(p, (uintptr_t)udata != 0);
    struct counts *c = counts_of(p->who);
    ADD(c->mem[mode], 1);
    if (has_tlb(p))
        tlb_count(p, mode, 0, va);
    if (cfg.numa_set)
        numa_count(p, c, mode, info, va);
    if (mode == M_HV && cfg.hint_set && va - cfg.hint_base < COSTMODEL_HINT_SIZE)
        on_hint(p, va - cfg.hint_base);
}

static void on_vmrun(unsigned idx, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p)
        return;
    struct counts *c = counts_of(p->who);
    ADD(c->vmrun, 1);
    if (p->flush_pending) {
        p->flush_pending = 0;
        ADD(c->tlb_flush_all, 1);
        tlb_flush(p, 1, 0);
    }
    p->in_guest = 1;
}

static void on_resume(unsigned idx, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p || !p->in_guest)
        return;
    ADD(counts_of(p->who)->vmexit, 1);
    p->in_guest = 0;
}

/* udata: enum insn_kind << 1 | upper. */
static void on_event(unsigned idx, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p)
        return;
    uintptr_t u = (uintptr_t)udata;
    struct counts *c = counts_of(p->who);
    switch ((enum insn_kind)(u >> 1)) {
    case INSN_SYSCALL: ADD(c->syscall, 1); break;
    case INSN_SYSRET:  ADD(c->sysret, 1); break;
    case INSN_VMMCALL: ADD(c->vmmcall, 1); break;
    case INSN_IRET:    ADD(c->iret[mode_of(p, u & 1)], 1); break;
    case INSN_MOV_CR3: {
        /* No PCID (TCG offers none): the address space's non-global entries go. */
        int mode = mode_of(p, u & 1);
        ADD(c->cr3[mode], 1);
        tlb_flush(p, 0, p->in_guest ? 1 + p->who : 0);
        break;
    }
    case INSN_INVLPG:
    case INSN_INVLPGA:
        /* Counted only: the operand is in a register the plugin cannot read. */
        ADD(c->invlpg[mode_of(p, u & 1)], 1);
        break;
    default: break;
    }
}

static int is_resume_va(uint64_t va)
{
    for (unsigned i = 0; i < __atomic_load_n(&nr_resume, __ATOMIC_ACQUIRE); i++)
        if (resume_va[i] == va)
            return 1;
    return 0;
}

static void note_resume_va(uint64_t va)
{
    pthread_mutex_lock(&resume_lock);
    if (!is_resume_va(va)) {
        if (nr_resume < MAX_RESUME) {
            resume_va[nr_resume] = va;
            __atomic_store_n(&nr_resume, nr_resume + 1, __ATOMIC_RELEASE);
        } else {
            fprintf(stderr, "costmodel: more than %d VMRUN sites: exits after the rest "
                    "are not counted\n", MAX_RESUME);
        }
    }
    pthread_mutex_unlock(&resume_lock);
}

static void on_translate(plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (!n)
        return;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t va = qemu_plugin_insn_vaddr(insn);
        size_t len = qemu_plugin_insn_size(insn);
        uintptr_t up = va >= UPPER_HALF;
        if (is_resume_va(va))           /* before the mem callback: exit, then count */
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_resume, PLUGIN_CB_NO_REGS, NULL);
        if (cfg.stubs_set && va - cfg.stubs_base < NR_VECTORS * STUB_SIZE &&
            (va - cfg.stubs_base) % STUB_SIZE == 0)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_entry, PLUGIN_CB_NO_REGS,
                                                   (void *)(uintptr_t)((va - cfg.stubs_base) /
                                                                       STUB_SIZE));
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, PLUGIN_CB_NO_REGS,
                                               (void *)(uintptr_t)va);
        qemu_plugin_register_vcpu_mem_cb(insn, on_mem, PLUGIN_CB_NO_REGS, PLUGIN_MEM_RW,
                                         (void *)up);
        enum insn_kind k = insn_kind(qemu_plugin_insn_data(insn), len);
        if (k == INSN_VMRUN) {
            note_resume_va(va + len);
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_vmrun, PLUGIN_CB_NO_REGS, NULL);
        } else if (k != INSN_OTHER) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_event, PLUGIN_CB_NO_REGS,
                                                   (void *)((uintptr_t)k << 1 | up));
        }
    }
}

static const char *const mode_names[NR_MODES] = { "guest", "hv" };

static void write_tlb(FILE *f, const struct tlb_counts *t)
{
    static const char *const kind[2] = { "d", "i" }, *const dim[2] = { "1d", "2d" },
                      *const size[2] = { "4k", "2m" };
    fprintf(f, "{\"dtlb_l2_hits\": %" PRIu64 ", \"itlb_l2_hits\": %" PRIu64, t->l2_hits[0],
            t->l2_hits[1]);
    for (int i = 0; i < 2; i++)
        for (int d = 0; d < 2; d++)
            for (int z = 0; z < 2; z++)
                fprintf(f, ", \"walks_%s_%s_%s\": %" PRIu64, kind[i], dim[d], size[z],
                        t->walks[i][d][z]);
    fprintf(f, ", \"walk_refs\": %" PRIu64 "}", t->walk_refs);
}

static void write_who(FILE *f, unsigned slot, int *first)
{
    const struct counts *c = who_counts[slot];
    if (!c)
        return;
    fprintf(f, "%s\n    {", *first ? "" : ",");
    *first = 0;
    if (slot == WHO_BOOT)
        fprintf(f, "\"who\": \"boot\"");
    else if (slot / COSTMODEL_HINT_VCPUS == COSTMODEL_HINT_IDLE)
        fprintf(f, "\"who\": \"idle\", \"pcpu\": %u", slot % COSTMODEL_HINT_VCPUS);
    else
        fprintf(f, "\"who\": \"vcpu\", \"domain\": %u, \"vcpu\": %u",
                slot / COSTMODEL_HINT_VCPUS, slot % COSTMODEL_HINT_VCPUS);
    fprintf(f, ", \"guest_insns\": %" PRIu64 ", \"hv_insns\": %" PRIu64
            ", \"guest_mem\": %" PRIu64 ", \"hv_mem\": %" PRIu64 ", \"vmrun\": %" PRIu64
            ", \"vmexit\": %" PRIu64 ", \"syscall\": %" PRIu64 ", \"sysret\": %" PRIu64
            ", \"vmmcall\": %" PRIu64 ", \"guest_iret\": %" PRIu64 ", \"hv_iret\": %" PRIu64
            ", \"switches_in\": %" PRIu64 ", \"guest_entries\": %" PRIu64
            ", \"hv_entries\": %" PRIu64,
            c->insns[M_GUEST], c->insns[M_HV], c->mem[M_GUEST], c->mem[M_HV], c->vmrun,
            c->vmexit, c->syscall, c->sysret, c->vmmcall, c->iret[M_GUEST], c->iret[M_HV],
            c->switches_in, c->entries[M_GUEST], c->entries[M_HV]);
    for (int m = 0; m < NR_MODES; m++)
        fprintf(f, ", \"%s_cr3\": %" PRIu64 ", \"%s_invlpg\": %" PRIu64
                ", \"%s_mem_local\": %" PRIu64 ", \"%s_mem_remote\": %" PRIu64
                ", \"%s_mem_remote_slit\": %" PRIu64, mode_names[m], c->cr3[m], mode_names[m],
                c->invlpg[m], mode_names[m], c->mem_local[m], mode_names[m], c->mem_remote[m],
                mode_names[m], c->mem_remote_slit[m]);
    fprintf(f, ", \"tlb_flush_all\": %" PRIu64 ", \"tlb\": {", c->tlb_flush_all);
    for (unsigned i = 0; i < cfg.nr_geoms; i++) {
        fprintf(f, "%s\"%s\": {", i ? ", " : "", cfg.geoms[i].name);
        for (int m = 0; m < NR_MODES; m++) {
            fprintf(f, "%s\"%s\": ", m ? ", " : "", mode_names[m]);
            write_tlb(f, &c->tlb[i][m]);
        }
        fprintf(f, "}");
    }
    fprintf(f, "}}");
}

static void on_atexit(plugin_id_t id, void *udata)
{
    FILE *f = fopen(cfg.out_path, "w");
    if (!f) {
        fprintf(stderr, "costmodel: cannot write %s\n", cfg.out_path);
        return;
    }
    fprintf(f, "{\n  \"format\": \"hvlab-costmodel-1\",\n  \"hint\": ");
    if (cfg.hint_set)
        fprintf(f, "\"%#" PRIx64 "\"", cfg.hint_base);
    else
        fprintf(f, "null");
    fprintf(f, ",\n  \"stubs\": ");
    if (cfg.stubs_set)
        fprintf(f, "\"%#" PRIx64 "\"", cfg.stubs_base);
    else
        fprintf(f, "null");
    fprintf(f, ",\n  \"tlb_models\": [");
    for (unsigned i = 0; i < cfg.nr_geoms; i++) {
        const struct tlb_geometry *g = &cfg.geoms[i].g;
        fprintf(f, "%s{\"name\": \"%s\", \"l1i\": [%u, %u], \"l1d\": [%u, %u], "
                "\"l2\": [%u, %u]}", i ? ", " : "", cfg.geoms[i].name, g->l1i_entries,
                g->l1i_ways, g->l1d_entries, g->l1d_ways, g->l2_entries, g->l2_ways);
    }
    fprintf(f, "],\n  \"cfg.guest2m_end\": \"%#" PRIx64 "\",\n  \"numa\": %s",
            cfg.guest2m_end, cfg.numa_set ? "true" : "false");
    fprintf(f, ",\n  \"vectors\": [");
    int sep = 0;
    for (unsigned v = 0; v < NR_VECTORS; v++) {
        if (!vector_entries[v][M_GUEST] && !vector_entries[v][M_HV])
            continue;
        fprintf(f, "%s\n    {\"vector\": %u, \"from_guest\": %" PRIu64 ", \"from_hv\": %"
                PRIu64 "}", sep ? "," : "", v, vector_entries[v][M_GUEST],
                vector_entries[v][M_HV]);
        sep = 1;
    }
    fprintf(f, "\n  ],\n  \"stopped\": %s,\n  \"lost_pcpu_callbacks\": %" PRIu64
            ",\n  \"counts\": [", stopped ? "true" : "false", lost_pcpus);
    int first = 1;
    for (unsigned s = 0; s <= WHO_BOOT; s++)
        write_who(f, s, &first);
    fprintf(f, "\n  ]\n}\n");
    if (fclose(f))
        fprintf(stderr, "costmodel: error writing %s\n", cfg.out_path);
}

int qemu_plugin_install(plugin_id_t id, const plugin_info_t *info, int argc, char **argv)
{
    char err[256];
    if (cm_args_parse(&cfg, argc, argv, err, sizeof(err))) {
        fprintf(stderr, "costmodel: %s\n", err);
        return -1;
    }
    for (unsigned i = 0; i < MAX_PCPUS; i++)
        pcpus[i].who = WHO_BOOT;
    if (cfg.nr_geoms) {
        int n = info->system_emulation ? info->system.max_vcpus : 1;
        nr_tlb_pcpus = n < 1 ? 1 : n > MAX_PCPUS ? MAX_PCPUS : (unsigned)n;
        for (unsigned c = 0; c < nr_tlb_pcpus; c++)
            for (unsigned g = 0; g < cfg.nr_geoms; g++)
                if (tlb_init(&pcpus[c].tlb[g], &cfg.geoms[g].g)) {
                    fprintf(stderr, "costmodel: out of memory for the TLB models\n");
                    return -1;
                }
    }
    counts_of(WHO_BOOT);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
    return 0;
}
