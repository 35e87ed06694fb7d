/* Hypercall helpers of the toolstack, and the records of the domains it created.
 *
 * Design: like xl, the toolstack applies a domain's on_poweroff/on_reboot/on_crash
 * action when it sees the domain has shut down. Seeing is polling: xl_reap reads the
 * state of every recorded domain; it runs before each command, in `wait`, and when
 * VIRQ_DOM_EXC arrives at the shell's prompt. Records outlive their domains (state
 * XL_REC_GONE) so that `wait a` after a has been destroyed still knows how a ended.
 *
 * Locking: none; dom0 runs the toolstack on one vCPU, outside event handlers.
 *
 * Limitations: XL_MAX_RECORDS records; the oldest gone one is reused first. */
#include "dom0.h"
#include "domhooks.h"
#include "strutil.h"
#include "xl_format.h"

#define XL_MAX_RECORDS 64

static struct xl_record records[XL_MAX_RECORDS];
static uint64_t record_seq;

long xl_domctl(uint32_t cmd, hv_domid_t dom, struct domctl *op)
{
    op->cmd = cmd;
    op->interface_version = DOMCTL_INTERFACE_VERSION;
    op->domain = dom;
    return hv_domctl(op);
}

long xl_sysctl(uint32_t cmd, struct sysctl *op)
{
    op->cmd = cmd;
    op->interface_version = SYSCTL_INTERFACE_VERSION;
    return hv_sysctl(op);
}

int xl_dominfo_next(hv_domid_t from, struct domctl_getdomaininfo *di)
{
    struct domctl op;
    long rc;

    memset(&op, 0, sizeof(op));
    if ((rc = xl_domctl(DOMCTL_getdomaininfo, from, &op)) < 0)
        return (int)rc;
    *di = op.u.getdomaininfo;
    di->domain = op.domain;
    di->name[DOMNAME_LEN - 1] = '\0';
    return 0;
}

int xl_dominfo(hv_domid_t id, struct domctl_getdomaininfo *di)
{
    int rc = xl_dominfo_next(id, di);

    return rc ? rc : di->domain == id ? 0 : -ESRCH;
}

int xl_lookup(const char *cmd, const char *arg, struct domctl_getdomaininfo *di)
{
    uint64_t id;
    int rc;

    if (str_to_dec(arg, &id) == 0) {
        if (id < DOMID_SELF && xl_dominfo((hv_domid_t)id, di) == 0)
            return 0;
    } else {
        for (rc = xl_dominfo_next(0, di); !rc; rc = xl_dominfo_next(di->domain + 1, di))
            if (strcmp(di->name, arg) == 0)
                return 0;
    }
    printf("%s: no domain '%s'\n", cmd, arg);
    return -ESRCH;
}

int xl_topology(struct cpu_topo *t)
{
    struct sysctl op;
    long rc;

    memset(t, 0, sizeof(*t));
    if ((rc = xl_sysctl(SYSCTL_topologyinfo, &op)) < 0)
        return (int)rc;
    t->nr_cpus = MIN(op.u.topologyinfo.nr_cpus, (uint32_t)CPULIST_MAX_CPUS);
    for (unsigned c = 0; c < t->nr_cpus; c++)
        t->cpu_to_node[c] = (uint8_t)op.u.topologyinfo.cpu_to_node[c];
    if ((rc = xl_sysctl(SYSCTL_numainfo, &op)) < 0)
        return (int)rc;
    t->nr_nodes = op.u.numainfo.nr_nodes;
    return 0;
}

int xl_cpus_check(const char *what, uint64_t mask, const struct cpu_topo *t)
{
    uint64_t extra = mask & ~cpumask_all(t);

    if (extra) {
        printf("%s: CPU %u does not exist (%u CPUs)\n", what,
               (unsigned)__builtin_ctzll(extra), t->nr_cpus);
        return -EINVAL;
    }
    if (!mask) {
        printf("%s: no CPU left in the list\n", what);
        return -EINVAL;
    }
    return 0;
}

/* ---- records ---- */

/* A free record, else the oldest gone one, else the oldest. */
static struct xl_record *record_slot(void)
{
    struct xl_record *gone = NULL, *oldest = &records[0];

