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
 * Threads: under icount QEMU runs every pCPU in one thread; without it (MTTCG) each
 * pCPU has its own thread, so counters shared between pCPUs are added atomically and
 * per-pCPU state is touched only by its own thread. */
#include "insn_kind.h"
#include "plugin_api.h"
#include "../../include/public/costmodel.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PLUGIN_EXPORT int qemu_plugin_version = PLUGIN_API_VERSION;
PLUGIN_EXPORT int qemu_plugin_install(plugin_id_t id, const plugin_info_t *info, int argc,
                                      char **argv);

#define MAX_PCPUS 256
#define WHO_BOOT  COSTMODEL_HINT_SIZE   /* the slot before any hint */
#define UPPER_HALF 0xffff800000000000ull

enum { M_GUEST, M_HV, NR_MODES };

struct counts {
    uint64_t insns[NR_MODES], mem[NR_MODES];
    uint64_t vmrun, vmexit, syscall, sysret, vmmcall, iret[NR_MODES], switches_in;
    uint64_t entries[NR_MODES];         /* exception/interrupt entries, by mode left */
};

struct pcpu {
    unsigned who;                       /* slot of the running vCPU, or WHO_BOOT */
    int in_guest;                       /* between VMRUN and the #VMEXIT's return */
    int last_mode;                      /* of the last instruction: where an entry
                                         * came from */
};

static struct counts *who_counts[COSTMODEL_HINT_SIZE + 1];
static struct pcpu pcpus[MAX_PCPUS];
static uint64_t hint_base;
static int hint_set;
static uint64_t stubs_base;
static int stubs_set;
#define NR_VECTORS 256
#define STUB_SIZE  16
static uint64_t vector_entries[NR_VECTORS][NR_MODES];
static char *out_path;
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

/* udata: upper. Per instruction, not per block: a block QEMU leaves early (icount
 * budget, exception) counts only what ran, so totals are exact and repeatable. */
static void on_insn(unsigned idx, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p)
        return;
    p->last_mode = mode_of(p, (uintptr_t)udata != 0);
    ADD(counts_of(p->who)->insns[p->last_mode], 1);
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

/* udata: upper. */
static void on_mem(unsigned idx, plugin_meminfo_t info, uint64_t va, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p)
        return;
    int mode = mode_of(p, (uintptr_t)udata != 0);
    ADD(counts_of(p->who)->mem[mode], 1);
    if (mode == M_HV && hint_set && va - hint_base < COSTMODEL_HINT_SIZE) {
        if (va - hint_base == COSTMODEL_HINT_STOP) {
            __atomic_store_n(&stopped, 1, __ATOMIC_RELAXED);
            return;
        }
        p->who = (unsigned)(va - hint_base);
        ADD(counts_of(p->who)->switches_in, 1);
    }
}

static void on_vmrun(unsigned idx, void *udata)
{
    struct pcpu *p = pcpu_of(idx);
    if (!p)
        return;
    ADD(counts_of(p->who)->vmrun, 1);
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
        if (stubs_set && va - stubs_base < NR_VECTORS * STUB_SIZE &&
            (va - stubs_base) % STUB_SIZE == 0)
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_entry, PLUGIN_CB_NO_REGS,
                                                   (void *)(uintptr_t)((va - stubs_base) /
                                                                       STUB_SIZE));
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, PLUGIN_CB_NO_REGS, (void *)up);
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
            ", \"hv_entries\": %" PRIu64 "}",
            c->insns[M_GUEST], c->insns[M_HV], c->mem[M_GUEST], c->mem[M_HV], c->vmrun,
            c->vmexit, c->syscall, c->sysret, c->vmmcall, c->iret[M_GUEST], c->iret[M_HV],
            c->switches_in, c->entries[M_GUEST], c->entries[M_HV]);
}

static void on_atexit(plugin_id_t id, void *udata)
{
    FILE *f = fopen(out_path, "w");
    if (!f) {
        fprintf(stderr, "costmodel: cannot write %s\n", out_path);
        return;
    }
    fprintf(f, "{\n  \"format\": \"hvlab-costmodel-1\",\n  \"hint\": ");
    if (hint_set)
        fprintf(f, "\"%#" PRIx64 "\"", hint_base);
    else
        fprintf(f, "null");
    fprintf(f, ",\n  \"stubs\": ");
    if (stubs_set)
        fprintf(f, "\"%#" PRIx64 "\"", stubs_base);
    else
        fprintf(f, "null");
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
        fprintf(stderr, "costmodel: error writing %s\n", out_path);
}

int qemu_plugin_install(plugin_id_t id, const plugin_info_t *info, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "out=", 4)) {
            out_path = strdup(argv[i] + 4);
        } else if (!strncmp(argv[i], "hint=", 5)) {
            char *end;
            hint_base = strtoull(argv[i] + 5, &end, 0);
            if (*end || end == argv[i] + 5) {
                fprintf(stderr, "costmodel: bad hint address '%s'\n", argv[i] + 5);
                return -1;
            }
            hint_set = 1;
        } else if (!strncmp(argv[i], "stubs=", 6)) {
            char *end;
            stubs_base = strtoull(argv[i] + 6, &end, 0);
            if (*end || end == argv[i] + 6) {
                fprintf(stderr, "costmodel: bad stubs address '%s'\n", argv[i] + 6);
                return -1;
            }
            stubs_set = 1;
        } else {
            fprintf(stderr, "costmodel: unknown argument '%s' (out=FILE, hint=ADDR, stubs=ADDR)\n",
                    argv[i]);
            return -1;
        }
    }
    if (!out_path) {
        fprintf(stderr, "costmodel: out=FILE is required\n");
        return -1;
    }
    for (unsigned i = 0; i < MAX_PCPUS; i++)
        pcpus[i].who = WHO_BOOT;
    counts_of(WHO_BOOT);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
    return 0;
}
