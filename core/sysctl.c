/* sysctl: what dom0 may learn of the machine (include/public/sysctl.h). */
#include <hvlab/domain.h>
#include <hvlab/errno.h>
#include <hvlab/guest_access.h>
#include <hvlab/guest_values.h>
#include <hvlab/hypercall.h>
#include <hvlab/mm.h>
#include <hvlab/mm_policy.h>
#include <hvlab/percpu.h>
#include <hvlab/sched.h>
#include <hvlab/time.h>
#include <hvlab/topology.h>
#include <public/sysctl.h>

const char *sched_name(void);
long cpupool_op(struct sysctl_cpupool_op *op);

_Static_assert(sizeof(struct sysctl_scheduler_op) <= sizeof(((struct sysctl *)0)->u.pad),
               "sysctl_scheduler_op must fit the sysctl union");
_Static_assert(sizeof(struct sysctl_numa_frames) <= sizeof(((struct sysctl *)0)->u.pad),
               "sysctl_numa_frames must fit the sysctl union");
_Static_assert(sizeof(struct sysctl_sched_decls) <= sizeof(((struct sysctl *)0)->u.pad),
               "sysctl_sched_decls must fit the sysctl union");

long do_sysctl(uint64_t arg)
{
    struct sysctl op;
    long rc = 0;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != SYSCTL_INTERFACE_VERSION)
        return -EACCES;

    switch (op.cmd) {
    case SYSCTL_physinfo: {
        struct sysctl_physinfo *p = &op.u.physinfo;
        memset(p, 0, sizeof(*p));
        p->nr_cpus = topo.nr_cpus;
        p->nr_online_cpus = nr_cpus_online;
        p->nr_nodes = topo.nr_nodes;
        p->cpu_khz = tsc_khz;
        for (unsigned n = 0; n < topo.nr_nodes; n++)
            p->total_pages += frames_total(n);
        p->free_pages = frames_free_all();
        p->now_ns = (uint64_t)NOW();
        fmt_snprintf(p->sched_name, sizeof(p->sched_name), "%s", sched_name());
        break;
    }
    case SYSCTL_topologyinfo: {
        struct sysctl_topologyinfo *t = &op.u.topologyinfo;
        memset(t, 0, sizeof(*t));
        t->nr_cpus = MIN(topo.nr_cpus, SYSCTL_MAX_CPUS);
        for (unsigned c = 0; c < t->nr_cpus; c++) {
            t->cpu_to_node[c] = topo.cpu_node[c];
            t->cpu_apic_id[c] = topo.apic_id[c];
            t->cpu_online[c] = cpumask_test(&cpu_online_map, c);
        }
        break;
    }
    case SYSCTL_numainfo: {
        struct sysctl_numainfo *n = &op.u.numainfo;
        memset(n, 0, sizeof(*n));
        n->nr_nodes = MIN(topo.nr_nodes, SYSCTL_MAX_NODES);
        for (unsigned a = 0; a < n->nr_nodes; a++) {
            n->node_total_pages[a] = frames_total(a);
            n->node_free_pages[a] = frames_free(a);
            for (unsigned b = 0; b < n->nr_nodes; b++)
                n->distance[a][b] = topo.distance[a][b];
        }
        break;
    }
    case SYSCTL_readconsole: {
        struct sysctl_readconsole *r = &op.u.readconsole;
        char buf[512];
        uint32_t want = r->count, got = 0;
        if (!guest_array_ok(r->buffer, want, 1))
            return -EFAULT;
        while (got < want) {
            size_t n = console_log_read(buf, MIN(sizeof(buf), want - got), &r->index);
            if (!n)
                break;
            if (copy_to_guest(r->buffer + got, buf, n))
                return -EFAULT;
            got += (uint32_t)n;
        }
        r->count = got;
        break;
    }
    case SYSCTL_cpupool_op:
        rc = cpupool_op(&op.u.cpupool_op);
        if (rc < 0)
            return rc;
        break;
    case SYSCTL_scheduler_op:
        /* A refused timetable still goes back: bad_entry says which entry. */
        rc = cpupool_sched_op(&op.u.scheduler_op);
        break;
    case SYSCTL_sched_decls:
        if ((rc = sched_decls_op(&op.u.sched_decls)) < 0)
            return rc;
        break;
    case SYSCTL_numa_frames:            /* mmpolicy: mm/policy_machine.c */
        rc = mm_numa_frames(&op.u.numa_frames);
        break;
    default:
        return -ENOSYS;
    }
    if (copy_to_guest(arg, &op, sizeof(op)))
        return -EFAULT;
    return rc;
}