    for (unsigned i = 0; i < XL_MAX_RECORDS; i++) {
        struct xl_record *r = &records[i];
        if (!r->used)
            return r;
        if (r->state == XL_REC_GONE && (!gone || r->seq < gone->seq))
            gone = r;
        if (r->seq < oldest->seq)
            oldest = r;
    }
    if (gone)
        return gone;
    printf("xl: more than %u domains: forgetting what to do when %s stops\n",
           XL_MAX_RECORDS, oldest->name);
    return oldest;
}

void xl_record_add(hv_domid_t id, const struct domain_config *cfg)
{
    struct xl_record *r = record_slot();

    memset(r, 0, sizeof(*r));
    r->used = true;
    r->id = id;
    r->state = XL_REC_LIVE;
    r->seq = ++record_seq;
    str_copy(r->name, sizeof(r->name), cfg->name, strlen(cfg->name));
    r->on_poweroff = cfg->on_poweroff;
    r->on_reboot = cfg->on_reboot;
    r->on_crash = cfg->on_crash;
}

struct xl_record *xl_record_find(const char *arg)
{
    struct xl_record *best = NULL;
    uint64_t id;
    bool numeric = str_to_dec(arg, &id) == 0;

    for (unsigned i = 0; i < XL_MAX_RECORDS; i++) {
        struct xl_record *r = &records[i];
        if (!r->used || (numeric ? r->id != id : strcmp(r->name, arg) != 0))
            continue;
        if (!best || r->seq > best->seq)
            best = r;
    }
    return best;
}

struct xl_record *xl_record_of(hv_domid_t id)
{
    for (unsigned i = 0; i < XL_MAX_RECORDS; i++)
        if (records[i].used && records[i].state != XL_REC_GONE && records[i].id == id)
            return &records[i];
    return NULL;
}

static enum xlcfg_action action_for(const struct xl_record *r, uint32_t reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff: return r->on_poweroff;
    case SHUTDOWN_reboot:   return r->on_reboot;
    case SHUTDOWN_crash:    return r->on_crash;
    case SHUTDOWN_error:    return r->on_crash;     /* it failed, though it did not crash */
    }
    return XLCFG_ACTION_PRESERVE;       /* suspend: keep it, as xl does */
}

static void reap_one(struct xl_record *r)
{
    struct domctl_getdomaininfo di;
    long rc;

    if (xl_dominfo(r->id, &di) < 0) {
        r->state = XL_REC_GONE;         /* destroyed behind our back */
        return;
    }
    if (!(di.flags & DOMINFO_shutdown))
        return;
    r->reason = di.shutdown_reason;
    if (action_for(r, r->reason) == XLCFG_ACTION_PRESERVE) {
        r->state = XL_REC_PRESERVED;
        printf("domain %u (%s) shut down (%s): preserved\n", r->id, r->name,
               xl_shutdown_reason_name(r->reason));
        return;
    }
    rc = dom0_domain_destroy(r->id);
    if (rc < 0) {
        /* Leave it live: the next reap tries again. */
        printf("domain %u (%s) shut down (%s): destroy failed: %s\n", r->id, r->name,
               xl_shutdown_reason_name(r->reason), str_errno((int)rc));
        return;
    }
    r->state = XL_REC_GONE;
    printf("domain %u (%s) shut down (%s): destroyed\n", r->id, r->name,
           xl_shutdown_reason_name(r->reason));
}

void xl_reap(void)
{
    for (unsigned i = 0; i < XL_MAX_RECORDS; i++)
        if (records[i].used && records[i].state == XL_REC_LIVE)
            reap_one(&records[i]);
}

void *xl_scratch(uint64_t pages)
{
    static char *buf;
    static uint64_t have;

    if (pages <= have)
        return buf;
    for (uint64_t i = 0; i < have; i++)
        free_page(buf + (i << PAGE_SHIFT));
    buf = alloc_pages(pages);
    have = buf ? pages : 0;
    return buf;
}

void xl_out(void *arg, const char *line)
{
    (void)arg;
    puts(line);
}
