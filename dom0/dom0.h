/* dom0's toolstack internals shared by its files: hypercall helpers, the domains it
 * created (to apply on_poweroff/on_crash when they stop), events, output. Built only
 * into the dom0 image (it needs the guest runtime). */
#ifndef DOM0_DOM0_H
#define DOM0_DOM0_H

#include <guest.h>
#include "cpulist.h"
#include "xlcfg.h"

/* ---- xl_dom.c: hypercalls ---- */

/* Fills in the version and domain, makes the call; the result or -errno. */
long xl_domctl(uint32_t cmd, hv_domid_t dom, struct domctl *op);
long xl_sysctl(uint32_t cmd, struct sysctl *op);

/* The domain with id exactly id: 0 or -ESRCH. */
int xl_dominfo(hv_domid_t id, struct domctl_getdomaininfo *di);
/* The first domain with an id >= from: 0 or -ESRCH when there is none. */
int xl_dominfo_next(hv_domid_t from, struct domctl_getdomaininfo *di);
/* Every domain in id order:
 *   for (rc = xl_dominfo_next(0, &di); !rc; rc = xl_dominfo_next(di.domain + 1, &di)) */

/* <dom> of a command: a name or a numeric id. Prints "<cmd>: no domain '<arg>'"
 * and returns -ESRCH when there is none. */
int xl_lookup(const char *cmd, const char *arg, struct domctl_getdomaininfo *di);

/* The machine's CPUs and nodes, for resolving CPU lists. */
int xl_topology(struct cpu_topo *t);

/* Resolves a CPU list argument against the machine and refuses CPUs it does not
 * have: 0, or -EINVAL after printing "<what>: CPU 9 does not exist (4 CPUs)". */
int xl_cpus_check(const char *what, uint64_t mask, const struct cpu_topo *t);

/* ---- xl_create.c ---- */

/* Checks what `create cfgfile` would read (the cfg module, its keys, its kernel
 * module) without creating anything; prints each problem, returns their number. */
int xl_create_check_file(const char *cfgfile);

/* ---- xl_sched.c: pools and scheduler parameters ---- */

/* CPUPOOL_OP_info: the first pool with an id >= id, its names NUL-terminated;
 * -ENOENT past the last. Every pool in id order:
 *   for (rc = xl_pool_info(0, &p); rc >= 0; rc = xl_pool_info(p.cpupool_id + 1, &p)) */
long xl_pool_info(uint32_t id, struct sysctl_cpupool_op *out);
/* A pool name or id -> id; prints "<who>: no cpupool '<arg>'" and -ENOENT. */
int xl_pool_find(const char *who, const char *arg, uint32_t *id);
/* SYSCTL_sched_decls of pool's policy into *out; prints why on failure. */
long xl_sched_decls(const char *who, uint32_t pool, struct sysctl_sched_decls *out);
/* The scheduler keys of cfg file `file` checked against pool's policy and turned
 * into *op (a PUT); prints each problem ("<file>:<line>: key ..."), -EINVAL if any. */
int xl_sched_prepare(const char *who, const char *file, uint32_t pool,
                     const struct xlcfg_sched *s, struct domctl_scheduler_op *op);
/* Before a scenario runs: the keys of cfg file `file` against the policy of the pool
 * it names, if that pool exists already (one a scenario creates later is checked at
 * create); prints each problem, returns their number. */
int xl_sched_precheck(const char *file, const struct xlcfg_sched *s);
/* Sends op (from xl_sched_prepare) for dom; nothing if it sets nothing. */
int xl_sched_apply(const char *who, hv_domid_t dom, const struct domctl_scheduler_op *op);

/* ---- xl_dom.c: the domains we created, and what to do when they stop ---- */

enum xl_rec_state { XL_REC_LIVE, XL_REC_PRESERVED, XL_REC_GONE };

struct xl_record {
    bool used;
    hv_domid_t id;
    enum xl_rec_state state;
    uint32_t reason;                    /* SHUTDOWN_* once it shut down */
    bool destroyed_by_cmd;              /* gone through `destroy`, not a shutdown */
    uint64_t seq;                       /* creation order: the newest wins a name */
    char name[XLCFG_NAME_MAX];
    enum xlcfg_action on_poweroff, on_reboot, on_crash;
};

void xl_record_add(hv_domid_t id, const struct domain_config *cfg);
/* xl_numa.c: cfg's memory_policy and nodes for the new domain domid, before its
 * build (need_pages: the frames the build allocates); nothing when neither is set.
 * Errors printed as "<who>: <file>:<line>: key '...': ..." with the numbers. */
int xl_memory_policy(const char *who, hv_domid_t domid, const struct domain_config *cfg,
                     uint64_t need_pages);
/* The newest record whose name or id is arg, or NULL. */
struct xl_record *xl_record_find(const char *arg);
/* A live record of id, or NULL. */
struct xl_record *xl_record_of(hv_domid_t id);
/* Applies the configured action to every recorded domain that has shut down,
 * printing "domain <id> (<name>) shut down (<reason>): destroyed|preserved". */
void xl_reap(void);

/* ---- events.c (main.c): waiting for something to happen ---- */

/* Set by the VIRQ_DOM_EXC / VIRQ_CONSOLE handlers; cleared by whoever looks. */
extern volatile bool dom0_dom_exc, dom0_console_input;
void dom0_events_init(void);
/* Blocks until an event arrives or NOW() passes deadline_ns (0: no deadline). */
void dom0_block_until(uint64_t deadline_ns);
/* Sleeps until NOW() passes deadline_ns, whatever events arrive. Both waits wake up
 * for the trace collector's drains and run them (collector.h). */
void dom0_sleep_until(uint64_t deadline_ns);

/* One buffer of at least pages pages for a command's bulk data (create's frame
 * list, dmesg's log), kept and reused: the runtime's alloc_pages never gets
 * contiguous runs back once freed. Its contents do not survive the next call. NULL
 * if dom0 has no room. */
void *xl_scratch(uint64_t pages);

/* ---- xl_mem.c: ballooning (docs/ballooning.md) ---- */

/* `list -m`: every domain's (or dom's) reservation, target, maximum, shortfall. */
int xl_list_mem(const char *dom);
/* `info`'s memory lines after the common ones. */
void xl_info_mem(const struct sysctl_physinfo *pi);
/* Before `create` takes need_pages: if fewer are free, dom0 balloons itself down by
 * the difference (never below its minimum). 0, or -ENOMEM after saying why. */
int xl_autoballoon(const char *who, uint64_t need_pages);
/* The frames beyond its memory a new domain costs the hypervisor (nested or page
 * tables, vCPU state), as autoballoon counts them: 1 MiB and 1/256 of its memory. */
#define AUTOBALLOON_SLACK(pages) (256 + (pages) / 256)

/* ---- output ---- */

/* xl_format's line callback: puts the line. */
void xl_out(void *arg, const char *line);

#endif
